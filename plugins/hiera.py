"""Hiera: a hierarchical ViT without convolutions beyond the patch embedding, its stages widening and pooling
queries (the ``hiera`` family).

Follows ``modeling_hiera.py`` of transformers 5.25 (HieraModel and HieraForImageClassification; the
masked-autoencoder pre-training class is not mapped):

* ``embeddings``: ``position_embeddings`` of ``(1, n, embed_dim)``, ``n`` the product of ``image_size // patch_stride``
  per side, and ``patch_embeddings.projection`` (a ``patch_size`` convolution with a bias);
* stage ``i`` (``encoder.stages.<i>.layers.<j>``, ``depths[i]`` layers) of width ``int(embed_dim ×
  embed_dim_multiplier^i)``; a layer from ``c`` to ``d`` channels (``c`` the previous stage's width for the
  first layer, ``d`` otherwise): ``layernorm_before`` (``c``), ``attn.qkv`` (``c`` to ``3d``), ``attn.proj``,
  ``layernorm_after``, ``mlp.fc1`` (to ``int(d × mlp_ratio)``), ``mlp.fc2`` and, when ``c`` differs from ``d``,
  ``proj`` (``c`` to ``d``); all linear layers with biases;
* ``pooler.layernorm`` of the last width; with ``head = "classifier"``, the encoder under ``hiera`` and a
  ``classifier`` (to ``n_labels``, none when 0).

Query pooling, mask units and strides change no shape.
"""

from __future__ import annotations

from math import prod
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier


class HieraParams(FamilyParams):
    """Hyper-parameters of the ``hiera`` family (Hiera-T's by default, as transformers')."""

    embed_dim: PositiveInt = Field(96, description="the first stage's width")
    embed_dim_multiplier: PositiveFloat = Field(2.0, description="each next stage's width over the one before")
    depths: list[NonNegativeInt] = Field([2, 3, 16, 3], description="each stage's layers")
    num_heads: list[PositiveInt] = Field([1, 2, 4, 8], description="each stage's heads (divide its width)")
    mlp_ratio: PositiveFloat = Field(4.0, description="the MLP's width over the layer's")
    image_size: list[PositiveInt] = Field([224, 224], description="the image's height and width")
    patch_size: list[PositiveInt] = Field([7, 7], description="the patch embedding's kernel (height, width)")
    patch_stride: list[PositiveInt] = Field([4, 4], description="the patch embedding's stride (sets the positions)")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> HieraParams:
        if not self.depths:
            raise FieldError("depths", "needs at least one stage")
        if len(self.num_heads) < len(self.depths):
            raise FieldError("num_heads", f"has {len(self.num_heads)} stages, depths {len(self.depths)}")
        for name in ("image_size", "patch_size", "patch_stride"):
            if len(getattr(self, name)) != 2:
                raise FieldError(name, f"must give a height and a width (got {len(getattr(self, name))} numbers)")
        for i, (d, heads) in enumerate(zip(self.widths(), self.num_heads)):
            if d % heads:
                raise FieldError("num_heads", f"{heads} heads do not divide stage {i}'s width {d}")
            if int(d * self.mlp_ratio) < 1:
                raise FieldError("mlp_ratio", f"{self.mlp_ratio} leaves stage {i}'s MLP no units")
        if not self.positions():
            raise FieldError("image_size", f"{self.image_size} leaves no positions at stride {self.patch_stride}")
        return self

    def widths(self) -> list[int]:
        """Each stage's width: ``int(embed_dim × embed_dim_multiplier^i)``."""
        return [int(self.embed_dim * self.embed_dim_multiplier**i) for i in range(len(self.depths))]

    def positions(self) -> int:
        """The position embeddings: the tokens of the patch grid."""
        return prod(side // stride for side, stride in zip(self.image_size, self.patch_stride))


def _layer(p: HieraParams, c: int, d: int) -> list[Block]:
    """One Hiera layer from ``c`` to ``d`` channels."""
    wide = int(d * p.mlp_ratio)
    blocks: list[Block] = [
        LayerNorm(name="layernorm_before", dim=c),
        Linear(name="attn.qkv", in_features=c, out_features=3 * d, component="attention"),
        Linear(name="attn.proj", in_features=d, out_features=d, component="attention"),
        LayerNorm(name="layernorm_after", dim=d),
        Linear(name="mlp.fc1", in_features=d, out_features=wide, component="feed_forward"),
        Linear(name="mlp.fc2", in_features=wide, out_features=d, component="feed_forward"),
    ]
    return blocks + ([Linear(name="proj", in_features=c, out_features=d)] if c != d else [])


def encoder(p: HieraParams) -> tuple[list[Block], int]:
    """The embeddings, the stages and the pooler's norm, unprefixed, and the last width."""
    kh, kw = p.patch_size
    embeddings = [Parameter(name="position_embeddings", shape=(1, p.positions(), p.embed_dim), component="embedding"),
                  Parameter(name="patch_embeddings.projection.weight", shape=(p.embed_dim, p.n_channels, kh, kw)),
                  Parameter(name="patch_embeddings.projection.bias", shape=(p.embed_dim,))]  # fmt: skip
    stages: list[Block] = []
    c = p.embed_dim
    for i, (d, depth) in enumerate(zip(p.widths(), p.depths)):
        layers = [Module(name=str(j), blocks=_layer(p, c if j == 0 else d, d)) for j in range(depth)]
        stages.append(Module(name=f"{i}.layers", blocks=layers))
        c = d
    last = p.widths()[-1]
    blocks = [Module(name="embeddings", blocks=embeddings), Module(name="encoder.stages", blocks=stages),
              LayerNorm(name="pooler.layernorm", dim=last)]  # fmt: skip
    return blocks, last


def build(p: HieraParams) -> Module:
    """The block tree of a Hiera encoder (with its classifier when ``head`` says so)."""
    blocks, d = encoder(p)
    if p.head == "none":
        return Module(blocks=blocks)
    return Module(blocks=[Module(name="hiera", blocks=blocks), *classifier("classifier", d, p.n_labels)])


@hookimpl
def register_families(register):
    """Register the ``hiera`` family."""
    register(Family(name="hiera", params=HieraParams, build=build,
                    description="Hiera: a hierarchical ViT whose stages widen and pool their queries"))  # fmt: skip
