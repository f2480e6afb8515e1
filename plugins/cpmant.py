"""CPM-Ant (openbmb/cpm-ant-10b): a pre-norm decoder with prompt and segment embeddings and a segment-aware
relative position bias, as transformers 5 builds it.

One family, ``cpmant``. Under ``cpmant.`` (the bare model: no prefix): ``input_embedding`` of ``vocab_size +
prompt_types × prompt_length`` rows (the prompt tokens' rows follow the vocabulary), ``segment_embedding`` of
``segment_types`` rows, ``position_bias.relative_attention_bias`` (``segment_types² + relative_buckets`` rows of
one bias per head), and ``encoder.layers.<i>``: ``self_att.layernorm_before_attention``, the attention's
``self_att.self_attention.project_q``, ``project_k``, ``project_v`` (``n_heads × head_dim``) and
``attention_out``, ``ffn.layernorm_before_ffn``, a gated feed-forward ``ffn.ffn.w_in.w_0`` (gate), ``w_in.w_1``,
``w_out``; ``encoder.output_layernorm``. Norms are RMS norms (a scale, no shift); no projection has a bias. The
LM head (``lm_head``, ``vocab_size`` rows) is a table of its own: the input table is longer (its prompt rows),
so transformers ties nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams


class CpmAntParams(FamilyParams):
    """Hyper-parameters of the cpmant family."""

    architecture: Literal["causal_lm", "model"] = Field("causal_lm", description="causal_lm: under cpmant. with the LM head")
    vocab_size: PositiveInt = Field(description="vocabulary: LM head outputs, first rows of the input table")
    d_model: PositiveInt = Field(description="residual stream width")
    n_layers: NonNegativeInt = Field(description="decoder layers")
    n_heads: PositiveInt = Field(description="attention heads")
    head_dim: PositiveInt = Field(description="width of one head (dim_head)")
    d_ff: PositiveInt = Field(description="gated feed-forward width")
    prompt_rows: NonNegativeInt = Field(description="prompt rows of the input table (prompt_types × prompt_length)")
    segment_types: PositiveInt = Field(description="segment kinds: rows of segment_embedding")
    relative_buckets: NonNegativeInt = Field(description="relative position buckets of the position bias")


def _layer(p: CpmAntParams) -> list[Block]:
    """One pre-norm layer: attention and gated feed-forward, each after its RMS norm."""
    return [
        RMSNorm(name="self_att.layernorm_before_attention", dim=p.d_model),
        Attention(name="self_att.self_attention", d_model=p.d_model, n_heads=p.n_heads, head_dim=p.head_dim, bias=False,
                  names={"q": "project_q", "k": "project_k", "v": "project_v", "o": "attention_out"}),
        RMSNorm(name="ffn.layernorm_before_ffn", dim=p.d_model),
        FeedForward(name="ffn.ffn", d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=False,
                    names={"gate": "w_in.w_0", "up": "w_in.w_1", "down": "w_out"}),
    ]  # fmt: skip


def build(p: CpmAntParams) -> Module:
    """The block tree of a CPM-Ant model."""
    layers: list[Block] = [Repeat(name="layers", count=p.n_layers, blocks=_layer(p))] if p.n_layers else []
    body: list[Block] = [
        Module(name="encoder", blocks=[*layers, RMSNorm(name="output_layernorm", dim=p.d_model)]),
        Embedding(name="segment_embedding", num_embeddings=p.segment_types, embedding_dim=p.d_model, role="segment"),
        Embedding(name="input_embedding", num_embeddings=p.vocab_size + p.prompt_rows, embedding_dim=p.d_model,
                  role="token"),
        Parameter(name="position_bias.relative_attention_bias",
                  shape=(p.segment_types * p.segment_types + p.relative_buckets, p.n_heads), component="attention"),
    ]  # fmt: skip
    if p.architecture == "model":
        return Module(blocks=body)
    head = Linear(name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=False, component="head")
    return Module(blocks=[Module(name="cpmant", blocks=body), head])


@hookimpl
def register_families(register):
    """Register the ``cpmant`` family."""
    register(Family(name="cpmant", params=CpmAntParams, build=build,
                    description="CPM-Ant: pre-norm decoder with prompt and segment embeddings, segment-aware position bias"))  # fmt: skip
