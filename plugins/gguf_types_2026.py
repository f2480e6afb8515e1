"""GGUF architectures of model types mapped in 2025-26, as rows of data (read by ``registry.sources.gguf_rows``).

Dense: ernie4_5, seed_oss, arcee, glm4, apertus; mixture of experts: ernie4_5-moe, hunyuan-moe, dots1, lfm2moe, minimax-m2;
gated DeltaNet hybrids: qwen35, qwen35moe (Qwen3.5's language model). Where the
keys and names come from: the metadata keys are gguf-py 0.19's ``Keys.LLM`` and ``Keys.Attention``
(``{arch}.block_count``, ``embedding_length``, ``feed_forward_length``, ``attention.head_count``,
``attention.head_count_kv``, ``attention.key_length``, ``expert_count``, ``expert_used_count``,
``expert_shared_count``, ``expert_feed_forward_length``, ``leading_dense_block_count``); the tensor
names are those gguf-py's ``TensorNameMap`` gives each architecture's Hugging Face names
(``MODEL_TENSORS`` of the architecture: e.g. seed_oss's ``post_attention_layernorm`` is
``post_attention_norm``, glm4's fused ``gate_up_proj`` is ``ffn_up``, minimax-m2's
``block_sparse_moe.experts.*.w1`` is ``ffn_gate_exps``). A llama.cpp file stores each layer's routed experts
merged (``(experts, rows, cols)``): read per expert, as the checkpoints hold them. The routers'
``e_score_correction_bias`` (dots1, minimax-m2) and LFM2-MoE's ``expert_bias`` (``exp_probs_b``) are checkpoint
tensors the families declare (buffers in transformers). Apertus's learned xIELU scalars (``mlp.act_fn.alpha_p``,
``alpha_n``, one each per layer) are no tensors in a llama.cpp file: ``ApertusModel`` (conversion/llama.py at
0c1e57098) writes them as the arrays ``apertus.xielu.alpha_p`` / ``alpha_n`` (its ``beta`` and ``eps`` are buffers,
written the same way and no parameters); the row reads them as the checkpoint's tensors (``metadata_scalars``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, DECODER_KEYS, MLP, PRE_NORMS, QK_NORM, decoder, head_dim
from registry.plugins.gguf_hybrid import LFM2_TENSORS, QWEN_MTP, lfm2_layers
from registry.plugins.gguf_moe import EXPERT_KEYS, EXPERTS, GLM_KEYS, SCORE_BIAS, SHARED_EXPERTS, moe_row

#: Every bias of an ERNIE 4.5 layer follows one switch (use_bias).
_ERNIE_BIAS = {"use_bias": "blk.0.attn_q.bias"}
#: Seed-OSS: query/key/value biases, the output projection's and the MLP's apart.
_SEED_BIAS = {"attention_bias": "blk.0.attn_q.bias", "attention_out_bias": "blk.0.attn_output.bias",
              "mlp_bias": "blk.0.ffn_up.bias"}  # fmt: skip
#: MiniMax-M2's experts under block_sparse_moe, as its checkpoints name them (w1 gate, w3 up, w2 down).
_MINIMAX = {"ffn_gate_inp": "block_sparse_moe.gate", "ffn_gate_exps": "block_sparse_moe.experts.{e}.w1",
            "ffn_up_exps": "block_sparse_moe.experts.{e}.w3", "ffn_down_exps": "block_sparse_moe.experts.{e}.w2",
            "exp_probs_b.bias": "block_sparse_moe.e_score_correction_bias"}  # fmt: skip


def _minimax_m2(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MiniMax-M2): every layer's MLP is the routed experts, ``intermediate_size`` wide
    (``expert_feed_forward_length``); a ``feed_forward_length`` written beside it must agree."""
    head_dim(meta, config)
    width = meta.int(f"{meta.arch}.feed_forward_length", None, minimum=0)
    if width is not None and width != config["intermediate_size"]:
        raise meta.error(f"{meta.arch}.feed_forward_length", f"{width} disagrees with expert_feed_forward_length "
                         f"({config['intermediate_size']}): MiniMax-M2 has one MLP width, its experts'")  # fmt: skip


