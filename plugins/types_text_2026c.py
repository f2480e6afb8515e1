"""Text model types of 2026, third set: hrm_text (Sapient's HRM-Text) on the ``hrm-text`` family
(:mod:`registry.plugins.hrm_text`), one :class:`registry.Row` (config field -> hyper-parameter, transformers' defaults
from :mod:`registry.plugins.generated_defaults`) and a rule of a few lines where the logic is real.

HRM-Text's configuration (``HrmTextConfig``, transformers 5.25) takes the layers of ONE stack as
``num_hidden_layers`` on first construction and rewrites it to ``num_layers_per_stack × H_cycles × (L_cycles + 1)``
(one cache slot per attention call), keeping the real count in ``num_layers_per_stack``; a config transformers has
saved gives both, a published remote-code-era file only the first. Its attention always has as many key/value heads
as query heads, whatever ``num_key_value_heads`` a file gives (the published file gives it; the class has no such
field).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import DECODER_READS, ROTARY, causal_classes, heads_divide_width, lm_head


def _layers_per_stack(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (HRM-Text): a config that gives ``num_layers_per_stack`` (one transformers saved) counts the layers of a
    stack there, its ``num_hidden_layers`` being the layers times the cycles; otherwise ``num_hidden_layers`` is the
    count of one stack (``HrmTextConfig.__post_init__``)."""
    per_stack = cfg.int("num_layers_per_stack", None, nullable=True)
    if per_stack is not None:
        params["n_layers"] = ("num_layers_per_stack", per_stack)


#: HRM-Text's fields that change no shape: the cycles (they reuse the two stacks), the embedding's scale, the
#: PrefixLM mask, norms without parameters, and the key/value heads a remote-code-era file gives (always n_heads).
_HRM_FREE = frozenset((
    "H_cycles", "L_cycles", "L_bp_cycles", "embedding_scale", "prefix_lm", "hidden_act", "rms_norm_eps",
    "attention_dropout", "num_key_value_heads", *ROTARY,
))  # fmt: skip

HRM_TEXT = Row(
    "hrm_text", "hrm-text", causal_classes("HrmText"),
    reads={**DECODER_READS, "head_dim": "head_dim", "d_ff": "intermediate_size", "attention_bias": "attention_bias",
           "mlp_bias": "mlp_bias"},
    defaults=DEFAULTS["hrm_text"], rules=(lm_head, heads_divide_width, _layers_per_stack), shape_free=_HRM_FREE,
    description="HRM-Text (transformers' hrm_text: two stacks of gated-attention layers run in cycles)",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map hrm_text (see the module's docstring)."""
    register(HRM_TEXT)
