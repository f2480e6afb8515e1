"""More model types of transformers 5.25 (2026), as rows of data: granite_swa (``llama``, in
:mod:`registry.plugins.llama`): one :class:`registry.Row` each (config field -> hyper-parameter, transformers'
defaults from :mod:`registry.plugins.generated_defaults`, the switches the type sets), and rules of a few lines
where the logic is real.

GraniteSWA (``GraniteSWAConfig``, IBM's Granite "swash"): Granite's decoder (its multipliers change no shape) with a
learned attention sink per query head in every layer (``self_attn.sinks``), sliding-window and full layers
(``layer_types``; default: full attention in layer 0 and every fourth layer after it) and optional NoPE layers
(``layer_rope_theta``: a theta of 0 drops the rotary embedding, no parameter either way).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.attention_windows import layer_types_params
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import (
    ATTENTION_BIAS_READS, ATTENTION_READS, DECODER_READS, DECODER_RULES, DECODER_SHAPE_FREE, SLIDING, causal_classes,
)  # fmt: skip

#: Granite's scaling multipliers: they scale activations, not shapes.
_GRANITE = frozenset(("embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier"))


def _granite_swa_windows(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (GraniteSWA): ``layer_types`` (default, GraniteSWAConfig.__post_init__: full attention where
    ``i % 4 == 0``, the others slide); the sliding layers attend ``sliding_window`` tokens (null: none slides)."""
    n_layers = params["n_layers"][1]
    window = cfg.int("sliding_window", DEFAULTS["granite_swa"]["sliding_window"], nullable=True)
    types = cfg.raw("layer_types", None)
    if types is None:
        types = ["full_attention" if i % 4 == 0 else "sliding_attention" for i in range(n_layers)]
    found = layer_types_params(cfg, types, n_layers)  # checks the list, windows on or off
    if window is not None:
        params["sliding_window"] = ("sliding_window", window)
        params.update(found)


#: GraniteSWA (GraniteSWAConfig): Granite with per-head attention sinks in every layer and sliding-window layers.
GRANITE_SWA = Row(
    "granite_swa", "llama", causal_classes("GraniteSWA"),
    reads={**DECODER_READS, **ATTENTION_READS, **ATTENTION_BIAS_READS, "mlp_bias": "mlp_bias"},
    # head_dim: no field of GraniteSWAConfig; the attention reads it when the file sets one
    defaults={"head_dim": None, **DEFAULTS["granite_swa"]}, fixed={"attention_sinks": True},
    rules=(*DECODER_RULES, _granite_swa_windows),
    # layer_rope_theta: a theta per layer, 0 for NoPE; no parameter either way
    shape_free=frozenset(DECODER_SHAPE_FREE) | frozenset(SLIDING) | _GRANITE | {"layer_rope_theta"},
    description="GraniteSWA (IBM): Granite with a learned attention sink per head, sliding and full layers",
)  # fmt: skip

#: Every row of this plugin (the module's docstring lists them).
ROWS = (GRANITE_SWA,)


@hookimpl
def register_model_types(register):
    """Map granite_swa (see the module's docstring)."""
    for row in ROWS:
        register(row)
