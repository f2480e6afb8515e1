"""MobileViT and MobileViT V2: MobileNet V2 blocks with transformer layers over unfolded patches (the
``mobilevit`` family).

Follows ``modeling_mobilevit.py`` and ``modeling_mobilevitv2.py`` of transformers 5.25. A convolution layer
``<name>.convolution`` is bias-free and followed by a batch norm ``<name>.normalization`` unless said otherwise;
an inverted residual (MobileNet V2's) from ``c`` to ``d`` has ``expand_1x1`` (1 × 1 to ``e =
make_divisible(round(c × expand_ratio), 8)``), ``conv_3x3`` (depthwise) and ``reduce_1x1`` (1 × 1 to ``d``).

* ``conv_stem``: a 3 × 3 convolution from ``n_channels`` to the first width;
* ``encoder.layer.0`` and ``.1``: one and (V1) three or (V2) two inverted residuals (``layer.<k>``), the first
  from the width before;
* ``encoder.layer.2`` to ``.4``: a ``downsampling_layer`` (an inverted residual to the stage's width), ``conv_kxk``
  (``conv_kernel_size`` square; V2: depthwise), ``conv_1x1`` (to the transformer's width, no norm), the
  ``transformer.layer.<n>`` layers, a ``layernorm``, ``conv_projection`` (back to the stage's width) and (V1)
  ``fusion`` (twice the width to the width, ``conv_kernel_size`` square);

  - V1: the widths are ``neck_hidden_sizes`` (seven), the transformers' ``hidden_sizes`` (three), of 2, 4 and 3
    layers; a layer is ViT's (``layernorm_before``, ``attention.attention.query``/``key``/``value`` with biases
    when ``qkv_bias``, ``attention.output.dense``, ``intermediate.dense`` to ``int(width × mlp_ratio)``,
    ``output.dense``, ``layernorm_after``); then ``conv_1x1_exp`` (the sixth width to the seventh);
  - V2: the widths are ``make_divisible(w × width_multiplier)`` of 32 (clipped to 16–64, at least 16), 64 (a
    multiple of 16), 128, 256, 384, 512; the transformers' of ``base_attn_unit_dims``, of ``n_attn_blocks``
    layers: ``layernorm_before`` and ``layernorm_after`` (group norms of one group), ``attention.qkv_proj`` (1 × 1
    to ``1 + 2 × width``, a bias, no norm), ``attention.out_proj``, ``ffn.conv1`` (to ``(ffn_multiplier × width)
    // 16 × 16``) and ``ffn.conv2`` (1 × 1 with biases, no norm); the ``layernorm`` a group norm too;

* with ``head = "classifier"``, the encoder under ``mobilevit`` (``mobilevitv2``) and ``classifier`` (the last
  width to ``n_labels``, none when 0); the pooling has no parameters. With ``head = "segmentation"``, the encoder
  (V1: without ``conv_1x1_exp``) and DeepLabV3's ``segmentation_head`` of ``aspp_out_channels``
  (:func:`segmentation_head`) from the fifth stage's width.

Strides, dilations, padding and the patch size change no shape (convolutions have no FLOPs model here).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, classifier, conv2d, conv_norm
from registry.plugins.mobilenet import make_divisible

#: The transformer layers of MobileViT V1's last three stages (MobileViTEncoder).
V1_LAYERS = (2, 4, 3)


class MobileViTParams(FamilyParams):
    """Hyper-parameters of the ``mobilevit`` family (MobileViT-S's by default, as transformers')."""

    variant: Literal["mobilevit", "mobilevitv2"] = Field("mobilevit", description="MobileViT or MobileViT V2; also "
                                                         "the classifier's prefix")
    neck_hidden_sizes: list[PositiveInt] = Field([16, 32, 64, 96, 128, 160, 640], description="V1: the seven widths "
                                                 "of the stem, the stages and the last 1 × 1")
    hidden_sizes: list[PositiveInt] = Field([144, 192, 240], description="V1: the three transformers' widths")
    n_heads: PositiveInt = Field(4, description="V1: attention heads (divides every transformer's width)")
    mlp_ratio: PositiveFloat = Field(2.0, description="V1: the MLP's width over the transformer's")
    qkv_bias: bool = Field(True, description="V1: biases of the query, key and value projections")
    width_multiplier: PositiveFloat = Field(1.0, description="V2: the scale of every width")
    base_attn_unit_dims: list[PositiveInt] = Field([128, 192, 256], description="V2: the three transformers' "
                                                   "widths before the multiplier")
    n_attn_blocks: list[NonNegativeInt] = Field([2, 4, 3], description="V2: the three transformers' layers")
    ffn_multiplier: PositiveFloat = Field(2, description="V2: the feed-forward width over the transformer's")
    expand_ratio: PositiveFloat = Field(4.0, description="the inverted residuals' expansion")
    conv_kernel_size: PositiveInt = Field(3, description="the stages' k × k convolutions")
    n_channels: PositiveInt = Field(3, description="image channels")
    aspp_out_channels: PositiveInt = Field(256, description="segmentation: the DeepLabV3 head's width")
    head: Literal["none", "classifier", "segmentation"] = Field("none", description="none (the bare encoder), an "
                                                                "image classifier or a DeepLabV3 segmentation head")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> MobileViTParams:
        if self.head == "segmentation" and not self.n_labels:
            raise FieldError("n_labels", "a segmentation head needs at least one label")
        if self.variant == "mobilevit":
            if len(self.neck_hidden_sizes) != 7:
                raise FieldError("neck_hidden_sizes", f"has {len(self.neck_hidden_sizes)} widths, MobileViT takes 7")
            if len(self.hidden_sizes) != 3:
                raise FieldError("hidden_sizes", f"has {len(self.hidden_sizes)} widths, MobileViT takes 3")
            for d in self.hidden_sizes:
                if d % self.n_heads:
                    raise FieldError("n_heads", f"{self.n_heads} heads do not divide a transformer of width {d}")
            return self
        for name in ("base_attn_unit_dims", "n_attn_blocks"):
            if len(getattr(self, name)) < 3:
                raise FieldError(name, f"has {len(getattr(self, name))} entries, MobileViT V2 takes 3")
        for d in self.v2_attention_widths():
            if int(self.ffn_multiplier * d // 16 * 16) < 1:
                raise FieldError("ffn_multiplier", f"{self.ffn_multiplier} leaves a transformer of width {d} a "
                                                   "feed-forward layer of none (under 16)")  # fmt: skip
        return self

    def v2_widths(self) -> list[int]:
        """MobileViT V2's stem and stage widths (MobileViTV2Encoder)."""
        m = self.width_multiplier
        first = make_divisible(max(16, min(64, 32 * m)), 8, 16)
        return [first, make_divisible(64 * m, 16, 16), *(make_divisible(w * m, 8, 8) for w in (128, 256, 384, 512))]

    def v2_attention_widths(self) -> list[int]:
        """MobileViT V2's three transformers' widths."""
        return [make_divisible(w * self.width_multiplier, 8, 8) for w in self.base_attn_unit_dims[:3]]


