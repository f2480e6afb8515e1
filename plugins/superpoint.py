"""SuperPoint: a convolutional interest-point detector and descriptor (the ``superpoint`` family).

Follows ``modeling_superpoint.py`` of transformers 5.25 (``SuperPointForKeypointDetection``), every convolution with a
bias:

* ``encoder.conv_blocks.<i>``, one block per entry of ``encoder_sizes``: ``conv_a`` (3 × 3, from one channel, the
  grey image, for the first block, else from the width before) and ``conv_b`` (3 × 3, the block's width to itself);
* ``keypoint_decoder``: ``conv_score_a`` (3 × 3, the last width to ``decoder_d_model``) and ``conv_score_b`` (1 × 1,
  to ``keypoint_dim``: 64 cells of an 8 × 8 patch and a "no keypoint" bin);
* ``descriptor_decoder``: ``conv_descriptor_a`` (3 × 3, the last width to ``decoder_d_model``) and
  ``conv_descriptor_b`` (1 × 1, to ``descriptor_dim``).

Pooling, ReLUs and the keypoint selection (threshold, non-maximum suppression, border removal) hold no tensors.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import conv2d


class SuperPointParams(FamilyParams):
    """Hyper-parameters of the ``superpoint`` family (SuperPoint's, as SuperPointConfig's defaults)."""

    encoder_sizes: list[PositiveInt] = Field([64, 64, 128, 128], description="each encoder block's channels")
    decoder_d_model: PositiveInt = Field(256, description="the two decoders' hidden channels")
    keypoint_dim: PositiveInt = Field(65, description="the keypoint decoder's output channels")
    descriptor_dim: PositiveInt = Field(256, description="the descriptor decoder's output channels")

    @model_validator(mode="after")
    def _check(self) -> SuperPointParams:
        if len(self.encoder_sizes) < 2:
            raise FieldError("encoder_sizes", f"has {len(self.encoder_sizes)} entries: SuperPoint's encoder needs at "
                             "least two blocks (its last block reads the width before the last)")  # fmt: skip
        return self


def _conv(name: str, n_in: int, n_out: int, kernel: int) -> Module:
    """A ``Conv2d`` with a bias, as a module of its own."""
    return Module(name=name, blocks=conv2d("", n_in, n_out, kernel, bias=True))


def build(p: SuperPointParams) -> Module:
    """SuperPointForKeypointDetection's block tree."""
    blocks: list[Block] = []
    previous = 1
    for i, width in enumerate(p.encoder_sizes):
        blocks.append(Module(name=str(i), blocks=[_conv("conv_a", previous, width, 3), _conv("conv_b", width, width, 3)]))
        previous = width
    c = p.decoder_d_model
    return Module(blocks=[
        Module(name="encoder", blocks=[Module(name="conv_blocks", blocks=blocks)]),
        Module(name="keypoint_decoder", blocks=[_conv("conv_score_a", previous, c, 3),
                                                _conv("conv_score_b", c, p.keypoint_dim, 1)]),
        Module(name="descriptor_decoder", blocks=[_conv("conv_descriptor_a", previous, c, 3),
                                                  _conv("conv_descriptor_b", c, p.descriptor_dim, 1)])])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``superpoint`` family."""
    register(Family(name="superpoint", params=SuperPointParams, build=build,
                    description="SuperPoint: a convolutional interest-point detector and descriptor"))  # fmt: skip
