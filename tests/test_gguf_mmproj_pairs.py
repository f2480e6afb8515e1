"""Pairs of GGUF files that make a composite other than the mmproj row's own, and pairs that are refused.

Qwen3-VL-MoE: llama.cpp's converter (``conversion/qwen3vl.py`` at 0c1e57098, vendored by llama-cpp-python 0.3.36)
writes its vision tower with ``Qwen3VLVisionModel``, the same ``qwen3vl_merger`` mmproj as Qwen3-VL's, and its
language model with ``Qwen3VLMoeTextModel`` (architecture ``qwen3vlmoe``: a Qwen3-MoE decoder, the fused experts
split and transposed into ``ffn_gate_exps`` / ``ffn_up_exps`` / ``ffn_down_exps``). Reference: transformers 5.25's
``Qwen3VLMoeForConditionalGeneration`` of a small config on the meta device (total, active with top_k of the routed
experts, per part); the mmproj by ``tests/test_gguf_mmproj.py``'s writer, the language model by
``tests/gguf_files.py``'s (gguf-py's name map of ``qwen3vlmoe``).
"""

from __future__ import annotations

import math

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, split_experts, write_case
from tests.test_gguf_mmproj import TEXT, counted_whole, part_counts, run, write_mmproj

gguf = pytest.importorskip("gguf")

MOE = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "decoder_sparse_step": 1,
       "mlp_only_layers": []}  # fmt: skip


def qwen3_vl_moe(tie: bool = False):
    """Qwen3VLMoeForConditionalGeneration of a small config on the meta device (deepstack mergers fed by blocks 1
    and 2), and its config."""
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k != "sliding_window"} | MOE | {"model_type": "qwen3_vl_moe_text", "head_dim": 16}
    vision = {"depth": 3, "hidden_size": 32, "intermediate_size": 48, "num_heads": 2, "out_hidden_size": 64,
              "patch_size": 8, "spatial_merge_size": 2, "temporal_patch_size": 2, "num_position_embeddings": 16,
              "deepstack_visual_indexes": [1, 2], "model_type": "qwen3_vl_moe_vision"}  # fmt: skip
    config = transformers.Qwen3VLMoeConfig(text_config=text, vision_config=vision, tie_word_embeddings=tie,
                                           architectures=["Qwen3VLMoeForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def write_text(config, path):
    """The qwen3vlmoe language model's GGUF (Qwen3VLMoeTextModel: Qwen3MoeModel's keys, the experts stacked)."""
    text = config.text_config
    fields = {k: getattr(text, k) for k in (*TEXT, *MOE) if k != "sliding_window"}
    fields["tie_word_embeddings"] = config.tie_word_embeddings
    keys = {"attention.key_length": text.head_dim, "attention.value_length": text.head_dim,
            "expert_feed_forward_length": text.moe_intermediate_size}  # fmt: skip
    _, _, tensors, _ = write_case(Case("qwen3vlmoe", "qwen3_moe", "Qwen3MoeForCausalLM", fields, lambda c: keys,
                                       split_experts), path)  # fmt: skip
    return tensors


def active(model, top_k: int) -> int:
    """transformers' parameters less the routed experts a token does not use (the experts' first dimension)."""
    routed = sum(p.numel() * (p.shape[0] - top_k) // p.shape[0] for n, p in model.named_parameters() if ".experts." in n)
    return sum(p.numel() for p in model.parameters()) - routed


@pytest.mark.parametrize("tie", [True, False])
def test_qwen3vlmoe_with_the_qwen3vl_mmproj_counts_the_whole_qwen3_vl_moe(tie, tmp_path, capsys):
    model, config = qwen3_vl_moe(tie)
    parts = {k: n for k, n in part_counts(model).items() if n}
    tensors = write_text(config, tmp_path / "Qwen3-VL-30B-A3B-Q8_0.gguf")
    tensors |= write_mmproj(model, config, tmp_path / "mmproj-Qwen3-VL-30B-A3B-f16.gguf")
    row = counted_whole(capsys, tmp_path, "qwen3_vl_moe")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["active_params"] == active(model, config.text_config.num_experts_per_tok)
    assert row["parts"] == parts
    for part, count in parts.items():
        (one,) = run(capsys, "count", tmp_path, "--part", part, "-f", "json")
        assert one["total_params"] == count, part
    assert run(capsys, "inspect", tmp_path, "-f", "json")["total_params"] == sum(math.prod(s) for s in tensors.values())


def test_the_qwen3_vl_moe_mmproj_alone_counts_its_vision_tower(tmp_path, capsys):
    model, config = qwen3_vl_moe()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    (row,) = run(capsys, "count", path, "-f", "json")
    assert row["total_params"] == part_counts(model)["vision"]
    assert row["checkpoint"]["identical"], row["checkpoint"]


def test_an_mmproj_projecting_to_another_width_is_refused(tmp_path, capsys):
    """clip.vision.projection_dim is the language model's width: a pair that disagrees is not one model's."""
    model, config = qwen3_vl_moe()
    write_text(config, tmp_path / "model.gguf")
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    key = b"clip.vision.projection_dim"
    data = path.read_bytes()
    at = data.index(key) + len(key) + 4  # the value after its uint32 type
    path.write_bytes(data[:at] + (48).to_bytes(4, "little") + data[at + 4:])
    out, err = run(capsys, "count", tmp_path, code=2)
    assert err.count("\n") == 1 and err.startswith("registry count: ")
    assert "projects to width 48 (clip.vision.projection_dim)" in err and "is 64 wide" in err
