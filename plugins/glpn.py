"""GLPN: a hierarchical Mix Transformer encoder and a depth decoder with selective feature fusion (the ``glpn``
family).

Follows ``modeling_glpn.py`` of transformers 5.25 (``GLPNForDepthEstimation``, ``GLPNModel``). The encoder is the
Mix Transformer of :mod:`registry.plugins.mix_transformer` (which the ``segformer`` family shares: SegFormer, PVT v2)
under GLPN's names, grouped by kind rather than by stage:

* ``encoder.patch_embeddings.<i>``: per stage an overlapping patch convolution ``proj`` and a ``layer_norm``;
* ``encoder.block.<i>.<j>``: ``depths[i]`` layers of the stage's width: ``layer_norm_1``, efficient self-attention
  (``attention.self.query``, ``key``, ``value``, with ``sr_ratios[i]`` above 1 the reduction ``attention.self.sr``
  and ``attention.self.layer_norm``, then ``attention.output.dense``, all with biases), ``layer_norm_2``, the Mix-FFN
  (``mlp.dense1``, ``mlp.dwconv.dwconv``, ``mlp.dense2``); ``encoder.layer_norm.<i>`` after each stage;
* with ``head = "depth"`` (the encoder under ``glpn``): ``decoder.stages.<k>`` over the stages last to first, a 1 × 1
  convolution to ``decoder_d_model`` with a bias (none when the widths are equal) and, after the first, the selective
  feature fusion (3 × 3 convolutions with biases ``2d → d → d/2 → 2``, BatchNorms after the first two); the head's
  two 3 × 3 convolutions (to ``decoder_d_model`` and to one channel).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.depth_anything import conv2d
from registry.plugins.mix_transformer import LAYOUTS, check_stages
from registry.plugins.mix_transformer import encoder as mix_encoder
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
        check_stages(self)
        if self.head == "depth" and self.n_stages > 1 and self.decoder_d_model < 2:
            raise FieldError("decoder_d_model", "must be at least 2: the fusion's second convolution has half as many "
                             "channels")  # fmt: skip
        return self


def encoder(p: GlpnParams) -> list:
    """The patch embeddings, the stages' layers and norms, unprefixed (under ``encoder``)."""
    return mix_encoder(p, LAYOUTS["glpn"])


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
