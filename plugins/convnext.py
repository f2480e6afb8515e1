"""ConvNeXt: convolutional image encoders in stages (the ``convnext`` family).

Follows ``modeling_convnext.py`` and ``modeling_convnextv2.py`` of transformers 5.25:

* a stem (``embeddings``): a ``patch_size × patch_size`` convolution with a bias from ``n_channels`` to the
  first width, and a LayerNorm;
* ``len(hidden_sizes)`` stages (``encoder.stages.<i>``); each but the first opens with a downsampling
  layer (a LayerNorm of the previous width, then a 2 × 2 convolution with a bias to the stage's width),
  then ``depths[i]`` blocks: a 7 × 7 depthwise convolution with a bias (``dwconv``), a LayerNorm, a
  pointwise MLP of four times the width (``pwconv1``, ``pwconv2``, linear layers with biases) and,
  for ConvNeXt, the layer scale (``layer_scale_parameter``, one per channel, when
  ``layer_scale_init_value`` is above 0) or, for ConvNeXt V2, global response normalisation between the
  two pointwise layers (``grn``: a weight and a bias of ``(1, 1, 1, 4 × width)``);
* a final LayerNorm of the last width, and an image classifier of ``n_labels`` (``head = "classifier"``),
  the encoder then held under ``convnext`` (``convnextv2``).

Strides and the image size change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams


class ConvNextParams(FamilyParams):
    """Hyper-parameters of the ``convnext`` family."""

    variant: Literal["convnext", "convnextv2"] = Field("convnext", description="ConvNeXt (layer scale) or ConvNeXt V2 "
                                                       "(global response normalisation); also the classifier's prefix")
    hidden_sizes: list[PositiveInt] = Field([96, 192, 384, 768], description="each stage's width")
    depths: list[NonNegativeInt] = Field([3, 3, 9, 3], description="each stage's blocks")
    n_channels: PositiveInt = Field(3, description="image channels")
    patch_size: PositiveInt = Field(4, description="the stem convolution's side")
    layer_scale: bool | None = Field(None, description="ConvNeXt's per-channel layer scale (layer_scale_init_value "
                                     "above 0; default: with ConvNeXt, none with ConvNeXt V2)")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> ConvNextParams:
        if not self.hidden_sizes:
            raise FieldError("hidden_sizes", "needs at least one stage")
        if len(self.depths) != len(self.hidden_sizes):
            raise FieldError("depths", f"has {len(self.depths)} stages, hidden_sizes {len(self.hidden_sizes)}")
        if self.layer_scale and self.variant == "convnextv2":
            raise FieldError("layer_scale", "ConvNeXt V2 has no layer scale (leave it out)")
        return self

    @property
    def scaled(self) -> bool:
        """Whether the blocks hold a layer scale (default: ConvNeXt's do, ConvNeXt V2's do not)."""
        return self.variant == "convnext" if self.layer_scale is None else self.layer_scale


def _conv(name: str, n_out: int, n_in: int, side: int, groups: int = 1) -> list:
    """A ``Conv2d`` with a bias: ``weight`` of ``(out, in / groups, side, side)``, ``bias`` of ``out``."""
    return [Parameter(name=f"{name}.weight", shape=(n_out, n_in // groups, side, side), component="other"),
            Parameter(name=f"{name}.bias", shape=(n_out,), component="other")]  # fmt: skip


def _block(p: ConvNextParams, d: int) -> list:
    """One ConvNeXt block of width ``d``, in the order transformers registers its tensors."""
    blocks: list = [Parameter(name="layer_scale_parameter", shape=(d,), component="feed_forward")] if p.scaled else []
    blocks += [*_conv("dwconv", d, d, 7, groups=d), LayerNorm(name="layernorm", dim=d)]
    if p.variant == "convnext":
        return blocks + [FeedForward(d_model=d, d_ff=4 * d, names={"up": "pwconv1", "down": "pwconv2"})]
    return blocks + [Linear(name="pwconv1", in_features=d, out_features=4 * d, component="feed_forward"),
                     Parameter(name="grn.weight", shape=(1, 1, 1, 4 * d), component="feed_forward"),
                     Parameter(name="grn.bias", shape=(1, 1, 1, 4 * d), component="feed_forward"),
                     Linear(name="pwconv2", in_features=4 * d, out_features=d, component="feed_forward")]  # fmt: skip


def encoder(p: ConvNextParams) -> list:
    """The stem, the stages and the final norm, unprefixed."""
    first = p.hidden_sizes[0]
    stem = Module(name="embeddings", blocks=[*_conv("patch_embeddings", first, p.n_channels, p.patch_size),
                                              LayerNorm(name="layernorm", dim=first)])  # fmt: skip
    stages: list = []
    previous = first
    for i, (d, depth) in enumerate(zip(p.hidden_sizes, p.depths)):
        body: list = []
        if i:
            body.append(Module(name="downsampling_layer", blocks=[LayerNorm(name="0", dim=previous),
                                                                  *_conv("1", d, previous, 2)]))  # fmt: skip
        if depth:
            body.append(Repeat(name="layers", count=depth, blocks=_block(p, d)))
        stages.append(Module(name=str(i), blocks=body))
        previous = d
    body = [stem, Module(name="encoder", blocks=[Module(name="stages", blocks=stages)])]
    return body + [LayerNorm(name="layernorm", dim=previous)]


def build(p: ConvNextParams) -> Module:
    """The block tree of a ConvNeXt encoder (with its classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    blocks: list = [Module(name=p.variant, blocks=encoder(p))]
    if p.n_labels:
        blocks.append(Linear(name="classifier", in_features=p.hidden_sizes[-1], out_features=p.n_labels, component="head"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``convnext`` family."""
    register(Family(name="convnext", params=ConvNextParams, build=build,
                    description="ConvNeXt and ConvNeXt V2: convolutional image encoders in stages"))  # fmt: skip
