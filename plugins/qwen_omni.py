"""Qwen2.5-Omni's audio encoder and talker (the ``qwen-omni-audio`` and ``qwen-omni-talker`` families), and
Qwen3-ASR's audio encoder (``qwen3-asr-audio``).

As transformers 5.25 builds them (``modeling_qwen2_5_omni.py``, ``modeling_qwen3_asr.py``):

* ``Qwen2_5OmniAudioEncoder`` (``qwen-omni-audio``): Whisper's encoder (:mod:`registry.plugins.voxtral`'s tensors:
  ``conv1`` of ``num_mel_bins → d_model``, ``conv2`` ``d_model → d_model``, both kernel 3 with biases; pre-norm
  layers whose attention has biases but on ``k_proj``), without its position table (the sinusoids are a buffer,
  ``positional_embedding``, no parameter) but with ``audio_bos_eos_token`` (an embedding of 2 rows of
  ``output_dim``), a final ``ln_post`` (a LayerNorm over ``d_model``, after a parameter-free average pool) and
  ``proj`` (``d_model → output_dim``, the language model's width, with a bias);
* ``Qwen2_5OmniTalkerForConditionalGeneration`` (``qwen-omni-talker``): a Qwen2 decoder (the ``llama`` family's
  layers: biases on the query, key and value projections) whose token embedding ``model.embed_tokens`` is
  ``vocab_size × embedding_size`` (the thinker's width, not the talker's ``d_model``), before it
  ``thinker_to_talker_proj`` (``embedding_size → d_model``, with a bias) and after it ``codec_head``
  (``d_model → vocab_size``, no bias, never tied: the class declares no tie). Without ``lm_head``
  (``Qwen2_5OmniTalkerModel``) the embedding, layers and norm alone, unprefixed;
* ``Qwen3ASREncoder`` (``qwen3-asr-audio``): a front end of three 2-D convolutions over the log-mel spectrogram
  (``conv2d1``, ``1 → downsample_hidden_size`` channels, then ``conv2d2`` and ``conv2d3``, ``downsample_hidden_size →
  downsample_hidden_size``, each 3 × 3, stride 2, with biases) and ``conv_out`` (the flattened channels × the mel bins
  left after three halvings, ``((((num_mel_bins + 1) // 2 + 1) // 2 + 1) // 2``, to ``d_model``, no bias); Whisper's
  pre-norm layers (every attention projection with a bias); ``ln_post``. Its sinusoid positions are a buffer; its
  ``output_dim`` is the projector's (the composite's ``model.multi_modal_projector``), not the encoder's.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d
from registry.plugins.llama import build as build_llama
from registry.plugins.llama_params import LlamaParams
from registry.plugins.whisper import CONV_KERNEL, encoder_layer


class OmniAudioParams(FamilyParams):
    """Hyper-parameters of the ``qwen-omni-audio`` family (``Qwen2_5OmniAudioEncoderConfig`` names them alike)."""

    d_model: PositiveInt = Field(1280, description="hidden size")
    n_layers: PositiveInt = Field(32, description="encoder layers")
    n_heads: PositiveInt = Field(20, description="attention heads")
    d_ff: PositiveInt = Field(5120, description="feed-forward width")
    num_mel_bins: PositiveInt = Field(128, description="log-mel channels into conv1")
    output_dim: PositiveInt = Field(3584, description="width of the output projection (the language model's width)")

    @model_validator(mode="after")
    def _check(self) -> OmniAudioParams:
        if self.d_model % self.n_heads:  # Qwen2_5OmniAudioAttention refuses it
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def build_audio(p: OmniAudioParams) -> Module:
    """The block tree of Qwen2.5-Omni's audio encoder (unprefixed)."""
    d = p.d_model
    layer = encoder_layer(d, p.n_heads, p.d_ff)
    return Module(blocks=[
        *conv1d("conv1", p.num_mel_bins, d, CONV_KERNEL),
        *conv1d("conv2", d, d, CONV_KERNEL),
        Embedding(name="audio_bos_eos_token", num_embeddings=2, embedding_dim=p.output_dim, role="other"),
        Repeat(name="layers", count=p.n_layers, blocks=layer),
        LayerNorm(name="ln_post", dim=d),
        Linear(name="proj", in_features=d, out_features=p.output_dim, component="other"),
    ])  # fmt: skip


