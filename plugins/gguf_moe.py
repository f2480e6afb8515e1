"""GGUF architectures of the mixture-of-experts decoders, as rows of data (read by ``registry.sources.gguf_rows``).

llama.cpp stores each layer's routed experts merged, one tensor of shape ``(experts, rows, cols)``
per projection (``blk.3.ffn_up_exps.weight``); the rows below read them as the checkpoint's
per-expert tensors (``mlp.experts.{e}.up_proj``), or, where the checkpoint holds them fused
otherwise (Granite-MoE's ``input_linear``, gpt-oss's ``gate_up_proj`` stored transposed with gate
and up interleaved), as the same elements under the checkpoint's name, compared by count.
DeepSeek-V2/V3's latent attention: llama.cpp's newer converter splits ``kv_b_proj`` per head into
``attn_k_b`` (transposed) and ``attn_v_b``; both read as ``kv_b_proj``, by count. The metadata
keys are those of gguf-py's ``Keys`` (``expert_count``, ``expert_feed_forward_length``, ...).
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MLP, PRE_NORMS, QK_NORM, TIED, TOP, head_dim

#: The routed experts' keys most converters write.
EXPERT_KEYS = {"expert_count": "num_experts", "expert_used_count": "num_experts_per_tok"}
#: Routed experts stored merged, read per expert; the router.
EXPERTS = {"ffn_gate_inp": "mlp.gate", "ffn_gate_exps": "mlp.experts.{e}.gate_proj",
           "ffn_up_exps": "mlp.experts.{e}.up_proj", "ffn_down_exps": "mlp.experts.{e}.down_proj"}  # fmt: skip
#: DeepSeek-style shared experts (``shared_experts``) and dense leading layers.
SHARED_EXPERTS = {"ffn_gate_shexp": "mlp.shared_experts.gate_proj", "ffn_up_shexp": "mlp.shared_experts.up_proj",
                  "ffn_down_shexp": "mlp.shared_experts.down_proj"}  # fmt: skip
#: The router's score-correction bias (DeepSeek-V3, GLM-4.5): a checkpoint tensor the family declares.
SCORE_BIAS = {"exp_probs_b.bias": "mlp.gate.e_score_correction_bias"}


#: A multi-token-prediction layer's own tensors (gguf-py's NEXTN_*), kept by llama.cpp under the layer's number as
#: the DeepSeek-V3 / GLM-4.5 checkpoints keep them (``model.layers.<n>.eh_proj``).
NEXTN = {"nextn.eh_proj": "eh_proj", "nextn.enorm": "enorm", "nextn.hnorm": "hnorm", "nextn.embed_tokens": "embed_tokens",
         "nextn.shared_head_head": "shared_head.head", "nextn.shared_head_norm": "shared_head.norm"}  # fmt: skip


def moe_row(name: str, model_type: str, cls: str, tensors: dict[str, str], keys: dict[str, str], *, presence=None,
            fixed=None, rule=head_dim, description: str = "") -> GgufArchitecture:  # fmt: skip
    """A row of a mixture-of-experts decoder: the shared keys and top tensors, a tied head when ``output.weight``
    is absent."""
    return GgufArchitecture(
        name, description=description,
        model_type=model_type, classes=(cls,), keys={**DECODER_KEYS, **keys}, tensors={**TOP, **tensors},
        presence={**TIED, **(presence or {})}, fixed=fixed or {}, rule=rule,
    )  # fmt: skip


def _glm4moe(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (GLM-4.5): ``block_count`` counts the multi-token-prediction layers llama.cpp keeps as the last blocks
    (Glm4MoeModel in llama.cpp 0c1e57098's conversion/glm.py: block_count + num_nextn_predict_layers, unless --no-mtp)."""
    head_dim(meta, config)
    config["num_hidden_layers"] -= config.get("num_nextn_predict_layers", 0)
    if config["num_hidden_layers"] < 1:
        raise meta.error(f"{meta.arch}.nextn_predict_layers", "leaves no layer before the prediction layers")


