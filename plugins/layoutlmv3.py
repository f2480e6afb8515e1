"""LayoutLMv3: a document encoder over text tokens and image patches (the ``layoutlmv3`` family).

``modeling_layoutlmv3.py`` of transformers 5. With ``text_embed``: RoBERTa's text embeddings
(``embeddings.word_embeddings``, ``token_type_embeddings``, ``position_embeddings``, ``LayerNorm``) and four
tables of a token's box (``x_``/``y_position_embeddings`` ``coordinate_size`` wide, ``h_``/``w_position_embeddings``
``shape_size`` wide, ``max_2d_position_embeddings`` rows each). With ``visual_embed``: the patch embedding
(``patch_embed.proj``, a ``Conv2d`` of ``patch_size`` from ``num_channels``), ``cls_token``, ``pos_embed``
(``(input_size / patch_size)^2 + 1`` rows), ``LayerNorm`` and ``norm``. BERT's post-norm layers
(``encoder.layer.<i>``); the encoder holds the relative position bias (``rel_pos_bias``, ``rel_pos_bins -> heads``,
no bias) and the spatial ones (``rel_pos_x_bias``, ``rel_pos_y_bias``, ``rel_2d_pos_bins -> heads``) where the config
asks for them. No pooler. Heads (``layoutlmv3.`` then holds the model): ``LayoutLMv3ClassificationHead`` (``dense``
and ``out_proj``) as the sequence classifier's ``classifier``, the question answering's ``qa_outputs`` and the token
classifier's ``classifier`` from 10 labels on (below 10, a single ``classifier`` Linear).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads

_ATTENTION = {"q": "self.query", "k": "self.key", "v": "self.value", "o": "output.dense"}


class LayoutLMv3Params(FamilyParams):
    """Hyper-parameters of the LayoutLMv3 family."""

    head: Literal["none", "sequence", "token", "token_linear", "qa"] = Field(
        "none", description="none (LayoutLMv3Model), the classification head as the sequence classifier, the token "
        "classifier (token_linear: its single Linear below 10 labels) or the question answering's qa_outputs"
    )
    vocab_size: PositiveInt = Field(50265, description="token vocabulary")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    text_embed: bool = Field(True, description="the text embeddings")
    n_positions: PositiveInt = Field(512, description="learned position rows of the text")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) rows")
    positions_2d: PositiveInt = Field(1024, description="rows of each of the four tables of a token's box")
    coordinate_size: PositiveInt = Field(128, description="width of the x and y tables")
    shape_size: PositiveInt = Field(128, description="width of the h and w tables")
    visual_embed: bool = Field(True, description="the image patch embeddings")
    image_size: PositiveInt = Field(224, description="input_size: the image side the position table covers")
    patch_size: PositiveInt = Field(16, description="side of a square patch")
    n_channels: PositiveInt = Field(3, description="image channels")
    rel_pos_bins: NonNegativeInt = Field(32, description="buckets of the relative position bias (0: none)")
    rel_2d_pos_bins: NonNegativeInt = Field(64, description="buckets of each spatial bias (0: none)")
    n_labels: PositiveInt = Field(2, description="outputs of the head")

    @model_validator(mode="after")
    def _check(self) -> LayoutLMv3Params:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _base(p: LayoutLMv3Params) -> list:
    """The bare model: the text and image embeddings, the layers and the encoder's position biases."""
    d = p.d_model
    blocks: list = []
    if p.text_embed:
        tables = [("word_embeddings", p.vocab_size, d, "token"), ("token_type_embeddings", p.type_vocab_size, d, "segment"),
                  ("position_embeddings", p.n_positions, d, "position"),
                  *((f"{axis}_position_embeddings", p.positions_2d, p.coordinate_size, "position") for axis in "xy"),
                  *((f"{axis}_position_embeddings", p.positions_2d, p.shape_size, "position") for axis in "hw")]  # fmt: skip
        blocks.append(Module(name="embeddings", blocks=[
            *(Embedding(name=n, num_embeddings=rows, embedding_dim=w, role=role) for n, rows, w, role in tables),
            LayerNorm(name="LayerNorm", dim=d)]))  # fmt: skip
    if p.visual_embed:
        side = p.image_size // p.patch_size  # int(input_size / patch_size), as transformers computes it
        blocks += [Parameter(name="patch_embed.proj.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size),
                             component="embedding"),
                   Parameter(name="patch_embed.proj.bias", shape=(d,), component="embedding"),
                   Parameter(name="cls_token", shape=(1, 1, d), component="embedding"),
                   Parameter(name="pos_embed", shape=(1, side * side + 1, d), component="embedding"),
                   LayerNorm(name="LayerNorm", dim=d), LayerNorm(name="norm", dim=d)]  # fmt: skip
    layer = [Attention(name="attention", d_model=d, n_heads=p.n_heads, bias=True, names=_ATTENTION),
             LayerNorm(name="attention.output.LayerNorm", dim=d),
             FeedForward(name="", d_model=d, d_ff=p.d_ff, bias=True,
                         names={"up": "intermediate.dense", "down": "output.dense"}),
             LayerNorm(name="output.LayerNorm", dim=d)]  # fmt: skip
    encoder: list = [Repeat(name="layer", count=p.n_layers, blocks=layer)]
    biases = [("rel_pos_bias", p.rel_pos_bins)] if p.rel_pos_bins else []
    biases += [(f"rel_pos_{axis}_bias", p.rel_2d_pos_bins) for axis in "xy"] if p.rel_2d_pos_bins else []
    encoder += [Linear(name=n, in_features=bins, out_features=p.n_heads, bias=False, component="attention")
                for n, bins in biases]  # fmt: skip
    return [*blocks, Module(name="encoder", blocks=encoder)]


def build(p: LayoutLMv3Params) -> Module:
    """The block tree of a LayoutLMv3 model (with its head when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_base(p))
    d = p.d_model
    blocks: list = [Module(name="layoutlmv3", blocks=_base(p))]
    if p.head == "token_linear":
        return Module(blocks=[*blocks, Linear(name="classifier", in_features=d, out_features=p.n_labels,
                                              component="head")])  # fmt: skip
    name = "qa_outputs" if p.head == "qa" else "classifier"
    return Module(blocks=[*blocks, Linear(name=f"{name}.dense", in_features=d, out_features=d, component="head"),
                          Linear(name=f"{name}.out_proj", in_features=d, out_features=p.n_labels, component="head")])


@hookimpl
def register_families(register):
    """Register the ``layoutlmv3`` family."""
    register(Family(name="layoutlmv3", params=LayoutLMv3Params, build=build,
                    description="LayoutLMv3: document encoder over text tokens (with boxes) and image patches"))  # fmt: skip
