"""The composites of plugins/vlm_types_2026c.py (aria, deepseek_vl, deepseek_vl_hybrid, fuyu,
got_ocr2, janus, minicpmv4_6, ovis2, video_llama_3; and aria_text, got_ocr2_vision, janus_vision_model, janus_vqgan,
minicpmv4_6_vision, ovis2_vision, sam_vision_model, video_llama_3_vision), whole and part by part,
against transformers.

Reference: transformers 5.25's model of the config's class on the meta device, as in tests/test_composite.py
(tests/composite_reference.py): the total is ``sum(p.numel() for p in model.parameters())``, the tensor names and
shapes are ``named_parameters()``'s, each part (``--part``) the parameters under the modules transformers gives it
(:data:`PLACES`, from ``modeling_<type>.py``); Aria's active count the total less ``(moe_num_experts - moe_topk) /
moe_num_experts`` of its routed experts (``AriaTextMoELayer`` runs ``moe_topk`` of them a token). Published configs in
``tests/configs`` by both routes (count config.json; import-hf then count) and each part alone by ``registry count
--part``; random small configs (transformers' configuration of shrunk sub-configs, as ``to_dict()`` writes it); the
refusals name the field.
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from tests._hf_configs import quiet_transformers
from tests.composite_reference import Reference, composite_data, data_both_routes, parts_by_command, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
_TEXT = ("model.language_model.", "lm_head.")
#: Where transformers 5.25 keeps each part of each type (attributes of the class).
PLACES = {
    "aria": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",), "text": _TEXT},
    "deepseek_vl": {"vision": ("model.vision_model.",), "projector": ("model.aligner.",), "text": _TEXT},
    "deepseek_vl_hybrid": {"high_res": ("model.high_res_vision_model.",), "vision": ("model.vision_model.",),
                           "projector": ("model.high_res_vision_neck.", "model.high_res_vision_proj.",
                                         "model.high_res_vision_alpha", "model.aligner."), "text": _TEXT},
    "got_ocr2": {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",), "text": _TEXT},
    "janus": {"vision": ("model.vision_model.",), "vq": ("model.vqmodel.",),
              "projector": ("model.aligner.", "model.generation_"), "text": _TEXT},
    "minicpmv4_6": {"vision": ("model.vision_tower.",), "projector": ("model.merger.",), "text": _TEXT},
    "fuyu": {"projector": ("model.vision_embed_tokens.",), "text": _TEXT},
    "ovis2": {"vision": ("model.vision_tower.",), "projector": ("model.visual_embeddings_table.",), "text": _TEXT},
    "video_llama_3": {"vision": ("model.vision_model.",), "projector": ("model.projector.",), "text": _TEXT},
}  # fmt: skip
CLASSES = {"aria": "AriaForConditionalGeneration", "deepseek_vl": "DeepseekVLForConditionalGeneration",
           "deepseek_vl_hybrid": "DeepseekVLHybridForConditionalGeneration",
           "got_ocr2": "GotOcr2ForConditionalGeneration", "fuyu": "FuyuForCausalLM",
           "janus": "JanusForConditionalGeneration", "minicpmv4_6": "MiniCPMV4_6ForConditionalGeneration", "ovis2": "Ovis2ForConditionalGeneration",
           "video_llama_3": "VideoLlama3ForConditionalGeneration"}  # fmt: skip
COMPOSITE_TYPES = tuple(CLASSES)
FOLDERS = published_folders(COMPOSITE_TYPES)
ARIA = CONFIGS / "aria" / "config.json"
DEEPSEEK_VL = CONFIGS / "deepseek-vl-1.3b-chat" / "config.json"
FUYU = CONFIGS / "fuyu-8b" / "config.json"
GOT_OCR2 = CONFIGS / "got-ocr-2.0-hf" / "config.json"
JANUS = CONFIGS / "janus-pro-1b" / "config.json"
MINICPMV = CONFIGS / "minicpm-v-4.6" / "config.json"
DEEPSEEK_VL_7B = CONFIGS / "deepseek-vl-7b-chat" / "config.json"
OVIS2 = CONFIGS / "ovis2-1b-hf" / "config.json"
VIDEO_LLAMA_3 = CONFIGS / "videollama3-2b-image-hf" / "config.json"


def _active(reference: Reference) -> int:
    """The total less the routed experts a token does not reach (Aria's ``moe_topk`` of ``moe_num_experts``)."""
    text = reference.config.text_config if reference.config.model_type == "aria" else None
    if text is None:
        return reference.total
    routed = sum(math.prod(s) for n, s in reference.names.items() if ".experts." in n)
    return reference.total - routed * (text.moe_num_experts - text.moe_topk) // text.moe_num_experts


def _check_data(data: dict, tmp_path) -> None:
    """``data`` against transformers' model of it, by both routes, whole, by part and active (:func:`_active`)."""
    data_both_routes(data, PLACES[data["model_type"]], tmp_path, active=_active)


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(COMPOSITE_TYPES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    data = json.loads(path.read_text())
    _check_data(data, tmp_path)
    parts_by_command((path, tmp_path / "imported.toml"), Reference(data).names, PLACES[data["model_type"]], capsys)


def test_aria_active_count():
    """Reference: Aria (rhymes-ai/Aria) routes 6 of 64 experts a token; its shared experts, attention, router and
    towers always run: the active count is the total less 58/64 of the routed experts' parameters."""
    reference = Reference(json.loads(ARIA.read_text()))
    (model,) = registry.load(ARIA)
    report = registry.count(model)
    assert report.total_params == reference.total
    assert report.active_params == _active(reference) < reference.total


def test_fuyu_reads_its_text_config_not_the_top_level(tmp_path):
    """Reference: ``FuyuConfig.__post_init__`` takes the top level's Persimmon fields only when the file gives no
    ``text_config``; the published Fuyu-8B names one (``{"model_type": "persimmon"}``), so a top-level size changes
    nothing in transformers' model, and nothing in registry's."""
    data = json.loads(FUYU.read_text()) | {"num_hidden_layers": 2}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    assert registry.count(model).total_params == Reference(data).total == Reference(json.loads(FUYU.read_text())).total


def test_janus_reads_a_siglip_vision_config_as_its_own(tmp_path):
    """Reference: ``JanusConfig`` builds its ``vision_config`` as a ``JanusVisionConfig`` whatever ``model_type`` it names
    (an early revision of Janus-Pro-1B's file gave ``{"model_type": "siglip_vision_model"}``: Janus's defaults)."""
    data = json.loads(JANUS.read_text()) | {"vision_config": {"model_type": "siglip_vision_model"}}
    _check_data(data, tmp_path)


def _text(rng: random.Random, heads: int, width: int, model_type: str) -> dict:
    text = {"model_type": model_type, "hidden_size": width, "intermediate_size": rng.choice((24, 40)),
            "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "vocab_size": rng.choice((97, 128))}  # fmt: skip
    if model_type != "persimmon":
        text |= {"num_key_value_heads": rng.choice((1, heads)), "tie_word_embeddings": rng.choice((True, False))}
    if model_type == "persimmon":
        text["qk_layernorm"] = rng.choice((True, False))
    elif model_type == "aria_text":
        text |= {"moe_num_experts": rng.choice((2, 4)), "moe_topk": rng.choice((1, 2)),
                 "moe_num_shared_experts": rng.choice((1, 2)), "mlp_bias": rng.choice((True, False)),
                 "attention_bias": rng.choice((True, False))}  # fmt: skip
    return text


def _sam(rng: random.Random, heads: int, model_type: str) -> dict:
    """A small SAM image encoder's config: windows of 0 to 2 patches, some global layers, positions or not."""
    layers = rng.choice((1, 3))
    sam = {"model_type": model_type, "hidden_size": 8 * heads, "num_hidden_layers": layers, "num_attention_heads": heads,
           "image_size": 32, "patch_size": rng.choice((4, 8)), "output_channels": rng.choice((6, 8)),
           "window_size": rng.choice((0, 2, 3)), "global_attn_indexes": rng.sample(range(layers), rng.choice((1, layers))),
           "use_abs_pos": rng.choice((True, False)), "use_rel_pos": rng.choice((True, False)),
           "qkv_bias": rng.choice((True, False)), "mlp_dim": rng.choice((12, 20))}  # fmt: skip
    if model_type == "sam_vision_model" and rng.random() < 0.5:
        sam |= {"mlp_dim": None, "mlp_ratio": rng.choice((2.0, 2.5))}
    return sam


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of it from shrunk sub-configs and random
    top-level fields, as ``to_dict()`` writes it (Fuyu's, half the time, flat: the text fields at the top level)."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    vision = {"model_type": "siglip_vision_model", "hidden_size": 16 * heads, "intermediate_size": rng.choice((20, 36)),
              "num_hidden_layers": rng.choice((1, 3)), "num_attention_heads": heads, "image_size": 28,
              "patch_size": rng.choice((7, 14))}  # fmt: skip
    top: dict = {}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    if model_type == "fuyu":
        text = _text(rng, heads, width, "persimmon")
        top |= {"patch_size": rng.choice((2, 3)), "num_channels": rng.choice((1, 3))}
        if seed % 2:  # flat, as a Hub file without text_config (FuyuConfig.__post_init__ takes these fields)
            data = {**{k: v for k, v in text.items() if k != "model_type"}, **top, "model_type": "fuyu"}
        else:
            data = quiet_transformers().FuyuConfig(text_config=text, **top).to_dict()
        return data | {"architectures": [CLASSES["fuyu"]]}
    if model_type == "ovis2":
        vision = {k: v for k, v in vision.items() if k != "model_type"}
        vision |= {"vocab_size": rng.choice((11, 30)), "num_visual_indicator_tokens": rng.choice((0, 5)),
                   "hidden_stride": rng.choice((1, 2)), "qkv_bias": rng.choice((True, False)),
                   "mlp_bias": rng.choice((True, False))}  # fmt: skip
        text = _text(rng, heads, width, rng.choice(("llama", "qwen2")))
        data = composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)
        return data | {"hidden_size": width, "vocab_size": text["vocab_size"]}
    if model_type == "minicpmv4_6":
        text = _text(rng, heads, width, rng.choice(("llama", "qwen2")))
        vision |= {"model_type": "minicpmv4_6_vision", "window_kernel_size": rng.choice(([2, 2], [1, 2]))}
        top |= {"merger_times": rng.choice((1, 2, 3))}
        return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)
    if model_type == "janus":
        text = _text(rng, heads, width, rng.choice(("llama", "qwen2")))
        vision = {k: v for k, v in vision.items() if k != "model_type"}
        vision |= {"mlp_ratio": rng.choice((2.0, 2.5)), "attention_bias": rng.choice((True, False)),
                   "use_qk_norm": rng.choice((True, False)), "projection_dim": rng.choice((12, width)),
                   "depth": rng.choice((1, 2, 3))}  # fmt: skip
        vq = {"base_channels": 32, "channel_multiplier": rng.choice(([1, 2], [1, 1, 2])), "num_res_blocks": rng.choice((1, 2)),
              "latent_channels": rng.choice((8, 12)), "embed_dim": 4, "num_embeddings": rng.choice((16, 24)),
              "projection_dim": rng.choice((10, 14)), "num_hidden_layers": rng.choice((1, 2)), "image_token_embed_dim": width,
              "double_latent": rng.choice((True, False)), "out_channels": rng.choice((1, 3))}  # fmt: skip
        return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, vq_config=vq, **top)
    if model_type == "got_ocr2":
        text = _text(rng, heads, width, rng.choice(("llama", "qwen2")))
        return composite_data(model_type, CLASSES[model_type], text=text, vision=_sam(rng, heads, ""), **top)
    if model_type == "deepseek_vl_hybrid":
        text = _text(rng, heads, width, rng.choice(("llama", "qwen2")))
        high = _sam(rng, heads, "sam_vision_model")
        return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, high_res_vision_config=high, **top)
    if model_type == "video_llama_3":
        vision = {k: v for k, v in vision.items() if k != "image_size"} | {"model_type": "video_llama_3_vision"}
        text = _text(rng, heads, width, rng.choice(("llama", "qwen2")))
        return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)
    if model_type == "aria":
        vision["model_type"] = "idefics3_vision"
        top["projector_patch_to_query_dict"] = {"4": rng.choice((2, 3)), "16": rng.choice((3, 5))}
        text = _text(rng, heads, width, "aria_text")
    else:
        text = _text(rng, heads, width, rng.choice(("llama", "mistral", "qwen2")))
        vision["vision_use_head"] = rng.choice((True, False))
    return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(6))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 3 == 2:  # the top level's tie left to the configuration's default
        data.pop("tie_word_embeddings", None)
    _check_data(data, tmp_path)
    capsys.readouterr()


