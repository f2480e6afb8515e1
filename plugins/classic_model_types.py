"""Classic GPT-style Hugging Face model types, as rows of data for the ``gpt-style`` family.

gpt_neo (local attention: no parameters of its own), codegen, persimmon, mpt, xglm and biogpt:
one :class:`registry.Row` each (config field -> hyper-parameter of
:class:`~registry.plugins.gpt_style.GPTStyleParams`, transformers' defaults from
:mod:`registry.plugins.generated_defaults`, the switches the type sets). Sources:
transformers 5.25's ``configuration_<type>.py`` and ``modeling_<type>.py``.
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import ROTARY, causal_classes, lm_head, remote_class

FAMILY = "gpt-style"
_DROPOUTS = ("resid_pdrop", "embd_pdrop", "attn_pdrop", "attention_dropout", "hidden_dropout", "dropout",
             "activation_dropout", "layerdrop", "resid_dropout", "embed_dropout", "classifier_dropout", "emb_pdrop",
             "hidden_dropout_prob", "attention_probs_dropout_prob")  # fmt: skip
_FREE = (*_DROPOUTS, "activation_function", "hidden_act", "layer_norm_epsilon", "layer_norm_eps", "init_std",
         "initializer_range", "scale_embedding", *ROTARY)  # fmt: skip


def _mpt(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (MPT): transformers builds a 4 × d_model MLP and no biases whatever expansion_ratio and
    no_bias say; a config asking for others is refused rather than counted wrong."""
    why = "transformers' MptMLP is always 4 × d_model wide"
    cfg.expect("expansion_ratio", [4], why)
    cfg.expect("no_bias", [True], "transformers builds MPT without biases whatever no_bias says")
    attn = cfg.raw("attn_config")
    if cls == "MPTForCausalLM" and isinstance(attn, dict):  # mosaicml's remote code adds tensors for these
        for key, native, extra in (("alibi", True, "learned positions (wpe)"), ("qk_ln", False, "q_ln and k_ln")):
            if attn.get(key, native) != native:
                raise cfg.error("attn_config", f"{key}: {attn[key]!r}: the remote-code MPTForCausalLM then holds "
                                f"{extra}, which transformers' MptForCausalLM has not; registry cannot count it")  # fmt: skip


def _xglm(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (XGLM): its sinusoidal positions divide by half the width less one (XGLMSinusoidalPositionalEmbedding),
    so transformers cannot build a d_model under 4; refused rather than counted."""
    field, width = params["d_model"]
    if width < 4:
        raise cfg.error(field, f"must be >= 4: XGLM's sinusoidal positions divide by d_model / 2 - 1 (got {width})")


def _row(name: str, prefix: str, reads: dict, fixed: dict, shape_free=(), rules=(), classes=None) -> Row:
    return Row(
        name, FAMILY, classes or causal_classes(prefix),
        reads={"vocab_size": "vocab_size", "tie_word_embeddings": "tie_word_embeddings", **reads},
        defaults=DEFAULTS[name], fixed={"layout": name, **fixed}, rules=(lm_head, *rules),
        shape_free=frozenset((*_FREE, *shape_free)),
    )  # fmt: skip


#: Every row of this plugin (the module's docstring lists them).
ROWS = (
    _row("gpt_neo", "GPTNeo", {
        "d_model": "hidden_size", "n_layers": "num_layers|num_hidden_layers",
        "n_heads": "num_heads|num_attention_heads", "d_ff": "intermediate_size?", "n_positions": "max_position_embeddings",
    }, {"positions": "learned", "qkv_bias": False}, ("attention_types", "attention_layers", "window_size")),  # fmt: skip
    _row("codegen", "CodeGen", {
        "d_model": "n_embd|hidden_size", "n_layers": "n_layer|num_hidden_layers",
        "n_heads": "n_head|num_attention_heads", "d_ff": "n_inner?",
    }, {"fused_qkv": True, "qkv_bias": False, "out_bias": False, "parallel_residual": True, "shared_norm": True,
        "lm_head_bias": True}, ("n_positions", "max_position_embeddings", "n_ctx", "rotary_dim")),  # fmt: skip
    _row("persimmon", "Persimmon", {
        "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
        "d_ff": "intermediate_size", "qk_norm": "qk_layernorm",
    }, {"fused_qkv": True}),  # fmt: skip
    _row("mpt", "Mpt", {
        "d_model": "d_model|hidden_size", "n_layers": "n_layers|num_hidden_layers", "n_heads": "n_heads|num_attention_heads",
    }, {"positions": "alibi", "fused_qkv": True, "qkv_bias": False, "out_bias": False, "mlp_bias": False,
        "norm_bias": False}, ("max_seq_len", "learned_pos_emb", "attn_config", "init_device", "logit_scale",
                              "embedding_fraction", "norm_type", "verbose"), (_mpt, remote_class("MPTForCausalLM", "MptForCausalLM")),
         # mosaicml's published configs name their remote-code class; transformers' MptForCausalLM loads those
         # checkpoints as they are (MptConfig documents mosaicml/mpt-7b; no key renames in transformers)
         (*causal_classes("Mpt"), "MPTForCausalLM")),  # fmt: skip
    _row("xglm", "XGLM", {
        "d_model": "d_model|hidden_size", "n_layers": "num_layers|num_hidden_layers",
        "n_heads": "attention_heads|num_attention_heads", "d_ff": "ffn_dim",
    }, {"positions": "sinusoidal"}, ("max_position_embeddings", "decoder_start_token_id"), (_xglm,)),  # fmt: skip
    _row("biogpt", "BioGpt", {
        "d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
        "d_ff": "intermediate_size", "n_positions": "max_position_embeddings",
    }, {"positions": "learned", "position_offset": 2}),  # fmt: skip
)


@hookimpl
def register_model_types(register):
    """Map gpt_neo, codegen, persimmon, mpt, xglm and biogpt to the gpt-style family."""
    for row in ROWS:
        register(row)
