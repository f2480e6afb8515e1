"""The hyper-parameters of the ``llama`` and ``llama-moe`` families (:mod:`registry.plugins.llama` builds them;
its docstring says what each switch changes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry.blocks import FieldError
from registry.plugins.attention_windows import SlidingWindowParams
from registry.plugins.decoder import GQAParams, NormKind, check_dense_layers

__all__ = ["LlamaMoEParams", "LlamaParams"]


class LlamaParams(GQAParams, SlidingWindowParams):
    """Hyper-parameters of the llama family (dense)."""

    d_ff: PositiveInt = Field(description="gated feed-forward width (intermediate_size)")
    qkv_bias: bool = Field(False, description="biases on the query, key and value projections (Qwen2; attention_bias)")
    out_bias: bool = Field(False, description="bias on the attention output projection (attention_bias)")
    mlp_bias: bool = Field(False, description="biases on the feed-forward projections (mlp_bias)")
    norm: NormKind = Field("rms_norm", description="kind of every norm: rms_norm, or layer_norm (Cohere, StableLM, PhiMoE)")
    norm_bias: bool = Field(False, description="a shift on layer_norm norms (StableLM, PhiMoE; not Cohere)")
    norm_layout: Literal["pre", "sandwich", "post", "parallel", "glm4", "pre_ffn", "apertus", "afmoe", "peri"] = Field(
        "pre", description="norms per layer: pre (Llama), sandwich (Gemma-2/3), post (OLMo-2), parallel (one shared), "
        "glm4 (pre and post of each sublayer), pre_ffn (VaultGemma), apertus (attention_/feedforward_layernorm), "
        "afmoe (input_/post_attention_/pre_mlp_/post_mlp_layernorm), peri (pre, and post_norm1/post_norm2 after "
        "each sublayer: HyperCLOVA X)",
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
    mtp_layers: NonNegativeInt = Field(
        0, le=1000, description="multi-token-prediction layers the checkpoints hold (not built by transformers: not "
        "counted; count --include-mtp adds those whose layout is known)",
    )  # fmt: skip
    v_head_dim: PositiveInt | None = Field(None, description="width of a value head if not head_dim (MiMo-V2-Flash: 128)")
    attention_sinks: bool = Field(
        False, description="one learned attention-sink logit per query head in every layer (gpt-oss's, GraniteSWA's sinks)"
    )
    attention_gate: bool | Literal["g_proj", "g_proj_per_head"] = Field(
        False, description="a sigmoid gate of the attention output from its own projection: true, self_attn.gate_proj "
        "(AFMoE); g_proj, self_attn.g_proj; g_proj_per_head, one gate a head (Laguna)",
    )  # fmt: skip
    sliding_kv_heads: PositiveInt | None = Field(
        None, description="key/value heads of the sliding-window layers, if not n_kv_heads (MiMo-V2-Flash: twice as many)"
    )
    sliding_heads: PositiveInt | None = Field(None, description="query heads of the sliding-window layers, if not n_heads (Laguna)")
    diff_lambdas: bool = Field(
        False, description="DiffLlama's differential attention: four learned vectors of head_dim per layer "
        "(self_attn.lambda_q1, lambda_k1, lambda_q2, lambda_k2; its group norm learns nothing)",
    )  # fmt: skip

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
                   "laguna", "aria"] = Field(
        "mixtral", description="checkpoint names: mixtral (block_sparse_moe, w1/w2/w3), qwen2_moe (mlp, *_proj), "
        "granitemoe (block_sparse_moe, stacked input_linear/output_linear; shared_mlp), gpt_oss (mlp.router with a "
        "bias, stacked (in, out) experts with biases), deepseek (mlp, *_proj, mlp.shared_experts), llama4 "
        "(feed_forward, its router, stacked (in, out) experts, shared_expert), hunyuan "
        "(mlp.gate.wg, mlp.shared_mlp), ernie (deepseek's, a learned router score correction, biased shared experts) or "
        "afmoe (deepseek's, the router at mlp.router.gate, an expert_bias parameter of n_experts) or laguna (deepseek's, "
        "the router's e_score_correction_bias a parameter) or aria (llama4's under mlp, its shared experts one MLP "
        "mlp.shared_experts of n_shared_experts × shared_d_ff)",
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
    sliding_sinks: bool = Field(
        False, description="attention sinks on the sliding-window layers only (MiMo-V2-Flash; attention_sinks: on all)"
    )
    router_score_bias: bool = Field(
        False, description="checkpoints hold each router's e_score_correction_bias (a buffer in transformers: not counted)"
    )
    router_score_bias_in_block: bool = Field(
        False, description="the e_score_correction_bias sits in the MoE block (Hy3's mlp.e_score_correction_bias), "
        "not beside the router (GLM-4.5's mlp.gate.e_score_correction_bias)",
    )  # fmt: skip
    layer_top_k: list[PositiveInt] | None = Field(
        None, description="experts routed per token in each layer, one a layer (Hunyuan-MoE's per-layer moe_topk; "
        "default: top_k in every layer)",
    )  # fmt: skip
    mtp_modules: bool = Field(
        False, description="the checkpoints hold multi-token-prediction modules under mtp.* (MiMo-V2-Flash's three; not "
        "built by transformers: not counted)",
    )  # fmt: skip
    mtp_stored: Literal["layers", "root"] = Field(
        "layers", description="where the checkpoints store the mtp_layers: layers, as layers after the last (GLM-4.5's "
        "model.layers.92.*); root, as a module mtp.* at the root (pre_fc_norm_embedding, pre_fc_norm_hidden, fc, "
        "layers.<i>, norm: Mellum)",
    )  # fmt: skip
    mtp_dense: bool = Field(
        False, description="the MTP layers' MLP is dense (Mellum's mtp_mlp_layer_types; default: routed experts)"
    )

    @model_validator(mode="after")
    def _check_moe(self) -> LlamaMoEParams:
        if self.top_k > self.n_experts:
            raise FieldError("top_k", f"top_k ({self.top_k}) exceeds n_experts ({self.n_experts})")
        if self.style == "gpt_oss" and self.n_shared_experts:
            raise FieldError("n_shared_experts", f"style {self.style} has no shared experts")
        if self.style in ("granitemoe", "hunyuan", "ernie", "afmoe", "laguna") and self.n_shared_experts > 1:
            raise FieldError("n_shared_experts", f"style {self.style} holds its shared experts as one MLP (at most 1)")
        check_dense_layers(self.dense_layers, self.n_layers)
        if self.router_score_bias_in_block and not self.router_score_bias:
            raise FieldError("router_score_bias_in_block", "has no effect without router_score_bias")
        if self.sliding_sinks and (self.attention_sinks or self.sliding_window is None):
            why = "attention_sinks already puts sinks on every layer" if self.attention_sinks else "no layer slides"
            raise FieldError("sliding_sinks", f"has no effect: {why}")
        if self.layer_top_k is not None:
            if len(self.layer_top_k) != self.n_layers:
                raise FieldError("layer_top_k", f"lists {len(self.layer_top_k)} values for {self.n_layers} layers")
            if max(self.layer_top_k, default=0) > self.n_experts:
                raise FieldError("layer_top_k", f"a top_k ({max(self.layer_top_k)}) exceeds n_experts ({self.n_experts})")
        return self
