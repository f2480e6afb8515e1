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
* ``gated_mlp`` false: up and down projections only (Arcee, Apertus); ``act_params``: the
  learned scalars of an xIELU or PReLU activation (``mlp.<act_fn_name>.alpha_p`` …: Apertus);
  ``sub_norms``: BitNet's ``attn_sub_norm`` and ``ffn_sub_norm``; ``norm_params`` false: norms
  without weights (OLMo-1); layouts ``glm4`` (GLM-4's four norms a layer), ``pre_ffn``
  (VaultGemma) and ``apertus`` (``attention_layernorm``, ``feedforward_layernorm``);
  ``v_head_dim``: value heads narrower than query/key heads, and ``sliding_kv_heads``: more
  key/value heads on the sliding-window layers (MiMo-V2-Flash).

Gemma's scaled embeddings and Granite's multipliers have no parameters.

``llama-moe`` replaces the feed-forward of some layers by a router and ``n_experts``
gated experts of which ``top_k`` are used per token, optionally with a shared
expert beside them (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE, FlexOlmo, PhiMoE, Granite-MoE(-Shared), gpt-oss,
GLM-4.5, MiniMax-M2, Hunyuan-MoE, ERNIE-4.5-MoE, dots.llm1, MiMo-V2-Flash, AFMoE); the
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
``block_sparse_moe.router.layer``; with ``style = "gpt_oss"`` the router ``mlp.router`` has a
bias and the experts are stacked with biases and stored ``(in, out)``:
``mlp.experts.gate_up_proj`` of ``(n_experts, d_model, 2 * d_ff)``, ``gate_up_proj_bias``,
``down_proj`` and ``down_proj_bias`` (gpt-oss; ``attention_sinks`` adds its per-head
``self_attn.sinks``); with ``style = "deepseek"`` they are named as ``qwen2_moe`` but the
shared experts are one MLP at ``mlp.shared_experts`` (GLM-4.5, dots.llm1); with ``style = "llama4"`` every
feed-forward is ``feed_forward`` (Llama 4: the router ``feed_forward.router`` without a bias, the
experts stacked ``(in, out)`` without biases as gpt-oss's, ``feed_forward.shared_expert``); with ``style = "hunyuan"`` the
router is ``mlp.gate.wg`` and the shared expert ``mlp.shared_mlp`` (Hunyuan-MoE); with ``style = "ernie"``
they are named as ``deepseek``, the router also holds a learned score correction
``mlp.moe_statics.e_score_correction_bias`` of ``(1, n_experts)`` (a parameter in transformers, which holds it as
``mlp.gate.moe_statics.*``), and the
shared experts take ``mlp_bias`` (ERNIE-4.5-MoE); with ``style = "afmoe"`` the router is ``mlp.router.gate``
beside an ``mlp.expert_bias`` of ``n_experts`` that transformers holds as a parameter (AFMoE). ``granitemoe`` with a shared expert adds
``shared_mlp.input_linear`` (gate and up fused) and ``shared_mlp.output_linear`` beside the
experts (Granite-MoE-Shared). ``router_score_bias`` and
``mtp_layers`` change no count: they tell ``registry verify`` that the published checkpoints
also hold each router's ``e_score_correction_bias`` (a buffer in transformers) and
multi-token-prediction layers after the last one (GLM-4.5's ``model.layers.92.*``), which
transformers does not build. transformers 5 holds the experts of a layer in memory
as two fused 3-D parameters (``mlp.experts.gate_up_proj`` of shape ``(n_experts, 2 * d_ff,
d_model)`` and ``mlp.experts.down_proj``), names the Mixtral and PhiMoE blocks ``mlp``,
PhiMoE's router ``mlp.router`` and Granite-MoE's ``block_sparse_moe.router`` and
``block_sparse_moe.experts.*``: the same numbers, under other names; it converts the
checkpoint names when loading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointOnly, Family, hookimpl
from registry.plugins.checkpoint_names import ROTARY_NAMES
from registry.blocks import Block, FeedForward, FieldError, FusedExperts, Linear, MoE, Module, Parameter
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
    "glm4": ("input_layernorm", "post_attention_layernorm", "post_self_attn_layernorm", "post_mlp_layernorm"),
    "pre_ffn": ("input_layernorm", "pre_feedforward_layernorm"),
    "apertus": ("attention_layernorm", "feedforward_layernorm"),
    "afmoe": ("input_layernorm", "post_attention_layernorm", "pre_mlp_layernorm", "post_mlp_layernorm"),
}  # fmt: skip

#: The learned scalars of an activation with parameters (transformers' ``ACT2FN``), by ``act_params``.
ACTIVATION_PARAMS = {"xielu": ("alpha_p", "alpha_n"), "prelu": ("weight",)}


class LlamaParams(GQAParams, SlidingWindowParams):
    """Hyper-parameters of the llama family (dense)."""

    d_ff: PositiveInt = Field(description="gated feed-forward width (intermediate_size)")
    qkv_bias: bool = Field(False, description="biases on the query, key and value projections (Qwen2; attention_bias)")
    out_bias: bool = Field(False, description="bias on the attention output projection (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections (mlp_bias)")
    norm: NormKind = Field("rms_norm", description="kind of every norm: rms_norm, or layer_norm (Cohere, StableLM, PhiMoE)")
    norm_bias: bool = Field(False, description="a shift on layer_norm norms (StableLM, PhiMoE; not Cohere)")
    norm_layout: Literal["pre", "sandwich", "post", "parallel", "glm4", "pre_ffn", "apertus", "afmoe"] = Field(
        "pre", description="norms per layer: pre (Llama), sandwich (Gemma-2/3), post (OLMo-2), parallel (one shared), "
        "glm4 (pre and post of each sublayer), pre_ffn (VaultGemma), apertus (attention_/feedforward_layernorm), "
        "afmoe (input_/post_attention_/pre_mlp_/post_mlp_layernorm)",
    )  # fmt: skip
    norm_params: bool = Field(True, description="the norms learn a scale; false: none does (OLMo-1's LayerNorm)")
    qk_norm: Literal["head", "full", "per_head", "per_head_modules"] | None = Field(
        None, description="query/key norms: head (Qwen3, Gemma-3), full (OLMo-2), per_head (Cohere), "
        "per_head_modules (StableLM)",
    )  # fmt: skip
    qk_norm_bias: bool = Field(False, description="a shift on layer_norm query/key norms")
    qk_norm_names: Literal["q_norm", "q_layernorm", "query_layernorm"] = Field(
        "q_norm", description="names of the query/key norms: q_norm/k_norm, q_layernorm/k_layernorm (StableLM) or "
        "query_layernorm/key_layernorm (Hunyuan)",
    )  # fmt: skip
    gated_mlp: bool = Field(True, description="a gate projection beside up (false: up and down only: Arcee, Apertus)")
    act_params: Literal["none", "xielu", "prelu"] = Field(
        "none", description="learned scalars of the MLP's activation: xielu (Apertus: mlp.act_fn.alpha_p, alpha_n), "
        "prelu (mlp.act_fn.weight)",
    )  # fmt: skip
    act_fn_name: Literal["act_fn", "activation_fn"] = Field("act_fn", description="name of the activation module (GLM: activation_fn)")
    sub_norms: bool = Field(False, description="BitNet's RMS norms before o_proj and down_proj (attn/ffn_sub_norm)")
    fused_qkv: bool = Field(False, description="one projection for queries, keys and values (Phi-3's qkv_proj)")
    fused_gate_up: bool = Field(False, description="gate and up projections stored as one (Phi-3's gate_up_proj)")
    lm_head_bias: bool = Field(False, description="a bias on the LM head (PhiMoE's lm_head_bias)")
    v_head_dim: PositiveInt | None = Field(None, description="width of a value head if not head_dim (MiMo-V2-Flash: 128)")
    attention_gate: bool | Literal["g_proj", "g_proj_per_head"] = Field(
        False, description="a sigmoid gate of the attention output from its own projection: true, self_attn.gate_proj "
        "(AFMoE); g_proj, self_attn.g_proj; g_proj_per_head, one gate a head (Laguna)",
    )  # fmt: skip
    sliding_kv_heads: PositiveInt | None = Field(
        None, description="key/value heads of the sliding-window layers, if not n_kv_heads (MiMo-V2-Flash: twice as many)"
    )
    sliding_heads: PositiveInt | None = Field(None, description="query heads of the sliding-window layers, if not n_heads (Laguna)")

    @model_validator(mode="after")
    def _check(self) -> LlamaParams:
        self.check_attention()
        self.check_window(self.n_layers)
        if self.sliding_kv_heads is not None:
            if self.sliding_window is None:
                raise FieldError("sliding_kv_heads", "has no effect without sliding_window")
            if self.n_heads % self.sliding_kv_heads:
                raise FieldError("sliding_kv_heads", f"must divide n_heads ({self.n_heads})")
        if self.sliding_heads is not None and (self.sliding_window is None or self.sliding_heads % (self.n_kv_heads or 1)):
            raise FieldError("sliding_heads", "needs sliding_window, and n_kv_heads must divide it")
        if self.v_head_dim is not None and self.fused_qkv:
            raise FieldError("v_head_dim", "a value head width of its own is not supported with fused_qkv")
        if self.norm_bias and self.norm != "layer_norm":
            raise FieldError("norm_bias", "only a layer_norm has a shift (norm is rms_norm)")
        if self.qk_norm_bias and self.norm != "layer_norm":
            raise FieldError("qk_norm_bias", "only a layer_norm query/key norm has a shift (norm is rms_norm)")
        if self.fused_gate_up and not self.gated_mlp:
            raise FieldError("fused_gate_up", "a fused gate-up projection needs gated_mlp")
        if not self.norm_params and (self.norm_bias or self.qk_norm is not None):
            field = "norm_bias" if self.norm_bias else "qk_norm"
            raise FieldError(field, "has no effect when the norms learn nothing (norm_params is false)")
        return self


class LlamaMoEParams(LlamaParams):
    """Hyper-parameters of the llama-moe family: llama's, the experts and the layer pattern."""

    style: Literal["mixtral", "qwen2_moe", "granitemoe", "gpt_oss", "deepseek", "llama4", "hunyuan", "ernie", "afmoe",
                   "laguna"] = Field(
        "mixtral", description="checkpoint names: mixtral (block_sparse_moe, w1/w2/w3), qwen2_moe (mlp, *_proj), "
        "granitemoe (block_sparse_moe, stacked input_linear/output_linear; shared_mlp), gpt_oss (mlp.router with a "
        "bias, stacked (in, out) experts with biases), deepseek (mlp, *_proj, mlp.shared_experts), llama4 "
        "(feed_forward, its router, stacked (in, out) experts, shared_expert), hunyuan "
        "(mlp.gate.wg, mlp.shared_mlp), ernie (deepseek's, a learned router score correction, biased shared experts) or "
        "afmoe (deepseek's, the router at mlp.router.gate, an expert_bias parameter of n_experts) or laguna (deepseek's, "
        "the router's e_score_correction_bias a parameter)",
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
    attention_sinks: bool = Field(False, description="one learned attention-sink logit per query head (gpt-oss's sinks)")
    sliding_sinks: bool = Field(
        False, description="attention sinks on the sliding-window layers only (MiMo-V2-Flash; attention_sinks: on all)"
    )
    router_score_bias: bool = Field(
        False, description="checkpoints hold each router's e_score_correction_bias (a buffer in transformers: not counted)"
    )
    mtp_layers: NonNegativeInt = Field(
        0, le=1000, description="multi-token-prediction layers the checkpoints hold after the last layer (not built by "
        "transformers: not counted)",
    )  # fmt: skip
    mtp_modules: bool = Field(
        False, description="the checkpoints hold multi-token-prediction modules under mtp.* (MiMo-V2-Flash's three; not "
        "built by transformers: not counted)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _check_moe(self) -> LlamaMoEParams:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        if self.style == "gpt_oss" and self.n_shared_experts:
            raise FieldError("n_shared_experts", f"style {self.style} has no shared experts")
        if self.style in ("granitemoe", "hunyuan", "ernie", "afmoe", "laguna") and self.n_shared_experts > 1:
            raise FieldError("n_shared_experts", f"style {self.style} holds its shared experts as one MLP (at most 1)")
        check_dense_layers(self.dense_layers, self.n_layers)
        if self.sliding_sinks and (self.attention_sinks or self.sliding_window is None):
            why = "attention_sinks already puts sinks on every layer" if self.attention_sinks else "no layer slides"
            raise FieldError("sliding_sinks", f"has no effect: {why}")
        return self


def _attention(p: LlamaParams) -> Block:
    names = {}
    if p.qk_norm_names == "q_layernorm":
        suffix = ".norms" if p.qk_norm == "per_head_modules" else ""
        names = {"q_norm": f"q_layernorm{suffix}", "k_norm": f"k_layernorm{suffix}"}
    elif p.qk_norm_names == "query_layernorm":
        names = {"q_norm": "query_layernorm", "k_norm": "key_layernorm"}
    attention = self_attention(
        p, bias=p.qkv_bias, out_bias=p.out_bias, fused_qkv=p.fused_qkv, qk_norm=p.qk_norm, qk_norm_kind=p.norm,
        qk_norm_bias=p.qk_norm_bias, names=names,
    )  # fmt: skip
    if p.v_head_dim is not None:
        attention = attention.model_copy(update={"v_head_dim": p.v_head_dim})
    return attention.model_copy(update={"sub_norm": True}) if p.sub_norms else attention


def _layer(p: LlamaParams, mlp: list[Block], sliding: bool = False, sinks: bool = False) -> list[Block]:
    names = NORM_LAYOUTS[p.norm_layout] if p.norm_params else ()
    norms = [norm(name, p.d_model, p.norm, p.norm_bias) for name in names]
    attention = _attention(p)
    if sliding:  # no parameters: what the layer attends to and caches
        attention = attention.model_copy(update={"sliding_window": p.sliding_window})
        if p.sliding_kv_heads is not None:
            attention = attention.model_copy(update={"n_kv_heads": p.sliding_kv_heads})
        if p.sliding_heads is not None:
            attention = attention.model_copy(update={"n_heads": p.sliding_heads})
    if sinks:
        attention = attention.model_copy(update={"sinks": True})
    width = attention.n_heads * (1 if p.attention_gate == "g_proj_per_head" else attention.head_width)
    gate = [Linear(name="self_attn.gate_proj" if p.attention_gate is True else "self_attn.g_proj", in_features=p.d_model,
                   out_features=width, bias=False, component="attention")] if p.attention_gate else []  # fmt: skip
    return [attention, *gate, *mlp, *norms]


def dense_mlp(p: LlamaParams, name: str = "mlp") -> Block:
    """The dense feed-forward of a layer (``d_ff`` wide; gated or plain, biases, fusion, sub-norm and
    learned activation scalars as the switches say)."""
    mlp = FeedForward(name=name, d_model=p.d_model, d_ff=p.d_ff, gated=p.gated_mlp, bias=p.mlp_bias,
                      fused_gate_up=p.fused_gate_up, sub_norm=p.sub_norms)  # fmt: skip
    if p.act_params == "none":
        return mlp
    scalars = [Parameter(name=f"{name}.{p.act_fn_name}.{a}", shape=(1,), component="feed_forward")
               for a in ACTIVATION_PARAMS[p.act_params]]  # fmt: skip
    return Module(blocks=[mlp, *scalars])


def causal_model(p: LlamaParams, layers: list[Block]) -> Module:
    """The embedding, ``layers``, the final norm and the LM head, as the switches say."""
    final = norm("norm", p.d_model, p.norm, p.norm_bias) if p.norm_params else Module(blocks=[])
    return causal_lm(p, layers, final, head_bias=p.lm_head_bias)


def build(p: LlamaParams) -> Module:
    """The block tree of a dense Llama-style model."""
    runs = split_by_window([("dense", 0, p.n_layers, 1)], p)
    bodies = {"dense": _layer(p, [dense_mlp(p)]), "dense" + SLIDES: _layer(p, [dense_mlp(p)], sliding=True)}
    return causal_model(p, stack(runs, bodies))


#: The MoE block's submodule names by style (the others: qwen2_moe's shared_expert).
_MOE_NAMES: dict[str, dict[str, str]] = {"mixtral": {}, "deepseek": {}, "hunyuan": {"router": "gate.wg", "shared": "shared_mlp"}}


def moe_block(p: LlamaMoEParams) -> Block:
    """The mixture-of-experts feed-forward of a layer, named as ``style`` says."""
    expert_d_ff = p.expert_d_ff or p.d_ff
    shared_d_ff = p.shared_d_ff or expert_d_ff
    if p.style == "granitemoe":
        moe = Module(name="block_sparse_moe", blocks=[
            Linear(name="router.layer", in_features=p.d_model, out_features=p.n_experts, bias=False,
                   component="router"),
            FusedExperts(d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         names={"gate_up": "input_linear.weight", "down": "output_linear.weight"}),
        ])  # fmt: skip
        if not p.n_shared_experts:
            return moe
        shared = FeedForward(name="shared_mlp", d_model=p.d_model, d_ff=shared_d_ff, gated=True, bias=False,
                             fused_gate_up=True, component="shared_experts",
                             names={"gate_up": "input_linear", "down": "output_linear"})  # fmt: skip
        return Module(blocks=[moe, shared])
    if p.style == "ernie":  # transformers' Ernie4_5_MoeSparseMoeBlock
        blocks: list[Block] = [
            MoE(name="mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
                bias=False),
            Parameter(name="mlp.moe_statics.e_score_correction_bias", shape=(1, p.n_experts), component="router"),
        ]  # fmt: skip
        if p.n_shared_experts:
            blocks.append(FeedForward(name="mlp.shared_experts", d_model=p.d_model, d_ff=shared_d_ff, gated=True,
                                      bias=p.mlp_bias, component="shared_experts"))  # fmt: skip
        return Module(blocks=blocks)
    if p.style in ("afmoe", "laguna"):  # AfmoeSparseMoeBlock, LagunaTopKRouter: the bias is a parameter (not trained)
        afmoe = p.style == "afmoe"
        return Module(blocks=[
            MoE(name="mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k, gated=True,
                bias=False, n_shared_experts=p.n_shared_experts, shared_d_ff=shared_d_ff,
                names={"router": "router.gate"} if afmoe else {}),
            Parameter(name="mlp.expert_bias" if afmoe else "mlp.gate.e_score_correction_bias", shape=(p.n_experts,),
                      component="router"),
        ])  # fmt: skip
    if p.style == "gpt_oss":  # transformers' GptOssTopKRouter and GptOssExperts, named as the checkpoints name them
        return Module(name="mlp", blocks=[
            Linear(name="router", in_features=p.d_model, out_features=p.n_experts, bias=True, component="router"),
            FusedExperts(name="experts", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         bias=True, transposed=True),
        ])  # fmt: skip
    if p.style == "llama4":  # transformers' Llama4TextMoe, named as the checkpoints name it
        shared = [FeedForward(name="shared_expert", d_model=p.d_model, d_ff=p.shared_d_ff or expert_d_ff, gated=True,
                              bias=False, component="shared_experts")] if p.n_shared_experts else []  # fmt: skip
        return Module(name="feed_forward", blocks=[
            Linear(name="router", in_features=p.d_model, out_features=p.n_experts, bias=False, component="router"),
            FusedExperts(name="experts", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts, top_k=p.top_k,
                         transposed=True),
            *shared,
        ])  # fmt: skip
    mixtral = p.style == "mixtral"
    return MoE(
        name="block_sparse_moe" if mixtral else "mlp", d_model=p.d_model, d_ff=expert_d_ff, n_experts=p.n_experts,
        top_k=p.top_k, gated=True, bias=False, n_shared_experts=p.n_shared_experts,
        shared_d_ff=shared_d_ff, shared_gate=p.shared_gate,
        names=_MOE_NAMES.get(p.style, {"shared": "shared_expert"}),
        expert_names={"gate": "w1", "up": "w3", "down": "w2"} if mixtral else {},
    )  # fmt: skip


def build_moe(p: LlamaMoEParams) -> Module:
    """The block tree of a Llama-style model with mixture-of-experts layers."""
    runs = split_by_window(moe_runs(p.n_layers, p.moe_every, p.first_dense, p.dense_layers), p)
    sinks, mlp = p.attention_sinks, "feed_forward" if p.style == "llama4" else "mlp"
    bodies = {"moe": _layer(p, [moe_block(p)], sinks=sinks), "dense": _layer(p, [dense_mlp(p, mlp)], sinks=sinks)}
    bodies |= {kind + SLIDES: _layer(p, [moe_block(p)] if kind == "moe" else [dense_mlp(p, mlp)], sliding=True,
                                     sinks=sinks or p.sliding_sinks) for kind in ("moe", "dense")}  # fmt: skip
    return causal_model(p, stack(runs, bodies))


MTP_REASON = (
    "multi-token-prediction (MTP) layer of the published checkpoint; transformers builds no MTP layer, so it is not "
    "counted"
)
ROUTER_BIAS_REASON = "the router's e_score_correction_bias, a buffer in transformers, loaded but not a parameter"


def checkpoint_only(p: LlamaMoEParams) -> list[CheckpointOnly]:
    """What the published checkpoints hold beyond transformers' parameters (GLM-4.5's MTP layer and router
    score biases), for ``registry verify``."""
    prefix = "model." if p.lm_head else ""
    known = [CheckpointOnly(f"{prefix}layers.{p.n_layers + i}.*", MTP_REASON) for i in range(p.mtp_layers)]
    if p.mtp_modules:
        known.append(CheckpointOnly(f"{prefix}mtp.*", MTP_REASON))
    if p.router_score_bias:  # beside the router (GLM-4.5: mlp.gate) or in the MoE block (MiniMax-M2)
        where = "block_sparse_moe" if p.style == "mixtral" else "mlp.gate"
        known.append(CheckpointOnly(f"{prefix}layers.*.{where}.e_score_correction_bias", ROUTER_BIAS_REASON))
    return known


@hookimpl
def register_families(register):
    """Register the ``llama`` and ``llama-moe`` families."""
    register(
        Family(name="llama", params=LlamaParams, build=build,
               description="Llama-2/3, Mistral, Qwen2/3, Gemma-1/2/3, OLMo-1/2/3, Granite, Cohere-1/2, StableLM, Phi-3, "
                           "GLM-4, EXAONE-4, SmolLM3, BitNet, Apertus...: gated or plain MLP, grouped-query "
                           "attention, switches for norms, qk-norm, biases, fusion",
               checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
    register(
        Family(name="llama-moe", params=LlamaMoEParams, build=build_moe, checkpoint_only=checkpoint_only,
               description="Mixtral, Qwen2/3-MoE, OLMoE, FlexOlmo, PhiMoE, Granite-MoE(-Shared), gpt-oss, GLM-4.5, "
                           "MiniMax-M2, Hunyuan-MoE, ERNIE-4.5-MoE, dots.llm1, Llama 4, MiMo-V2-Flash, AFMoE, Laguna: "
                           "Llama-style decoder with top-k routed (and shared) experts", checkpoint_names=ROTARY_NAMES)
    )  # fmt: skip
