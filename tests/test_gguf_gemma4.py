"""GGUF architecture gemma4 (plugins/gguf_gemma4.py) counts and verifies exactly (reference: transformers' meta model).

The file is written from a small Gemma4TextConfig as llama.cpp 0c1e57098's ``Gemma4Model`` writes one (gguf-py's
``TensorNameMap`` for the names; its keys: the head widths of both layer kinds, the sliding pattern, the shared
caches, per-layer arrays where the converter writes them; the router's scales and ``layer_scalar`` renamed).
"""

from __future__ import annotations

import pytest

from registry.cli import main
from tests.gguf_files import Case, case_id, check_case, write_case

gguf = pytest.importorskip("gguf")

GEMMA4 = {"vocab_size": 96, "hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 4,
          "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "global_head_dim": 32,
          "hidden_size_per_layer_input": 0, "num_kv_shared_layers": 0, "pad_token_id": 0,
          "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]}  # fmt: skip
#: Gemma 4 E2B/E4B's way: per-layer inputs, caches shared by the last layers, double-wide MLPs there.
EDGE = {**GEMMA4, "hidden_size_per_layer_input": 8, "vocab_size_per_layer_input": 48, "num_kv_shared_layers": 2,
        "use_double_wide_mlp": True}  # fmt: skip
#: Gemma 4 26B-A4B's way: experts beside the MLP, keys as values, full layers with their own key/value heads.
MOE = {**GEMMA4, "enable_moe_block": True, "num_experts": 4, "top_k_experts": 2, "moe_intermediate_size": 24,
       "attention_k_eq_v": True, "num_global_key_value_heads": 1}  # fmt: skip


def gemma4_keys(config):
    """TextModel's, Gemma3Model's and Gemma4Model's set_gguf_parameters (the config read as a dict: transformers
    refuses the per-layer attributes' global values)."""
    c = config.to_dict()
    n, shared, ff = c["num_hidden_layers"], c["num_kv_shared_layers"], c["intermediate_size"]
    swa = [t == "sliding_attention" for t in c["layer_types"]]
    full = [layer for i, layer in sorted((int(k), v) for k, v in (c.get("per_layer_config") or {}).items()) if not swa[i]]
    head = c.get("global_head_dim") or next(layer["head_dim"] for layer in full if "head_dim" in layer)
    kv_full = c.get("num_global_key_value_heads") or next(
        (layer["num_key_value_heads"] for layer in full if "num_key_value_heads" in layer), None)
    keys = {"block_count": n, "embedding_length": c["hidden_size"], "attention.head_count": c["num_attention_heads"],
            "feed_forward_length": ff, "attention.head_count_kv": c["num_key_value_heads"],
            "attention.key_length": head, "attention.value_length": head,
            "attention.key_length_swa": c["head_dim"], "attention.value_length_swa": c["head_dim"],
            "attention.shared_kv_layers": shared, "attention.sliding_window_pattern": swa,
            "embedding_length_per_layer_input": c["hidden_size_per_layer_input"] or 0}  # fmt: skip
    if c["use_double_wide_mlp"]:
        keys["feed_forward_length"] = [ff if i < n - shared else 2 * ff for i in range(n)]
    if kv_full is not None:  # the full layers' own heads, as the converter finds them (per_layer_config)
        keys["attention.head_count_kv"] = [c["num_key_value_heads"] if s else kv_full for s in swa]
    if c["enable_moe_block"]:
        keys |= {"expert_count": c["num_experts"], "expert_used_count": c["top_k_experts"],
                 "expert_feed_forward_length": c["moe_intermediate_size"]}  # fmt: skip
    return keys


def gemma4_tensors(name, shape, config):
    """Gemma4Model.filter_tensors / modify_tensors: the experts with .weight, router.scale as ffn_gate_inp.scale,
    router.per_expert_scale as ffn_down_exps.scale."""
    block = name.split(".")[2] if name.startswith("model.layers.") else None
    renamed = {"experts.gate_up_proj": "ffn_gate_up_exps.weight", "experts.down_proj": "ffn_down_exps.weight",
               "router.scale": "ffn_gate_inp.scale", "router.per_expert_scale": "ffn_down_exps.scale"}  # fmt: skip
    suffix = next((k for k in renamed if name.endswith(k)), None)
    return [(f"gguf:blk.{block}.{renamed[suffix]}", shape)] if suffix else None


def layer_scalars(config):
    """layer_scalar, a buffer in transformers, stored by the checkpoints: written as layer_output_scale.weight."""
    return {f"blk.{i}.layer_output_scale.weight": (1,) for i in range(config.num_hidden_layers)}


def case(fields):
    return Case("gemma4", "gemma4_text", "Gemma4ForCausalLM", fields, gemma4_keys, gemma4_tensors, extra=layer_scalars,
                standard=False)


CASES = [case(GEMMA4), case(EDGE), case(MOE), case({**MOE, "tie_word_embeddings": False, "num_kv_shared_layers": 1})]


@pytest.mark.parametrize("c", CASES, ids=[case_id(c) for c in CASES])
def test_gemma4_count_and_verify_agree_with_transformers(c, tmp_path, capsys, monkeypatch):
    # the experts routed per token: Gemma 4 calls them top_k_experts (tests/_hf_configs.top_k_of reads the usual name)
    monkeypatch.setattr("tests.gguf_files.top_k_of", lambda config: config.top_k_experts if config.enable_moe_block else None)
    check_case(c, tmp_path, capsys)


def test_a_gemma4_file_whose_last_layer_is_sliding_is_refused(tmp_path, capsys):
    """The sliding pattern says the last layer is sliding; Gemma4TextConfig makes it full: refused, naming the key."""
    bad = Case("gemma4", "gemma4_text", "Gemma4ForCausalLM", GEMMA4,
               lambda c: {**gemma4_keys(c), "attention.sliding_window_pattern": [True, False, False, True]},
               gemma4_tensors, extra=layer_scalars, standard=False)
    path, *_ = write_case(bad, tmp_path / "x.gguf")
    code = main(["count", str(path)])
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "gemma4.attention.sliding_window_pattern: marks the last layer sliding" in line
