"""Llama-style decoders: ``llama`` (dense) and ``llama-moe`` (mixture-of-experts MLPs).

Both are decoders with rotary positions (no parameters), gated feed-forwards (gate, up
and down projections) and grouped-query attention, with an LM head that is tied to the
token embedding or not. Independent switches cover the variations of the Llama line:

* ``norm`` (``rms_norm``, or ``layer_norm`` with ``norm_bias``): the kind of every norm;
  Gemma's RMSNorm (which learns ``weight - 1``) has the same single weight;
* ``norm_layout``: ``pre`` (``input_layernorm`` and ``post_attention_layernorm``, the
  norm before the MLP), ``sandwich`` (also ``pre_feedforward_layernorm`` and
  ``post_feedforward_layernorm``: Gemma-2/3, where ``post_attention_layernorm`` normalises
  the attention output), ``post`` (only ``post_attention_layernorm`` and
  ``post_feedforward_layernorm``, after each sublayer: OLMo-2), ``parallel`` (one
  ``input_layernorm`` feeding attention and MLP side by side: Cohere, StableLM's
  parallel residual);
* ``qk_norm``: norms on queries and keys, per head (``head``: Qwen3, Gemma-3), over the
  full width (``full``: OLMo-2, OLMoE), one ``(heads, head_dim)`` weight (``per_head``:
  Cohere) or one module per head (``per_head_modules``: StableLM's
  ``q_layernorm.norms.<i>``, named by ``qk_norm_names``), with ``qk_norm_bias``;
* biases (``qkv_bias``, ``out_bias``, ``mlp_bias``, ``lm_head_bias``), ``fused_qkv``
  (``self_attn.qkv_proj``) and ``fused_gate_up`` (``mlp.gate_up_proj``): Phi-3.

Gemma's scaled embeddings and Granite's multipliers have no parameters.

``llama-moe`` replaces the feed-forward of some layers by a router and ``n_experts``
gated experts of which ``top_k`` are used per token, optionally with a shared
expert beside them (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE, PhiMoE, Granite-MoE); the
layer pattern follows :func:`~registry.plugins.decoder.moe_runs` (MoE every k-th layer,
dense first layers, an explicit list of dense layers).

Tensor names follow the published checkpoint files: ``model.layers.<i>.self_attn.q_proj``,
``model.layers.<i>.mlp.gate_proj``; with ``style = "mixtral"`` the experts are
``model.layers.<i>.block_sparse_moe.experts.<e>.w1`` (gate), ``w3`` (up) and ``w2``
(down) with the router at ``block_sparse_moe.gate`` (Mixtral, PhiMoE); with ``style =
"qwen2_moe"`` they are ``model.layers.<i>.mlp.experts.<e>.gate_proj`` …, the shared expert
``mlp.shared_expert`` and its sigmoid gate ``mlp.shared_expert_gate`` (Qwen2/3-MoE,
OLMoE); with ``style = "granitemoe"`` the experts of a layer are two stacked 3-D tensors,
``block_sparse_moe.input_linear.weight`` of shape ``(n_experts, 2 * d_ff, d_model)`` and
``block_sparse_moe.output_linear.weight``, with the router at
``block_sparse_moe.router.layer``. transformers 5 holds the experts of a layer in memory
as two fused 3-D parameters (``mlp.experts.gate_up_proj`` of shape ``(n_experts, 2 * d_ff,
d_model)`` and ``mlp.experts.down_proj``), names the Mixtral and PhiMoE blocks ``mlp``,
PhiMoE's router ``mlp.router`` and Granite-MoE's ``block_sparse_moe.router`` and
``block_sparse_moe.experts.*``: the same numbers, under other names; it converts the
checkpoint names when loading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.plugins.checkpoint_names import ROTARY_NAMES
from registry.blocks import Block, FeedForward, FieldError, FusedExperts, Linear, MoE, Module
from registry.plugins.decoder import (
    GQAParams, NormKind, causal_lm, check_dense_layers, moe_runs, norm, self_attention, stack,
)  # fmt: skip
from registry.plugins.attention_windows import SLIDING as SLIDES, SlidingWindowParams, split_by_window

#: The norms of one layer, by ``norm_layout``.
NORM_LAYOUTS: dict[str, tuple[str, ...]] = {
    "pre": ("input_layernorm", "post_attention_layernorm"),
    "sandwich": ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                 "post_feedforward_layernorm"),
    "post": ("post_attention_layernorm", "post_feedforward_layernorm"),
    "parallel": ("input_layernorm",),
}  # fmt: skip


class LlamaParams(GQAParams, SlidingWindowParams):
    """Hyper-parameters of the llama family (dense)."""

    d_ff: PositiveInt = Field(description="gated feed-forward width (intermediate_size)")
    qkv_bias: bool = Field(False, description="biases on the query, key and value projections (Qwen2; attention_bias)")
    out_bias: bool = Field(False, description="bias on the attention output projection (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections (mlp_bias)")
    norm: NormKind = Field("rms_norm", description="kind of every norm: rms_norm, or layer_norm (Cohere, StableLM, PhiMoE)")
    norm_bias: bool = Field(False, description="a shift on layer_norm norms (StableLM, PhiMoE; not Cohere)")
    norm_layout: Literal["pre", "sandwich", "post", "parallel"] = Field(
        "pre", description="norms per layer: pre (Llama), sandwich (Gemma-2/3), post (OLMo-2), parallel (one shared)"
    )
    qk_norm: Literal["head", "full", "per_head", "per_head_modules"] | None = Field(
        None, description="query/key norms: head (Qwen3, Gemma-3), full (OLMo-2), per_head (Cohere), "
        "per_head_modules (StableLM)",
    )  # fmt: skip
    qk_norm_bias: bool = Field(False, description="a shift on layer_norm query/key norms")
    qk_norm_names: Literal["q_norm", "q_layernorm"] = Field(
        "q_norm", description="names of the query/key norms: q_norm/k_norm, or q_layernorm/k_layernorm (StableLM)"
    )
    fused_qkv: bool = Field(False, description="one projection for queries, keys and values (Phi-3's qkv_proj)")
    fused_gate_up: bool = Field(False, description="gate and up projections stored as one (Phi-3's gate_up_proj)")
    lm_head_bias: bool = Field(False, description="a bias on the LM head (PhiMoE's lm_head_bias)")

    @model_validator(mode="after")
    def _check(self) -> LlamaParams:
        self.check_attention()
        self.check_window(self.n_layers)
        if self.norm_bias and self.norm != "layer_norm":
            raise FieldError("norm_bias", "only a layer_norm has a shift (norm is rms_norm)")
        if self.qk_norm_bias and self.norm != "layer_norm":
            raise FieldError("qk_norm_bias", "only a layer_norm query/key norm has a shift (norm is rms_norm)")
        return self


class LlamaMoEParams(LlamaParams):
    """Hyper-parameters of the llama-moe family: llama's, the experts and the layer pattern."""

    style: Literal["mixtral", "qwen2_moe", "granitemoe"] = Field(
        "mixtral", description="checkpoint names: mixtral (block_sparse_moe, w1/w2/w3), qwen2_moe (mlp, *_proj) "
        "or granitemoe (block_sparse_moe, stacked input_linear/output_linear)",
    )  # fmt: skip
    n_experts: PositiveInt = Field(description="routed experts per MoE layer (num_local_experts, num_experts)")
    top_k: PositiveInt = Field(description="experts routed per token (num_experts_per_tok)")
    expert_d_ff: PositiveInt | None = Field(None, description="expert width (moe_intermediate_size; default d_ff)")
    n_shared_experts: NonNegativeInt = Field(0, description="always-on experts per MoE layer")
    shared_d_ff: PositiveInt | None = Field(None, description="width of a shared expert (default expert_d_ff)")
    shared_gate: bool = Field(False, description="a sigmoid gate d_model -> 1 on the shared expert (Qwen2-MoE)")
    moe_every: PositiveInt = Field(1, description="MoE only where (i + 1) % moe_every == 0 (decoder_sparse_step)")
    first_dense: NonNegativeInt = Field(0, description="the first layers stay dense (first_k_dense_replace)")
    dense_layers: list[NonNegativeInt] = Field(
        default_factory=list, description="layers that stay dense whatever the rule (mlp_only_layers)"
    )

    @model_validator(mode="after")
    def _check_moe(self) -> LlamaMoEParams:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        if self.style == "granitemoe" and self.n_shared_experts:
            raise FieldError("n_shared_experts", "style granitemoe has no shared experts")
        check_dense_layers(self.dense_layers, self.n_layers)
        return self


