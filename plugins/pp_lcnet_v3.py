"""PP-LCNetV3, PaddlePaddle's backbone of re-parameterisable depthwise-separable convolutions, as bare tensors.

Not a plugin (it registers nothing): the hyper-parameters (:class:`LCNetV3Params`) and the encoder's blocks
(:func:`encoder`) for the families that hold it (:mod:`registry.plugins.pp_ocr`). Follows ``modeling_pp_lcnet_v3.py``
of transformers 5.25 (``PPLCNetV3Encoder``), its branches unfused as transformers builds them; every convolution
bias-free and followed by a BatchNorm (whose running statistics are checkpoint buffers):

* ``convolution``: the stem, a 3 × 3 convolution of 3 to ``make_divisible(stem_channels × scale, divisor)`` channels;
* ``blocks.<s>.layers.<j>``, one per entry of each stage of the block table, from ``make_divisible(in × scale)`` to
  ``make_divisible(out × scale)`` channels: a ``depthwise_convolution`` (of the block's kernel) and a
  ``pointwise_convolution`` (1 × 1), each a learnable re-parameterisation layer (``conv_symmetric.<k>``,
  ``conv_branches`` convolutions of the kernel with their norms; ``conv_small_symmetric``, a 1 × 1 one, when the
  kernel is above 1; ``identity``, a BatchNorm of the input, when the layer keeps its width at a stride of exactly 1;
  two learnable affine scalars ``lab.scale``/``lab.bias`` and ``act.lab.scale``/``act.lab.bias``), and between them,
  for the blocks that ask for it, ``squeeze_excitation_module.convolutions.0`` and ``.2`` (1 × 1 with biases, the
  width divided by ``se_reduction`` and back).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry.blocks import Block, FieldError, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import batch_norm, conv2d, conv_norm
from registry.plugins.mobilenet import make_divisible

#: PP-LCNetV3's block table when a configuration gives none (``PPLCNetV3Config.__post_init__``, transformers 5.25):
#: per stage, per block, (kernel, in_channels, out_channels, stride is exactly 1, squeeze-and-excitation).
DEFAULT_BLOCKS = (
    ((3, 16, 32, True, False),),
    ((3, 32, 64, False, False), (3, 64, 64, True, False)),
    ((3, 64, 128, False, False), (3, 128, 128, True, False)),
    ((3, 128, 256, False, False), *((5, 256, 256, True, False),) * 4),
    ((5, 256, 512, False, True), (5, 512, 512, True, True), (5, 512, 512, True, False), (5, 512, 512, True, False)),
)  # fmt: skip
#: The number of stages transformers accepts (``PPLCNetV3Config.validate_architecture``).
N_STAGES = 5


def _column(index: int) -> list[list]:
    return [[block[index] for block in stage] for stage in DEFAULT_BLOCKS]


class LCNetV3Params(FamilyParams):
    """Hyper-parameters of a PP-LCNetV3 backbone (``PPLCNetV3Config``'s defaults)."""

    scale: PositiveFloat = Field(1.0, description="the scale of every width")
    divisor: PositiveInt = Field(8, description="scaled widths are rounded to a multiple of this")
    stem_channels: PositiveInt = Field(16, description="the stem's width before scaling")
    conv_branches: NonNegativeInt = Field(4, description="kxk branches of each re-parameterisation layer "
                                          "(conv_symmetric_num)")  # fmt: skip
    se_reduction: PositiveInt = Field(4, description="squeeze-and-excitation reduction (reduction)")
    block_kernels: list[list[PositiveInt]] = Field(_column(0), description="each stage's blocks' depthwise kernels")
    block_in: list[list[PositiveInt]] = Field(_column(1), description="each stage's blocks' input widths (unscaled)")
    block_out: list[list[PositiveInt]] = Field(_column(2), description="each stage's blocks' output widths (unscaled)")
    block_unit_stride: list[list[bool]] = Field(_column(3), description="each stage's blocks: stride exactly 1")
    block_se: list[list[bool]] = Field(_column(4), description="each stage's blocks: squeeze-and-excitation")

    @model_validator(mode="after")
    def _check_blocks(self) -> LCNetV3Params:
        if len(self.block_kernels) != N_STAGES:
            raise FieldError("block_kernels", f"lists {len(self.block_kernels)} stages: PP-LCNetV3 has {N_STAGES}")
        shape = [len(stage) for stage in self.block_kernels]
        for name in ("block_in", "block_out", "block_unit_stride", "block_se"):
            if [len(stage) for stage in getattr(self, name)] != shape:
                raise FieldError(name, f"must list as many blocks per stage as block_kernels ({shape})")
        if not all(shape):
            raise FieldError("block_kernels", "every stage needs at least one block")
        return self

    def width(self, channels: int) -> int:
        """A width as the encoder builds it: ``make_divisible(channels × scale, divisor)``."""
        return make_divisible(channels * self.scale, self.divisor, self.divisor)

    def stage_widths(self) -> list[int]:
        """``PPLCNetV3Backbone.num_features``: the unscaled stem width, then each stage's last output width ×
        ``scale`` truncated (not rounded as the encoder's widths are)."""
        return [self.stem_channels, *(int(stage[-1] * self.scale) for stage in self.block_out)]


def _rep_layer(p: LCNetV3Params, n_in: int, n_out: int, kernel: int, unit_stride: bool, groups: int) -> list[Block]:
    """PPLCNetV3LearnableRepLayer: the identity norm, the kxk branches, the 1x1 branch, the affine scalars."""
    blocks: list[Block] = [batch_norm("identity", n_in)] if n_in == n_out and unit_stride else []
    branches = [Module(name=str(k), blocks=conv_norm("", n_in, n_out, kernel, groups=groups))
                for k in range(p.conv_branches)]  # fmt: skip
    if branches:
        blocks.append(Module(name="conv_symmetric", blocks=branches))
    if kernel > 1:
        blocks += conv_norm("conv_small_symmetric", n_in, n_out, 1, groups=groups)
    affine = [Parameter(name="scale", shape=(1,)), Parameter(name="bias", shape=(1,))]
    return [*blocks, Module(name="lab", blocks=affine), Module(name="act", blocks=[Module(name="lab", blocks=affine)])]


def _block(p: LCNetV3Params, kernel: int, n_in: int, n_out: int, unit_stride: bool, se: bool) -> list[Block]:
    """PPLCNetV3DepthwiseSeparableConvLayer of ``n_in`` to ``n_out`` (scaled) channels."""
    blocks = [Module(name="depthwise_convolution", blocks=_rep_layer(p, n_in, n_in, kernel, unit_stride, n_in))]
    if se:
        squeezed = n_in // p.se_reduction
        convs = [*conv2d("0", n_in, squeezed, 1, bias=True), *conv2d("2", squeezed, n_in, 1, bias=True)]
        blocks.append(Module(name="squeeze_excitation_module", blocks=[Module(name="convolutions", blocks=convs)]))
    blocks.append(Module(name="pointwise_convolution", blocks=_rep_layer(p, n_in, n_out, 1, True, 1)))
    return blocks


def encoder(p: LCNetV3Params) -> Module:
    """``PPLCNetV3Encoder`` (``encoder``): the stem and the five stages."""
    stages = []
    for s, kernels in enumerate(p.block_kernels):
        layers = [Module(name=str(j), blocks=_block(p, kernel, p.width(p.block_in[s][j]), p.width(p.block_out[s][j]),
                                                    p.block_unit_stride[s][j], p.block_se[s][j]))
                  for j, kernel in enumerate(kernels)]  # fmt: skip
        stages.append(Module(name=str(s), blocks=[Module(name="layers", blocks=layers)]))
    stem = conv_norm("convolution", 3, p.width(p.stem_channels), 3)
    return Module(name="encoder", blocks=[*stem, Module(name="blocks", blocks=stages)])
