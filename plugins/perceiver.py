"""Perceiver IO: latents that cross-attend to the inputs once, then self-attend (the ``perceiver`` family).

transformers 5.25's ``modeling_perceiver.py``. ``embeddings.latents`` holds ``num_latents`` rows of ``d_latents``.
A Perceiver layer (``PerceiverLayer``) holds ``attention.self`` (``layernorm1`` of the queries' width, ``layernorm2``
of the keys' width in a cross-attention, ``query`` / ``key`` to ``qk_channels``, ``value`` to ``v_channels``),
``attention.output.dense`` (the values to the queries' width in a cross-attention, else to ``v_channels``),
``layernorm`` and ``mlp.dense1`` / ``dense2`` (``widening_factor`` times the queries' width); every projection has a
bias. ``qk_channels`` defaults to the queries' width (a cross-attention's to the queries' or the keys' width, as
``cross_attention_shape_for_attention`` says), ``v_channels`` to ``qk_channels``. The encoder holds one
``cross_attention`` (latents over the inputs) and ``self_attends``, ``num_self_attends_per_block`` layers run
``num_blocks`` times with the same weights (:class:`registry.blocks.Shared`).

The inputs' width (the cross-attention's keys) is the preprocessor's: ``d_model`` for the bare ``PerceiverModel``
and for text (``input_preprocessor.embeddings`` of ``vocab_size`` rows and ``position_embeddings`` of
``max_position_embeddings`` rows); 512 for ``...ImageClassificationLearned`` (a 1x1 convolution to 256 channels,
a learned position table of ``image_size**2`` rows projected to 256, concatenated), 261 for ``...Fourier`` (the 3
pixel channels and 258 Fourier features, no tensors), 322 for ``...ConvProcessing`` (a 7x7 convolution to 64
channels and its batch norm, and the Fourier features). The decoder: the masked LM's (a learned query table of
``max_position_embeddings`` rows of ``d_model``, a cross-attention of 8 heads, 256 query/key channels and ``d_model``
values; the logits from the token table and ``embedding_decoder.bias``), or the classifiers' (one learned query of
``d_latents``, a one-head cross-attention, ``final_layer`` to ``num_labels``), under ``decoder.decoder``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat, Shared
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS

#: The width of the inputs each image preprocessor hands the encoder (its channels and position features).
IMAGE_INPUTS = {"image_learned": 256 + 256, "image_fourier": 3 + 258, "image_conv": 64 + 258}


class PerceiverParams(FamilyParams):
    """Hyper-parameters of the ``perceiver`` family."""

    head: Literal["none", "mlm", "sequence", "image_learned", "image_fourier", "image_conv"] = Field(
        "mlm", description="the class: PerceiverModel (none), ...ForMaskedLM, ...ForSequenceClassification, "
        "...ForImageClassificationLearned, ...Fourier, ...ConvProcessing")
    num_latents: PositiveInt = Field(256, description="latent rows")
    d_latents: PositiveInt = Field(1280, description="width of a latent")
    d_model: PositiveInt = Field(768, description="width of the text inputs (and of the bare model's inputs)")
    vocab_size: PositiveInt = Field(262, description="token (byte) vocabulary")
    n_positions: PositiveInt = Field(2048, description="text positions (max_position_embeddings)")
    qk_channels: PositiveInt | None = Field(None, description="query/key channels (default: see the family's doc)")
    v_channels: PositiveInt | None = Field(None, description="value channels (default qk_channels)")
    cross_heads: PositiveInt = Field(8, description="heads of the encoder's cross-attention")
    self_heads: PositiveInt = Field(8, description="heads of the self-attention layers")
    cross_widening: PositiveInt = Field(1, description="widening of the cross-attention's MLP")
    self_widening: PositiveInt = Field(1, description="widening of the self-attention layers' MLPs")
    self_attends: PositiveInt = Field(26, description="self-attention layers in the block")
    num_blocks: PositiveInt = Field(1, description="applications of the block (its weights shared)")
    cross_shape: Literal["q", "kv"] = Field("kv", description="a cross-attention's default query/key channels: "
                                            "the queries' (q) or the keys' (kv) width")
    n_labels: PositiveInt = Field(2, description="classes of the classifiers")
    image_size: PositiveInt = Field(56, description="side of the image (the learned position table's rows: its square)")

    @model_validator(mode="after")
    def _check(self) -> PerceiverParams:
        for field, heads in (("self_heads", self.self_heads), ("cross_heads", self.cross_heads)):
            if self.d_latents % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_latents ({self.d_latents})")
        for cross, kv, heads, field in ((True, self.inputs, self.cross_heads, "cross_heads"),
                                        (False, self.d_latents, self.self_heads, "self_heads")):  # fmt: skip
            qk, v = self.channels(self.d_latents, kv, cross, self.qk_channels, self.v_channels)
            if qk % heads or v % heads:
                raise FieldError(field, f"{field} ({heads}) must divide the query/key ({qk}) and value ({v}) channels")
        if self.head == "mlm" and self.d_model % 8:
            raise FieldError("d_model", f"must be a multiple of 8 (got {self.d_model}): the masked LM's decoder has 8 "
                             "heads over d_model value channels")  # fmt: skip
        return self

    @property
    def inputs(self) -> int:
        """The width of what the encoder's cross-attention reads (the preprocessor's channels)."""
        return IMAGE_INPUTS.get(self.head, self.d_model)

    def channels(self, q_dim: int, kv_dim: int, cross: bool, qk: int | None, v: int | None) -> tuple[int, int]:
        """(query/key, value) channels of an attention, as ``PerceiverAttention`` defaults them."""
        if qk is None:
            qk = (q_dim if self.cross_shape == "q" else kv_dim) if cross else q_dim
        return qk, v or qk


def _linear(name: str, n_in: int, n_out: int, component: str = "attention") -> Linear:
    return Linear(name=name, in_features=n_in, out_features=n_out, component=component)


def _layer(p: PerceiverParams, q_dim: int, kv_dim: int, cross: bool, widening: int, qk: int | None = None,
           v: int | None = None) -> list:  # fmt: skip
    """A ``PerceiverLayer``'s blocks (``qk``, ``v``: the channels asked for; None: the defaults)."""
    qk, v = p.channels(q_dim, kv_dim, cross, qk, v)
    attention = [LayerNorm(name="attention.self.layernorm1", dim=q_dim),
                 *([LayerNorm(name="attention.self.layernorm2", dim=kv_dim)] if cross else []),
                 _linear("attention.self.query", q_dim, qk), _linear("attention.self.key", kv_dim, qk),
                 _linear("attention.self.value", kv_dim, v),
                 _linear("attention.output.dense", v, q_dim if cross else v)]  # fmt: skip
    return [*attention, LayerNorm(name="layernorm", dim=q_dim), _linear("mlp.dense1", q_dim, widening * q_dim, "feed_forward"),
            _linear("mlp.dense2", widening * q_dim, q_dim, "feed_forward")]  # fmt: skip


