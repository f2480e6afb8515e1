"""ViTDet, a plain ViT backbone with windowed attention, and ViTMatte's detail-capture decoder over it (the
``vitdet`` family).

Follows ``modeling_vitdet.py`` (``VitDetBackbone``, ``VitDetModel``) and ``modeling_vitmatte.py``
(``VitMatteForImageMatting``, ``head = "matting"``) of transformers 5.25:

* ``embeddings``: an absolute position table of the pretraining grid plus one row (``abs_positions``:
  ``(1, (pretrain_image_size / patch_size)² + 1, d_model)``) and the patch convolution with a bias;
* ``encoder.layer.<i>``: pre-norm layers (a fused ``qkv`` with or without biases, ``proj``, with
  ``rel_positions`` the tables ``rel_pos_h`` and ``rel_pos_w`` of ``(2s - 1, head_dim)``, ``s`` the window side in
  the ``window_layers``, else the ``image_size / patch_size`` grid; an MLP ``fc1``/``fc2`` of
  ``d_model × mlp_ratio``), and in the ``residual_layers`` a bottleneck block (1 × 1, 3 × 3 and 1 × 1
  convolutions without biases through ``d_model / 2`` channels, each followed by a channels-first norm); no final
  norm;
* ViTMatte (``head = "matting"``, the encoder under ``backbone``): the ConvStream (``decoder.convstream.convs.<i>``,
  3 × 3 convolutions without biases from the image's ``n_channels`` through ``convstream_sizes``, each with a
  BatchNorm), the fusion blocks (``decoder.fusion_blocks.<i>``, from ``matting_d_model`` through ``fusion_sizes``,
  each taking a ConvStream map too) and the matting head (a 3 × 3 convolution to 16 channels, a BatchNorm, a 1 × 1
  convolution to one).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.depth_anything import conv2d
from registry.plugins.vision import nested


class VitDetParams(FamilyParams):
    """Hyper-parameters of the ``vitdet`` family."""

    head: Literal["none", "matting"] = Field("none", description="none (the backbone) or ViTMatte's decoder")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: NonNegativeInt = Field(12, description="layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    mlp_ratio: PositiveInt = Field(4, description="MLP width over hidden size (a whole number, as VitDetConfig types it)")
    n_channels: PositiveInt = Field(3, description="image channels (ViTMatte: 4, the image and its trimap)")
    image_size: PositiveInt = Field(224, description="image side in pixels (the global layers' relative tables)")
    pretrain_image_size: PositiveInt = Field(224, description="the pretraining image side (the position table)")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    qkv_bias: bool = Field(True, description="biases on the fused qkv projection")
    abs_positions: bool = Field(True, description="an absolute position table")
    rel_positions: bool = Field(False, description="relative position tables in every layer")
    window_size: NonNegativeInt = Field(0, description="the windowed layers' window side")
    window_layers: list[NonNegativeInt] = Field([], description="the layers with windowed attention")
    residual_layers: list[NonNegativeInt] = Field([], description="the layers followed by a bottleneck block")
    matting_d_model: PositiveInt = Field(384, description="ViTMatte: the backbone features' channels it fuses")
    convstream_sizes: list[PositiveInt] = Field([48, 96, 192], description="ViTMatte: the ConvStream's channels")
    fusion_sizes: list[PositiveInt] = Field([256, 128, 64, 32], description="ViTMatte: the fusion blocks' channels")

    @model_validator(mode="after")
    def _check(self) -> VitDetParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        if self.residual_layers and self.d_model < 2:
            raise FieldError("residual_layers", "a bottleneck block of d_model / 2 = 0 channels")
        for name in ("image_size", "pretrain_image_size"):
            if self.patch_size > getattr(self, name):
                raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds {name}")
        if self.head == "matting" and len(self.fusion_sizes) != len(self.convstream_sizes) + 1:
            raise FieldError("fusion_sizes", f"has {len(self.fusion_sizes)} entries: ViTMatte needs one more than "
                             f"convstream_sizes ({len(self.convstream_sizes)}), as transformers checks")  # fmt: skip
        return self

    def side(self, layer: int) -> int:
        """The side of the positions layer ``layer`` attends over: its window, or the patch grid."""
        windowed = layer in self.window_layers and self.window_size > 0
        return self.window_size if windowed else self.image_size // self.patch_size


def _layer(p: VitDetParams, side: int, residual: bool) -> list:
    d, head_dim, ff = p.d_model, p.d_model // p.n_heads, p.d_model * p.mlp_ratio
    blocks: list = [LayerNorm(name="norm1", dim=d),
                    Linear(name="attention.qkv", in_features=d, out_features=3 * d, bias=p.qkv_bias, component="attention"),
                    Linear(name="attention.proj", in_features=d, out_features=d, component="attention")]  # fmt: skip
    if p.rel_positions:
        blocks += [Parameter(name=f"attention.rel_pos_{axis}", shape=(2 * side - 1, head_dim), component="attention")
                   for axis in ("h", "w")]  # fmt: skip
    blocks += [LayerNorm(name="norm2", dim=d),
               Linear(name="mlp.fc1", in_features=d, out_features=ff, component="feed_forward"),
               Linear(name="mlp.fc2", in_features=ff, out_features=d, component="feed_forward")]  # fmt: skip
    if residual:
        half = d // 2
        blocks += [*conv2d("residual.conv1", half, d, 1, bias=False), LayerNorm(name="residual.norm1", dim=half),
                   *conv2d("residual.conv2", half, half, 3, bias=False), LayerNorm(name="residual.norm2", dim=half),
                   *conv2d("residual.conv3", d, half, 1, bias=False), LayerNorm(name="residual.norm3", dim=d)]  # fmt: skip
    return nested(blocks)


def encoder(p: VitDetParams) -> list:
    """The embeddings and the layers (consecutive layers of one kind in one Repeat), unprefixed."""
    d = p.d_model
    embeddings: list = []
    if p.abs_positions:
        rows = (p.pretrain_image_size // p.patch_size) ** 2 + 1
        embeddings.append(Parameter(name="position_embeddings", shape=(1, rows, d), component="embedding"))
    embeddings += conv2d("projection", d, p.n_channels, p.patch_size, component="embedding")
    runs: list = []
    for i in range(p.n_layers):
        kind = (p.side(i), i in p.residual_layers)
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(i)
        else:
            runs.append((kind, [i]))
    layers = [Repeat(name="layer", count=len(idx), start=idx[0], blocks=_layer(p, side, residual))
              for (side, residual), idx in runs]  # fmt: skip
    return [Module(name="embeddings", blocks=embeddings), Module(name="encoder", blocks=layers)]


def _basic_conv(name: str, n_out: int, n_in: int) -> list:
    """VitMatteBasicConv3x3: a 3 × 3 convolution without bias and a BatchNorm (weight and bias)."""
    return [*conv2d(f"{name}.conv", n_out, n_in, 3, bias=False, component="head"),
            Parameter(name=f"{name}.batch_norm.weight", shape=(n_out,), component="norm"),
            Parameter(name=f"{name}.batch_norm.bias", shape=(n_out,), component="norm")]  # fmt: skip


def matting_decoder(p: VitDetParams) -> list:
    """ViTMatte's ConvStream, fusion blocks and matting head, unprefixed."""
    chans = [p.n_channels, *p.convstream_sizes]
    blocks: list = []
    for i in range(len(chans) - 1):
        blocks += _basic_conv(f"convstream.convs.{i}", chans[i + 1], chans[i])
    fusion = [p.matting_d_model, *p.fusion_sizes]
    for i in range(len(fusion) - 1):
        blocks += _basic_conv(f"fusion_blocks.{i}.conv", fusion[i + 1], fusion[i] + chans[-(i + 1)])
    blocks += [*conv2d("matting_head.matting_convs.0", 16, p.fusion_sizes[-1], 3, component="head"),
               Parameter(name="matting_head.matting_convs.1.weight", shape=(16,), component="norm"),
               Parameter(name="matting_head.matting_convs.1.bias", shape=(16,), component="norm"),
               *conv2d("matting_head.matting_convs.3", 1, 16, 1, component="head")]  # fmt: skip
    return nested(blocks)


def build(p: VitDetParams) -> Module:
    """VitDetModel's block tree, or VitMatteForImageMatting's (the backbone and the decoder)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    return Module(blocks=[Module(name="backbone", blocks=encoder(p)), Module(name="decoder", blocks=matting_decoder(p))])


@hookimpl
def register_families(register):
    """Register the ``vitdet`` family."""
    register(Family(name="vitdet", params=VitDetParams, build=build,
                    description="ViTDet (a windowed ViT backbone) and ViTMatte's detail-capture decoder over it"))
