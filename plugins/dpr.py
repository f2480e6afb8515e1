"""DPR: BERT encoders of passages and questions, and the reader (the ``dpr`` family).

transformers 5.25's ``modeling_dpr.py``: a ``DPREncoder`` is ``bert_model`` (``BertModel`` without its pooler:
the ``bert`` family's tree) and, when ``projection_dim`` is not 0, ``encode_proj`` (the hidden size to
``projection_dim``, with a bias). ``DPRContextEncoder`` holds one as ``ctx_encoder``, ``DPRQuestionEncoder`` as
``question_encoder``; ``DPRReader`` holds ``span_predictor``: the encoder as ``encoder``, then ``qa_outputs`` (the
encoder's output width, ``projection_dim`` or the hidden size, to 2: span start and end) and ``qa_classifier``
(to 1: the passage's relevance), with biases.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from registry import ConfigReader, Family, Params, hookimpl
from registry.blocks import Linear, Module
from registry.plugins.bert import BertParams, build as build_bert
from registry.plugins.common import FamilyParams


class DprParams(FamilyParams):
    """Hyper-parameters of the ``dpr`` family."""

    architecture: Literal["DPRContextEncoder", "DPRQuestionEncoder", "DPRReader"] = Field(
        "DPRContextEncoder", description="which class: the passage encoder, the question encoder or the reader")
    vocab_size: PositiveInt = Field(30522, description="WordPiece vocabulary")
    n_positions: PositiveInt = Field(512, description="learned position embedding rows")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) embedding rows")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    projection_dim: NonNegativeInt = Field(0, description="encode_proj's outputs (0: no projection)")
    cross_attention: bool = Field(False, description="BERT layers built with add_cross_attention (a decoder's)")


def _encoder(p: DprParams, name: str) -> Module:
    """A ``DPREncoder``: ``bert_model`` (BertModel without its pooler) and ``encode_proj``."""
    bert = build_bert(BertParams(vocab_size=p.vocab_size, n_positions=p.n_positions, type_vocab_size=p.type_vocab_size,
                                 d_model=p.d_model, n_layers=p.n_layers, n_heads=p.n_heads, d_ff=p.d_ff, pooler=False,
                                 cross_attention=p.cross_attention))  # fmt: skip
    (body,) = bert.blocks
    blocks: list = [body.model_copy(update={"name": "bert_model"})]
    if p.projection_dim:
        blocks.append(Linear(name="encode_proj", in_features=p.d_model, out_features=p.projection_dim, component="head"))
    return Module(name=name, blocks=blocks)


def build(p: DprParams) -> Module:
    """The block tree of a DPR class."""
    if p.architecture == "DPRContextEncoder":
        return Module(blocks=[_encoder(p, "ctx_encoder")])
    if p.architecture == "DPRQuestionEncoder":
        return Module(blocks=[_encoder(p, "question_encoder")])
    width = p.projection_dim or p.d_model
    return Module(blocks=[Module(name="span_predictor", blocks=[
        _encoder(p, "encoder"),
        Linear(name="qa_outputs", in_features=width, out_features=2, component="head"),
        Linear(name="qa_classifier", in_features=width, out_features=1, component="head"),
    ])])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``dpr`` family."""
    register(Family(name="dpr", params=DprParams, build=build,
                    description="DPR: BERT passage and question encoders (a projection) and the reader's span heads"))


def _architecture(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the class decides the prefix and the reader's heads."""
    params["architecture"] = ("architectures", cls)


@hookimpl
def register_model_types(register):
    """Map the ``dpr`` model type."""
    from registry.plugins.encoder_types import cross_attention_rule  # here: a spec of the family needs none of it
    from registry.plugins.hf_common import ABSOLUTE_POSITIONS, hf_row

    register(hf_row(
        "dpr", "dpr", ("DPRContextEncoder", "DPRQuestionEncoder", "DPRReader"),
        {"vocab_size": "vocab_size", "n_positions": "max_position_embeddings", "type_vocab_size": "type_vocab_size",
         "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "intermediate_size", "projection_dim": "projection_dim"},
        _architecture, ABSOLUTE_POSITIONS, cross_attention_rule,
        shape_free=("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps"),
    ))  # fmt: skip