class AsrAudioParams(FamilyParams):
    """Hyper-parameters of the ``qwen3-asr-audio`` family (``Qwen3ASREncoderConfig`` names them alike)."""

    d_model: PositiveInt = Field(1024, description="hidden size")
    n_layers: PositiveInt = Field(24, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(4096, description="feed-forward width")
    num_mel_bins: PositiveInt = Field(128, description="log-mel bins (the front end's height)")
    downsample_hidden_size: PositiveInt = Field(480, description="channels of the convolution front end")

    @model_validator(mode="after")
    def _check(self) -> AsrAudioParams:
        if self.d_model % self.n_heads:  # Qwen3ASRAudioAttention refuses it
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def _conv2d(name: str, n_in: int, n_out: int) -> list[Parameter]:
    """A 3 × 3 ``Conv2d``'s weight and bias."""
    return [Parameter(name=f"{name}.weight", shape=(n_out, n_in, 3, 3)), Parameter(name=f"{name}.bias", shape=(n_out,))]


def build_asr_audio(p: AsrAudioParams) -> Module:
    """The block tree of Qwen3-ASR's audio encoder (unprefixed)."""
    d, c = p.d_model, p.downsample_hidden_size
    height = (((p.num_mel_bins + 1) // 2 + 1) // 2 + 1) // 2  # the mel bins after three stride-2 convolutions
    layer = encoder_layer(d, p.n_heads, p.d_ff, k_bias=True)
    return Module(blocks=[
        Repeat(name="layers", count=p.n_layers, blocks=layer),
        LayerNorm(name="ln_post", dim=d),
        *_conv2d("conv2d1", 1, c), *_conv2d("conv2d2", c, c), *_conv2d("conv2d3", c, c),
        Linear(name="conv_out", in_features=c * height, out_features=d, bias=False, component="embedding"),
    ])  # fmt: skip


class OmniTalkerParams(LlamaParams):
    """Hyper-parameters of the ``qwen-omni-talker`` family: the ``llama`` family's, and the token embedding's width."""

    embedding_size: PositiveInt = Field(description="width of the token embedding and of the thinker's states (embedding_size)")

    @model_validator(mode="after")
    def _untied(self) -> OmniTalkerParams:
        if self.tie_word_embeddings:
            raise FieldError("tie_word_embeddings", "the talker's codec_head is never tied to its embedding "
                                                    "(Qwen2_5OmniTalkerForConditionalGeneration declares no tie)")  # fmt: skip
        return self


def build_talker(p: OmniTalkerParams) -> Module:
    """The block tree of Qwen2.5-Omni's talker: the Qwen2 decoder with a wider embedding, its input projection
    and codec head (or, without ``lm_head``, the bare decoder)."""
    decoder = build_llama(LlamaParams.model_validate(p.model_dump(exclude={"embedding_size"}) | {"lm_head": False}))
    first, *rest = decoder.blocks
    embed = Embedding(name=first.name, num_embeddings=p.vocab_size, embedding_dim=p.embedding_size, role="token")
    body = [embed, *rest]
    if not p.lm_head:
        return Module(blocks=body)
    return Module(blocks=[
        Linear(name="thinker_to_talker_proj", in_features=p.embedding_size, out_features=p.d_model, component="other"),
        Module(name="model", blocks=body),
        Linear(name="codec_head", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``qwen-omni-audio``, ``qwen-omni-talker`` and ``qwen3-asr-audio`` families."""
    register(Family(name="qwen-omni-audio", params=OmniAudioParams, build=build_audio,
                    description="Qwen2.5-Omni's audio encoder: Whisper's encoder with an output norm and projection"))
    register(Family(name="qwen-omni-talker", params=OmniTalkerParams, build=build_talker,
                    description="Qwen2.5-Omni's talker: a Qwen2 decoder with a wider embedding, its input projection "
                                "and codec head"))  # fmt: skip
    register(Family(name="qwen3-asr-audio", params=AsrAudioParams, build=build_asr_audio,
                    description="Qwen3-ASR's audio encoder: a 2-D convolution front end and Whisper-style layers"))
