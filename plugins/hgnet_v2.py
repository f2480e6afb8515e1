"""The HGNetV2 backbone of D-FINE (``modeling_hgnet_v2.py``'s ``HGNetV2Backbone`` in transformers 5.25), as blocks.

Every convolution is bias-free and followed by a batch norm (frozen into buffers with ``frozen_norms``: D-FINE's
``freeze_backbone_batch_norms``); a convolution with an activation also holds a learnable affine block
(``lab.scale``, ``lab.bias``: one number each) with ``use_learnable_affine_block``. Unprefixed names:

* ``embedder``: ``stem1`` (3 × 3, ``stem_channels[0]`` to ``[1]``), ``stem2a`` (2 × 2, to half of it),
  ``stem2b`` (2 × 2, back), ``stem3`` (3 × 3, from twice ``[1]``: the pooled map beside stem2b's), ``stem4``
  (1 × 1, to ``[2]``);
* ``encoder.stages.<i>``: a depthwise 3 × 3 ``downsample`` (no activation) where ``stage_downsample``, then
  ``stage_num_blocks`` blocks (``blocks.<j>``, the first from ``stage_in_channels``, the others from
  ``stage_out_channels``) of ``stage_numb_of_layers`` layers (``layers.<k>``, to ``stage_mid_channels``: a
  ``stage_kernel_size`` convolution, or with ``stage_light_block`` a 1 × 1 ``conv1`` without activation then a
  depthwise ``conv2``) and an ``aggregation`` of two 1 × 1 convolutions (from the input and every layer's output
  to half the stage's output, then to it).

The feature maps the backbone returns have the widths ``[embedding_size, *hidden_sizes]`` at its ``out_indices``
(transformers' ``BackboneMixin.channels``), which the detector reads; they are not the stages' own widths.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry.blocks import Block, FieldError, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import conv2d, conv_norm

#: The per-stage lists of an HGNetV2 config, which must have one entry per stage.
STAGE_LISTS = ("stage_in_channels", "stage_mid_channels", "stage_out_channels", "stage_num_blocks",
               "stage_downsample", "stage_light_block", "stage_kernel_size", "stage_numb_of_layers")  # fmt: skip


class HGNetV2Params(FamilyParams):
    """Hyper-parameters of an HGNetV2 backbone (the fields of transformers' ``HGNetV2Config`` that shape it)."""

    stem_channels: list[PositiveInt] = Field([3, 32, 48], description="the stem's input, middle and output widths")
    stage_in_channels: list[PositiveInt] = Field([48, 128, 512, 1024], description="each stage's input width")
    stage_mid_channels: list[PositiveInt] = Field([48, 96, 192, 384], description="each stage's layer width")
    stage_out_channels: list[PositiveInt] = Field([128, 512, 1024, 2048], description="each stage's output width")
    stage_num_blocks: list[NonNegativeInt] = Field([1, 1, 3, 1], description="blocks per stage")
    stage_downsample: list[bool] = Field([False, True, True, True], description="a stage starts with a downsample")
    stage_light_block: list[bool] = Field([False, False, True, True], description="a stage's layers are light")
    stage_kernel_size: list[PositiveInt] = Field([3, 3, 5, 5], description="each stage's layer kernel")
    stage_numb_of_layers: list[NonNegativeInt] = Field([6, 6, 6, 6], description="layers per block")
    use_learnable_affine_block: bool = Field(False, description="a scale and a shift after each activation")
    frozen_norms: bool = Field(True, description="the backbone's batch norms are buffers")

    @model_validator(mode="after")
    def _check_stages(self) -> HGNetV2Params:
        if len(self.stem_channels) != 3:
            raise FieldError("stem_channels", f"has {len(self.stem_channels)} entries; an HGNetV2 stem takes 3")
        if self.stem_channels[1] < 2:
            raise FieldError("stem_channels", "a middle width of 1 halves to no channels in stem2a")
        sizes = {name: len(getattr(self, name)) for name in STAGE_LISTS}
        if len(set(sizes.values())) != 1:
            raise FieldError("stage_in_channels", "the stage lists differ in length (" +
                             ", ".join(f"{k} {v}" for k, v in sizes.items()) + ")")  # fmt: skip
        if any(out < 2 for out in self.stage_out_channels):
            raise FieldError("stage_out_channels", "a width of 1 halves to no channels in the aggregation")
        return self


def _conv(p: HGNetV2Params, name: str, n_in: int, n_out: int, kernel: int, *, groups: int = 1,
          activated: bool = True) -> Module:
    """An ``HGNetV2ConvLayer``: ``convolution``, ``normalization`` (unless frozen), ``lab`` (with an activation)."""
    blocks = conv2d("convolution", n_in, n_out, kernel, groups=groups) if p.frozen_norms \
        else conv_norm("", n_in, n_out, kernel, groups=groups)  # fmt: skip
    if activated and p.use_learnable_affine_block:
        blocks += [Parameter(name="lab.scale", shape=(1,)), Parameter(name="lab.bias", shape=(1,))]
    return Module(name=name, blocks=blocks)


def _block(p: HGNetV2Params, stage: int, n_in: int) -> list[Block]:
    """One ``HGNetV2BasicLayer`` of ``stage`` from ``n_in`` channels, unprefixed."""
    mid, out = p.stage_mid_channels[stage], p.stage_out_channels[stage]
    kernel, n_layers = p.stage_kernel_size[stage], p.stage_numb_of_layers[stage]

    def layer(a: int) -> Module:
        if p.stage_light_block[stage]:
            return Module(name="", blocks=[_conv(p, "conv1", a, mid, 1, activated=False),
                                           _conv(p, "conv2", mid, mid, kernel, groups=mid)])  # fmt: skip
        return _conv(p, "", a, mid, kernel)

    layers: list[Block] = []
    if n_layers:
        layers.append(Module(name="0", blocks=[layer(n_in)]))
    if n_layers > 1:
        layers.append(Repeat(name="", count=n_layers - 1, start=1, blocks=[layer(mid)]))
    total = n_in + n_layers * mid
    aggregation = [_conv(p, "0", total, out // 2, 1), _conv(p, "1", out // 2, out, 1)]
    return [Module(name="layers", blocks=layers), Module(name="aggregation", blocks=aggregation)]


def hgnet_v2_backbone(p: HGNetV2Params) -> list[Block]:
    """The HGNetV2 stem and stages (``embedder``, ``encoder.stages``), unprefixed."""
    c0, c1, c2 = p.stem_channels
    stem = [_conv(p, "stem1", c0, c1, 3), _conv(p, "stem2a", c1, c1 // 2, 2), _conv(p, "stem2b", c1 // 2, c1, 2),
            _conv(p, "stem3", 2 * c1, c1, 3), _conv(p, "stem4", c1, c2, 1)]  # fmt: skip
    stages: list[Block] = []
    for i, n_in in enumerate(p.stage_in_channels):
        blocks: list[Block] = []
        if p.stage_downsample[i]:
            blocks.append(_conv(p, "downsample", n_in, n_in, 3, groups=n_in, activated=False))
        n_blocks = p.stage_num_blocks[i]
        if n_blocks:
            blocks.append(Module(name="blocks.0", blocks=_block(p, i, n_in)))
        if n_blocks > 1:
            blocks.append(Repeat(name="blocks", count=n_blocks - 1, start=1,
                                 blocks=_block(p, i, p.stage_out_channels[i])))  # fmt: skip
        stages.append(Module(name=str(i), blocks=blocks))
    return [Module(name="embedder", blocks=stem), Module(name="encoder.stages", blocks=stages)]
