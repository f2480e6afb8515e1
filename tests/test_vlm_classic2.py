"""The composites of plugins/vlm_types_classic2.py (kosmos-2.5, glm_image, pix2struct; and their towers
kosmos_2_5_text_model, kosmos_2_5_vision_model, glm_image_text, glm_image_vision, glm_image_vqmodel,
pix2struct_text_model, pix2struct_vision_model), whole and part by part, against transformers.

Reference: transformers 5.25's model of the config's class on the meta device, as in tests/test_composite.py
(tests/composite_reference.py): the total is ``sum(p.numel() for p in model.parameters())`` (a tied head counted
once), the tensor names and shapes are ``named_parameters()``'s, each part (``--part``) the parameters under the
modules transformers gives it (:data:`PLACES`, from ``modeling_<type>.py``). Published configs in ``tests/configs`` by
both routes (count config.json; import-hf then count) and each part alone by ``registry count --part``; random small
configs (transformers' configuration of shrunk sub-configs, as ``to_dict()`` writes it), the towers alone; the
refusals name the field.
"""

from __future__ import annotations

import json
import math
import random

import pytest

import registry
from registry.cli import main
from tests._hf_configs import quiet_transformers
from tests.composite_reference import Reference, composite_data, data_both_routes, ours, parts_by_command, published_folders, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part of each type (attributes of the class).
PLACES = {
    "kosmos-2.5": {"text": ("text_model.",), "vision": ("vision_model.",), "projector": ("image_to_text_projection.",)},
    "glm_image": {"vision": ("model.visual.",), "text": ("model.language_model.",), "vq": ("model.vqmodel.",),
                  "head": ("lm_head.",)},
    "pix2struct": {"vision": ("encoder.",), "text": ("decoder.",)},
}  # fmt: skip
CLASSES = {"kosmos-2.5": ("Kosmos2_5ForConditionalGeneration", "Kosmos2_5Model"),
           "glm_image": ("GlmImageForConditionalGeneration",), "pix2struct": ("Pix2StructForConditionalGeneration",)}
COMPOSITE_TYPES = tuple(CLASSES)
FOLDERS = published_folders(COMPOSITE_TYPES)
KOSMOS_2_5 = CONFIGS / "kosmos-2.5" / "config.json"
GLM_IMAGE = CONFIGS / "glm-image" / "config.json"
PIX2STRUCT = CONFIGS / "pix2struct-docvqa-base" / "config.json"


def test_every_type_has_a_published_config():
    assert {json.loads((CONFIGS / f / "config.json").read_text())["model_type"] for f in FOLDERS} == set(COMPOSITE_TYPES)


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    data = json.loads(path.read_text())
    data_both_routes(data, PLACES[data["model_type"]], tmp_path)
    parts_by_command((path, tmp_path / "imported.toml"), Reference(data).names, PLACES[data["model_type"]], capsys)


def test_kosmos_2_5_ties_as_its_text_config_says(tmp_path):
    """Reference: ``Kosmos2_5TextForCausalLM._tied_weights_keys`` ties ``lm_head`` to the token table as the text
    config's ``tie_word_embeddings`` says; the top level's changes nothing in transformers' model."""
    data = json.loads(KOSMOS_2_5.read_text())
    data["tie_word_embeddings"] = False
    data_both_routes(data, PLACES[data["model_type"]], tmp_path)
    data["text_config"]["tie_word_embeddings"] = False
    data_both_routes(data, PLACES[data["model_type"]], tmp_path)


