"""Hugging Face model types of the ``encoder`` family: roberta, distilbert, albert, deberta-v2,
modernbert and electra, each mapped field by field with transformers 5's defaults.

Each mapping is a table of config field -> family hyper-parameter, plus the few rules of
its ``modeling_<type>.py`` that decide which tensors exist (read from transformers'
sources: ``getattr(config, ...)`` fields of DeBERTa-v2 that its configuration class does
not declare are read too).
"""

from __future__ import annotations

from typing import Any

from registry import hookimpl
from registry import ConfigReader, short_value as short
from registry import Mapped, ModelType, Params
from registry.plugins.hf_common import num_labels

_DROPOUTS = ("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps")
_ABSOLUTE = "transformers 5 builds absolute position embeddings only"


def _common(cfg: ConfigReader, layout: str, cls: str, defaults: dict[str, int]) -> Params:
    """The fields BERT-like configs share, with this model type's defaults."""
    return {
        "layout": ("model_type", layout),
        "head": ("architectures", _head(cls)),
        "vocab_size": ("vocab_size", cfg.int("vocab_size", defaults["vocab_size"])),
        "d_model": ("hidden_size", cfg.int("hidden_size", defaults["hidden_size"])),
        "n_layers": ("num_hidden_layers", cfg.int("num_hidden_layers", defaults["num_hidden_layers"])),
        "n_heads": ("num_attention_heads", cfg.int("num_attention_heads", defaults["num_attention_heads"])),
        "d_ff": ("intermediate_size", cfg.int("intermediate_size", defaults["intermediate_size"])),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }


def _head(cls: str) -> str:
    if cls.endswith("ForMaskedLM"):
        return "mlm"
    return "pretraining" if cls.endswith("ForPreTraining") else "none"


def _positions(cfg: ConfigReader, default: int = 512) -> Params:
    return {
        "n_positions": ("max_position_embeddings", cfg.int("max_position_embeddings", default)),
        "type_vocab_size": ("type_vocab_size", cfg.int("type_vocab_size", 2, minimum=0)),
    }


def _map_roberta(cfg: ConfigReader, cls: str) -> Mapped:
    # position rows are max_position_embeddings as given: it already counts padding_idx + 1 (514 = 512 + 2)
    cfg.expect("position_embedding_type", ("absolute",), _ABSOLUTE)
    defaults = dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    params = _common(cfg, "roberta", cls, defaults) | _positions(cfg)
    params["pooler"] = ("architectures", cls == "RobertaModel")
    return Mapped("encoder", params)


def _aliased(cfg: ConfigReader, key: str, alias: str, default: int) -> tuple[str, int]:
    """(the field the value came from, the value) of a field also accepted under ``attribute_map``'s alias."""
    if cfg.has(key) and cfg.has(alias) and cfg.data[key] != cfg.data[alias]:
        raise cfg.error(alias, f"disagrees with {key} ({short(cfg.data[key])}): the value is ambiguous")
    name = alias if cfg.has(alias) and not cfg.has(key) else key
    value = cfg.int(name, default)
    cfg.raw(alias if name == key else key)
    return name, value


def _map_distilbert(cfg: ConfigReader, cls: str) -> Mapped:
    params: Params = {
        "layout": ("model_type", "distilbert"),
        "head": ("architectures", _head(cls)),
        "vocab_size": ("vocab_size", cfg.int("vocab_size", 30522)),
        "d_model": _aliased(cfg, "dim", "hidden_size", 768),
        "n_layers": _aliased(cfg, "n_layers", "num_hidden_layers", 6),
        "n_heads": _aliased(cfg, "n_heads", "num_attention_heads", 12),
        "d_ff": ("hidden_dim", cfg.int("hidden_dim", 3072)),
        "n_positions": ("max_position_embeddings", cfg.int("max_position_embeddings", 512)),
        "type_vocab_size": ("model_type", 0),
        "tie_word_embeddings": ("tie_word_embeddings", cfg.bool("tie_word_embeddings", True)),
    }
    # sinusoidal_pos_embds only fills the position table: it is a parameter all the same
    cfg.bool("sinusoidal_pos_embds", False)
    return Mapped("encoder", params)