def _attention(p: LlamaParams) -> Block:
    names = {}
    if p.qk_norm_names == "q_layernorm":
        suffix = ".norms" if p.qk_norm == "per_head_modules" else ""
        names = {"q_norm": f"q_layernorm{suffix}", "k_norm": f"k_layernorm{suffix}"}
    return self_attention(
        p, bias=p.qkv_bias, out_bias=p.out_bias, fused_qkv=p.fused_qkv, qk_norm=p.qk_norm, qk_norm_kind=p.norm,
        qk_norm_bias=p.qk_norm_bias, names=names,
    )  # fmt: skip


def _layer(p: LlamaParams, mlp: list[Block], sliding: bool = False) -> list[Block]:
    norms = [norm(name, p.d_model, p.norm, p.norm_bias) for name in NORM_LAYOUTS[p.norm_layout]]
    attention = _attention(p)
    if sliding:  # no parameters: what the layer attends to and caches
        attention = attention.model_copy(update={"sliding_window": p.sliding_window})
    return [attention, *mlp, *norms]


def _dense_mlp(p: LlamaParams, name: str = "mlp") -> FeedForward:
    return FeedForward(name=name, d_model=p.d_model, d_ff=p.d_ff, gated=True, bias=p.mlp_bias,
                       fused_gate_up=p.fused_gate_up)  # fmt: skip


