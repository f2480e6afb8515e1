"""Pieces shared by the built-in Hugging Face model-type mappings.

Not a plugin (it registers nothing): the pieces of rows (:class:`registry.Row`) most
model types share (reads, shape-free fields, rules of a few lines, :func:`hf_row` with
transformers' generated defaults). Only public API is used: a third-party plugin may import it.
"""

from __future__ import annotations

from collections.abc import Iterable

from registry import ConfigReader, Params, Row, Rule, short_value
from registry.plugins.generated_defaults import DEFAULTS

#: Rotary position settings: no parameters.
ROTARY = ("rope_parameters", "rope_scaling", "rope_theta", "partial_rotary_factor", "max_position_embeddings")
#: Shape-free fields of the Llama-style decoders.
DECODER_SHAPE_FREE = ("hidden_act", "rms_norm_eps", "attention_dropout", "pretraining_tp", *ROTARY)
#: Sliding-window attention settings: they change which tokens are attended, not shapes.
SLIDING = ("sliding_window", "use_sliding_window", "max_window_layers", "layer_types")
#: Router settings of mixture-of-experts configs: losses and noise, no shapes.
ROUTER = ("output_router_logits", "router_aux_loss_coef", "router_jitter_noise", "norm_topk_prob")


def num_labels(cfg: ConfigReader) -> tuple[str, int]:
    """transformers' ``num_labels``, as a (field, value) pair: ``num_labels`` when given (``PreTrainedConfig``
    warns when it disagrees with ``id2label``, then its setter rebuilds ``id2label`` of that length), else the
    length of ``id2label``, else 2."""
    labels = cfg.raw("id2label")
    if labels is not None and (not isinstance(labels, dict) or not labels):
        raise cfg.error("id2label", f"must be a non-empty object of labels (got {short_value(labels)})")
    if cfg.has("num_labels") or labels is None:
        return "num_labels", cfg.int("num_labels", 2)
    return "id2label", len(labels)


def causal_classes(prefix: str) -> tuple[str, ...]:
    """``<prefix>ForCausalLM`` (the usual class) and the bare ``<prefix>Model``."""
    return f"{prefix}ForCausalLM", f"{prefix}Model"


def has_lm_head(cls: str) -> bool:
    """Whether a class has a language-modelling head (every class but the bare ``...Model``)."""
    return not cls.endswith("Model") or cls.endswith("LMHeadModel")


# --- pieces of rows (registry.Row): the reads most decoders share, and rules of a few lines ----------

#: The hyper-parameters every Llama-style decoder reads, and from which fields.
DECODER_READS = {
    "vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
    "n_heads": "num_attention_heads", "tie_word_embeddings": "tie_word_embeddings",
}  # fmt: skip
#: The attention and MLP widths most of them read (a null num_key_value_heads means n_heads).
ATTENTION_READS = {"d_ff": "intermediate_size", "n_kv_heads": "num_key_value_heads?", "head_dim": "head_dim"}
#: One attention_bias switch for the query/key/value and output projections.
ATTENTION_BIAS_READS = {"qkv_bias": "attention_bias", "out_bias": "attention_bias"}


def lm_head(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: a language-modelling head unless the class is the bare ``...Model``."""
    params["lm_head"] = ("architectures", has_lm_head(cls))


def derived_head_dim(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``head_dim`` not given means ``hidden_size // num_attention_heads`` (floored), as transformers derives it."""
    if "head_dim" in params and params["head_dim"][1] is None:
        field, heads = params["n_heads"]
        if heads < 1:  # transformers' hidden_size // num_attention_heads divides by it
            raise cfg.error(field, f"must be at least 1, got {heads}")
        params["head_dim"] = (params["head_dim"][0], params["d_model"][1] // heads)


def heads_divide_width(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the configuration refuses a hidden_size that the query heads do not divide, whatever head_dim says
    (``validate_architecture`` of LlamaConfig, Gemma2Config, Gemma3TextConfig, ArceeConfig, VaultGemmaConfig)."""
    width, heads = params["d_model"][1], params["n_heads"][1]
    if isinstance(heads, int) and heads < 1:
        raise cfg.error("num_attention_heads", f"must be at least 1, got {heads}")
    if width % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size ({width}); transformers' "
                        "configuration refuses it")  # fmt: skip


#: The rules every Llama-style decoder row runs first.
DECODER_RULES = (lm_head, derived_head_dim)


def expect(key: str, allowed: tuple, why: str) -> Rule:
    """Rule factory: refuse ``key`` when the config sets it outside ``allowed`` (``why`` says why)."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> None:
        cfg.expect(key, allowed, why)

    rule.__doc__ = f"Rule: {key} must be one of {allowed!r} ({why})."
    return rule


def remote_class(remote: str, native: str) -> Rule:
    """Rule factory: a config whose ``architectures`` names the remote-code class ``remote`` (its ``auto_map``)
    is counted as transformers' native ``native``, which ``from_pretrained`` builds for the model type without
    ``trust_remote_code`` and which holds the same tensors under the same names; a note says so."""

    def rule(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
        if cls != remote:
            return ()
        return (f"architectures names the remote-code class {remote}: counted as transformers' {native}, "
                "which transformers builds from the file without trust_remote_code (the same tensors under the same names)",)  # fmt: skip

    rule.__doc__ = f"Rule: {remote} (remote code) is counted as transformers' {native}, with a note."
    return rule


#: Rule: transformers 5 builds absolute position embeddings only (BERT-like encoders).
ABSOLUTE_POSITIONS = expect("position_embedding_type", ("absolute",), "transformers 5 builds absolute position embeddings only")


def hf_row(name: str, family: str, classes: tuple[str, ...], reads: dict[str, str], *rules: Rule,
           fixed: dict | None = None, defaults: dict | None = None, shape_free: Iterable[str] = ()) -> Row:  # fmt: skip
    """The :class:`registry.Row` of model type ``name``, with transformers' defaults of its configuration
    (:mod:`registry.plugins.generated_defaults`; ``defaults`` adds fields that are no field of the class)."""
    return Row(name, family, tuple(classes), reads=reads, defaults={**DEFAULTS.get(name, {}), **(defaults or {})},
               fixed=fixed or {}, rules=rules, shape_free=frozenset(shape_free))  # fmt: skip
