"""MusicGen's decoder over EnCodec codebooks, and what joins it to its text encoder.

Two families, as transformers 5.25 builds them (``modeling_musicgen.py``, ``modeling_musicgen_melody.py``):

* ``musicgen-decoder``: ``MusicgenForCausalLM`` (and the bare ``MusicgenModel``, ``architecture = "model"``, without
  the ``model.`` prefix and the heads). ``model.decoder.embed_tokens.<c>``: one table of ``vocab_size + 1`` rows (the
  codes and a pad/start token) for each of the ``num_codebooks`` codebooks, summed; sinusoidal positions (a buffer,
  no parameters); ``model.decoder.layers.<i>`` of BART's pre-norm shape with no bias on any projection:
  ``self_attn`` (``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``), ``self_attn_layer_norm``, with
  ``cross_attention`` the ``encoder_attn`` over the (projected) text encoder's states and its
  ``encoder_attn_layer_norm`` (MusicGen-Melody's decoder has none: it prepends the conditioning to the sequence
  instead), ``fc1``, ``fc2`` and ``final_layer_norm`` (LayerNorms with a shift); ``model.decoder.layer_norm``; and
  ``lm_heads.<c>``, one ``hidden_size → vocab_size`` head per codebook, no bias;
* ``musicgen-projector``: the connectors of ``MusicgenForConditionalGeneration`` (``enc_to_dec_proj``, the text
  encoder's width to the decoder's, with a bias, present only when the widths differ and the decoder sets no
  ``cross_attention_hidden_size``) and of ``MusicgenMelodyForConditionalGeneration`` (``enc_to_dec_proj`` when the widths differ, and
  ``audio_enc_to_dec_proj``, ``num_chroma`` chroma bins to the decoder's width, with a bias, when they are not the
  decoder's width).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams, check_heads

ATTENTION_NAMES = {"o": "out_proj"}
FFN_NAMES = {"up": "fc1", "down": "fc2"}


class MusicgenDecoderParams(FamilyParams):
    """Hyper-parameters of the musicgen-decoder family."""

    architecture: Literal["causal_lm", "model"] = Field("causal_lm", description="causal_lm: with a head per codebook; model: the bare decoder")
    vocab_size: PositiveInt = Field(description="codes of one codebook (the embeddings hold one more row)")
    num_codebooks: PositiveInt = Field(description="codebooks: one embedding table and one head each")
    d_model: PositiveInt = Field(description="decoder width")
    n_layers: NonNegativeInt = Field(description="decoder layers")
    n_heads: PositiveInt = Field(description="attention heads")
    d_ff: PositiveInt = Field(description="feed-forward width")
    cross_attention: bool = Field(True, description="an encoder_attn over the text encoder in each layer (MusicGen; not MusicGen-Melody)")

    @model_validator(mode="after")
    def _check(self) -> MusicgenDecoderParams:
        if self.d_model < 4:  # MusicgenSinusoidalPositionalEmbedding.get_embedding divides by d_model // 2 - 1
            raise FieldError("d_model", f"d_model ({self.d_model}) must be 4 or more: the sinusoidal positions divide "
                                        "by half the width less one")  # fmt: skip
        check_heads(self.d_model, self.n_heads, None)
        return self


def _layer(p: MusicgenDecoderParams) -> list[Block]:
    """One ``MusicgenDecoderLayer`` (or ``MusicgenMelodyDecoderLayer`` without cross-attention)."""
    blocks: list[Block] = [Attention(name="self_attn", d_model=p.d_model, n_heads=p.n_heads, bias=False, names=ATTENTION_NAMES),
                           LayerNorm(name="self_attn_layer_norm", dim=p.d_model)]  # fmt: skip
    if p.cross_attention:
        blocks += [Attention(name="encoder_attn", d_model=p.d_model, n_heads=p.n_heads, bias=False, names=ATTENTION_NAMES,
                             kv_cache="encoder"),
                   LayerNorm(name="encoder_attn_layer_norm", dim=p.d_model)]  # fmt: skip
    return [*blocks, FeedForward(name="", d_model=p.d_model, d_ff=p.d_ff, bias=False, names=FFN_NAMES),
            LayerNorm(name="final_layer_norm", dim=p.d_model)]  # fmt: skip


def build_decoder(p: MusicgenDecoderParams) -> Module:
    """``MusicgenForCausalLM``'s (or ``MusicgenModel``'s) parameters (the module's docstring lists them)."""
    body: list[Block] = [
        Repeat(name="embed_tokens", count=p.num_codebooks, blocks=[Embedding(name="", num_embeddings=p.vocab_size + 1,
                                                                             embedding_dim=p.d_model)]),
        *([Repeat(name="layers", count=p.n_layers, blocks=_layer(p))] if p.n_layers else []),
        LayerNorm(name="layer_norm", dim=p.d_model),
    ]  # fmt: skip
    if p.architecture == "model":
        return Module(blocks=[Module(name="decoder", blocks=body)])
    heads = Repeat(name="lm_heads", count=p.num_codebooks,
                   blocks=[Linear(name="", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head")])  # fmt: skip
    return Module(blocks=[Module(name="model.decoder", blocks=body), heads])


class MusicgenProjectorParams(FamilyParams):
    """Hyper-parameters of the musicgen-projector family."""

    d_text: PositiveInt = Field(description="the text encoder's width")
    d_decoder: PositiveInt = Field(description="the decoder's width")
    text_projection: bool = Field(description="enc_to_dec_proj: the text encoder's states to the decoder's width")
    num_chroma: PositiveInt | None = Field(None, description="MusicGen-Melody: chroma bins projected by audio_enc_to_dec_proj")


def build_projector(p: MusicgenProjectorParams) -> Module:
    """``enc_to_dec_proj`` and MusicGen-Melody's ``audio_enc_to_dec_proj`` (the module's docstring says when)."""
    blocks: list[Block] = []
    if p.text_projection:
        blocks.append(Linear(name="enc_to_dec_proj", in_features=p.d_text, out_features=p.d_decoder))
    if p.num_chroma is not None:
        blocks.append(Linear(name="audio_enc_to_dec_proj", in_features=p.num_chroma, out_features=p.d_decoder))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``musicgen-decoder`` and ``musicgen-projector`` families."""
    register(Family(name="musicgen-decoder", params=MusicgenDecoderParams, build=build_decoder,
                    description="MusicGen's decoder: a summed embedding and a head per codebook, BART-like layers without biases"))  # fmt: skip
    register(Family(name="musicgen-projector", params=MusicgenProjectorParams, build=build_projector,
                    description="MusicGen's connectors: the text encoder's (and MusicGen-Melody's chroma) projections"))  # fmt: skip
