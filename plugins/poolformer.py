"""PoolFormer (MetaFormer): image encoders whose token mixer is average pooling (the ``poolformer`` family).

Follows ``modeling_poolformer.py`` of transformers 5.25:

* ``len(hidden_sizes)`` stages; each opens with a patch embedding (``encoder.patch_embeddings.<i>.projection``:
  a ``patch_sizes[i]`` square convolution with a bias, from ``n_channels`` or the width before);
* then ``depths[i]`` layers (``encoder.block.<i>.<j>``): ``before_norm`` and ``after_norm`` (group norms of one
  group: a scale and a shift of the width), the pooling (no parameters), the MLP ``output.conv1`` and
  ``output.conv2`` (1 × 1 convolutions with biases, to ``int(width × mlp_ratio)`` and back) and, with
  ``use_layer_scale``, ``layer_scale_1`` and ``layer_scale_2`` (one per channel);
* with ``head = "classifier"``, the encoder under ``poolformer``, a group ``norm`` of the last width and a
  ``classifier`` (to ``n_labels``, none when 0).

Strides, padding and the pool size change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier, conv2d


class PoolFormerParams(FamilyParams):
    """Hyper-parameters of the ``poolformer`` family."""

    hidden_sizes: list[PositiveInt] = Field([64, 128, 320, 512], description="each stage's width")
    depths: list[NonNegativeInt] = Field([2, 2, 6, 2], description="each stage's layers")
    patch_sizes: list[PositiveInt] = Field([7, 3, 3, 3], description="each stage's patch-embedding kernel")
    mlp_ratio: PositiveFloat = Field(4.0, description="the MLP's width over the stage's")
    layer_scale: bool = Field(True, description="per-channel scales of the two residual branches")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> PoolFormerParams:
        if not self.hidden_sizes:
            raise FieldError("hidden_sizes", "needs at least one stage")
        for name in ("depths", "patch_sizes"):
            if len(getattr(self, name)) != len(self.hidden_sizes):
                raise FieldError(name, f"has {len(getattr(self, name))} stages, hidden_sizes {len(self.hidden_sizes)}")
        for d in self.hidden_sizes:
            if int(d * self.mlp_ratio) < 1:
                raise FieldError("mlp_ratio", f"{self.mlp_ratio} leaves a stage of {d} channels an MLP of none")
        return self


def _layer(p: PoolFormerParams, d: int) -> list[Block]:
    """One PoolFormer layer of width ``d``."""
    wide = int(d * p.mlp_ratio)
    scales = [Parameter(name=f"layer_scale_{k}", shape=(d,)) for k in (1, 2)] if p.layer_scale else []
    return [Module(name="output", blocks=[*conv2d("conv1", d, wide, 1, bias=True), *conv2d("conv2", wide, d, 1, bias=True)]),
            LayerNorm(name="before_norm", dim=d), LayerNorm(name="after_norm", dim=d), *scales]  # fmt: skip


def encoder(p: PoolFormerParams) -> list[Block]:
    """The patch embeddings and the layers, unprefixed."""
    embeddings: list[Block] = []
    stages: list[Block] = []
    previous = p.n_channels
    for i, (d, depth, patch) in enumerate(zip(p.hidden_sizes, p.depths, p.patch_sizes)):
        embeddings.append(Module(name=f"{i}.projection", blocks=conv2d("", previous, d, patch, bias=True)))
        stages.append(Module(name=str(i), blocks=[Module(name=str(j), blocks=_layer(p, d)) for j in range(depth)]))
        previous = d
    return [Module(name="encoder", blocks=[Module(name="patch_embeddings", blocks=embeddings),
                                           Module(name="block", blocks=stages)])]  # fmt: skip


def build(p: PoolFormerParams) -> Module:
    """The block tree of a PoolFormer encoder (with its norm and classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    last = p.hidden_sizes[-1]
    return Module(blocks=[Module(name="poolformer", blocks=encoder(p)), LayerNorm(name="norm", dim=last),
                          *classifier("classifier", last, p.n_labels)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``poolformer`` family."""
    register(Family(name="poolformer", params=PoolFormerParams, build=build,
                    description="PoolFormer: MetaFormer stages with average pooling as the token mixer"))  # fmt: skip
