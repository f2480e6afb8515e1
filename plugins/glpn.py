"""GLPN: a hierarchical Mix Transformer encoder and a depth decoder with selective feature fusion (the ``glpn``
family).

Follows ``modeling_glpn.py`` of transformers 5.25 (``GLPNForDepthEstimation``, ``GLPNModel``):

* ``encoder.patch_embeddings.<i>``: per stage an overlapping patch convolution (``patch_sizes[i]``, with a bias)
  from the previous stage's width (the image's channels first) and a LayerNorm;
* ``encoder.block.<i>.<j>``: ``depths[i]`` layers of the stage's width: a norm, efficient self-attention (query,
  key, value and output dense with biases; with ``sr_ratios[i]`` above 1 a reduction convolution of that side with a
  bias and a norm), a norm, the Mix-FFN (``dense1`` to ``width × mlp_ratios[i]``, a 3 × 3 depthwise convolution with
  a bias, ``dense2``); ``encoder.layer_norm.<i>`` after each stage;
* with ``head = "depth"`` (the encoder under ``glpn``): ``decoder.stages.<k>`` over the stages last to first, a 1 × 1
  convolution to ``decoder_d_model`` with a bias (none when the widths are equal) and, after the first, the selective
  feature fusion (3 × 3 convolutions with biases ``2d → d → d/2 → 2``, BatchNorms after the first two); the head's
  two 3 × 3 convolutions (to ``decoder_d_model`` and to one channel).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.depth_anything import conv2d
from registry.plugins.vision import nested


class GlpnParams(FamilyParams):
    """Hyper-parameters of the ``glpn`` family."""

    head: Literal["none", "depth"] = Field("depth", description="none (GLPNModel) or the depth decoder and head")
    n_stages: PositiveInt = Field(4, description="encoder stages (num_encoder_blocks)")
    hidden_sizes: list[PositiveInt] = Field([32, 64, 160, 256], description="each stage's width")
    depths: list[NonNegativeInt] = Field([2, 2, 2, 2], description="each stage's layers")
    n_heads: list[PositiveInt] = Field([1, 2, 5, 8], description="each stage's attention heads")
    sr_ratios: list[PositiveInt] = Field([8, 4, 2, 1], description="each stage's sequence reduction side")
    patch_sizes: list[PositiveInt] = Field([7, 3, 3, 3], description="each stage's patch convolution side")
    mlp_ratios: list[PositiveInt] = Field([4, 4, 4, 4], description="each stage's Mix-FFN width over its width")
    n_channels: PositiveInt = Field(3, description="image channels")
    decoder_d_model: PositiveInt = Field(64, description="the decoder's channels")

    @model_validator(mode="after")
    def _check(self) -> GlpnParams:
        for name in ("hidden_sizes", "depths", "n_heads", "sr_ratios", "patch_sizes", "mlp_ratios"):
            if len(getattr(self, name)) < self.n_stages:
                raise FieldError(name, f"has {len(getattr(self, name))} entries, fewer than the {self.n_stages} stages")
        for i in range(self.n_stages):
            if self.hidden_sizes[i] % self.n_heads[i]:
                raise FieldError("n_heads", f"stage {i}'s {self.n_heads[i]} heads do not divide its width "
                                 f"{self.hidden_sizes[i]}")  # fmt: skip
        if self.head == "depth" and self.n_stages > 1 and self.decoder_d_model < 2:
            raise FieldError("decoder_d_model", "must be at least 2: the fusion's second convolution has half as many "
                             "channels")  # fmt: skip
        return self


def _layer(d: int, ratio: int, sr: int) -> list:
    ff = d * ratio
    blocks: list = [LayerNorm(name="layer_norm_1", dim=d),
                    *(Linear(name=f"attention.self.{x}", in_features=d, out_features=d, component="attention")
                      for x in ("query", "key", "value"))]  # fmt: skip
    if sr > 1:
        blocks += [*conv2d("attention.self.sr", d, d, sr, component="attention"),
                   LayerNorm(name="attention.self.layer_norm", dim=d)]  # fmt: skip
    blocks += [Linear(name="attention.output.dense", in_features=d, out_features=d, component="attention"),
               LayerNorm(name="layer_norm_2", dim=d),
               Linear(name="mlp.dense1", in_features=d, out_features=ff, component="feed_forward"),
               Parameter(name="mlp.dwconv.dwconv.weight", shape=(ff, 1, 3, 3), component="feed_forward"),
               Parameter(name="mlp.dwconv.dwconv.bias", shape=(ff,), component="feed_forward"),
               Linear(name="mlp.dense2", in_features=ff, out_features=d, component="feed_forward")]  # fmt: skip
    return nested(blocks)


def encoder(p: GlpnParams) -> list:
    """The patch embeddings, the stages' layers and norms, unprefixed (under ``encoder``)."""
    widths = p.hidden_sizes[: p.n_stages]
    embeddings: list = []
    for i, d in enumerate(widths):
        embeddings += [*conv2d(f"{i}.proj", d, p.n_channels if i == 0 else widths[i - 1], p.patch_sizes[i],
                               component="embedding"), LayerNorm(name=f"{i}.layer_norm", dim=d)]  # fmt: skip
    stages = [Repeat(name=str(i), count=p.depths[i], blocks=_layer(d, p.mlp_ratios[i], p.sr_ratios[i]))
              for i, d in enumerate(widths) if p.depths[i]]  # fmt: skip
    return [Module(name="encoder", blocks=[
        Module(name="patch_embeddings", blocks=nested(embeddings)), Module(name="block", blocks=stages),
        Module(name="layer_norm", blocks=[LayerNorm(name=str(i), dim=d) for i, d in enumerate(widths)]),
    ])]  # fmt: skip


def decoder(p: GlpnParams) -> list:
    """The decoder stages (last stage first) and the depth head's convolutions."""
    c, half = p.decoder_d_model, int(p.decoder_d_model / 2)
    blocks: list = []
    for k, d in enumerate(p.hidden_sizes[: p.n_stages][::-1]):
        if d != c:
            blocks += conv2d(f"decoder.stages.{k}.convolution", c, d, 1)
        if k:
            fusion = f"decoder.stages.{k}.fusion"
            blocks += [*conv2d(f"{fusion}.convolutional_layer1.0", c, 2 * c, 3),
                       Parameter(name=f"{fusion}.convolutional_layer1.1.weight", shape=(c,), component="norm"),
                       Parameter(name=f"{fusion}.convolutional_layer1.1.bias", shape=(c,), component="norm"),
                       *conv2d(f"{fusion}.convolutional_layer2.0", half, c, 3),
                       Parameter(name=f"{fusion}.convolutional_layer2.1.weight", shape=(half,), component="norm"),
                       Parameter(name=f"{fusion}.convolutional_layer2.1.bias", shape=(half,), component="norm"),
                       *conv2d(f"{fusion}.convolutional_layer3", 2, half, 3)]  # fmt: skip
    blocks += [*conv2d("head.head.0", c, c, 3, component="head"), *conv2d("head.head.2", 1, c, 3, component="head")]
    return nested(blocks)


def build(p: GlpnParams) -> Module:
    """GLPNModel's block tree, or GLPNForDepthEstimation's (``glpn``, the decoder and the head)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    return Module(blocks=[Module(name="glpn", blocks=encoder(p)), *decoder(p)])


@hookimpl
def register_families(register):
    """Register the ``glpn`` family."""
    register(Family(name="glpn", params=GlpnParams, build=build,
                    description="GLPN: a Mix Transformer encoder and a depth decoder with selective feature fusion"))
