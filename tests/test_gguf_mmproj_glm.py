"""llama.cpp's glm4v mmproj (GLM-4.1V, GLM-4.5V), alone and with its language model, counts exactly.

Reference: transformers 5.25's ``Glm4vForConditionalGeneration`` and ``Glm4vMoeForConditionalGeneration`` of small
configs on the meta device (whole, per part, active for the MoE). The mmproj is written as llama.cpp 0c1e57098's
``Glm4VVisionModel`` (``conversion/qwen3vl.py``) writes it: ``MmprojModel.set_gguf_parameters``' keys, projector type
``glm4v``, the patch convolution split into two temporal slices and its bias kept (``Qwen3VLVisionModel``), the fused
``attn.qkv`` kept, every other name through gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)``. The language model
as ``tests/gguf_files.py`` writes llama.cpp's ``glm4`` (``Glm4Model``) and ``glm4moe`` (``Glm4MoeModel``) files.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, split_experts, vision_mmproj_writer, write_case, write_header_only
from tests.test_gguf_architectures import glm_keys, score_biases
from tests.test_gguf_mmproj import counted_alone, counted_whole, part_counts, refused, run

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "pad_token_id": 0}  # fmt: skip
MOE = {"n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "first_k_dense_replace": 1,
       "n_shared_experts": 1}  # fmt: skip
VISION = {"depth": 2, "hidden_size": 32, "intermediate_size": 48, "num_heads": 2, "out_hidden_size": 64,
          "image_size": 32, "patch_size": 8, "spatial_merge_size": 2, "temporal_patch_size": 2}  # fmt: skip


def glm4v(moe: bool = False, tie: bool = False, bias: bool = False):
    """Glm4vForConditionalGeneration (Glm4vMoeForConditionalGeneration when ``moe``) of a small config on the meta
    device, and its config (``bias``: the vision attention's)."""
    transformers = quiet_transformers()
    kind = "glm4v_moe" if moe else "glm4v"
    text = {**TEXT, **(MOE if moe else {}), "model_type": f"{kind}_text"}
    vision = {**VISION, "attention_bias": bias, "model_type": f"{kind}_vision"}
    cls = "Glm4vMoeForConditionalGeneration" if moe else "Glm4vForConditionalGeneration"
    config = getattr(transformers, "Glm4vMoeConfig" if moe else "Glm4vConfig")(
        text_config=text, vision_config=vision, tie_word_embeddings=tie, architectures=[cls])
    return meta_model(config), config


def write_mmproj(model, config, path: Path) -> dict[str, tuple[int, ...]]:
    """The glm4v mmproj of ``model``'s vision tower, as Glm4VVisionModel writes it."""
    vision = config.vision_config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, vision.depth)
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if not name.startswith("model.visual."):
            continue
        hf, shape = name.removeprefix("model."), tuple(p.shape)
        if hf == "visual.patch_embed.proj.weight":  # Qwen3VLVisionModel: two temporal slices
            c1, c2, _, kh, kw = shape
            tensors |= {"v.patch_embd.weight": (c1, c2, kh, kw), "v.patch_embd.weight.1": (c1, c2, kh, kw)}
            continue
        if hf == "visual.patch_embed.proj.bias":
            tensors["v.patch_embd.bias"] = shape
            continue
        tensors[gguf_name(names, hf)] = shape
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size, image_size=vision.image_size,
                                  patch_size=vision.patch_size, width=vision.hidden_size, ffn=vision.intermediate_size,
                                  blocks=vision.depth, heads=vision.num_heads, projector_type="glm4v")
    writer.add_vision_image_mean([0.5, 0.5, 0.5])
    writer.add_vision_image_std([0.5, 0.5, 0.5])
    writer.add_vision_use_silu(True)
    writer.add_vision_attention_layernorm_eps(1e-5)
    write_header_only(writer, path, tensors)
    return tensors


def write_text(config, path: Path) -> dict[str, tuple[int, ...]]:
    """The language model's GGUF: glm4 for GLM-4.1V (its attention with biases, as Glm4vTextAttention builds it),
    glm4moe for GLM-4.5V (no MTP layer: Glm4vMoeTextModel has none)."""
    text = config.text_config
    fields = {k: getattr(text, k) for k in TEXT} | {"tie_word_embeddings": config.tie_word_embeddings,
                                                    "attention_bias": True}  # fmt: skip
    if config.model_type == "glm4v_moe":
        case = Case("glm4moe", "glm4_moe", "Glm4MoeForCausalLM", {**fields, **{k: getattr(text, k) for k in MOE},
                    "use_qk_norm": False}, glm_keys, split_experts, extra=score_biases)  # fmt: skip
    else:  # Glm4Config's head_dim defaults to 128: the width Glm4vTextAttention takes, written as key_length
        head_dim = text.hidden_size // text.num_attention_heads
        case = Case("glm4", "glm4", "Glm4ForCausalLM", {**fields, "head_dim": head_dim})
    _, _, tensors, _ = write_case(case, path)
    return tensors


def active(model, top_k: int) -> int:
    """transformers' parameters less the routed experts a token does not use (the experts' first dimension)."""
    routed = sum(p.numel() * (p.shape[0] - top_k) // p.shape[0] for n, p in model.named_parameters()
                 if ".experts." in n and "shared" not in n)  # fmt: skip
    return sum(p.numel() for p in model.parameters()) - routed


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("moe", [False, True])
def test_a_glm4v_mmproj_counts_its_vision_tower(moe, bias, tmp_path, capsys):
    model, config = glm4v(moe, bias=bias)
    path = tmp_path / "mmproj-GLM-4.1V-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == part_counts(model)["vision"]


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("moe", [False, True])
def test_a_folder_with_the_glm4v_mmproj_counts_the_whole_model(moe, tie, tmp_path, capsys):
    model, config = glm4v(moe, tie)
    parts = {k: n for k, n in part_counts(model).items() if n}
    tensors = write_text(config, tmp_path / "GLM-Q8_0.gguf")
    tensors |= write_mmproj(model, config, tmp_path / "mmproj-GLM-f16.gguf")
    row = counted_whole(capsys, tmp_path, config.model_type)
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    if moe:
        assert row["active_params"] == active(model, config.text_config.num_experts_per_tok)
    assert row["parts"] == parts
    for part, count in parts.items():
        (one,) = run(capsys, "count", tmp_path, "--part", part, "-f", "json")
        assert one["total_params"] == count, part
    assert run(capsys, "inspect", tmp_path, "-f", "json")["total_params"] == sum(math.prod(s) for s in tensors.values())


def test_a_glm4v_mmproj_whose_merger_contradicts_projection_dim_is_refused(tmp_path, capsys):
    """The merger maps to out_hidden_size (the downsampling convolution's rows): it must be the language model's
    width that clip.vision.projection_dim says."""
    model, config = glm4v()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    key = b"clip.vision.projection_dim"
    data = path.read_bytes()
    at = data.index(key) + len(key) + 4  # the value after its uint32 type
    path.write_bytes(data[:at] + (48).to_bytes(4, "little") + data[at + 4:])
    out, err = run(capsys, "count", path, code=2)
    assert err.count("\n") == 1 and err.startswith("registry count: ")
    assert "clip.vision.projection_dim: 48 is not the width 64 the merger maps to" in err


def test_a_glm4v_mmproj_without_its_downsampling_convolution_is_refused(tmp_path, capsys):
    model, config = glm4v()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"mm.patch_merger", b"mm.patch_mergex"))
    refused(capsys, path, "mm.patch_merger.weight: shape [] is not the downsampling convolution")
