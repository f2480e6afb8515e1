"""Gemma 3n's vision tower, timm's MobileNetV5 encoder: the ``mobilenetv5`` family, its layouts as data.

transformers 5.25 builds ``Gemma3nVisionConfig`` as a ``TimmWrapperModel``: ``timm.create_model(architecture,
num_classes=0)``, its parameters under ``timm_model.``. The layout of each timm architecture is data here
(:data:`LAYOUTS`, keyed by the name ``architecture`` gives; a name not listed is refused), read from timm
1.0.31's ``mobilenetv5.py`` (``_gen_mobilenet_v5``'s ``arch_def``; ``stem_size=64``; ``RmsNorm2d`` norms, one
weight; layer scale): a stem (``conv_stem``: a 3×3 convolution with a bias, a norm), four stages of blocks
(``blocks.<stage>.<i>``) written in timm's block notation, and the multi-scale fusion adapter (``msfa``: the
last two stages' outputs concatenated, a pointwise expansion to twice their channels, a projection to the
output width, a norm). The blocks:

* ``er_k<k>_e<e>_c<c>`` (``EdgeResidual``): ``conv_exp`` (k×k, to ``in × e``), ``bn1``, ``conv_pwl`` (1×1, to c), ``bn2``;
* ``uir_a<a>_k<k>_e<e>_c<c>`` (``UniversalInvertedResidual``): a depthwise ``dw_start`` (a×a, when a > 0),
  ``pw_exp`` (1×1, to ``in × e``), a depthwise ``dw_mid`` (k×k, when k > 0), ``pw_proj`` (1×1, to c), each
  convolution with its norm (``.conv``, ``.bn``), then ``layer_scale.gamma`` of c;
* ``mqa_k<k>_h<h>[_v2]_d<d>_c<c>`` (``MobileAttention``, multi-query): ``norm``, ``attn.query.proj`` (to h × d),
  ``attn.key.proj`` and ``attn.value.proj`` (to d, one shared head), with ``_v2`` a depthwise k×k ``down_conv``
  and a ``norm`` before each of key and value, ``attn.output.proj`` (h × d to c), ``layer_scale.gamma``.

The strides change no shape and are left out. Every tensor is a parameter block (convolutions have no
FLOPs model here: their cost depends on the image size, and the FLOPs walker does not count them).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, Module, Parameter
from registry.plugins.common import FamilyParams

#: Repeated groups of blocks: (how many times, the blocks of one group).
Stage = tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Layout:
    """One timm MobileNetV5 architecture: stem width, stages of blocks, and the fusion adapter (the stages it
    fuses and its output width)."""

    stem: int
    stages: tuple[Stage, ...]
    fused: tuple[int, ...]
    out: int


def _pairs(n: int, *blocks: str) -> tuple[int, tuple[str, ...]]:
    return n, blocks


#: timm 1.0.31's ``mobilenetv5_300m_enc`` (the encoder ``Gemma3nVisionConfig`` names by default).
LAYOUTS: dict[str, Layout] = {
    "mobilenetv5_300m_enc": Layout(stem=64, fused=(2, 3), out=2048, stages=(
        (_pairs(1, "er_k3_e4_c128"), _pairs(2, "er_k3_e4_c128")),
        (_pairs(1, "uir_a3_k5_e6_c256"), _pairs(2, "uir_a5_k0_e4_c256", "uir_a3_k0_e4_c256")),
        (_pairs(1, "uir_a5_k5_e6_c640"), _pairs(7, "uir_a5_k0_e4_c640"), _pairs(1, "uir_a0_k0_e1_c640"),
         _pairs(14, "mqa_k3_h12_v2_d64_c640", "uir_a0_k0_e2_c640")),
        (_pairs(1, "uir_a5_k5_e6_c1280"), _pairs(19, "mqa_k3_h16_d96_c1280", "uir_a0_k0_e2_c1280")),
    )),
}  # fmt: skip


class MobileNetV5Params(FamilyParams):
    """Hyper-parameters of the mobilenetv5 family: the timm architecture's name."""

    architecture: str = Field(description=f"timm architecture ({', '.join(LAYOUTS)})")

    @model_validator(mode="after")
    def _known(self) -> MobileNetV5Params:
        if self.architecture not in LAYOUTS:
            raise FieldError("architecture", f"timm architecture {self.architecture!r} is not known to registry "
                             f"(known: {', '.join(LAYOUTS)})")  # fmt: skip
        return self


