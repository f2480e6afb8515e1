"""The ``convnext`` family's ConvNeXt V2 variant (global response normalisation, no layer scale), checked as a
family against transformers' ConvNextV2Model and ConvNextV2ForImageClassification built on the meta device (the
convnextv2 model type is checked through tests/configs/convnextv2-tiny-1k-224 and tests/types_table.py).

The ConvNeXt variant is checked through its model type
(tests/configs/convnext-tiny-finetuned-vehicale-damage-fraud-balanced, tests/types_table.py).
"""

from __future__ import annotations

import pytest

import registry
from tests._hf_configs import quiet_transformers
from tests.composite_reference import ours as tensors_of


def _reference(cls: str, **config) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes of transformers' model ``cls`` (a ConvNextV2Config of ``config``), on the meta device."""
    import torch

    transformers = quiet_transformers()
    with torch.device("meta"):
        model = getattr(transformers, cls)(transformers.ConvNextV2Config(**config))
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def _ours(**params) -> dict[str, tuple[int, ...]]:
    return tensors_of(registry.build_model("convnext", variant="convnextv2", **params))


@pytest.mark.parametrize(("cls", "head"), [("ConvNextV2Model", "none"), ("ConvNextV2ForImageClassification", "classifier")])
def test_convnextv2_variant_matches_transformers(cls, head):
    """Reference: transformers' ConvNeXt V2 classes, every tensor's name and shape."""
    sizes = {"hidden_sizes": [8, 16, 24], "depths": [1, 0, 2], "num_channels": 2, "patch_size": 3}
    expected = _reference(cls, num_stages=3, num_labels=5, **sizes)
    ours = _ours(hidden_sizes=[8, 16, 24], depths=[1, 0, 2], n_channels=2, patch_size=3, head=head, n_labels=5)
    assert ours == expected


def test_convnextv2_refuses_a_layer_scale():
    with pytest.raises(registry.SpecError, match="ConvNeXt V2 has no layer scale"):
        registry.build_model("convnext", variant="convnextv2", layer_scale=True)
