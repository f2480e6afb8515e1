"""Informer: an encoder-decoder Transformer for probabilistic forecasting (the ``informer`` family).

transformers 5.25's ``modeling_informer.py``. ``embedder.embedders.<i>`` holds a table per static categorical
feature (``cardinality[i]`` rows of ``embedding_dimension[i]``; none without such features). The encoder and the
decoder each hold ``value_embedding.value_projection`` (``feature_size`` -> ``d_model``, no bias: the lagged values
and the features of a step), ``embed_positions`` (the frozen sinusoidal table of ``context_length +
prediction_length`` rows: a parameter all the same) and ``layernorm_embedding``. An encoder layer holds
``self_attn`` (q, k, v, out_proj with biases; ProbSparse or full attention alike), ``self_attn_layer_norm``,
``fc1`` / ``fc2`` and ``final_layer_norm``; with ``distil`` every layer but the last is followed by a
``conv_layers.<i>``: a ``Conv1d`` of kernel 3 (``downConv``, with a bias) and a ``BatchNorm1d`` (``norm``). A decoder
layer adds the cross-attention ``encoder_attn`` and its ``encoder_attn_layer_norm``. ``InformerForPrediction`` puts
the model under ``model.`` and ends in ``parameter_projection`` (one ``Linear`` of ``d_model`` -> ``input_size`` per
parameter of the distribution: :mod:`registry.plugins.time_series_heads`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS
from registry.plugins.time_series_heads import projection


class InformerParams(FamilyParams):
    """Hyper-parameters of the ``informer`` family."""

    head: Literal["none", "prediction"] = Field("prediction", description="the class: InformerModel (none) or "
                                                "InformerForPrediction")
    d_model: PositiveInt = Field(64, description="hidden size")
    encoder_layers: PositiveInt = Field(2, description="encoder layers")
    decoder_layers: PositiveInt = Field(2, description="decoder layers")
    encoder_heads: PositiveInt = Field(2, description="encoder attention heads")
    decoder_heads: PositiveInt = Field(2, description="decoder attention heads")
    encoder_ffn: PositiveInt = Field(32, description="encoder feed-forward width")
    decoder_ffn: PositiveInt = Field(32, description="decoder feed-forward width")
    feature_size: PositiveInt = Field(22, description="inputs of the value embedding (lags, features, loc and scale)")
    n_positions: PositiveInt = Field(48, description="rows of the sinusoidal tables (context + prediction length)")
    cardinality: list[NonNegativeInt] = Field(
        default_factory=list, description="rows of each static categorical feature's table (none: no embedder)")
    embedding_dims: list[NonNegativeInt] = Field(
        default_factory=list, description="width of each static categorical feature's table")
    distil: bool = Field(True, description="a distilling convolution after every encoder layer but the last")
    input_size: PositiveInt = Field(1, description="variates of the target (the distribution head's outputs)")
    distribution: Literal["student_t", "normal", "negative_binomial"] = Field(
        "student_t", description="the distribution head's kind")

    @model_validator(mode="after")
    def _check(self) -> InformerParams:
        if len(self.embedding_dims) != len(self.cardinality):
            raise FieldError("embedding_dims", "one width per static categorical feature (as many as cardinality)")
        for field, heads in (("encoder_heads", self.encoder_heads), ("decoder_heads", self.decoder_heads)):
            if self.d_model % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_model ({self.d_model})")
        return self


def _attention(name: str, p: InformerParams, heads: int, cache: str) -> Attention:
    return Attention(name=name, d_model=p.d_model, n_heads=heads, names={"o": "out_proj"}, kv_cache=cache)


def _stack(p: InformerParams, decoder: bool) -> Module:
    d = p.d_model
    heads, ffn, count = ((p.decoder_heads, p.decoder_ffn, p.decoder_layers) if decoder
                         else (p.encoder_heads, p.encoder_ffn, p.encoder_layers))  # fmt: skip
    layer = [_attention("self_attn", p, heads, "self" if decoder else "none"), LayerNorm(name="self_attn_layer_norm", dim=d)]
    if decoder:
        layer += [_attention("encoder_attn", p, heads, "encoder"), LayerNorm(name="encoder_attn_layer_norm", dim=d)]
    layer += [FeedForward(d_model=d, d_ff=ffn, names={"up": "fc1", "down": "fc2"}), LayerNorm(name="final_layer_norm", dim=d)]
    blocks: list = [
        Linear(name="value_embedding.value_projection", in_features=p.feature_size, out_features=d, bias=False,
               component="embedding"),
        Embedding(name="embed_positions", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
        Repeat(name="layers", count=count, blocks=layer), LayerNorm(name="layernorm_embedding", dim=d)]  # fmt: skip
    if p.distil and not decoder and count > 1:
        blocks.append(Repeat(name="conv_layers", count=count - 1, blocks=[
            Parameter(name="downConv.weight", shape=(d, d, 3)), Parameter(name="downConv.bias", shape=(d,)),
            LayerNorm(name="norm", dim=d)]))  # BatchNorm1d: a scale and a shift (its statistics are buffers)  # fmt: skip
    return Module(name="decoder" if decoder else "encoder", blocks=blocks)


def build(p: InformerParams) -> Module:
    """The block tree of ``InformerModel`` or ``InformerForPrediction``."""
    tables = [Embedding(name=f"embedders.{i}", num_embeddings=rows, embedding_dim=width, role="other")
              for i, (rows, width) in enumerate(zip(p.cardinality, p.embedding_dims)) if rows and width]  # an empty table holds nothing
    model = [*([Module(name="embedder", blocks=tables)] if tables else []), _stack(p, False), _stack(p, True)]
    if p.head == "none":
        return Module(blocks=model)
    return Module(blocks=[Module(name="model", blocks=model),
                          projection("parameter_projection", p.d_model, p.input_size, p.distribution)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``informer`` family."""
    register(Family(name="informer", params=InformerParams, build=build,
                    description="Informer: an encoder-decoder Transformer for probabilistic time-series forecasting",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
