"""GGUF architectures ``jamba`` (AI21's Jamba) and ``mpt`` (MosaicML's MPT) as llama.cpp writes them, rows and rules.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``JambaModel`` in
``conversion/jamba.py`` writes ``head_count_kv`` per layer (nonzero on the attention layers), the Mamba mixer's
``ssm.conv_kernel``, ``ssm.inner_size``, ``ssm.state_size``, ``ssm.time_step_rank``, ``expert_count`` and
``expert_used_count``; it stacks each MoE layer's experts into ``ffn_*_exps``, squeezes the convolution (compared
by count) and stores ``-exp(A_log)`` under ``ssm_a`` (the same shape). ``MPTModel`` (``conversion/mpt.py``)
writes ``feed_forward_length`` 4 × d_model and ``head_count_kv`` only for grouped key/value heads. Tensor names
from gguf-py's ``MODEL_TENSORS`` and ``tensor_mapping.py``. Read by ``registry.sources.gguf_rows``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION
from registry.plugins.gguf_hybrid import per_layer


def _every(meta: GgufMetadata, key: str, layers: list[int], n: int, what: str) -> tuple[int, int]:
    """The offset and period of ``layers`` (every period-th layer from the offset to the last), as Jamba places its
    attention and MoE layers; other placements are refused naming ``key``."""
    offset = layers[0]
    period = layers[1] - offset if len(layers) > 1 else n - offset
    if layers != list(range(offset, n, period)):
        raise meta.error(key, f"the {what} layers {layers} are not every k-th layer from the first, as Jamba places them")
    return offset, period


def _jamba(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Jamba): the attention layers (``head_count_kv`` nonzero) and the MoE layers (the blocks with a router)
    as offset and period; the Mamba mixer's expansion ``ssm.inner_size`` over the width; its biases from the
    tensors."""
    a, n, d = meta.arch, config["num_hidden_layers"], config["hidden_size"]
    kv = per_layer(meta, "attention.head_count_kv", n)
    attention = [i for i, k in enumerate(kv) if k]
    if not attention or len({kv[i] for i in attention}) > 1:
        raise meta.error(f"{a}.attention.head_count_kv", "must give one number of key/value heads to one or more layers")
    offset, period = _every(meta, f"{a}.attention.head_count_kv", attention, n, "attention")
    config.update(attn_layer_offset=offset, attn_layer_period=period, num_key_value_heads=kv[attention[0]])
    moe = [i for i in range(n) if f"blk.{i}.ffn_gate_inp.weight" in meta.tensors]
    if moe:
        offset, period = _every(meta, f"blk.{moe[0]}.ffn_gate_inp.weight", moe, n, "MoE")
        config.update(expert_layer_offset=offset, expert_layer_period=period)
    else:
        config["num_experts"] = 1  # no MoE layer: transformers builds the MLP everywhere
    inner = meta.int(f"{a}.ssm.inner_size")
    if inner % d:
        raise meta.error(f"{a}.ssm.inner_size", f"{inner} is not a multiple of embedding_length {d} (mamba_expand)")
    config.update(mamba_expand=inner // d, mamba_proj_bias=any(t.endswith(".ssm_in.bias") for t in meta.tensors),
                  mamba_conv_bias=any(t.endswith(".ssm_conv1d.bias") for t in meta.tensors))  # fmt: skip


def _mpt(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (MPT): transformers' MptForCausalLM builds a 4 × d_model MLP and one key/value head per query head, so a
    file whose ``ffn_up`` or ``attn_qkv`` says otherwise (an expansion ratio or grouped heads of the remote code)
    is refused rather than counted wrong."""
    d = config["d_model"]
    for tensor, rows, what in (("ffn_up", 4 * d, "4 × embedding_length (transformers' MptMLP)"),
                               ("attn_qkv", 3 * d, "3 × embedding_length (one key/value head per query head)")):
        got = meta.rows(f"blk.0.{tensor}.weight")
        if got != rows:
            raise meta.error(f"blk.0.{tensor}.weight", f"{got} rows, not {what}")


ROWS = (
    GgufArchitecture(
        "jamba", model_type="jamba", classes=("JambaForCausalLM",), rule=_jamba,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "feed_forward_length": "intermediate_size", "attention.head_count": "num_attention_heads",
              "ssm.conv_kernel": "mamba_d_conv", "ssm.state_size": "mamba_d_state", "ssm.time_step_rank": "mamba_dt_rank",
              "expert_count": "num_experts", "expert_used_count": "num_experts_per_tok"},
        tensors={"token_embd": "model.embed_tokens", "output_norm": "model.final_layernorm", "output": "lm_head",
                 "attn_norm": "input_layernorm", "ffn_norm": "pre_ff_layernorm", **ATTENTION,
                 "ssm_in": "mamba.in_proj", "ssm_conv1d.weight": "~mamba.conv1d.weight", "ssm_conv1d.bias": "mamba.conv1d.bias",
                 "ssm_x": "mamba.x_proj", "ssm_dt": "mamba.dt_proj", "ssm_a": "mamba.A_log", "ssm_d": "mamba.D",
                 "ssm_out": "mamba.out_proj", "ssm_dt_norm": "mamba.dt_layernorm", "ssm_b_norm": "mamba.b_layernorm",
                 "ssm_c_norm": "mamba.c_layernorm", "ffn_gate": "feed_forward.gate_proj",
                 "ffn_up": "feed_forward.up_proj", "ffn_down": "feed_forward.down_proj",
                 "ffn_gate_inp": "feed_forward.router", "ffn_gate_exps": "feed_forward.experts.{e}.gate_proj",
                 "ffn_up_exps": "feed_forward.experts.{e}.up_proj", "ffn_down_exps": "feed_forward.experts.{e}.down_proj"},
        presence={"tie_word_embeddings": "!output.weight"},
    ),
    # MPT: ALiBi (no positions), LayerNorms without biases, the fused query/key/value, no biases
    GgufArchitecture(
        "mpt", model_type="mpt", classes=("MptForCausalLM",), layers="transformer.blocks", rule=_mpt,
        keys={"block_count": "n_layers", "embedding_length": "d_model", "attention.head_count": "n_heads"},
        tensors={"token_embd": "transformer.wte", "output_norm": "transformer.norm_f", "output": "lm_head",
                 "attn_norm": "norm_1", "attn_qkv": "attn.Wqkv", "attn_output": "attn.out_proj", "ffn_norm": "norm_2",
                 "ffn_up": "ffn.up_proj", "ffn_down": "ffn.down_proj"},
        presence={"tie_word_embeddings": "!output.weight"},
    ),
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """AI21's Jamba and MosaicML's MPT: jamba, mpt."""
    for row in ROWS:
        register(row)
