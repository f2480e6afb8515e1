"""Pieces shared by the Llama-style decoder families: llama, llama-moe, deepseek-v2, arctic, nemotron.

Not a plugin (it registers nothing): the common hyper-parameters of a decoder, the
per-layer pattern of dense and mixture-of-experts layers, norms of either kind, and the
Hugging Face layout ``model.embed_tokens``, ``model.layers.<i>``, ``model.norm``,
``lm_head``. Only public API is used: a third-party family may import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import Field, PositiveInt

from registry.blocks import Attention, Block, Embedding, FieldError, LayerNorm, Linear, Module, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads


class DecoderParams(FamilyParams):
    """Hyper-parameters every Llama-style decoder has."""

    vocab_size: PositiveInt = Field(description="token embedding rows (and LM head outputs)")
    d_model: PositiveInt = Field(description="residual stream width (hidden_size)")
    n_layers: PositiveInt = Field(description="decoder layers (num_hidden_layers)")
    n_heads: PositiveInt = Field(description="query heads (num_attention_heads)")
    lm_head: bool = Field(True, description="the language-modelling head (...ForCausalLM); false for the bare ...Model")
    tie_word_embeddings: bool = Field(False, description="the LM head shares the token embedding (counted once)")


class GQAParams(DecoderParams):
    """A decoder with grouped-query attention of configurable head width."""

    n_kv_heads: PositiveInt | None = Field(None, description="key/value heads (default n_heads; fewer: grouped-query)")
    head_dim: PositiveInt | None = Field(None, description="width of one head (default d_model / n_heads)")

    def check_attention(self) -> None:
        """The attention shape rules, as errors naming the field at fault."""
        check_heads(self.d_model, self.n_heads, self.head_dim, self.n_kv_heads)


#: A run of layers of one kind: (kind, first layer, how many, step between them).
Run = tuple[str, int, int, int]

#: The most runs a layer pattern may have (a pattern is a handful of runs in practice).
MAX_RUNS = 10_000


def moe_runs(n_layers: int, moe_every: int = 1, first_dense: int = 0, dense_layers: Sequence[int] = ()) -> list[Run]:
    """The layers as runs of ``"dense"`` and ``"moe"`` layers, without listing every layer.

    Layer ``i`` (0-based) is MoE when ``i >= first_dense``, ``(i + 1) % moe_every == 0``
    and ``i`` is not in ``dense_layers``: DeepSeek's ``first_k_dense_replace``, Qwen2-MoE's
    ``decoder_sparse_step`` and ``mlp_only_layers``, Arctic's ``moe_layer_frequency``.
    Computed per stretch of layers between the listed dense ones, so that a count of
    10**30 layers takes no longer than 30. Raises :class:`FieldError` for a pattern of more
    than :data:`MAX_RUNS` runs.
    """
    k = moe_every
    runs: list[Run] = []
    start = min(first_dense, n_layers)
    if start:
        runs.append(("dense", 0, start, 1))
    cuts = sorted(i for i in set(dense_layers) if start <= i < n_layers)
    for i in cuts:
        runs.append(("dense", i, 1, 1))
    for a, b in zip([start, *(i + 1 for i in cuts)], [*cuts, n_layers]):
        if a >= b:
            continue
        first_moe = a + (-(a + 1)) % k
        n_moe = 0 if first_moe >= b else (b - 1 - first_moe) // k + 1
        if n_moe:
            runs.append(("moe", first_moe, n_moe, k))
        if k == 1:
            continue
        if n_moe + 1 <= k - 1:  # few MoE layers: the dense stretches between them
            edges = [a, *(first_moe + j * k for j in range(n_moe)), b]
            gaps = [(edges[0], edges[1])] + [(m + 1, e) for m, e in zip(edges[1:-1], edges[2:])]
            runs += [("dense", lo, hi - lo, 1) for lo, hi in gaps if hi > lo]
        else:  # many: one run per position in the period of k layers
            for r in range(k - 1):
                lo = a + (r - a) % k
                if lo < b:
                    runs.append(("dense", lo, (b - 1 - lo) // k + 1, k))
        if len(runs) > MAX_RUNS:
            raise FieldError("moe_every", f"this layer pattern has more than {MAX_RUNS:,} runs of layers")
    return sorted(runs, key=lambda run: run[1])


def check_dense_layers(dense_layers: Sequence[int], n_layers: int) -> None:
    """Every layer named dense must exist."""
    missing = sorted(i for i in set(dense_layers) if i >= n_layers)
    if missing:
        raise FieldError("dense_layers", f"layer {missing[0]} does not exist (n_layers is {n_layers})")


def stack(runs: Sequence[Run], bodies: Mapping[str, list[Block]], name: str = "layers") -> list[Block]:
    """The layers as repeats: one per run of layers of the same kind."""
    return [
        Repeat(name=name, count=count, start=start, stride=stride, blocks=bodies[kind])
        for kind, start, count, stride in runs
    ]


#: The kinds of norm a decoder may use: RMSNorm (a scale) or LayerNorm (a scale and maybe a shift).
NormKind = Literal["rms_norm", "layer_norm"]


def norm(name: str, dim: int, kind: NormKind = "rms_norm", bias: bool = False) -> Block:
    """A norm of ``dim`` features: RMSNorm, or LayerNorm with (``bias``) or without a shift."""
    if kind == "layer_norm":
        return LayerNorm(name=name, dim=dim, bias=bias)
    return RMSNorm(name=name, dim=dim)


def self_attention(
    p: GQAParams, bias: bool = False, out_bias: bool | None = None, *, fused_qkv: bool = False,
    qk_norm: str | None = None, qk_norm_kind: NormKind = "rms_norm", qk_norm_bias: bool = False,
    names: Mapping[str, str] | None = None,
) -> Attention:  # fmt: skip
    """Grouped-query attention named as Hugging Face names it (``self_attn.q_proj`` …).

    ``fused_qkv`` stores the three projections as one (``self_attn.qkv_proj``, Phi-3);
    ``qk_norm``, ``qk_norm_kind`` and ``qk_norm_bias`` are :class:`~registry.blocks.Attention`'s;
    ``names`` overrides submodule names by role.
    """
    return Attention(
        name="self_attn", d_model=p.d_model, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=p.head_dim,
        bias=bias, out_bias=out_bias, fused_qkv=fused_qkv, qk_norm=qk_norm, qk_norm_kind=qk_norm_kind,
        qk_norm_bias=qk_norm_bias, names=dict(names or {}),
    )  # fmt: skip


def causal_lm(p: DecoderParams, layers: list[Block], final_norm: Block, head_bias: bool = False) -> Module:
    """``model.embed_tokens``, the layers and ``model.norm``, then ``lm_head`` (tied or not).

    Without an LM head (the bare ``...Model`` class) the ``model.`` prefix is dropped,
    as transformers names that class's parameters. ``head_bias`` gives the head a bias
    of ``vocab_size`` (never tied; PhiMoE's ``lm_head_bias``).
    """
    body: list[Block] = [
        Embedding(name="embed_tokens", num_embeddings=p.vocab_size, embedding_dim=p.d_model, role="token"),
        *layers,
        final_norm,
    ]
    if not p.lm_head:
        return Module(blocks=body)
    tied = "model.embed_tokens.weight" if p.tie_word_embeddings else None
    head = Linear(
        name="lm_head", in_features=p.d_model, out_features=p.vocab_size, bias=head_bias, component="head",
        tied_to=tied,
    )  # fmt: skip
    return Module(blocks=[Module(name="model", blocks=body), head])
