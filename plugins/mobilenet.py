"""MobileNet V1 and V2: depthwise-separable convolutional image encoders (the ``mobilenet`` family).

Follows ``modeling_mobilenet_v1.py`` and ``modeling_mobilenet_v2.py`` of transformers 5.25. Every
convolution is bias-free and followed by a batch norm (``<name>.convolution``, ``<name>.normalization``); the
widths are fixed lists scaled by ``depth_multiplier``:

* V1: a 3 × 3 stem (``conv_stem``) to ``max(int(32 × m), min_depth)``, then 13 pairs of layers (``layer.<2i>``:
  a depthwise 3 × 3, ``layer.<2i+1>``: a pointwise 1 × 1), the base width doubling (from 32) at the first
  pair and at every pair of stride 2 (pairs 1, 3, 5, 11), each width ``max(int(base × m), min_depth)``;
* V2: widths ``make_divisible(round(c × m), depth_divisible_by, min_depth)`` of 16, 24, 24, 32, 32, 32, 64, 64,
  64, 64, 96, 96, 96, 160, 160, 160, 320; a stem (``conv_stem``: ``first_conv`` 3 × 3 to the scaled 32, an
  ``expand_1x1`` unless ``first_layer_is_expansion``, a depthwise ``conv_3x3``, ``reduce_1x1`` to the first
  width), 16 inverted residuals (``layer.<i>``: ``expand_1x1`` to ``make_divisible(round(in × expand_ratio))``,
  a depthwise ``conv_3x3``, ``reduce_1x1``), and ``conv_1x1`` to 1280 (scaled, unless ``finegrained_output``
  and ``m < 1``);
* with ``head = "classifier"``, the encoder under ``mobilenet_v1`` (``mobilenet_v2``) and ``classifier`` (a
  linear layer of the last width to ``n_labels``, none when 0); the pooling has no parameters. With ``head =
  "segmentation"`` (V2), the encoder and DeepLabV3+'s ``segmentation_head`` (:func:`_deeplab`).

Strides, dilations and padding change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, classifier, conv2d, conv_norm

#: MobileNet V1's pairs of stride 2 (``strides`` of MobileNetV1Model), after the first pair's doubling.
_V1_STRIDES = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)
#: MobileNet V2's widths before the depth multiplier (``channels`` of MobileNetV2Model).
_V2_CHANNELS = (16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320)


class MobileNetParams(FamilyParams):
    """Hyper-parameters of the ``mobilenet`` family."""

    variant: Literal["mobilenet_v1", "mobilenet_v2"] = Field("mobilenet_v2", description="MobileNet V1 or V2; "
                                                             "also the classifier's prefix")
    depth_multiplier: PositiveFloat = Field(1.0, description="the scale of every width")
    min_depth: PositiveInt = Field(8, description="the narrowest width")
    depth_divisible_by: PositiveInt = Field(8, description="V2: widths are rounded to a multiple of this")
    expand_ratio: PositiveFloat = Field(6.0, description="V2: an inverted residual's expansion")
    first_layer_is_expansion: bool = Field(True, description="V2: the stem has no 1 × 1 expansion")
    finegrained_output: bool = Field(True, description="V2: the last 1 × 1 keeps 1280 channels when the multiplier "
                                     "is below 1")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier", "segmentation"] = Field("none", description="none (the bare encoder), an "
                                                                "image classifier or (V2) a DeepLabV3+ head")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> MobileNetParams:
        if self.head == "segmentation" and (self.variant != "mobilenet_v2" or not self.n_labels):
            raise FieldError("n_labels" if self.n_labels == 0 else "head", "a segmentation head (MobileNet V2 only) "
                                                                           "needs at least one label")  # fmt: skip
        return self


def make_divisible(value: int, divisor: int, min_value: int) -> int:
    """transformers' ``make_divisible`` (modeling_mobilenet_v2.py): the nearest multiple of ``divisor``, at least
    ``min_value``, never below 90 % of ``value``."""
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return int(new_value + divisor if new_value < 0.9 * value else new_value)


def _v1(p: MobileNetParams) -> tuple[list[Block], int]:
    """MobileNet V1's encoder and its last width."""
    depth = 32
    width = max(int(depth * p.depth_multiplier), p.min_depth)
    blocks: list[Block] = conv_norm("conv_stem", p.n_channels, width, 3)
    for i, stride in enumerate(_V1_STRIDES):
        n_in = width
        if stride == 2 or i == 0:
            depth *= 2
            width = max(int(depth * p.depth_multiplier), p.min_depth)
        blocks += [*conv_norm(f"layer.{2 * i}", n_in, n_in, 3, groups=n_in), *conv_norm(f"layer.{2 * i + 1}", n_in, width, 1)]
    return blocks, width