def _ernie_moe(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (ERNIE-4.5-MoE): which layers are MoE from the blocks that hold a router (``ffn_gate_inp``): the first,
    the last and the step of transformers' ``moe_layer_start_index`` / ``moe_layer_end_index`` /
    ``moe_layer_interval`` (a layer i is MoE when ``(i + 1) % interval == 0``); the shared experts from the rows of
    ``ffn_up_shexp`` (``moe_num_shared_experts`` experts of ``moe_intermediate_size``)."""
    head_dim(meta, config)
    n = config["num_hidden_layers"]
    moe = sorted(i for i in range(n) if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors)
    if not moe:
        config.update(moe_layer_start_index=n, moe_layer_end_index=-1, moe_layer_interval=1)
    else:
        first, last = moe[0], moe[-1]
        step = next((k for k in range(1, n + 1) if [i for i in range(first, last + 1) if (i + 1) % k == 0] == moe), None)
        if step is None:
            raise meta.error(f"blk.{first}.ffn_gate_inp.weight", f"the MoE layers {moe} are not every k-th layer "
                             "between a first and a last, as ERNIE-4.5-MoE places them")  # fmt: skip
        config.update(moe_layer_start_index=first, moe_layer_end_index=last, moe_layer_interval=step)
    shared = meta.rows(f"blk.{moe[0]}.ffn_up_shexp.weight") if moe else None
    width = config["moe_intermediate_size"]
    if shared is not None and (not width or shared % width):
        raise meta.error(f"blk.{moe[0]}.ffn_up_shexp.weight", f"{shared} rows are not shared experts of "
                         f"expert_feed_forward_length {width}")  # fmt: skip
    config["moe_num_shared_experts"] = shared // width if shared else 0


def _lfm2_moe(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (LFM2-MoE): LFM2's layers (attention where ``head_count_kv`` is nonzero); the dense layers before the
    first block with a router (``num_dense_layers``); the expert-selection bias when the file holds it."""
    lfm2_layers(meta, config)
    n = config["num_hidden_layers"]
    config["num_dense_layers"] = next((i for i in range(n) if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors), n)
    config["use_expert_bias"] = any(name.endswith(".exp_probs_b.bias") for name in meta.tensors)


def _qwen35(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Qwen3.5, text): the layer pattern from the blocks (those with ``attn_q`` are full attention, the others
    gated DeltaNet); the DeltaNet's value head width is ``ssm.inner_size`` over its value heads
    (``ssm.time_step_rank``); the attention biases from the tensors."""
    a, n, heads = meta.arch, config["num_hidden_layers"], config["linear_num_value_heads"]
    inner = meta.int(f"{a}.ssm.inner_size")
    if not heads or inner % heads:
        raise meta.error(f"{a}.ssm.inner_size", f"{inner} is not a multiple of the {heads} value heads "
                         "(ssm.time_step_rank)")  # fmt: skip
    full = [f"blk.{i}.attn_q.weight" in meta.tensors for i in range(n)]  # n: the layers, the MTP blocks cut
    config["mtp_num_hidden_layers"] = meta.int(f"{a}.nextn_predict_layers", 0, minimum=0)
    config.update(linear_value_head_dim=inner // heads, layer_types=["full_attention" if f else "linear_attention"
                  for f in full], attention_bias=any(name.endswith(".attn_q.bias") for name in meta.tensors))  # fmt: skip
    head_dim(meta, config)


#: Qwen3.5's gated DeltaNet keys (gguf-py Keys.SSM), as Qwen3-Next's converter writes them.
_QWEN35_KEYS = {**DECODER_KEYS, "ssm.conv_kernel": "linear_conv_kernel_dim", "ssm.state_size": "linear_key_head_dim",
                "ssm.group_count": "linear_num_key_heads", "ssm.time_step_rank": "linear_num_value_heads"}  # fmt: skip
#: Qwen3.5's tensors: the DeltaNet's separate projections (in_proj_qkv, in_proj_z, in_proj_b, in_proj_a), the
#: convolution squeezed by llama.cpp (compared by count), gated attention with per-head query/key norms.
_QWEN35_TENSORS = {
    "token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
    "attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm",
    "attn_qkv": "linear_attn.in_proj_qkv", "attn_gate": "linear_attn.in_proj_z", "ssm_beta": "linear_attn.in_proj_b",
    "ssm_alpha": "linear_attn.in_proj_a", "ssm_conv1d.weight": "~linear_attn.conv1d.weight",
    "ssm_dt.bias": "linear_attn.dt_bias", "ssm_a": "linear_attn.A_log", "ssm_norm": "linear_attn.norm",
    "ssm_out": "linear_attn.out_proj", **ATTENTION, **QK_NORM,
}  # fmt: skip
_QWEN35_MOE = {"ffn_gate_inp": "mlp.gate", "ffn_gate_exps": "mlp.experts.{e}.gate_proj",
               "ffn_up_exps": "mlp.experts.{e}.up_proj", "ffn_down_exps": "mlp.experts.{e}.down_proj",
               "ffn_gate_inp_shexp": "mlp.shared_expert_gate", "ffn_gate_shexp": "mlp.shared_expert.gate_proj",
               "ffn_up_shexp": "mlp.shared_expert.up_proj", "ffn_down_shexp": "mlp.shared_expert.down_proj"}  # fmt: skip


_MINIMAX_KEYS = {k: v for k, v in DECODER_KEYS.items() if k != "feed_forward_length"}

ROWS = (
    decoder("ernie4_5", "ernie4_5", "Ernie4_5ForCausalLM", {**ATTENTION, **MLP, **PRE_NORMS}, presence=_ERNIE_BIAS),
    decoder("seed_oss", "seed_oss", "SeedOssForCausalLM",
            {**ATTENTION, **MLP, "attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm"},
            presence=_SEED_BIAS),
    # Arcee (AFM): a plain MLP, up and down
    decoder("arcee", "arcee", "ArceeForCausalLM",
            {**ATTENTION, "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj", **PRE_NORMS},
            presence={"attention_bias": "blk.0.attn_q.bias", "mlp_bias": "blk.0.ffn_up.bias"}),
    # GLM-4: the fused gate_up_proj kept as ffn_up; norms after attention and after the MLP
    decoder("glm4", "glm4", "Glm4ForCausalLM",
            {**ATTENTION, "ffn_up": "mlp.gate_up_proj", "ffn_down": "mlp.down_proj", **PRE_NORMS,
             "post_attention_norm": "post_self_attn_layernorm", "post_ffw_norm": "post_mlp_layernorm"},
            presence={"attention_bias": "blk.0.attn_q.bias"}),
    # Apertus: a plain MLP with xIELU (always: llama.cpp's graph applies it), per-head query/key norms, the norms
    # named attention_layernorm / feedforward_layernorm; the xIELU scalars are metadata
    replace(decoder("apertus", "apertus", "ApertusForCausalLM",
                    {**ATTENTION, **QK_NORM, "attn_norm": "attention_layernorm", "ffn_norm": "feedforward_layernorm",
                     "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}, fixed={"hidden_act": "xielu"}),
            metadata_scalars={"xielu.alpha_p": "mlp.act_fn.alpha_p", "xielu.alpha_n": "mlp.act_fn.alpha_n"}),
    # ERNIE-4.5-MoE: biases everywhere when use_bias (the LM head's too); the score correction is a parameter in
    # transformers, (1, experts), stored as exp_probs_b: compared by count
    moe_row("ernie4_5-moe", "ernie4_5_moe", "Ernie4_5_MoeForCausalLM",
            {**ATTENTION, **PRE_NORMS, **MLP, **EXPERTS, **SHARED_EXPERTS,
             "exp_probs_b.bias": "~mlp.moe_statics.e_score_correction_bias"},
            {"expert_count": "moe_num_experts", "expert_used_count": "moe_k",
             "expert_feed_forward_length": "moe_intermediate_size"}, presence=_ERNIE_BIAS, rule=_ernie_moe),
    # Hunyuan-MoE: routed experts and one shared MLP, both intermediate_size wide; per-head query/key norms
    moe_row("hunyuan-moe", "hunyuan_v1_moe", "HunYuanMoEV1ForCausalLM",
            {**ATTENTION, **PRE_NORMS, "attn_q_norm": "self_attn.query_layernorm",
             "attn_k_norm": "self_attn.key_layernorm", **EXPERTS, "ffn_gate_inp": "mlp.gate.wg",
             "ffn_gate_shexp": "mlp.shared_mlp.gate_proj", "ffn_up_shexp": "mlp.shared_mlp.up_proj",
             "ffn_down_shexp": "mlp.shared_mlp.down_proj"},
            {"expert_count": "num_experts", "expert_used_count": "moe_topk"},
            presence={"attention_bias": "blk.0.attn_q.bias"}),
    # dots.llm1: DeepSeek-style dense first layers, routed and shared experts, router score biases
    moe_row("dots1", "dots1", "Dots1ForCausalLM",
            {**ATTENTION, **PRE_NORMS, **QK_NORM, **MLP, **EXPERTS, **SHARED_EXPERTS, **SCORE_BIAS}, GLM_KEYS,
            presence={"attention_bias": "blk.0.attn_q.bias"}),
    # LFM2-MoE: LFM2's short convolutions and attention, dense first layers then routed experts (w1 gate, w3 up)
    GgufArchitecture(
        "lfm2moe", model_type="lfm2_moe", classes=("Lfm2MoeForCausalLM",), rule=_lfm2_moe,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads",
              "shortconv.l_cache": "conv_L_cache", **EXPERT_KEYS, "expert_feed_forward_length": "moe_intermediate_size"},
        tensors={**LFM2_TENSORS, "ffn_gate_inp": "feed_forward.gate", "ffn_gate_exps": "feed_forward.experts.{e}.w1",
                 "ffn_up_exps": "feed_forward.experts.{e}.w3", "ffn_down_exps": "feed_forward.experts.{e}.w2",
                 "exp_probs_b.bias": "feed_forward.expert_bias"},
        presence={"tie_word_embeddings": "!output.weight"},
    ),
    # Qwen3.5 (the language model of Qwen3.5's checkpoints, text only): gated DeltaNet and gated attention layers;
    # its MTP block appended as the last blk and counted in block_count (Qwen3_5TextModel derives from
    # Qwen3NextModel and _QwenMtpMixin, llama.cpp conversion/qwen.py at 0c1e57098)
    GgufArchitecture(
        "qwen35", model_type="qwen3_5_text", classes=("Qwen3_5ForCausalLM",), rule=_qwen35, keys=_QWEN35_KEYS,
        mtp="mtp.layers", mtp_tensors=QWEN_MTP,
        tensors={**_QWEN35_TENSORS, **MLP}, presence={"tie_word_embeddings": "!output.weight"},
    ),
    GgufArchitecture(
        "qwen35moe", model_type="qwen3_5_moe_text", classes=("Qwen3_5MoeForCausalLM",), rule=_qwen35,
        mtp="mtp.layers", mtp_tensors=QWEN_MTP,
        keys={**{k: v for k, v in _QWEN35_KEYS.items() if k != "feed_forward_length"}, **EXPERT_KEYS,
              "expert_feed_forward_length": "moe_intermediate_size",
              "expert_shared_feed_forward_length": "shared_expert_intermediate_size"},
        tensors={**_QWEN35_TENSORS, **_QWEN35_MOE}, presence={"tie_word_embeddings": "!output.weight"},
    ),
    GgufArchitecture(
        "minimax-m2", model_type="minimax_m2", classes=("MiniMaxM2ForCausalLM",), rule=_minimax_m2,
        keys={**_MINIMAX_KEYS, **EXPERT_KEYS, "expert_count": "num_local_experts",
              "expert_feed_forward_length": "intermediate_size"},
        tensors={"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
                 **ATTENTION, **PRE_NORMS, **QK_NORM, **_MINIMAX},
        presence={"tie_word_embeddings": "!output.weight"},
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """The 2025-26 types' GGUF architectures: ernie4_5, seed_oss, arcee, glm4, apertus, ernie4_5-moe, hunyuan-moe, dots1,
    lfm2moe, minimax-m2, qwen35, qwen35moe."""
    for row in ROWS:
        register(row)
