"""Gemma 4's language model: local and global attention of different widths, shared caches, optional experts.

Each layer is ``sliding`` (attention over the last ``sliding_window`` tokens, ``n_kv_heads`` key/value heads
of ``head_dim``) or ``full`` (global attention, heads of ``global_head_dim``; with ``k_eq_v`` the keys serve
as values, so there is no value projection, and ``n_global_kv_heads`` key heads). Queries and keys have
RMS norms of a head's width (the value norm has no weight). The last ``kv_shared_layers`` layers have no
key/value projections: they attend to the cache of the last earlier layer of their kind, and with
``double_wide`` their MLP is twice ``d_ff`` wide. Every layer has a GeGLU MLP (``mlp``) between four norms
(``input_layernorm``, ``post_attention_layernorm``, ``pre_feedforward_layernorm``,
``post_feedforward_layernorm``); with ``n_experts`` a mixture of experts runs beside it (``router.proj``,
``router.scale`` of ``d_model``, ``router.per_expert_scale`` of ``n_experts``, ``experts`` of
``expert_d_ff``, three more norms). With ``per_layer_dim`` (Gemma 4 E2B/E4B) a second embedding gives each
layer a vector of that width (``model.embed_tokens_per_layer`` of ``per_layer_vocab × n_layers·per_layer_dim``,
``model.per_layer_model_projection``, ``model.per_layer_projection_norm``), mixed in by each layer's
``per_layer_input_gate``, ``per_layer_projection`` and ``post_per_layer_input_norm``.

Names as transformers' ``Gemma4ForCausalLM`` (``models/gemma4/modeling_gemma4.py``) gives them; its
``layer_scalar`` of each layer is a buffer (declared for ``registry verify``, not counted).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, Linear, MoE, Module, Parameter, RMSNorm
from registry.plugins.decoder import DecoderParams, causal_lm, stack

LayerType = Literal["sliding", "full"]


class Gemma4Params(DecoderParams):
    """Hyper-parameters of the gemma4 family."""

    tie_word_embeddings: bool = Field(True, description="the LM head shares the token embedding (counted once)")
    n_kv_heads: PositiveInt = Field(description="key/value heads of the sliding layers (num_key_value_heads)")
    head_dim: PositiveInt = Field(description="head width of the sliding layers (head_dim)")
    global_head_dim: PositiveInt = Field(description="head width of the full layers (global_head_dim)")
    n_global_kv_heads: PositiveInt | None = Field(
        None, description="key heads of the full layers with k_eq_v (num_global_key_value_heads; default n_kv_heads)"
    )
    k_eq_v: bool = Field(False, description="the full layers' keys serve as values: no value projection (attention_k_eq_v)")
    attention_bias: bool = Field(False, description="biases on the query, key, value and output projections")
    d_ff: PositiveInt = Field(description="width of the MLP (intermediate_size)")
    double_wide: bool = Field(False, description="the kv-shared layers' MLP is twice as wide (use_double_wide_mlp)")
    layer_types: list[LayerType] = Field(description="per layer: sliding or full attention")
    sliding_window: PositiveInt = Field(512, description="tokens a sliding layer attends (no parameters)")
    kv_shared_layers: NonNegativeInt = Field(0, description="the last layers reuse earlier layers' caches (num_kv_shared_layers)")
    per_layer_dim: NonNegativeInt = Field(0, description="width of the per-layer inputs (hidden_size_per_layer_input; 0: none)")
    per_layer_vocab: NonNegativeInt = Field(
        262144, description="rows of the per-layer embedding (vocab_size_per_layer_input; 0 only without per-layer inputs)"
    )
    n_experts: PositiveInt | None = Field(None, description="routed experts beside the MLP (num_experts; none: no experts)")
    top_k: PositiveInt | None = Field(None, description="experts routed per token (top_k_experts)")
    expert_d_ff: PositiveInt | None = Field(None, description="width of an expert (moe_intermediate_size)")

    @model_validator(mode="after")
    def _check(self) -> Gemma4Params:
        if len(self.layer_types) != self.n_layers:
            raise FieldError("layer_types", f"lists {len(self.layer_types)} layers, n_layers is {self.n_layers}")
        if self.per_layer_dim and not self.per_layer_vocab:
            raise FieldError("per_layer_vocab", "must be at least 1 with per-layer inputs (per_layer_dim > 0)")
        if self.kv_shared_layers > self.n_layers:
            raise FieldError("kv_shared_layers", f"exceeds n_layers ({self.n_layers})")
        first = self.n_layers - self.kv_shared_layers
        if 0 < first and set(self.layer_types[:first]) != set(self.layer_types):
            raise FieldError("kv_shared_layers", "every kind of layer that reuses a cache needs an earlier layer of "
                                                 "its kind that keeps one")  # fmt: skip
        for field in ("n_kv_heads", "n_global_kv_heads"):  # transformers' repeat_kv: n_heads // kv heads groups
            kv = getattr(self, field) if field == "n_kv_heads" or self.k_eq_v else None  # else unused
            if kv is not None and self.n_heads % kv:
                raise FieldError(field, f"{field} ({kv}) must divide n_heads ({self.n_heads})")
        if self.n_experts is not None and (self.top_k is None or self.expert_d_ff is None):
            raise FieldError("top_k" if self.top_k is None else "expert_d_ff", "required with n_experts")
        if self.n_experts is not None and self.top_k is not None and self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        return self


def _attention(p: Gemma4Params, kind: LayerType, shared: bool) -> Attention:
    full = kind == "full"
    k_eq_v = full and p.k_eq_v
    kv_heads = p.n_global_kv_heads if k_eq_v and p.n_global_kv_heads else p.n_kv_heads
    return Attention(
        name="self_attn", d_model=p.d_model, n_heads=p.n_heads, n_kv_heads=kv_heads,
        head_dim=p.global_head_dim if full else p.head_dim, bias=p.attention_bias, qk_norm="head",
        kv_projections="none" if shared else "keys" if k_eq_v else "keys_values",
        sliding_window=None if full else p.sliding_window,
    )  # fmt: skip


def _layer(p: Gemma4Params, kind: LayerType, shared: bool) -> list[Block]:
    """The blocks of one layer of ``kind`` (``shared``: it reuses an earlier layer's cache)."""
    d = p.d_model
    norms = ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm")
    blocks: list[Block] = [
        _attention(p, kind, shared),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff * (2 if shared and p.double_wide else 1), gated=True, bias=False),
        *(RMSNorm(name=n, dim=d) for n in norms),
    ]  # fmt: skip
    if p.per_layer_dim:
        blocks += [Linear(name="per_layer_input_gate", in_features=d, out_features=p.per_layer_dim, bias=False),
                   Linear(name="per_layer_projection", in_features=p.per_layer_dim, out_features=d, bias=False),
                   RMSNorm(name="post_per_layer_input_norm", dim=d)]  # fmt: skip
    if p.n_experts and p.top_k and p.expert_d_ff:
        blocks += [
            MoE(name="", d_model=d, d_ff=p.expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True, bias=False,
                names={"router": "router.proj"}),
            Parameter(name="router.scale", shape=(d,), component="router"),
            Parameter(name="router.per_expert_scale", shape=(p.n_experts,), component="router"),
            *(RMSNorm(name=n, dim=d) for n in ("post_feedforward_layernorm_1", "post_feedforward_layernorm_2",
                                                "pre_feedforward_layernorm_2")),
        ]  # fmt: skip
    return blocks


