"""Dia, Nari Labs' dialogue speech model: a byte-level text encoder and a decoder over DAC codebooks.

One family, ``dia``, as transformers 5.25 builds ``DiaForConditionalGeneration`` (and the bare ``DiaModel``,
``architecture = "model"``, without the ``model.`` prefix and ``logits_dense``), ``modeling_dia.py``; no projection has
a bias, every norm is an RMS norm:

* ``model.encoder``: ``embedding`` (``encoder_vocab_size × encoder_d_model``); ``layers.<i>``: ``pre_sa_norm``,
  ``self_attention`` (``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``: grouped key/value heads of
  ``encoder_head_dim``), ``post_sa_norm``, ``mlp`` (``gate_up_proj`` of twice ``encoder_d_ff`` outputs, ``down_proj``);
  ``norm``;
* ``model.decoder``: ``embeddings.embed`` (``num_channels × vocab_size`` rows: one range of codes per channel);
  ``layers.<i>``: ``self_attention`` (as the encoder's, with the decoder's sizes), ``cross_attention`` (``q_proj``
  from the decoder's width, ``k_proj`` and ``v_proj`` from ``cross_hidden_size``, the encoder's output, with
  ``cross_n_heads`` / ``cross_n_kv_heads`` heads of ``cross_head_dim``; ``o_proj`` back), ``pre_sa_norm``,
  ``pre_ca_norm``, ``pre_mlp_norm``, ``mlp``; ``norm``;
* ``logits_dense`` (the decoder's width → ``num_channels × vocab_size``).

The codec that turns the codes into audio (DAC) is a model of its own (``dac``), not part of Dia's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, Linear, Module, Repeat, RMSNorm
from registry.plugins.common import FamilyParams

FFN_NAMES = {"gate_up": "gate_up_proj"}


class DiaParams(FamilyParams):
    """Hyper-parameters of the dia family."""

    architecture: Literal["conditional_generation", "model"] = Field("conditional_generation", description="conditional_generation: with logits_dense; model: without")
    encoder_d_model: PositiveInt = Field(description="the encoder's width")
    encoder_layers: NonNegativeInt = Field(description="encoder layers")
    encoder_n_heads: PositiveInt = Field(description="the encoder's attention heads")
    encoder_n_kv_heads: PositiveInt = Field(description="the encoder's key/value heads")
    encoder_head_dim: PositiveInt = Field(description="width of one encoder head")
    encoder_d_ff: PositiveInt = Field(description="the encoder's feed-forward width")
    encoder_vocab_size: PositiveInt = Field(description="the encoder's byte vocabulary")
    d_model: PositiveInt = Field(description="the decoder's width")
    n_layers: NonNegativeInt = Field(description="decoder layers")
    n_heads: PositiveInt = Field(description="the decoder's attention heads")
    n_kv_heads: PositiveInt = Field(description="the decoder's key/value heads")
    head_dim: PositiveInt = Field(description="width of one decoder head")
    d_ff: PositiveInt = Field(description="the decoder's feed-forward width")
    cross_n_heads: PositiveInt = Field(description="cross-attention query heads")
    cross_n_kv_heads: PositiveInt = Field(description="cross-attention key/value heads")
    cross_head_dim: PositiveInt = Field(description="width of one cross-attention head")
    cross_hidden_size: PositiveInt = Field(description="width of what cross-attention reads (the encoder's output)")
    vocab_size: PositiveInt = Field(description="codes of one channel")
    num_channels: PositiveInt = Field(description="audio channels (codebooks), each with its range of the embedding and logits")

    @model_validator(mode="after")
    def _check(self) -> DiaParams:
        for heads, kv, field in ((self.encoder_n_heads, self.encoder_n_kv_heads, "encoder_n_kv_heads"),
                                 (self.n_heads, self.n_kv_heads, "n_kv_heads"),
                                 (self.cross_n_heads, self.cross_n_kv_heads, "cross_n_kv_heads")):  # fmt: skip
            if kv > heads or heads % kv:
                raise FieldError(field, f"{field} ({kv}) must divide the query heads ({heads})")
        for width, field in ((self.encoder_head_dim, "encoder_head_dim"), (self.head_dim, "head_dim")):
            if width % 2:  # the configurations' validate_rope
                raise FieldError(field, f"{field} ({width}) must be even: rotary positions turn pairs of features")
        return self


def _layer(d: int, heads: int, kv: int, head_dim: int, d_ff: int) -> list[Block]:
    """A layer's self-attention and MLP (the norms are the caller's)."""
    return [Attention(name="self_attention", d_model=d, n_heads=heads, n_kv_heads=kv, head_dim=head_dim, bias=False,
                      names={"o": "o_proj"}),
            FeedForward(name="mlp", d_model=d, d_ff=d_ff, gated=True, fused_gate_up=True, bias=False, names=FFN_NAMES)]  # fmt: skip


def _cross_attention(p: DiaParams) -> Module:
    """``cross_attention``: queries from the decoder, keys and values from ``cross_hidden_size`` wide states."""
    inner, kv = p.cross_n_heads * p.cross_head_dim, p.cross_n_kv_heads * p.cross_head_dim
    return Module(name="cross_attention", blocks=[
        Linear(name="q_proj", in_features=p.d_model, out_features=inner, bias=False, component="attention"),
        Linear(name="k_proj", in_features=p.cross_hidden_size, out_features=kv, bias=False, component="attention"),
        Linear(name="v_proj", in_features=p.cross_hidden_size, out_features=kv, bias=False, component="attention"),
        Linear(name="o_proj", in_features=inner, out_features=p.d_model, bias=False, component="attention")])  # fmt: skip


def build(p: DiaParams) -> Module:
    """``DiaForConditionalGeneration``'s (or ``DiaModel``'s) parameters (the module's docstring lists them)."""
    e = p.encoder_d_model
    encoder_layer = [RMSNorm(name="pre_sa_norm", dim=e), RMSNorm(name="post_sa_norm", dim=e),
                     *_layer(e, p.encoder_n_heads, p.encoder_n_kv_heads, p.encoder_head_dim, p.encoder_d_ff)]  # fmt: skip
    decoder_layer = [*_layer(p.d_model, p.n_heads, p.n_kv_heads, p.head_dim, p.d_ff), _cross_attention(p),
                     *(RMSNorm(name=n, dim=p.d_model) for n in ("pre_sa_norm", "pre_ca_norm", "pre_mlp_norm"))]  # fmt: skip
    encoder = Module(name="encoder", blocks=[
        Embedding(name="embedding", num_embeddings=p.encoder_vocab_size, embedding_dim=e),
        *([Repeat(name="layers", count=p.encoder_layers, blocks=encoder_layer)] if p.encoder_layers else []),
        RMSNorm(name="norm", dim=e)])  # fmt: skip
    decoder = Module(name="decoder", blocks=[
        Embedding(name="embeddings.embed", num_embeddings=p.num_channels * p.vocab_size, embedding_dim=p.d_model),
        *([Repeat(name="layers", count=p.n_layers, blocks=decoder_layer)] if p.n_layers else []),
        RMSNorm(name="norm", dim=p.d_model)])  # fmt: skip
    if p.architecture == "model":
        return Module(blocks=[encoder, decoder])
    return Module(blocks=[Module(name="model", blocks=[encoder, decoder]),
                          Linear(name="logits_dense", in_features=p.d_model, out_features=p.num_channels * p.vocab_size,
                                 bias=False, component="head")])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``dia`` family."""
    register(Family(name="dia", params=DiaParams, build=build,
                    description="Dia: byte-level text encoder, decoder over DAC codebooks with cross-attention"))  # fmt: skip
