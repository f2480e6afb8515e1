"""LLaVA-1.5's legacy mmproj (projector type ``mlp``) counts what it holds, alone and with its llama GGUF.

llama.cpp writes it with ``llava_surgery.py`` (the projector, ``model.mm_projector.*``) and
``convert_image_encoder_to_gguf.py --llava-projector`` (tools/mtmd/legacy-models, llama.cpp 0c1e57098), from
CLIP's ``CLIPModel``: the text tower, ``visual_projection`` and ``vision_model.post_layernorm`` skipped
(``should_skip_tensor``), the last encoder layer dropped (``encoder.layers.pop(-1)``, no feature layers given),
``clip.vision.block_count`` the layers left, ``clip.vision.projection_dim`` CLIP's own, and the names of
``get_tensor_name`` (``v.class_embd``, ``v.pre_ln``, ``mlp.fc1`` as ``ffn_down``). Reference: transformers 5.25's
``LlavaForConditionalGeneration`` on the meta device, less what that script drops.
"""

from __future__ import annotations

import json
import re

import pytest

from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, write_case, write_header_only

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "pad_token_id": 0, "model_type": "llama"}  # fmt: skip
VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 2, "image_size": 32,
          "patch_size": 8, "projection_dim": 24, "model_type": "clip_vision_model"}  # fmt: skip


def llava():
    """LlavaForConditionalGeneration of a small config (vision_feature_layer -2, projector biases: LLaVA-1.5's)."""
    transformers = quiet_transformers()
    config = transformers.LlavaConfig(text_config=TEXT, vision_config=VISION, tie_word_embeddings=False,
                                      architectures=["LlavaForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def legacy_name(name: str) -> str:
    """convert_image_encoder_to_gguf.py's get_tensor_name, for CLIPModel's vision_model.* and the projector."""
    if "mm_projector" in name:
        return name.replace("model.mm_projector", "mm")
    for old, new in (("vision_model", "v"), ("encoder.layers", "blk"), ("embeddings.", ""), ("_proj", ""),
                     ("self_attn.", "attn_"), ("layer_norm", "ln"), ("layernorm", "ln"), ("mlp.fc1", "ffn_down"),
                     ("mlp.fc2", "ffn_up"), ("embedding", "embd"), ("final", "post"), ("layrnorm", "ln")):  # fmt: skip
        name = name.replace(old, new)
    return name


def dropped(name: str, layers: int) -> bool:
    """What the script leaves out of the tower: the last layer (pop(-1)) and post_layernorm (should_skip_tensor)."""
    return f"encoder.layers.{layers - 1}." in name or "post_layernorm" in name


def write_legacy_mmproj(model, config, path, modern_ffn_names=False):
    """The legacy mmproj of ``model``; returns transformers' parameters it holds and those it leaves out.
    ``modern_ffn_names``: mlp.fc1 as ffn_up (the newer converters' names), not the legacy script's."""
    vision, layers = config.vision_config, config.vision_config.num_hidden_layers
    tensors, held, left = {}, 0, 0
    for name, p in model.named_parameters():
        if name.startswith("model.vision_tower."):
            hf = "vision_model." + name.removeprefix("model.vision_tower.")
        elif name.startswith("model.multi_modal_projector."):  # llava_surgery.py's model.mm_projector.0 / .2
            hf = re.sub(r"linear_(\d)", lambda m: str(2 * int(m[1]) - 2),
                        name.replace("model.multi_modal_projector", "model.mm_projector"))
        else:
            continue
        if dropped(name, layers):
            left += p.numel()
            continue
        new = legacy_name(hf)
        if modern_ffn_names:
            new = new.replace("ffn_down", "ffn_x").replace("ffn_up", "ffn_down").replace("ffn_x", "ffn_up")
        tensors[new] = tuple(p.shape)
        held += p.numel()
    writer = gguf.GGUFWriter(str(path), "clip")
    for key, value in (("clip.has_text_encoder", False), ("clip.has_vision_encoder", True),
                       ("clip.has_llava_projector", True), ("clip.use_gelu", False)):  # fmt: skip
        writer.add_bool(key, value)
    writer.add_file_type(1)
    writer.add_string("clip.projector_type", "mlp")
    for key, value in (("image_size", vision.image_size), ("patch_size", vision.patch_size),
                       ("embedding_length", vision.hidden_size), ("feed_forward_length", vision.intermediate_size),
                       ("projection_dim", vision.projection_dim), ("attention.head_count", vision.num_attention_heads),
                       ("block_count", layers - 1)):  # fmt: skip
        writer.add_uint32(f"clip.vision.{key}", value)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", vision.layer_norm_eps)
    write_header_only(writer, path, tensors)
    return held, left


def run(capsys, *argv, code=0):
    got = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert got == code, err
    return (json.loads(out) if "json" in argv else out), err


def test_the_legacy_mmproj_counts_what_it_holds_and_says_what_transformers_builds_more(tmp_path, capsys):
    model, config = llava()
    path = tmp_path / "mmproj-model-f16.gguf"
    held, left = write_legacy_mmproj(model, config, path)
    d, ff = VISION["hidden_size"], VISION["intermediate_size"]
    assert left == 4 * (d * d + d) + 4 * d + 2 * d * ff + ff + d + 2 * d  # one CLIP layer and post_layernorm
    (row,), err = run(capsys, "count", path, "-f", "json")
    assert row["total_params"] == held and row["checkpoint"]["identical"], row
    assert "holds 2 vision layers and no post_layernorm" in err and f"3 in all, and the post_layernorm ({left:,}" in err


def test_a_folder_with_llama_and_the_legacy_mmproj_counts_the_whole_as_the_files_hold_it(tmp_path, capsys):
    """LLaVA-1.5's language model is written as llama (convert_hf_to_gguf.py's LlamaModel): the two files count as
    transformers' LlavaForConditionalGeneration less the layer and the norm the mmproj leaves out."""
    model, config = llava()
    held, left = write_legacy_mmproj(model, config, tmp_path / "mmproj-model-f16.gguf")
    fields = {k: v for k, v in TEXT.items() if k != "model_type"} | {"tie_word_embeddings": False}
    write_case(Case("llama", "llama", "LlamaForCausalLM", fields), tmp_path / "llava-v1.5-7b.Q4_K.gguf")
    (row,), err = run(capsys, "count", tmp_path, "-f", "json")
    assert row["total_params"] == sum(p.numel() for p in model.parameters()) - left
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert "LlavaForConditionalGeneration builds one more layer" in err


def test_a_legacy_mmproj_with_modern_ffn_names_is_refused(tmp_path, capsys):
    model, config = llava()
    path = tmp_path / "mmproj.gguf"
    write_legacy_mmproj(model, config, path, modern_ffn_names=True)
    _, err = run(capsys, "count", path, code=2)
    assert err.count("\n") == 1 and "v.blk.0.ffn_down.weight: 32 rows" in err
