"""LiLT: a text stream and a narrower layout stream that share their attention (the ``lilt`` family).

``modeling_lilt.py`` of transformers 5, ``r`` being ``channel_shrink_ratio``. Text embeddings as RoBERTa's
(``embeddings.word_embeddings``, ``position_embeddings``, ``token_type_embeddings``, ``LayerNorm``); layout embeddings
(``layout_embeddings``): four tables of a box (``x_``, ``y_``, ``h_``, ``w_position_embeddings``, ``hidden / 6``
wide), ``box_position_embeddings`` (``max_position_embeddings`` rows, ``hidden / r`` wide), ``box_linear_embeddings``
(``hidden -> hidden / r``) and a norm. Every layer: BERT's text attention, feed-forward and norms, and beside them
the layout stream's ``attention.self.layout_query/key/value`` (``hidden / r -> hidden / r``),
``attention.layout_output`` (dense and norm), ``layout_intermediate.dense`` (``hidden / r -> intermediate / r``) and
``layout_output`` (dense and norm). The pooler on LiltModel. Heads (``lilt.`` then holds the model, without pooler):
the sequence classifier (``classifier.dense``, ``classifier.out_proj``) or the token classifier (``classifier``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams, check_heads


class LiltParams(FamilyParams):
    """Hyper-parameters of the LiLT family."""

    head: Literal["none", "sequence", "token"] = Field(
        "none", description="none (LiltModel, with its pooler), the sequence classifier or the token classifier"
    )
    vocab_size: PositiveInt = Field(30522, description="token vocabulary")
    d_model: PositiveInt = Field(768, description="hidden size of the text stream")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size of the text stream")
    n_positions: PositiveInt = Field(512, description="learned position rows (text and box)")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) rows")
    positions_2d: PositiveInt = Field(1024, description="rows of each of the four tables of a box")
    shrink: PositiveInt = Field(4, description="channel_shrink_ratio: the layout stream is this many times narrower")
    n_labels: PositiveInt = Field(2, description="outputs of the classifier")

    @model_validator(mode="after")
    def _check(self) -> LiltParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.d_model < 6:
            raise FieldError("d_model", f"must be >= 6: the four box tables are d_model / 6 wide (got {self.d_model})")
        if self.d_model < self.shrink or self.d_ff < self.shrink:
            raise FieldError("shrink", f"must be <= d_model and d_ff ({self.d_model}, {self.d_ff}): the layout stream "
                             "would be 0 wide")  # fmt: skip
        return self


def _stream(d: int, ff: int, prefix: str) -> list:
    """The output projection and norm, the feed-forward and its norm of one stream (``prefix``: ``layout_``)."""
    return [Linear(name=f"attention.{prefix}output.dense", in_features=d, out_features=d, component="attention"),
            LayerNorm(name=f"attention.{prefix}output.LayerNorm", dim=d),
            FeedForward(name="", d_model=d, d_ff=ff, bias=True,
                        names={"up": f"{prefix}intermediate.dense", "down": f"{prefix}output.dense"}),
            LayerNorm(name=f"{prefix}output.LayerNorm", dim=d)]  # fmt: skip


def _base(p: LiltParams, pooler: bool) -> list:
    """The bare model: text and layout embeddings, the two-stream layers (and the pooler)."""
    d, r = p.d_model, p.shrink
    small = d // r
    layer = [
        *(Linear(name=f"attention.self.{x}", in_features=d, out_features=d, component="attention")
          for x in ("query", "key", "value")),
        *(Linear(name=f"attention.self.layout_{x}", in_features=small, out_features=d // r, component="attention")
          for x in ("query", "key", "value")),
        *_stream(d, p.d_ff, ""), *_stream(small, p.d_ff // r, "layout_"),
    ]  # fmt: skip
    blocks: list = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
            LayerNorm(name="LayerNorm", dim=d)]),
        Module(name="layout_embeddings", blocks=[
            *(Embedding(name=f"{axis}_position_embeddings", num_embeddings=p.positions_2d, embedding_dim=d // 6,
                        role="position") for axis in "xyhw"),
            Embedding(name="box_position_embeddings", num_embeddings=p.n_positions, embedding_dim=small,
                      role="position"),
            Linear(name="box_linear_embeddings", in_features=d, out_features=small, component="embedding"),
            LayerNorm(name="LayerNorm", dim=small)]),
        Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=layer)]),
    ]  # fmt: skip
    if pooler:
        blocks.append(Linear(name="pooler.dense", in_features=d, out_features=d, component="head"))
    return blocks


def build(p: LiltParams) -> Module:
    """The block tree of a LiLT model (with its head when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_base(p, pooler=True))
    d = p.d_model
    blocks: list = [Module(name="lilt", blocks=_base(p, pooler=False))]
    if p.head == "token":
        return Module(blocks=[*blocks, Linear(name="classifier", in_features=d, out_features=p.n_labels,
                                              component="head")])  # fmt: skip
    return Module(blocks=[*blocks, Linear(name="classifier.dense", in_features=d, out_features=d, component="head"),
                          Linear(name="classifier.out_proj", in_features=d, out_features=p.n_labels,
                                 component="head")])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``lilt`` family."""
    register(Family(name="lilt", params=LiltParams, build=build,
                    description="LiLT: text and layout streams sharing their attention (document understanding)"))  # fmt: skip
