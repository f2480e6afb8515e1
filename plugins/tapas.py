"""TAPAS: BERT over a flattened table, with a segment table per kind of token type (the ``tapas`` family).

transformers 5.25's ``modeling_tapas.py`` is BERT (:mod:`registry.plugins.bert`'s tree, under ``tapas.``) whose
embeddings hold ``token_type_embeddings_<i>``, one table per entry of ``type_vocab_sizes`` (segment, column, row,
previous answer, column rank, inverse column rank, numeric relation), instead of BERT's one. The classes:
``TapasModel`` (with its pooler), ``TapasForMaskedLM`` (BERT's masked-LM head ``cls.predictions``, no pooler),
``TapasForSequenceClassification`` (pooler and ``classifier``) and ``TapasForQuestionAnswering`` (pooler; the cell
and column selection heads ``output_weights`` / ``column_output_weights`` of ``d_model`` and the scalar biases
``output_bias`` / ``column_output_bias``; with ``num_aggregation_labels`` an ``aggregation_classifier``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, Linear, Module, Parameter
from registry.plugins.bert import BertParams, build as build_bert
from registry.plugins.checkpoint_names import BERT_NAMES
from registry.plugins.common import FamilyParams, check_heads

#: The BERT class whose tree each TAPAS class takes (its pooler and heads).
_BERT_CLASS = {"model": "BertModel", "mlm": "BertForMaskedLM", "sequence": "BertForSequenceClassification",
               "qa": "BertModel"}  # fmt: skip


class TapasParams(FamilyParams):
    """Hyper-parameters of the ``tapas`` family."""

    head: Literal["model", "mlm", "sequence", "qa"] = Field(
        "qa", description="the class: TapasModel, ...ForMaskedLM, ...ForSequenceClassification, ...ForQuestionAnswering")
    vocab_size: PositiveInt = Field(30522, description="WordPiece vocabulary")
    n_positions: PositiveInt = Field(1024, description="learned position embedding rows")
    type_vocab_sizes: list[NonNegativeInt] = Field(default_factory=lambda: [3, 256, 256, 2, 256, 256, 10],
                                                   description="rows of each token type table (an empty one holds "
                                                   "nothing)")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    n_labels: PositiveInt = Field(2, description="outputs of the sequence classifier")
    aggregation_labels: NonNegativeInt = Field(0, description="outputs of the question answering's aggregation "
                                               "classifier (0: none)")
    tie_word_embeddings: bool = Field(True, description="the MLM decoder shares the word embedding")
    cross_attention: bool = Field(False, description="decoder layers: a cross-attention and its norm in every layer")

    @model_validator(mode="after")
    def _check(self) -> TapasParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _embeddings(p: TapasParams, bert: Module) -> Module:
    """BERT's embeddings with TAPAS's token type tables in place of the one segment table."""
    types = [Embedding(name=f"token_type_embeddings_{i}", num_embeddings=rows, embedding_dim=p.d_model, role="segment")
             for i, rows in enumerate(p.type_vocab_sizes) if rows]  # fmt: skip
    blocks = [b for b in bert.blocks if b.name != "token_type_embeddings"]
    return Module(name=bert.name, blocks=[*blocks[:2], *types, *blocks[2:]])


def build(p: TapasParams) -> Module:
    """The block tree of the TAPAS class ``head`` names."""
    bert = build_bert(BertParams(
        architecture=_BERT_CLASS[p.head], vocab_size=p.vocab_size, n_positions=p.n_positions, d_model=p.d_model,
        n_layers=p.n_layers, n_heads=p.n_heads, d_ff=p.d_ff, n_labels=p.n_labels if p.head == "sequence" else 2,
        tie_word_embeddings=p.tie_word_embeddings, cross_attention=p.cross_attention))  # fmt: skip
    body, *heads = bert.blocks
    inner = [_embeddings(p, b) if b.name == "embeddings" else b for b in body.blocks]
    if p.head == "model":
        return Module(blocks=inner)
    if p.head == "mlm":  # the decoder is tied to tapas.embeddings.word_embeddings (BERT's tree says bert.)
        heads = [h.model_copy(update={"blocks": [_retie(b) for b in h.blocks]}) for h in heads]
    if p.head == "qa":
        d = p.d_model
        heads = [Parameter(name="output_weights", shape=(d,), component="head"),
                 Parameter(name="column_output_weights", shape=(d,), component="head"),
                 Parameter(name="output_bias", shape=(), component="head"),
                 Parameter(name="column_output_bias", shape=(), component="head")]  # fmt: skip
        if p.aggregation_labels:
            heads.append(Linear(name="aggregation_classifier", in_features=d, out_features=p.aggregation_labels,
                                component="head"))  # fmt: skip
    return Module(blocks=[Module(name="tapas", blocks=inner), *heads])


def _retie(block):
    tied = getattr(block, "tied_to", None)
    if not tied or not tied.startswith("bert."):
        return block
    return block.model_copy(update={"tied_to": "tapas." + tied.removeprefix("bert.")})


@hookimpl
def register_families(register):
    """Register the ``tapas`` family."""
    register(Family(name="tapas", params=TapasParams, build=build,
                    description="TAPAS: BERT over flattened tables, a token type table per kind of cell index",
                    checkpoint_names=BERT_NAMES))  # fmt: skip
