"""ProphetNet (microsoft/prophetnet-large-uncased): an encoder and an n-gram predicting decoder, as transformers
5 builds them.

One family, ``prophetnet``. The model holds one shared token table ``word_embeddings``; each stack holds its own
``word_embeddings`` (tied to the shared table with ``tie_embeddings``), learned ``position_embeddings`` of
``n_positions`` rows and an ``embeddings_layer_norm``; the decoder adds ``ngram_embeddings`` (``ngram`` rows).
An encoder layer: ``self_attn`` (``query_proj``, ``key_proj``, ``value_proj``, ``out_proj``, biases),
``self_attn_layer_norm``, ``feed_forward`` (``intermediate``, ``output``, biases), ``feed_forward_layer_norm``;
a decoder layer's self-attention adds ``relative_pos_embeddings`` (``d_model → relative_buckets × heads``, with a
bias), and with ``cross_attention`` a ``cross_attn`` and ``cross_attn_layer_norm``. LayerNorms have a shift.

``architecture``: ``conditional_generation`` (``prophetnet.`` and an ``lm_head`` without bias, tied to the shared
table with ``tie_embeddings``), ``model`` (the bare stacks), ``causal_lm`` (``ProphetNetForCausalLM``: the shared
table and the decoder under ``prophetnet.``, the LM head), ``decoder`` or ``encoder`` (one stack alone, its
``word_embeddings`` its own).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import (
    Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat, TiedEmbedding,
)  # fmt: skip
from registry.plugins.common import FamilyParams

#: The attention projections' names.
ATTENTION_NAMES = {"q": "query_proj", "k": "key_proj", "v": "value_proj", "o": "out_proj"}


class ProphetNetParams(FamilyParams):
    """Hyper-parameters of the prophetnet family."""

    architecture: Literal["conditional_generation", "model", "causal_lm", "decoder", "encoder"] = Field(
        "conditional_generation", description="which stacks, tables and head the class builds (module docstring)"
    )
    vocab_size: PositiveInt = Field(description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width of both stacks")
    n_encoder_layers: NonNegativeInt = Field(description="encoder layers")
    n_decoder_layers: NonNegativeInt = Field(description="decoder layers")
    n_heads: PositiveInt = Field(description="attention heads of the encoder")
    n_decoder_heads: PositiveInt = Field(description="attention heads of the decoder (self and cross)")
    d_ff: PositiveInt = Field(description="feed-forward width of the encoder")
    decoder_d_ff: PositiveInt = Field(description="feed-forward width of the decoder")
    n_positions: PositiveInt = Field(description="learned position rows of each stack")
    ngram: PositiveInt = Field(description="future tokens the decoder predicts: rows of ngram_embeddings")
    relative_buckets: PositiveInt = Field(description="relative position buckets of the decoder's self-attention")
    cross_attention: bool = Field(True, description="a cross-attention in every decoder layer")
    tie_embeddings: bool = Field(True, description="the stacks' word_embeddings and the LM head are the shared table")

    @model_validator(mode="after")
    def _check(self) -> ProphetNetParams:
        for field, heads in (("n_heads", self.n_heads), ("n_decoder_heads", self.n_decoder_heads)):
            if self.d_model % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_model ({self.d_model})")
        return self


def _attention(p: ProphetNetParams, name: str, heads: int, kv_cache: str) -> Attention:
    return Attention(name=name, d_model=p.d_model, n_heads=heads, bias=True, names=ATTENTION_NAMES, kv_cache=kv_cache)


def _layer(p: ProphetNetParams, decoder: bool) -> list[Block]:
    """One post-norm layer of a stack."""
    heads = p.n_decoder_heads if decoder else p.n_heads
    blocks: list[Block] = [_attention(p, "self_attn", heads, "self" if decoder else "none")]
    if decoder:
        blocks.append(Linear(name="self_attn.relative_pos_embeddings", in_features=p.d_model,
                             out_features=p.relative_buckets * heads, bias=True, component="attention"))  # fmt: skip
    blocks.append(LayerNorm(name="self_attn_layer_norm", dim=p.d_model))
    if decoder and p.cross_attention:
        blocks += [_attention(p, "cross_attn", heads, "encoder"), LayerNorm(name="cross_attn_layer_norm", dim=p.d_model)]
    d_ff = p.decoder_d_ff if decoder else p.d_ff
    return [*blocks, FeedForward(name="feed_forward", d_model=p.d_model, d_ff=d_ff, bias=True,
                                 names={"up": "intermediate", "down": "output"}),
            LayerNorm(name="feed_forward_layer_norm", dim=p.d_model)]  # fmt: skip


def _stack(p: ProphetNetParams, name: str, decoder: bool, shared: str | None) -> Module:
    """A stack: its token table (tied to ``shared`` when given), positions, (decoder) n-gram table, layers, norm."""
    if shared is None:
        words: Block = Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token")
    else:
        words = TiedEmbedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=p.d_model, tied_to=shared)
    blocks: list[Block] = [words, Embedding(name="position_embeddings", num_embeddings=p.n_positions,
                                            embedding_dim=p.d_model, role="position")]  # fmt: skip
    if decoder:
        blocks.append(Embedding(name="ngram_embeddings", num_embeddings=p.ngram, embedding_dim=p.d_model, role="other"))
    n_layers = p.n_decoder_layers if decoder else p.n_encoder_layers
    if n_layers:
        blocks.append(Repeat(name="layers", count=n_layers, blocks=_layer(p, decoder)))
    blocks.append(LayerNorm(name="embeddings_layer_norm", dim=p.d_model))
    return Module(name=name, blocks=blocks)


def build(p: ProphetNetParams) -> Module:
    """The block tree of a ProphetNet model."""
    if p.architecture in ("decoder", "encoder"):
        return Module(blocks=[_stack(p, "", p.architecture == "decoder", None)])
    prefix = "" if p.architecture == "model" else "prophetnet"
    shared = f"{prefix}.word_embeddings.weight" if prefix else "word_embeddings.weight"
    tied = shared if p.tie_embeddings else None
    body: list[Block] = [Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=p.d_model,
                                   role="token")]  # fmt: skip
    if p.architecture != "causal_lm":
        body.append(_stack(p, "encoder", False, tied))
    body.append(_stack(p, "decoder", True, tied))
    blocks: list[Block] = [Module(name=prefix, blocks=body)]
    if p.architecture != "model":
        blocks.append(Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False,
                             component="head", tied_to=tied))  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``prophetnet`` family."""
    register(Family(name="prophetnet", params=ProphetNetParams, build=build,
                    description="ProphetNet: an encoder and an n-gram predicting decoder (relative positions)"))  # fmt: skip
