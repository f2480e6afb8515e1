"""Depth Pro: DINOv2 patch, image and field-of-view encoders with a fusion decoder (the ``depth-pro`` family).

Follows ``modeling_depth_pro.py`` of transformers 5.25 (``DepthProForDepthEstimation``, ``DepthProModel``):

* ``encoder.patch_encoder.model`` and ``encoder.image_encoder.model``: the ``vision`` family's DINOv2 encoder
  (``Dinov2Model``), the two of the same sizes (the mapping refuses encoders of different sizes);
* ``neck.feature_upsample``: ``image_block`` (a 2 × 2 transposed convolution with a bias from the encoder's width to
  the first scaled width), one block per ``scaled_images_feature_dims`` entry (a 1 × 1 projection, a 2 × 2 transposed
  convolution, no biases) and one per ``intermediate_feature_dims`` entry ``i`` (a 1 × 1 projection to
  ``fusion_hidden_size`` for the first, else to its width, then ``2 + i`` transposed convolutions, no biases);
  ``fuse_image_with_low_res`` (1 × 1, twice the first scaled width to it, with a bias); ``feature_projection`` (a
  3 × 3 convolution without bias from each scaled and intermediate width to ``fusion_hidden_size``, the last left
  out when its width already is that);
* ``fusion_stage`` (the estimation model only): one layer per hook and scale ratio, all but the last with a 2 × 2
  transposed convolution (``deconv``, no bias), each with two pre-activation residual units and a 1 × 1 projection;
* ``head``: a 3 × 3 convolution to half the fusion width, a 2 × 2 transposed convolution, a 3 × 3 convolution to
  32 channels and a 1 × 1 one to one, all with biases;
* ``fov_model`` (``use_fov_model``): a third DINOv2 encoder with a linear ``neck`` to half the fusion width, a
  3 × 3 ``conv`` and a head of ``num_fov_head_layers`` 3 × 3 convolutions halving the channels (rounded up) and a
  last convolution to one channel whose side follows from the image encoder's patch grid.
A transposed convolution holds its weight as ``(in, out, k, k)``.
"""

from __future__ import annotations

import math
from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Module, Parameter
from registry.plugins.depth_anything import conv2d
from registry.plugins.vision import VisionParams, nested, tower


class DepthProParams(VisionParams):
    """Hyper-parameters of the ``depth-pro`` family: the encoders' (see ``vision``), the decoder's."""

    estimation: bool = Field(True, description="the fusion stage and depth head (DepthProForDepthEstimation)")
    fov_model: bool = Field(False, description="use_fov_model: the field-of-view encoder and head")
    fusion_hidden_size: PositiveInt = Field(256, description="channels of the fusion stage")
    scaled_feature_dims: list[PositiveInt] = Field([1024, 1024, 512], description="scaled images' feature widths")
    intermediate_feature_dims: list[PositiveInt] = Field([256, 256], description="intermediate features' widths")
    n_fusion_layers: PositiveInt = Field(5, description="hooks plus scale ratios: the fusion stage's layers")
    n_fov_head_layers: int = Field(2, ge=0, description="the field-of-view head's halving convolutions")
    patch_grid: PositiveInt = Field(24, description="the image encoder's image_size // patch_size")


def _tconv(name: str, n_in: int, n_out: int, side: int, bias: bool) -> list:
    """A ``ConvTranspose2d``'s tensors: weight ``(in, out, side, side)`` and, with ``bias``, the bias."""
    blocks = [Parameter(name=f"{name}.weight", shape=(n_in, n_out, side, side), component="other")]
    if bias:
        blocks.append(Parameter(name=f"{name}.bias", shape=(n_out,), component="other"))
    return blocks


