"""FSMT (fairseq's WMT19 translation transformers, ``FSMTForConditionalGeneration``): an encoder and a
decoder stack of post-norm layers, each stack with its own vocabulary, as transformers 5 builds them.

One family, ``fsmt``. Each stack holds its token table (``embed_tokens``: the encoder's of ``src_vocab_size``
rows, the decoder's of ``tgt_vocab_size``) and a sinusoidal position table of ``n_positions`` rows
(transformers' ``SinusoidalPositionalEmbedding``, ``max_position_embeddings + pad_token_id + 1`` rows, held
as a frozen parameter: counted). A layer is BART's: ``self_attn`` (``q_proj``, ``k_proj``, ``v_proj``,
``out_proj``, biases), ``self_attn_layer_norm``, the decoder's ``encoder_attn`` and
``encoder_attn_layer_norm``, ``fc1``, ``fc2`` and ``final_layer_norm`` (LayerNorms with a shift); no norm after
the embeddings or the last layer. The LM head is the decoder's ``output_projection`` (no bias), in the bare
model too. ``tie_embeddings`` ties the three vocabulary tables to the encoder's ``embed_tokens`` (transformers
gives it the decoder's shape, so all three have ``tgt_vocab_size`` rows).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import (
    Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat, TiedEmbedding,
)  # fmt: skip
from registry.plugins.common import FamilyParams


class FsmtParams(FamilyParams):
    """Hyper-parameters of the fsmt family."""

    architecture: Literal["conditional_generation", "model"] = Field(
        "conditional_generation", description="conditional_generation: under model.; model: the bare stacks"
    )
    src_vocab_size: PositiveInt = Field(description="rows of the encoder's token table")
    tgt_vocab_size: PositiveInt = Field(description="rows of the decoder's token table and outputs of the LM head")
    d_model: PositiveInt = Field(description="residual stream width of both stacks")
    n_encoder_layers: NonNegativeInt = Field(description="encoder layers")
    n_decoder_layers: NonNegativeInt = Field(description="decoder layers")
    n_heads: PositiveInt = Field(description="attention heads of the encoder")
    n_decoder_heads: PositiveInt = Field(description="attention heads of the decoder")
    d_ff: PositiveInt = Field(description="feed-forward width of the encoder")
    decoder_d_ff: PositiveInt = Field(description="feed-forward width of the decoder")
    n_positions: PositiveInt = Field(description="rows of each stack's sinusoidal position table")
    tie_embeddings: bool = Field(False, description="both token tables and the LM head are one (tgt_vocab_size rows)")

    @model_validator(mode="after")
    def _check(self) -> FsmtParams:
        for field, heads in (("n_heads", self.n_heads), ("n_decoder_heads", self.n_decoder_heads)):
            if self.d_model % heads:
                raise FieldError(field, f"{field} ({heads}) does not divide d_model ({self.d_model})")
        return self


def _layer(p: FsmtParams, decoder: bool) -> list[Block]:
    """One post-norm layer: self-attention, (decoder) cross-attention, feed-forward, each with its norm."""
    heads = p.n_decoder_heads if decoder else p.n_heads

    def attention(name: str, kv_cache: str) -> Attention:
        return Attention(name=name, d_model=p.d_model, n_heads=heads, bias=True, names={"o": "out_proj"},
                         kv_cache=kv_cache)  # fmt: skip

    blocks: list[Block] = [attention("self_attn", "self" if decoder else "none"),
                           LayerNorm(name="self_attn_layer_norm", dim=p.d_model)]  # fmt: skip
    if decoder:
        blocks += [attention("encoder_attn", "encoder"), LayerNorm(name="encoder_attn_layer_norm", dim=p.d_model)]
    d_ff = p.decoder_d_ff if decoder else p.d_ff
    return [*blocks, FeedForward(name="", d_model=p.d_model, d_ff=d_ff, bias=True, names={"up": "fc1", "down": "fc2"}),
            LayerNorm(name="final_layer_norm", dim=p.d_model)]  # fmt: skip


def build(p: FsmtParams) -> Module:
    """The block tree of an FSMT model."""
    prefix = "model" if p.architecture == "conditional_generation" else ""
    table = f"{prefix}.encoder.embed_tokens.weight" if prefix else "encoder.embed_tokens.weight"
    stacks: list[Block] = []
    for name, decoder in (("encoder", False), ("decoder", True)):
        rows = p.tgt_vocab_size if decoder or p.tie_embeddings else p.src_vocab_size
        embed: Block = Embedding(name="embed_tokens", num_embeddings=rows, embedding_dim=p.d_model, role="token")
        if decoder and p.tie_embeddings:
            embed = TiedEmbedding(name="embed_tokens", num_embeddings=rows, embedding_dim=p.d_model, tied_to=table)
        blocks: list[Block] = [embed, Embedding(name="embed_positions", num_embeddings=p.n_positions,
                                                embedding_dim=p.d_model, role="position")]  # fmt: skip
        n_layers = p.n_decoder_layers if decoder else p.n_encoder_layers
        if n_layers:
            blocks.append(Repeat(name="layers", count=n_layers, blocks=_layer(p, decoder)))
        if decoder:
            blocks.append(Linear(name="output_projection", in_features=p.d_model, out_features=p.tgt_vocab_size,
                                 bias=False, component="head", tied_to=table if p.tie_embeddings else None))  # fmt: skip
        stacks.append(Module(name=name, blocks=blocks))
    return Module(blocks=[Module(name=prefix, blocks=stacks)])


@hookimpl
def register_families(register):
    """Register the ``fsmt`` family."""
    register(Family(name="fsmt", params=FsmtParams, build=build,
                    description="FSMT (fairseq WMT19): encoder-decoder translation, a vocabulary per stack"))  # fmt: skip
