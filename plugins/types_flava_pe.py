"""FLAVA (``flava``), as data on the ``flava`` family.

* ``flava`` (``FlavaForPreTraining``, ``FlavaModel``; ``modeling_flava.py`` of transformers 5.25; facebook/flava-full):
  each tower read from its sub-config (``text_config``, ``image_config``, ``multimodal_config``, and for pre-training
  ``image_codebook_config``) as a row of the ``flava`` family, unless the legacy ``<tower>_config_dict`` is given (not
  null): ``FlavaConfig.__post_init__`` then rebuilds the tower from that dict alone over the tower's defaults,
  overwriting ``<tower>_config`` (facebook/flava-full gives ``{}``: every tower at its defaults). The top level's
  ``projection_dim``, ``hidden_size`` (the image-text matching head's width), ``init_codebook`` (whether
  ``FlavaForPreTraining`` builds the codebook) and ``tie_word_embeddings`` (false: each masked-prediction head keeps
  its own bias beside its decoder's). The towers' own model types (``flava_text_model``, ``flava_image_model``,
  ``flava_multimodal_model``) are not mapped alone: no published config of them was found (they are nested in
  flava-full's); ``flava_image_codebook`` is (``types_paddle_2026``).
"""

from __future__ import annotations

from registry import ConfigReader, Mapped, ModelType, Params, Row, hookimpl, short_value
from registry.plugins.flava import FlavaParams
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import _tower, tower_config

_SHAPE_FREE = frozenset(("hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                         "layer_norm_eps"))  # fmt: skip
_ENCODER = {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
            "d_ff": "intermediate_size", "qkv_bias": "qkv_bias"}  # fmt: skip


def _reads(prefix: str, extra: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}_{k}": v for k, v in _ENCODER.items()} | extra


def _pair(cfg: ConfigReader, key: str, default: int) -> list[int]:
    """``image_size`` or ``patch_size``: a whole number (a square) or a pair (``PatchEmbeddings``)."""
    value = cfg.raw(key, default)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return [value, value]
    if isinstance(value, list) and len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                                                          for x in value):  # fmt: skip
        return list(value)
    raise cfg.error(key, f"{short_value(value)}: must be a whole number >= 1 or a pair of them")


def _image_sizes(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (FLAVA's image tower): ``image_size`` and ``patch_size``, each a number or a pair."""
    defaults = DEFAULTS["flava_image_model"]
    params["image_size"] = ("image_size", _pair(cfg, "image_size", defaults["image_size"]))
    params["patch_size"] = ("patch_size", _pair(cfg, "patch_size", defaults["patch_size"]))


def _codebook_groups(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (FLAVA's codebook): ``num_groups`` >= 1 (``FlavaImageCodebookBlock`` divides by it); no shape."""
    cfg.int("num_groups", DEFAULTS["flava_image_codebook"]["num_groups"])


#: The towers as FlavaConfig's sub-configs say them (read for the model; not model types of their own).
_TEXT = Row("flava_text_model", "flava", ("FlavaTextModel",),
            reads=_reads("text", {"text_vocab_size": "vocab_size", "text_n_positions": "max_position_embeddings",
                                  "text_type_vocab_size": "type_vocab_size"}),
            defaults=DEFAULTS["flava_text_model"], shape_free=_SHAPE_FREE | {"pad_token_id"})  # fmt: skip
_IMAGE = Row("flava_image_model", "flava", ("FlavaImageModel",),
             reads=_reads("image", {"image_n_channels": "num_channels", "image_mask_token": "mask_token",
                                    "image_vocab_size": "vocab_size"}),
             defaults=DEFAULTS["flava_image_model"], rules=(_image_sizes,), shape_free=_SHAPE_FREE)  # fmt: skip
_MULTIMODAL = Row("flava_multimodal_model", "flava", ("FlavaMultimodalModel",),
                  reads=_reads("mm", {"mm_cls_token": "use_cls_token"}), defaults=DEFAULTS["flava_multimodal_model"],
                  shape_free=_SHAPE_FREE)  # fmt: skip
_CODEBOOK = Row("flava_image_codebook", "flava", ("FlavaImageCodebook",),
                reads={"codebook_d_model": "hidden_size", "codebook_n_channels": "input_channels",
                       "codebook_n_blocks": "num_blocks_per_group", "codebook_vocab_size": "vocab_size"},
                defaults=DEFAULTS["flava_image_codebook"], rules=(_codebook_groups,),
                shape_free=frozenset(("freeze", "initializer_range")))  # fmt: skip

_CLASSES = {"FlavaForPreTraining": "pretraining", "FlavaModel": "none"}


def _map_flava(cfg: ConfigReader, cls: str) -> Mapped:
    """FLAVA: the three towers (and the codebook for pre-training), each from its sub-config or its legacy
    ``<tower>_config_dict``; the projections' and heads' widths from the top level."""
    fields, defaults = FlavaParams.model_fields, DEFAULTS["flava"]
    params: Params = {"head": ("architectures", _CLASSES[cls])}
    for part, row in (("text", _TEXT), ("image", _IMAGE), ("multimodal", _MULTIMODAL)):
        params |= _tower(cfg, tower_config(cfg, part), row, cls, fields)
    params["projection_dim"] = ("projection_dim", cfg.int("projection_dim", defaults["projection_dim"]))
    params["itm_d_model"] = ("hidden_size", cfg.int("hidden_size", defaults["hidden_size"]))
    params["tied_biases"] = ("tie_word_embeddings", cfg.bool("tie_word_embeddings", defaults["tie_word_embeddings"]))
    params["codebook"] = ("init_codebook", cfg.bool("init_codebook", defaults["init_codebook"]))
    if _CLASSES[cls] == "pretraining" and params["codebook"][1]:
        params |= _tower(cfg, tower_config(cfg, "image_codebook"), _CODEBOOK, cls, fields)
    return Mapped("flava", params)


FLAVA = ModelType(
    "flava", tuple(_CLASSES), _map_flava,
    frozenset(("text_config", "image_config", "multimodal_config", "image_codebook_config", "text_config_dict",
               "image_config_dict", "multimodal_config_dict", "image_codebook_config_dict", "layer_norm_eps",
               "logit_scale_init_value", "initializer_range", "initializer_factor", "ce_ignore_index", "mim_weight",
               "mlm_weight", "global_contrastive_weight", "itm_weight", "mmm_image_weight", "mmm_text_weight",
               "global_backprop_contrastive", "skip_unmasked_multimodal_encoder", "return_loss")),
    "FLAVA: text, image and multimodal encoders, projections, pre-training heads and image codebook", family="flava",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map flava."""
    register(FLAVA)
