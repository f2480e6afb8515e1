"""Gemma 3n's MobileNetV5 vision tower: its forward FLOPs (plugins/mobilenetv5.py ``tower_flops``) against
PyTorch's FLOP counter on timm's own model.

Reference: timm 1.0.31's ``mobilenetv5_300m_enc`` (what transformers 5.25's ``TimmWrapperModel`` builds for
``Gemma3nVisionConfig``), built on the meta device, ``forward_features`` (the stages and the multi-scale fusion
adapter, what ``Gemma3nModel.get_image_features`` runs) on one image under ``torch.utils.flop_counter.FlopCounterMode``:
its ``aten.convolution`` FLOPs (2 per weight per output position, no biases) are the ``convolution`` term, its
``aten.bmm`` FLOPs (the multi-query attention's scores and values) the ``attention_logits`` and ``attention_values``
terms; the softmax is not in PyTorch's count (ours: 3 per score, as every attention's).
"""

from __future__ import annotations

import functools

import pytest

import registry
from registry.analyses.flops import UNMODELLED_TOWER_NOTE, flops
from registry.analyses.images import plan_images, vision_terms
from registry.cli import main
from registry.plugins.mobilenetv5 import tower_flops
from tests._hf_configs import needs_timm
from tests.conftest import ROOT

CONFIG = ROOT / "tests" / "configs" / "gemma3n-transformers-defaults" / "config.json"


@functools.lru_cache(maxsize=None)
def _timm_model():
    import torch

    from tests.torchvision_standin import import_timm

    with torch.device("meta"):
        return import_timm().create_model("mobilenetv5_300m_enc", num_classes=0)


def _torch_counts(height: int, width: int) -> dict[str, int]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        _timm_model().forward_features(torch.empty(1, 3, height, width, device="meta"))
    return {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}


@pytest.mark.parametrize("size", [(768, 768), (512, 384), (250, 333)])
def test_tower_flops_are_pytorchs_count_of_timms_model(size):
    """768x768 is what every image is resized to; the other sizes check the stride arithmetic (odd sides too)."""
    needs_timm()
    theirs, ours = _torch_counts(*size), tower_flops("mobilenetv5_300m_enc", *size)
    assert ours["convolution"] == theirs["aten.convolution"]
    assert ours["attention_logits"] + ours["attention_values"] == theirs["aten.bmm"]
    assert ours["attention_logits"] == ours["attention_values"]  # queries · keys · heads · width, twice each


def test_an_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="timm architecture 'mobilenetv5_tiny' is not known to registry"):
        tower_flops("mobilenetv5_tiny", 768, 768)


def test_the_images_flops_hold_the_tower_per_image(capsys):
    """``flops --images 2``: the tower's terms per image are tower_flops' at 768x768 (every image resized to it)
    plus embed_vision's over the 256 tokens; no 'not modelled' note for the FLOPs, with or without images."""
    (model,) = registry.load(str(CONFIG))
    plan = plan_images(model, 2, (480, 640))
    per_image, tower = vision_terms(model, plan), tower_flops("mobilenetv5_300m_enc", 768, 768)
    assert all(per_image[k] >= v for k, v in tower.items())
    assert per_image["convolution"] == tower["convolution"]
    assert UNMODELLED_TOWER_NOTE not in flops(model, 100).notes
    assert main(["flops", str(CONFIG), "--images", "2", "--format", "json"]) == 0
    assert '"convolution"' in capsys.readouterr().out
