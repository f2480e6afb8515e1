"""XLM: the cross-lingual language model of Lample & Conneau (2019), as transformers 5 builds it (the ``xlm`` family).

A post-norm transformer encoder whose layers are held as four parallel lists rather than one list of layers
(``modeling_xlm.py``'s ``XLMModel``): ``attentions.<i>`` (``q_lin``, ``k_lin``, ``v_lin``, ``out_lin``, with
biases), ``layer_norm1.<i>``, ``ffns.<i>`` (``lin1``, ``lin2``: ``d_model → 4·d_model → d_model``) and
``layer_norm2.<i>``; the family builds them as four repeats of ``n_layers`` under those names, so every tensor
carries transformers' (and the published checkpoints') name, and the totals are those of the layers. The
embeddings: ``position_embeddings`` (``n_positions`` rows; the sinusoidal option only fills them), the optional
``lang_embeddings`` (``n_langs`` rows, when there are several languages and ``use_lang_emb``), the token table
``embeddings`` and ``layer_norm_emb``.

Heads (``transformer.`` then holds the model): ``lm`` (XLMWithLMHeadModel's ``pred_layer.proj``, tied to the token
table unless ``tie_word_embeddings`` is false, with a bias of its own); ``summary`` (XLMForSequenceClassification's
``sequence_summary.summary``, ``d_model → summary_dim``, none when 0); ``classifier`` (XLMForTokenClassification's
``classifier``, ``d_model → n_labels``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams, check_heads


class XlmParams(FamilyParams):
    """Hyper-parameters of the XLM family."""

    head: Literal["none", "lm", "summary", "classifier"] = Field(
        "lm", description="none (XLMModel), lm (XLMWithLMHeadModel), summary (XLMForSequenceClassification's "
        "projection), classifier (XLMForTokenClassification)"
    )
    vocab_size: PositiveInt = Field(30145, description="token vocabulary (n_words)")
    d_model: PositiveInt = Field(2048, description="hidden size (emb_dim); the feed-forward is 4 × as wide")
    n_layers: NonNegativeInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads")
    n_positions: PositiveInt = Field(512, description="position embedding rows")
    n_langs: NonNegativeInt = Field(0, description="language embedding rows (0: none)")
    tie_word_embeddings: bool = Field(True, description="the LM projection shares the token table (its bias apart)")
    summary_dim: NonNegativeInt = Field(
        2, description="outputs of the sequence summary's projection (head = summary; 0: no projection)"
    )
    n_labels: PositiveInt = Field(2, description="outputs of the token classifier (head = classifier)")

    @model_validator(mode="after")
    def _check(self) -> XlmParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.n_langs == 1:
            raise FieldError("n_langs", "one language has no language table (transformers builds it for 2 or more)")
        return self


def _layers(p: XlmParams) -> list[Block]:
    """The four parallel lists of layer parts, each a repeat of ``n_layers``."""
    if not p.n_layers:
        return []
    d = p.d_model
    attention = Attention(name="", d_model=d, n_heads=p.n_heads, bias=True,
                          names={"q": "q_lin", "k": "k_lin", "v": "v_lin", "o": "out_lin"})  # fmt: skip
    ffn = FeedForward(name="", d_model=d, d_ff=4 * d, bias=True, names={"up": "lin1", "down": "lin2"})
    return [
        Repeat(name="attentions", count=p.n_layers, blocks=[attention]),
        Repeat(name="layer_norm1", count=p.n_layers, blocks=[LayerNorm(name="", dim=d)]),
        Repeat(name="ffns", count=p.n_layers, blocks=[ffn]),
        Repeat(name="layer_norm2", count=p.n_layers, blocks=[LayerNorm(name="", dim=d)]),
    ]


def build(p: XlmParams) -> Module:
    """The block tree of an XLM model (with its head when ``head`` says so)."""
    d = p.d_model
    body: list[Block] = [Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=d,
                                   role="position")]  # fmt: skip
    if p.n_langs:
        body.append(Embedding(name="lang_embeddings", num_embeddings=p.n_langs, embedding_dim=d, role="segment"))
    body += [Embedding(name="embeddings", num_embeddings=p.vocab_size, embedding_dim=d, role="token"),
             LayerNorm(name="layer_norm_emb", dim=d), *_layers(p)]  # fmt: skip
    if p.head == "none":
        return Module(blocks=body)
    blocks: list[Block] = [Module(name="transformer", blocks=body)]
    if p.head == "lm":
        tied = {"tied_to": "transformer.embeddings.weight"} if p.tie_word_embeddings else {}
        blocks.append(Linear(name="pred_layer.proj", in_features=d, out_features=p.vocab_size, component="head", **tied))
    elif p.head == "summary" and p.summary_dim:
        blocks.append(Linear(name="sequence_summary.summary", in_features=d, out_features=p.summary_dim,
                             component="head"))  # fmt: skip
    elif p.head == "classifier":
        blocks.append(Linear(name="classifier", in_features=d, out_features=p.n_labels, component="head"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``xlm`` family."""
    register(Family(name="xlm", params=XlmParams, build=build,
                    description="XLM: post-norm encoder with language embeddings, layers held as parallel lists"))  # fmt: skip
