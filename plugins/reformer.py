"""Reformer (google/reformer-enwik8, google/reformer-crime-and-punishment): a reversible stack of local and LSH
attention layers, as transformers 5 builds it.

One family, ``reformer``. Embeddings: ``embeddings.word_embeddings`` and either axial position embeddings
(``axial_shape`` and ``axial_dims``: one parameter ``position_embeddings.weights.<i>`` per axis, of shape
``(1, …, axial_shape[i], …, 1, axial_dims[i])``) or a learned table ``position_embeddings.embedding`` of
``n_positions`` rows. Layer ``i`` (``encoder.layers.<i>``) holds ``attention.layer_norm``, its self-attention
(``attention_kinds[i]``: ``local``, projections ``query``, ``key``, ``value``; ``lsh``, a shared ``query_key``
and ``value``: locality-sensitive hashing attends a token's own bucket, so queries serve as keys), all
``n_heads × head_dim`` wide without bias, ``attention.output.dense`` back to ``d_model``, then
``feed_forward.layer_norm``, ``feed_forward.dense.dense`` and ``feed_forward.output.dense`` (biases). The two
reversible streams meet in ``encoder.layer_norm`` of ``2 × d_model``. The LM head (``lm_head.decoder``, ``2 ×
d_model → vocab_size`` with a bias) also holds a ``lm_head.bias`` of its own, a parameter of transformers 5's
``ReformerOnlyLMHead`` beside the decoder's bias: both counted.

The LSH layers are counted as plain projections (their bucketed attention keeps no key/value cache of the usual
shape); the local layers as attention.
"""

from __future__ import annotations

from itertools import groupby
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams


class ReformerParams(FamilyParams):
    """Hyper-parameters of the reformer family."""

    architecture: Literal["lm", "model"] = Field("lm", description="lm: under reformer. with the LM head; model: bare")
    vocab_size: PositiveInt = Field(description="token table rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="width of one reversible stream")
    n_heads: PositiveInt = Field(description="attention heads")
    head_dim: PositiveInt = Field(description="width of one head (attention_head_size)")
    d_ff: PositiveInt = Field(description="feed-forward width")
    attention_kinds: tuple[Literal["local", "lsh"], ...] = Field(min_length=1, description="each layer's attention")
    axial_shape: tuple[PositiveInt, ...] | None = Field(None, description="axial positions: the factors of the length")
    axial_dims: tuple[PositiveInt, ...] | None = Field(None, description="axial positions: each axis' width (sum d_model)")
    n_positions: PositiveInt | None = Field(None, description="rows of the learned position table (no axial positions)")

    @model_validator(mode="after")
    def _check(self) -> ReformerParams:
        if (self.axial_shape is None) != (self.axial_dims is None):
            raise FieldError("axial_dims", "axial positions need both axial_shape and axial_dims")
        if self.axial_dims is not None and (self.n_positions is not None) == (self.axial_dims is not None):
            raise FieldError("n_positions", "give axial positions or n_positions, not both")
        if self.axial_dims is None and self.n_positions is None:
            raise FieldError("n_positions", "give axial positions (axial_shape, axial_dims) or n_positions")
        if self.axial_dims is not None:
            if sum(self.axial_dims) != self.d_model:
                raise FieldError("axial_dims", f"{list(self.axial_dims)} must sum to d_model ({self.d_model})")
            if len(self.axial_dims) > len(self.axial_shape):
                raise FieldError("axial_dims", f"{len(self.axial_dims)} widths for {len(self.axial_shape)} axes")
        return self


def _layer(p: ReformerParams, kind: str) -> list[Block]:
    """One reversible layer: attention (local or LSH) and feed-forward, each with its norm."""
    inner = p.n_heads * p.head_dim
    if kind == "local":
        attention: Block = Attention(name="attention", d_model=p.d_model, n_heads=p.n_heads, head_dim=p.head_dim,
                                     bias=False, kv_cache="self",
                                     names={"q": "self_attention.query", "k": "self_attention.key",
                                            "v": "self_attention.value", "o": "output.dense"})  # fmt: skip
    else:
        attention = Module(name="attention", blocks=[
            Linear(name=f"self_attention.{name}", in_features=p.d_model, out_features=inner, bias=False,
                   component="attention") for name in ("query_key", "value")
        ] + [Linear(name="output.dense", in_features=inner, out_features=p.d_model, bias=False, component="attention")])  # fmt: skip
    return [LayerNorm(name="attention.layer_norm", dim=p.d_model), attention,
            LayerNorm(name="feed_forward.layer_norm", dim=p.d_model),
            FeedForward(name="feed_forward", d_model=p.d_model, d_ff=p.d_ff, bias=True,
                        names={"up": "dense.dense", "down": "output.dense"})]  # fmt: skip


def _positions(p: ReformerParams) -> Block:
    """The axial position parameters, or the learned table."""
    if p.axial_dims is None:
        return Embedding(name="position_embeddings.embedding", num_embeddings=p.n_positions, embedding_dim=p.d_model,
                         role="position")  # fmt: skip
    weights: list[Block] = []
    for axis, width in enumerate(p.axial_dims):
        shape = [1] * len(p.axial_shape)
        shape[axis] = p.axial_shape[axis]
        weights.append(Parameter(name=f"weights.{axis}", shape=(*shape, width), component="embedding"))
    return Module(name="position_embeddings", blocks=weights)


def build(p: ReformerParams) -> Module:
    """The block tree of a Reformer model."""
    embeddings = Module(name="embeddings", blocks=[
        Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        _positions(p)])  # fmt: skip
    layers: list[Block] = []
    start = 0
    for kind, run in groupby(p.attention_kinds):
        count = len(list(run))
        layers.append(Repeat(name="layers", count=count, start=start, blocks=_layer(p, kind)))
        start += count
    encoder = Module(name="encoder", blocks=[*layers, LayerNorm(name="layer_norm", dim=2 * p.d_model)])
    if p.architecture == "model":
        return Module(blocks=[embeddings, encoder])
    head = Module(name="lm_head", blocks=[
        Linear(name="decoder", in_features=2 * p.d_model, out_features=p.vocab_size, bias=True, component="head"),
        Parameter(name="bias", shape=(p.vocab_size,), component="head")])  # fmt: skip
    return Module(blocks=[Module(name="reformer", blocks=[embeddings, encoder]), head])


@hookimpl
def register_families(register):
    """Register the ``reformer`` family."""
    register(Family(name="reformer", params=ReformerParams, build=build,
                    description="Reformer: reversible layers of local and LSH attention, axial positions"))  # fmt: skip