def build(p: Gemma4Params) -> Module:
    """The block tree of a Gemma 4 language model."""
    first_shared = p.n_layers - p.kv_shared_layers
    kinds = [f"{kind}+shared" if i >= first_shared else kind for i, kind in enumerate(p.layer_types)]
    runs: list[tuple[str, int, int, int]] = []
    for i, kind in enumerate(kinds):
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1], runs[-1][2] + 1, 1)
        else:
            runs.append((kind, i, 1, 1))
    bodies = {kind: _layer(p, kind.split("+")[0], kind.endswith("+shared")) for kind in set(kinds)}  # type: ignore[arg-type]
    tree = causal_lm(p, stack(runs, bodies), RMSNorm(name="norm", dim=p.d_model))
    if not p.per_layer_dim:
        return tree
    width = p.n_layers * p.per_layer_dim
    per_layer: list[Block] = [
        Embedding(name="embed_tokens_per_layer", num_embeddings=p.per_layer_vocab, embedding_dim=width, role="token"),
        Linear(name="per_layer_model_projection", in_features=p.d_model, out_features=width, bias=False),
        RMSNorm(name="per_layer_projection_norm", dim=p.per_layer_dim),
    ]  # fmt: skip
    if p.lm_head:
        body, head = tree.blocks
        return Module(blocks=[Module(name="model", blocks=[*body.blocks, *per_layer]), head])  # type: ignore[union-attr]
    return Module(blocks=[*tree.blocks, *per_layer])


LAYER_SCALAR_REASON = "each layer's layer_scalar, a buffer in transformers (loaded, not a parameter)"


def checkpoint_only(p: Gemma4Params) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters, for ``registry verify``."""
    prefix = "model." if p.lm_head else ""
    return [CheckpointOnly(f"{prefix}layers.*.layer_scalar", LAYER_SCALAR_REASON)]


@hookimpl
def register_families(register):
    """Register the ``gemma4`` family."""
    register(Family(name="gemma4", params=Gemma4Params, build=build, checkpoint_only=checkpoint_only,
                    description="Gemma 4: sliding and global attention of different widths, shared caches, "
                                "per-layer inputs, experts beside the MLP"))  # fmt: skip
