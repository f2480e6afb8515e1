"""Universal segmentation transformers as model types: ``oneformer`` on the ``swin`` row and the ``oneformer``
family.

* ``oneformer`` (``modeling_oneformer.py``, ``OneFormerForUniversalSegmentation``): a Swin ``backbone_config``
  read through the ``swin`` row (``SwinBackbone`` holds SwinModel under ``swin``, and a norm per output stage of
  ``out_features`` / ``out_indices``), then the pixel decoder with multi-scale deformable attention, the
  task-conditioned transformer decoder, the task MLP and, with ``is_training``, the text mapper
  (:mod:`registry.plugins.oneformer`). A DiNAT backbone (``shi-labs/oneformer_*_dinat_large``) is refused:
  transformers builds it only with the ``natten`` library, so no reference can check it. A missing
  ``backbone_config`` (transformers' default Swin) is refused too. transformers' model builds its loss, which needs
  scipy (a reference dependency of the tests).
"""

from __future__ import annotations

import math

from registry import Composite, ConfigReader, Params, Tower, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.hf_common import num_labels
from registry.plugins.types_vision_dense import _out_stages

#: OneFormerConfig's fields that change no shape: losses, matcher and sampling, initialisation, dropout, the norm's
#: epsilon, the contrastive temperature (its ``criterion.logit_scale`` is a scalar whatever it is), the
#: task-norm and pre-norm switches and ``enforce_input_proj`` (its projections are a plain list, no
#: tensors), and two fields old Hub configs still carry (``num_classes``, ``max_seq_len``: nothing reads them).
_ONEFORMER_FREE = frozenset((
    "ignore_value", "no_object_weight", "class_weight", "mask_weight", "dice_weight", "contrastive_weight",
    "train_num_points", "oversample_ratio", "importance_sample_ratio", "init_std", "init_xavier_std", "layer_norm_eps",
    "use_auxiliary_loss", "output_auxiliary_logits", "dropout", "norm", "use_task_norm", "pre_norm",
    "enforce_input_proj", "contrastive_temperature", "num_classes", "max_seq_len",
))  # fmt: skip
#: OneFormerConfig's ``attribute_map``: another name a config may give a field.
_ALIASES = {"hidden_dim": "hidden_size", "decoder_layers": "num_hidden_layers"}


def _aliased(cfg: ConfigReader, name: str) -> int:
    """A whole number under its name or its ``attribute_map`` alias (refused when both disagree)."""
    value = cfg.int(name, DEFAULTS["oneformer"][name])
    alias = _ALIASES[name]
    if cfg.has(alias):
        other = cfg.int(alias, value)
        if cfg.has(name) and other != value:
            raise cfg.error(alias, f"is {other}, but {name} is {value} (transformers' attribute_map makes them one)")
        value = other
    return value


def _fpn_levels(cfg: ConfigReader) -> int:
    """The pixel decoder's extra FPN levels: ``log2`` of the smallest of the last three ``strides`` over
    ``common_stride`` (``OneFormerPixelDecoder``)."""
    t = "oneformer"
    strides = cfg.int_list("strides", DEFAULTS[t]["strides"])
    if not strides:
        raise cfg.error("strides", "needs at least one stride")
    common = cfg.int("common_stride", DEFAULTS[t]["common_stride"])
    smallest = min(strides[-3:])
    if smallest < common:
        raise cfg.error("common_stride", f"{common} is above the smallest attended stride {smallest} (strides)")
    return int(math.log2(smallest) - math.log2(common))


def _oneformer(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """OneFormer's sizes around its Swin backbone (``OneFormerConfig``)."""
    t = "oneformer"
    embed, depths = towers["backbone"]["embed_dim"][1], towers["backbone"]["depths"][1]
    widths = [embed, *(embed * 2**i for i in range(len(depths)))]
    stages = _out_stages(cfg, len(depths))
    label_field, labels = num_labels(cfg)
    temperature = cfg.raw("contrastive_temperature", DEFAULTS[t]["contrastive_temperature"])
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):  # it sets criterion.logit_scale
        raise cfg.error("contrastive_temperature", f"must be a number (got {short_value(temperature)})")

    def whole(name: str, minimum: int = 1) -> tuple[str, int]:
        return name, cfg.int(name, DEFAULTS[t][name], minimum=minimum)

    return {
        "out_stages": ("backbone_config.out_features", stages),
        "output_widths": ("backbone_config.out_features", [widths[s] for s in stages]),
        "conv_dim": whole("conv_dim"),
        "mask_dim": whole("mask_dim"),
        "hidden_dim": ("hidden_dim", _aliased(cfg, "hidden_dim")),
        "encoder_layers": whole("encoder_layers", 0),
        "encoder_ffn_dim": whole("encoder_feedforward_dim"),
        "heads": whole("num_attention_heads"),
        "decoder_layers": ("decoder_layers", _aliased(cfg, "decoder_layers")),
        "dim_feedforward": whole("dim_feedforward"),
        "query_dec_layers": whole("query_dec_layers", 0),
        "num_queries": whole("num_queries"),
        "n_labels": (label_field, labels),
        "task_seq_len": whole("task_seq_len"),
        "fpn_levels": ("strides", _fpn_levels(cfg)),
        "text_mapper": ("is_training", cfg.bool("is_training", DEFAULTS[t]["is_training"])),
        "text_width": whole("text_encoder_width"),
        "text_context": whole("text_encoder_context_length"),
        "text_layers": whole("text_encoder_num_layers", 0),
        "text_vocab": whole("text_encoder_vocab_size"),
        "text_proj_layers": whole("text_encoder_proj_layers"),
        "text_n_ctx": whole("text_encoder_n_ctx", 0),
    }


#: The segmentation composites (the module's docstring lists them).
COMPOSITES = (
    Composite("oneformer", "composite", ("OneFormerForUniversalSegmentation",), (
        Tower("backbone", config="backbone_config", model_type="swin", path="model.pixel_level_module.encoder.swin",
              builds="base"),
        Tower("heads", family="oneformer", params=_oneformer),
    ), shape_free=_ONEFORMER_FREE,
        description="OneFormer: a Swin backbone, a deformable pixel decoder, a task-conditioned transformer decoder"),
)


@hookimpl
def register_model_types(register):
    """Map the segmentation transformers of this module."""
    for composite in COMPOSITES:
        register(composite)