def _conv(name: str, n_in: int, n_out: int, kernel: int, *, groups: int = 1, bias: bool = False,
          norm: bool = True) -> Block:
    """A MobileViT convolution layer: ``<name>.convolution`` with its batch norm unless ``norm`` is False."""
    if norm:
        return Module(name=name, blocks=conv_norm("", n_in, n_out, kernel, groups=groups))
    return Module(name=name, blocks=conv2d("convolution", n_in, n_out, kernel, bias=bias, groups=groups))


def _inverted(p: MobileViTParams, name: str, c: int, d: int) -> Block:
    """An inverted residual from ``c`` to ``d`` channels."""
    e = make_divisible(int(round(c * p.expand_ratio)), 8, 8)
    return Module(name=name, blocks=[_conv("expand_1x1", c, e, 1), _conv("conv_3x3", e, e, 3, groups=e),
                                     _conv("reduce_1x1", e, d, 1)])  # fmt: skip


def _v1_layer(p: MobileViTParams, h: int) -> list[Block]:
    """A MobileViT V1 transformer layer of width ``h`` (ViT's)."""
    wide = int(h * p.mlp_ratio)
    qkv = [Linear(name=n, in_features=h, out_features=h, bias=p.qkv_bias, component="attention")
           for n in ("query", "key", "value")]  # fmt: skip
    return [Module(name="attention", blocks=[Module(name="attention", blocks=qkv),
                                             Linear(name="output.dense", in_features=h, out_features=h, component="attention")]),
            Linear(name="intermediate.dense", in_features=h, out_features=wide, component="feed_forward"),
            Linear(name="output.dense", in_features=wide, out_features=h, component="feed_forward"),
            LayerNorm(name="layernorm_before", dim=h), LayerNorm(name="layernorm_after", dim=h)]  # fmt: skip


