"""EfficientNet: mobile inverted-bottleneck blocks with squeeze-and-excitation, widths and depths scaled by
coefficients (the ``efficientnet`` family).

Follows ``modeling_efficientnet.py`` of transformers 5.25. Widths are ``round_filters(c)``: ``c ×
width_coefficient`` rounded to a multiple of ``depth_divisor`` (at least the divisor, never below 90 % of the
scaled width); repeats are ``ceil(depth_coefficient × n)``.

* a stem (``embeddings``): a bias-free 3 × 3 ``convolution`` from ``n_channels`` to ``round_filters(32)``, a
  ``batchnorm``;
* for each base stage ``i`` (one entry of ``in_channels``, ``out_channels``, ``kernel_sizes``,
  ``expand_ratios``, ``num_block_repeats``), its repeated blocks numbered on across stages
  (``encoder.blocks.<n>``); the first from ``round_filters(in_channels[i])``, the others from
  ``round_filters(out_channels[i])``. A block from ``c`` channels with expansion ``e``:

  - ``expansion`` when ``e`` is not 1: ``expand_conv`` (1 × 1 to ``c × e``, no bias) and ``expand_bn``;
  - ``depthwise_conv``: ``depthwise_conv`` (``kernel_sizes[i]`` square, one channel a group, no bias) and
    ``depthwise_norm``;
  - ``squeeze_excite``: ``reduce`` (1 × 1 to ``max(1, int(c × squeeze_expansion_ratio))``, a bias) and
    ``expand`` (back, a bias);
  - ``projection``: ``project_conv`` (1 × 1 to the stage's width, no bias) and ``project_bn``;

* ``encoder.top_conv`` (1 × 1 to ``round_filters(1280)``, no bias) and ``encoder.top_bn`` of ``hidden_dim``
  (the two must agree, as ``EfficientNetConfig``'s published sizes do); ALIGN's vision tower
  (``AlignVisionEncoder`` in ``modeling_align.py``) has neither (``top_conv = False``; ``hidden_dim`` then sizes
  only the pooling window, no tensor);
* with ``head = "classifier"``, the encoder under ``efficientnet`` and ``classifier`` (``hidden_dim`` to
  ``n_labels``, none when 0); the pooling has no parameters.

Strides and padding change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, batch_norm, classifier, conv2d


class EfficientNetParams(FamilyParams):
    """Hyper-parameters of the ``efficientnet`` family (EfficientNet-B7's by default, as transformers')."""

    width_coefficient: PositiveFloat = Field(2.0, description="the scale of every width")
    depth_coefficient: PositiveFloat = Field(3.1, description="the scale of every stage's repeats")
    depth_divisor: PositiveInt = Field(8, description="widths are rounded to a multiple of this")
    in_channels: list[PositiveInt] = Field([32, 16, 24, 40, 80, 112, 192], description="each base stage's input width")
    out_channels: list[PositiveInt] = Field([16, 24, 40, 80, 112, 192, 320], description="each base stage's width")
    kernel_sizes: list[PositiveInt] = Field([3, 3, 5, 3, 5, 5, 3], description="each stage's depthwise kernel")
    expand_ratios: list[PositiveInt] = Field([1, 6, 6, 6, 6, 6, 6], description="each stage's expansion")
    num_block_repeats: list[NonNegativeInt] = Field([1, 2, 2, 3, 3, 4, 1], description="each stage's blocks")
    squeeze_expansion_ratio: PositiveFloat = Field(0.25, description="squeeze-and-excitation width over the input")
    hidden_dim: PositiveInt = Field(2560, description="the last width (round_filters(1280))")
    n_channels: PositiveInt = Field(3, description="image channels")
    top_conv: bool = Field(True, description="the last 1 × 1 convolution and its norm (false: ALIGN's vision tower)")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> EfficientNetParams:
        n = len(self.in_channels)
        if not n:
            raise FieldError("in_channels", "needs at least one stage")
        for name in ("out_channels", "kernel_sizes", "expand_ratios", "num_block_repeats"):
            if len(getattr(self, name)) != n:
                raise FieldError(name, f"has {len(getattr(self, name))} stages, in_channels {n}")
        if self.top_conv and self.hidden_dim != self.round_filters(1280):
            raise FieldError("hidden_dim", f"is {self.hidden_dim}, but the last convolution has "
                                           f"round_filters(1280) = {self.round_filters(1280)} channels")  # fmt: skip
        return self

    def round_filters(self, channels: int) -> int:
        """transformers' ``round_filters``: ``channels × width_coefficient`` to a multiple of ``depth_divisor``."""
        divisor = self.depth_divisor
        scaled = channels * self.width_coefficient
        new_dim = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
        return int(new_dim + divisor if new_dim < 0.9 * scaled else new_dim)


def _block(p: EfficientNetParams, c: int, d: int, kernel: int, expand: int) -> list[Block]:
    """One block from ``c`` to ``d`` channels, expansion ``expand``, depthwise kernel ``kernel``."""
    wide = c * expand
    blocks: list[Block] = []
    if expand != 1:
        blocks.append(Module(name="expansion", blocks=[*conv2d("expand_conv", c, wide, 1),
                                                       batch_norm("expand_bn", wide)]))  # fmt: skip
    squeezed = max(1, int(c * p.squeeze_expansion_ratio))
    return blocks + [
        Module(name="depthwise_conv", blocks=[*conv2d("depthwise_conv", wide, wide, kernel, groups=wide),
                                              batch_norm("depthwise_norm", wide)]),
        Module(name="squeeze_excite", blocks=[*conv2d("reduce", wide, squeezed, 1, bias=True),
                                              *conv2d("expand", squeezed, wide, 1, bias=True)]),
        Module(name="projection", blocks=[*conv2d("project_conv", wide, d, 1), batch_norm("project_bn", d)]),
    ]  # fmt: skip


def encoder(p: EfficientNetParams) -> list[Block]:
    """The stem, the blocks and the top convolution, unprefixed."""
    stem_width = p.round_filters(32)
    stem = Module(name="embeddings", blocks=[*conv2d("convolution", p.n_channels, stem_width, 3),
                                             batch_norm("batchnorm", stem_width)])  # fmt: skip
    blocks: list[Block] = []
    d = stem_width
    for c_in, c_out, kernel, expand, repeats in zip(p.in_channels, p.out_channels, p.kernel_sizes, p.expand_ratios,
                                                    p.num_block_repeats):  # fmt: skip
        d = p.round_filters(c_out)
        for j in range(math.ceil(p.depth_coefficient * repeats)):
            c = p.round_filters(c_in) if j == 0 else d
            blocks.append(Module(name=str(len(blocks)), blocks=_block(p, c, d, kernel, expand)))
    top = [*conv2d("top_conv", d, p.round_filters(1280), 1), batch_norm("top_bn", p.hidden_dim)] if p.top_conv else []
    return [stem, Module(name="encoder", blocks=[Module(name="blocks", blocks=blocks), *top])]


def build(p: EfficientNetParams) -> Module:
    """The block tree of an EfficientNet encoder (with its classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    return Module(blocks=[Module(name="efficientnet", blocks=encoder(p)),
                          *classifier("classifier", p.hidden_dim, p.n_labels)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``efficientnet`` family."""
    register(Family(name="efficientnet", params=EfficientNetParams, build=build,
                    description="EfficientNet: inverted-bottleneck blocks with squeeze-and-excitation, scaled widths",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
