"""UnivNet, a GAN vocoder of location-variable convolutions (the ``univnet`` family).

As transformers 5.25 builds ``UnivNetModel`` (``modeling_univnet.py``): plain PyTorch convolutions with biases
(``weight`` of ``(out, in, kernel)``, the transposed one ``(in, out, kernel)``; the weight normalisation is a method a
user may call, not part of the model). With ``H = model_hidden_channels``:

* ``conv_pre`` (``model_in_channels`` noise channels → ``H``, kernel 7);
* for each stride ``s`` of ``resblock_stride_sizes`` (the ``i``-th), ``resblocks.<i>`` (``UnivNetLvcBlock``) with the
  ``i``-th kernel size ``k`` and dilations ``d`` (``len(d)`` residual blocks): ``convt_pre`` (transposed, ``H → H``,
  kernel ``2s``), ``kernel_predictor`` and ``resblocks.<j>.conv`` (``H → H``, kernel ``k``) for each dilation;
* a kernel predictor (``UnivNetKernelPredictor``, with ``P = kernel_predictor_hidden_channels``): ``input_conv``
  (``num_mel_bins → P``, kernel 5), ``kernel_predictor_num_blocks`` residual blocks of ``conv1`` and ``conv2`` (each
  ``model_in_channels → model_in_channels``, kernel ``kernel_predictor_conv_size``: transformers sizes them by the
  noise channels although they convolve the ``P`` hidden channels, so both must be equal to run), ``kernel_conv``
  (``P → H · 2H · k · len(d)``) and ``bias_conv`` (``P → 2H · len(d)``), kernel ``kernel_predictor_conv_size``;
* ``conv_post`` (``H → 1``, kernel 7).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convolution import conv1d


class UnivNetParams(FamilyParams):
    """Hyper-parameters of the ``univnet`` family (transformers' ``UnivNetConfig`` names them alike)."""

    model_in_channels: PositiveInt = Field(64, description="channels of the noise sequence into conv_pre")
    model_hidden_channels: PositiveInt = Field(32, description="channels of the residual network")
    num_mel_bins: PositiveInt = Field(100, description="mel channels the kernel predictors take")
    resblock_kernel_sizes: list[PositiveInt] = Field([3, 3, 3], min_length=1, description="each LVC block's kernel")
    resblock_stride_sizes: list[PositiveInt] = Field([8, 8, 4], min_length=1, description="each LVC block's upsampling")
    resblock_dilation_sizes: list[list[PositiveInt]] = Field(
        [[1, 3, 9, 27]] * 3, min_length=1, description="each LVC block's dilations, one residual block each")
    kernel_predictor_num_blocks: int = Field(3, ge=0, description="residual blocks of each kernel predictor")
    kernel_predictor_hidden_channels: PositiveInt = Field(64, description="channels of each kernel predictor")
    kernel_predictor_conv_size: PositiveInt = Field(3, description="kernel of the kernel predictors' convolutions")

    @model_validator(mode="after")
    def _check(self) -> UnivNetParams:
        blocks = len(self.resblock_stride_sizes)
        for name in ("resblock_kernel_sizes", "resblock_dilation_sizes"):
            if len(getattr(self, name)) != blocks:
                raise FieldError(name, f"{len(getattr(self, name))} entries but resblock_stride_sizes has {blocks}: "
                                       "one per LVC block")  # fmt: skip
        for dilations in self.resblock_dilation_sizes:
            if not dilations:
                raise FieldError("resblock_dilation_sizes", "an LVC block needs at least one dilation")
        return self


def _kernel_predictor(p: UnivNetParams, kernel: int, layers: int) -> Module:
    """A ``UnivNetKernelPredictor`` (the module's docstring lists its tensors)."""
    hidden, inner, size = p.model_hidden_channels, p.kernel_predictor_hidden_channels, p.kernel_predictor_conv_size
    channels = p.model_in_channels
    residual = [*conv1d("conv1", channels, channels, size), *conv1d("conv2", channels, channels, size)]
    blocks: list[Block] = [*conv1d("input_conv", p.num_mel_bins, inner, 5)]
    if p.kernel_predictor_num_blocks:
        blocks.append(Repeat(name="resblocks", count=p.kernel_predictor_num_blocks, blocks=residual))
    blocks += [*conv1d("kernel_conv", inner, hidden * 2 * hidden * kernel * layers, size),
               *conv1d("bias_conv", inner, 2 * hidden * layers, size)]  # fmt: skip
    return Module(name="kernel_predictor", blocks=blocks)


def build(p: UnivNetParams) -> Module:
    """``UnivNetModel``'s parameters (the module's docstring lists them)."""
    hidden = p.model_hidden_channels
    blocks: list[Block] = [*conv1d("conv_pre", p.model_in_channels, hidden, 7)]
    for i, (stride, kernel, dilations) in enumerate(zip(p.resblock_stride_sizes, p.resblock_kernel_sizes,
                                                        p.resblock_dilation_sizes, strict=True)):  # fmt: skip
        blocks.append(Module(name=f"resblocks.{i}", blocks=[
            Parameter(name="convt_pre.weight", shape=(hidden, hidden, 2 * stride)),
            Parameter(name="convt_pre.bias", shape=(hidden,)),
            _kernel_predictor(p, kernel, len(dilations)),
            Repeat(name="resblocks", count=len(dilations), blocks=conv1d("conv", hidden, hidden, kernel)),
        ]))  # fmt: skip
    blocks += conv1d("conv_post", hidden, 1, 7)
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``univnet`` family."""
    register(Family(name="univnet", params=UnivNetParams, build=build,
                    description="UnivNet: GAN vocoder of location-variable convolutions and kernel predictors"))
