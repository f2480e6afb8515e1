"""Classic convolutional image encoders as rows of data: resnet and regnet on the ``resnet`` family, convnextv2
on the ``convnext`` family.

* ``resnet`` (``modeling_resnet.py``): a 7 × 7 stem, stages of basic or bottleneck residual layers
  (:mod:`registry.plugins.resnet`), batch norms;
* ``regnet`` (``modeling_regnet.py``): a 3 × 3 stem, stages of X layers (grouped 3 × 3 convolutions of
  ``groups_width`` channels a group) or Y layers (X with squeeze-and-excitation);
* ``convnextv2`` (``modeling_convnextv2.py``): ConvNeXt's stages with global response normalisation in place
  of the layer scale (:mod:`registry.plugins.convnext`).

Each row reads transformers' configuration fields (defaults from :mod:`registry.plugins.generated_defaults`);
the rules check the stage counts and read the classifier's labels (the ``id2label`` rule of
:mod:`registry.plugins.vision_model_types`).
"""

from __future__ import annotations

from registry import ConfigReader, Params, Row, hookimpl, short_value
from registry.plugins.generated_defaults import DEFAULTS
from registry.plugins.vision_model_types import VISION_SHAPE_FREE, _labels

#: Backbone outputs and training settings of these configurations: no shapes.
BACKBONE_SHAPE_FREE = VISION_SHAPE_FREE | {"drop_path_rate", "out_features", "out_indices", "stage_names",
                                           "_out_features", "_out_indices"}  # fmt: skip


def _classifier(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: ``...ForImageClassification`` has a classifier of ``len(id2label)`` (else ``num_labels``) outputs;
    the bare model (``...Model``) none (its pooling has no parameters)."""
    _labels(cfg, cls, params)
    params.pop("pooler", None)


def _resnet_layer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ResNet): ``layer_type`` one of ResNetConfig's ``basic``, ``bottleneck``; the classifier."""
    layer = cfg.raw("layer_type", DEFAULTS["resnet"]["layer_type"])
    if layer not in ("basic", "bottleneck"):
        raise cfg.error("layer_type", f"must be basic or bottleneck (got {short_value(layer)})")
    params["layer_type"] = ("layer_type", layer)
    _classifier(cfg, cls, params)


def _regnet_layer(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (RegNet): ``layer_type`` one of RegNetConfig's ``layer_types`` (``x``, ``y``; transformers builds a Y
    layer for any other value, which registry refuses rather than guess); the classifier."""
    layer = cfg.raw("layer_type", DEFAULTS["regnet"]["layer_type"])
    if layer not in ("x", "y"):
        raise cfg.error("layer_type", f"must be x or y (got {short_value(layer)})")
    params["layer_type"] = ("layer_type", layer)
    _classifier(cfg, cls, params)


def _convnextv2(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule (ConvNeXt V2): ``num_stages`` stages, one per entry of ``hidden_sizes`` (a config whose counts differ
    is refused); the classifier."""
    stages = cfg.int("num_stages", DEFAULTS["convnextv2"]["num_stages"])
    if stages != len(params["hidden_sizes"][1]):
        raise cfg.error("num_stages", f"is {stages}, but hidden_sizes lists {len(params['hidden_sizes'][1])} stages")
    _classifier(cfg, cls, params)


_STAGES = {"embedding_size": "embedding_size", "hidden_sizes": "hidden_sizes", "depths": "depths",
           "downsample_in_first_stage": "downsample_in_first_stage", "n_channels": "num_channels"}  # fmt: skip

#: The rows (the module's docstring says what each adds).
ROWS = (
    Row("resnet", "resnet", ("ResNetForImageClassification", "ResNetModel"), reads=_STAGES,
        defaults=DEFAULTS["resnet"], rules=(_resnet_layer,), fixed={"variant": "resnet"},
        shape_free=BACKBONE_SHAPE_FREE | {"downsample_in_bottleneck"},
        description="ResNet: stages of basic or bottleneck residual layers, batch norms"),
    Row("regnet", "resnet", ("RegNetForImageClassification", "RegNetModel"),
        reads={**_STAGES, "groups_width": "groups_width"}, defaults=DEFAULTS["regnet"], rules=(_regnet_layer,),
        fixed={"variant": "regnet"}, shape_free=BACKBONE_SHAPE_FREE,
        description="RegNet: stages of grouped-convolution residual layers (Y: squeeze-and-excitation)"),
    Row("convnextv2", "convnext", ("ConvNextV2ForImageClassification", "ConvNextV2Model"),
        reads={"hidden_sizes": "hidden_sizes", "depths": "depths", "n_channels": "num_channels",
               "patch_size": "patch_size"},
        defaults=DEFAULTS["convnextv2"], rules=(_convnextv2,), fixed={"variant": "convnextv2"},
        shape_free=BACKBONE_SHAPE_FREE | {"image_size"},
        description="ConvNeXt V2: stages of depthwise-convolution blocks with global response normalisation"),
)


@hookimpl
def register_model_types(register):
    """Map resnet, regnet and convnextv2."""
    for row in ROWS:
        register(row)
