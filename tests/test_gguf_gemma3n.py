"""llama.cpp's ``gemma3n`` GGUF architecture (plugins/gguf_gemma3n.py) counts and verifies exactly.

Reference: transformers' meta ``Gemma3nForCausalLM`` of a small config; the GGUF file is written from it as
llama.cpp's converter writes one (tests/gguf_files.py: gguf-py 0.19's ``TensorNameMap``; ``Gemma3NModel`` of
``convert_hf_to_gguf.py``: the AltUp projections stacked into ``altup_proj`` / ``altup_unembd_proj``,
``correct_output_scale`` stored as ``altup_correct_scale.weight``, its keys ``altup.num_inputs``,
``embedding_length_per_layer_input``, ``attention.shared_kv_layers``, ``attention.sliding_window_pattern``).
"""

from __future__ import annotations

import pytest

from tests.gguf_files import Case, case_id, check_case

gguf = pytest.importorskip("gguf")

SMALL = {"vocab_size": 64, "vocab_size_per_layer_input": 64, "hidden_size": 16, "num_attention_heads": 2,
         "num_key_value_heads": 1, "head_dim": 8, "hidden_size_per_layer_input": 4, "laurel_rank": 3,
         "sliding_window": 8, "pad_token_id": 0}  # fmt: skip


def keys(config):
    """What Gemma3NModel.set_gguf_parameters adds to Gemma 3's keys (the sparsity scale: no shape)."""
    return {"attention.sliding_window": config.sliding_window, "altup.active_idx": config.altup_active_idx,
            "altup.num_inputs": config.altup_num_inputs,
            "embedding_length_per_layer_input": config.hidden_size_per_layer_input,
            "attention.shared_kv_layers": config.num_kv_shared_layers,
            "attention.sliding_window_pattern": [t == "sliding_attention" for t in config.layer_types],
            "feed_forward_length": list(config.intermediate_size)}  # fmt: skip


def converted(name, shape, config):
    """Gemma3NModel.modify_tensors: the AltUp projections stacked (n - 1, d, d), the scale named ``.weight``."""
    for hf, gguf_name in (("model.altup_projections.", "altup_proj"), ("model.altup_unembed_projections.", "altup_unembd_proj")):
        if name.startswith(hf):
            return [(f"gguf:{gguf_name}.weight", (config.altup_num_inputs - 1, *shape))] if name.startswith(hf + "0.") else []
    if name.endswith("altup.correct_output_scale"):
        return [(f"gguf:blk.{name.split('.')[2]}.altup_correct_scale.weight", shape)]
    return None


def shared_kv(config):
    """The shared layers' k_proj, v_proj and k_norm, which the published checkpoints (and so the converted files)
    hold and transformers does not build (``_keys_to_ignore_on_load_unexpected``)."""
    kv, d = config.num_key_value_heads * config.head_dim, config.hidden_size
    first = config.num_hidden_layers - config.num_kv_shared_layers
    return {name: shape for i in range(first, config.num_hidden_layers) for name, shape in (
        (f"blk.{i}.attn_k.weight", (kv, d)), (f"blk.{i}.attn_v.weight", (kv, d)),
        (f"blk.{i}.attn_k_norm.weight", (config.head_dim,)))}


CASES = [
    Case("gemma3n", "gemma3n_text", "Gemma3nForCausalLM", {**SMALL, "num_hidden_layers": 5, "intermediate_size": 24,
         "num_kv_shared_layers": 0}, keys=keys, reshape=converted),
    Case("gemma3n", "gemma3n_text", "Gemma3nForCausalLM", {**SMALL, "num_hidden_layers": 4, "intermediate_size": [24, 32, 24, 40],
         "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
         "num_kv_shared_layers": 2}, keys=keys, reshape=converted, extra=shared_kv),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_gemma3n_gguf(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)
