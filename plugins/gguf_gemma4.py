"""GGUF architecture ``gemma4``: Gemma 4's language model as llama.cpp writes it, a row of data and its rule.

Checked against llama.cpp at 0c1e57098 (vendored by llama-cpp-python 0.3.36): ``Gemma4Model`` in
``conversion/gemma.py`` writes, over Gemma 3's keys, ``attention.key_length`` (the full-attention layers'
head width, ``global_head_dim``) and ``attention.key_length_swa`` (the sliding layers', ``head_dim``),
``attention.sliding_window_pattern`` (true for each sliding layer), ``attention.shared_kv_layers``
(``num_kv_shared_layers``), ``embedding_length_per_layer_input`` (0 without per-layer inputs),
``attention.head_count_kv`` per layer when the full-attention layers have their own key/value heads,
``feed_forward_length`` per layer when the layers that share their caches have a double-wide MLP, and
``expert_feed_forward_length``. Its tensors are gguf-py's ``MODEL_TENSORS[GEMMA4]`` as ``tensor_mapping.py``
names them; the converter renames the router's ``scale`` ``ffn_gate_inp.scale``, its ``per_expert_scale``
``ffn_down_exps.scale``, and ``layer_scalar`` (a buffer in transformers) ``layer_output_scale``; the experts are
stored merged (``ffn_gate_up_exps``: each expert's gate and up fused), read per expert as the checkpoints hold
them (``experts.<e>.gate_proj``, ``up_proj``, ``down_proj``). The full-attention
layers' rotary factors (``rope_freqs``) are not parameters. Read by ``registry.sources.gguf_rows``.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, MLP, QK_NORM, SANDWICH, TIED
from registry.plugins.gguf_hybrid import per_layer


def _one(meta: GgufMetadata, key: str, values: list[int], what: str) -> int | None:
    """The one value ``values`` hold (None when empty); several are refused."""
    if len(set(values)) > 1:
        raise meta.error(f"{meta.arch}.{key}", f"gives the {what} layers different values ({sorted(set(values))}); "
                         "Gemma 4 has one")  # fmt: skip
    return values[0] if values else None


def _gemma4(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Gemma 4): the layer types from the sliding-window pattern (the last layer full, as Gemma4TextConfig
    makes it); the sliding and full layers' key/value heads from the per-layer array; the double-wide MLP of the
    layers that share their caches from the per-layer widths; keys as values where a full-attention layer that
    computes its keys has no ``attn_v``; the per-layer inputs' vocabulary from ``per_layer_token_embd``; the
    experts when the blocks hold a router."""
    a, n = meta.arch, config["num_hidden_layers"]
    sliding = per_layer(meta, "attention.sliding_window_pattern", n, bool)
    if sliding[-1]:
        raise meta.error(f"{a}.attention.sliding_window_pattern", "marks the last layer sliding: Gemma 4's last "
                         "layer is full attention (Gemma4TextConfig)")  # fmt: skip
    config["layer_types"] = ["sliding_attention" if s else "full_attention" for s in sliding]
    kv = per_layer(meta, "attention.head_count_kv", n)
    swa = _one(meta, "attention.head_count_kv", [k for k, s in zip(kv, sliding) if s], "sliding")
    full = _one(meta, "attention.head_count_kv", [k for k, s in zip(kv, sliding) if not s], "full-attention")
    config["num_key_value_heads"] = swa if swa is not None else full
    config["num_global_key_value_heads"] = full if meta.has(f"{a}.attention.head_count_kv") and full != swa else None
    shared = config["num_kv_shared_layers"]
    if shared >= n:
        raise meta.error(f"{a}.attention.shared_kv_layers", f"{shared} leaves no layer computing its keys (block_count "
                         f"{n})")  # fmt: skip
    ff = per_layer(meta, "feed_forward_length", n)
    width = _one(meta, "feed_forward_length", ff[: n - shared], "cache-computing")
    wide = set(ff[n - shared :])
    if not wide <= {width, 2 * width} or len(wide) > 1:
        raise meta.error(f"{a}.feed_forward_length", f"the layers sharing their caches are {sorted(wide)} wide: "
                         f"Gemma 4 gives them the others' width ({width}) or twice it")  # fmt: skip
    config.update(intermediate_size=width, use_double_wide_mlp=wide == {2 * width})
    config["attention_k_eq_v"] = any(not sliding[i] and f"blk.{i}.attn_k.weight" in meta.tensors
                                     and f"blk.{i}.attn_v.weight" not in meta.tensors for i in range(n - shared))
    if config.get("hidden_size_per_layer_input"):
        rows = meta.rows("per_layer_token_embd.weight")
        if rows is None:
            raise meta.error("per_layer_token_embd.weight", "missing: embedding_length_per_layer_input is "
                             f"{config['hidden_size_per_layer_input']}")  # fmt: skip
        config["vocab_size_per_layer_input"] = rows
    config["enable_moe_block"] = any(name.endswith(".ffn_gate_inp.weight") for name in meta.tensors)
    if config["enable_moe_block"]:
        config.update(num_experts=meta.int(f"{a}.expert_count"), top_k_experts=meta.int(f"{a}.expert_used_count"),
                      moe_intermediate_size=meta.int(f"{a}.expert_feed_forward_length"))  # fmt: skip


ROWS = (
    GgufArchitecture(
        "gemma4", model_type="gemma4_text", classes=("Gemma4ForCausalLM",), rule=_gemma4,
        keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
              "attention.head_count": "num_attention_heads", "attention.key_length": "global_head_dim",
              "attention.key_length_swa": "head_dim", "attention.shared_kv_layers": "num_kv_shared_layers",
              "embedding_length_per_layer_input?": "hidden_size_per_layer_input"},
        tensors={
            "token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
            "per_layer_token_embd": "model.embed_tokens_per_layer", "per_layer_model_proj": "model.per_layer_model_projection",
            "per_layer_proj_norm": "model.per_layer_projection_norm", **ATTENTION, **QK_NORM, **SANDWICH, **MLP,
            "inp_gate": "per_layer_input_gate", "proj": "per_layer_projection", "post_norm": "post_per_layer_input_norm",
            "ffn_gate_inp.weight": "router.proj.weight", "ffn_gate_inp.scale": "router.scale",
            "ffn_gate_up_exps.weight": "experts.{e}.gate_proj.weight+experts.{e}.up_proj.weight",
            "ffn_down_exps.weight": "experts.{e}.down_proj.weight",
            "ffn_down_exps.scale": "router.per_expert_scale", "pre_ffw_norm_2": "pre_feedforward_layernorm_2",
            "post_ffw_norm_1": "post_feedforward_layernorm_1", "post_ffw_norm_2": "post_feedforward_layernorm_2",
            "layer_output_scale.weight": "layer_scalar",
        },  # fmt: skip
        presence=TIED, description="Gemma 4's language model; with its mmproj: the whole model",
    ),
)


@hookimpl
def register_gguf_architectures(register):
    """Gemma 4's language model: gemma4."""
    for row in ROWS:
        register(row)
