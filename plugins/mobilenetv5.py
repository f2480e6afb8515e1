"""Gemma 3n's vision tower, timm's MobileNetV5 encoder: the ``mobilenetv5`` family, its layouts as data.

transformers 5.25 builds ``Gemma3nVisionConfig`` as a ``TimmWrapperModel``: ``timm.create_model(architecture,
num_classes=0)``, its parameters under ``timm_model.``. The layout of each timm architecture is data here
(:data:`LAYOUTS`, keyed by the name ``architecture`` gives; a name not listed is refused), read from timm
1.0.31's ``mobilenetv5.py`` (``_gen_mobilenet_v5``'s ``arch_def``; ``stem_size=64``; ``RmsNorm2d`` norms, one
weight; layer scale): a stem (``conv_stem``: a 3×3 convolution with a bias, a norm), four stages of blocks
(``blocks.<stage>.<i>``) written in timm's block notation, and the multi-scale fusion adapter (``msfa``: the
last two stages' outputs concatenated, a pointwise expansion to twice their channels, a projection to the
output width, a norm). The blocks (``_s<s>``: the block's stride, 1 when not written):

* ``er_k<k>_e<e>_c<c>`` (``EdgeResidual``): ``conv_exp`` (k×k, to ``in × e``, stride s), ``bn1``, ``conv_pwl``
  (1×1, to c), ``bn2``;
* ``uir_a<a>_k<k>_e<e>_c<c>`` (``UniversalInvertedResidual``): a depthwise ``dw_start`` (a×a, when a > 0; stride s
  when k = 0), ``pw_exp`` (1×1, to ``in × e``), a depthwise ``dw_mid`` (k×k, when k > 0; stride s), ``pw_proj``
  (1×1, to c), each convolution with its norm (``.conv``, ``.bn``), then ``layer_scale.gamma`` of c;
* ``mqa_k<k>_h<h>[_v<v>]_d<d>_c<c>`` (``MobileAttention``, multi-query): ``norm``, ``attn.query.proj`` (to h × d),
  ``attn.key.proj`` and ``attn.value.proj`` (to d, one shared head), with ``_v<v>`` (``kv_stride``) a depthwise
  k×k ``down_conv`` of stride v and a ``norm`` before each of key and value, ``attn.output.proj`` (h × d to c),
  ``layer_scale.gamma``.

Every tensor is a parameter block: the strides change no shape. They give the tower's FLOPs for an image
(:func:`tower_flops`, which Gemma 3n's image rule names), as the block tree cannot: a convolution's cost is its
weights times its output positions, which follow from the image size stage by stage.
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
        (_pairs(1, "er_k3_s2_e4_c128"), _pairs(2, "er_k3_e4_c128")),
        (_pairs(1, "uir_a3_k5_s2_e6_c256"), _pairs(2, "uir_a5_k0_e4_c256", "uir_a3_k0_e4_c256")),
        (_pairs(1, "uir_a5_k5_s2_e6_c640"), _pairs(7, "uir_a5_k0_e4_c640"), _pairs(1, "uir_a0_k0_e1_c640"),
         _pairs(14, "mqa_k3_h12_v2_d64_c640", "uir_a0_k0_e2_c640")),
        (_pairs(1, "uir_a5_k5_s2_e6_c1280"), _pairs(19, "mqa_k3_h16_d96_c1280", "uir_a0_k0_e2_c1280")),
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
    """A block's kind, its numbers (``s`` and ``v`` 1 when not written), and whether it down-samples keys and values."""
    kind, *rest = spec.split("_")
    values = {"s": 1, "v": 1, **{part[0]: int(part[1:]) for part in rest}}
    return kind, values, values["v"] > 1


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