@pytest.mark.parametrize(("path", "change", "message"), [
    (ARIA, {"projector_patch_to_query_dict": {"1225": "many"}}, "projector_patch_to_query_dict: must map patch counts"),
    (ARIA, {"projector_patch_to_query_dict": {}}, "projector_patch_to_query_dict: must map patch counts"),
    (ARIA, {"text_config.moe_num_experts": 0}, "text_config.moe_num_experts: must be >= 1"),
    (ARIA, {"text_config.model_type": "llama"}, "text_config.model_type: 'llama' is not supported here"),
    (DEEPSEEK_VL, {"vision_config.model_type": "clip_vision_model"}, "vision_config.model_type: 'clip_vision_model' is not"),
    (DEEPSEEK_VL, {"vision_config.hidden_size": 0}, "vision_config.hidden_size: must be >= 1"),
    (GOT_OCR2, {"vision_config.window_size": -1}, "vision_config.window_size: must be >= 0"),
    (GOT_OCR2, {"vision_config.global_attn_indexes": "all"}, "vision_config.global_attn_indexes:"),
    (DEEPSEEK_VL_7B, {"high_res_vision_config.global_attn_indexes": []}, "high_res_vision_config.global_attn_indexes: must "
                                                                        "name at least one layer"),
    (DEEPSEEK_VL_7B, {"high_res_vision_config.mlp_dim": None, "high_res_vision_config.mlp_ratio": "4"},
     "high_res_vision_config.mlp_ratio: must be a number > 0"),
    (JANUS, {"vq_config.base_channels": 48}, "vq_config.base_channels: every level's channels must be a multiple of 32"),
    (JANUS, {"vq_config.projection_dim": 0}, "vq_config.projection_dim: must be >= 1 (got 0)"),
    (JANUS, {"vision_config.mlp_ratio": 0}, "vision_config.mlp_ratio: must be a number > 0"),
    (JANUS, {"vision_config.depth": "two"}, "vision_config.depth: must be a whole number"),
    (JANUS, {"vq_config.num_hidden_layers": -1}, "vq_config.num_hidden_layers: must be >= 0 (got -1)"),
    (MINICPMV, {"vision_config.window_kernel_size": [2]}, "vision_config.window_kernel_size: must be [height, width]"),
    (MINICPMV, {"merger_times": 0}, "merger_times: must be >= 1 (got 0)"),
    (FUYU, {"patch_size": 0}, "patch_size: must be >= 1"),
    (FUYU, {"text_config.model_type": "llama"}, "text_config.model_type: 'llama' is not supported here"),
    (VIDEO_LLAMA_3, {"vision_config.patch_size": [14, 14]}, "vision_config.patch_size: must be a whole number"),
    (VIDEO_LLAMA_3, {"vision_config.model_type": "siglip_vision_model"}, "vision_config.model_type: 'siglip_vision_model' is"),
    (OVIS2, {"hidden_size": 1024}, "hidden_size: 1024 differs from text_config.hidden_size (896)"),
    (OVIS2, {"vocab_size": 151643}, "vocab_size: 151643 differs from text_config.vocab_size (151936)"),
    (OVIS2, {"vision_config.num_visual_indicator_tokens": 65536}, "vision_config.num_visual_indicator_tokens: must be fewer"),
    (OVIS2, {"vision_config.model_type": "siglip_vision_model"}, "vision_config.model_type: 'siglip_vision_model' is not"),
])  # fmt: skip
def test_refusals(path, change, message, tmp_path, capsys):
    err = refusal(json.loads(path.read_text()), change, tmp_path, capsys)
    assert message in err, err
