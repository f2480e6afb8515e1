"""Pix2Struct's text decoder (the ``pix2struct-text`` family).

transformers 5.25's ``Pix2StructTextModel`` (``modeling_pix2struct.py``), a T5-style decoder held as ``decoder``:

* ``embed_tokens`` (``vocab_size × d_model``);
* ``n_layers`` blocks (``layer.<i>``), each with T5-style RMS norms (a weight, no bias) before its three parts:
  ``self_attention`` (``attention.query``, ``key``, ``value``, ``output``, all ``d_model × d_model`` without biases:
  ``Pix2StructTextAttention`` sizes them by ``hidden_size`` whatever ``d_kv`` says; ``layer_norm``), the
  cross-attention over the image encoder's output ``encoder_decoder_attention`` (the same four projections, its
  keys and values from ``d_model``; ``layer_norm``), and the gated-GELU MLP ``mlp.DenseReluDense`` (``wi_0``, the
  gate; ``wi_1``; ``wo``; no biases; ``mlp.layer_norm``); only layer 0's self-attention holds the relative
  position bias (``relative_attention_bias``, ``n_buckets × n_heads``);
* ``final_layer_norm`` and ``lm_head`` (no bias), the token table itself when ``tie_word_embeddings``
  (``_tied_weights_keys``; ``Pix2StructConfig`` writes its top-level ``tie_word_embeddings`` into the text config).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, Linear, Module, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import nested

_NAMES = {"q": "query", "k": "key", "v": "value", "o": "output"}


class Pix2StructTextParams(FamilyParams):
    """Hyper-parameters of the ``pix2struct-text`` family."""

    vocab_size: PositiveInt = Field(50244, description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="decoder blocks (num_layers)")
    n_heads: PositiveInt = Field(12, description="attention heads (num_heads)")
    d_ff: PositiveInt = Field(2048, description="gated MLP inner width")
    n_buckets: PositiveInt = Field(32, description="relative position buckets of layer 0 (relative_attention_num_buckets)")
    tie_word_embeddings: bool = Field(False, description="the LM head's weight is the token table")

    @model_validator(mode="after")
    def _check(self) -> Pix2StructTextParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _attention(name: str, d: int, heads: int, kv_cache: Literal["self", "encoder"]) -> Attention:
    return Attention(name=f"{name}.attention", d_model=d, n_heads=heads, bias=False, names=_NAMES, kv_cache=kv_cache)


def _layer(p: Pix2StructTextParams, relative_bias: bool) -> list[Block]:
    """One block; ``relative_bias``: layer 0's self-attention with the relative position table."""
    d = p.d_model
    blocks: list[Block] = [_attention("self_attention", d, p.n_heads, "self")]
    if relative_bias:
        blocks.append(Embedding(name="self_attention.attention.relative_attention_bias", num_embeddings=p.n_buckets,
                                embedding_dim=p.n_heads, role="position"))  # fmt: skip
    blocks += [
        RMSNorm(name="self_attention.layer_norm", dim=d),
        _attention("encoder_decoder_attention", d, p.n_heads, "encoder"),
        RMSNorm(name="encoder_decoder_attention.layer_norm", dim=d),
        FeedForward(name="mlp.DenseReluDense", d_model=d, d_ff=p.d_ff, gated=True, bias=False,
                    names={"gate": "wi_0", "up": "wi_1", "down": "wo"}),
        RMSNorm(name="mlp.layer_norm", dim=d),
    ]  # fmt: skip
    return nested(blocks)


def build(p: Pix2StructTextParams) -> Module:
    """The block tree of the decoder, named as ``Pix2StructTextModel`` names it."""
    blocks: list[Block] = [
        Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        Repeat(name="layer", count=1, blocks=_layer(p, True)),
    ]  # fmt: skip
    if p.n_layers > 1:
        blocks.append(Repeat(name="layer", count=p.n_layers - 1, start=1, blocks=_layer(p, False)))
    blocks += [
        RMSNorm(name="final_layer_norm", dim=p.d_model),
        Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head",
               tied_to="embed_tokens.weight" if p.tie_word_embeddings else None),
    ]  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``pix2struct-text`` family."""
    register(Family(name="pix2struct-text", params=Pix2StructTextParams, build=build,
                    description="Pix2Struct's T5-style text decoder (relative position bias in layer 0, a cross-attention to the image)"))  # fmt: skip