def _map_albert(cfg: ConfigReader, cls: str) -> Mapped:
    cfg.expect("position_embedding_type", ("absolute",), _ABSOLUTE)
    defaults = dict(vocab_size=30000, hidden_size=4096, num_hidden_layers=12, num_attention_heads=64, intermediate_size=16384)
    params = _common(cfg, "albert", cls, defaults) | _positions(cfg)
    params |= {
        "embedding_size": ("embedding_size", cfg.int("embedding_size", 128)),
        "n_groups": ("num_hidden_groups", cfg.int("num_hidden_groups", 1)),
        "inner_group_num": ("inner_group_num", cfg.int("inner_group_num", 1)),
        "pooler": ("architectures", cls != "AlbertForMaskedLM"),
    }
    if cls == "AlbertForPreTraining":  # the sentence-order classifier has num_labels outputs
        params["n_labels"] = num_labels(cfg)
    return Mapped("encoder", params)


def _name_list(cfg: ConfigReader, key: str, default: Any) -> list[str]:
    """A ``"a|b"`` string (split, stripped, lower-cased as transformers does) or a list of strings."""
    value = cfg.raw(key, default)
    if value is None:
        return []
    if isinstance(value, str):
        return [x.strip() for x in value.lower().split("|")]
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return list(value)
    raise cfg.error(key, f"must be a string such as \"p2c|c2p\" or a list of strings (got {short(value)})")