def _neck(p: DepthProParams) -> list:
    """The feature upsampling, the low-resolution fusion and the feature projections, unprefixed."""
    d, f, scaled = p.d_model, p.fusion_hidden_size, p.scaled_feature_dims
    blocks = _tconv("feature_upsample.image_block.layers.0", d, scaled[0], 2, True)
    for i, width in enumerate(scaled):
        prefix = f"feature_upsample.scaled_images.{i}.layers"
        blocks += conv2d(f"{prefix}.0", width, d, 1, bias=False) + _tconv(f"{prefix}.1", width, width, 2, False)
    for i, width in enumerate(p.intermediate_feature_dims):
        prefix, inner = f"feature_upsample.intermediate.{i}.layers", f if i == 0 else width
        blocks += conv2d(f"{prefix}.0", inner, d, 1, bias=False)
        for j in range(2 + i):
            blocks += _tconv(f"{prefix}.{j + 1}", inner if j == 0 else width, width, 2, False)
    blocks += conv2d("fuse_image_with_low_res", scaled[0], 2 * scaled[0], 1)
    combined = scaled + p.intermediate_feature_dims
    for i, width in enumerate(combined):
        if not (i == len(combined) - 1 and width == f):
            blocks += conv2d(f"feature_projection.projections.{i}", f, width, 3, bias=False)
    return nested(blocks)


def _fusion_layer(p: DepthProParams, prefix: str, deconv: bool) -> list:
    f = p.fusion_hidden_size
    blocks: list = []
    for unit in (1, 2):
        blocks += conv2d(f"{prefix}.residual_layer{unit}.convolution1", f, f, 3)
        blocks += conv2d(f"{prefix}.residual_layer{unit}.convolution2", f, f, 3)
    if deconv:
        blocks += _tconv(f"{prefix}.deconv", f, f, 2, False)
    return blocks + conv2d(f"{prefix}.projection", f, f, 1)


def _depth_head(p: DepthProParams) -> list:
    h = p.fusion_hidden_size // 2
    return nested([*conv2d("layers.0", h, p.fusion_hidden_size, 3, component="head"),
                   *_tconv("layers.1", h, h, 2, True), *conv2d("layers.2", 32, h, 3, component="head"),
                   *conv2d("layers.4", 1, 32, 1, component="head")])  # fmt: skip


def _fov_model(p: DepthProParams) -> list:
    f, n = p.fusion_hidden_size, p.n_fov_head_layers
    encoder = Module(name="fov_encoder", blocks=[Module(name="model", blocks=tower(p)), *nested([
        Parameter(name="neck.weight", shape=(f // 2, p.d_model), component="head"),
        Parameter(name="neck.bias", shape=(f // 2,), component="head")])])  # fmt: skip
    head: list = []
    for i in range(n):
        head += conv2d(f"layers.{2 * i}", math.ceil(f / 2 ** (i + 2)), math.ceil(f / 2 ** (i + 1)), 3, component="head")
    side = int((p.patch_grid - 1) / 2**n + 1)
    head += conv2d(f"layers.{2 * n}", 1, math.ceil(f / 2 ** (n + 1)), side, component="head")
    return [encoder, *nested(conv2d("conv", f // 2, f, 3, component="head")), Module(name="head", blocks=nested(head))]


def build(p: DepthProParams) -> Module:
    """The block tree of DepthProForDepthEstimation (``depth_pro``, fusion stage, head, FOV model) or DepthProModel."""
    body = [Module(name="encoder", blocks=[Module(name="patch_encoder", blocks=[Module(name="model", blocks=tower(p))]),
                                           Module(name="image_encoder", blocks=[Module(name="model", blocks=tower(p))])]),
            Module(name="neck", blocks=_neck(p))]  # fmt: skip
    if not p.estimation:
        return Module(blocks=body)
    fusion = [*[b for i in range(p.n_fusion_layers - 1) for b in _fusion_layer(p, f"intermediate.{i}", True)],
              *_fusion_layer(p, "final", False)]  # fmt: skip
    blocks = [Module(name="depth_pro", blocks=body), Module(name="fusion_stage", blocks=nested(fusion)),
              Module(name="head", blocks=_depth_head(p))]  # fmt: skip
    if p.fov_model:
        blocks.append(Module(name="fov_model", blocks=_fov_model(p)))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``depth-pro`` family."""
    register(Family(name="depth-pro", params=DepthProParams, build=build,
                    description="Depth Pro: DINOv2 patch, image and field-of-view encoders, a fusion decoder"))
