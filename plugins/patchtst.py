"""PatchTST: a Transformer encoder over patches of each channel of a time series (the ``patchtst`` family).

transformers 5.25's ``modeling_patchtst.py``. The series (``context_length`` steps) is cut into ``n_patches``
patches of ``patch_length`` steps; ``encoder.embedder.input_embedding`` maps a patch to ``d_model`` (one ``Linear``
shared by the channels, or one per channel, ``input_embedding.<c>``, without ``share_embedding``);
``encoder.positional_encoder`` holds ``position_enc``, a parameter of ``(n_patches [+ 1], d_model)`` rows (learned,
or the frozen sin-cos table: a parameter all the same) and, with ``use_cls_token``, ``cls_token`` ``(1, 1, 1,
d_model)``, the extra first row. Each of ``n_layers`` layers holds ``self_attn`` (q, k, v, out_proj with biases),
``norm_sublayer1`` and ``norm_sublayer3`` (``BatchNorm1d`` as ``.batchnorm``, or ``LayerNorm``), with
``channel_attention`` a ``norm_sublayer2`` (the same attention run across channels), and ``ff.0`` / ``ff.3``
(biases with ``bias``). The scaler, patchifier and masking hold no tensors.

The class's head (``head.``; the model under ``model.``): ``pretraining`` (``linear`` back to ``patch_length``),
``prediction`` (``projection`` to ``prediction_length`` from ``d_model``, or from ``d_model * n_patches`` without
pooling nor cls token; one per channel, ``projections.<c>``, without ``share_projection``), ``regression`` (``projection``
from ``channels * d_model`` to ``num_targets``), ``classification`` (``linear`` from ``channels * d_model`` to
``num_targets``); a distribution head (:mod:`registry.plugins.time_series_heads`) for a loss other than MSE.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.convnets import BATCH_NORM_BUFFERS
from registry.plugins.time_series_heads import projection


class PatchTSTParams(FamilyParams):
    """Hyper-parameters of the ``patchtst`` family."""

    head: Literal["none", "pretraining", "prediction", "regression", "classification"] = Field(
        "prediction", description="the class: PatchTSTModel (none), ...ForPretraining, ...ForPrediction, "
        "...ForRegression, ...ForClassification")
    d_model: PositiveInt = Field(128, description="hidden size")
    n_layers: PositiveInt = Field(3, description="encoder layers")
    n_heads: PositiveInt = Field(4, description="attention heads")
    d_ff: PositiveInt = Field(512, description="feed-forward width (ffn_dim)")
    bias: bool = Field(True, description="biases on the feed-forward layers")
    patch_length: PositiveInt = Field(1, description="time steps in a patch")
    n_patches: PositiveInt = Field(32, description="patches of the context (its length, patch length and stride)")
    n_channels: PositiveInt = Field(1, description="channels of the series (num_input_channels)")
    share_embedding: bool = Field(True, description="one patch embedding for every channel")
    cls_token: bool = Field(False, description="a learned first token (use_cls_token)")
    norm: Literal["batchnorm", "layernorm"] = Field("batchnorm", description="the norm of each sublayer")
    channel_attention: bool = Field(False, description="a third sublayer's norm (attention across channels)")
    pooled: bool = Field(True, description="the prediction head reads one pooled vector per channel (pooling_type or "
                         "the cls token), else every patch")
    share_projection: bool = Field(True, description="one prediction head for every channel")
    prediction_length: PositiveInt = Field(24, description="steps forecast")
    num_targets: PositiveInt = Field(1, description="outputs of the regression and classification heads")
    distribution: Literal["student_t", "normal", "negative_binomial"] | None = Field(
        None, description="the distribution head's kind (None: a linear head, loss mse)")

    @model_validator(mode="after")
    def _check(self) -> PatchTSTParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _norm(p: PatchTSTParams, name: str) -> LayerNorm:
    # BatchNorm1d: a scale and a shift of d_model (its running statistics are buffers)
    return LayerNorm(name=f"{name}.batchnorm" if p.norm == "batchnorm" else name, dim=p.d_model)


def _encoder(p: PatchTSTParams) -> Module:
    d = p.d_model
    embed = [Linear(name="input_embedding", in_features=p.patch_length, out_features=d, component="embedding")]
    if not p.share_embedding:
        embed = [Linear(name=f"input_embedding.{c}", in_features=p.patch_length, out_features=d, component="embedding")
                 for c in range(p.n_channels)]  # fmt: skip
    positions = [Parameter(name="position_enc", shape=(p.n_patches + p.cls_token, d), component="embedding")]
    if p.cls_token:
        positions.insert(0, Parameter(name="cls_token", shape=(1, 1, 1, d), component="embedding"))
    layer = [Attention(name="self_attn", d_model=d, n_heads=p.n_heads, names={"o": "out_proj"}, kv_cache="none"),
             _norm(p, "norm_sublayer1"), *([_norm(p, "norm_sublayer2")] if p.channel_attention else []),
             FeedForward(d_model=d, d_ff=p.d_ff, bias=p.bias, names={"up": "ff.0", "down": "ff.3"}),
             _norm(p, "norm_sublayer3")]  # fmt: skip
    return Module(name="encoder", blocks=[Module(name="embedder", blocks=embed),
                                          Module(name="positional_encoder", blocks=positions),
                                          Repeat(name="layers", count=p.n_layers, blocks=layer)])  # fmt: skip


def _head(p: PatchTSTParams) -> list:
    d, flat = p.d_model, p.n_channels * p.d_model
    if p.head == "pretraining":
        return [Linear(name="linear", in_features=d, out_features=p.patch_length, component="head")]
    if p.head == "classification":
        return [Linear(name="linear", in_features=flat, out_features=p.num_targets, component="head")]
    if p.head == "regression":
        return [projection("projection", flat, p.num_targets, p.distribution)]
    width = d if p.pooled else d * p.n_patches
    if p.share_projection:
        return [projection("projection", width, p.prediction_length, p.distribution)]
    return [projection(f"projections.{c}", width, p.prediction_length, p.distribution) for c in range(p.n_channels)]


def build(p: PatchTSTParams) -> Module:
    """The block tree of the PatchTST class ``head`` names."""
    if p.head == "none":
        return Module(blocks=[_encoder(p)])
    return Module(blocks=[Module(name="model", blocks=[_encoder(p)]), Module(name="head", blocks=_head(p))])


@hookimpl
def register_families(register):
    """Register the ``patchtst`` family."""
    register(Family(name="patchtst", params=PatchTSTParams, build=build,
                    description="PatchTST: a Transformer encoder over patches of a time series' channels",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
