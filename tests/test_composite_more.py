"""More composite (vision-language) model types and their towers, whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class (``<X>ForConditionalGeneration``,
or the tower's own ``<X>VisionModel``) on the meta device, as in tests/test_composite.py: the
total is ``sum(p.numel() for p in model.parameters())``, the tensor names and shapes are
``named_parameters()``'s, and each part (``--part``) is the parameters under the modules
transformers gives it (:data:`PLACES`, from ``modeling_<type>.py``). Published configs in
``tests/configs`` by both routes (count config.json; import-hf then count); random small
configs (transformers' configuration of shrunk sub-configs, as ``to_dict()`` writes it).
"""

from __future__ import annotations

import json
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.composite_reference import alone_both_routes, check, check_both_routes, composite_data, published_folders, reference_names, small_text
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
_LLAVA_PLACES = {"vision": ("model.vision_tower.",), "projector": ("model.multi_modal_projector.",),
                 "text": ("model.language_model.", "lm_head.")}  # fmt: skip
#: Where transformers 5.25 keeps each part of each type (attributes of ``<X>ForConditionalGeneration``).
_IDEFICS3_PLACES = {"vision": ("model.vision_model.",), "projector": ("model.connector.",),
                    "text": ("model.text_model.", "lm_head.")}  # fmt: skip
PLACES = {"lfm2_vl": _LLAVA_PLACES, "exaone4_5": {"vision": ("model.visual.",), "text": ("model.language_model.", "lm_head.")},
          "idefics3": _IDEFICS3_PLACES, "smolvlm": _IDEFICS3_PLACES, "internvl": _LLAVA_PLACES}  # fmt: skip
#: The class of each type (transformers' ``MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES``).
CLASSES = {"lfm2_vl": "Lfm2VlForConditionalGeneration", "exaone4_5": "Exaone4_5_ForConditionalGeneration",
           "idefics3": "Idefics3ForConditionalGeneration", "smolvlm": "SmolVLMForConditionalGeneration",
           "internvl": "InternVLForConditionalGeneration"}  # fmt: skip
