"""The ``detr`` family's DETR layout (``DetrForObjectDetection``) against transformers on the meta device.

No published DETR ``config.json`` was found (the ``detr`` model type is not mapped yet: see
``plugins/types_detection.py``), so the family's ``variant = "detr"`` is checked here against small configs built
in the test, tensor by tensor: a timm ResNet backbone (timm imported beside the torchvision stand-in) and a
transformers ResNet backbone (the ``resnet`` family with ``frozen_norms``), sine and learned positions.
"""

from __future__ import annotations

import pytest

from registry import iter_tensors
from registry.plugins.detr import DetrParams, build
from registry.plugins.resnet import ResNetParams
from registry.plugins.resnet import build as build_resnet
from tests._hf_configs import meta_model, quiet_transformers


def _reference(**fields) -> dict[str, tuple[int, ...]]:
    """transformers' DetrForObjectDetection of ``fields``: {name: shape} of its parameters."""
    transformers = quiet_transformers()
    config = transformers.DetrConfig(architectures=["DetrForObjectDetection"], **fields)
    return {n: tuple(p.shape) for n, p in meta_model(config).named_parameters()}


SMALL = dict(d_model=16, encoder_layers=1, decoder_layers=2, encoder_ffn_dim=8, decoder_ffn_dim=12,
             encoder_attention_heads=2, decoder_attention_heads=4, num_queries=5, num_labels=3)  # fmt: skip
OURS = dict(d_model=16, encoder_layers=1, decoder_layers=2, encoder_ffn_dim=8, decoder_ffn_dim=12, encoder_heads=2,
            decoder_heads=4, num_queries=5, n_labels=3)  # fmt: skip


@pytest.mark.parametrize("name, position", [("resnet18", "sine"), ("resnet50", "learned")])
def test_detr_with_a_timm_backbone_matches_transformers(name, position):
    expected = _reference(**SMALL, backbone=name, use_timm_backbone=True, position_embedding_type=position)
    channels = 2048 if name == "resnet50" else 512
    tree = build(DetrParams(**OURS, timm_backbone=name, backbone_channels=channels,
                            learned_positions=position == "learned"))  # fmt: skip
    assert {t.path: tuple(t.shape) for t in iter_tensors(tree)} == expected


def test_detr_with_a_transformers_resnet_backbone_matches_transformers():
    backbone = dict(model_type="resnet", embedding_size=8, hidden_sizes=[8, 12], depths=[1, 2], layer_type="basic")
    expected = _reference(**SMALL, backbone_config=backbone, use_timm_backbone=False)
    resnet = build_resnet(ResNetParams(embedding_size=8, hidden_sizes=[8, 12], depths=[1, 2], layer_type="basic",
                                       frozen_norms=True))  # fmt: skip
    ours = {f"model.backbone.model.{t.path}": tuple(t.shape) for t in iter_tensors(resnet)}
    ours |= {t.path: tuple(t.shape) for t in iter_tensors(build(DetrParams(**OURS, backbone_channels=12)))}
    assert ours == expected
