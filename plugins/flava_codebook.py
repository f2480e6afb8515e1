"""FLAVA's image codebook, DALL-E's convolutional image encoder (the ``flava-image-codebook`` family).

transformers 5.25's ``FlavaImageCodebook`` (``modeling_flava.py``), every tensor under ``blocks``:

* ``input``: a 7×7 convolution of ``n_channels`` to ``d_model`` channels with a bias;
* four groups (``group_1`` … ``group_4``, whatever ``num_groups`` says: it only sets the residual gain), of
  ``d_model``, ``2 × d_model``, ``4 × d_model`` and ``8 × d_model`` channels, each ``n_blocks`` blocks
  (``group_<g>.group.block_<i>``): the first of a group that widens its input a 1×1 ``id_path`` convolution, every
  block a ``res_path.path`` of 3×3 convolutions ``conv_1`` (to a quarter of the block's channels, floored),
  ``conv_2``, ``conv_3`` and a 1×1 ``conv_4`` back to the block's channels, all with biases (max pools and ReLUs
  hold no tensors);
* ``output.conv``: a 1×1 convolution of ``8 × d_model`` channels to the ``vocab_size`` visual tokens, with a bias.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import conv2d


#: Most blocks a group may hold: each is a module of its own name (``block_<i>``, which a repeat cannot number), so
#: the tree holds every one; transformers' published codebook has 2 (a guard against typing errors, not a model limit).
MAX_BLOCKS = 4_096


class FlavaCodebookParams(FamilyParams):
    """Hyper-parameters of the ``flava-image-codebook`` family."""

    d_model: PositiveInt = Field(256, description="the first group's channels (hidden_size); the others 2, 4 and 8 times it")
    n_channels: PositiveInt = Field(3, description="the image's channels (input_channels)")
    n_blocks: PositiveInt = Field(2, le=MAX_BLOCKS, description=f"blocks of each group (num_blocks_per_group), at most "
                                                                 f"{MAX_BLOCKS:,}")
    vocab_size: PositiveInt = Field(8192, description="visual tokens, the output convolution's channels")

    @model_validator(mode="after")
    def _check(self) -> FlavaCodebookParams:
        if self.d_model < 4:
            raise FieldError("d_model", f"the first group's blocks of {self.d_model} channels would have a residual path "
                                        "of none (a quarter of them, floored): hidden_size must be >= 4")  # fmt: skip
        return self


def _block(name: str, n_in: int, n_out: int) -> Module:
    """One ``FlavaImageCodebookBlock``: the widening ``id_path`` if any, the residual path's four convolutions."""
    hidden = n_out // 4
    blocks: list[Block] = conv2d("id_path", n_in, n_out, 1, bias=True) if n_in != n_out else []
    for i, (a, b, k) in enumerate(((n_in, hidden, 3), (hidden, hidden, 3), (hidden, hidden, 3), (hidden, n_out, 1)), 1):
        blocks += conv2d(f"res_path.path.conv_{i}", a, b, k, bias=True)
    return Module(name=name, blocks=blocks)


def build(p: FlavaCodebookParams) -> Module:
    """The block tree of FLAVA's image codebook."""
    d = p.d_model
    blocks: list[Block] = conv2d("input", p.n_channels, d, 7, bias=True)
    for g, (n_in, n_out) in enumerate(((d, d), (d, 2 * d), (2 * d, 4 * d), (4 * d, 8 * d)), 1):
        group = [_block(f"block_{i}", n_in if i == 1 else n_out, n_out) for i in range(1, p.n_blocks + 1)]
        blocks.append(Module(name=f"group_{g}.group", blocks=group))
    blocks += conv2d("output.conv", 8 * d, p.vocab_size, 1, bias=True)
    return Module(blocks=[Module(name="blocks", blocks=blocks)])


@hookimpl
def register_families(register):
    """Register the ``flava-image-codebook`` family."""
    register(Family(name="flava-image-codebook", params=FlavaCodebookParams, build=build,
                    description="FLAVA's image codebook: DALL-E's convolutional image encoder to visual tokens"))
