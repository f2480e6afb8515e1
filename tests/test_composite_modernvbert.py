"""ModernVBERT (a composite: SigLIP vision model, pixel-shuffle connector, ModernBERT), whole and part by part.

Reference: transformers 5.25's model of the config's class (``ModernVBertForMaskedLM``,
``ModernVBertForSequenceClassification``, ``ModernVBertForTokenClassification``; ``ModernVBertModel``, whose towers
sit at the root, is refused) on the meta device, as in
tests/test_composite.py: the total is ``sum(p.numel() for p in model.parameters())``, the tensor names and shapes
``named_parameters()``'s, and each part (``--part``) the parameters under the modules ``modeling_modernvbert.py``
gives it. The published config in ``tests/configs`` by both routes; random small configs (transformers'
configuration of shrunk sub-configs, as ``to_dict()`` writes it) for every class.
"""

from __future__ import annotations

import json
import random

import pytest

import registry
from tests.composite_reference import check, check_both_routes, composite_data, published_folders, reference_names
from tests.conftest import ROOT

CONFIGS = ROOT / "tests" / "configs"
#: Where transformers 5.25 keeps each part (``ModernVBertForMaskedLM``'s attributes).
PLACES = {"vision": ("model.vision_model.",), "projector": ("model.connector.",),
          "text": ("model.text_model.", "projection_head.", "lm_head.", "head.", "classifier.")}  # fmt: skip
CLASSES = ("ModernVBertForMaskedLM", "ModernVBertForSequenceClassification", "ModernVBertForTokenClassification")
FOLDERS = published_folders(("modernvbert",))


def test_the_type_has_a_published_config():
    assert FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_published_whole_and_by_part(folder, tmp_path, capsys):
    data = json.loads((CONFIGS / folder / "config.json").read_text())
    path = tmp_path / "config.json"  # the published file names no class: transformers' usual one, given
    path.write_text(json.dumps({**data, "architectures": [CLASSES[0]]}))
    check_both_routes(path, PLACES, tmp_path)
    capsys.readouterr()


def _small(seed: int, cls: str) -> dict:
    """A small random ModernVBERT config of class ``cls``."""
    rng = random.Random(seed)
    heads = rng.choice((2, 4))
    layers = rng.choice((1, 3))
    text = {"model_type": "modernbert", "hidden_size": heads * rng.choice((8, 16)), "num_attention_heads": heads,
            "intermediate_size": rng.choice((24, 40)), "num_hidden_layers": layers, "vocab_size": rng.choice((97, 128)),
            "global_attn_every_n_layers": rng.choice((1, 2)), "norm_bias": rng.choice((True, False)),
            "classifier_bias": rng.choice((True, False)), "decoder_bias": rng.choice((True, False)),
            "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0, "cls_token_id": 0, "sep_token_id": 0}  # fmt: skip
    vision = {"model_type": "siglip_vision_model", "hidden_size": 8 * heads, "intermediate_size": rng.choice((20, 36)),
              "num_hidden_layers": rng.choice((1, 2)), "num_attention_heads": heads, "image_size": 16,
              "patch_size": rng.choice((4, 8))}  # fmt: skip
    top: dict = {"pixel_shuffle_factor": rng.choice((1, 2))}
    if rng.random() < 0.5:
        top["tie_word_embeddings"] = rng.choice((True, False))
    if cls != "ModernVBertForMaskedLM" and rng.random() < 0.5:
        top["num_labels"] = rng.choice((1, 3))
    return composite_data("modernvbert", cls, text=text, vision=vision, **top)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("seed", range(3))
def test_small_random_composites(cls, seed, tmp_path, capsys):
    data = _small(seed, cls)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    (model,) = registry.load(path)
    check(model, reference_names(data), PLACES)
    capsys.readouterr()


def test_the_bare_model_class_is_refused(tmp_path, capsys):
    """ModernVBertModel holds its towers at the root (not under ``model.``): refused, not counted under wrong names."""
    data = _small(0, "ModernVBertForMaskedLM")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, "architectures": ["ModernVBertModel"]}))
    from registry.cli import main

    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "architectures" in err, err
