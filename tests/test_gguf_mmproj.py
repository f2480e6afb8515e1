"""llama.cpp's mmproj files, alone and in a folder with their language model, count exactly.

Reference: transformers 5.25's meta model of a small composite config (``Gemma3ForConditionalGeneration``,
``Mistral3ForConditionalGeneration``),
whole and per part (its parameters under ``model.vision_tower.``, ``model.multi_modal_projector.``,
the rest the language model's). The files are written as llama.cpp's converter writes them
(``convert_hf_to_gguf.py``): the language model by ``tests/gguf_files.py`` (gguf-py's name map of the
text architecture), the mmproj here: ``MmprojModel.set_gguf_parameters`` (``clip.has_vision_encoder``,
``clip.vision.*`` through gguf-py's ``GGUFWriter.add_vision_*``, ``projection_dim`` the text width),
``Gemma3VisionModel.set_gguf_parameters`` (``clip.projector_type = "gemma3"``),
``LlavaVisionModel.set_gguf_parameters`` (``"pixtral"``, ``spatial_merge_size``, ``use_silu``; its
``modify_tensors`` adds ``v.token_embd.img_break``, a row of the language model's embedding), and the
tensor names from gguf-py's ``get_tensor_name_map(MODEL_ARCH.MMPROJ)``, applied to the published
checkpoints' names (``vision_tower.``, ``multi_modal_projector.``; Gemma 3's ``vision_tower.vision_model.``
and ``_weight`` read as ``.weight``: ``Gemma3VisionModel.filter_tensors``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from registry.cli import main
from tests._hf_configs import meta_model, quiet_transformers
from tests.gguf_files import Case, gguf_name, vision_mmproj_writer, write_case, write_header_only

gguf = pytest.importorskip("gguf")

TEXT = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 32, "pad_token_id": 0, "sliding_window": 8}  # fmt: skip
VISION = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 2,
          "image_size": 32, "patch_size": 8}  # fmt: skip
PREFIXES = {"vision": ("model.vision_tower.", "model.visual.", "model.vision_model."),
            "projector": ("model.multi_modal_projector.", "model.connector.")}  # fmt: skip
TOWERS = tuple(prefix for prefixes in PREFIXES.values() for prefix in prefixes)


def gemma3(tie: bool = True):
    """Gemma3ForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    config = transformers.Gemma3Config(text_config={**TEXT, "model_type": "gemma3_text"},
                                       vision_config={**VISION, "model_type": "siglip_vision_model", "vision_use_head": False},
                                       mm_tokens_per_image=4, tie_word_embeddings=tie, architectures=["Gemma3ForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def mistral3(tie: bool = False):
    """Mistral3ForConditionalGeneration of a small config (a Pixtral tower whose head is not 64 wide; projector
    biases when the head is untied, so both kinds are seen) on the meta device, and its config."""
    bias = not tie
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k != "sliding_window"} | {"model_type": "mistral", "head_dim": 16}
    vision = {**VISION, "model_type": "pixtral", "head_dim": 16}
    config = transformers.Mistral3Config(text_config=text, vision_config=vision, spatial_merge_size=2,
                                         multimodal_projector_bias=bias, tie_word_embeddings=tie,
                                         architectures=["Mistral3ForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def qwen25_vl(tie: bool = False):
    """Qwen2_5_VLForConditionalGeneration of a small config on the meta device, and its config."""
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k not in ("sliding_window", "head_dim")} | {"model_type": "qwen2_5_vl_text"}
    vision = {"depth": 3, "hidden_size": 32, "intermediate_size": 48, "num_heads": 2, "out_hidden_size": 64,
              "patch_size": 8, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 32,
              "fullatt_block_indexes": [2], "model_type": "qwen2_5_vl_vision"}  # fmt: skip
    config = transformers.Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=tie,
                                           architectures=["Qwen2_5_VLForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def qwen2_vl(tie: bool = False):
    """Qwen2VLForConditionalGeneration of a small config (merger output the text width) on the meta device."""
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k not in ("sliding_window", "head_dim")} | {"model_type": "qwen2_vl_text"}
    vision = {"depth": 3, "embed_dim": 32, "hidden_size": 64, "mlp_ratio": 3, "num_heads": 2, "patch_size": 8,
              "spatial_merge_size": 2, "temporal_patch_size": 2, "model_type": "qwen2_vl_vision"}  # fmt: skip
    config = transformers.Qwen2VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=tie,
                                        architectures=["Qwen2VLForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def qwen3_vl(tie: bool = False):
    """Qwen3VLForConditionalGeneration of a small config on the meta device (deepstack mergers fed by blocks 1 and 2,
    so that llama.cpp's numbering by block differs from the list's)."""
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k != "sliding_window"} | {"model_type": "qwen3_vl_text", "head_dim": 16}
    vision = {"depth": 3, "hidden_size": 32, "intermediate_size": 48, "num_heads": 2, "out_hidden_size": 64,
              "patch_size": 8, "spatial_merge_size": 2, "temporal_patch_size": 2, "num_position_embeddings": 16,
              "deepstack_visual_indexes": [1, 2], "model_type": "qwen3_vl_vision"}  # fmt: skip
    config = transformers.Qwen3VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=tie,
                                        architectures=["Qwen3VLForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def qwen3_pieces(name: str, shape: tuple[int, ...], config) -> list[tuple[str, tuple[int, ...]]]:
    """Qwen3VLVisionModel.modify_tensors: the merger's linear_fc1/fc2 as mm.0/mm.2 and its norm as v.post_ln, each
    deepstack merger as v.deepstack.<the block feeding it>.norm/fc1/fc2, the patch bias kept; else as Qwen2-VL's."""
    parts = name.split(".")
    if name.startswith("visual.merger."):
        new = {"linear_fc1": "mm.0", "linear_fc2": "mm.2", "norm": "v.post_ln"}[parts[2]]
        return [(f"gguf:{new}.{parts[3]}", shape)]
    if name.startswith("visual.deepstack_merger_list."):
        block = config.vision_config.deepstack_visual_indexes[int(parts[2])]
        new = {"linear_fc1": "fc1", "linear_fc2": "fc2", "norm": "norm"}[parts[3]]
        return [(f"gguf:v.deepstack.{block}.{new}.{parts[4]}", shape)]
    if name == "visual.patch_embed.proj.bias":
        return [("gguf:v.patch_embd.bias", shape)]
    if ".qkv." in name:  # kept fused (V_ENC_ATTN_QKV): Qwen3VLVisionModel does not split it
        return [(name, shape)]
    return qwen_pieces(name, shape)


LFM2_TEXT = {"vocab_size": 96, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "intermediate_size": 96, "block_auto_adjust_ff_dim": False,
             "layer_types": ["conv", "full_attention"], "conv_L_cache": 3, "pad_token_id": 0}  # fmt: skip


def lfm2_vl(tie: bool = True):
    """Lfm2VlForConditionalGeneration of a small config (SigLIP2 without its head, as LFM2-VL's published ones)."""
    transformers = quiet_transformers()
    vision = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 2,
              "patch_size": 16, "num_patches": 16, "vision_use_head": False, "model_type": "siglip2_vision_model"}  # fmt: skip
    config = transformers.Lfm2VlConfig(text_config={**LFM2_TEXT, "model_type": "lfm2"}, vision_config=vision,
                                       downsample_factor=2, projector_hidden_size=40, projector_bias=not tie,
                                       tie_word_embeddings=tie, architectures=["Lfm2VlForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


def idefics3(tie: bool = False, model_type: str = "idefics3"):
    """Idefics3ForConditionalGeneration (or SmolVLM's, the same tensors) of a small config with a Llama language model."""
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k != "sliding_window"} | {"model_type": "llama", "head_dim": 16}
    vision = {**VISION, "model_type": f"{model_type}_vision"}
    cls = transformers.Idefics3Config if model_type == "idefics3" else transformers.SmolVLMConfig
    arch = "Idefics3ForConditionalGeneration" if model_type == "idefics3" else "SmolVLMForConditionalGeneration"
    config = cls(text_config=text, vision_config=vision, scale_factor=2, tie_word_embeddings=tie, architectures=[arch])
    return meta_model(config), config


def internvl(tie: bool = False):
    """InternVLForConditionalGeneration of a small config (InternViT with query/key norms, a Qwen2 language model)."""
    transformers = quiet_transformers()
    text = {k: v for k, v in TEXT.items() if k not in ("sliding_window", "head_dim")} | {"model_type": "qwen2"}
    vision = {**VISION, "model_type": "internvl_vision", "use_qk_norm": True, "image_size": [32, 32], "patch_size": [8, 8]}
    config = transformers.InternVLConfig(text_config=text, vision_config=vision, downsample_ratio=0.5, tie_word_embeddings=tie,
                                         architectures=["InternVLForConditionalGeneration"])  # fmt: skip
    return meta_model(config), config


#: transformers' InternVL names -> the original InternVLChatModel checkpoint's, as InternVisionModel.modify_tensors
#: gets them (``vision_tower.`` added, the fused ``attn.qkv`` already split into ``self_attn.q/k/v_proj``).
INTERNVL_ORIGINAL = (("model.vision_tower.", "vision_tower.vision_model."), ("embeddings.cls_token", "embeddings.class_embedding"),
                     ("embeddings.position_embeddings", "embeddings.position_embedding"),
                     ("patch_embeddings.projection", "patch_embedding"), ("encoder.layer.", "encoder.layers."),
                     ("attention.q_proj", "self_attn.q_proj"), ("attention.k_proj", "self_attn.k_proj"),
                     ("attention.v_proj", "self_attn.v_proj"), ("attention.projection_layer", "attn.proj"),
                     ("attention.q_norm", "attn.q_norm"), ("attention.k_norm", "attn.k_norm"), ("lambda_1", "ls1.weight"),
                     ("lambda_2", "ls2.weight"), ("layernorm_before", "norm1"), ("layernorm_after", "norm2"),
                     ("model.multi_modal_projector.layer_norm", "mlp1.0"), ("model.multi_modal_projector.linear_1", "mlp1.1"),
                     ("model.multi_modal_projector.linear_2", "mlp1.3"))  # fmt: skip


def qwen_pieces(name: str, shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """Qwen2VLVisionModel.modify_tensors: the fused qkv split in three, the 3D patch convolution in two 2D slices."""
    if ".qkv." in name:
        return [(name.replace("qkv", x), (shape[0] // 3, *shape[1:])) for x in "qkv"]
    if name.endswith("patch_embed.proj.weight"):
        c1, c2, _, kh, kw = shape
        return [("gguf:v.patch_embd.weight", (c1, c2, kh, kw)), ("gguf:v.patch_embd.weight.1", (c1, c2, kh, kw))]
    return [(name, shape)]


def published_name(name: str, config) -> str:
    """The published checkpoint's name of a transformers 5.25 parameter of the vision tower or projector."""
    if config.model_type == "internvl":
        for hf, original in INTERNVL_ORIGINAL:
            name = name.replace(hf, original)
        return name + (".weight" if name.endswith("position_embedding") else "")  # the converter's ".weight" added
    if config.model_type in ("idefics3", "smolvlm"):  # published as transformers names them (model.vision_model.)
        return name
    if config.model_type == "lfm2_vl":  # LFM2VlModel.modify_tensors: "model." removed; the SigLIP2 checkpoint's names
        return name.replace("model.vision_tower.", "vision_tower.vision_model.").removeprefix("model.")
    if config.model_type == "gemma3":  # vision_tower.vision_model. renamed on loading; filter_tensors' _weight
        return name.replace("model.vision_tower.", "vision_tower.vision_model.").removeprefix("model.").replace("_weight", ".weight")
    return name.removeprefix("model.")


def parts_by_prefix(model, prefixes: dict[str, str | tuple[str, ...]]) -> dict[str, int]:
    """transformers' parameters per part (tied ones once): ``prefixes`` maps a part to the prefix (or prefixes) of its
    parameter names, every other parameter is the language model's (``text``)."""
    parts = dict.fromkeys(prefixes, 0) | {"text": 0}
    for name, p in model.named_parameters():
        parts[next((k for k, prefix in prefixes.items() if name.startswith(prefix)), "text")] += p.numel()
    return parts


def part_counts(model) -> dict[str, int]:
    """transformers' parameters per part (tied ones once): vision tower, projector, the rest the language model."""
    return parts_by_prefix(model, PREFIXES)


def write_mmproj(model, config, path: Path, projector_type: str = "") -> dict[str, tuple[int, ...]]:
    """The mmproj GGUF of ``model``'s vision tower and projector, as llama.cpp's converter writes it."""
    pixtral, qwen = config.model_type == "mistral3", config.model_type in ("qwen2_5_vl", "qwen2_vl", "qwen3_vl", "qwen3_vl_moe")
    qwen3 = config.model_type in ("qwen3_vl", "qwen3_vl_moe")  # Qwen3VLVisionModel converts both
    vision = config.vision_config
    qwen2 = config.model_type == "qwen2_vl"  # Qwen2VLVisionModel: embed_dim the width, hidden_size the "ffn" length
    layers = vision.depth if qwen else vision.num_hidden_layers
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, max(layers, 4))  # InternVL's mlp1.3
    tensors: dict[str, tuple[int, ...]] = {}
    for name, p in model.named_parameters():
        if not name.startswith(TOWERS):
            continue
        hf, shape = published_name(name, config), tuple(p.shape)
        pieces = qwen3_pieces(hf, shape, config) if qwen3 else qwen_pieces(hf, shape) if qwen else [(hf, shape)]
        for hf, shape in pieces:
            if hf.startswith("gguf:"):
                tensors[hf.removeprefix("gguf:")] = shape
                continue
            tensors[gguf_name(names, hf)] = shape
    lfm2 = config.model_type == "lfm2_vl"
    if lfm2 and "v.patch_embd.weight" in tensors:  # LFM2VlModel.modify_tensors: the linear viewed as a convolution's
        tensors["v.patch_embd.weight"] = (vision.hidden_size, 3, vision.patch_size, vision.patch_size)
    square = (lambda v: v[0]) if config.model_type == "internvl" else (lambda v: v)  # the original config's one side
    kind = "internvl" if config.model_type == "internvl" else "idefics3" if config.model_type in ("idefics3", "smolvlm") else "lfm2" if lfm2 else "qwen3vl_merger" if qwen3 else "qwen2vl_merger" if qwen2 else "qwen2.5vl_merger" if qwen else "pixtral" if pixtral else "gemma3"
    writer = vision_mmproj_writer(
        path, projection_dim=config.text_config.hidden_size,
        image_size=560 if qwen else 256 if lfm2 else square(vision.image_size),  # Qwen2VLVisionModel: 560 when not given; LFM2VlModel: 256
        patch_size=square(vision.patch_size), width=vision.embed_dim if qwen2 else vision.hidden_size,
        ffn=vision.hidden_size if qwen2 else vision.intermediate_size, blocks=layers,
        heads=vision.num_heads if qwen else vision.num_attention_heads, projector_type=projector_type or kind)  # fmt: skip
    writer.add_vision_image_mean([0.5, 0.5, 0.5])
    writer.add_vision_image_std([0.5, 0.5, 0.5])
    if config.model_type == "internvl":  # InternVisionModel.set_gguf_parameters
        writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
        writer.add_vision_projector_scale_factor(int(1 / config.downsample_ratio))
        writer.add_vision_use_gelu(True)
    elif config.model_type in ("idefics3", "smolvlm"):  # SmolVLMModel.set_gguf_parameters
        writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
        writer.add_vision_projector_scale_factor(config.scale_factor)
        writer.add_vision_use_gelu(True)
    elif lfm2:  # LFM2VlModel.set_gguf_parameters
        writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
        writer.add_vision_projector_scale_factor(config.downsample_factor)
        writer.add_vision_use_gelu(True)
    elif qwen2:
        writer.add_vision_attention_layernorm_eps(1e-6)
    elif qwen3:  # Qwen3VLVisionModel.set_gguf_parameters
        writer.add_vision_use_gelu(True)
        writer.add_vision_spatial_merge_size(vision.spatial_merge_size)
        writer.add_vision_attention_layernorm_eps(1e-6)
        writer.add_vision_is_deepstack_layers([i in vision.deepstack_visual_indexes for i in range(vision.depth)])
    elif qwen:
        writer.add_vision_use_silu(True)
        writer.add_vision_n_wa_pattern(vision.fullatt_block_indexes[0] + 1)
        writer.add_vision_attention_layernorm_eps(1e-6)
    elif pixtral:
        writer.add_vision_attention_layernorm_eps(1e-5)
        writer.add_vision_use_silu(True)
        writer.add_vision_spatial_merge_size(config.spatial_merge_size)
        tensors["v.token_embd.img_break"] = (config.text_config.hidden_size,)  # the [IMG_BREAK] row, copied
    else:
        writer.add_vision_attention_layernorm_eps(vision.layer_norm_eps)
        writer.add_vision_use_gelu(True)
    write_header_only(writer, path, tensors)
    return tensors


def write_text(config, folder: Path, name: str = "model-Q8_0.gguf") -> dict[str, tuple[int, ...]]:
    """The language model's GGUF as tests/gguf_files.py writes it (llama.cpp's gemma3 architecture for Gemma 3;
    llama for Mistral Small 3.1, whose converter writes Mistral's dense models as llama; qwen2vl for
    Qwen2.5-VL); its tensors."""
    text = config.text_config
    fields = {k: getattr(text, k) for k in TEXT if k not in ("sliding_window", "head_dim")}
    if config.model_type == "gemma3":
        fields["sliding_window"] = text.sliding_window
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    fields |= {"head_dim": head_dim, "tie_word_embeddings": config.tie_word_embeddings}
    keys = {"attention.key_length": head_dim, "attention.value_length": head_dim}
    if config.model_type == "lfm2_vl":  # LFM2Model: tests/test_gguf_recurrent.py's keys and squeezed convolutions
        from tests.test_gguf_recurrent import lfm2_keys, lfm2_tensors

        case = Case("lfm2", "lfm2", "Lfm2ForCausalLM", {**LFM2_TEXT, "tie_word_embeddings": config.tie_word_embeddings},
                    lfm2_keys, lfm2_tensors)  # fmt: skip
    elif config.model_type == "gemma3":
        case = Case("gemma3", "gemma3_text", "Gemma3ForCausalLM", fields, lambda c: keys)
    elif config.model_type == "qwen3_vl":  # Qwen3VLTextModel: a Qwen3 decoder
        case = Case("qwen3vl", "qwen3", "Qwen3ForCausalLM", fields, lambda c: keys)
    elif config.model_type == "internvl":  # its Qwen2 language model, converted as qwen2
        case = Case("qwen2", "qwen2", "Qwen2ForCausalLM", {k: v for k, v in fields.items() if k != "head_dim"})
    elif config.model_type in ("qwen2_5_vl", "qwen2_vl"):  # Qwen2VLModel: a Qwen2 decoder (no head_dim in its config)
        case = Case("qwen2vl", "qwen2", "Qwen2ForCausalLM", {k: v for k, v in fields.items() if k != "head_dim"})
    else:
        case = Case("llama", "llama", "LlamaForCausalLM", fields)
    _, _, tensors, _ = write_case(case, folder / name)
    return tensors


def run(capsys, *argv, code: int = 0):
    got = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert got == code, err
    return json.loads(out) if "json" in argv else (out, err)


def counted_alone(capsys, path, tensors: dict) -> dict:
    """``registry count``'s JSON row of an mmproj file alone, after the checks every such file passes: its
    checkpoint verifies clean, and ``inspect`` gives the sum of the tensors written (``tensors``)."""
    (row,) = run(capsys, "count", path, "-f", "json")
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert run(capsys, "inspect", path, "-f", "json")["total_params"] == sum(math.prod(s) for s in tensors.values())
    return row


def refused(capsys, path, *said: str) -> str:
    """What ``registry count`` says refusing ``path``: one line, exit status 2, holding each of ``said``."""
    out, err = run(capsys, "count", path, code=2)
    assert err.count("\n") == 1 and all(s in err for s in said), err
    return err


def counted_whole(capsys, folder, model_type: str) -> dict:
    """``registry count``'s JSON row of a folder holding a language model's GGUF and its mmproj, after the checks
    every such folder passes: its checkpoint verifies clean and it was counted as the composite ``model_type``."""
    (row,) = run(capsys, "count", folder, "-f", "json")
    assert row["checkpoint"]["identical"], row["checkpoint"]
    assert model_type in row["source"]
    return row


BUILDERS = {"gemma3": gemma3, "mistral3": mistral3, "qwen2_5_vl": qwen25_vl, "qwen2_vl": qwen2_vl, "qwen3_vl": qwen3_vl, "lfm2_vl": lfm2_vl, "idefics3": idefics3,
            "smolvlm": lambda tie=False: idefics3(tie, "smolvlm"), "internvl": internvl}
PAIRED = tuple(BUILDERS)


@pytest.mark.parametrize("model_type", BUILDERS)
def test_an_mmproj_counts_its_vision_tower_and_projector(model_type, tmp_path, capsys):
    model, config = BUILDERS[model_type]()
    parts = part_counts(model)
    path = tmp_path / "mmproj-tiny-f16.gguf"
    tensors = write_mmproj(model, config, path)
    row = counted_alone(capsys, path, tensors)
    assert row["total_params"] == parts["vision"] + parts["projector"]
    assert row["parts"] == {k: n for k, n in parts.items() if k != "text" and n}  # Qwen's merger is its vision tower's
    (vision,) = run(capsys, "count", path, "--part", "vision", "-f", "json")
    assert vision["total_params"] == parts["vision"]


@pytest.mark.parametrize("model_type", BUILDERS)
def test_every_mmproj_tensor_reads_as_its_checkpoint_name(model_type, tmp_path):
    """Each GGUF tensor under the name transformers gives it in the whole model (gguf-py's map, reversed); the
    [IMG_BREAK] row llama.cpp copies from the language model's embedding is no parameter of its own."""
    from registry.checkpoints import open_checkpoint
    from registry.sources.gguf_config import gguf_tensors_as_checkpoint

    model, config = BUILDERS[model_type]()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    renamed, skipped = gguf_tensors_as_checkpoint(open_checkpoint(path))
    expected = {n: p.numel() for n, p in model.named_parameters() if n.startswith(TOWERS)}
    assert {t.name: t.numel for t in renamed} == expected  # split tensors joined again, by count
    assert skipped == (["v.token_embd.img_break"] if model_type == "mistral3" else [])


@pytest.mark.parametrize("model_type", PAIRED)
@pytest.mark.parametrize("tie", [True, False])
def test_a_folder_with_its_mmproj_counts_the_whole_model(model_type, tie, tmp_path, capsys):
    model, config = BUILDERS[model_type](tie)
    parts = {k: n for k, n in part_counts(model).items() if n}  # Qwen2.5-VL: no projector apart from its tower
    tensors = write_text(config, tmp_path)
    tensors |= write_mmproj(model, config, tmp_path / "mmproj-model-f16.gguf")
    (row,) = run(capsys, "count", tmp_path, "-f", "json")
    assert row["total_params"] == sum(p.numel() for p in model.parameters())
    assert row["parts"] == parts
    assert row["checkpoint"]["identical"], row["checkpoint"]
    for part, count in parts.items():
        (one,) = run(capsys, "count", tmp_path, "--part", part, "-f", "json")
        assert one["total_params"] == count, part
    inspected = run(capsys, "inspect", tmp_path, "-f", "json")
    assert inspected["total_params"] == sum(math.prod(s) for s in tensors.values())


def test_an_mmproj_of_another_model_is_refused(tmp_path, capsys):
    from tests.gguf_files import Case as TextCase

    model, config = gemma3()
    write_case(TextCase("llama", "llama", "LlamaForCausalLM", {**TEXT, "tie_word_embeddings": False}),
               tmp_path / "llama.gguf")  # fmt: skip
    write_mmproj(model, config, tmp_path / "mmproj.gguf")
    out, err = run(capsys, "count", tmp_path, code=2)
    assert err.count("\n") == 1 and err.startswith("registry count: ")
    assert "mmproj.gguf (clip/gemma3)" in err and "llama.gguf" in err and "'llama'" in err


def test_an_unknown_projector_type_is_refused_naming_the_mapped_ones(tmp_path, capsys):
    model, config = gemma3()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path, projector_type="cogvlm")
    err = refused(capsys, path, "clip.projector_type: 'cogvlm' is not mapped")
    assert ("exaone4_5, gemma3, gemma4v, glm4v, granite_speech, idefics3, internvl, kimik25, lfm2, llama4, minicpmv4_6, "
            "minimax_m3, mlp, paddleocr, pixtral, qwen2.5vl_merger, qwen2a, qwen2vl_merger, qwen3vl_merger, voxtral") in err


def test_a_pixtral_projector_without_patch_merger_is_refused(tmp_path, capsys):
    """LLaVA over Pixtral (Pixtral-12B) is written with projector type pixtral too; registry's llava maps CLIP towers."""
    model, config = mistral3()
    path = tmp_path / "mmproj.gguf"
    tensors = write_mmproj(model, config, path)
    data = path.read_bytes().replace(b"mm.patch_merger", b"mm.patch_mergex")
    path.write_bytes(data)
    assert "mm.patch_merger.weight" in tensors
    refused(capsys, path, "mm.patch_merger.weight: missing")


def test_qwen3_vl_deepstack_flags_that_do_not_match_the_mergers_are_refused(tmp_path, capsys):
    """The deepstack blocks are read from clip.vision.is_deepstack_layers; the file's v.deepstack.<block> tensors
    must be those blocks' (else the mergers would be renumbered wrongly)."""
    model, config = qwen3_vl()
    path = tmp_path / "mmproj.gguf"
    write_mmproj(model, config, path)
    path.write_bytes(path.read_bytes().replace(b"v.deepstack.1.", b"v.deepstack.0."))  # the flags still say 1, 2
    refused(capsys, path, "clip.vision.is_deepstack_layers: says blocks [1, 2]", "[0, 2]")
