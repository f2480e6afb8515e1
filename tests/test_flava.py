"""flava, whole and part by part, against transformers.

Reference: transformers 5.25's ``FlavaForPreTraining`` and ``FlavaModel`` (``modeling_flava.py``) built on the meta
device: the total is ``sum(p.numel() for p in model.parameters())``, the tensors ``named_parameters()``; each part is
the parameters under the modules transformers gives it (:func:`places`). Both routes (count config.json; import-hf
then count), on the published config in ``tests/configs`` (facebook/flava-full) and on small random configs
(``FlavaConfig`` of shrunk sub-configs, as ``to_dict()`` writes it, now and then with a legacy ``<tower>_config_dict``).
"""

from __future__ import annotations

import json
import random

import pytest

from tests._hf_configs import quiet_transformers
from tests.composite_reference import data_both_routes, refusal
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"


def places(data: dict) -> dict[str, tuple[str, ...]]:
    """Where transformers 5.25 keeps each part of FLAVA (``FlavaModel``; ``FlavaForPreTraining`` holds it as
    ``flava``, beside the codebook when ``init_codebook`` and the pre-training heads)."""
    pretraining = data["architectures"] == ["FlavaForPreTraining"]
    at = "flava." if pretraining else ""
    heads = tuple(f"{at}{name}" for name in ("image_projection.", "text_projection.", "logit_scale",
                                             "image_to_mm_projection.", "text_to_mm_projection."))  # fmt: skip
    out = {"text": (f"{at}text_model.",), "vision": (f"{at}image_model.",), "multimodal": (f"{at}multimodal_model.",)}
    if pretraining:
        heads += ("mim_head.", "mlm_head.", "itm_head.", "mmm_image_head.", "mmm_text_head.")
        if data.get("init_codebook", True):
            out["codebook"] = ("image_codebook.",)
    return out | {"heads": heads}


def _published() -> dict:
    return json.loads((CONFIGS / "flava-full" / "config.json").read_text())


@pytest.mark.parametrize("cls", ["FlavaForPreTraining", "FlavaModel"])
def test_published_flava_whole_and_by_part(cls, tmp_path, capsys):
    data = {**_published(), "architectures": [cls]}
    data_both_routes(data, places(data), tmp_path)
    capsys.readouterr()


def _encoder(rng: random.Random) -> dict:
    heads = rng.choice((1, 2))
    return {"hidden_size": heads * rng.choice((4, 6)), "num_attention_heads": heads, "num_hidden_layers": rng.choice((1, 2)),
            "intermediate_size": rng.choice((5, 12)), "qkv_bias": rng.choice((True, False))}  # fmt: skip


def _small_flava(seed: int) -> dict:
    rng = random.Random(seed)
    text = _encoder(rng) | {"vocab_size": rng.choice((11, 30)), "max_position_embeddings": rng.choice((7, 16)),
                            "type_vocab_size": rng.choice((1, 2))}  # fmt: skip
    image = _encoder(rng) | {"image_size": rng.choice((8, 12, [8, 12])), "patch_size": rng.choice((4, [2, 4], 16)),
                             "num_channels": rng.choice((1, 3)), "mask_token": rng.choice((True, False)),
                             "vocab_size": rng.choice((9, 20))}  # fmt: skip
    multimodal = _encoder(rng) | {"use_cls_token": rng.choice((True, False))}
    codebook = {"hidden_size": rng.choice((4, 8)), "num_blocks_per_group": rng.choice((1, 2)),
                "input_channels": rng.choice((1, 3)), "vocab_size": rng.choice((5, 13)), "num_groups": rng.choice((1, 4))}
    top = {"hidden_size": rng.choice((6, 8)), "projection_dim": rng.choice((3, 7)),
           "init_codebook": rng.choice((True, False)), "tie_word_embeddings": rng.choice((True, False))}  # fmt: skip
    data = quiet_transformers().CONFIG_MAPPING["flava"](text_config=text, image_config=image, multimodal_config=multimodal,
                                                        image_codebook_config=codebook, **top).to_dict()  # fmt: skip
    data["architectures"] = [rng.choice(("FlavaForPreTraining", "FlavaModel"))]
    if rng.random() < 0.3:  # FlavaConfig rebuilds a tower from its legacy dict alone, over the tower's defaults
        data["text_config_dict"] = {"num_hidden_layers": 1, "hidden_size": 4, "num_attention_heads": 2,
                                    "intermediate_size": 6, "vocab_size": 9}  # fmt: skip
    return data


@pytest.mark.parametrize("seed", range(10))
def test_small_random_flava_whole_and_by_part(seed, tmp_path, capsys):
    data_both_routes(_small_flava(seed), places(_small_flava(seed)), tmp_path)
    capsys.readouterr()


def _known(model_type: str) -> set[str]:
    """The fields transformers' configuration of ``model_type`` writes."""
    return set(quiet_transformers().CONFIG_MAPPING[model_type]().to_dict()) | {"model_type"}


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"text_config.num_attention_heads": 5}, "text_config.num_attention_heads", "does not divide"),
    ({"multimodal_config.hidden_size": 10}, "multimodal_config.num_attention_heads", "does not divide"),
    ({"image_config.patch_size": [4, 4, 4]}, "image_config.patch_size", "a pair"),
    ({"image_config.image_size": 0}, "image_config.image_size", "whole number >= 1"),
    ({"image_codebook_config.hidden_size": 2}, "image_codebook_config.hidden_size", ">= 4"),
    ({"projection_dim": 0}, "projection_dim", ">= 1"),
    ({"text_config_dict": [1]}, "text_config_dict", "must be an object"),
])  # fmt: skip
def test_a_bad_flava_field_is_refused_naming_it(change, field, words, tmp_path, capsys):
    data = _published()
    for key, model_type in (("text_config", "flava_text_model"), ("image_config", "flava_image_model"),
                            ("multimodal_config", "flava_multimodal_model"), ("image_codebook_config", "flava_image_codebook")):
        data[key] = {k: v for k, v in data[key].items() if k in _known(model_type)}
    for key in ("text_config_dict", "image_config_dict", "multimodal_config_dict", "image_codebook_config_dict"):
        del data[key]  # the towers then come from their sub-configs, where the change is
    line = refusal(data, change, tmp_path, capsys)
    assert line.startswith("registry count: ") and field in line and words in line, line
