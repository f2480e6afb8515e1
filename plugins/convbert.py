"""ConvBERT: BERT whose self-attention shares its heads with span-based dynamic convolutions (the ``convbert`` family).

``modeling_convbert.py`` of transformers 5. Embeddings as ELECTRA's: ``embedding_size`` wide tables and norm, and
``embeddings_project`` (``embedding_size -> hidden_size``, held by the model) when the widths differ. In every
layer's ``attention.self``, ``n_heads // head_ratio`` heads (at least 1) of ``(hidden / heads) // 2`` each
(``inner`` wide in all): ``query``, ``key``, ``value`` and ``conv_out_layer`` (``hidden -> inner``), the separable
convolution ``key_conv_attn_layer`` (a depthwise ``Conv1d`` of ``conv_kernel_size`` without bias, a pointwise one
without bias, and a ``bias`` of ``(inner, 1)``), ``conv_kernel_layer`` (``inner -> heads * kernel``); then BERT's
``attention.output`` (dense and norm), ``intermediate.dense`` and ``output.dense`` (``GroupedLinearLayer``s with
``num_groups`` > 1: a weight of ``(groups, in / groups, out / groups)`` and a bias) and ``output.LayerNorm``. Decoder
layers built with ``add_cross_attention`` hold a ``crossattention`` of the same shape. No pooler. Heads (``convbert.``
then holds the model): the generator's MLM head (``generator_predictions.dense`` to the embedding width, its norm,
``generator_lm_head`` tied to the token table, with a bias) or the sequence classifier (``classifier.dense``,
``classifier.out_proj``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d


class ConvBertParams(FamilyParams):
    """Hyper-parameters of the ConvBERT family."""

    head: Literal["none", "mlm", "classifier"] = Field(
        "mlm", description="none (ConvBertModel), the generator's masked-LM head or the sequence classifier"
    )
    vocab_size: PositiveInt = Field(30522, description="token vocabulary")
    d_model: PositiveInt = Field(768, description="hidden size")
    embedding_size: PositiveInt = Field(768, description="width of the embedding tables")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads of the config (before head_ratio)")
    head_ratio: PositiveInt = Field(2, description="the config's heads per attention head kept")
    conv_kernel_size: PositiveInt = Field(9, description="width of the span-based dynamic convolution")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    n_groups: PositiveInt = Field(1, description="groups of the feed-forward's grouped linear layers (1: dense)")
    n_positions: PositiveInt = Field(512, description="learned position rows")
    type_vocab_size: PositiveInt = Field(2, description="segment (token type) rows")
    cross_attention: bool = Field(False, description="decoder layers: a cross-attention in every layer")
    tie_word_embeddings: bool = Field(True, description="the generator's LM head shares the token table")
    n_labels: PositiveInt = Field(2, description="outputs of the sequence classifier")

    @model_validator(mode="after")
    def _check(self) -> ConvBertParams:
        if self.d_model % self.heads:
            raise FieldError("n_heads", f"the {self.heads} heads kept (n_heads // head_ratio) must divide d_model "
                             f"({self.d_model})")  # fmt: skip
        if not self.inner:
            raise FieldError("d_model", f"must be >= 2 per head kept ({self.heads}): the heads would be 0 wide")
        if self.n_groups > 1 and (self.d_model < self.n_groups or self.d_ff < self.n_groups):
            raise FieldError("n_groups", "must be <= d_model and d_ff: the grouped layers would be 0 wide")
        return self

    @property
    def heads(self) -> int:
        """The attention heads ConvBertSelfAttention keeps."""
        return max(self.n_heads // self.head_ratio, 1)

    @property
    def inner(self) -> int:
        """The width of the attention's projections (heads of ``(d_model / heads) // 2``)."""
        return self.heads * ((self.d_model // self.heads) // 2)


def _linear(name: str, n_in: int, n_out: int, component: str = "other") -> Linear:
    return Linear(name=name, in_features=n_in, out_features=n_out, component=component)


def _attention(p: ConvBertParams, name: str) -> Module:
    """ConvBertAttention: the mixed attention and convolution, the output projection and its norm."""
    d, inner, k = p.d_model, p.inner, p.conv_kernel_size
    return Module(name=name, blocks=[
        *(_linear(f"self.{x}", d, inner, "attention") for x in ("query", "key", "value")),
        *conv1d("self.key_conv_attn_layer.depthwise", d, d, k, bias=False, groups=d),
        *conv1d("self.key_conv_attn_layer.pointwise", d, inner, 1, bias=False),
        Parameter(name="self.key_conv_attn_layer.bias", shape=(inner, 1), component="attention"),
        _linear("self.conv_kernel_layer", inner, p.heads * k, "attention"),
        _linear("self.conv_out_layer", d, inner, "attention"),
        _linear("output.dense", d, d, "attention"),
        LayerNorm(name="output.LayerNorm", dim=d),
    ])  # fmt: skip


def _dense(p: ConvBertParams, name: str, n_in: int, n_out: int) -> list:
    """A dense layer, or a GroupedLinearLayer with several groups."""
    g = p.n_groups
    if g == 1:
        return [_linear(name, n_in, n_out, "feed_forward")]
    return [Parameter(name=f"{name}.weight", shape=(g, n_in // g, n_out // g), component="feed_forward"),
            Parameter(name=f"{name}.bias", shape=(n_out,), component="feed_forward")]


def _base(p: ConvBertParams) -> list:
    """The bare model: embeddings (and their projection), the layers."""
    d, e = p.d_model, p.embedding_size
    layer = [_attention(p, "attention"), *([_attention(p, "crossattention")] if p.cross_attention else []),
             *_dense(p, "intermediate.dense", d, p.d_ff), *_dense(p, "output.dense", p.d_ff, d),
             LayerNorm(name="output.LayerNorm", dim=d)]  # fmt: skip
    blocks: list = [Module(name="embeddings", blocks=[
        Embedding(name="word_embeddings", num_embeddings=p.vocab_size, embedding_dim=e, role="token"),
        Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=e, role="position"),
        Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=e, role="segment"),
        LayerNorm(name="LayerNorm", dim=e)])]  # fmt: skip
    if e != d:
        blocks.append(_linear("embeddings_project", e, d, "embedding"))
    blocks.append(Module(name="encoder", blocks=[Repeat(name="layer", count=p.n_layers, blocks=layer)]))
    return blocks


def build(p: ConvBertParams) -> Module:
    """The block tree of a ConvBERT model (with its head when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_base(p))
    d, e = p.d_model, p.embedding_size
    blocks: list = [Module(name="convbert", blocks=_base(p))]
    if p.head == "classifier":
        return Module(blocks=[*blocks, _linear("classifier.dense", d, d, "head"),
                              _linear("classifier.out_proj", d, p.n_labels, "head")])  # fmt: skip
    tied = {"tied_to": "convbert.embeddings.word_embeddings.weight"} if p.tie_word_embeddings else {}
    return Module(blocks=[*blocks, _linear("generator_predictions.dense", d, e, "head"),
                          LayerNorm(name="generator_predictions.LayerNorm", dim=e),
                          Linear(name="generator_lm_head", in_features=e, out_features=p.vocab_size,
                                 component="head", **tied)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``convbert`` family."""
    register(Family(name="convbert", params=ConvBertParams, build=build,
                    description="ConvBERT: BERT with mixed attention and span-based dynamic convolution heads"))  # fmt: skip
