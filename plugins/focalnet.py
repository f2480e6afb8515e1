"""FocalNet: Swin-like stages whose token mixer is focal modulation, a stack of depthwise convolutions (the
``focalnet`` family).

Follows ``modeling_focalnet.py`` of transformers 5.25. Stage ``i`` of ``len(depths)`` has width ``embed_dim ×
2^i`` (the configuration's ``hidden_sizes`` is not read by the model):

* ``embeddings``: ``patch_embeddings.projection`` (a convolution with a bias, ``patch_size`` square, or 7 × 7
  with ``use_conv_embed``) and a ``norm``;
* ``encoder.stages.<i>.layers.<j>`` (``depths[i]`` layers of width ``d``): ``gamma_1`` and ``gamma_2`` (with
  ``use_layerscale``), ``norm1``, ``modulation`` (``projection_in``: ``d`` to ``2d + focal_levels[i] + 1``;
  ``projection_context``: a 1 × 1 convolution with a bias; ``projection_out``; ``focal_layers.<k>.0``: depthwise
  convolutions without biases of side ``2k + focal_windows[i]``, ``k < focal_levels[i]``; with
  ``use_post_layernorm_in_modulation`` a ``layernorm``), ``norm2``, ``mlp.fc1`` (to ``int(d × mlp_ratio)``) and
  ``mlp.fc2``;
* each stage but the last ends with ``downsample``: a ``projection`` to twice the width (2 × 2, or 3 × 3 with
  ``use_conv_embed``, a bias) and a ``norm``;
* a ``layernorm`` of the last width; with ``head = "classifier"``, the encoder under ``focalnet`` and a
  ``classifier`` (to ``n_labels``, none when 0).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier, conv2d


class FocalNetParams(FamilyParams):
    """Hyper-parameters of the ``focalnet`` family (FocalNet-T's by default, as transformers')."""

    embed_dim: PositiveInt = Field(96, description="the first stage's width (each next stage doubles it)")
    depths: list[NonNegativeInt] = Field([2, 2, 6, 2], description="each stage's layers")
    focal_levels: list[PositiveInt] = Field([2, 2, 2, 2], description="each stage's focal convolutions")
    focal_windows: list[PositiveInt] = Field([3, 3, 3, 3], description="each stage's first focal kernel")
    mlp_ratio: PositiveFloat = Field(4.0, description="the MLP's width over the layer's")
    patch_size: PositiveInt = Field(4, description="the stem's patch side")
    use_conv_embed: bool = Field(False, description="overlapping convolutional embeddings (7 × 7 stem, 3 × 3 "
                                 "downsampling)")
    use_layerscale: bool = Field(False, description="per-channel scales of the two residual branches")
    post_layernorm_in_modulation: bool = Field(False, description="a LayerNorm after the modulation")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> FocalNetParams:
        if not self.depths:
            raise FieldError("depths", "needs at least one stage")
        for name in ("focal_levels", "focal_windows"):
            if len(getattr(self, name)) < len(self.depths):
                raise FieldError(name, f"has {len(getattr(self, name))} stages, depths {len(self.depths)}")
        if int(self.embed_dim * self.mlp_ratio) < 1:
            raise FieldError("mlp_ratio", f"{self.mlp_ratio} leaves the MLP of width {self.embed_dim} no units")
        return self


def _layer(p: FocalNetParams, i: int, d: int) -> list[Block]:
    """One FocalNet layer of stage ``i``, width ``d``."""
    levels, window = p.focal_levels[i], p.focal_windows[i]
    scales = [Parameter(name=f"gamma_{k}", shape=(d,)) for k in (1, 2)] if p.use_layerscale else []
    modulation: list[Block] = [
        Linear(name="projection_in", in_features=d, out_features=2 * d + levels + 1, component="attention"),
        *conv2d("projection_context", d, d, 1, bias=True),
        Linear(name="projection_out", in_features=d, out_features=d, component="attention"),
        *(b for k in range(levels) for b in conv2d(f"focal_layers.{k}.0", d, d, 2 * k + window, groups=d)),
    ]
    if p.post_layernorm_in_modulation:
        modulation.append(LayerNorm(name="layernorm", dim=d))
    wide = int(d * p.mlp_ratio)
    return [*scales, LayerNorm(name="norm1", dim=d), Module(name="modulation", blocks=modulation),
            LayerNorm(name="norm2", dim=d),
            Linear(name="mlp.fc1", in_features=d, out_features=wide, component="feed_forward"),
            Linear(name="mlp.fc2", in_features=wide, out_features=d, component="feed_forward")]  # fmt: skip


def encoder(p: FocalNetParams) -> tuple[list[Block], int]:
    """The embeddings, the stages and the final norm, unprefixed, and the last width."""
    d = p.embed_dim
    stem = [*conv2d("patch_embeddings.projection", p.n_channels, d, 7 if p.use_conv_embed else p.patch_size, bias=True),
            LayerNorm(name="norm", dim=d)]  # fmt: skip
    stages: list[Block] = []
    last = len(p.depths) - 1
    for i, depth in enumerate(p.depths):
        body: list[Block] = [Module(name="layers", blocks=[Module(name=str(j), blocks=_layer(p, i, d)) for j in range(depth)])]
        if i < last:
            body.append(Module(name="downsample", blocks=[*conv2d("projection", d, 2 * d, 3 if p.use_conv_embed else 2, bias=True),
                                                          LayerNorm(name="norm", dim=2 * d)]))  # fmt: skip
            d *= 2
        stages.append(Module(name=str(i), blocks=body))
    blocks = [Module(name="embeddings", blocks=stem), Module(name="encoder.stages", blocks=stages),
              LayerNorm(name="layernorm", dim=d)]  # fmt: skip
    return blocks, d


def build(p: FocalNetParams) -> Module:
    """The block tree of a FocalNet encoder (with its classifier when ``head`` says so)."""
    blocks, d = encoder(p)
    if p.head == "none":
        return Module(blocks=blocks)
    return Module(blocks=[Module(name="focalnet", blocks=blocks), *classifier("classifier", d, p.n_labels)])


@hookimpl
def register_families(register):
    """Register the ``focalnet`` family."""
    register(Family(name="focalnet", params=FocalNetParams, build=build,
                    description="FocalNet: stages of focal-modulation layers (stacked depthwise convolutions)"))  # fmt: skip
