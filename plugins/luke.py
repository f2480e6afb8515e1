"""LUKE: RoBERTa with entity embeddings and entity-aware self-attention (the ``luke`` family).

``modeling_luke.py`` of transformers 5. Word embeddings as RoBERTa's (``embeddings.*``); entity embeddings
(``entity_embeddings.entity_embeddings``: ``entity_vocab_size`` rows of ``entity_emb_size``, projected to the hidden
size by ``entity_embedding_dense``, no bias, when the widths differ; their own ``position_embeddings``,
``token_type_embeddings`` and ``LayerNorm``). BERT's post-norm layers; with ``use_entity_aware_attention`` every
layer's attention has three more query projections (``w2e_query``, ``e2w_query``, ``e2e_query``). The pooler on
every class but the token classifier and the question answering. Heads (``luke.`` then holds the model): the masked
LM's word head (``lm_head``: dense, norm, a decoder of its own whose bias is ``lm_head.bias``) and entity head
(``entity_predictions``: a transform to the entity width, a decoder without bias tied to the entity table, and a
bias); with ``tie_word_embeddings`` false neither tie holds (``lm_head.bias`` then stands beside the decoder's).
Or one ``classifier`` that reads one, two (no bias) or three hidden states (the entity, entity-pair and entity-span
classifiers; the sequence and token classifiers read one).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads

_ATTENTION = {"q": "self.query", "k": "self.key", "v": "self.value", "o": "output.dense"}


class LukeParams(FamilyParams):
    """Hyper-parameters of the LUKE family."""

    head: Literal["none", "mlm", "classifier"] = Field(
        "mlm", description="none (LukeModel), the masked LM's word and entity heads, or a classifier"
    )
    pooler: bool = Field(True, description="the pooler (every class but the token classifier and QA)")
    vocab_size: PositiveInt = Field(50267, description="word vocabulary")
    entity_vocab_size: PositiveInt = Field(500000, description="entity vocabulary")
    entity_width: PositiveInt = Field(256, description="entity_emb_size: width of the entity table")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    n_positions: PositiveInt = Field(512, description="learned position rows (words and entities each)")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) rows (words and entities each)")
    entity_aware: bool = Field(True, description="use_entity_aware_attention: three more query projections a layer")
    tie_word_embeddings: bool = Field(
        True, description="the entity decoder shares the entity table, the word decoder its bias with lm_head.bias"
    )
    classifier_inputs: Literal[1, 2, 3] = Field(1, description="hidden states the classifier reads (entity pair: 2, "
                                                "no bias; entity span: 3)")
    n_labels: PositiveInt = Field(2, description="outputs of the classifier")

    @model_validator(mode="after")
    def _check(self) -> LukeParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _base(p: LukeParams) -> list:
    """The bare model: word and entity embeddings, the layers (and the pooler)."""
    d, e = p.d_model, p.entity_width
    entity: list = [Embedding(name="entity_embeddings", num_embeddings=p.entity_vocab_size, embedding_dim=e,
                              role="token")]  # fmt: skip
    if e != d:
        entity.append(Linear(name="entity_embedding_dense", in_features=e, out_features=d, bias=False,
                             component="embedding"))  # fmt: skip
    shared = [("position_embeddings", p.n_positions, "position"), ("token_type_embeddings", p.type_vocab_size, "segment")]
    tables = [Embedding(name=n, num_embeddings=rows, embedding_dim=d, role=role) for n, rows, role in shared]
    queries = ("w2e_query", "e2w_query", "e2e_query") if p.entity_aware else ()
    layer = [Attention(name="attention", d_model=d, n_heads=p.n_heads, bias=True, names=_ATTENTION),
             *(Linear(name=f"attention.self.{q}", in_features=d, out_features=d, component="attention") for q in queries),
             LayerNorm(name="attention.output.LayerNorm", dim=d),
             FeedForward(name="", d_model=d, d_ff=p.d_ff, bias=True,
                         names={"up": "intermediate.dense", "down": "output.dense"}),
             LayerNorm(name="output.LayerNorm", dim=d)]  # fmt: skip
    blocks: list = [
        Module(name="embeddings", blocks=[
            Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
            *tables, LayerNorm(name="LayerNorm", dim=d)]),
        Module(name="entity_embeddings", blocks=[*entity, *tables, LayerNorm(name="LayerNorm", dim=d)]),
        Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=layer)]),
    ]  # fmt: skip
    if p.pooler:
        blocks.append(Linear(name="pooler.dense", in_features=d, out_features=d, component="head"))
    return blocks


def _word_decoder(p: LukeParams) -> list:
    """The word decoder: its bias is ``lm_head.bias`` when tied (never its weight), else both apart."""
    if p.tie_word_embeddings:
        return [Linear(name="lm_head.decoder", in_features=p.d_model, out_features=p.vocab_size, component="head",
                       bias_name="lm_head.bias")]  # fmt: skip
    return [Linear(name="lm_head.decoder", in_features=p.d_model, out_features=p.vocab_size, component="head"),
            Parameter(name="lm_head.bias", shape=(p.vocab_size,), component="head")]


def build(p: LukeParams) -> Module:
    """The block tree of a LUKE model (with its heads when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_base(p))
    d, e = p.d_model, p.entity_width
    blocks: list = [Module(name="luke", blocks=_base(p))]
    if p.head == "classifier":
        n = p.classifier_inputs
        return Module(blocks=[*blocks, Linear(name="classifier", in_features=n * d, out_features=p.n_labels,
                                              bias=n != 2, component="head")])  # fmt: skip
    tied = {"tied_to": "luke.entity_embeddings.entity_embeddings.weight"} if p.tie_word_embeddings else {}
    return Module(blocks=[
        *blocks,
        Linear(name="lm_head.dense", in_features=d, out_features=d, component="head"),
        LayerNorm(name="lm_head.layer_norm", dim=d),
        *_word_decoder(p),
        Linear(name="entity_predictions.transform.dense", in_features=d, out_features=e, component="head"),
        LayerNorm(name="entity_predictions.transform.LayerNorm", dim=e),
        Linear(name="entity_predictions.decoder", in_features=e, out_features=p.entity_vocab_size, bias=False,
               component="head", **tied),
        Parameter(name="entity_predictions.bias", shape=(p.entity_vocab_size,), component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``luke`` family."""
    register(Family(name="luke", params=LukeParams, build=build,
                    description="LUKE: RoBERTa with entity embeddings and entity-aware self-attention"))  # fmt: skip
