"""GGUF architectures of the hybrid models, as rows of data (read by ``registry.sources.gguf_rows``).

llama.cpp writes the layer pattern of a hybrid as per-layer arrays: ``attention.head_count_kv`` is
0 on the layers without attention and ``feed_forward_length`` 0 on those without an MLP. The rules
below turn those arrays back into the config's layer pattern (LFM2's ``layer_types``, Nemotron-H's
``hybrid_override_pattern``); the tensors map as data, the squeezed convolutions and Mamba-2's
reshaped ``A``, ``D`` and gated norm compared by count (``~``).
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufArray, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import DECODER_KEYS, TIED, head_dim

#: Mamba-2 mixer tensors inside a layer's ``mixer``, as Nemotron-H's and Granite-4.0's checkpoints name them.
MAMBA2 = {"ssm_in": "mixer.in_proj", "ssm_conv1d.weight": "~mixer.conv1d.weight", "ssm_conv1d.bias": "mixer.conv1d.bias",
          "ssm_dt.bias": "mixer.dt_bias", "ssm_a": "~mixer.A_log", "ssm_d": "~mixer.D", "ssm_norm": "~mixer.norm",
          "ssm_out": "mixer.out_proj"}  # fmt: skip


NEMOTRON_KEYS = {"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
                 "attention.head_count": "num_attention_heads", "ssm.time_step_rank": "mamba_num_heads",
                 "ssm.state_size": "ssm_state_size", "ssm.group_count": "n_groups", "ssm.conv_kernel": "conv_kernel"}
#: Nemotron-H's checkpoint names: every layer a ``mixer`` (Mamba-2, attention or MLP) after a ``norm``.
NEMOTRON_TENSORS = {"token_embd": "backbone.embeddings", "output_norm": "backbone.norm_f", "output": "lm_head",
                    "attn_norm": "norm", **MAMBA2, "attn_q": "mixer.q_proj", "attn_k": "mixer.k_proj",
                    "attn_v": "mixer.v_proj", "attn_output": "mixer.o_proj", "ffn_up": "mixer.up_proj",
                    "ffn_down": "mixer.down_proj"}  # fmt: skip


#: The multi-token-prediction block's own tensors, as Qwen3-Next's and Qwen3.5's checkpoints name them
#: (``_QwenMtpMixin.filter_tensors`` in llama.cpp's conversion/qwen.py renames ``mtp.fc`` to ``nextn.eh_proj``, ...).
QWEN_MTP = {"nextn.eh_proj": "mtp.fc", "nextn.enorm": "mtp.pre_fc_norm_embedding",
            "nextn.hnorm": "mtp.pre_fc_norm_hidden", "nextn.shared_head_norm": "mtp.norm"}  # fmt: skip


#: Nemotron 3's multi-token-prediction block: NemotronHModel (llama.cpp's conversion/nemotron.py, 0c1e57098) joins the
#: checkpoint's mtp.layers.0 (input fusion, attention) and mtp.layers.1 (experts, head norm) in one block
#: appended after the layers; the attention reads as mtp.layers.0 (its ``mixer``), the rest named here.
NEMOTRON_MTP = {
    "nextn.eh_proj": "mtp.layers.0.eh_proj", "nextn.enorm": "mtp.layers.0.enorm", "nextn.hnorm": "mtp.layers.0.hnorm",
    "attn_norm": "mtp.layers.0.norm", "post_attention_norm": "mtp.layers.1.norm",
    "nextn.shared_head_norm": "mtp.layers.1.final_layernorm", "ffn_gate_inp": "mtp.layers.1.mixer.gate",
    "ffn_up_exps": "mtp.layers.1.mixer.experts.{e}.up_proj", "ffn_down_exps": "mtp.layers.1.mixer.experts.{e}.down_proj",
    "ffn_up_shexp": "mtp.layers.1.mixer.shared_experts.up_proj",
    "ffn_down_shexp": "mtp.layers.1.mixer.shared_experts.down_proj", "ffn_latent_down": "mtp.layers.1.mixer.fc1_latent_proj",
    "ffn_latent_up": "mtp.layers.1.mixer.fc2_latent_proj",
    "exp_probs_b.bias": "mtp.layers.1.mixer.gate.e_score_correction_bias",
}  # fmt: skip


def per_layer(meta: GgufMetadata, key: str, layers: int, kind: type = int) -> list[Any]:
    """The per-layer values of ``<arch>.key``: an array of ``layers`` whole numbers (``kind`` bool: true or false),
    or one number for every layer. An array over ``block_count`` also lists the multi-token-prediction blocks
    after the layers (``nextn_predict_layers``, as llama.cpp's converters write it): cut to the layers."""
    full = f"{meta.arch}.{key}"
    value = meta.data.get(full)
    if isinstance(value, GgufArray):
        items = value.items
        lengths = {layers, layers + meta.int(f"{meta.arch}.nextn_predict_layers", 0, minimum=0)}
        if items is None or len(items) not in lengths or any(type(v) is not kind or v < 0 for v in items):
            what = "true or false values" if kind is bool else "whole numbers"
            raise meta.error(full, f"must list {layers} {what}, one per layer (block_count)")
        return list(items)[:layers]
    return [meta.int(full, minimum=0)] * layers


def _widest(meta: GgufMetadata, key: str, values: list[int]) -> int:
    """The one nonzero value of a per-layer array (the width of the layers that have the part)."""
    widths = set(values) - {0}
    if len(widths) > 1:
        raise meta.error(f"{meta.arch}.{key}", f"gives layers different widths ({sorted(widths)}); the model type "
                         "has one")  # fmt: skip
    return widths.pop() if widths else 0


def _has(meta: GgufMetadata, suffix: str) -> bool:
    return any(name.endswith(suffix) for name in meta.tensors)


#: LFM2's tensors (short convolutions squeezed by llama.cpp: compared by count), as its checkpoints name them.
LFM2_TENSORS = {
    "token_embd": "model.embed_tokens", "token_embd_norm": "model.embedding_norm", "output": "lm_head",
    "attn_norm": "operator_norm", "ffn_norm": "ffn_norm", "shortconv.conv.weight": "~conv.conv.weight",
    "shortconv.conv.bias": "conv.conv.bias", "shortconv.in_proj": "conv.in_proj", "shortconv.out_proj": "conv.out_proj",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.out_proj", "attn_q_norm": "self_attn.q_layernorm", "attn_k_norm": "self_attn.k_layernorm",
    "ffn_gate": "feed_forward.w1", "ffn_up": "feed_forward.w3", "ffn_down": "feed_forward.w2",
}  # fmt: skip


def lfm2_layers(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (LFM2): attention layers where ``head_count_kv`` is nonzero, short convolutions elsewhere; the MLP width
    as written (llama.cpp writes it after LFM2's automatic adjustment)."""
    kv = per_layer(meta, "attention.head_count_kv", config["num_hidden_layers"])
    config.update(layer_types=["full_attention" if n else "conv" for n in kv], num_key_value_heads=_widest(
        meta, "attention.head_count_kv", kv) or config["num_attention_heads"], block_auto_adjust_ff_dim=False)


def _nemotron_h(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Nemotron-H, and Nemotron 3's nemotron_h_moe): the layer pattern from the arrays and the tensors
    (``*`` attention, ``E`` routed experts, ``-`` MLP, ``M`` Mamba-2), the mixer's head width as its inner width
    over its heads, the experts' widths from their tensors, the biases from the tensors."""
    a, layers = meta.arch, config["num_hidden_layers"]
    kv = per_layer(meta, "attention.head_count_kv", layers)
    ff = per_layer(meta, "feed_forward_length", layers)
    inner, heads = meta.int(f"{a}.ssm.inner_size"), config["mamba_num_heads"]
    if inner % heads:
        raise meta.error(f"{a}.ssm.inner_size", f"{inner} is not a multiple of the {heads} heads (ssm.time_step_rank)")
    pattern = "".join("*" if k else "E" if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors else "-" if f else "M"
                      for i, (k, f) in enumerate(zip(kv, ff)))  # fmt: skip
    mlp = [f for f, kind in zip(ff, pattern) if kind == "-"]
    config.update(
        hybrid_override_pattern=pattern, intermediate_size=_widest(meta, "feed_forward_length", mlp) or 1,
        num_key_value_heads=_widest(meta, "attention.head_count_kv", kv) or config["num_attention_heads"],
        mamba_head_dim=inner // heads, use_conv_bias=_has(meta, ".ssm_conv1d.bias"), use_bias=_has(meta, ".ssm_in.bias"),
        mlp_bias=_has(meta, ".ffn_up.bias"), attention_bias=_has(meta, ".attn_q.bias"),
    )  # fmt: skip
    config["head_dim"] = meta.int(f"{a}.attention.key_length", config["hidden_size"] // max(config["num_attention_heads"], 1))
    config["num_nextn_predict_layers"] = meta.int(f"{a}.nextn_predict_layers", 0, minimum=0)  # the MTP block, not counted
    if "E" in pattern:
        experts, shared = _shape_of(meta, (".ffn_up_exps.weight",)), _shape_of(meta, (".ffn_up_shexp.weight",))
        latent = _shape_of(meta, (".ffn_latent_down.weight",))
        if experts is None or len(experts) != 3:
            raise meta.error(f"blk.{pattern.index('E')}.ffn_up_exps.weight", "missing or not (experts, width, input)")
        config.update(n_routed_experts=experts[0], moe_intermediate_size=experts[1],
                      moe_shared_expert_intermediate_size=shared[0] if shared else 0,
                      num_experts_per_tok=meta.int(f"{a}.expert_used_count"), moe_latent_size=latent[0] if latent else None)


def _shape_of(meta: GgufMetadata, suffixes: tuple[str, ...]) -> tuple[int, ...] | None:
    """The shape of the first tensor whose name ends with one of ``suffixes`` (None: no such tensor)."""
    return next((shape for name, shape in meta.tensors.items() if name.endswith(suffixes)), None)


def _granitehybrid(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Granite-4.0-H): attention where ``head_count_kv`` is nonzero, Mamba-2 elsewhere; the mixer's expand and
    head width from ``ssm.inner_size``; the shared MLP's and experts' widths from their tensors."""
    a, hidden = meta.arch, config["hidden_size"]
    kv = per_layer(meta, "attention.head_count_kv", config["num_hidden_layers"])
    inner, heads = meta.int(f"{a}.ssm.inner_size"), config["mamba_n_heads"]
    if inner % hidden or inner % heads:
        raise meta.error(f"{a}.ssm.inner_size", f"{inner} is not a multiple of embedding_length {hidden} and of the "
                         f"{heads} heads (ssm.time_step_rank)")  # fmt: skip
    shared = _shape_of(meta, (".ffn_down_shexp.weight", ".ffn_down.weight"))
    experts = _shape_of(meta, (".ffn_down_exps.weight",))
    config.update(
        layer_types=["attention" if n else "mamba" for n in kv], mamba_expand=inner // hidden, mamba_d_head=inner // heads,
        num_key_value_heads=_widest(meta, "attention.head_count_kv", kv) or config["num_attention_heads"],
        shared_intermediate_size=shared[-1] if shared else 0, mamba_conv_bias=_has(meta, ".ssm_conv1d.bias"),
        mamba_proj_bias=_has(meta, ".ssm_in.bias"), attention_bias=_has(meta, ".attn_q.bias"),
    )  # fmt: skip
    config.setdefault("num_local_experts", 0)
    config.setdefault("num_experts_per_tok", 0)
    config["intermediate_size"] = experts[-1] if experts else config["shared_intermediate_size"]


def _falcon_h1(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Falcon-H1): attention and a Mamba-2 mixer side by side in every layer; the mixer's inner width is
    ``ssm.inner_size`` (its head width that over the heads), its gated norm present when ``ssm_norm`` is."""
    a, heads = meta.arch, config["mamba_n_heads"]
    inner = meta.int(f"{a}.ssm.inner_size")
    if inner % heads:
        raise meta.error(f"{a}.ssm.inner_size", f"{inner} is not a multiple of the {heads} heads (ssm.time_step_rank)")
    config.update(mamba_d_ssm=inner, mamba_d_head=inner // heads, mamba_rms_norm=_has(meta, ".ssm_norm.weight"),
                  mamba_conv_bias=_has(meta, ".ssm_conv1d.bias"), mamba_proj_bias=_has(meta, ".ssm_in.bias"),
                  projectors_bias=_has(meta, ".ssm_out.bias"), attention_bias=_has(meta, ".attn_q.bias"),
                  mlp_bias=_has(meta, ".ffn_up.bias"))  # fmt: skip
    head_dim(meta, config)


def _qwen3next(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Qwen3-Next): the gated DeltaNet's value head width is ``ssm.inner_size`` over its value heads
    (``ssm.time_step_rank``); the layer pattern from ``attention.recurrent_layers`` when written (true: gated
    DeltaNet), else full attention every ``full_attention_interval``-th layer (llama.cpp's default 4)."""
    a, heads = meta.arch, config["linear_num_value_heads"]
    inner = meta.int(f"{a}.ssm.inner_size")
    if inner % heads:
        raise meta.error(f"{a}.ssm.inner_size", f"{inner} is not a multiple of the {heads} value heads "
                         "(ssm.time_step_rank)")  # fmt: skip
    config.update(linear_value_head_dim=inner // heads, attention_bias=_has(meta, ".attn_q.bias"))
    config.setdefault("full_attention_interval", 4)
    if meta.has(f"{a}.attention.recurrent_layers"):  # written when the config lists layer_types
        recurrent = per_layer(meta, "attention.recurrent_layers", config["num_hidden_layers"], bool)
        config["layer_types"] = ["linear_attention" if r else "full_attention" for r in recurrent]
    head_dim(meta, config)


ROWS = (
    GgufArchitecture(
        "lfm2", model_type="lfm2", classes=("Lfm2ForCausalLM",), rule=lfm2_layers, presence=TIED,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads",
              "shortconv.l_cache": "conv_L_cache"},
        tensors=LFM2_TENSORS,
    ),
    GgufArchitecture(
        "nemotron_h", model_type="nemotron_h", classes=("NemotronHForCausalLM",), rule=_nemotron_h,
        layers="backbone.layers",
        keys=NEMOTRON_KEYS, tensors=NEMOTRON_TENSORS,
    ),
    GgufArchitecture(
        "nemotron_h_moe", model_type="nemotron_h", classes=("NemotronHForCausalLM",), rule=_nemotron_h,
        layers="backbone.layers", keys=NEMOTRON_KEYS,
        tensors={**NEMOTRON_TENSORS, "ffn_gate_inp": "mixer.gate", "ffn_up_exps": "mixer.experts.{e}.up_proj",
                 "ffn_down_exps": "mixer.experts.{e}.down_proj", "ffn_up_shexp": "mixer.shared_experts.up_proj",
                 "ffn_down_shexp": "mixer.shared_experts.down_proj", "ffn_latent_down": "mixer.fc1_latent_proj",
                 "ffn_latent_up": "mixer.fc2_latent_proj", "exp_probs_b.bias": "mixer.gate.e_score_correction_bias"},
        mtp="mtp.layers", mtp_tensors=NEMOTRON_MTP, description="Nemotron 3 (routed experts)",
    ),
    # Granite-4.0-H: the checkpoint's fused input_linear (gate and up) is split by llama.cpp: joined, by count;
    # the shared MLP is ffn_*_shexp beside experts, ffn_* without (the dense models)
    GgufArchitecture(
        "granitehybrid", model_type="granitemoehybrid", classes=("GraniteMoeHybridForCausalLM",), rule=_granitehybrid,
        presence=TIED,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "attention.head_count": "num_attention_heads", "ssm.time_step_rank": "mamba_n_heads",
              "ssm.state_size": "mamba_d_state", "ssm.group_count": "mamba_n_groups", "ssm.conv_kernel": "mamba_d_conv",
              "expert_count?": "num_local_experts", "expert_used_count?": "num_experts_per_tok"},
        tensors={"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
                 "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 **{k: v.replace("mixer.", "mamba.") for k, v in MAMBA2.items()},
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate_inp": "block_sparse_moe.router.layer",
                 "ffn_gate_exps": "~block_sparse_moe.input_linear", "ffn_up_exps": "~block_sparse_moe.input_linear",
                 "ffn_down_exps": "block_sparse_moe.output_linear", "ffn_gate_shexp": "~shared_mlp.input_linear",
                 "ffn_up_shexp": "~shared_mlp.input_linear", "ffn_down_shexp": "shared_mlp.output_linear",
                 "ffn_gate": "~shared_mlp.input_linear", "ffn_up": "~shared_mlp.input_linear",
                 "ffn_down": "shared_mlp.output_linear"},
    ),
    GgufArchitecture(
        "falcon-h1", model_type="falcon_h1", classes=("FalconH1ForCausalLM",), rule=_falcon_h1, presence=TIED,
        keys={**DECODER_KEYS, "ssm.time_step_rank": "mamba_n_heads", "ssm.state_size": "mamba_d_state",
              "ssm.group_count": "mamba_n_groups", "ssm.conv_kernel": "mamba_d_conv"},
        tensors={"token_embd": "model.embed_tokens", "output_norm": "model.final_layernorm", "output": "lm_head",
                 "attn_norm": "input_layernorm", "ffn_norm": "pre_ff_layernorm",
                 **{k: v.replace("mixer.", "mamba.") for k, v in MAMBA2.items()},
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate": "feed_forward.gate_proj",
                 "ffn_up": "feed_forward.up_proj", "ffn_down": "feed_forward.down_proj"},
    ),
    # Qwen3-Next: the MTP block (checkpoint mtp.*) is appended as blk.<layers> and counted in block_count by
    # _QwenMtpMixin (conversion/qwen.py, llama.cpp 0c1e57098), with nextn_predict_layers; read as mtp.layers.0.
    # Qwen3-Next: gated DeltaNet layers (linear_attn; in_proj_qkvz as ssm_in, or split into attn_qkv and attn_gate
    # by newer converters: joined, by count) and gated attention every few layers, routed and shared experts
    GgufArchitecture(
        "qwen3next", model_type="qwen3_next", classes=("Qwen3NextForCausalLM",), rule=_qwen3next, presence=TIED,
        keys={**DECODER_KEYS, "expert_count": "num_experts", "expert_used_count": "num_experts_per_tok",
              "expert_feed_forward_length": "moe_intermediate_size",
              "expert_shared_feed_forward_length": "shared_expert_intermediate_size",
              "ssm.conv_kernel": "linear_conv_kernel_dim", "ssm.state_size": "linear_key_head_dim",
              "ssm.group_count": "linear_num_key_heads", "ssm.time_step_rank": "linear_num_value_heads",
              "full_attention_interval?": "full_attention_interval"},
        fixed={"decoder_sparse_step": 1, "mlp_only_layers": []}, mtp="mtp.layers", mtp_tensors=QWEN_MTP,
        tensors={"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
                 "attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm",
                 "ssm_in": "linear_attn.in_proj_qkvz", "attn_qkv": "~linear_attn.in_proj_qkvz",
                 "attn_gate": "~linear_attn.in_proj_qkvz", "ssm_ba": "linear_attn.in_proj_ba",
                 "ssm_conv1d.weight": "~linear_attn.conv1d.weight", "ssm_dt.bias": "linear_attn.dt_bias",
                 "ssm_a": "linear_attn.A_log", "ssm_norm": "linear_attn.norm", "ssm_out": "linear_attn.out_proj",
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
                 "ffn_gate_inp": "mlp.gate", "ffn_gate_exps": "mlp.experts.{e}.gate_proj",
                 "ffn_up_exps": "mlp.experts.{e}.up_proj", "ffn_down_exps": "mlp.experts.{e}.down_proj",
                 "ffn_gate_inp_shexp": "mlp.shared_expert_gate", "ffn_gate_shexp": "mlp.shared_expert.gate_proj",
                 "ffn_up_shexp": "mlp.shared_expert.up_proj", "ffn_down_shexp": "mlp.shared_expert.down_proj"},
    ),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """The hybrids: lfm2, nemotron_h, nemotron_h_moe, granitehybrid, falcon-h1, qwen3next."""
    for row in ROWS:
        register(row)
