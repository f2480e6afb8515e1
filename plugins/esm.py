"""ESM: the protein language models of Meta (ESM-1b, ESM-2), as transformers 5 builds them (the ``esm`` family).

``modeling_esm.py``: a pre-norm BERT-like encoder. Embeddings: the token table (``embeddings.word_embeddings``),
a learned position table only with absolute positions (ESM-1b; ESM-2's rotary positions have no parameters), a
norm of the embeddings only with ``emb_layer_norm_before``; no segment table. Every layer: ``attention.LayerNorm``
before ``attention.self.query/key/value`` and ``attention.output.dense``, ``LayerNorm`` before the feed-forward
(``intermediate.dense``, ``output.dense``); decoder layers built with ``add_cross_attention`` add a
``crossattention`` of the same shape with its own norm. The encoder ends with ``emb_layer_norm_after``. The bare
model also holds the contact-prediction head (``contact_head.regression``: one weight per attention map of every
layer and head, and a bias) and, as ``EsmModel``, the pooler.

Heads (``esm.`` then holds the model, without pooler): the masked-LM head (``lm_head.dense``,
``lm_head.layer_norm``, a decoder without bias tied to the token table unless ``tie_word_embeddings`` is false,
and ``lm_head.bias``); the sequence classifier (``classifier.dense``, ``classifier.out_proj``); the token
classifier (``classifier``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads

_ATTENTION = {"q": "self.query", "k": "self.key", "v": "self.value", "o": "output.dense"}


class EsmParams(FamilyParams):
    """Hyper-parameters of the ESM family."""

    head: Literal["none", "mlm", "classifier", "token_classifier"] = Field(
        "mlm", description="none (EsmModel), the masked-LM head (EsmForMaskedLM), the sequence classifier "
        "(EsmForSequenceClassification) or the token classifier (EsmForTokenClassification)"
    )
    pooler: bool = Field(False, description="the pooler of the bare model (EsmModel)")
    vocab_size: PositiveInt = Field(33, description="token vocabulary (amino acids and special tokens)")
    d_model: PositiveInt = Field(1280, description="hidden size")
    n_layers: PositiveInt = Field(33, description="encoder layers")
    n_heads: PositiveInt = Field(20, description="attention heads")
    d_ff: PositiveInt = Field(5120, description="intermediate size")
    n_positions: int = Field(0, ge=0, description="learned position rows (absolute positions; 0: rotary, none)")
    embedding_norm: bool = Field(False, description="a norm of the embeddings (emb_layer_norm_before)")
    cross_attention: bool = Field(False, description="decoder layers: a cross-attention and its norm in every layer")
    tie_word_embeddings: bool = Field(True, description="the MLM decoder shares the token table")
    n_labels: PositiveInt = Field(2, description="outputs of the classifiers")

    @model_validator(mode="after")
    def _check(self) -> EsmParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _attention(p: EsmParams, name: str) -> list:
    """An attention block (self or cross) and the norm before it, as EsmAttention holds them."""
    return [LayerNorm(name=f"{name}.LayerNorm", dim=p.d_model),
            Attention(name=name, d_model=p.d_model, n_heads=p.n_heads, bias=True, names=_ATTENTION)]  # fmt: skip


def _base(p: EsmParams) -> list:
    """The bare model: embeddings, layers, the last norm, the contact head (and the pooler)."""
    d = p.d_model
    embeddings: list = [Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token")]
    if p.embedding_norm:
        embeddings.append(LayerNorm(name="layer_norm", dim=d))
    if p.n_positions:
        embeddings.append(Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d,
                                    role="position"))  # fmt: skip
    layer = [*_attention(p, "attention"), *(_attention(p, "crossattention") if p.cross_attention else []),
             LayerNorm(name="LayerNorm", dim=d),
             FeedForward(name="", d_model=d, d_ff=p.d_ff, bias=True,
                         names={"up": "intermediate.dense", "down": "output.dense"})]  # fmt: skip
    blocks: list = [
        Module(name="embeddings", blocks=embeddings),
        Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=layer),
                                       LayerNorm(name="emb_layer_norm_after", dim=d)]),
        Linear(name="contact_head.regression", in_features=p.n_layers * p.n_heads, out_features=1, component="head"),
    ]  # fmt: skip
    if p.pooler:
        blocks.append(Linear(name="pooler.dense", in_features=d, out_features=d, component="head"))
    return blocks


def build(p: EsmParams) -> Module:
    """The block tree of an ESM model (with its head when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_base(p))
    d = p.d_model
    blocks: list = [Module(name="esm", blocks=_base(p))]
    if p.head == "classifier":
        blocks += [Linear(name="classifier.dense", in_features=d, out_features=d, component="head"),
                   Linear(name="classifier.out_proj", in_features=d, out_features=p.n_labels, component="head")]
    elif p.head == "token_classifier":
        blocks.append(Linear(name="classifier", in_features=d, out_features=p.n_labels, component="head"))
    else:
        tied = {"tied_to": "esm.embeddings.word_embeddings.weight"} if p.tie_word_embeddings else {}
        blocks += [Linear(name="lm_head.dense", in_features=d, out_features=d, component="head"),
                   LayerNorm(name="lm_head.layer_norm", dim=d),
                   Linear(name="lm_head.decoder", in_features=d, out_features=p.vocab_size, bias=False,
                          component="head", **tied),
                   Parameter(name="lm_head.bias", shape=(p.vocab_size,), component="head")]  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``esm`` family."""
    register(Family(name="esm", params=EsmParams, build=build,
                    description="ESM protein language models: pre-norm encoder, rotary or learned positions"))  # fmt: skip
