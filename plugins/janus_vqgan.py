"""Janus's image tokenizer, a VQGAN (the ``janus-vqgan`` family).

transformers 5.25's ``JanusVQVAE`` (``modeling_janus.py``, the taming-transformers layout), held as
``model.vqmodel``:

* ``encoder``: ``conv_in`` (3×3, ``n_channels`` to ``base_channels``), one level per entry of ``channel_multiplier``
  (``down.<i>``: ``n_res_blocks`` residual blocks of ``base_channels × multiplier`` channels, attention blocks after
  each in the last level, a stride-2 ``downsample.conv`` in the others), ``mid`` (``block_1``, ``attn_1``,
  ``block_2``), ``norm_out`` and ``conv_out`` to ``latent_channels`` (twice that with ``double_latent``);
* ``quantize.embedding``: the ``n_embeddings × embed_dim`` codebook; ``quant_conv`` and ``post_quant_conv`` (1×1,
  between ``latent_channels`` and ``embed_dim``);
* ``decoder``: ``conv_in`` from ``latent_channels``, ``mid``, the levels in reverse (``up.<k>``, the deepest first:
  ``n_res_blocks + 1`` residual blocks, attention blocks in the deepest, a 3×3 ``upsample.conv`` but in the last),
  ``norm_out`` and ``conv_out`` to ``out_channels``.

A residual block: GroupNorm ``norm1``, 3×3 ``conv1``, GroupNorm ``norm2``, 3×3 ``conv2`` and, when its channels change,
a 1×1 ``nin_shortcut``; an attention block: GroupNorm ``norm`` and 1×1 convolutions ``q``, ``k``, ``v``, ``proj_out``;
every convolution with a bias. The GroupNorms have 32 groups, so every width is a multiple of 32.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, Module, Parameter
from registry.plugins.common import FamilyParams

#: ``torch.nn.GroupNorm(num_groups=32, ...)`` in every block.
GROUPS = 32


class JanusVQGANParams(FamilyParams):
    """Hyper-parameters of the ``janus-vqgan`` family."""

    base_channels: PositiveInt = Field(128, description="channels of the first level")
    channel_multiplier: list[PositiveInt] = Field(default_factory=lambda: [1, 1, 2, 2, 4],
                                                  description="each level's channels, in base_channels")
    n_res_blocks: PositiveInt = Field(2, description="residual blocks per encoder level (the decoder's: one more)")
    n_channels: PositiveInt = Field(3, description="image channels in (in_channels)")
    out_channels: PositiveInt = Field(3, description="image channels out")
    latent_channels: PositiveInt = Field(256, description="the latent's channels")
    double_latent: bool = Field(False, description="the encoder's conv_out gives twice latent_channels")
    embed_dim: PositiveInt = Field(8, description="a code's width")
    n_embeddings: PositiveInt = Field(16384, description="codes in the codebook")

    @model_validator(mode="after")
    def _check(self) -> JanusVQGANParams:
        if not self.channel_multiplier:
            raise FieldError("channel_multiplier", "must list at least one level")
        for width in (self.base_channels, *(self.base_channels * m for m in self.channel_multiplier)):
            if width % GROUPS:
                raise FieldError("base_channels", f"every level's channels must be a multiple of {GROUPS} (the "
                                 f"GroupNorms' groups); base_channels × channel_multiplier gives {width}")  # fmt: skip
        return self


def _conv(name: str, c_out: int, c_in: int, kernel: int) -> list:
    return [Parameter(name=f"{name}.weight", shape=(c_out, c_in, kernel, kernel)), Parameter(name=f"{name}.bias", shape=(c_out,))]


def _norm(name: str, width: int) -> list:
    return [Parameter(name=f"{name}.weight", shape=(width,)), Parameter(name=f"{name}.bias", shape=(width,))]


def _res(name: str, c_in: int, c_out: int) -> Module:
    """``JanusVQVAEResnetBlock``."""
    blocks = [*_norm("norm1", c_in), *_conv("conv1", c_out, c_in, 3), *_norm("norm2", c_out), *_conv("conv2", c_out, c_out, 3)]
    if c_in != c_out:
        blocks += _conv("nin_shortcut", c_out, c_in, 1)
    return Module(name=name, blocks=blocks)


def _attn(name: str, width: int) -> Module:
    """``JanusVQVAEAttnBlock``."""
    return Module(name=name, blocks=[*_norm("norm", width), *(p for x in ("q", "k", "v", "proj_out") for p in _conv(x, width, width, 1))])


def _mid(width: int) -> Module:
    return Module(name="mid", blocks=[_res("block_1", width, width), _attn("attn_1", width), _res("block_2", width, width)])


def _encoder(p: JanusVQGANParams) -> Module:
    base, mults, last = p.base_channels, p.channel_multiplier, len(p.channel_multiplier) - 1
    levels, width = [], base
    for i, mult in enumerate(mults):
        blocks, attns = [], []
        for j in range(p.n_res_blocks):
            blocks.append(_res(str(j), width, base * mult))
            width = base * mult
            if i == last:
                attns.append(_attn(str(j), width))
        level = [Module(name="block", blocks=blocks)] + ([Module(name="attn", blocks=attns)] if attns else [])
        if i != last:
            level.append(Module(name="downsample", blocks=_conv("conv", width, width, 3)))
        levels.append(Module(name=str(i), blocks=level))
    latent = 2 * p.latent_channels if p.double_latent else p.latent_channels
    return Module(name="encoder", blocks=[*_conv("conv_in", base, p.n_channels, 3), Module(name="down", blocks=levels),
                                          _mid(width), *_norm("norm_out", width), *_conv("conv_out", latent, width, 3)])  # fmt: skip


def _decoder(p: JanusVQGANParams) -> Module:
    base, mults, last = p.base_channels, p.channel_multiplier, len(p.channel_multiplier) - 1
    width = base * mults[last]
    levels = []
    for k, i in enumerate(reversed(range(len(mults)))):
        blocks, attns = [], []
        for j in range(p.n_res_blocks + 1):
            blocks.append(_res(str(j), width, base * mults[i]))
            width = base * mults[i]
            if i == last:
                attns.append(_attn(str(j), width))
        level = [Module(name="block", blocks=blocks)] + ([Module(name="attn", blocks=attns)] if attns else [])
        if i != 0:
            level.append(Module(name="upsample", blocks=_conv("conv", width, width, 3)))
        levels.append(Module(name=str(k), blocks=level))
    return Module(name="decoder", blocks=[*_conv("conv_in", base * mults[last], p.latent_channels, 3), _mid(base * mults[last]),
                                          Module(name="up", blocks=levels), *_norm("norm_out", width),
                                          *_conv("conv_out", p.out_channels, width, 3)])  # fmt: skip


def build(p: JanusVQGANParams) -> Module:
    """The block tree of the VQGAN, named as ``JanusVQVAE`` names it."""
    return Module(blocks=[
        _encoder(p),
        Module(name="quantize", blocks=[Parameter(name="embedding.weight", shape=(p.n_embeddings, p.embed_dim))]),
        *_conv("quant_conv", p.embed_dim, p.latent_channels, 1),
        *_conv("post_quant_conv", p.latent_channels, p.embed_dim, 1),
        _decoder(p),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``janus-vqgan`` family."""
    register(Family(name="janus-vqgan", params=JanusVQGANParams, build=build,
                    description="Janus's image tokenizer (a VQGAN: convolutional encoder and decoder, codebook)"))  # fmt: skip