def _deepseek2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (DeepSeek-V2/V3): the latent attention's head widths from the MLA keys (older files: from
    ``key_length`` / ``value_length``), ``q_lora_rank`` null when absent; DeepSeek-V3 when the routers
    carry a score-correction bias (``exp_probs_b``). llama.cpp writes the attention as MQA: the key/value
    heads are the query heads."""
    a = meta.arch
    rope = meta.int(f"{a}.rope.dimension_count")
    mla = meta.has(f"{a}.attention.key_length_mla")
    key = meta.int(f"{a}.attention.key_length_mla" if mla else f"{a}.attention.key_length")
    if key <= rope:
        raise meta.error(f"{a}.attention.key_length{'_mla' if mla else ''}", f"{key} leaves no room for the "
                         f"{rope} rotary dimensions (rope.dimension_count)")  # fmt: skip
    config.update(qk_rope_head_dim=rope, qk_nope_head_dim=key - rope,
                  v_head_dim=meta.int(f"{a}.attention.value_length_mla" if mla else f"{a}.attention.value_length"),
                  num_key_value_heads=config["num_attention_heads"])  # fmt: skip
    config.setdefault("q_lora_rank", None)
    if any(name.endswith(".exp_probs_b.bias") for name in meta.tensors):
        config.update(model_type="deepseek_v3", architectures=["DeepseekV3ForCausalLM"])
    # GLM-4.7-Flash (Glm4MoeLiteModel, a DeepseekV2Model with skip_mtp false in llama.cpp 0c1e57098's conversion/glm.py)
    # keeps its MTP layers as the last blocks, counted in block_count; DeepSeek's own converter drops them (skip_mtp)
    mtp = meta.int(f"{a}.nextn_predict_layers", 0, minimum=0)
    if mtp:
        if config["num_hidden_layers"] <= mtp or config["model_type"] != "deepseek_v3":
            raise meta.error(f"{a}.nextn_predict_layers", f"{mtp} prediction layers in block_count "
                             f"{config['num_hidden_layers']}: only a deepseek_v3-style file (router score biases) with "
                             "layers before them is mapped")  # fmt: skip
        config.update(num_hidden_layers=config["num_hidden_layers"] - mtp, num_nextn_predict_layers=mtp)


def _granitemoe(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Granite-MoE): with shared experts (``ffn_up_shexp``, ``expert_shared_feed_forward_length``) the file is
    GraniteMoeShared's (GraniteMoeModel in llama.cpp 0c1e57098's conversion/granite.py converts both)."""
    head_dim(meta, config)
    width = meta.int(f"{meta.arch}.expert_shared_feed_forward_length", None)
    if (width is None) != ("blk.0.ffn_up_shexp.weight" not in meta.tensors):
        raise meta.error(f"{meta.arch}.expert_shared_feed_forward_length", "must be written exactly when the blocks "
                         "hold shared experts (ffn_up_shexp)")  # fmt: skip
    if width is not None:
        config.update(model_type="granitemoeshared", architectures=["GraniteMoeSharedForCausalLM"],
                      shared_intermediate_size=width)  # fmt: skip


