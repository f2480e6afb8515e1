"""BROS: BERT with the text boxes' positions, for key information extraction from documents (the ``bros`` family).

transformers 5.25's ``modeling_bros.py`` is BERT (:mod:`registry.plugins.bert`'s ``BertModel`` tree, pooler
included) plus ``bbox_embeddings.bbox_projection``: the boxes' sinusoidal features (``hidden_size // 4`` of them, no
tensors) projected without a bias to ``hidden_size // num_attention_heads``, a per-head bias of the attention scores
(``BrosConfig`` derives both widths, whatever a config.json says). The classes put the model under ``bros.``:
``BrosForTokenClassification`` adds ``classifier`` (``num_labels``); ``BrosSpadeEEForTokenClassification``
``initial_token_classifier`` (``.1``: hidden -> hidden, ``.3``: hidden -> ``num_labels``) and
``subsequent_token_classifier``; ``BrosSpadeELForTokenClassification`` ``entity_linker``. The last two are relation
extractors: ``query`` and ``key`` (hidden -> ``n_relations * hidden``) and a ``dummy_node`` of ``(1, hidden)``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Linear, Module, Parameter
from registry.plugins.bert import BertParams, build as build_bert
from registry.plugins.checkpoint_names import BERT_NAMES
from registry.plugins.common import FamilyParams, check_heads


class BrosParams(FamilyParams):
    """Hyper-parameters of the ``bros`` family."""

    head: Literal["none", "token", "spade_ee", "spade_el"] = Field(
        "none", description="the class: BrosModel (none), ...ForTokenClassification, BrosSpadeEE..., BrosSpadeEL...")
    vocab_size: PositiveInt = Field(30522, description="WordPiece vocabulary")
    n_positions: PositiveInt = Field(512, description="learned position embedding rows")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) embedding rows")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    n_labels: PositiveInt = Field(2, description="outputs of the token classifiers")
    n_relations: PositiveInt = Field(1, description="relations of the relation extractors")
    cross_attention: bool = Field(False, description="decoder layers: a cross-attention and its norm in every layer")

    @model_validator(mode="after")
    def _check(self) -> BrosParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _relations(p: BrosParams, name: str) -> Module:
    d, width = p.d_model, p.n_relations * p.d_model
    return Module(name=name, blocks=[Linear(name="query", in_features=d, out_features=width, component="head"),
                                     Linear(name="key", in_features=d, out_features=width, component="head"),
                                     Parameter(name="dummy_node", shape=(1, d), component="head")])  # fmt: skip


def build(p: BrosParams) -> Module:
    """The block tree of the BROS class ``head`` names."""
    d = p.d_model
    bert = build_bert(BertParams(architecture="BertModel", vocab_size=p.vocab_size, n_positions=p.n_positions,
                                 type_vocab_size=p.type_vocab_size, d_model=d, n_layers=p.n_layers, n_heads=p.n_heads,
                                 d_ff=p.d_ff, cross_attention=p.cross_attention))  # fmt: skip
    model = list(bert.blocks)
    if d // 4:  # the boxes' features (hidden_size // 4) projected to one bias per head's width
        model.insert(1, Linear(name="bbox_embeddings.bbox_projection", in_features=d // 4, out_features=d // p.n_heads,
                               bias=False, component="embedding"))  # fmt: skip
    if p.head == "none":
        return Module(blocks=model)
    heads: list = {
        "token": [Linear(name="classifier", in_features=d, out_features=p.n_labels, component="head")],
        "spade_ee": [Linear(name="initial_token_classifier.1", in_features=d, out_features=d, component="head"),
                     Linear(name="initial_token_classifier.3", in_features=d, out_features=p.n_labels, component="head"),
                     _relations(p, "subsequent_token_classifier")],
        "spade_el": [_relations(p, "entity_linker")],
    }[p.head]  # fmt: skip
    return Module(blocks=[Module(name="bros", blocks=model), *heads])


@hookimpl
def register_families(register):
    """Register the ``bros`` family."""
    register(Family(name="bros", params=BrosParams, build=build,
                    description="BROS: BERT with the text boxes' positions (key information extraction)",
                    checkpoint_names=BERT_NAMES))  # fmt: skip
