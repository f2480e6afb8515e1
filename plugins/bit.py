"""BiT (Big Transfer): ResNet V2 image encoders with weight-standardised convolutions and group norms (the
``bit`` family).

Follows ``modeling_bit.py`` of transformers 5.25. Convolutions are bias-free (their weight standardisation
adds no parameter); a group norm of ``c`` channels has a scale and a shift of ``c`` (``num_groups`` must
divide ``c``):

* a stem (``embedder``): a 7 × 7 ``convolution`` from ``n_channels`` to ``embedding_size``, and a group ``norm``
  unless ``layer_type`` is ``preactivation``;
* ``len(hidden_sizes)`` stages (``encoder.stages.<i>``) of ``depths[i]`` layers (``layers.<j>``), the stage's
  width ``make_div(hidden_sizes[i] × width_factor)`` (a multiple of 8), the bottleneck's ``make_div(width / 4)``;
  the first layer of each stage has a ``downsample`` (a 1 × 1 ``conv`` from the previous width, with a group
  ``norm`` for the ``bottleneck`` layer). A ``preactivation`` layer: ``norm1`` (of its input), ``conv1`` (1 ×
  1), ``norm2``, ``conv2`` (3 × 3), ``norm3``, ``conv3`` (1 × 1 to the width); a ``bottleneck`` layer: ``conv1``,
  ``norm1``, ``conv2``, ``norm2``, ``conv3``, ``norm3`` (of the width);
* with ``preactivation``, a final group ``norm`` of ``hidden_sizes[-1]``; with ``head = "classifier"``, the
  encoder under ``bit`` and ``classifier.1`` (``hidden_sizes[-1]`` to ``n_labels``, none when 0). Both take
  ``hidden_sizes[-1]``, not the scaled width, as transformers builds them.

Strides, dilations and padding change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier, conv2d


def make_div(value: float, divisor: int = 8) -> int:
    """transformers' ``make_div`` (modeling_bit.py): the nearest multiple of ``divisor`` (at least ``divisor``),
    never below 90 % of ``value``."""
    new_value = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return int(new_value + divisor if new_value < 0.9 * value else new_value)


class BitParams(FamilyParams):
    """Hyper-parameters of the ``bit`` family."""

    layer_type: Literal["preactivation", "bottleneck"] = Field("preactivation", description="pre-activation "
                                                               "(ResNet V2) or bottleneck (post-norm) layers")
    embedding_size: PositiveInt = Field(64, description="the stem's width")
    hidden_sizes: list[PositiveInt] = Field([256, 512, 1024, 2048], description="each stage's width (before "
                                            "width_factor)")
    depths: list[NonNegativeInt] = Field([3, 4, 6, 3], description="each stage's layers")
    width_factor: PositiveInt = Field(1, description="the scale of every stage's width")
    num_groups: PositiveInt = Field(32, description="groups of every group norm")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> BitParams:
        if not self.hidden_sizes:
            raise FieldError("hidden_sizes", "needs at least one stage")
        if len(self.depths) != len(self.hidden_sizes):
            raise FieldError("depths", f"has {len(self.depths)} stages, hidden_sizes {len(self.hidden_sizes)}")
        for what, c in self._normed():
            if c % self.num_groups:
                raise FieldError("num_groups", f"{self.num_groups} groups do not divide the {c} channels of {what}")
        return self

    def widths(self) -> list[int]:
        """Each stage's width: ``make_div(hidden_size × width_factor)``."""
        return [make_div(h * self.width_factor) for h in self.hidden_sizes]

    def _normed(self) -> list[tuple[str, int]]:
        """The channels of every group norm, with where it is."""
        pre = self.layer_type == "preactivation"
        normed = [("the final norm", self.hidden_sizes[-1])] if pre else [("the stem", self.embedding_size)]
        previous = self.embedding_size
        for i, (d, depth) in enumerate(zip(self.widths(), self.depths)):
            if depth:
                normed += [(f"stage {i}'s bottleneck", make_div(d * 0.25)), (f"stage {i}", d if not pre else previous)]
                normed += [(f"stage {i}", d)] if pre and depth > 1 else []
            previous = d
        return normed


def _layer(p: BitParams, n_in: int, d: int, first: bool) -> list[Block]:
    """One layer from ``n_in`` to ``d`` channels (with the downsampling convolution when ``first``)."""
    mid = make_div(d * 0.25)
    pre = p.layer_type == "preactivation"
    blocks: list[Block] = []
    if first:
        norm = [] if pre else [LayerNorm(name="norm", dim=d)]
        blocks.append(Module(name="downsample", blocks=[*conv2d("conv", n_in, d, 1), *norm]))
    convs = [conv2d("conv1", n_in, mid, 1), conv2d("conv2", mid, mid, 3), conv2d("conv3", mid, d, 1)]
    norms = [LayerNorm(name=f"norm{k + 1}", dim=c) for k, c in enumerate((n_in, mid, mid) if pre else (mid, mid, d))]
    for conv, norm in zip(convs, norms):
        blocks += [norm, *conv] if pre else [*conv, norm]
    return blocks


def encoder(p: BitParams) -> list[Block]:
    """The stem, the stages and (pre-activation) the final norm, unprefixed."""
    stem: list[Block] = conv2d("convolution", p.n_channels, p.embedding_size, 7)
    if p.layer_type != "preactivation":
        stem.append(LayerNorm(name="norm", dim=p.embedding_size))
    stages: list[Block] = []
    previous = p.embedding_size
    for i, (d, depth) in enumerate(zip(p.widths(), p.depths)):
        layers = [Module(name=str(j), blocks=_layer(p, previous if j == 0 else d, d, j == 0)) for j in range(depth)]
        stages.append(Module(name=f"{i}.layers", blocks=layers))
        previous = d
    final = [LayerNorm(name="norm", dim=p.hidden_sizes[-1])] if p.layer_type == "preactivation" else []
    return [Module(name="embedder", blocks=stem), Module(name="encoder.stages", blocks=stages), *final]


def build(p: BitParams) -> Module:
    """The block tree of a BiT encoder (with its classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    return Module(blocks=[Module(name="bit", blocks=encoder(p)),
                          *classifier("classifier.1", p.hidden_sizes[-1], p.n_labels)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``bit`` family."""
    register(Family(name="bit", params=BitParams, build=build,
                    description="BiT: ResNet V2 with weight-standardised convolutions and group norms"))  # fmt: skip