def _v2(p: MobileNetParams) -> tuple[list[Block], int]:
    """MobileNet V2's encoder and its last width."""
    def scaled(c: int) -> int:
        return make_divisible(int(round(c * p.depth_multiplier)), p.depth_divisible_by, p.min_depth)

    widths = [scaled(c) for c in _V2_CHANNELS]
    stem_width = scaled(32)
    stem = conv_norm("first_conv", p.n_channels, stem_width, 3)
    if not p.first_layer_is_expansion:
        stem += conv_norm("expand_1x1", stem_width, stem_width, 1)
    stem += [*conv_norm("conv_3x3", stem_width, stem_width, 3, groups=stem_width),
             *conv_norm("reduce_1x1", stem_width, widths[0], 1)]  # fmt: skip
    blocks: list[Block] = [Module(name="conv_stem", blocks=stem)]
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        wide = make_divisible(int(round(n_in * p.expand_ratio)), p.depth_divisible_by, p.min_depth)
        blocks.append(Module(name=f"layer.{i}", blocks=[*conv_norm("expand_1x1", n_in, wide, 1),
                                                        *conv_norm("conv_3x3", wide, wide, 3, groups=wide),
                                                        *conv_norm("reduce_1x1", wide, n_out, 1)]))  # fmt: skip
    out = 1280 if p.finegrained_output and p.depth_multiplier < 1.0 else scaled(1280)
    return blocks + conv_norm("conv_1x1", widths[-1], out, 1), out


def build(p: MobileNetParams) -> Module:
    """The block tree of a MobileNet V1 or V2 encoder (with its classifier when ``head`` says so)."""
    blocks, width = (_v1 if p.variant == "mobilenet_v1" else _v2)(p)
    if p.head == "none":
        return Module(blocks=blocks)
    if p.head == "segmentation":
        return Module(blocks=[Module(name=p.variant, blocks=blocks), _deeplab(p)])
    return Module(blocks=[Module(name=p.variant, blocks=blocks), *classifier("classifier", width, p.n_labels)])


def _deeplab(p: MobileNetParams) -> Block:
    """MobileNet V2's DeepLabV3+ head (``segmentation_head``): ``conv_pool`` and ``conv_aspp`` (1 × 1 from the last
    stage's width to 256), ``conv_projection`` (512 to 256), each with its batch norm, and ``classifier`` (1 × 1
    with a bias, to the labels)."""
    last = make_divisible(int(round(320 * p.depth_multiplier)), p.depth_divisible_by, p.min_depth)
    return Module(name="segmentation_head", blocks=[
        *conv_norm("conv_pool", last, 256, 1), *conv_norm("conv_aspp", last, 256, 1),
        *conv_norm("conv_projection", 512, 256, 1), *conv2d("classifier.convolution", 256, p.n_labels, 1, bias=True)])


@hookimpl
def register_families(register):
    """Register the ``mobilenet`` family."""
    register(Family(name="mobilenet", params=MobileNetParams, build=build,
                    description="MobileNet V1 and V2: depthwise-separable convolutional image encoders",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