def _v2_layer(p: MobileViTParams, h: int) -> list[Block]:
    """A MobileViT V2 transformer layer of width ``h`` (separable linear attention, convolutional feed-forward)."""
    ffn = int(p.ffn_multiplier * h // 16 * 16)
    return [LayerNorm(name="layernorm_before", dim=h),
            Module(name="attention", blocks=[_conv("qkv_proj", h, 1 + 2 * h, 1, bias=True, norm=False),
                                             _conv("out_proj", h, h, 1, bias=True, norm=False)]),
            LayerNorm(name="layernorm_after", dim=h),
            Module(name="ffn", blocks=[_conv("conv1", h, ffn, 1, bias=True, norm=False),
                                       _conv("conv2", ffn, h, 1, bias=True, norm=False)])]  # fmt: skip


def _stage(p: MobileViTParams, c: int, d: int, h: int, depth: int) -> list[Block]:
    """A MobileViT stage from ``c`` to ``d`` channels with ``depth`` transformer layers of width ``h``."""
    v1 = p.variant == "mobilevit"
    layers = [Module(name=str(n), blocks=_v1_layer(p, h) if v1 else _v2_layer(p, h)) for n in range(depth)]
    blocks = [_inverted(p, "downsampling_layer", c, d),
              _conv("conv_kxk", d, d, p.conv_kernel_size, groups=1 if v1 else d),
              _conv("conv_1x1", d, h, 1, norm=False), Module(name="transformer.layer", blocks=layers),
              LayerNorm(name="layernorm", dim=h), _conv("conv_projection", h, d, 1)]  # fmt: skip
    return blocks + ([_conv("fusion", 2 * d, d, p.conv_kernel_size)] if v1 else [])


def encoder(p: MobileViTParams) -> tuple[list[Block], int]:
    """The stem, the stages and (V1) the last 1 × 1, unprefixed, and the last width."""
    v1 = p.variant == "mobilevit"
    w = p.neck_hidden_sizes if v1 else p.v2_widths()
    heights, depths = (p.hidden_sizes, V1_LAYERS) if v1 else (p.v2_attention_widths(), p.n_attn_blocks[:3])
    firsts = [Module(name="0.layer", blocks=[_inverted(p, "0", w[0], w[1])]),
              Module(name="1.layer", blocks=[_inverted(p, str(k), w[1] if k == 0 else w[2], w[2])
                                             for k in range(3 if v1 else 2)])]  # fmt: skip
    stages = [Module(name=str(2 + i), blocks=_stage(p, w[2 + i], w[3 + i], heights[i], depths[i])) for i in range(3)]
    blocks: list[Block] = [_conv("conv_stem", p.n_channels, w[0], 3), Module(name="encoder.layer", blocks=firsts + stages)]
    if v1 and p.head != "segmentation":  # the segmentation model builds its encoder without expand_output
        return blocks + [_conv("conv_1x1_exp", w[5], w[6], 1)], w[6]
    return blocks, w[5]


def segmentation_head(n_in: int, width: int, n_labels: int) -> Block:
    """DeepLabV3's head (``segmentation_head``): ASPP's ``convs.0`` (1 × 1), ``convs.1`` to ``.3`` (3 × 3, one per
    atrous rate), ``convs.4.conv_1x1`` (the pooled branch), ``project`` (five widths to one), each with its batch
    norm, and ``classifier.convolution`` (1 × 1 with a bias, to the labels)."""
    convs = [_conv("0", n_in, width, 1), *(_conv(str(k), n_in, width, 3) for k in (1, 2, 3)),
             _conv("4.conv_1x1", n_in, width, 1)]
    return Module(name="segmentation_head", blocks=[
        Module(name="aspp", blocks=[Module(name="convs", blocks=convs), _conv("project", 5 * width, width, 1)]),
        _conv("classifier", width, n_labels, 1, bias=True, norm=False)])  # fmt: skip


def build(p: MobileViTParams) -> Module:
    """The block tree of a MobileViT encoder (with its classifier when ``head`` says so)."""
    blocks, width = encoder(p)
    if p.head == "none":
        return Module(blocks=blocks)
    if p.head == "segmentation":
        return Module(blocks=[Module(name=p.variant, blocks=blocks), segmentation_head(width, p.aspp_out_channels, p.n_labels)])
    return Module(blocks=[Module(name=p.variant, blocks=blocks), *classifier("classifier", width, p.n_labels)])


@hookimpl
def register_families(register):
    """Register the ``mobilevit`` family."""
    register(Family(name="mobilevit", params=MobileViTParams, build=build,
                    description="MobileViT and MobileViT V2: inverted residuals and transformers over patches",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