_QWEN_MOE = {**EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size"}
_QWEN_FIXED = {"decoder_sparse_step": 1, "mlp_only_layers": []}
#: DeepSeek-style routed and shared experts, dense first layers (GLM-4.5, DeepSeek, dots.llm1).
GLM_KEYS = {"expert_count": "n_routed_experts", "expert_used_count": "num_experts_per_tok",
            "expert_shared_count": "n_shared_experts", "expert_feed_forward_length": "moe_intermediate_size",
            "leading_dense_block_count": "first_k_dense_replace"}  # fmt: skip

ROWS = (
    moe_row("qwen3moe", "qwen3_moe", "Qwen3MoeForCausalLM", {**ATTENTION, **PRE_NORMS, **QK_NORM, **EXPERTS}, _QWEN_MOE,
            presence={"attention_bias": "blk.0.attn_q.bias"}, fixed=_QWEN_FIXED),
    moe_row("qwen2moe", "qwen2_moe", "Qwen2MoeForCausalLM",
            {**ATTENTION, **PRE_NORMS, **EXPERTS, "ffn_gate_inp_shexp": "mlp.shared_expert_gate",
             "ffn_gate_shexp": "mlp.shared_expert.gate_proj", "ffn_up_shexp": "mlp.shared_expert.up_proj",
             "ffn_down_shexp": "mlp.shared_expert.down_proj"},
            {**_QWEN_MOE, "expert_shared_feed_forward_length?": "shared_expert_intermediate_size"},
            presence={"qkv_bias": "blk.0.attn_q.bias"}, fixed=_QWEN_FIXED),
    moe_row("olmoe", "olmoe", "OlmoeForCausalLM", {**ATTENTION, **PRE_NORMS, **QK_NORM, **EXPERTS}, EXPERT_KEYS,
            presence={"attention_bias": "blk.0.attn_q.bias"}),
    # Granite-MoE: the checkpoint stacks gate and up in input_linear (experts, 2 * ff, d); llama.cpp splits them
    # (GraniteMoeShared's shared_mlp.input_linear too, into ffn_gate_shexp and ffn_up_shexp)
    moe_row("granitemoe", "granitemoe", "GraniteMoeForCausalLM",
            {**ATTENTION, **PRE_NORMS, "ffn_gate_inp": "block_sparse_moe.router.layer",
             "ffn_gate_exps": "~block_sparse_moe.input_linear", "ffn_up_exps": "~block_sparse_moe.input_linear",
             "ffn_down_exps": "block_sparse_moe.output_linear", "ffn_gate_shexp": "~shared_mlp.input_linear",
             "ffn_up_shexp": "~shared_mlp.input_linear", "ffn_down_shexp": "shared_mlp.output_linear"},
            {**EXPERT_KEYS, "expert_count": "num_local_experts"}, presence={"attention_bias": "blk.0.attn_q.bias"},
            rule=_granitemoe, description="granitemoeshared with shared experts"),
    # gpt-oss: gate and up interleaved in one (experts, d, 2 * ff) tensor, down stored (experts, ff, d)
    moe_row("gpt-oss", "gpt_oss", "GptOssForCausalLM",
            {**ATTENTION, "attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm",
             "attn_sinks.weight": "self_attn.sinks", "ffn_gate_inp": "mlp.router",
             "ffn_gate_exps.weight": "~mlp.experts.gate_up_proj", "ffn_up_exps.weight": "~mlp.experts.gate_up_proj",
             "ffn_gate_exps.bias": "~mlp.experts.gate_up_proj_bias", "ffn_up_exps.bias": "~mlp.experts.gate_up_proj_bias",
             "ffn_down_exps.weight": "~mlp.experts.down_proj", "ffn_down_exps.bias": "mlp.experts.down_proj_bias"},
            {**EXPERT_KEYS, "expert_count": "num_local_experts", "expert_feed_forward_length": "intermediate_size"},
            ),
    # GLM-4.5: dense first layers, routed and shared experts; the MTP layers are the last blocks
    moe_row("glm4moe", "glm4_moe", "Glm4MoeForCausalLM",
            {**ATTENTION, **MLP, **QK_NORM, "attn_norm": "input_layernorm",
             "post_attention_norm": "post_attention_layernorm", **EXPERTS, **SHARED_EXPERTS, **SCORE_BIAS, **NEXTN},
            {**GLM_KEYS, "nextn_predict_layers?": "num_nextn_predict_layers"},
            presence={"attention_bias": "blk.0.attn_q.bias", "use_qk_norm": "blk.0.attn_q_norm.weight"}, rule=_glm4moe),
    # DeepSeek-V2/V3 (also Kimi K2): multi-head latent attention, dense first layers, routed and shared experts
    moe_row("deepseek2", "deepseek_v2", "DeepseekV2ForCausalLM",
            {"attn_q": "self_attn.q_proj", "attn_q_a": "self_attn.q_a_proj", "attn_q_a_norm": "self_attn.q_a_layernorm",
             "attn_q_b": "self_attn.q_b_proj", "attn_kv_a_mqa": "self_attn.kv_a_proj_with_mqa",
             "attn_kv_a_norm": "self_attn.kv_a_layernorm", "attn_kv_b": "self_attn.kv_b_proj",
             "attn_k_b": "~self_attn.kv_b_proj", "attn_v_b": "~self_attn.kv_b_proj", "attn_output": "self_attn.o_proj",
          **PRE_NORMS, **MLP, **EXPERTS, **SHARED_EXPERTS, **SCORE_BIAS, **NEXTN},
            {**GLM_KEYS, "attention.q_lora_rank?": "q_lora_rank", "attention.kv_lora_rank": "kv_lora_rank"},
            rule=_deepseek2, description="deepseek_v3 when the routers have score biases; also Kimi K2"),
)


@hookimpl
def register_gguf_architectures(register):
    """The mixture-of-experts decoders: qwen3moe, qwen2moe, olmoe, granitemoe, gpt-oss, glm4moe, deepseek2."""
    for row in ROWS:
        register(row)
