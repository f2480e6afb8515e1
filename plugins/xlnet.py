"""XLNet (xlnet/xlnet-base-cased, xlnet-large-cased): Transformer-XL relative attention over a permuted
factorisation order, as transformers 5 builds it.

One family, ``xlnet``. Under ``transformer.`` (the bare model: no prefix): ``word_embedding`` and ``mask_emb``
(one ``d_model`` vector, the query stream's start), then ``layer.<i>``: ``rel_attn.q``, ``k``, ``v``, ``o`` and
``r`` (the relative positions' key projection), each one parameter of shape ``(d_model, n_heads, head_dim)``, the
per-head biases ``r_w_bias``, ``r_r_bias``, ``r_s_bias`` and the segment embedding ``seg_embed`` (``2 × n_heads ×
head_dim``), ``rel_attn.layer_norm``, ``ff.layer_1`` and ``ff.layer_2`` (biases) with ``ff.layer_norm``. The LM
head ``lm_loss`` (with a bias) shares its weight with ``word_embedding`` when ``tie_word_embeddings``. The head
width is ``d_model / n_heads`` (transformers refuses any other ``d_head``). Positions are sinusoidal, without
parameters. The attention's projections are counted as parameters (XLNet's two-stream cache of memories is
not modelled as a key/value cache).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams


class XLNetParams(FamilyParams):
    """Hyper-parameters of the xlnet family."""

    architecture: Literal["lm", "model"] = Field("lm", description="lm: under transformer. with the LM head lm_loss")
    vocab_size: PositiveInt = Field(description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width")
    n_layers: NonNegativeInt = Field(description="layers")
    n_heads: PositiveInt = Field(description="attention heads (head width d_model / n_heads)")
    d_ff: PositiveInt = Field(description="feed-forward width (d_inner)")
    tie_word_embeddings: bool = Field(True, description="lm_loss's weight is word_embedding's")

    @model_validator(mode="after")
    def _check(self) -> XLNetParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def _layer(p: XLNetParams) -> list[Block]:
    """One post-norm layer: relative attention (its projections and biases as parameters), feed-forward."""
    per_head = (p.n_heads, p.d_model // p.n_heads)
    blocks: list[Block] = [Parameter(name=f"rel_attn.{name}", shape=(p.d_model, *per_head), component="attention")
                           for name in ("q", "k", "v", "o", "r")]  # fmt: skip
    blocks += [Parameter(name=f"rel_attn.{name}", shape=per_head, component="attention")
               for name in ("r_r_bias", "r_s_bias", "r_w_bias")]  # fmt: skip
    blocks += [Parameter(name="rel_attn.seg_embed", shape=(2, *per_head), component="attention"),
               LayerNorm(name="rel_attn.layer_norm", dim=p.d_model), LayerNorm(name="ff.layer_norm", dim=p.d_model),
               FeedForward(name="ff", d_model=p.d_model, d_ff=p.d_ff, bias=True,
                           names={"up": "layer_1", "down": "layer_2"})]  # fmt: skip
    return blocks


def build(p: XLNetParams) -> Module:
    """The block tree of an XLNet model."""
    body: list[Block] = [
        Parameter(name="mask_emb", shape=(1, 1, p.d_model), component="embedding"),
        Embedding(name="word_embedding", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
    ]
    if p.n_layers:
        body.append(Repeat(name="layer", count=p.n_layers, blocks=_layer(p)))
    if p.architecture == "model":
        return Module(blocks=body)
    tied = "transformer.word_embedding.weight" if p.tie_word_embeddings else None
    head = Linear(name="lm_loss", in_features=p.d_model, out_features=p.vocab_size, bias=True, component="head",
                  tied_to=tied)  # fmt: skip
    return Module(blocks=[Module(name="transformer", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``xlnet`` family."""
    register(Family(name="xlnet", params=XLNetParams, build=build,
                    description="XLNet: Transformer-XL relative attention, permutation language modelling"))  # fmt: skip
