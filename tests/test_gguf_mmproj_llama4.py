"""Llama 4's mmproj (plugins/gguf_mmproj_llama4.py), alone and with its llama4 GGUF, counts exactly.

Reference: transformers 5.25's meta ``Llama4ForConditionalGeneration`` of a small config, whole and per part
(``vision_model.``, ``multi_modal_projector.``, the rest the language model's). The mmproj is written as llama.cpp
0c1e57098's ``Llama4VisionModel`` writes it: ``MmprojModel``'s ``clip.vision.*`` keys, projector type ``llama4``,
``projector.scale_factor``; gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)`` names, ``linear_1`` renamed
``mm.model.fc`` and ``positional_embedding_vlm`` given ``.weight`` (its ``filter_tensors`` / ``modify_tensors``). The
language model's GGUF as tests/test_gguf_decoders_more.py writes a llama4 one.
"""

from __future__ import annotations

import pytest

from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, vision_mmproj_writer, write_case, write_header_only
from tests.test_gguf_decoders_more import LLAMA4, llama4_experts, llama4_keys
from tests.test_gguf_mmproj import counted_alone, counted_whole, parts_by_prefix, refused

gguf = pytest.importorskip("gguf")

VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 56,
          "patch_size": 14, "vision_output_dim": 40, "projector_input_dim": 36, "projector_output_dim": 40,
          "pixel_shuffle_ratio": 0.5}  # fmt: skip
TEXT = {k: v for k, v in LLAMA4.items() if k != "tie_word_embeddings"}


def llama4(tie: bool = False):
    """Llama4ForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.Llama4Config(text_config=TEXT, vision_config=VISION, tie_word_embeddings=tie,
                                       architectures=["Llama4ForConditionalGeneration"])  # fmt: skip
    config.text_config.tie_word_embeddings = tie
    return meta_model(config), config


def parts(model) -> dict[str, int]:
    return parts_by_prefix(model, {"vision": "vision_model.", "projector": "multi_modal_projector."})


def write_mmproj(model, config, path) -> dict[str, tuple[int, ...]]:
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, 4)
    tensors = {}
    for name, p in model.named_parameters():
        if not name.startswith(("vision_model.", "multi_modal_projector.")):
            continue
        if name == "multi_modal_projector.linear_1.weight":  # Llama4VisionModel.modify_tensors
            tensors["mm.model.fc.weight"] = tuple(p.shape)
            continue
        hf = name + ".weight" if name.endswith("positional_embedding_vlm") else name  # its filter_tensors
        tensors[gguf_name(names, hf)] = tuple(p.shape)
    vision = config.vision_config
    writer = vision_mmproj_writer(path, projection_dim=config.text_config.hidden_size, image_size=vision.image_size,
                                  patch_size=vision.patch_size, width=vision.hidden_size, ffn=vision.intermediate_size,
                                  blocks=vision.num_hidden_layers, heads=vision.num_attention_heads, projector_type="llama4")
    writer.add_vision_attention_layernorm_eps(vision.norm_eps)
    writer.add_vision_projector_scale_factor(int(1.0 / vision.pixel_shuffle_ratio))
    writer.add_vision_use_gelu(True)
    write_header_only(writer, path, tensors)
    return tensors


def test_the_llama4_mmproj_counts_its_vision_tower_and_projector(tmp_path, capsys):
    model, config = llama4()
    counts = parts(model)
    tensors = write_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_alone(capsys, tmp_path / "mmproj-tiny.gguf", tensors)
    assert row["total_params"] == counts["vision"] + counts["projector"]
    assert row["parts"] == {"vision": counts["vision"], "projector": counts["projector"]}


@pytest.mark.parametrize("tie", [False, True])
def test_a_folder_with_llama4_and_its_mmproj_counts_the_whole_model(tie, tmp_path, capsys):
    model, config = llama4(tie)
    write_case(Case("llama4", "llama4_text", "Llama4ForCausalLM", {**TEXT, "tie_word_embeddings": tie}, llama4_keys,
                    llama4_experts), tmp_path / "tiny-llama4.gguf")  # fmt: skip
    write_mmproj(model, config, tmp_path / "mmproj-tiny.gguf")
    row = counted_whole(capsys, tmp_path, "llama4")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == {k: n for k, n in parts(model).items() if n}


def test_a_llama4_mmproj_without_its_projector_is_refused(tmp_path, capsys):
    model, config = llama4()
    path = tmp_path / "mmproj-tiny.gguf"
    write_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"mm.model.fc.weight", b"mm.model.fx.weight"))
    refused(capsys, path, "registry count: ", "mm.model.fc.weight: missing")