COMPOSITE_TYPES = tuple(CLASSES)
FOLDERS = published_folders(COMPOSITE_TYPES)


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(COMPOSITE_TYPES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    check_both_routes(path, PLACES[json.loads(path.read_text())["model_type"]], tmp_path)
    capsys.readouterr()


def _text(rng: random.Random, model_type: str) -> dict:
    heads = rng.choice((2, 4))
    width = heads * rng.choice((8, 16))
    text = {"model_type": model_type, **small_text(rng, heads, width)}
    if model_type == "lfm2":
        text["layer_types"] = [rng.choice(("conv", "full_attention")) for _ in range(text["num_hidden_layers"])]
    else:
        text["head_dim"] = width // heads
    return text


def _vision(rng: random.Random, model_type: str) -> dict:
    heads = rng.choice((2, 4))
    vision = {"model_type": model_type, "hidden_size": 8 * heads, "intermediate_size": rng.choice((20, 36)),
              "num_hidden_layers": rng.choice((1, 3)), "num_attention_heads": heads}  # fmt: skip
    if model_type == "siglip2_vision_model":
        vision |= {"num_patches": rng.choice((16, 20)), "patch_size": rng.choice((4, 8)),
                   "vision_use_head": rng.choice((True, False))}  # fmt: skip
    elif model_type in ("idefics3_vision", "smolvlm_vision"):
        vision |= {"image_size": rng.choice((16, 24)), "patch_size": rng.choice((4, 8))}
    elif model_type == "internvl_vision":
        vision |= {"image_size": rng.choice((16, [16, 24])), "patch_size": rng.choice((4, [4, 8])),
                   "attention_bias": rng.choice((True, False)), "use_qk_norm": rng.choice((True, False)),
                   "norm_type": rng.choice(("layer_norm", "rms_norm")), "use_mean_pooling": rng.choice((True, False)),
                   "use_mask_token": rng.choice((True, False)),
                   "use_absolute_position_embeddings": rng.choice((True, False))}  # fmt: skip
    elif model_type == "exaone4_5_vision":
        vision |= {"depth": vision.pop("num_hidden_layers"), "num_heads": vision.pop("num_attention_heads"),
                   "num_key_value_heads": rng.choice((1, heads)), "out_hidden_size": rng.choice((24, 40)),
                   "patch_size": rng.choice((2, 4)), "spatial_merge_size": rng.choice((1, 2))}  # fmt: skip
    return vision


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of it from shrunk sub-configs
    and random top-level switches, as ``to_dict()`` writes it."""
    rng = random.Random(seed)
    top: dict = {}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    if model_type == "lfm2_vl":
        text, vision = _text(rng, "lfm2"), _vision(rng, "siglip2_vision_model")
        top |= {"downsample_factor": rng.choice((1, 2, 3)), "projector_hidden_size": rng.choice((24, 40)),
                "projector_bias": rng.choice((True, False)), "projector_use_layernorm": rng.choice((True, False))}  # fmt: skip
    elif model_type == "exaone4_5":
        text, vision = _text(rng, "exaone4"), _vision(rng, "exaone4_5_vision")
        text |= {"sliding_window": 8, "sliding_window_pattern": rng.choice((2, 4))}
    elif model_type == "internvl":
        text, vision = _text(rng, rng.choice(("qwen2", "llama", "qwen3"))), _vision(rng, "internvl_vision")
        top["downsample_ratio"] = rng.choice((0.5, 1.0, 0.25))
    elif model_type in ("idefics3", "smolvlm"):
        text, vision = _text(rng, rng.choice(("llama", "qwen2", "mistral"))), _vision(rng, f"{model_type}_vision")
        top["scale_factor"] = rng.choice((1, 2))
    return composite_data(model_type, CLASSES[model_type], text=text, vision=vision, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(6))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data = _small(seed, model_type)
    if seed % 2:  # the top level's tie left to the configuration's default
        del data["tie_word_embeddings"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference_names(data), PLACES[model_type])
    capsys.readouterr()


def test_lfm2_vl_tie_embedding_stands_for_tie_word_embeddings(tmp_path):
    """Reference: ``Lfm2VlConfig.__post_init__`` pops ``tie_embedding`` into ``tie_word_embeddings``."""
    data = _small(0, "lfm2_vl")
    data["tie_word_embeddings"] = True  # overridden by tie_embedding
    data["tie_embedding"] = False
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    assert not any("tie_word_embeddings" in line for line in model.warnings), model.warnings
    reference = reference_names(data)
    assert "lm_head.weight" in reference
    check(model, reference, PLACES["lfm2_vl"])


#: The towers mapped as types of their own: (type, class, a small config of it).
TOWERS = [
    ("siglip2_vision_model", "Siglip2VisionModel",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "num_patches": 20,
      "patch_size": 4, "num_channels": 2}),
    ("idefics3_vision", "Idefics3VisionTransformer",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": 24,
      "patch_size": 4, "num_channels": 2}),
    ("smolvlm_vision", "SmolVLMVisionTransformer",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 1, "num_attention_heads": 2, "image_size": 20,
      "patch_size": 5}),
    ("internvl_vision", "InternVLVisionModel",
     {"hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "image_size": [24, 16],
      "patch_size": 4, "use_qk_norm": True, "norm_type": "rms_norm", "use_mask_token": True}),
    ("exaone4_5_vision", "Exaone4_5_VisionModel",
     {"hidden_size": 32, "intermediate_size": 40, "depth": 2, "num_heads": 4, "num_key_value_heads": 2,
      "out_hidden_size": 24, "patch_size": 4, "in_channels": 2, "spatial_merge_size": 2}),
]  # fmt: skip


@pytest.mark.parametrize(("model_type", "cls", "fields"), TOWERS)
@pytest.mark.parametrize("head", [True, False])
def test_towers_alone(model_type, cls, fields, head, tmp_path, capsys):
    transformers = quiet_transformers()
    if model_type == "exaone4_5_vision":  # no head: the switch is the grouped-query attention instead
        fields = {**fields, "num_key_value_heads": 2 if head else 4}
    elif model_type == "internvl_vision":  # no head: the switch is the final norm
        fields = {**fields, "use_mean_pooling": not head}
    elif model_type in ("idefics3_vision", "smolvlm_vision"):  # no head: the switch is the patch size
        fields = {**fields, "patch_size": fields["patch_size"] * (2 if head else 1)}
    else:
        fields = {**fields, "vision_use_head": head}
    alone_both_routes({**transformers.CONFIG_MAPPING[model_type](**fields).to_dict(), "architectures": [cls]}, tmp_path)
    capsys.readouterr()


def test_a_bad_projector_field_is_named(tmp_path, capsys):
    data = json.loads((CONFIGS / "lfm2.5-vl-1.6b" / "config.json").read_text())
    for field, value, message in (("downsample_factor", 0, "downsample_factor: must be >= 1 (got 0)"),
                                  ("projector_hidden_size", "8", "projector_hidden_size: must be a whole number"),
                                  ("vision_config", {**data["vision_config"], "num_patches": 0}, "vision_config.num_patches")):  # fmt: skip
        path = tmp_path / "config.json"
        path.write_text(json.dumps({**data, field: value}))
        assert main(["count", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err, err
    data = json.loads((CONFIGS / "internvl-transformers-defaults" / "config.json").read_text())
    for field, value, message in (("downsample_ratio", 2, "downsample_ratio: must be a number in (0, 1] (got 2)"),
                                  ("vision_config", {**data["vision_config"], "norm_type": "batch_norm"},
                                   "vision_config.norm_type: 'batch_norm' is not supported"),
                                  ("vision_config", {**data["vision_config"], "image_size": [448]},
                                   "vision_config.image_size: must be a whole number >= 1 or a list")):  # fmt: skip
        path = tmp_path / "config.json"
        path.write_text(json.dumps({**data, field: value}))
        assert main(["count", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err, err


@pytest.mark.parametrize(("folder", "field", "value", "message"), [
    ("lfm2.5-vl-1.6b", "factor", 0, "factor: "),
    ("internvl-transformers-defaults", "d_hidden", 64, "d_hidden: the internvl layout has no such part"),
    ("internvl-transformers-defaults", "layer_norm", True, "layer_norm: the internvl layout has no such part"),
    ("smolvlm2-500m-video-instruct", "bias", False, "bias: the idefics3 layout has no such part"),
    ("lfm2.5-vl-1.6b", "merge", 2, "merge: the lfm2_vl layout has no patch merger"),
    ("lfm2.5-vl-1.6b", "pool", 2, "pool: the lfm2_vl layout has no such part"),
])  # fmt: skip
def test_a_projector_switch_its_layout_lacks_is_refused(folder, field, value, message, tmp_path, capsys):
    """An imported spec's projector given a part its layout has not: one line naming the part and the field."""
    import tomllib

    from registry.output.toml_writer import dumps

    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(CONFIGS / folder / "config.json"), "-o", str(spec)]) == 0
    data = tomllib.loads(spec.read_text())
    (projector,) = [p for p in data["params"]["parts"] if p["part"] == "projector"]
    projector["params"][field] = value
    path = tmp_path / "bad.toml"
    path.write_text(dumps({k: v for k, v in data.items() if k != "params"}, {"params": data["params"]}))
    capsys.readouterr()
    assert main(["count", str(path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"params.parts: part 'projector' (projector): {message}" in line, line
