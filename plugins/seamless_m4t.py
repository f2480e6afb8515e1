"""Meta's SeamlessM4T (v1 and v2): text and speech encoders, a text decoder, a text-to-unit model and a unit vocoder
(the ``seamless-m4t`` family).

As transformers 5.25 builds ``SeamlessM4Tv2Model`` and its ``ForTextToText``, ``ForSpeechToText``,
``ForTextToSpeech`` and ``ForSpeechToSpeech`` classes (``modeling_seamless_m4t_v2.py``); each class holds the parts
its modalities need (:data:`PARTS`):

* ``shared`` (``vocab_size × d_model``); ``text_encoder.embed_tokens``, ``text_decoder.embed_tokens`` and
  ``lm_head`` (no bias) share its storage when ``tie_lm_head`` (the config's ``tie_word_embeddings``), else each is a
  table of its own; sinusoidal positions are buffers;
* ``text_encoder``: layers (``self_attn`` with ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``, all with biases;
  ``self_attn_layer_norm``; ``ffn.fc1``, ``ffn.fc2``; ``ffn_layer_norm``) and a final ``layer_norm``;
* ``text_decoder``: layers (``self_attn``, ``self_attn_layer_norm``, ``cross_attention``,
  ``cross_attention_layer_norm``, ``ffn``, ``ffn_layer_norm``) and ``layer_norm``;
* ``speech_encoder``: ``feature_projection`` (``layer_norm`` of ``feature_dim``, ``projection``), conformer layers
  under ``encoder.layers`` (wav2vec2-BERT's: :func:`registry.plugins.speech_conformer.conformer_layer`, LayerNorm in
  the convolution module, a ``distance_embedding`` for ``relative_key`` positions), ``encoder.layer_norm``,
  ``intermediate_ffn``, the ``adapter`` (:func:`~registry.plugins.speech_conformer.bert_adapter`) when ``adapter``,
  and ``inner_layer_norm``;
* ``t2u_model`` (the non-autoregressive text-to-unit model, its sizes the config's ``t2u_*`` fields):
  ``model.encoder`` (layers as the text encoder's, ``layer_norm``; no token table), ``model.decoder``
  (``embed_tokens`` of ``t2u_vocab_size``, ``embed_char`` of ``char_vocab_size``, ``pos_emb_alpha`` and
  ``pos_emb_alpha_char`` (one number each), the ``duration_predictor`` (``conv1`` and ``conv2`` of ``var_kernel``
  with ``ln1``, ``ln2``, ``proj`` to 1), layers of ``self_attn``, ``self_attn_layer_norm``, two kernel-7 ``conv1``
  and ``conv2`` and ``conv_layer_norm``, and ``layer_norm``) and its ``lm_head`` (no bias), tied to ``model.decoder.embed_tokens`` when ``tie_lm_head``;
* ``vocoder``: ``dur_predictor`` (the same predictor over ``unit_embed_dim``, kernel ``vocoder_var_kernel``),
  ``unit_embedding``, ``speaker_embedding``, ``language_embedding`` and ``hifi_gan``: ``conv_pre`` (the three
  embeddings' width to ``upsample_channels``, kernel 7), ``upsampler.<i>`` (transposed convolutions halving the
  channels, weight ``(in, out, kernel)``), ``resblocks.<i × kernels + j>`` (``convs1.<k>`` and ``convs2.<k>``, one per
  dilation, kernel ``resblock_kernels[j]``) and ``conv_post`` (to 1 channel, kernel 7); every convolution with a bias.

SeamlessM4T v1 (``modeling_seamless_m4t.py``, ``SeamlessM4TModel`` and its ForX classes) differs by two switches:
``speech_positions = "relative"`` (wav2vec 2.0-Conformer's ``linear_pos``, ``pos_bias_u``, ``pos_bias_v``; or
``"none"`` for rotary positions) with a BatchNorm in the conformer's convolution module (``conformer_conv_norm =
"batch_norm"``, its running statistics buffers), and ``t2u = "autoregressive"``: the text-to-unit model is an
encoder-decoder (``model.decoder``: ``embed_tokens`` of ``t2u_vocab_size``, layers as the text decoder's of
``t2u_decoder_d_ff``, ``layer_norm``), no character table, duration predictor nor convolutions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import (Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter,
                             Repeat, TiedEmbedding)  # fmt: skip
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d
from registry.plugins.speech_conformer import FFN_NAMES as CONFORMER_FFN
from registry.plugins.speech_conformer import BATCH_NORM_BUFFERS, bert_adapter, conformer_layer

_FFN = {"up": "ffn.fc1", "down": "ffn.fc2"}
_ATTENTION = {"o": "out_proj"}
#: The parts each class holds (text encoder, speech encoder, speech output: t2u_model and vocoder).
PARTS = {"model": ("text", "speech", "units"), "text_to_text": ("text",), "speech_to_text": ("speech",),
         "text_to_speech": ("text", "units"), "speech_to_speech": ("speech", "units")}  # fmt: skip


class SeamlessM4TParams(FamilyParams):
    """Hyper-parameters of the ``seamless-m4t`` family."""

    architecture: Literal["model", "text_to_text", "speech_to_text", "text_to_speech", "speech_to_speech"] = Field(
        "model", description="model: SeamlessM4T(v2)Model (every part); the others: the ForX class's parts")
    vocab_size: PositiveInt = Field(256102, description="text tokens")
    d_model: PositiveInt = Field(1024, description="hidden size of every stack")
    encoder_layers: NonNegativeInt = Field(24, description="text encoder layers")
    encoder_heads: PositiveInt = Field(16, description="text encoder heads")
    encoder_d_ff: PositiveInt = Field(8192, description="text encoder feed-forward width")
    decoder_layers: NonNegativeInt = Field(24, description="text decoder layers")
    decoder_heads: PositiveInt = Field(16, description="text decoder heads")
    decoder_d_ff: PositiveInt = Field(8192, description="text decoder feed-forward width")
    speech_layers: NonNegativeInt = Field(24, description="speech encoder conformer layers")
    speech_heads: PositiveInt = Field(16, description="speech encoder heads")
    speech_d_ff: PositiveInt = Field(4096, description="speech encoder feed-forward width (and the adapter's)")
    feature_dim: PositiveInt = Field(160, description="feature_projection_input_dim")
    depthwise_kernel: PositiveInt = Field(31, description="the conformer's depthwise convolution kernel")
    speech_positions: Literal["relative_key", "relative", "none"] = Field(
        "relative_key", description="relative_key: a distance table (v2); relative: projection and biases (v1); none")
    distance_positions: NonNegativeInt = Field(73, description="relative_key table rows (left + right + 1)")
    conformer_conv_norm: Literal["layer_norm", "batch_norm"] = Field(
        "layer_norm", description="the conformer convolution module's norm (v2: LayerNorm, v1: BatchNorm)")
    adapter: bool = Field(True, description="add_adapter")
    adapter_layers: NonNegativeInt = Field(1, description="adapter layers")
    adapter_kernel: PositiveInt = Field(8, description="adaptor_kernel_size")
    t2u_vocab_size: PositiveInt = Field(10082, description="unit tokens")
    char_vocab_size: PositiveInt = Field(10943, description="characters of the t2u decoder")
    t2u_encoder_layers: NonNegativeInt = Field(6, description="t2u encoder layers")
    t2u_encoder_heads: PositiveInt = Field(16, description="t2u encoder heads")
    t2u_encoder_d_ff: PositiveInt = Field(8192, description="t2u encoder feed-forward width")
    t2u_decoder_layers: NonNegativeInt = Field(6, description="t2u decoder layers")
    t2u_decoder_heads: PositiveInt = Field(16, description="t2u decoder heads")
    t2u: Literal["non_autoregressive", "autoregressive"] = Field(
        "non_autoregressive", description="v2's non-autoregressive text-to-unit decoder or v1's encoder-decoder")
    t2u_decoder_d_ff: PositiveInt = Field(8192, description="autoregressive t2u decoder's feed-forward width")
    var_embed_dim: PositiveInt = Field(1024, description="t2u duration predictor's input width")
    var_hidden_dim: PositiveInt = Field(256, description="t2u duration predictor's width")
    var_kernel: PositiveInt = Field(3, description="t2u duration predictor's kernel")
    unit_vocab_size: PositiveInt = Field(10000, description="unit_hifi_gan_vocab_size")
    unit_embed_dim: PositiveInt = Field(1280, description="the vocoder's unit embedding width")
    lang_embed_dim: PositiveInt = Field(256, description="the vocoder's language embedding width")
    spkr_embed_dim: PositiveInt = Field(256, description="the vocoder's speaker embedding width")
    vocoder_langs: PositiveInt = Field(36, description="vocoder_num_langs")
    vocoder_speakers: PositiveInt = Field(200, description="vocoder_num_spkrs")
    vocoder_var_kernel: PositiveInt = Field(3, description="the vocoder duration predictor's kernel")
    upsample_channels: PositiveInt = Field(512, description="upsample_initial_channel")
    upsample_kernels: list[PositiveInt] = Field([11, 8, 8, 4, 4], description="one transposed convolution each")
    resblock_kernels: list[PositiveInt] = Field([3, 7, 11], description="residual blocks per upsampling, by kernel")
    resblock_dilations: list[list[PositiveInt]] = Field([[1, 3, 5]] * 3, description="dilations of each kernel's block")
    tie_lm_head: bool = Field(True, description="lm_head and the token tables share shared.weight")

    @model_validator(mode="after")
    def _check(self) -> SeamlessM4TParams:
        for field in ("encoder_heads", "decoder_heads", "t2u_encoder_heads", "t2u_decoder_heads"):
            if self.d_model % getattr(self, field):
                raise FieldError(field, f"{getattr(self, field)} does not divide d_model ({self.d_model})")
        if self.d_model % self.speech_heads:
            raise FieldError("speech_heads", f"{self.speech_heads} does not divide d_model ({self.d_model})")
        if len(self.resblock_kernels) != len(self.resblock_dilations):
            raise FieldError("resblock_dilations", f"{len(self.resblock_dilations)} entries but resblock_kernels has "
                                                   f"{len(self.resblock_kernels)}")  # fmt: skip
        if "units" in PARTS[self.architecture] and self.upsample_channels >> len(self.upsample_kernels) < 1:
            raise FieldError("upsample_channels", f"{self.upsample_channels} halved {len(self.upsample_kernels)} times "
                                                  "leaves no channel")  # fmt: skip
        return self


def _stack(p: SeamlessM4TParams, layers: int, heads: int, d_ff: int, cross: bool) -> list[Block]:
    d = p.d_model
    layer: list[Block] = [Attention(name="self_attn", d_model=d, n_heads=heads, names=_ATTENTION,
                                    kv_cache="self" if cross else "none"), LayerNorm(name="self_attn_layer_norm", dim=d)]  # fmt: skip
    if cross:
        layer += [Attention(name="cross_attention", d_model=d, n_heads=heads, names=_ATTENTION, kv_cache="encoder"),
                  LayerNorm(name="cross_attention_layer_norm", dim=d)]  # fmt: skip
    layer += [FeedForward(name="", d_model=d, d_ff=d_ff, names=_FFN), LayerNorm(name="ffn_layer_norm", dim=d)]
    return [Repeat(name="layers", count=layers, blocks=layer)] if layers else []


def _tokens(p: SeamlessM4TParams, name: str) -> Block:
    if p.tie_lm_head:
        return TiedEmbedding(name=name, num_embeddings=p.vocab_size, embedding_dim=p.d_model, tied_to="shared.weight")
    return Embedding(name=name, num_embeddings=p.vocab_size, embedding_dim=p.d_model)


def _speech_encoder(p: SeamlessM4TParams) -> Module:
    d = p.d_model
    layer = conformer_layer(d, p.speech_heads, p.speech_d_ff, p.depthwise_kernel, p.speech_positions,
                            p.distance_positions or 1, p.conformer_conv_norm)  # fmt: skip
    blocks: list[Block] = [
        LayerNorm(name="feature_projection.layer_norm", dim=p.feature_dim),
        Linear(name="feature_projection.projection", in_features=p.feature_dim, out_features=d, component="other"),
        Module(name="encoder", blocks=[*([Repeat(name="layers", count=p.speech_layers, blocks=layer)] if p.speech_layers else []),
                                       LayerNorm(name="layer_norm", dim=d)]),
        FeedForward(name="intermediate_ffn", d_model=d, d_ff=p.speech_d_ff, names=CONFORMER_FFN),
    ]  # fmt: skip
    if p.adapter:
        blocks.append(bert_adapter(d, d, p.speech_heads, p.speech_d_ff, p.adapter_kernel, p.adapter_layers))
    return Module(name="speech_encoder", blocks=[*blocks, LayerNorm(name="inner_layer_norm", dim=d)])


def _variance_predictor(name: str, n_in: int, width: int, kernel: int) -> Module:
    return Module(name=name, blocks=[*conv1d("conv1", n_in, width, kernel), LayerNorm(name="ln1", dim=width),
                                     *conv1d("conv2", width, width, kernel), LayerNorm(name="ln2", dim=width),
                                     Linear(name="proj", in_features=width, out_features=1, component="other")])  # fmt: skip


def _t2u(p: SeamlessM4TParams) -> Module:
    d = p.d_model
    encoder = [*_stack(p, p.t2u_encoder_layers, p.t2u_encoder_heads, p.t2u_encoder_d_ff, cross=False), LayerNorm(name="layer_norm", dim=d)]
    head = Linear(name="lm_head", in_features=d, out_features=p.t2u_vocab_size, bias=False, component="head",
                  tied_to="t2u_model.model.decoder.embed_tokens.weight" if p.tie_lm_head else None)  # fmt: skip
    if p.t2u == "autoregressive":
        decoder = [Embedding(name="embed_tokens", num_embeddings=p.t2u_vocab_size, embedding_dim=d),
                   *_stack(p, p.t2u_decoder_layers, p.t2u_decoder_heads, p.t2u_decoder_d_ff, cross=True),
                   LayerNorm(name="layer_norm", dim=d)]  # fmt: skip
        return Module(name="t2u_model", blocks=[
            Module(name="model", blocks=[Module(name="encoder", blocks=encoder), Module(name="decoder", blocks=decoder)]), head])
    layer: list[Block] = [Attention(name="self_attn", d_model=d, n_heads=p.t2u_decoder_heads, names=_ATTENTION, kv_cache="none"),
                          LayerNorm(name="self_attn_layer_norm", dim=d), *conv1d("conv1", d, d, 7), *conv1d("conv2", d, d, 7),
                          LayerNorm(name="conv_layer_norm", dim=d)]  # fmt: skip
    decoder: list[Block] = [
        Parameter(name="pos_emb_alpha_char", shape=(1,)), Parameter(name="pos_emb_alpha", shape=(1,)),
        Embedding(name="embed_tokens", num_embeddings=p.t2u_vocab_size, embedding_dim=d),
        Embedding(name="embed_char", num_embeddings=p.char_vocab_size, embedding_dim=d, role="other"),
        _variance_predictor("duration_predictor", p.var_embed_dim, p.var_hidden_dim, p.var_kernel),
        *([Repeat(name="layers", count=p.t2u_decoder_layers, blocks=layer)] if p.t2u_decoder_layers else []),
        LayerNorm(name="layer_norm", dim=d),
    ]  # fmt: skip
    return Module(name="t2u_model", blocks=[
        Module(name="model", blocks=[Module(name="encoder", blocks=encoder), Module(name="decoder", blocks=decoder)]), head])


def _vocoder(p: SeamlessM4TParams) -> Module:
    blocks: list[Block] = [*conv1d("conv_pre", p.unit_embed_dim + p.lang_embed_dim + p.spkr_embed_dim, p.upsample_channels, 7)]
    channels = p.upsample_channels
    for i, kernel in enumerate(p.upsample_kernels):  # ConvTranspose1d: weight (in, out, kernel)
        blocks += [Parameter(name=f"upsampler.{i}.weight", shape=(channels, channels // 2, kernel)),
                   Parameter(name=f"upsampler.{i}.bias", shape=(channels // 2,))]  # fmt: skip
        channels //= 2
        for j, (size, dilations) in enumerate(zip(p.resblock_kernels, p.resblock_dilations)):
            convs: list[Block] = []
            for group in ("convs1", "convs2"):
                for k in range(len(dilations)):
                    convs += conv1d(f"{group}.{k}", channels, channels, size)
            blocks.append(Module(name=f"resblocks.{i * len(p.resblock_kernels) + j}", blocks=convs))
    blocks += conv1d("conv_post", channels, 1, 7)
    return Module(name="vocoder", blocks=[
        _variance_predictor("dur_predictor", p.unit_embed_dim, p.unit_embed_dim, p.vocoder_var_kernel),
        Embedding(name="unit_embedding", num_embeddings=p.unit_vocab_size, embedding_dim=p.unit_embed_dim, role="other"),
        Embedding(name="speaker_embedding", num_embeddings=p.vocoder_speakers, embedding_dim=p.spkr_embed_dim, role="other"),
        Embedding(name="language_embedding", num_embeddings=p.vocoder_langs, embedding_dim=p.lang_embed_dim, role="other"),
        Module(name="hifi_gan", blocks=blocks),
    ])  # fmt: skip


def build(p: SeamlessM4TParams) -> Module:
    """The block tree of a SeamlessM4T model (the class's parts)."""
    d, parts = p.d_model, PARTS[p.architecture]
    blocks: list[Block] = [Embedding(name="shared", num_embeddings=p.vocab_size, embedding_dim=d)]
    if "text" in parts:
        blocks.append(Module(name="text_encoder", blocks=[
            _tokens(p, "embed_tokens"), *_stack(p, p.encoder_layers, p.encoder_heads, p.encoder_d_ff, cross=False),
            LayerNorm(name="layer_norm", dim=d)]))  # fmt: skip
    if "speech" in parts:
        blocks.append(_speech_encoder(p))
    blocks.append(Module(name="text_decoder", blocks=[
        _tokens(p, "embed_tokens"), *_stack(p, p.decoder_layers, p.decoder_heads, p.decoder_d_ff, cross=True),
        LayerNorm(name="layer_norm", dim=d)]))  # fmt: skip
    tied = "shared.weight" if p.tie_lm_head else None
    blocks.append(Linear(name="lm_head", in_features=d, out_features=p.vocab_size, bias=False, component="head", tied_to=tied))
    if "units" in parts:
        blocks += [_t2u(p), _vocoder(p)]
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``seamless-m4t`` family."""
    register(Family(name="seamless-m4t", params=SeamlessM4TParams, build=build,
                    description="SeamlessM4T (v1, v2): text and speech encoders, text decoder, text-to-unit model, unit vocoder",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