def _small(seed: int, model_type: str) -> dict:
    """A small random config of ``model_type``: transformers' configuration of shrunk sub-configs, as ``to_dict()``
    writes it."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    if model_type == "glm_image":
        text = {"hidden_size": heads * rng.choice((4, 8)), "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads,
                "num_key_value_heads": rng.choice((1, heads)), "intermediate_size": rng.choice((12, 20)),
                "vocab_size": rng.choice((97, 128)), "vision_vocab_size": rng.choice((19, 40)),
                "attention_bias": rng.choice((True, False)), "pad_token_id": 0}  # fmt: skip
        vision = {"hidden_size": rng.choice((16, 24)), "depth": rng.choice((1, 2)), "num_heads": rng.choice((2, 4)),
                  "intermediate_size": rng.choice((20, 36)), "image_size": rng.choice((16, 24)), "patch_size": rng.choice((4, 8)),
                  "in_channels": rng.choice((1, 3)), "attention_bias": rng.choice((True, False))}  # fmt: skip
        vq = {"embed_dim": rng.choice((8, 12)), "num_embeddings": rng.choice((10, 33)), "latent_channels": rng.choice((16, 24))}
        return composite_data(model_type, rng.choice(CLASSES[model_type]), text=text, vision=vision, vq_config=vq)
    if model_type == "pix2struct":
        d_kv = rng.choice((4, 8))
        text = {"hidden_size": heads * d_kv, "d_kv": d_kv, "num_layers": rng.choice((1, 3)), "num_heads": heads,
                "d_ff": rng.choice((12, 20)), "vocab_size": rng.choice((97, 128)),
                "relative_attention_num_buckets": rng.choice((8, 32))}  # fmt: skip
        vision = {"hidden_size": rng.choice((16, 24)), "num_hidden_layers": rng.choice((1, 2)),
                  "num_attention_heads": rng.choice((2, 3)), "d_kv": rng.choice((4, 8)), "d_ff": rng.choice((20, 36)),
                  "patch_embed_hidden_size": rng.choice((12, 48)), "seq_len": rng.choice((16, 30))}  # fmt: skip
        top = {"tie_word_embeddings": rng.choice((True, False))} if rng.random() < 0.5 else {}
        if rng.random() < 0.5:  # the text config's own, overridden by the top level's
            text["tie_word_embeddings"] = rng.choice((True, False))
        return composite_data(model_type, CLASSES[model_type][0], text=text, vision=vision, **top)
    text = {"embed_dim": heads * rng.choice((4, 8)), "layers": rng.choice((1, 2)), "attention_heads": heads,
            "ffn_dim": rng.choice((12, 20)), "vocab_size": rng.choice((97, 128))}  # fmt: skip
    if rng.random() < 0.5:
        text["tie_word_embeddings"] = rng.choice((True, False))
    vision = {"hidden_size": rng.choice((16, 24)), "num_hidden_layers": rng.choice((1, 2)),
              "num_attention_heads": rng.choice((2, 3)), "head_dim": rng.choice((4, 8)),
              "intermediate_size": rng.choice((20, 36)), "patch_embed_hidden_size": rng.choice((12, 48)),
              "max_num_patches": rng.choice((16, 30))}  # fmt: skip
    top = {"latent_query_num": rng.choice((3, 8))}
    return composite_data(model_type, rng.choice(CLASSES[model_type]), text=text, vision=vision, **top)


@pytest.mark.parametrize("model_type", COMPOSITE_TYPES)
@pytest.mark.parametrize("seed", range(6))
def test_small_random_composites(model_type, seed, tmp_path, capsys):
    data_both_routes(_small(seed, model_type), PLACES[model_type], tmp_path)
    capsys.readouterr()


TOWERS = [
    ("kosmos_2_5_text_model", "Kosmos2_5TextForCausalLM",
     {"embed_dim": 16, "layers": 2, "attention_heads": 4, "ffn_dim": 24, "vocab_size": 50}),
    ("kosmos_2_5_text_model", "Kosmos2_5TextModel",
     {"hidden_size": 24, "num_hidden_layers": 1, "num_attention_heads": 3, "ffn_dim": 20, "vocab_size": 31}),
    ("kosmos_2_5_vision_model", "Kosmos2_5VisionModel",
     {"hidden_size": 20, "num_hidden_layers": 2, "num_attention_heads": 3, "head_dim": 6, "intermediate_size": 28,
      "patch_embed_hidden_size": 12, "max_num_patches": 10}),
    ("glm_image_text", "GlmImageTextModel",
     {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 24,
      "vocab_size": 50, "pad_token_id": 0}),
    ("glm_image_vision", "GlmImageVisionModel",
     {"hidden_size": 24, "depth": 2, "num_heads": 3, "intermediate_size": 28, "image_size": 20, "patch_size": 4,
      "in_channels": 2, "attention_bias": False}),
    ("glm_image_vqmodel", "GlmImageVQVAE", {"embed_dim": 6, "num_embeddings": 11, "latent_channels": 10}),
    ("pix2struct_text_model", "Pix2StructTextModel",
     {"hidden_size": 16, "d_kv": 4, "num_layers": 2, "num_heads": 4, "d_ff": 24, "vocab_size": 50,
      "relative_attention_num_buckets": 8}),
    ("pix2struct_vision_model", "Pix2StructVisionModel",
     {"hidden_size": 20, "num_hidden_layers": 2, "num_attention_heads": 3, "d_kv": 6, "d_ff": 28,
      "patch_embed_hidden_size": 12, "seq_len": 10}),
]  # fmt: skip


def _tower(config, cls: str):
    """transformers' tower class ``cls`` of ``config`` on the meta device (the towers are not exported at the top level
    of transformers: ``modeling_kosmos2_5.__all__`` names only the composite's classes)."""
    import importlib

    import torch

    quiet_transformers()
    module = importlib.import_module(type(config).__module__.replace(".configuration_", ".modeling_"))
    with torch.device("meta"):
        return getattr(module, cls)(config)


