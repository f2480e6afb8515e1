"""Microsoft's SpeechT5: one encoder-decoder shared by speech and text, with pre-nets and post-nets per modality
(the ``speecht5`` family).

As transformers 5.25 builds ``SpeechT5Model`` (no pre-nets), ``SpeechT5ForSpeechToText`` (speech encoder pre-net,
text decoder pre-net, ``text_decoder_postnet``), ``SpeechT5ForTextToSpeech`` (text encoder pre-net, speech decoder
pre-net, ``speech_decoder_postnet``) and ``SpeechT5ForSpeechToSpeech`` (speech pre-nets both sides, the speech
post-net) (``modeling_speecht5.py``); every name under ``speecht5.`` but the post-nets' (``SpeechT5Model``'s at the
root):

* ``encoder.wrapped_encoder``: ``layer_norm`` (before the layers), post-norm layers (``attention`` with
  ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``, all with biases; ``layer_norm``; ``feed_forward.intermediate_dense``
  and ``output_dense``; ``final_layer_norm``) and the relative positions' key table ``embed_positions.pe_k``
  (``2 × encoder_max_relative_position`` rows of ``d_model / heads``);
* ``decoder.wrapped_decoder``: layers (``self_attn``, ``self_attn_layer_norm``, ``encoder_attn``,
  ``encoder_attn_layer_norm``, ``feed_forward``, ``final_layer_norm``), no final norm;
* the speech encoder pre-net ``encoder.prenet``: wav2vec 2.0's feature encoder (``feature_encoder.conv_layers.<i>``:
  ``conv`` of ``conv_dim``/``conv_kernel``, a bias when ``conv_bias``; ``layer_norm`` on layer 0 for
  ``feat_extract_norm = "group"``, on every layer for ``"layer"``), ``feature_projection`` (``layer_norm``,
  ``projection``), the weight-normed positional convolution ``pos_conv_embed.conv`` (``parametrizations.weight
  .original0`` and ``.original1``, a bias) and ``masked_spec_embed`` when a masking probability is above 0; its
  sinusoidal positions are buffers;
* the text encoder pre-net ``encoder.prenet``: ``embed_tokens`` and the scaled positions' ``encode_positions.alpha``
  (one number; the table is a buffer);
* the text decoder pre-net ``decoder.prenet``: ``embed_tokens`` (sinusoidal positions: buffers);
* the speech decoder pre-net ``decoder.prenet``: ``layers.<i>`` (``num_mel_bins``, then ``prenet_units``, to
  ``prenet_units``), ``final_layer`` (to ``d_model``), ``encode_positions.alpha`` and ``speaker_embeds_layer``
  (``speaker_embedding_dim + d_model → d_model``), all linears with biases;
* ``text_decoder_postnet.lm_head`` (no bias), tied to the decoder's ``embed_tokens`` when ``tie_lm_head``;
* ``speech_decoder_postnet``: ``feat_out`` (to ``num_mel_bins × reduction_factor``), ``prob_out`` (to
  ``reduction_factor``) and ``layers.<i>`` (``conv`` without a bias, kernel ``postnet_kernel``, from
  ``num_mel_bins`` or ``postnet_units`` to ``postnet_units``, the last back to ``num_mel_bins``; a BatchNorm
  ``batch_norm``, whose running statistics are buffers).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

_ATTENTION = {"o": "out_proj"}
_FFN = {"up": "feed_forward.intermediate_dense", "down": "feed_forward.output_dense"}
#: The post-net's BatchNorm statistics: buffers that checkpoints store.
BATCH_NORM_BUFFERS = tuple((f".batch_norm.{name}", lambda dtype, shape: len(shape) <= 1)
                           for name in ("running_mean", "running_var", "num_batches_tracked"))  # fmt: skip
#: The pre-nets each class builds (encoder's, decoder's) and whether it has the text or the speech post-net.
CLASSES = {"model": ("", "", ""), "speech_to_text": ("speech", "text", "text"),
           "text_to_speech": ("text", "speech", "speech"), "speech_to_speech": ("speech", "speech", "speech")}  # fmt: skip


class SpeechT5Params(FamilyParams):
    """Hyper-parameters of the ``speecht5`` family."""

    architecture: Literal["model", "speech_to_text", "text_to_speech", "speech_to_speech"] = Field(
        "speech_to_text", description="model: SpeechT5Model (no pre-nets); the others: the ForX class")
    vocab_size: PositiveInt = Field(81, description="text tokens")
    d_model: PositiveInt = Field(768, description="hidden size")
    encoder_layers: NonNegativeInt = Field(12, description="encoder layers")
    encoder_heads: PositiveInt = Field(12, description="encoder attention heads")
    encoder_d_ff: PositiveInt = Field(3072, description="encoder feed-forward width")
    decoder_layers: NonNegativeInt = Field(6, description="decoder layers")
    decoder_heads: PositiveInt = Field(12, description="decoder attention heads")
    decoder_d_ff: PositiveInt = Field(3072, description="decoder feed-forward width")
    max_relative_position: PositiveInt = Field(160, description="encoder_max_relative_position (pe_k rows: twice it)")
    conv_dim: list[PositiveInt] = Field([512] * 7, description="feature encoder channels per layer")
    conv_kernel: list[PositiveInt] = Field([10, 3, 3, 3, 3, 2, 2], description="feature encoder kernels")
    conv_bias: bool = Field(False, description="biases on the feature encoder's convolutions")
    feat_extract_norm: Literal["group", "layer"] = Field("group", description="group: a norm on layer 0; layer: on all")
    pos_conv_kernel: PositiveInt = Field(128, description="num_conv_pos_embeddings")
    pos_conv_groups: PositiveInt = Field(16, description="num_conv_pos_embedding_groups")
    masked_spec_embed: bool = Field(True, description="a masking vector (a masking probability above 0)")
    num_mel_bins: PositiveInt = Field(80, description="mel bins of the speech decoder's frames")
    prenet_layers: NonNegativeInt = Field(2, description="speech_decoder_prenet_layers")
    prenet_units: PositiveInt = Field(256, description="speech_decoder_prenet_units")
    speaker_embedding_dim: PositiveInt = Field(512, description="speaker embedding width")
    postnet_layers: NonNegativeInt = Field(5, description="speech_decoder_postnet_layers")
    postnet_units: PositiveInt = Field(256, description="speech_decoder_postnet_units")
    postnet_kernel: PositiveInt = Field(5, description="speech_decoder_postnet_kernel")
    reduction_factor: PositiveInt = Field(2, description="frames predicted a decoder step")
    tie_lm_head: bool = Field(True, description="lm_head's weight shares the text decoder pre-net's embed_tokens")

    @model_validator(mode="after")
    def _check(self) -> SpeechT5Params:
        for field, heads in (("encoder_heads", self.encoder_heads), ("decoder_heads", self.decoder_heads)):
            if self.d_model % heads:
                raise FieldError(field, f"{heads} does not divide d_model ({self.d_model}): transformers refuses it")
        if len(self.conv_kernel) != len(self.conv_dim):
            raise FieldError("conv_kernel", f"{len(self.conv_kernel)} entries but conv_dim has {len(self.conv_dim)}")
        encoder, decoder, _ = CLASSES[self.architecture]
        if encoder == "speech" and self.d_model % self.pos_conv_groups:
            raise FieldError("pos_conv_groups", f"{self.pos_conv_groups} does not divide d_model ({self.d_model})")
        if self.d_model % 2 and (encoder == "text" or decoder == "speech"):
            raise FieldError("d_model", f"{self.d_model} is odd: the scaled positional encoding needs an even width")
        if self.d_model in (2, 3) and (encoder == "speech" or decoder == "text"):
            raise FieldError("d_model", f"{self.d_model}: the sinusoidal positions divide by d_model // 2 - 1, zero here")
        return self


def _encoder_prenet(p: SpeechT5Params, kind: str) -> list[Block]:
    d = p.d_model
    if kind == "text":
        return [Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
                Parameter(name="encode_positions.alpha", shape=(), component="other")]  # fmt: skip
    blocks: list[Block] = [Parameter(name="masked_spec_embed", shape=(d,))] if p.masked_spec_embed else []
    for i, (out, kernel) in enumerate(zip(p.conv_dim, p.conv_kernel)):
        layer: list[Block] = conv1d("conv", p.conv_dim[i - 1] if i else 1, out, kernel, bias=p.conv_bias)
        if p.feat_extract_norm == "layer" or i == 0:  # GroupNorm and LayerNorm both: a scale and a shift
            layer.append(LayerNorm(name="layer_norm", dim=out))
        blocks.append(Module(name=f"feature_encoder.conv_layers.{i}", blocks=layer))
    k = p.pos_conv_kernel
    return [*blocks,
            LayerNorm(name="feature_projection.layer_norm", dim=p.conv_dim[-1]),
            Linear(name="feature_projection.projection", in_features=p.conv_dim[-1], out_features=d, component="other"),
            Parameter(name="pos_conv_embed.conv.parametrizations.weight.original0", shape=(1, 1, k)),
            Parameter(name="pos_conv_embed.conv.parametrizations.weight.original1", shape=(d, d // p.pos_conv_groups, k)),
            Parameter(name="pos_conv_embed.conv.bias", shape=(d,))]  # fmt: skip


def _decoder_prenet(p: SpeechT5Params, kind: str) -> list[Block]:
    d = p.d_model
    if kind == "text":
        return [Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=d, role="token")]
    blocks: list[Block] = [Linear(name=f"layers.{i}", in_features=p.prenet_units if i else p.num_mel_bins,
                                  out_features=p.prenet_units, component="other") for i in range(p.prenet_layers)]  # fmt: skip
    return [*blocks, Linear(name="final_layer", in_features=p.prenet_units, out_features=d, component="other"),
            Parameter(name="encode_positions.alpha", shape=(), component="other"),
            Linear(name="speaker_embeds_layer", in_features=p.speaker_embedding_dim + d, out_features=d, component="other")]  # fmt: skip


def _postnet(p: SpeechT5Params, kind: str) -> list[Block]:
    if kind == "text":
        tied = "speecht5.decoder.prenet.embed_tokens.weight" if p.tie_lm_head else None
        return [Linear(name="text_decoder_postnet.lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False,
                       component="head", tied_to=tied)]  # fmt: skip
    mel, units, last = p.num_mel_bins, p.postnet_units, p.postnet_layers - 1
    layers = [Module(name=f"layers.{i}", blocks=[*conv1d("conv", units if i else mel, mel if i == last else units,
                                                         p.postnet_kernel, bias=False),
                                                  LayerNorm(name="batch_norm", dim=mel if i == last else units)])
              for i in range(p.postnet_layers)]  # fmt: skip
    return [Module(name="speech_decoder_postnet", blocks=[
        Linear(name="feat_out", in_features=p.d_model, out_features=mel * p.reduction_factor, component="head"),
        Linear(name="prob_out", in_features=p.d_model, out_features=p.reduction_factor, component="head"), *layers])]  # fmt: skip


def _layer(p: SpeechT5Params, decoder: bool) -> list[Block]:
    d, heads = p.d_model, p.decoder_heads if decoder else p.encoder_heads
    if not decoder:
        return [Attention(name="attention", d_model=d, n_heads=heads, names=_ATTENTION, kv_cache="none"),
                LayerNorm(name="layer_norm", dim=d), FeedForward(name="", d_model=d, d_ff=p.encoder_d_ff, names=_FFN),
                LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    return [Attention(name="self_attn", d_model=d, n_heads=heads, names=_ATTENTION, kv_cache="self"),
            LayerNorm(name="self_attn_layer_norm", dim=d),
            Attention(name="encoder_attn", d_model=d, n_heads=heads, names=_ATTENTION, kv_cache="encoder"),
            LayerNorm(name="encoder_attn_layer_norm", dim=d),
            FeedForward(name="", d_model=d, d_ff=p.decoder_d_ff, names=_FFN), LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip


def build(p: SpeechT5Params) -> Module:
    """The block tree of a SpeechT5 model."""
    encoder_kind, decoder_kind, post = CLASSES[p.architecture]
    encoder: list[Block] = [LayerNorm(name="layer_norm", dim=p.d_model)]
    if p.encoder_layers:
        encoder.append(Repeat(name="layers", count=p.encoder_layers, blocks=_layer(p, decoder=False)))
    encoder.append(Embedding(name="embed_positions.pe_k", num_embeddings=2 * p.max_relative_position,
                             embedding_dim=p.d_model // p.encoder_heads, role="position"))  # fmt: skip
    decoder: list[Block] = [Repeat(name="layers", count=p.decoder_layers, blocks=_layer(p, decoder=True))] if p.decoder_layers else []
    if not encoder_kind:  # SpeechT5Model: the bare stacks (SpeechT5EncoderWithoutPrenet, SpeechT5DecoderWithoutPrenet)
        return Module(blocks=[Module(name="encoder.wrapped_encoder", blocks=encoder),
                              Module(name="decoder.wrapped_decoder", blocks=decoder)])  # fmt: skip
    body = Module(name="speecht5", blocks=[
        Module(name="encoder", blocks=[Module(name="prenet", blocks=_encoder_prenet(p, encoder_kind)),
                                       Module(name="wrapped_encoder", blocks=encoder)]),
        Module(name="decoder", blocks=[Module(name="prenet", blocks=_decoder_prenet(p, decoder_kind)),
                                       Module(name="wrapped_decoder", blocks=decoder)]),
    ])  # fmt: skip
    return Module(blocks=[body, *_postnet(p, post)])


@hookimpl
def register_families(register):
    """Register the ``speecht5`` family."""
    register(Family(name="speecht5", params=SpeechT5Params, build=build,
                    description="SpeechT5: shared encoder-decoder with speech/text pre-nets and post-nets",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
