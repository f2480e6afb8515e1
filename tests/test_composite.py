"""Composite (vision-language) model types, whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class (``<X>ForConditionalGeneration``) on
the meta device. For every published config of a composite type in ``tests/configs``, by both
routes (count config.json; import-hf then count):

* the total is ``sum(p.numel() for p in model.parameters())``, and the tensor names and shapes
  are ``named_parameters()``'s (a tied head is named, counted once, at the embedding);
* each part (``--part``) is the parameters under the modules transformers gives it
  (:data:`PLACES`, from ``modeling_<type>.py``), and the parts add up to the whole.

Random small configs of each type (transformers' configuration defaults, shrunk) are checked
the same way, and the refusals of a composite config name the sub-config's field.
"""

from __future__ import annotations

import json
import math

import pytest

import registry
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.composite_reference import check, composite_data, data_both_routes, published_folders, reference_names, small_text
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (attributes of ``<X>ForConditionalGeneration``).
PLACES = {
    "vision": ("model.vision_tower.",),
    "projector": ("model.multi_modal_projector.", "model.image_newline"),
    "text": ("model.language_model.", "lm_head."),
}
COMPOSITE_TYPES = ("aya_vision", "gemma3", "llava", "llava_next", "mistral3", "paligemma")
#: The class of each type (transformers' ``MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES``).
CLASSES = {"aya_vision": "AyaVisionForConditionalGeneration", "gemma3": "Gemma3ForConditionalGeneration", "llava": "LlavaForConditionalGeneration",
           "llava_next": "LlavaNextForConditionalGeneration", "mistral3": "Mistral3ForConditionalGeneration",
           "paligemma": "PaliGemmaForConditionalGeneration"}  # fmt: skip
FOLDERS = published_folders(COMPOSITE_TYPES)


def _check(model, reference: dict) -> None:
    check(model, reference, PLACES)


def test_published_composites_exist():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} >= {"gemma3", "llava"}


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_composite_whole_and_by_part(folder, tmp_path, capsys):
    data_both_routes(json.loads((CONFIGS / folder / "config.json").read_text()), PLACES, tmp_path, fused=True)
    capsys.readouterr()


