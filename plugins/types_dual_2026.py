"""Dual-encoder model types of 2026 (issue 20), as data on families registry already has.

* ``align`` (``modeling_align.py``, transformers 5.25): a composite of a BERT text tower
  (``align_text_model``: the ``encoder`` family's RoBERTa names (BERT's), post-norm, with its pooler: ``AlignModel``
  builds ``AlignTextModel`` with the pooler), an EfficientNet vision tower without the last 1 × 1 convolution
  (``align_vision_model``: the ``efficientnet`` family with ``top_conv = False``; ``hidden_dim`` sizes the pooling
  window only) and the contrastive head's ``align`` layout (``text_projection`` with a bias to ``projection_dim``,
  the scalar ``temperature``).
* ``groupvit`` (``modeling_groupvit.py``): the ``groupvit`` family (CLIP's text tower, the grouping vision tower,
  both MLP projections); like CLIP's, its configuration rebuilds a tower from a non-null ``text_config_dict`` /
  ``vision_config_dict`` (``GroupViTConfig.__post_init__``), read from there.
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Mapped, ModelType, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.groupvit import GroupViTParams
from registry.plugins.types_vision_2026 import DUAL_SHAPE_FREE, DUAL_TEXT_READS, DUAL_TEXT_SHAPE_FREE
from registry.plugins.vision_model_types import VISION_READS, VISION_SHAPE_FREE, dual_text_row, tower_params, tower_config

ALIGN_TEXT = Row(
    "align_text_model", "encoder", ("AlignTextModel",), reads=DUAL_TEXT_READS, defaults=DEFAULTS["align_text_model"],
    fixed={"layout": "roberta", "head": "none", "pooler": True}, shape_free=DUAL_TEXT_SHAPE_FREE,
    description="ALIGN's text tower: BERT with its pooler",
)  # fmt: skip


def _pooling(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ALIGN's vision tower): ``pooling_type`` ``mean`` or ``max`` (AlignVisionModel refuses any other; the
    pooling has no parameters)."""
    cfg.expect("pooling_type", ("mean", "max"), "AlignVisionModel pools by mean or max")


ALIGN_VISION = Row(
    "align_vision_model", "efficientnet", ("AlignVisionModel",),
    reads={name: name for name in ("width_coefficient", "depth_coefficient", "depth_divisor", "in_channels",
                                   "out_channels", "kernel_sizes", "expand_ratios", "num_block_repeats",
                                   "squeeze_expansion_ratio", "hidden_dim")} | {"n_channels": "num_channels"},
    defaults=DEFAULTS["align_vision_model"], fixed={"top_conv": False, "head": "none"}, rules=(_pooling,),
    # num_hidden_layers: AlignVisionConfig derives it from num_block_repeats, whatever a config says
    shape_free=VISION_SHAPE_FREE | {"image_size", "strides", "depthwise_padding", "batch_norm_eps",
                                    "batch_norm_momentum", "drop_connect_rate", "num_hidden_layers"},
    description="ALIGN's vision tower: EfficientNet without its last convolution",
)  # fmt: skip


def _align_head(cfg: ConfigReader, towers: dict[str, Params]) -> Params:
    """ALIGN's head: the text tower's width to ``projection_dim`` (the model type's default when absent)."""
    dim = cfg.int("projection_dim", DEFAULTS["align"]["projection_dim"], minimum=1)
    return {"d_text": towers["text"]["d_model"], "projection_dim": ("projection_dim", dim),
            "layout": ("model_type", "align")}  # fmt: skip


ALIGN = Composite(
    "align", "composite", ("AlignModel",),
    (Tower("text", config="text_config", model_type=ALIGN_TEXT.name, path="text_model"),
     Tower("vision", config="vision_config", model_type=ALIGN_VISION.name, path="vision_model"),
     Tower("head", family="contrastive-head", params=_align_head)),
    shape_free=DUAL_SHAPE_FREE | {"projection_dim", "temperature_init_value"},
    description="ALIGN: a BERT text tower and an EfficientNet vision tower",
)  # fmt: skip


#: GroupViT's vision tower as its ``vision_config`` says it (read for the model; not a model type of its own).
_GROUPVIT_VISION = Row(
    "groupvit_vision_model", "groupvit", ("GroupViTVisionModel",),
    reads={**{k: v for k, v in VISION_READS.items() if k != "n_layers"}, "d_ff": "intermediate_size",
           "depths": "depths", "num_group_tokens": "num_group_tokens", "num_output_groups": "num_output_groups",
           "assign_mlp_ratio": "assign_mlp_ratio"},
    # assign_mlp_ratio: GroupViTVisionConfig's default (0.5, 4), a tuple with a float generate_defaults does not write
    defaults={**DEFAULTS["groupvit_vision_model"], "assign_mlp_ratio": [0.5, 4.0]},
    # num_hidden_layers: GroupViT only warns when it is not sum(depths); the stages' depths decide
    shape_free=VISION_SHAPE_FREE | {"num_hidden_layers", "dropout", "assign_eps"},
)  # fmt: skip


def _map_groupvit(cfg: ConfigReader, cls: str) -> Mapped:
    """GroupViT: CLIP's text tower and the grouping vision tower (each from its legacy ``*_config_dict`` when that is
    given), the projections' widths."""
    fields = GroupViTParams.model_fields
    params = tower_params(cfg, tower_config(cfg, "vision"), _GROUPVIT_VISION, "GroupViTVisionModel", fields)
    params |= tower_params(cfg, tower_config(cfg, "text"), dual_text_row("groupvit"), cls, fields)
    defaults = DEFAULTS["groupvit"]
    for name in ("projection_dim", "projection_intermediate_dim"):
        params[name] = (name, cfg.int(name, defaults[name], minimum=1))
    return Mapped("groupvit", params)


GROUPVIT = ModelType("groupvit", ("GroupViTModel",), _map_groupvit,
                     frozenset(("text_config", "vision_config", "text_config_dict", "vision_config_dict", "projection_dim",
                                "projection_intermediate_dim", "logit_scale_init_value", "initializer_factor",
                                "initializer_range", "output_segmentation")),
                     "GroupViT: CLIP's text tower and a vision tower grouping its tokens stage by stage")  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map align (and its towers align_text_model, align_vision_model) and groupvit."""
    for row in (ALIGN_TEXT, ALIGN_VISION, ALIGN, GROUPVIT):
        register(row)