def _lm(p: LlamaParams, layers: list[Block]) -> Module:
    return causal_lm(p, layers, norm("norm", p.d_model, p.norm, p.norm_bias), head_bias=p.lm_head_bias)


def build(p: LlamaParams) -> Module:
    """The block tree of a dense Llama-style model."""
    runs = split_by_window([("dense", 0, p.n_layers, 1)], p)
    bodies = {"dense": _layer(p, [_dense_mlp(p)]), "dense" + SLIDES: _layer(p, [_dense_mlp(p)], sliding=True)}
    return _lm(p, stack(runs, bodies))


def _moe(p: LlamaMoEParams) -> Block:
    expert_d_ff = p.expert_d_ff or p.d_ff
    if p.style == "granitemoe":
        return Module(name="block_sparse_moe", blocks=[
            Linear(name="router.layer", in_features=p.d_model, out_features=p.n_experts, bias=False,
                   component="router"),
            FusedExperts(d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         names={"gate_up": "input_linear.weight", "down": "output_linear.weight"}),
        ])  # fmt: skip
    mixtral = p.style == "mixtral"
    return MoE(
        name="block_sparse_moe" if mixtral else "mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts,
        top_k=p.top_k, gated=True, bias=False, n_shared_experts=p.n_shared_experts,
        shared_d_ff=p.shared_d_ff or expert_d_ff, shared_gate=p.shared_gate,
        names={} if mixtral else {"shared": "shared_expert"},
        expert_names={"gate": "w1", "up": "w3", "down": "w2"} if mixtral else {},
    )  # fmt: skip


def build_moe(p: LlamaMoEParams) -> Module:
    """The block tree of a Llama-style model with mixture-of-experts layers."""
    runs = split_by_window(moe_runs(p.n_layers, p.moe_every, p.first_dense, p.dense_layers), p)
    bodies = {"moe": _layer(p, [_moe(p)]), "dense": _layer(p, [_dense_mlp(p)])}
    bodies |= {kind + SLIDES: _layer(p, [_moe(p)] if kind == "moe" else [_dense_mlp(p)], sliding=True)
               for kind in ("moe", "dense")}  # fmt: skip
    return _lm(p, stack(runs, bodies))


@hookimpl
def register_families(register):
    """Register the ``llama`` and ``llama-moe`` families."""
    register(
        Family(name="llama", params=LlamaParams, build=build,
               description="Llama-2/3, Mistral, Qwen2/3, Gemma-1/2/3, OLMo-2, Granite, Cohere, StableLM, Phi-3: "
                           "gated MLP, grouped-query attention, switches for norms, qk-norm, biases, fusion",
               checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
    register(
        Family(name="llama-moe", params=LlamaMoEParams, build=build_moe,
               description="Mixtral, Qwen2/3-MoE, OLMoE, PhiMoE, Granite-MoE: Llama-style decoder with top-k routed "
                           "(and shared) experts", checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
