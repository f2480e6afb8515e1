"""ViLT: one transformer over text tokens and image patches together (the ``vilt`` family).

``ViltModel`` (``modeling_vilt.py``, transformers 5.25): ``embeddings`` holds BERT's text embeddings
(``text_embeddings``: words, learned positions, token types, a ``LayerNorm``), a ViT's patch side (``cls_token``,
the patch convolution ``patch_embeddings.projection``, ``position_embeddings`` of the patches and the class token)
and the modality embeddings (``token_type_embeddings``, ``modality_type_vocab_size`` rows); ``encoder.layer``
holds pre-norm ViT layers (``layernorm_before``, ``attention.attention.query`` …, ``attention.output.dense``,
``layernorm_after``, ``intermediate.dense``, ``output.dense``); then the final ``layernorm`` and a ``pooler``.

The heads (``head``): ``mlm`` (``ViltForMaskedLM``: ``mlm_score.transform`` then ``mlm_score.decoder``, its weight
tied to the word embeddings, its bias its own), ``vqa`` (``ViltForQuestionAnswering``: ``classifier`` = a linear to
twice the width, a norm, a linear to the labels), ``retrieval`` (``ViltForImageAndTextRetrieval``: ``rank_output``,
one score), ``images`` (``ViltForImagesAndTextClassification``: the VQA classifier over ``n_images`` pooled
outputs side by side) and ``tokens`` (``ViltForTokenClassification``: one linear per token; its ViltModel has no
pooler). With a head the model sits under ``vilt.``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads

_ATTENTION = {"q": "attention.attention.query", "k": "attention.attention.key", "v": "attention.attention.value",
              "o": "attention.output.dense"}  # fmt: skip


class ViltParams(FamilyParams):
    """Hyper-parameters of the ``vilt`` family."""

    vocab_size: PositiveInt = Field(30522, description="text vocabulary")
    n_positions: PositiveInt = Field(40, description="learned text positions")
    type_vocab_size: PositiveInt = Field(2, description="text token types")
    modality_type_vocab_size: PositiveInt = Field(2, description="modality embeddings (text, image; NLVR2 adds one)")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="feed-forward width")
    image_size: PositiveInt = Field(384, description="image side (the patch position table's size)")
    patch_size: PositiveInt = Field(32, description="patch side")
    n_channels: PositiveInt = Field(3, description="image channels")
    qkv_bias: bool = Field(True, description="biases on queries, keys and values")
    head: Literal["none", "mlm", "vqa", "retrieval", "images", "tokens"] = Field("none", description="the task head")
    n_labels: PositiveInt = Field(2, description="outputs of the vqa, images and tokens heads")
    n_images: PositiveInt = Field(1, description="images side by side (the images head)")

    @model_validator(mode="after")
    def _check(self) -> ViltParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _embeddings(p: ViltParams) -> Module:
    """The text, patch and modality embeddings."""
    d = p.d_model
    patches = (p.image_size // p.patch_size) ** 2  # none when the patch exceeds the image: the class token alone
    text = Module(name="text_embeddings", blocks=[
        Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
        Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
        Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
        LayerNorm(name="LayerNorm", dim=d),
    ])  # fmt: skip
    return Module(name="embeddings", blocks=[
        text,
        Parameter(name="cls_token", shape=(1, 1, d), component="embedding"),
        Module(name="patch_embeddings", blocks=[Module(name="projection", blocks=[
            Parameter(name="weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
            Parameter(name="bias", shape=(d,), component="embedding"),
        ])]),
        Parameter(name="position_embeddings", shape=(1, patches + 1, d), component="embedding"),
        Embedding(name="token_type_embeddings", num_embeddings=p.modality_type_vocab_size, embedding_dim=d, role="segment"),
    ])  # fmt: skip


def _layer(p: ViltParams) -> list:
    """One pre-norm layer."""
    d = p.d_model
    return [
        LayerNorm(name="layernorm_before", dim=d),
        Attention(d_model=d, n_heads=p.n_heads, bias=p.qkv_bias, out_bias=True, names=_ATTENTION, kv_cache="none"),
        LayerNorm(name="layernorm_after", dim=d),
        FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "intermediate.dense", "down": "output.dense"}),
    ]


def _classifier(width: int, n_labels: int) -> Module:
    """ViLT's VQA classifier: a linear to twice the width, a norm, GELU, a linear to the labels."""
    return Module(name="classifier", blocks=[
        Linear(name="0", in_features=width, out_features=2 * width, component="head"),
        LayerNorm(name="1", dim=2 * width),
        Linear(name="3", in_features=2 * width, out_features=n_labels, component="head"),
    ])  # fmt: skip


def build(p: ViltParams) -> Module:
    """ViltModel, under ``vilt`` with the head the class adds."""
    d = p.d_model
    body = [_embeddings(p), Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=_layer(p))]),
            LayerNorm(name="layernorm", dim=d)]  # fmt: skip
    if p.head != "tokens":
        body.append(Module(name="pooler", blocks=[Linear(name="dense", in_features=d, out_features=d)]))
    if p.head == "none":
        return Module(blocks=body)
    if p.head == "mlm":
        head: list = [Module(name="mlm_score", blocks=[
            Module(name="transform", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head"),
                                             LayerNorm(name="LayerNorm", dim=d)]),
            Linear(name="decoder", in_features=d, out_features=p.vocab_size, component="head",
                   tied_to="vilt.embeddings.text_embeddings.word_embeddings.weight"),
        ])]  # fmt: skip
    elif p.head == "vqa":
        head = [_classifier(d, p.n_labels)]
    elif p.head == "images":  # the first linear keeps the width of the pooled outputs side by side
        width = d * p.n_images
        head = [Module(name="classifier", blocks=[
            Linear(name="0", in_features=width, out_features=width, component="head"),
            LayerNorm(name="1", dim=width),
            Linear(name="3", in_features=width, out_features=p.n_labels, component="head"),
        ])]  # fmt: skip
    elif p.head == "retrieval":
        head = [Linear(name="rank_output", in_features=d, out_features=1, component="head")]
    else:
        head = [Linear(name="classifier", in_features=d, out_features=p.n_labels, component="head")]
    return Module(blocks=[Module(name="vilt", blocks=body), *head])


@hookimpl
def register_families(register):
    """Register the ``vilt`` family."""
    register(Family(name="vilt", params=ViltParams, build=build,
                    description="ViLT: one transformer over text tokens and image patches, with its task heads"))