def _conv(name: str, out: int, n_in: int, k: int, norm: str | None = "bn") -> list[Block]:
    """A bias-free convolution ``<name>.conv`` (``<name>`` itself when ``norm`` is None) and its norm."""
    conv = f"{name}.conv.weight" if norm == "bn" else f"{name}.weight"
    blocks: list[Block] = [Parameter(name=conv, shape=(out, n_in, k, k))]
    if norm == "bn":
        blocks.append(Parameter(name=f"{name}.bn.weight", shape=(out,), component="norm"))
    return blocks


def _fields(spec: str) -> tuple[str, dict[str, int], bool]:
    kind, *rest = spec.split("_")
    values = {part[0]: int(part[1:]) for part in rest}
    return kind, values, "v2" in rest


def _block(spec: str, n_in: int) -> tuple[list[Block], int]:
    """The tensors of one block of timm notation, and its output channels."""
    kind, f, kv_down = _fields(spec)
    c = f["c"]
    if kind == "er":
        mid = n_in * f["e"]
        return [*_conv("conv_exp", mid, n_in, f["k"], None), Parameter(name="bn1.weight", shape=(mid,), component="norm"),
                *_conv("conv_pwl", c, mid, 1, None), Parameter(name="bn2.weight", shape=(c,), component="norm")], c
    scale = Parameter(name="layer_scale.gamma", shape=(c,))
    if kind == "uir":
        mid = n_in * f["e"]
        blocks = _conv("dw_start", n_in, 1, f["a"]) if f["a"] else []
        blocks += _conv("pw_exp", mid, n_in, 1)
        blocks += _conv("dw_mid", mid, 1, f["k"]) if f["k"] else []
        return [*blocks, *_conv("pw_proj", c, mid, 1), scale], c
    heads, width = f["h"], f["d"]
    blocks = [Parameter(name="norm.weight", shape=(n_in,), component="norm"),
              Parameter(name="attn.query.proj.weight", shape=(heads * width, n_in, 1, 1), component="attention")]
    for role in ("key", "value"):
        if kv_down:
            blocks += [Parameter(name=f"attn.{role}.down_conv.weight", shape=(n_in, 1, f["k"], f["k"])),
                       Parameter(name=f"attn.{role}.norm.weight", shape=(n_in,), component="norm")]
        blocks.append(Parameter(name=f"attn.{role}.proj.weight", shape=(width, n_in, 1, 1), component="attention"))
    blocks.append(Parameter(name="attn.output.proj.weight", shape=(c, heads * width, 1, 1), component="attention"))
    return [*blocks, scale], c


def build(p: MobileNetV5Params) -> Module:
    """The block tree of the timm model, under ``timm_model`` as ``TimmWrapperModel`` holds it."""
    layout = LAYOUTS[p.architecture]
    stem = layout.stem
    blocks: list[Block] = [Parameter(name="conv_stem.conv.weight", shape=(stem, 3, 3, 3)),
                           Parameter(name="conv_stem.conv.bias", shape=(stem,)),
                           Parameter(name="conv_stem.bn.weight", shape=(stem,), component="norm")]  # fmt: skip
    channels, outs = stem, []
    for s, stage in enumerate(layout.stages):
        i = 0
        for times, group in stage:
            for _ in range(times):
                for spec in group:
                    tensors, channels = _block(spec, channels)
                    blocks.append(Module(name=f"blocks.{s}.{i}", blocks=tensors))
                    i += 1
        outs.append(channels)
    fused = sum(outs[s] for s in layout.fused)
    blocks += [*_conv("msfa.ffn.pw_exp", 2 * fused, fused, 1), *_conv("msfa.ffn.pw_proj", layout.out, 2 * fused, 1),
               Parameter(name="msfa.norm.weight", shape=(layout.out,), component="norm")]  # fmt: skip
    return Module(blocks=[Module(name="timm_model", blocks=blocks)])


@hookimpl
def register_families(register):
    """Register the ``mobilenetv5`` family."""
    register(Family(name="mobilenetv5", params=MobileNetV5Params, build=build,
                    description="timm's MobileNetV5 encoder (Gemma 3n's vision tower), its layout as data by timm name"))