def _preprocessor(p: PerceiverParams) -> list:
    if p.head in ("mlm", "sequence"):
        return [Embedding(name="embeddings", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
                Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=p.d_model,
                          role="position")]  # fmt: skip
    if p.head == "image_learned":
        return [Parameter(name="convnet_1x1.weight", shape=(256, 3, 1, 1), component="embedding"),
                Parameter(name="convnet_1x1.bias", shape=(256,), component="embedding"),
                Parameter(name="position_embeddings.position_embeddings", shape=(p.image_size**2, 256), component="embedding"),
                _linear("positions_projection", 256, 256, "embedding")]  # fmt: skip
    if p.head == "image_conv":  # BatchNorm2d: a scale and a shift (its statistics are buffers)
        return [Parameter(name="convnet.conv.weight", shape=(64, 3, 7, 7), component="embedding"),
                LayerNorm(name="convnet.batchnorm", dim=64)]  # fmt: skip
    return []


def _decoder(p: PerceiverParams) -> list:
    if p.head == "mlm":
        return [Module(name="decoder", blocks=[
            Parameter(name="output_position_encodings.position_embeddings", shape=(p.n_positions, p.d_model),
                      component="head"),
            Module(name="decoding_cross_attention", blocks=_layer(p, p.d_model, p.d_latents, True, 1, 256, p.d_model))])]
    d = p.d_latents
    return [Module(name="decoder.decoder", blocks=[
        Parameter(name="output_position_encodings.position_embeddings", shape=(1, d), component="head"),
        Module(name="decoding_cross_attention", blocks=_layer(p, d, d, True, 1)),
        _linear("final_layer", d, p.n_labels, "head")])]  # fmt: skip


def build(p: PerceiverParams) -> Module:
    """The block tree of the Perceiver class ``head`` names."""
    d = p.d_latents
    encoder = Module(name="encoder", blocks=[
        Module(name="cross_attention", blocks=_layer(p, d, p.inputs, True, p.cross_widening, p.qk_channels, p.v_channels)),
        Shared(name="", uses=p.num_blocks, blocks=[Repeat(name="self_attends", count=p.self_attends, blocks=_layer(
            p, d, d, False, p.self_widening, p.qk_channels, p.v_channels))])])  # fmt: skip
    latents = Parameter(name="embeddings.latents", shape=(p.num_latents, d), component="embedding")
    if p.head == "none":
        return Module(blocks=[latents, encoder])
    preprocessor = _preprocessor(p)
    body = [*([Module(name="input_preprocessor", blocks=preprocessor)] if preprocessor else []), latents, encoder,
            *_decoder(p)]  # fmt: skip
    blocks = [Module(name="perceiver", blocks=body)]
    if p.head == "mlm":  # the logits come from the token table itself
        blocks.append(Parameter(name="embedding_decoder.bias", shape=(p.vocab_size,), component="head"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``perceiver`` family."""
    register(Family(name="perceiver", params=PerceiverParams, build=build,
                    description="Perceiver IO: latents cross-attending to text or image inputs, then self-attending",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
