"""Apple's FastViT, as timm builds it: the ``fastvit`` family, its layouts as data by timm name.

FastVLM's vision tower (``FastVlmConfig.vision_config``, model type ``timm_wrapper``) is transformers 5.25's
``TimmWrapperModel``: ``timm.create_model(architecture, num_classes=0, **model_args)``, its parameters under
``timm_model.``. The layout of each timm 1.0.31 FastViT architecture (``fastvit.py``: ``fastvit_t8`` ...
``fastvit_mci4``; ``fastvit_mci3`` is FastViT-HD, FastVLM's tower) is data here (:data:`LAYOUTS`; a name not
listed is refused). Every one has:

* a convolutional stem (``stem.0..2``: ``MobileOneBlock`` s, 3×3 stride 2, 3×3 depthwise stride 2, 1×1);
* stages (``stages.<i>``): a ``downsample`` (``PatchEmbed``: a 7×7 ``ReparamLargeKernelConv`` of stride 2, grouped
  by the input channels, with a 3×3 small kernel, a squeeze-excite where ``se_downsamples`` says, then a 1×1
  ``MobileOneBlock``) where the stage down-samples or changes width, a conditional positional encoding
  (``pos_emb``: a 7×7 depthwise ``RepConditionalPosEnc``) where the layout has one, and blocks: ``RepMixerBlock``
  (a 3×3 depthwise ``RepMixer``, a ``ConvMlp``: 7×7 depthwise convolution with a batch norm, two 1×1 convolutions of
  ``mlp_ratio``, and a layer scale) or ``AttentionBlock`` (a norm, multi-head attention of head width 32 with a
  bias-free ``qkv``, two layer scales, the ``ConvMlp``);
* ``final_conv``: a 3×3 ``MobileOneBlock`` grouped by the input channels to twice the last width, with a
  squeeze-excite (the classifier head has no tensor: ``num_classes=0``).

The reparameterisable modules (``MobileOneBlock``, ``ReparamLargeKernelConv``, ``RepMixer``,
``RepConditionalPosEnc``) come in the two forms timm builds: with ``inference_mode`` (FastVLM's published
``model_args``) one fused ``reparam_conv`` with a bias each; without it the training-time branches (a batch-normed
identity, ``conv_kxk`` and ``conv_scale`` branches, ``large_conv``/``small_conv``, RepMixer's ``norm``/``mixer``
and its layer scale, ``pos_enc``). Batch norms hold a weight and a bias (their running statistics are buffers).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, Module, Parameter
from registry.plugins.common import FamilyParams


@dataclass(frozen=True)
class Layout:
    """One timm FastViT architecture: per stage its depth, width, MLP ratio, token mixer (``"r"`` RepMixer, ``"a"``
    attention), whether it has a positional encoding, a squeeze-excite in its downsample, and whether it
    down-samples; and whether the stem's blocks have a 1×1 scale branch."""

    layers: tuple[int, ...]
    dims: tuple[int, ...]
    mlp_ratio: int
    mixers: str
    pos_embs: str = "0001"
    se_downsamples: str = "0000"
    downsamples: str = "0111"
    stem_scale_branch: bool = True


#: timm 1.0.31's ``fastvit.py`` model functions (their ``model_args``); ``mci3`` and ``mci4`` are FastVLM's
#: FastViT-HD towers (``downsamples`` (False, True, True, True, True): 64 times down in all).
LAYOUTS: dict[str, Layout] = {
    "fastvit_t8": Layout((2, 2, 4, 2), (48, 96, 192, 384), 3, "rrrr", pos_embs="0000"),
    "fastvit_t12": Layout((2, 2, 6, 2), (64, 128, 256, 512), 3, "rrrr", pos_embs="0000"),
    "fastvit_s12": Layout((2, 2, 6, 2), (64, 128, 256, 512), 4, "rrrr", pos_embs="0000"),
    "fastvit_sa12": Layout((2, 2, 6, 2), (64, 128, 256, 512), 4, "rrra"),
    "fastvit_sa24": Layout((4, 4, 12, 4), (64, 128, 256, 512), 4, "rrra"),
    "fastvit_sa36": Layout((6, 6, 18, 6), (64, 128, 256, 512), 4, "rrra"),
    "fastvit_ma36": Layout((6, 6, 18, 6), (76, 152, 304, 608), 4, "rrra"),
    "fastvit_mci0": Layout((2, 6, 10, 2), (64, 128, 256, 512), 3, "rrra", se_downsamples="0011"),
    "fastvit_mci1": Layout((4, 12, 20, 4), (64, 128, 256, 512), 3, "rrra", se_downsamples="0011"),
    "fastvit_mci2": Layout((4, 12, 24, 4), (80, 160, 320, 640), 3, "rrra", se_downsamples="0011"),
    "fastvit_mci3": Layout((2, 12, 24, 4, 2), (96, 192, 384, 768, 1536), 4, "rrraa", pos_embs="00011",
                           se_downsamples="00000", downsamples="01111", stem_scale_branch=False),
    "fastvit_mci4": Layout((2, 12, 24, 4, 4), (128, 256, 512, 1024, 2048), 4, "rrraa", pos_embs="00011",
                           se_downsamples="00000", downsamples="01111", stem_scale_branch=False),
}  # fmt: skip