@pytest.mark.parametrize(("model_type", "cls", "fields"), TOWERS)
@pytest.mark.parametrize("tie", [True, False])
def test_towers_alone(model_type, cls, fields, tie, tmp_path, capsys):
    if model_type.startswith(("kosmos", "pix2struct_text")):  # the switch: a tied head (the others have none: a bias)
        fields = {**fields, "tie_word_embeddings": tie}
    elif model_type in ("glm_image_text", "glm_image_vision"):
        fields = {**fields, "attention_bias": tie}
    config = quiet_transformers().CONFIG_MAPPING[model_type](**fields)
    config.architectures = [cls]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    reference = {n: tuple(p.shape) for n, p in _tower(config, cls).named_parameters()}
    for route in ("config", "import-hf"):
        if route == "import-hf":
            assert main(["import-hf", str(path), "-o", str(tmp_path / "spec.toml")]) == 0
        (model,) = registry.load(path if route == "config" else tmp_path / "spec.toml")
        assert ours(model) == reference
        assert registry.count(model).total_params == sum(math.prod(s) for s in reference.values())
    capsys.readouterr()


@pytest.mark.parametrize(("path", "change", "message"), [
    (KOSMOS_2_5, {"latent_query_num": 0}, "latent_query_num: must be >= 1 (got 0)"),
    (KOSMOS_2_5, {"text_config.attention_heads": 7}, "n_heads (7) does not divide d_model (1536)"),
    (KOSMOS_2_5, {"text_config.layers": 0}, "text_config.layers: must be >= 1 (got 0)"),
    (KOSMOS_2_5, {"vision_config.head_dim": "64"}, "vision_config.head_dim: must be a whole number"),
    (KOSMOS_2_5, {"vision_config.model_type": "pix2struct_vision_model"}, "vision_config.model_type: "
                                                                          "'pix2struct_vision_model' is not supported here"),
    (KOSMOS_2_5, {"text_config.model_type": "opt"}, "text_config.model_type: 'opt' is not supported here"),
    (GLM_IMAGE, {"text_config.vision_vocab_size": 0}, "text_config.vision_vocab_size: must be >= 1 (got 0)"),
    (GLM_IMAGE, {"vision_config.image_size": [2048, 2048]}, "vision_config.image_size: must be a whole number"),
    (GLM_IMAGE, {"vision_config.patch_size": 4096}, "vision_config.patch_size: patch_size (4096) exceeds image_size"),
    (GLM_IMAGE, {"vision_config.num_heads": 7}, "n_heads (7) does not divide d_model (1536)"),
    (GLM_IMAGE, {"vq_config.num_embeddings": 0}, "vq_config.num_embeddings: must be >= 1 (got 0)"),
    (GLM_IMAGE, {"text_config.num_key_value_heads": 3}, "text_config.num_key_value_heads"),
    (PIX2STRUCT, {"text_config.d_kv": 32}, "text_config.d_kv: num_heads × d_kv (12 × 32) must be hidden_size (768)"),
    (PIX2STRUCT, {"text_config.relative_attention_num_buckets": 0}, "text_config.relative_attention_num_buckets: must be >= 1"),
    (PIX2STRUCT, {"vision_config.seq_len": None}, "vision_config.seq_len"),
    (PIX2STRUCT, {"tie_word_embeddings": "yes"}, "tie_word_embeddings: must be true or false"),
])  # fmt: skip
def test_refusals_name_the_field(path, change, message, tmp_path, capsys):
    assert message in refusal(json.loads(path.read_text()), change, tmp_path, capsys)


@pytest.mark.parametrize(("path", "why"), [
    (KOSMOS_2_5, "Kosmos2_5ImageProcessor pads every image to max_patches"),
    (GLM_IMAGE, "GLM-Image generates images as tokens of its vq_config codebook"),
    (PIX2STRUCT, "Pix2StructImageProcessor pads every image to max_patches")])  # fmt: skip
def test_images_refused_with_the_reason(path, why, capsys):
    assert main(["flops", str(path), "--images", "1", "--image-size", "640x480"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "warning:" not in line]
    assert len(errors) == 1 and errors[0].startswith("registry flops: ")
    assert "its images are not modelled: " + why in errors[0] and "takes no images" not in errors[0]