def _side(n: int, k: int, s: int) -> int:
    """Output side of a k×k convolution of stride s over n, timm's static padding ``((s - 1) + (k - 1)) // 2``."""
    return (n + 2 * (((s - 1) + (k - 1)) // 2) - k) // s + 1


def _conv_flops(out: int, n_in: int, k: int, size: tuple[int, int]) -> int:
    """2 FLOPs per weight (``out × n_in × k × k``; n_in 1 for a depthwise one) per output position."""
    return 2 * out * n_in * k * k * size[0] * size[1]


def _block_flops(spec: str, n_in: int, size: tuple[int, int], terms: dict[str, int]) -> tuple[int, tuple[int, int]]:
    """Add one block's forward FLOPs over a ``size`` feature map to ``terms``; its output channels and size."""
    kind, f, _ = _fields(spec)
    c, s = f["c"], f["s"]
    if kind == "er":
        mid, out = n_in * f["e"], (_side(size[0], f["k"], s), _side(size[1], f["k"], s))
        terms["convolution"] += _conv_flops(mid, n_in, f["k"], out) + _conv_flops(c, mid, 1, out)
        return c, out
    if kind == "uir":
        mid, a, k = n_in * f["e"], f["a"], f["k"]
        if s > 1 and not (a or k):
            raise ValueError(f"MobileNetV5 block {spec}: a stride needs a depthwise convolution")
        if a:
            step = 1 if k else s
            size = (_side(size[0], a, step), _side(size[1], a, step))
            terms["convolution"] += _conv_flops(n_in, 1, a, size)
        terms["convolution"] += _conv_flops(mid, n_in, 1, size)
        if k:
            size = (_side(size[0], k, s), _side(size[1], k, s))
            terms["convolution"] += _conv_flops(mid, 1, k, size)
        terms["convolution"] += _conv_flops(c, mid, 1, size)
        return c, size
    heads, width, v = f["h"], f["d"], f["v"]
    if s > 1:
        raise ValueError(f"MobileNetV5 block {spec}: a strided attention block is not modelled")
    kv = (_side(size[0], f["k"], v), _side(size[1], f["k"], v)) if v > 1 else size
    queries, keys = size[0] * size[1], kv[0] * kv[1]
    down = 2 * _conv_flops(n_in, 1, f["k"], kv) if v > 1 else 0  # key's and value's down_conv
    terms["convolution"] += (down + _conv_flops(heads * width, n_in, 1, size) + 2 * _conv_flops(width, n_in, 1, kv)
                             + _conv_flops(c, heads * width, 1, size))  # fmt: skip
    terms["attention_logits"] += 2 * queries * keys * heads * width
    terms["attention_softmax"] += 3 * heads * queries * keys
    terms["attention_values"] += 2 * queries * keys * heads * width
    return c, size


def tower_flops(architecture: str, height: int, width: int) -> dict[str, int]:
    """Forward FLOPs of timm's MobileNetV5 encoder ``architecture`` (``forward_features``, the fusion adapter
    included) on one ``height × width`` image: ``convolution`` (2 per weight per output position of every
    convolution, the attention blocks' 1×1 projections included; biases not counted), and the multi-query
    attention's ``attention_logits`` and ``attention_values`` (2 · queries · keys · heads · head width each) and
    ``attention_softmax`` (3 · heads · queries · keys). The fusion adapter runs at the first fused stage's
    resolution (the later ones upsampled to it), then pools to its output size (no FLOPs counted for resizing,
    pooling or norms). Raises ValueError for an architecture registry does not know."""
    if architecture not in LAYOUTS:
        raise ValueError(f"timm architecture {architecture!r} is not known to registry (known: {', '.join(LAYOUTS)})")
    layout = LAYOUTS[architecture]
    terms = dict.fromkeys(("convolution", "attention_logits", "attention_softmax", "attention_values"), 0)
    size = (_side(height, 3, 2), _side(width, 3, 2))  # conv_stem: 3×3, stride 2
    terms["convolution"] += _conv_flops(layout.stem, 3, 3, size)
    channels, sizes, outs = layout.stem, [], []
    for stage in layout.stages:
        for times, group in stage:
            for _ in range(times):
                for spec in group:
                    channels, size = _block_flops(spec, channels, size, terms)
        sizes.append(size)
        outs.append(channels)
    fused, high = sum(outs[s] for s in layout.fused), sizes[layout.fused[0]]
    terms["convolution"] += _conv_flops(2 * fused, fused, 1, high) + _conv_flops(layout.out, 2 * fused, 1, high)
    return terms


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