def test_part_option_of_the_commands(capsys):
    path = str(CONFIGS / "llava-1.5-7b-hf" / "config.json")
    (model,) = registry.load(path)
    parts = registry.count(model).parts
    assert main(["count", path, "--part", "text", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["total_params"] == parts["text"]
    assert main(["memory", path, "--part", "vision"]) == 0
    capsys.readouterr()
    assert main(["count", path, "--part", "audio"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("has no part 'audio': its parts are vision, projector, text"), err
    assert main(["count", "gpt2", "--part", "text"]) == 2
    assert "it is not a composite model (it has no parts)" in capsys.readouterr().err


def test_a_bad_sub_config_field_is_named(tmp_path, capsys):
    data = json.loads((CONFIGS / "gemma-3-27b-it" / "config.json").read_text())
    data["text_config"]["num_hidden_layers"] = 0
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    assert "text_config.num_hidden_layers: must be >= 1 (got 0)" in capsys.readouterr().err
    data["text_config"]["num_hidden_layers"] = 2
    data["vision_config"]["model_type"] = "clip_vision_model"
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    assert "vision_config.model_type: 'clip_vision_model' is not supported here" in capsys.readouterr().err
    data["vision_config"] = {**data["vision_config"], "model_type": "siglip_vision_model", "not_a_field": 1}
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 0
    assert "vision_config.not_a_field (--strict refuses them)" in capsys.readouterr().err
    assert main(["count", "--strict", str(path)]) == 2
    assert "vision_config.not_a_field: not a field of transformers' configuration" in capsys.readouterr().err
    del data["vision_config"]
    path.write_text(json.dumps(data, indent=2))
    assert main(["count", str(path)]) == 2
    assert "vision_config: missing" in capsys.readouterr().err


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of it from shrunk sub-configs
    and random top-level switches, as ``to_dict()`` writes it."""
    import random

    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    text = small_text(rng, heads, width) | {"head_dim": width // heads}
    vision = {"hidden_size": 16 * heads, "intermediate_size": rng.choice((20, 36)), "num_hidden_layers": rng.choice((1, 3)),
              "num_attention_heads": heads, "image_size": 28, "patch_size": rng.choice((7, 14))}  # fmt: skip
    top: dict = {}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    if model_type == "gemma3":
        text |= {"model_type": "gemma3_text", "sliding_window": 8}
        vision |= {"model_type": "siglip_vision_model", "vision_use_head": rng.choice((True, False))}
        top["mm_tokens_per_image"] = 4
    elif model_type in ("llava", "llava_next"):
        text["model_type"] = rng.choice(("llama", "mistral", "qwen2"))
        vision["model_type"] = "clip_vision_model"
        top |= {"vision_feature_layer": rng.choice((-2, [-1, -2])), "multimodal_projector_bias": rng.choice((True, False))}
    elif model_type == "mistral3":
        text["model_type"] = rng.choice(("mistral", "ministral3"))
        vision |= {"model_type": "pixtral", "head_dim": 16}
        top |= {"spatial_merge_size": rng.choice((1, 2)), "multimodal_projector_bias": rng.choice((True, False))}
    elif model_type == "aya_vision":
        text |= {"model_type": "llama" if rng.random() < 0.3 else "cohere2", "sliding_window": 8}
        vision |= {"model_type": "siglip_vision_model", "vision_use_head": rng.choice((True, False))}
        top |= {"downsample_factor": rng.choice((1, 2)), "alignment_intermediate_size": rng.choice((None, 24, 37))}
        if top["alignment_intermediate_size"] is None:  # the projector's getattr falls back on the text width
            del top["alignment_intermediate_size"]
    elif model_type == "paligemma":
        text["model_type"] = "gemma"
        vision |= {"model_type": "siglip_vision_model", "vision_use_head": rng.choice((True, False))}
        top["projection_dim"] = rng.choice((24, width))
    return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(6))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 2:  # the top level's tie left to the configuration's default (and LLaVA's forwarding of the text's)
        del data["tie_word_embeddings"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    _check(model, reference_names(data))
    capsys.readouterr()


def test_mistral_small_spec_is_its_config_with_the_head_untied():
    """Reference: transformers' model of the cited config with ``tie_word_embeddings`` false (the
    config leaves it out, and Mistral3Config's default ties the head that the checkpoint holds apart)."""
    data = json.loads((CONFIGS / "mistral-small-3.1-24b-instruct-2503" / "config.json").read_text())
    assert "tie_word_embeddings" not in data
    reference = reference_names({**data, "tie_word_embeddings": False})
    (model,) = registry.load(ROOT / "specs" / "mistral-small-3.1-24b-instruct.toml")
    _check(model, reference)
    (tied,) = registry.load(CONFIGS / "mistral-small-3.1-24b-instruct-2503" / "config.json")
    assert any("tie_word_embeddings: not given" in line for line in tied.warnings)
    _check(tied, reference_names(data))


def test_a_moe_language_model_keeps_its_active_count(tmp_path):
    """Reference: transformers' LLaVA over a Mixtral language model; active = total less the routed experts'
    unused ``(n - top_k) / n`` share (tests/_hf_configs.reference_counts' rule)."""
    transformers = quiet_transformers()
    text = {"model_type": "mixtral", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "num_local_experts": 4,
            "num_experts_per_tok": 2}  # fmt: skip
    vision = {"model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 1,
              "num_attention_heads": 4, "image_size": 28, "patch_size": 14}  # fmt: skip
    data = transformers.LlavaConfig(text_config=text, vision_config=vision).to_dict()
    data["architectures"] = [CLASSES["llava"]]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    reference = reference_names(data)  # experts fused in transformers 5 (gate_up_proj): totals compared, not names
    (model,) = registry.load(path)
    routed = sum(math.prod(s) for n, s in reference.items() if ".experts." in n)
    report = registry.count(model)
    assert report.total_params == sum(math.prod(s) for s in reference.values())
    assert report.active_params == report.total_params - routed * (4 - 2) // 4
    assert report.parts_active["text"] == report.parts["text"] - routed * (4 - 2) // 4
    assert report.parts_active["vision"] == report.parts["vision"]


@pytest.mark.parametrize("model_type", ["gemma3", "llava_next", "mistral3"])
def test_verify_reads_transformers_4_checkpoint_names(model_type, tmp_path, capsys):
    """Reference: transformers 5.25's ``conversion_mapping.py`` ("llava" renames; CLIP's and SigLIP's
    ``vision_model`` prefix dropped): a checkpoint saved by transformers 4 names the parts
    ``vision_tower.vision_model.*`` (Pixtral: ``vision_tower.*``), ``multi_modal_projector.*``,
    ``image_newline``, ``language_model.model.*`` and ``language_model.lm_head.*``."""
    from tests.safetensors_files import write_header

    data = _small(1, model_type)
    data["tie_word_embeddings"] = False
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    reference = reference_names(data)
    old = {}
    vision_model = "" if model_type == "mistral3" else "vision_model."
    for name, shape in reference.items():
        name = name.replace("model.vision_tower.", f"vision_tower.{vision_model}", 1)
        name = name.replace("model.multi_modal_projector.", "multi_modal_projector.", 1)
        name = name.replace("model.image_newline", "image_newline", 1)
        name = name.replace("model.language_model.", "language_model.model.", 1)
        name = name.replace("lm_head.", "language_model.lm_head.", 1) if name.startswith("lm_head.") else name
        old[name] = ("BF16", shape)
    checkpoint = write_header(tmp_path / "model.safetensors", old)
    assert main(["verify", str(path), str(checkpoint)]) == 0, capsys.readouterr()
    capsys.readouterr()


@pytest.mark.parametrize(("field", "value"), [("d_in", True), ("d_out", "8"), ("bias", 1), ("merge", 2.0)])
def test_type_confusion_in_a_part(field, value, tmp_path, capsys):
    """A part's hyper-parameter of the wrong type (the projector's here) is one line naming the part and the field."""
    import tomllib

    from registry.output.toml_writer import dumps

    spec = tomllib.loads((ROOT / "specs" / "mistral-small-3.1-24b-instruct.toml").read_text())
    (projector,) = [p for p in spec["params"]["parts"] if p["part"] == "projector"]
    projector["params"][field] = value
    path = tmp_path / "bad.toml"
    path.write_text(dumps({k: v for k, v in spec.items() if k != "params"}, {"params": spec["params"]}))
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"params.parts: part 'projector' (projector): {field}: " in line, line