def _whole(cfg: ConfigReader, key: str, default: int) -> int:
    """Any whole number (negative ones mean "not set" in DeBERTa's configs)."""
    value = cfg.raw(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise cfg.error(key, f"must be a whole number (got {short(value)})")
    return value


def _map_deberta_v2(cfg: ConfigReader, cls: str) -> Mapped:
    defaults = dict(vocab_size=128100, hidden_size=1536, num_hidden_layers=24, num_attention_heads=24, intermediate_size=6144)
    params = _common(cfg, "deberta", cls, defaults)
    d, heads = params["d_model"][1], params["n_heads"][1]
    positions = cfg.int("max_position_embeddings", 512)
    biased = cfg.bool("position_biased_input", True)
    params |= {
        "n_positions": ("position_biased_input", positions if biased else 0),
        "type_vocab_size": ("type_vocab_size", cfg.int("type_vocab_size", 0, minimum=0)),
        "embedding_size": ("embedding_size", cfg.int("embedding_size", d)),
        "legacy_head": ("legacy", cfg.bool("legacy", True)),
    }
    if cfg.has("attention_head_size") and cfg.int("attention_head_size", None) != d // heads:
        raise cfg.error("attention_head_size", "must be hidden_size / num_attention_heads: transformers' attention "
                        "output projection is hidden_size wide, so its model could not run with another width")  # fmt: skip
    relative = cfg.bool("relative_attention", False)
    max_relative = _whole(cfg, "max_relative_positions", -1)
    buckets = _whole(cfg, "position_buckets", -1)
    attention_types = _name_list(cfg, "pos_att_type", None)
    share = cfg.bool("share_att_key", False)
    if relative:  # DebertaV2Encoder: 2 x buckets rows, else 2 x max_relative_positions (max_position_embeddings if < 1)
        rows = 2 * buckets if buckets > 0 else 2 * (max_relative if max_relative >= 1 else positions)
        params["relative_positions"] = ("relative_attention", rows)
        params["pos_key_proj"] = ("pos_att_type", not share and "c2p" in attention_types)
        params["pos_query_proj"] = ("pos_att_type", not share and "p2c" in attention_types)
    params["rel_norm"] = ("norm_rel_ebd", "layer_norm" in _name_list(cfg, "norm_rel_ebd", "none"))
    kernel = _whole(cfg, "conv_kernel_size", 0)
    if kernel > 0:
        params["conv_kernel_size"] = ("conv_kernel_size", kernel)
        params["conv_groups"] = ("conv_groups", cfg.int("conv_groups", 1))
    return Mapped("encoder", params)


def _map_modernbert(cfg: ConfigReader, cls: str) -> Mapped:
    defaults = dict(vocab_size=50368, hidden_size=768, num_hidden_layers=22, num_attention_heads=12, intermediate_size=1152)
    params = _common(cfg, "modernbert", cls, defaults)
    params |= {
        "n_positions": ("model_type", 0),  # rotary positions: no table
        "type_vocab_size": ("model_type", 0),
        "norm_bias": ("norm_bias", cfg.bool("norm_bias", False)),
        "attention_bias": ("attention_bias", cfg.bool("attention_bias", False)),
        "mlp_bias": ("mlp_bias", cfg.bool("mlp_bias", False)),
        "head_bias": ("classifier_bias", cfg.bool("classifier_bias", False)),
        "decoder_bias": ("decoder_bias", cfg.bool("decoder_bias", True)),
    }
    return Mapped("encoder", params)


def _map_electra(cfg: ConfigReader, cls: str) -> Mapped:
    cfg.expect("position_embedding_type", ("absolute",), _ABSOLUTE)
    defaults = dict(vocab_size=30522, hidden_size=256, num_hidden_layers=12, num_attention_heads=4, intermediate_size=1024)
    params = _common(cfg, "electra", cls, defaults) | _positions(cfg)
    params["embedding_size"] = ("embedding_size", cfg.int("embedding_size", 128))
    return Mapped("encoder", params)


#: Shape-free fields of each model type's configuration (and of its published configs).
_SHAPE_FREE = {
    "roberta": (*_DROPOUTS, "classifier_dropout"),
    "distilbert": ("dropout", "attention_dropout", "activation", "qa_dropout", "seq_classif_dropout"),
    "albert": (*_DROPOUTS, "classifier_dropout_prob"),
    "deberta-v2": (*_DROPOUTS, "pooler_dropout", "pooler_hidden_act", "pooler_hidden_size", "conv_act"),
    "modernbert": (
        "hidden_activation", "max_position_embeddings", "initializer_cutoff_factor", "norm_eps", "cls_token_id",
        "attention_dropout", "layer_types", "rope_parameters", "local_attention", "embedding_dropout", "mlp_dropout",
        "classifier_pooling", "classifier_dropout", "classifier_activation", "deterministic_flash_attn",
        "sparse_prediction", "sparse_pred_ignore_index", "global_attn_every_n_layers", "global_rope_theta",
        "local_rope_theta", "reference_compile", "repad_logits_with_grad",
        "layer_norm_eps", "position_embedding_type",  # in the published configs; ModernBertConfig ignores them
    ),
    "electra": (*_DROPOUTS, "classifier_dropout", "summary_type", "summary_use_proj", "summary_activation",
                "summary_last_dropout"),
}  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map roberta, distilbert, albert, deberta-v2, modernbert and electra to the ``encoder`` family."""
    table = (
        ("roberta", ("RobertaForMaskedLM", "RobertaModel"), _map_roberta),
        ("distilbert", ("DistilBertForMaskedLM", "DistilBertModel"), _map_distilbert),
        ("albert", ("AlbertForMaskedLM", "AlbertModel", "AlbertForPreTraining"), _map_albert),
        ("deberta-v2", ("DebertaV2ForMaskedLM", "DebertaV2Model"), _map_deberta_v2),
        ("modernbert", ("ModernBertForMaskedLM", "ModernBertModel"), _map_modernbert),
        ("electra", ("ElectraForPreTraining", "ElectraModel", "ElectraForMaskedLM"), _map_electra),
    )
    for name, classes, mapping in table:
        register(ModelType(name, classes, mapping, frozenset(_SHAPE_FREE[name])))
