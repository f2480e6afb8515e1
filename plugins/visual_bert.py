"""VisualBERT: BERT over text tokens and projected detector features (the ``visual-bert`` family).

``VisualBertModel`` (``modeling_visual_bert.py``, transformers 5.25): BERT's ``embeddings`` (``word_embeddings``,
learned ``position_embeddings``, ``token_type_embeddings``, ``LayerNorm``) plus the image side's
``visual_token_type_embeddings``, ``visual_position_embeddings`` and ``visual_projection`` (the detector's
``visual_embedding_dim`` features to the hidden size); BERT's post-norm layers ``encoder.layer.N``
(``attention.self.query`` …, ``attention.output.dense`` and ``.LayerNorm``, ``intermediate.dense``,
``output.dense`` and ``.LayerNorm``); the ``pooler``; with ``bypass_transformer`` one more layer
(``additional_layer``) for the text tokens.

The heads (``head``), the model under ``visual_bert.``: ``pretraining`` (``cls.predictions``: a transform and a
decoder whose weight is the word embeddings and whose bias is ``cls.predictions.bias``; ``cls.seq_relationship``),
``choice`` (``cls``: one score per choice) and ``labels`` (``cls``: ``n_labels`` outputs; VQA and NLVR2).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class VisualBertParams(FamilyParams):
    """Hyper-parameters of the ``visual-bert`` family."""

    vocab_size: PositiveInt = Field(30522, description="vocabulary")
    n_positions: PositiveInt = Field(512, description="learned positions (text and image each)")
    type_vocab_size: PositiveInt = Field(2, description="token types (text and image each)")
    d_model: PositiveInt = Field(768, description="hidden size")
    d_visual: PositiveInt = Field(512, description="the detector features' width (visual_embedding_dim)")
    n_layers: PositiveInt = Field(12, description="layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="feed-forward width")
    bypass_transformer: bool = Field(False, description="one more layer for the text tokens (additional_layer)")
    head: Literal["none", "pretraining", "choice", "labels"] = Field("none", description="the task head")
    n_labels: PositiveInt = Field(2, description="outputs of the labels head")
    tie_word_embeddings: bool = Field(True, description="the pretraining decoder's weight is the word embeddings")

    @model_validator(mode="after")
    def _check(self) -> VisualBertParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _layer(p: VisualBertParams) -> list:
    """One post-norm BERT layer."""
    d = p.d_model
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense"}  # fmt: skip
    return [
        Attention(d_model=d, n_heads=p.n_heads, names=names, kv_cache="none"),
        LayerNorm(name="attention.output.LayerNorm", dim=d),
        FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "intermediate.dense", "down": "output.dense"}),
        LayerNorm(name="output.LayerNorm", dim=d),
    ]


def _model(p: VisualBertParams) -> list:
    """VisualBertModel's blocks."""
    d = p.d_model
    blocks: list = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
            LayerNorm(name="LayerNorm", dim=d),
            Embedding(name="visual_token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=d, role="segment"),
            Embedding(name="visual_position_embeddings", num_embeddings=p.n_positions, embedding_dim=d, role="position"),
            Linear(name="visual_projection", in_features=p.d_visual, out_features=d, component="embedding"),
        ]),
        Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=_layer(p))]),
        Module(name="pooler", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head")]),
    ]  # fmt: skip
    if p.bypass_transformer:
        blocks.append(Module(name="additional_layer", blocks=_layer(p)))
    return blocks


def build(p: VisualBertParams) -> Module:
    """VisualBertModel, under ``visual_bert`` with the class's head."""
    d = p.d_model
    if p.head == "none":
        return Module(blocks=_model(p))
    if p.head == "pretraining":
        transform = Module(name="transform", blocks=[Linear(name="dense", in_features=d, out_features=d, component="head"),
                                                     LayerNorm(name="LayerNorm", dim=d)])  # fmt: skip
        if p.tie_word_embeddings:
            decoder = [Linear(name="decoder", in_features=d, out_features=p.vocab_size, component="head",
                              tied_to="visual_bert.embeddings.word_embeddings.weight", bias_name="bias")]
        else:  # a decoder of its own, cls.predictions.bias left beside it
            decoder = [Parameter(name="bias", shape=(p.vocab_size,), component="head"),
                       Linear(name="decoder", in_features=d, out_features=p.vocab_size, component="head")]
        head: list = [Module(name="cls", blocks=[
            Module(name="predictions", blocks=[transform, *decoder]),
            Linear(name="seq_relationship", in_features=d, out_features=2, component="head"),
        ])]  # fmt: skip
    else:
        head = [Linear(name="cls", in_features=d, out_features=1 if p.head == "choice" else p.n_labels, component="head")]
    return Module(blocks=[Module(name="visual_bert", blocks=_model(p)), *head])


@hookimpl
def register_families(register):
    """Register the ``visual-bert`` family."""
    register(Family(name="visual-bert", params=VisualBertParams, build=build,
                    description="VisualBERT: BERT over text tokens and projected detector features, with its task heads"))
