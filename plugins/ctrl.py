"""CTRL (Salesforce/ctrl): a pre-norm GPT-style decoder with sinusoidal positions held as a buffer, as
transformers 5 builds it.

One family, ``ctrl``. Under ``transformer.`` (the bare model: no prefix): the token table ``w``, then ``h.<i>``:
``multi_head_attention.Wq``, ``Wk``, ``Wv`` and ``dense`` (each ``d_model → d_model`` with a bias),
``ffn.0`` and ``ffn.2`` (a ReLU feed-forward of ``d_ff``, biases), ``layernorm1`` and ``layernorm2``; the final
``layernorm``. The LM head (``lm_head``, with a bias) shares its weight with ``w`` when ``tie_word_embeddings``.
The sinusoidal position table (``n_positions`` rows) is a buffer: not counted. The sequence-classification head
is not built here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams


class CtrlParams(FamilyParams):
    """Hyper-parameters of the ctrl family."""

    architecture: Literal["lm", "model"] = Field("lm", description="lm: under transformer. with the LM head")
    vocab_size: PositiveInt = Field(description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width")
    n_layers: NonNegativeInt = Field(description="layers")
    n_heads: PositiveInt = Field(description="attention heads")
    d_ff: PositiveInt = Field(description="feed-forward width (dff)")
    tie_word_embeddings: bool = Field(True, description="the LM head's weight is the token table")

    @model_validator(mode="after")
    def _check(self) -> CtrlParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        return self


def _layer(p: CtrlParams) -> list[Block]:
    """One pre-norm layer: attention and ReLU feed-forward, each after its LayerNorm."""
    return [
        Attention(name="multi_head_attention", d_model=p.d_model, n_heads=p.n_heads, bias=True,
                  names={"q": "Wq", "k": "Wk", "v": "Wv", "o": "dense"}),
        FeedForward(name="ffn", d_model=p.d_model, d_ff=p.d_ff, bias=True, names={"up": "0", "down": "2"}),
        LayerNorm(name="layernorm1", dim=p.d_model), LayerNorm(name="layernorm2", dim=p.d_model),
    ]  # fmt: skip


def build(p: CtrlParams) -> Module:
    """The block tree of a CTRL model."""
    body: list[Block] = [Embedding(name="w", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token")]
    if p.n_layers:
        body.append(Repeat(name="h", count=p.n_layers, blocks=_layer(p)))
    body.append(LayerNorm(name="layernorm", dim=p.d_model))
    if p.architecture == "model":
        return Module(blocks=body)
    head = Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=True, component="head",
                  tied_to="transformer.w.weight" if p.tie_word_embeddings else None)  # fmt: skip
    return Module(blocks=[Module(name="transformer", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``ctrl`` family."""
    register(Family(name="ctrl", params=CtrlParams, build=build,
                    description="CTRL: pre-norm decoder, sinusoidal positions (a buffer), control-code conditioning"))  # fmt: skip
