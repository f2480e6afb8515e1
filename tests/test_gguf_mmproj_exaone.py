"""llama.cpp's EXAONE 4.5 mmproj (exaone4_5), alone and with its exaone4 language model, counts exactly.

Reference: transformers 5.25's ``Exaone4_5_ForConditionalGeneration`` of a small config on the meta device (whole and
per part; the language model's MTP layer, which the converter appends as the last block, is the checkpoint's only).
The mmproj is written as llama.cpp 0c1e57098's ``Exaone4_5VisionModel`` (``conversion/exaone.py``) writes it:
``MmprojModel``'s keys, projector type ``exaone4_5``, ``head_count_kv``, the window pattern, the grouped-query
``attn.qkv`` kept fused, the 3D patch convolution split in two temporal slices (``Qwen2VLVisionModel``), every other
name through gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)``; the language model as ``tests/gguf_files.py``
writes llama.cpp's ``exaone4`` with its MTP block (``Exaone4_5_TextModel``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, vision_mmproj_writer, write_case, write_header_only
from tests.test_gguf_mmproj import counted_alone, counted_whole, refused

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "num_nextn_predict_layers": 1}  # fmt: skip
VISION = {"depth": 2, "hidden_size": 32, "intermediate_size": 48, "num_heads": 4, "num_key_value_heads": 2,
          "out_hidden_size": 64, "patch_size": 8, "spatial_merge_size": 2, "temporal_patch_size": 2,
          "fullatt_block_indexes": [1], "window_size": 32}  # fmt: skip


def exaone4_5(tie: bool = False):
    """Exaone4_5_ForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.Exaone4_5_Config(text_config={**TEXT, "model_type": "exaone4"}, vision_config=VISION,
                                           tie_word_embeddings=tie, architectures=["Exaone4_5_ForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def write_mmproj(model, config, path: Path, kv: int | None = None) -> dict[str, tuple[int, ...]]:
    """The exaone4_5 mmproj of ``model``'s tower, as Exaone4_5VisionModel writes it (``kv``: another head_count_kv)."""
    vision = config.vision_config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, max(vision.depth, 3))
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if not name.startswith("model.visual."):
            continue
        hf, shape = name.removeprefix("model."), tuple(p.shape)
        if hf == "visual.patch_embed.proj.weight":
            c1, c2, _, kh, kw = shape
            tensors |= {"v.patch_embd.weight": (c1, c2, kh, kw), "v.patch_embd.weight.1": (c1, c2, kh, kw)}
            continue
        tensors[gguf_name(names, hf)] = shape
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size, image_size=560,
                                  patch_size=vision.patch_size, width=vision.hidden_size, ffn=vision.intermediate_size,
                                  blocks=vision.depth, heads=vision.num_heads, projector_type="exaone4_5")
    writer.add_vision_use_silu(True)
    # add_vision_head_count_kv of the vendored gguf-py (the installed one has not that method)
    writer.add_uint32("clip.vision.attention.head_count_kv", kv or vision.num_key_value_heads)
    writer.add_vision_attention_layernorm_eps(1e-6)
    writer.add_uint32("clip.vision.window_size", vision.window_size)  # add_vision_window_size
    writer.add_vision_n_wa_pattern(vision.fullatt_block_indexes[0] + 1)
    write_header_only(writer, path, tensors)
    return tensors


def test_an_exaone4_5_mmproj_counts_its_vision_tower(tmp_path, capsys):
    model, config = exaone4_5()
    vision = sum(p.numel() for n, p in model.named_parameters() if n.startswith("model.visual."))
    path = tmp_path / "mmproj-EXAONE-4.5-33B-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == vision


@pytest.mark.parametrize("tie", [True, False])
def test_a_folder_with_the_exaone4_5_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    model, config = exaone4_5(tie)
    vision = sum(p.numel() for n, p in model.named_parameters() if n.startswith("model.visual."))
    total = sum(p.numel() for p in model.parameters())
    write_case(Case("exaone4", "exaone4", "Exaone4ForCausalLM", {**TEXT, "tie_word_embeddings": tie},
                    lambda c: {"block_count": c.num_hidden_layers + 1, "nextn_predict_layers": 1}, mtp=1),
               tmp_path / "EXAONE-4.5-33B-Q8_0.gguf")  # fmt: skip
    write_mmproj(model, config, tmp_path / "mmproj-EXAONE-4.5-33B-f16.gguf")
    row = counted_whole(capsys, tmp_path, "exaone4_5")
    assert row["total_params"] == total
    assert row["parts"] == {"vision": vision, "text": total - vision}


def test_an_exaone4_5_head_count_kv_the_fused_qkv_contradicts_is_refused(tmp_path, capsys):
    model, config = exaone4_5()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path, kv=1)
    refused(capsys, path, "clip.vision.attention.head_count_kv: 1 is not the 2 key/value heads")
