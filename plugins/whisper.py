"""Whisper: a convolutional front end over log-mel frames, a transformer encoder, a decoder with
cross-attention and an output projection tied to the decoder's token embedding.

One family, ``whisper``, as transformers 5 builds ``WhisperForConditionalGeneration`` (and the bare
``WhisperModel``, ``architecture = "model"``):

* the encoder's front end: ``model.encoder.conv1`` (``num_mel_bins → d_model``, kernel 3) and
  ``conv2`` (``d_model → d_model``, kernel 3, stride 2, which halves the frames: 3,000 mel frames of
  30 s of audio become 1,500 encoder positions), each a ``Conv1d`` with a bias, weight
  ``(out, in, 3)``;
* ``model.encoder.embed_positions``: ``max_source_positions × d_model``. Its values are fixed
  sinusoids and transformers freezes it (``requires_grad_(False)``), but it is an ``nn.Embedding``,
  so ``model.parameters()`` holds it and checkpoints store it: counted, as a position table;
* ``model.decoder.embed_tokens`` (``vocab_size × d_model``) and the learned
  ``model.decoder.embed_positions`` (``max_target_positions × d_model``);
* layers of BART's shape (``self_attn``, ``self_attn_layer_norm``, decoder ``encoder_attn`` and
  ``encoder_attn_layer_norm``, ``fc1``, ``fc2``, ``final_layer_norm``: pre-norm), every projection
  with a bias except ``k_proj`` (transformers' ``WhisperAttention``); a final ``layer_norm`` per stack;
* ``proj_out`` (``d_model → vocab_size``, no bias), tied to ``model.decoder.embed_tokens`` unless
  ``tie_lm_head`` is false (the config's ``tie_word_embeddings``).

``k_proj`` having no bias is why this is not a layout of ``encoder-decoder``: that family shares one
token table between both stacks, and Whisper's encoder reads no tokens.

Speech2Text (``speech_to_text``, ``modeling_speech_to_text.py``) is the same encoder-decoder with three switches:
``front_end = "subsampler"`` (``Conv1dSubsampler``: ``model.encoder.conv.conv_layers.<i>``, a ``Conv1d`` with a bias
per entry of ``subsampler_kernels``, ``num_mel_bins`` (its ``input_feat_per_channel × input_channels``) in, then
``subsampler_channels // 2`` in (each GLU halves the channels), ``subsampler_channels`` out, the last
``2 × d_model`` out), ``learned_positions = false`` (sinusoidal positions in both stacks, buffers: no tables) and
``key_bias = true`` (``k_proj`` has a bias too); its head is ``lm_head`` (``head_name``). Its encoder's length
follows the audio, so the cross-attention has no fixed ``encoder_len``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d

#: Kernel width of both front-end convolutions (fixed in transformers' WhisperEncoder).
CONV_KERNEL = 3
#: The attention's roles under Whisper's names (BART's).
ATTENTION_NAMES = {"o": "out_proj"}
FFN_NAMES = {"up": "fc1", "down": "fc2"}


class WhisperParams(FamilyParams):
    """Hyper-parameters of the whisper family."""

    architecture: Literal["conditional_generation", "model"] = Field(
        "conditional_generation", description="conditional_generation: the model and proj_out; model: the bare model"
    )
    vocab_size: PositiveInt = Field(description="decoder token embedding rows (and proj_out outputs)")
    d_model: PositiveInt = Field(description="residual stream width of both stacks")
    num_mel_bins: PositiveInt = Field(description="log-mel channels into conv1 (80; 128 from large-v3)")
    n_encoder_layers: NonNegativeInt = Field(description="encoder layers")
    n_decoder_layers: NonNegativeInt = Field(description="decoder layers")
    n_encoder_heads: PositiveInt = Field(description="attention heads of the encoder")
    n_decoder_heads: PositiveInt = Field(description="attention heads of the decoder")
    encoder_d_ff: PositiveInt = Field(description="feed-forward width of the encoder")
    decoder_d_ff: PositiveInt = Field(description="feed-forward width of the decoder")
    max_source_positions: PositiveInt = Field(description="encoder position rows (1500: 30 s after the stride-2 conv)")
    max_target_positions: PositiveInt = Field(description="decoder position rows")
    tie_lm_head: bool = Field(True, description="proj_out is the decoder's token embedding (counted once)")
    front_end: Literal["whisper", "subsampler"] = Field(
        "whisper", description="whisper: conv1 and conv2 over the mel frames; subsampler: Speech2Text's stride-2 Conv1d stack")
    subsampler_kernels: list[PositiveInt] = Field(default_factory=list, description="subsampler: one kernel per Conv1d")
    subsampler_channels: PositiveInt = Field(1024, description="subsampler: output channels of every Conv1d but the last")
    learned_positions: bool = Field(True, description="learned position tables (false: Speech2Text's sinusoids, buffers)")
    key_bias: bool = Field(False, description="a bias on k_proj (Whisper: none; Speech2Text: one)")
    head_name: Literal["proj_out", "lm_head"] = Field("proj_out", description="the output projection's name")

    @model_validator(mode="after")
    def _check(self) -> WhisperParams:
        for field, heads in (("n_encoder_heads", self.n_encoder_heads), ("n_decoder_heads", self.n_decoder_heads)):
            if self.d_model % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_model ({self.d_model})")
        if self.front_end == "subsampler":  # no kernels: transformers builds an empty subsampler, so does this
            if len(self.subsampler_kernels) > 1 and self.subsampler_channels < 2:
                raise FieldError("subsampler_channels", f"{self.subsampler_channels}: the GLU halves it to no input "
                                 "channel for the next convolution (the model cannot run)")
        elif self.subsampler_kernels:
            raise FieldError("subsampler_kernels", "only the subsampler front end has them")
        return self


def _layer(p: WhisperParams, decoder: bool) -> list[Block]:
    heads = p.n_decoder_heads if decoder else p.n_encoder_heads

    def attention(name: str, kv_cache: str) -> Attention:
        fixed = kv_cache == "encoder" and p.front_end == "whisper"
        encoder_len = p.max_source_positions if fixed else None  # Whisper pads every input to 30 s
        return Attention(name=name, d_model=p.d_model, n_heads=heads, bias=True, k_bias=p.key_bias,
                         names=ATTENTION_NAMES, kv_cache=kv_cache, encoder_len=encoder_len)  # fmt: skip

    blocks: list[Block] = [attention("self_attn", "self" if decoder else "none"),
                           LayerNorm(name="self_attn_layer_norm", dim=p.d_model)]  # fmt: skip
    if decoder:
        blocks += [attention("encoder_attn", "encoder"), LayerNorm(name="encoder_attn_layer_norm", dim=p.d_model)]
    d_ff = p.decoder_d_ff if decoder else p.encoder_d_ff
    blocks += [FeedForward(name="", d_model=p.d_model, d_ff=d_ff, bias=True, names=FFN_NAMES),
               LayerNorm(name="final_layer_norm", dim=p.d_model)]  # fmt: skip
    return blocks


def encoder_layer(d_model: int, n_heads: int, d_ff: int, k_bias: bool = False) -> list[Block]:
    """One of Whisper's pre-norm encoder layers, as the audio encoders built on it repeat it (Voxtral's,
    Qwen2.5-Omni's, Qwen3-ASR's): ``self_attn`` with biases (on ``k_proj`` too only if ``k_bias``),
    ``self_attn_layer_norm``, ``fc1``/``fc2`` with biases, ``final_layer_norm``; no KV cache."""
    return [Attention(name="self_attn", d_model=d_model, n_heads=n_heads, bias=True, k_bias=k_bias,
                      names=ATTENTION_NAMES, kv_cache="none"),
            LayerNorm(name="self_attn_layer_norm", dim=d_model),
            FeedForward(name="", d_model=d_model, d_ff=d_ff, bias=True, names=FFN_NAMES),
            LayerNorm(name="final_layer_norm", dim=d_model)]  # fmt: skip


def _layers(p: WhisperParams, decoder: bool) -> list[Block]:
    count = p.n_decoder_layers if decoder else p.n_encoder_layers
    return [Repeat(name="layers", count=count, blocks=_layer(p, decoder))] if count else []


def _front_end(p: WhisperParams) -> list[Block]:
    if p.front_end == "whisper":
        return [*conv1d("conv1", p.num_mel_bins, p.d_model, CONV_KERNEL), *conv1d("conv2", p.d_model, p.d_model, CONV_KERNEL)]
    last = len(p.subsampler_kernels) - 1
    blocks: list[Block] = []
    for i, kernel in enumerate(p.subsampler_kernels):
        n_in = p.num_mel_bins if i == 0 else p.subsampler_channels // 2
        n_out = 2 * p.d_model if i == last else p.subsampler_channels
        blocks += conv1d(f"conv.conv_layers.{i}", n_in, n_out, kernel)
    return blocks


def _positions(p: WhisperParams, rows: int) -> list[Block]:
    if not p.learned_positions:
        return []
    return [Embedding(name="embed_positions", num_embeddings=rows, embedding_dim=p.d_model, role="position")]


def build(p: WhisperParams) -> Module:
    """The block tree of a Whisper model."""
    lm = p.architecture == "conditional_generation"
    prefix = "model" if lm else ""
    encoder = Module(name="encoder", blocks=[
        *_front_end(p),
        *_positions(p, p.max_source_positions),
        *_layers(p, decoder=False),
        LayerNorm(name="layer_norm", dim=p.d_model),
    ])  # fmt: skip
    decoder = Module(name="decoder", blocks=[
        Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        *_positions(p, p.max_target_positions),
        *_layers(p, decoder=True),
        LayerNorm(name="layer_norm", dim=p.d_model),
    ])  # fmt: skip
    blocks: list[Block] = [Module(name=prefix, blocks=[encoder, decoder])]
    if lm:
        tied = "model.decoder.embed_tokens.weight" if p.tie_lm_head else None
        blocks.append(Linear(name=p.head_name, in_features=p.d_model, out_features=p.vocab_size, bias=False,
                             component="head", tied_to=tied))  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``whisper`` family."""
    register(
        Family(name="whisper", params=WhisperParams, build=build,
               description="Whisper: conv front end over log-mel frames, encoder, decoder with cross-attention")
    )  # fmt: skip
