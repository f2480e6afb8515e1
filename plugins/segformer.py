"""SegFormer: a hierarchical Mix Transformer encoder and an all-MLP decode head (the ``segformer`` family).

Follows ``modeling_segformer.py`` of transformers 5.25 (``SegformerModel``, ``SegformerForImageClassification``,
``SegformerForSemanticSegmentation``). The encoder is the Mix Transformer of :mod:`registry.plugins.mix_transformer`
(which GLPN's family shares) under the names of transformers 5's rewrite, stage by stage: ``stages.<i>`` holding
``patch_embeddings`` (``proj``, ``layer_norm``), ``blocks.<j>`` (``layernorm_before``, ``attention.q_proj``,
``k_proj``, ``v_proj``, ``o_proj``, with a reduction ``attention.sequence_reduction.sequence_reduction`` and
``attention.sequence_reduction.layer_norm``, ``layernorm_after``, ``mlp.fc1``, ``mlp.dwconv.dwconv``, ``mlp.fc2``)
and ``layer_norm``.

Heads (the encoder then under ``segformer``): ``classifier``, a linear layer from the LAST entry of
``hidden_sizes`` (as transformers, whatever ``n_stages``) to ``n_labels``; ``segmentation``, the decode head
(``decode_head``): per stage a ``linear_projections.<i>.proj`` to ``decoder_d_model``, ``linear_fuse`` (a 1 × 1
convolution without bias from ``n_stages × decoder_d_model``), a ``batch_norm`` and a 1 × 1 ``classifier``
convolution with a bias to ``n_labels``. The BatchNorm's running statistics are checkpoint buffers.

PVT v2 (``layout = "pvt_v2"``, ``modeling_pvt_v2.py``: ``PvtV2Model``, ``PvtV2Backbone``,
``PvtV2ForImageClassification``) is the same encoder under other names: ``encoder.layers.<i>`` holding
``patch_embedding``, ``blocks.<j>`` (``layer_norm_1``, ``attention.query``/``key``/``value`` with biases when
``qkv_bias``, ``attention.proj``, ``attention.spatial_reduction`` and ``attention.layer_norm``, ``layer_norm_2``,
``mlp.dense1``, ``mlp.dwconv.dwconv``, ``mlp.dense2``) and ``layer_norm``; with ``linear_attention`` every layer's
reduction is a 1 × 1 convolution after a 7 × 7 pooling, whatever its ratio; the classifier (none when ``n_labels``
is 0: transformers holds an identity) reads the encoder under ``pvt_v2``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, Linear, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, batch_norm, classifier, conv2d
from registry.plugins.mix_transformer import LAYOUTS, check_stages
from registry.plugins.mix_transformer import encoder as mix_encoder


class SegformerParams(FamilyParams):
    """Hyper-parameters of the ``segformer`` family (SegFormer-B0's, as SegformerConfig's defaults)."""

    layout: Literal["segformer", "pvt_v2"] = Field("segformer", description="tensor names: segformer or pvt_v2 (PVT v2)")
    head: Literal["none", "classifier", "segmentation"] = Field(
        "none", description="none (SegformerModel), an image classifier or the semantic-segmentation decode head")
    n_stages: PositiveInt = Field(4, description="encoder stages (num_encoder_blocks)")
    hidden_sizes: list[PositiveInt] = Field([32, 64, 160, 256], description="each stage's width")
    depths: list[NonNegativeInt] = Field([2, 2, 2, 2], description="each stage's layers")
    n_heads: list[PositiveInt] = Field([1, 2, 5, 8], description="each stage's attention heads")
    sr_ratios: list[PositiveInt] = Field([8, 4, 2, 1], description="each stage's key/value reduction side")
    patch_sizes: list[PositiveInt] = Field([7, 3, 3, 3], description="each stage's patch convolution side")
    mlp_ratios: list[PositiveInt] = Field([4, 4, 4, 4], description="each stage's Mix-FFN width over its width")
    n_channels: PositiveInt = Field(3, description="image channels")
    decoder_d_model: PositiveInt = Field(256, description="the decode head's channels (decoder_hidden_size)")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (classes; 0, PVT v2 alone: no classifier)")
    qkv_bias: bool = Field(True, description="biases of the query, key and value projections (PVT v2's qkv_bias)")
    linear_attention: bool = Field(False, description="PVT v2's linear attention: a 1 x 1 reduction in every layer")

    @model_validator(mode="after")
    def _check(self) -> SegformerParams:
        check_stages(self)
        if self.n_labels == 0 and (self.layout != "pvt_v2" or self.head == "segmentation"):
            raise FieldError("n_labels", "must be at least 1 (only PVT v2's classifier may have none)")
        if self.layout == "segformer" and (not self.qkv_bias or self.linear_attention):
            raise FieldError("qkv_bias" if not self.qkv_bias else "linear_attention", "is PVT v2's alone (layout pvt_v2)")
        if self.layout == "pvt_v2" and self.head == "segmentation":
            raise FieldError("head", "PVT v2 has no segmentation head in transformers")
        return self


def encoder(p: SegformerParams) -> list[Block]:
    """The stages (patch embeddings, layers, norm), unprefixed."""
    return mix_encoder(p, LAYOUTS[p.layout], qkv_bias=p.qkv_bias, linear_attention=p.linear_attention)


def decode_head(p: SegformerParams) -> Module:
    """The all-MLP decode head of the semantic-segmentation class."""
    c = p.decoder_d_model
    projections = [Module(name=str(i), blocks=[Linear(name="proj", in_features=p.hidden_sizes[i], out_features=c,
                                                      component="head")])
                   for i in range(p.n_stages)]  # fmt: skip
    return Module(name="decode_head", blocks=[
        Module(name="linear_projections", blocks=projections),
        *conv2d("linear_fuse", c * p.n_stages, c, 1),
        batch_norm("batch_norm", c),
        *conv2d("classifier", c, p.n_labels, 1, bias=True)])  # fmt: skip


def build(p: SegformerParams) -> Module:
    """SegformerModel's block tree, or a head class's (the encoder under ``segformer``)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    body = Module(name=LAYOUTS[p.layout].prefix, blocks=encoder(p))
    if p.head == "classifier":
        return Module(blocks=[body, *classifier("classifier", p.hidden_sizes[-1], p.n_labels)])
    return Module(blocks=[body, decode_head(p)])


@hookimpl
def register_families(register):
    """Register the ``segformer`` family."""
    register(Family(name="segformer", params=SegformerParams, build=build,
                    description="SegFormer and PVT v2: a Mix Transformer encoder, a classifier or an all-MLP "
                                "semantic-segmentation head",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
