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

    @model_validator(mode="after")
    def _check(self) -> WhisperParams:
        for field, heads in (("n_encoder_heads", self.n_encoder_heads), ("n_decoder_heads", self.n_decoder_heads)):
            if self.d_model % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_model ({self.d_model})")
        return self


def _layer(p: WhisperParams, decoder: bool) -> list[Block]:
    heads = p.n_decoder_heads if decoder else p.n_encoder_heads

    def attention(name: str, kv_cache: str) -> Attention:
        encoder_len = p.max_source_positions if kv_cache == "encoder" else None  # every input is padded to 30 s
        return Attention(name=name, d_model=p.d_model, n_heads=heads, bias=True, k_bias=False,
                         names=ATTENTION_NAMES, kv_cache=kv_cache, encoder_len=encoder_len)  # fmt: skip

    blocks: list[Block] = [attention("self_attn", "self" if decoder else "none"),
                           LayerNorm(name="self_attn_layer_norm", dim=p.d_model)]  # fmt: skip
    if decoder:
        blocks += [attention("encoder_attn", "encoder"), LayerNorm(name="encoder_attn_layer_norm", dim=p.d_model)]
    d_ff = p.decoder_d_ff if decoder else p.encoder_d_ff
    blocks += [FeedForward(name="", d_model=p.d_model, d_ff=d_ff, bias=True, names=FFN_NAMES),
               LayerNorm(name="final_layer_norm", dim=p.d_model)]  # fmt: skip
    return blocks


def _layers(p: WhisperParams, decoder: bool) -> list[Block]:
    count = p.n_decoder_layers if decoder else p.n_encoder_layers
    return [Repeat(name="layers", count=count, blocks=_layer(p, decoder))] if count else []


def build(p: WhisperParams) -> Module:
    """The block tree of a Whisper model."""
    lm = p.architecture == "conditional_generation"
    prefix = "model" if lm else ""
    encoder = Module(name="encoder", blocks=[
        *conv1d("conv1", p.num_mel_bins, p.d_model, CONV_KERNEL),
        *conv1d("conv2", p.d_model, p.d_model, CONV_KERNEL),
        Embedding(name="embed_positions", num_embeddings=p.max_source_positions, embedding_dim=p.d_model,
                  role="position"),
        *_layers(p, decoder=False),
        LayerNorm(name="layer_norm", dim=p.d_model),
    ])  # fmt: skip
    decoder = Module(name="decoder", blocks=[
        Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        Embedding(name="embed_positions", num_embeddings=p.max_target_positions, embedding_dim=p.d_model,
                  role="position"),
        *_layers(p, decoder=True),
        LayerNorm(name="layer_norm", dim=p.d_model),
    ])  # fmt: skip
    blocks: list[Block] = [Module(name=prefix, blocks=[encoder, decoder])]
    if lm:
        tied = "model.decoder.embed_tokens.weight" if p.tie_lm_head else None
        blocks.append(Linear(name="proj_out", in_features=p.d_model, out_features=p.vocab_size, bias=False,
                             component="head", tied_to=tied))  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``whisper`` family."""
    register(
        Family(name="whisper", params=WhisperParams, build=build,
               description="Whisper: conv front end over log-mel frames, encoder, decoder with cross-attention")
    )  # fmt: skip