class FastVitParams(FamilyParams):
    """Hyper-parameters of the fastvit family: the timm architecture's name and the form of its reparameterisable
    convolutions."""

    architecture: str = Field(description=f"timm architecture ({', '.join(LAYOUTS)})")
    inference_mode: bool = Field(False, description="fused reparameterised convolutions (timm's inference_mode), "
                                                    "else the training-time branches")  # fmt: skip

    @model_validator(mode="after")
    def _known(self) -> FastVitParams:
        if self.architecture not in LAYOUTS:
            raise FieldError("architecture", f"timm architecture {self.architecture!r} is not a FastViT registry "
                             f"builds (known: {', '.join(LAYOUTS)})")  # fmt: skip
        return self


def make_divisible(value: float, divisor: int) -> int:
    """timm's ``make_divisible`` with ``round_limit=0`` (``SEModule``'s reduced width)."""
    return max(divisor, int(value + divisor / 2) // divisor * divisor)


def _bn(name: str, width: int) -> list[Block]:
    """A batch norm's weight and bias (its running statistics are buffers)."""
    return [Parameter(name=f"{name}.weight", shape=(width,), component="norm"),
            Parameter(name=f"{name}.bias", shape=(width,), component="norm")]  # fmt: skip


def _conv_bn(name: str, out: int, per_group: int, k: int, component: str = "other") -> list[Block]:
    """timm's ``ConvNormAct`` without activation: a bias-free convolution ``<name>.conv`` and its batch norm ``.bn``."""
    return [Parameter(name=f"{name}.conv.weight", shape=(out, per_group, k, k), component=component),
            *_bn(f"{name}.bn", out)]  # fmt: skip


def _conv(name: str, out: int, per_group: int, k: int, component: str = "other") -> list[Block]:
    """A convolution with a bias (a fused ``reparam_conv``, ``pos_enc``, a 1×1 ``fc``)."""
    return [Parameter(name=f"{name}.weight", shape=(out, per_group, k, k), component=component),
            Parameter(name=f"{name}.bias", shape=(out,), component=component)]  # fmt: skip


def _se(name: str, width: int, reduced: int) -> list[Block]:
    """timm's ``SEModule``: two 1×1 convolutions with biases, through ``reduced`` channels."""
    return [*_conv(f"{name}.fc1", reduced, width, 1), *_conv(f"{name}.fc2", width, reduced, 1)]


def _mobileone(name: str, n_in: int, out: int, k: int, *, fused: bool, depthwise: bool = False, stride: int = 1,
               se: bool = False, scale: bool = True, branches: int = 1) -> Module:  # fmt: skip
    """``MobileOneBlock``: grouped by its input channels when ``depthwise`` (timm's ``group_size=1``)."""
    per_group = 1 if depthwise else n_in
    blocks = _se("se", out, make_divisible(out / 16, 1)) if se else []
    if fused:
        return Module(name=name, blocks=[*blocks, *_conv("reparam_conv", out, per_group, k)])
    if out == n_in and stride == 1:
        blocks += _bn("identity", n_in)
    for i in range(branches):
        blocks += _conv_bn(f"conv_kxk.{i}", out, per_group, k)
    if k > 1 and scale:
        blocks += _conv_bn("conv_scale", out, per_group, 1)
    return Module(name=name, blocks=blocks)


def _downsample(n_in: int, out: int, se: bool, fused: bool) -> Module:
    """``PatchEmbed``: the 7×7 ``ReparamLargeKernelConv`` (grouped by ``n_in``, a 3×3 small kernel), a 1×1
    ``MobileOneBlock``."""
    large: list[Block] = (_conv("reparam_conv", out, 1, 7) if fused
                          else [*_conv_bn("large_conv", out, 1, 7), *_conv_bn("small_conv", out, 1, 3)])  # fmt: skip
    if se:
        large += _se("se", out, make_divisible(out * 0.25, 8))
    return Module(name="downsample.proj", blocks=[Module(name="0", blocks=large),
                                                  _mobileone("1", out, out, 1, fused=fused)])  # fmt: skip


def _mlp(width: int, hidden: int) -> Module:
    """``ConvMlp``: a 7×7 depthwise convolution with a batch norm, then two 1×1 convolutions."""
    return Module(name="mlp", blocks=[*_conv_bn("conv", width, 1, 7, "feed_forward"),
                                      *_conv("fc1", hidden, width, 1, "feed_forward"),
                                      *_conv("fc2", width, hidden, 1, "feed_forward")])  # fmt: skip


def _gamma(name: str, width: int) -> Parameter:
    """``LayerScale2d``: one scale per channel, shaped (width, 1, 1)."""
    return Parameter(name=f"{name}.gamma", shape=(width, 1, 1))


def _repmixer_block(width: int, hidden: int, fused: bool) -> list[Block]:
    """``RepMixerBlock``: the RepMixer token mixer (a 3×3 depthwise convolution), the MLP, a layer scale."""
    if fused:
        mixer = Module(name="token_mixer", blocks=_conv("reparam_conv", width, 1, 3))
    else:
        mixer = Module(name="token_mixer", blocks=[
            _mobileone("norm", width, width, 3, fused=False, depthwise=True, scale=False, branches=0),
            _mobileone("mixer", width, width, 3, fused=False, depthwise=True), _gamma("layer_scale", width)])
    return [mixer, _mlp(width, hidden), _gamma("layer_scale", width)]


def _attention_block(width: int, hidden: int) -> list[Block]:
    """``AttentionBlock``: a norm (batch or layer norm: a weight and a bias), attention (bias-free ``qkv``,
    ``proj`` with a bias), the MLP, two layer scales."""
    attention = Module(name="token_mixer", blocks=[
        Parameter(name="qkv.weight", shape=(3 * width, width), component="attention"),
        Parameter(name="proj.weight", shape=(width, width), component="attention"),
        Parameter(name="proj.bias", shape=(width,), component="attention")])
    return [*_bn("norm", width), attention, _gamma("layer_scale_1", width), _mlp(width, hidden),
            _gamma("layer_scale_2", width)]


def build(p: FastVitParams) -> Module:
    """The block tree of the timm model, under ``timm_model`` as ``TimmWrapperModel`` holds it."""
    layout, fused = LAYOUTS[p.architecture], p.inference_mode
    first = layout.dims[0]
    scale = layout.stem_scale_branch
    stem = Module(name="stem", blocks=[
        _mobileone("0", 3, first, 3, fused=fused, stride=2, scale=scale),
        _mobileone("1", first, first, 3, fused=fused, depthwise=True, stride=2, scale=scale),
        _mobileone("2", first, first, 1, fused=fused, scale=scale)])
    stages: list[Block] = []
    previous = first
    for i, (depth, width) in enumerate(zip(layout.layers, layout.dims, strict=True)):
        blocks: list[Block] = []
        if layout.downsamples[i] == "1" or previous != width:
            blocks.append(_downsample(previous, width, layout.se_downsamples[i] == "1", fused))
        if layout.pos_embs[i] == "1":
            blocks += [Module(name="pos_emb", blocks=_conv("reparam_conv" if fused else "pos_enc", width, 1, 7))]
        hidden = width * layout.mlp_ratio
        for j in range(depth):
            body = _attention_block(width, hidden) if layout.mixers[i] == "a" else _repmixer_block(width, hidden, fused)
            blocks.append(Module(name=f"blocks.{j}", blocks=body))
        stages.append(Module(name=f"stages.{i}", blocks=blocks))
        previous = width
    final = _mobileone("final_conv", previous, 2 * previous, 3, fused=fused, depthwise=True, se=True)
    return Module(blocks=[Module(name="timm_model", blocks=[stem, *stages, final])])


def output_width(architecture: str) -> int:
    """The channels of the tower's output (``final_conv``: twice the last stage's width, timm's ``cls_ratio`` 2)."""
    return 2 * LAYOUTS[architecture].dims[-1]


def reduction(architecture: str) -> int:
    """How many times the tower's output grid is smaller than the image: 4 in the stem, 2 per down-sampling stage."""
    return 4 * 2 ** sum(1 for d in LAYOUTS[architecture].downsamples if d == "1")


@hookimpl
def register_families(register):
    """Register the ``fastvit`` family."""
    register(Family(name="fastvit", params=FastVitParams, build=build,
                    description="timm's FastViT (FastVLM's FastViT-HD vision tower), its layout as data by timm name"))
