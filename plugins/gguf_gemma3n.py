"""llama.cpp's ``gemma3n`` GGUF architecture (Gemma 3n's language model) as a row of data.

Where the keys and names come from: llama.cpp's ``convert_hf_to_gguf.py`` (``Gemma3NModel``, as a copy of that
file in the search index has it; ggml-org/llama.cpp's snapshot was too large to fetch: Gemma 3's keys, then
``altup.active_idx``, ``altup.num_inputs``, ``embedding_length_per_layer_input``, ``attention.shared_kv_layers``,
``activation_sparsity_scale`` and ``attention.sliding_window_pattern``, one boolean a layer, true where the layer
slides) and gguf-py 0.19's ``MODEL_TENSORS[GEMMA3N]`` and ``TensorNameMap`` for the tensor names. The converter
stacks the n - 1 ``altup_projections`` (and ``altup_unembed_projections``) into one ``altup_proj`` tensor
(``altup_unembd_proj``) of ``(n - 1, d, d)``: read as the checkpoint's n - 1 tensors. It writes
``intermediate_size`` as given (a list of one width per layer in the published configs), so the widths are read
from each block's ``ffn_up`` rows, LAuReL's rank from ``laurel_l``'s and the per-layer vocabulary from
``per_layer_token_embd``'s; llama.cpp pads that table with zero rows up to ``vocab_size`` (262,144 to 262,400 for
the published models), so a converted file counts those rows (256 × layers × per-layer width more than
transformers' model of the original config), as the file holds them. The last ``shared_kv_layers`` blocks' key and
value projections and key norms are in the file (transformers drops them on loading): the family declares them.
"""

from __future__ import annotations

from typing import Any

from registry import GgufArchitecture, GgufArray, GgufMetadata, hookimpl
from registry.plugins.gguf_decoders import ATTENTION, MLP, QK_NORM, SANDWICH, TIED, TOP

#: The per-layer inputs, AltUp and LAuReL tensors (gguf-py's names for Gemma3nTextModel's).
_GEMMA3N_TENSORS = {
    "per_layer_token_embd": "model.embed_tokens_per_layer", "per_layer_model_proj": "model.per_layer_model_projection",
    "per_layer_proj_norm": "model.per_layer_projection_norm", "altup_proj": "model.altup_projections.{e}",
    "altup_unembd_proj": "model.altup_unembed_projections.{e}",
    "inp_gate": "per_layer_input_gate", "proj": "per_layer_projection", "post_norm": "post_per_layer_input_norm",
    "altup_correct_coef": "altup.correction_coefs", "altup_correct_scale.weight": "altup.correct_output_scale",
    "altup_predict_coef": "altup.prediction_coefs", "altup_router": "altup.modality_router",
    "altup_router_norm": "altup.router_norm", "laurel_l": "laurel.linear_left", "laurel_r": "laurel.linear_right",
    "laurel_post_norm": "laurel.post_laurel_norm",
}  # fmt: skip


def _rows(meta: GgufMetadata, tensor: str) -> int:
    rows = meta.rows(tensor)
    if rows is None:
        raise meta.error(tensor, "missing: its rows give a width of the model")
    return rows


def _gemma3n(meta: GgufMetadata, config: dict[str, Any]) -> None:
    """Rule (Gemma 3n): the layer kinds from ``sliding_window_pattern``, the widths from the tensors' rows, AltUp's
    copies from ``altup.num_inputs``."""
    n = config["num_hidden_layers"]
    widths = [_rows(meta, f"blk.{i}.ffn_up.weight") for i in range(n)]
    config["intermediate_size"] = widths if len(set(widths)) > 1 else widths[0]
    config["laurel_rank"] = _rows(meta, "blk.0.laurel_l.weight")
    config["vocab_size_per_layer_input"] = _rows(meta, "per_layer_token_embd.weight")
    key = f"{meta.arch}.attention.sliding_window_pattern"
    pattern = meta.data.get(key)
    if pattern is not None:
        items = pattern.items if isinstance(pattern, GgufArray) else None
        if items is None or len(items) != n or any(not isinstance(v, bool) for v in items):
            raise meta.error(key, f"must list {n} booleans, one per layer (block_count)")
        config["layer_types"] = ["sliding_attention" if v else "full_attention" for v in items]


#: The row (the module's docstring says where it comes from).
GEMMA3N = GgufArchitecture(
    "gemma3n", description="Gemma 3n's language model (AltUp, LAuReL, per-layer embeddings, shared keys and values)",
    model_type="gemma3n_text", classes=("Gemma3nForCausalLM",),
    keys={"block_count": "num_hidden_layers", "embedding_length": "hidden_size",
          "attention.head_count": "num_attention_heads", "attention.head_count_kv": "num_key_value_heads",
          "attention.key_length": "head_dim", "attention.sliding_window?": "sliding_window",
          "attention.shared_kv_layers?": "num_kv_shared_layers", "altup.num_inputs": "altup_num_inputs",
          "embedding_length_per_layer_input": "hidden_size_per_layer_input"},
    tensors={**TOP, **ATTENTION, **QK_NORM, **MLP, **SANDWICH, **_GEMMA3N_TENSORS}, presence=TIED, rule=_gemma3n,
)  # fmt: skip


@hookimpl
def register_gguf_architectures(register):
    """llama.cpp's ``gemma3n``."""
    register(GEMMA3N)
