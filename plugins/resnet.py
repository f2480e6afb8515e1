"""ResNet and RegNet: convolutional image encoders in stages of residual layers (the ``resnet`` family).

Follows ``modeling_resnet.py`` and ``modeling_regnet.py`` of transformers 5.25. Every convolution is bias-free
and followed by a batch norm (``<name>.convolution``, ``<name>.normalization``):

* a stem (``embedder.embedder``): a convolution from ``n_channels`` to ``embedding_size``, 7 × 7 for ResNet,
  3 × 3 for RegNet;
* ``len(hidden_sizes)`` stages (``encoder.stages.<i>``), the first from ``embedding_size``, each from the width
  before, of ``depths[i]`` layers (``layers.<j>``; a stage of depth 0 still holds its first layer, as
  transformers builds it); the first layer of each stage but the first (and of the first with
  ``downsample_in_first_stage``) has stride 2. A layer whose input width or stride differs from its output has a
  ``shortcut`` (a 1 × 1 convolution and its norm). Its body ``layer.<k>``, by ``layer_type``:

  - ``basic`` (ResNet): two 3 × 3 convolutions;
  - ``bottleneck`` (ResNet): 1 × 1 to a quarter of the width, 3 × 3, 1 × 1 back to the width;
  - ``x`` (RegNet): 1 × 1, a grouped 3 × 3 (``max(1, width // groups_width)`` groups), 1 × 1, all of the width;
  - ``y`` (RegNet): ``x`` with squeeze-and-excitation after the grouped convolution (``layer.2.attention.0`` and
    ``.2``: 1 × 1 convolutions with biases, the width to ``round(input width / 4)`` and back);

* with ``head = "classifier"``, the encoder under ``resnet`` (``regnet``) and ``classifier.1`` (a linear layer
  of the last width to ``n_labels``, none when 0); the average pooling has no parameters;
* with ``frozen_norms`` (the bare encoder as DETR's backbone), no batch norm: DETR freezes them into buffers.

Strides change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Module, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, classifier, conv2d, conv_norm


class ResNetParams(FamilyParams):
    """Hyper-parameters of the ``resnet`` family."""

    variant: Literal["resnet", "regnet"] = Field("resnet", description="ResNet (7 × 7 stem) or RegNet (3 × 3 stem); "
                                                 "also the classifier's prefix")
    layer_type: Literal["basic", "bottleneck", "x", "y"] = Field(
        "bottleneck", description="the residual layer: basic, bottleneck (ResNet), x or y (RegNet)")
    embedding_size: PositiveInt = Field(64, description="the stem's width")
    hidden_sizes: list[PositiveInt] = Field([256, 512, 1024, 2048], description="each stage's width")
    depths: list[NonNegativeInt] = Field([3, 4, 6, 3], description="each stage's layers (0 holds one, as transformers)")
    groups_width: PositiveInt = Field(64, description="RegNet: channels per group of the 3 × 3 convolution")
    downsample_in_first_stage: bool = Field(False, description="the first stage's first layer has stride 2")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")
    frozen_norms: bool = Field(False, description="batch norms frozen into buffers, no parameters (a DETR backbone)")

    @model_validator(mode="after")
    def _check(self) -> ResNetParams:
        if not self.hidden_sizes:
            raise FieldError("hidden_sizes", "needs at least one stage")
        if len(self.depths) != len(self.hidden_sizes):
            raise FieldError("depths", f"has {len(self.depths)} stages, hidden_sizes {len(self.hidden_sizes)}")
        if (self.variant == "resnet") != (self.layer_type in ("basic", "bottleneck")):
            raise FieldError("layer_type", f"{self.layer_type!r} is not a layer of {self.variant}")
        if self.layer_type in ("x", "y"):
            for d in self.hidden_sizes:
                if d % max(1, d // self.groups_width):
                    raise FieldError("groups_width", f"{self.groups_width} makes {d // self.groups_width} groups of a "
                                                     f"stage of {d} channels, which they do not divide")  # fmt: skip
        if self.layer_type == "y" and min(self.embedding_size, *self.hidden_sizes) < 3:
            raise FieldError("hidden_sizes", "a RegNet Y layer squeezes fewer than 3 input channels to none")
        if self.layer_type == "bottleneck" and min(self.hidden_sizes) < 4:
            raise FieldError("hidden_sizes", "a bottleneck of fewer than 4 channels reduces them to none")
        return self


def _body(p: ResNetParams, n_in: int, d: int) -> list[Block]:
    """The convolutions of one residual layer (``layer.<k>``) from ``n_in`` to ``d`` channels."""
    if p.layer_type == "basic":
        return [*conv_norm("0", n_in, d, 3), *conv_norm("1", d, d, 3)]
    if p.layer_type == "bottleneck":
        r = d // 4
        return [*conv_norm("0", n_in, r, 1), *conv_norm("1", r, r, 3), *conv_norm("2", r, d, 1)]
    blocks = [*conv_norm("0", n_in, d, 1), *conv_norm("1", d, d, 3, groups=max(1, d // p.groups_width))]
    if p.layer_type == "y":
        reduced = int(round(n_in / 4))
        blocks += [*conv2d("2.attention.0", d, reduced, 1, bias=True), *conv2d("2.attention.2", reduced, d, 1, bias=True)]
    return blocks + conv_norm("3" if p.layer_type == "y" else "2", d, d, 1)


def _layer(p: ResNetParams, n_in: int, d: int, stride: int) -> list[Block]:
    """One residual layer: its shortcut when the width or the stride changes, then its body."""
    shortcut = conv_norm("shortcut", n_in, d, 1) if n_in != d or stride != 1 else []
    return [*shortcut, Module(name="layer", blocks=_body(p, n_in, d))]


def encoder(p: ResNetParams) -> list[Block]:
    """The stem and the stages, unprefixed."""
    stem = Module(name="embedder.embedder", blocks=conv_norm("", p.n_channels, p.embedding_size,
                                                             7 if p.variant == "resnet" else 3))  # fmt: skip
    stages: list[Block] = []
    previous = p.embedding_size
    for i, (d, depth) in enumerate(zip(p.hidden_sizes, p.depths)):
        stride = 2 if i or p.downsample_in_first_stage else 1
        layers: list[Block] = [Module(name="0", blocks=_layer(p, previous, d, stride))]
        if depth > 1:
            layers.append(Repeat(name="", count=depth - 1, start=1, blocks=_layer(p, d, d, 1)))
        stages.append(Module(name=f"{i}.layers", blocks=layers))
        previous = d
    return [stem, Module(name="encoder.stages", blocks=stages)]


def _without_norms(blocks: list[Block]) -> list[Block]:
    """``blocks`` without their batch norms (frozen ones hold buffers only: DETR's ``replace_batch_norm``)."""
    kept: list[Block] = []
    for block in blocks:
        if isinstance(block, (Module, Repeat)):
            kept.append(block.model_copy(update={"blocks": _without_norms(block.blocks)}))
        elif not isinstance(block, LayerNorm):
            kept.append(block)
    return kept


def build(p: ResNetParams) -> Module:
    """The block tree of a ResNet or RegNet encoder (with its classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=_without_norms(encoder(p)) if p.frozen_norms else encoder(p))
    return Module(blocks=[Module(name=p.variant, blocks=encoder(p)),
                          *classifier("classifier.1", p.hidden_sizes[-1], p.n_labels)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``resnet`` family."""
    register(Family(name="resnet", params=ResNetParams, build=build,
                    description="ResNet and RegNet: convolutional image encoders in stages of residual layers",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
