"""PatchTSMixer: an MLP-Mixer over the patches, the features and (optionally) the channels of a time series
(the ``patchtsmixer`` family).

transformers 5.25's ``modeling_patchtsmixer.py``. ``encoder.patcher`` maps a patch of ``patch_length`` steps to
``d_model``; with ``use_positional_encoding``, ``encoder.positional_encoder.position_enc`` ``(n_patches, d_model)``
(learned, or the frozen sin-cos table: a parameter all the same). Each of ``n_layers`` mixers
(``encoder.mlp_mixer_encoder.mixers.<i>``) holds a ``patch_mixer`` and a ``feature_mixer`` (and, in ``mix_channel``
mode, a ``channel_feature_mixer``): a norm (``norm.norm``, or ``norm.norm.batchnorm`` for a batch norm), an MLP
``fc1`` / ``fc2`` of ``expansion_factor`` times the mixed width (patches, ``d_model``, channels) with biases, and
with ``gated_attn`` a ``gating_block.attn_layer`` of that width; with ``self_attn`` the patch mixer also holds
``self_attn_layer`` (q, k, v, out_proj with biases, ``self_attn_heads`` heads) and its norm ``norm_attn``.

The class's head (``head.``; the model under ``model.``): ``pretraining`` (``base_pt_block`` back to
``patch_length``), ``prediction`` (``base_forecast_block`` from ``n_patches * d_model`` to ``prediction_length``),
``regression`` and ``classification`` (``projection`` from ``d_model * channels`` (times ``n_patches`` without a
``head_aggregation``) to ``num_targets``), a distribution head (:mod:`registry.plugins.time_series_heads`) for
prediction and regression with a loss other than MSE; and, for regression and classification of a scaled series,
``inject_scale``: two small MLPs that feed the scaler's location and scale back (``InjectScalerStatistics4D``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS
from registry.plugins.time_series_heads import projection


class PatchTSMixerParams(FamilyParams):
    """Hyper-parameters of the ``patchtsmixer`` family."""

    head: Literal["none", "pretraining", "prediction", "regression", "classification"] = Field(
        "prediction", description="the class: PatchTSMixerModel (none), ...ForPretraining, ...ForPrediction, "
        "...ForRegression, ...ForTimeSeriesClassification")
    d_model: PositiveInt = Field(8, description="hidden size")
    n_layers: PositiveInt = Field(3, description="mixer layers")
    expansion: PositiveInt = Field(2, description="the MLPs' widening (expansion_factor)")
    patch_length: PositiveInt = Field(8, description="time steps in a patch")
    n_patches: PositiveInt = Field(4, description="patches of the context (its length, patch length and stride)")
    n_channels: PositiveInt = Field(1, description="channels of the series (num_input_channels)")
    gated_attn: bool = Field(True, description="a gating layer in every mixer")
    norm: Literal["batchnorm", "layernorm"] = Field("layernorm", description="the mixers' norm (norm_mlp)")
    self_attn: bool = Field(False, description="self-attention in the patch mixers")
    self_attn_heads: PositiveInt = Field(1, description="heads of that attention")
    positions: bool = Field(False, description="a positional encoding (use_positional_encoding)")
    mix_channel: bool = Field(False, description="a channel mixer in every layer (mode mix_channel)")
    aggregated: bool = Field(True, description="the linear head reads one aggregated vector (head_aggregation), "
                             "else every patch")
    prediction_length: PositiveInt = Field(16, description="steps forecast")
    num_targets: PositiveInt = Field(3, description="outputs of the regression and classification heads")
    distribution: Literal["student_t", "normal", "negative_binomial"] | None = Field(
        None, description="the distribution head's kind (None: a linear head, loss mse)")
    inject_scale: bool = Field(False, description="the regression and classification heads' scale injection "
                               "(a scaled series)")

    @model_validator(mode="after")
    def _check(self) -> PatchTSMixerParams:
        if self.self_attn and self.d_model % self.self_attn_heads:
            raise FieldError("self_attn_heads", f"self_attn_heads ({self.self_attn_heads}) does not divide d_model "
                             f"({self.d_model})")
        return self


def _linear(name: str, n_in: int, n_out: int, component: str = "feed_forward") -> Linear:
    return Linear(name=name, in_features=n_in, out_features=n_out, component=component)


def _norm(p: PatchTSMixerParams, name: str) -> LayerNorm:
    # BatchNorm1d: a scale and a shift of d_model (its running statistics are buffers)
    return LayerNorm(name=f"{name}.norm.batchnorm" if p.norm == "batchnorm" else f"{name}.norm", dim=p.d_model)


def _mixer(p: PatchTSMixerParams, name: str, width: int) -> Module:
    blocks = [_norm(p, "norm"), _linear("mlp.fc1", width, width * p.expansion), _linear("mlp.fc2", width * p.expansion, width)]
    if p.gated_attn:
        blocks.append(_linear("gating_block.attn_layer", width, width))
    if p.self_attn and name == "patch_mixer":
        blocks += [Attention(name="self_attn_layer", d_model=p.d_model, n_heads=p.self_attn_heads, names={"o": "out_proj"},
                             kv_cache="none"), _norm(p, "norm_attn")]  # fmt: skip
    return Module(name=name, blocks=blocks)


def _encoder(p: PatchTSMixerParams) -> Module:
    d = p.d_model
    blocks: list = [_linear("patcher", p.patch_length, d, component="embedding")]
    if p.positions:
        blocks.append(Parameter(name="positional_encoder.position_enc", shape=(p.n_patches, d), component="embedding"))
    layer = [_mixer(p, "patch_mixer", p.n_patches), _mixer(p, "feature_mixer", d)]
    if p.mix_channel:
        layer.insert(0, _mixer(p, "channel_feature_mixer", p.n_channels))
    blocks.append(Repeat(name="mlp_mixer_encoder.mixers", count=p.n_layers, blocks=layer))
    return Module(name="encoder", blocks=blocks)


def _head(p: PatchTSMixerParams) -> list:
    d = p.d_model
    if p.head == "pretraining":
        return [Module(name="head", blocks=[_linear("base_pt_block", d, p.patch_length, component="head")])]
    if p.head == "prediction":
        return [Module(name="head", blocks=[projection("base_forecast_block", p.n_patches * d, p.prediction_length,
                                                       p.distribution)])]  # fmt: skip
    width = d * p.n_channels * (1 if p.aggregated else p.n_patches)
    blocks = [Module(name="head", blocks=[projection("projection", width, p.num_targets, p.distribution)])]
    if p.inject_scale:
        blocks.append(Module(name="inject_scale", blocks=[
            _linear("inverse_trans_expansion", d + 2, 2 * d, "head"), _linear("inverse_trans_compression", 2 * d, d, "head"),
            _linear("map_scale_expansion", 2, 4, "head"), _linear("map_scale_compression", 4, 2, "head")]))  # fmt: skip
    return blocks


def build(p: PatchTSMixerParams) -> Module:
    """The block tree of the PatchTSMixer class ``head`` names."""
    if p.head == "none":
        return Module(blocks=[_encoder(p)])
    return Module(blocks=[Module(name="model", blocks=[_encoder(p)]), *_head(p)])


@hookimpl
def register_families(register):
    """Register the ``patchtsmixer`` family."""
    register(Family(name="patchtsmixer", params=PatchTSMixerParams, build=build,
                    description="PatchTSMixer: an MLP-Mixer over the patches, features and channels of a time series",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
