"""The Hugging Face model type of Gemma 3n's language model, ``gemma3n_text``, as a row of data.

``Gemma3nForCausalLM`` and the bare ``Gemma3nTextModel`` (transformers 5.25,
``configuration_gemma3n.py`` / ``modeling_gemma3n.py``), built by the ``gemma3n`` family
(:mod:`registry.plugins.gemma3n`). Rules cover what ``Gemma3nTextConfig.__post_init__`` checks:
``intermediate_size`` one width or one per layer, ``activation_sparsity_pattern`` one value per
layer; the layer kinds are ``layer_types``, else every fifth layer full.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value
from registry.plugins.attention_windows import windows
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, SLIDING, heads_divide_width

_DEFAULTS = DEFAULTS["gemma3n_text"]


def _widths(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``intermediate_size`` is one whole number, or a list of one per layer (MatFormer)."""
    value, n_layers = cfg.raw("intermediate_size", _DEFAULTS["intermediate_size"]), params["n_layers"][1]
    whole = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int) and not isinstance(v, bool)]
    if not whole or len(whole) != (len(value) if isinstance(value, list) else 1) or min(whole) < 1:
        raise cfg.error("intermediate_size", f"must be a positive whole number or a list of them (got {short_value(value)})")
    if isinstance(value, list) and len(value) != n_layers:
        raise cfg.error("intermediate_size", f"lists {len(value)} widths, num_hidden_layers is {n_layers}")
    params["d_ff"] = ("intermediate_size", value if isinstance(value, list) and len(set(value)) > 1 else whole[0])


def _sparsity(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``activation_sparsity_pattern`` (no tensor) must list one number per layer, as the configuration
    checks (absent or null: transformers' default)."""
    value, n_layers = cfg.raw("activation_sparsity_pattern", None), params["n_layers"][1]
    if value is None:
        return
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise cfg.error("activation_sparsity_pattern", f"must be a list of numbers, one per layer (got {short_value(value)})")
    if len(value) != n_layers:
        raise cfg.error("activation_sparsity_pattern", f"lists {len(value)} values, num_hidden_layers is {n_layers}")


def _window(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``sliding_window`` is a whole number (the configuration's field is not optional)."""
    if cfg.has("sliding_window") and cfg.raw("sliding_window") is None:
        raise cfg.error("sliding_window", "must not be null (transformers cannot build the model with null)")


#: Gemma 3n's fields that change no shape (softcapping, AltUp's clip and active copy, activation sparsity).
_SHAPE_FREE = frozenset((*DECODER_SHAPE_FREE, *SLIDING, "hidden_activation", "final_logit_softcapping",
                         "rope_local_base_freq", "altup_active_idx", "altup_coef_clip", "altup_correct_scale",
                         "activation_sparsity_pattern"))  # fmt: skip

#: The row (the module's docstring says it).
GEMMA3N_TEXT = Row(
    "gemma3n_text", "gemma3n", ("Gemma3nForCausalLM", "Gemma3nTextModel"),
    reads={**DECODER_READS, "n_kv_heads": "num_key_value_heads", "head_dim": "head_dim",
           "attention_bias": "attention_bias", "per_layer_vocab_size": "vocab_size_per_layer_input",
           "per_layer_dim": "hidden_size_per_layer_input", "altup_inputs": "altup_num_inputs",
           "laurel_rank": "laurel_rank", "kv_shared_layers": "num_kv_shared_layers"},
    defaults=_DEFAULTS,
    rules=(*DECODER_RULES, heads_divide_width, _widths, _sparsity, _window,
           windows("types", _DEFAULTS["sliding_window"], pattern=5)),
    shape_free=_SHAPE_FREE,
    description="Gemma 3n's language model (AltUp, LAuReL, per-layer embeddings, shared keys and values)",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``gemma3n_text``."""
    register(GEMMA3N_TEXT)
