"""Dual-encoder model types of 2026 (issue 20), as data on families registry already has.

* ``align`` (``modeling_align.py``, transformers 5.25): a composite of a BERT text tower
  (``align_text_model``: the ``encoder`` family's RoBERTa names (BERT's), post-norm, with its pooler: ``AlignModel``
  builds ``AlignTextModel`` with the pooler), an EfficientNet vision tower without the last 1 × 1 convolution
  (``align_vision_model``: the ``efficientnet`` family with ``top_conv = False``; ``hidden_dim`` sizes the pooling
  window only) and the contrastive head's ``align`` layout (``text_projection`` with a bias to ``projection_dim``,
  the scalar ``temperature``).
"""

from __future__ import annotations

from registry import Composite, ConfigReader, Params, Row, Tower, hookimpl
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.types_vision_2026 import _DUAL_SHAPE_FREE, _TEXT_READS, _TEXT_SHAPE_FREE
from registry.plugins.vision_model_types import VISION_SHAPE_FREE

ALIGN_TEXT = Row(
    "align_text_model", "encoder", ("AlignTextModel",), reads=_TEXT_READS, defaults=DEFAULTS["align_text_model"],
    fixed={"layout": "roberta", "head": "none", "pooler": True}, shape_free=_TEXT_SHAPE_FREE,
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
    shape_free=_DUAL_SHAPE_FREE | {"projection_dim", "temperature_init_value"},
    description="ALIGN: a BERT text tower and an EfficientNet vision tower",
)  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map align (and its towers align_text_model, align_vision_model)."""
    for row in (ALIGN_TEXT, ALIGN_VISION, ALIGN):
        register(row)
