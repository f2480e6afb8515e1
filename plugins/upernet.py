"""UperNet: a backbone's feature pyramid, a pyramid-pooling and FPN decode head, an auxiliary FCN head (the
``upernet-convnext`` and ``upernet-swin`` families).

Follows ``modeling_upernet.py`` of transformers 5.25 (``UperNetForSemanticSegmentation``):

* ``backbone``: ``ConvNextBackbone`` (the ``convnext`` family's encoder without its final norm) or ``SwinBackbone``
  (the ``swin`` family's whole ``SwinModel`` under ``backbone.swin``), then ``hidden_states_norms.<stage>``, a
  LayerNorm of each output stage's channels (``out_stages``: indices into ``stem, stage1, ...``);
* ``decode_head``: the pyramid pooling module (``psp_modules.<i>.1``, one per ``pool_scales`` entry, a 1 × 1
  convolution from the last output's channels to ``channels``), ``bottleneck`` (3 × 3), a lateral 1 × 1 and an FPN
  3 × 3 convolution for each other output, ``fpn_bottleneck`` (3 × 3 over all outputs), each without bias and
  followed by a BatchNorm (weight and bias), and the ``classifier`` (1 × 1 with a bias, ``n_labels`` outputs);
* ``auxiliary_head`` (``auxiliary``): ``aux_num_convs`` 3 × 3 convolution modules from the third output's channels
  (or ``aux_in_channels``) to ``aux_channels``, with ``aux_concat_input`` a ``conv_cat`` over both, and its classifier.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, LayerNorm, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnext import ConvNextParams
from registry.plugins.convnext import encoder as convnext_encoder
from registry.plugins.depth_anything import conv2d
from registry.plugins.swin import SwinParams
from registry.plugins.swin import encoder as swin_encoder
from registry.plugins.vision import nested


class UperNetHeadParams(FamilyParams):
    """Hyper-parameters of UperNet's heads and of the backbone's outputs."""

    out_stages: list[NonNegativeInt] = Field([1, 2, 3, 4], description="the backbone's output stages (0: the stem)")
    channels: PositiveInt = Field(512, description="the decode head's channels (hidden_size)")
    pool_scales: list[PositiveInt] = Field([1, 2, 3, 6], description="the pyramid pooling module's scales")
    n_labels: PositiveInt = Field(150, description="segmentation classes")
    auxiliary: bool = Field(True, description="the auxiliary FCN head")
    aux_in_channels: PositiveInt | None = Field(None, description="its input channels (default: the third output's)")
    aux_channels: PositiveInt = Field(256, description="its channels")
    aux_num_convs: NonNegativeInt = Field(1, description="its 3 × 3 convolution modules")
    aux_concat_input: bool = Field(False, description="its conv_cat over its input and its convolutions' output")

    def stage_widths(self) -> list[int]:
        """The channels of ``stem, stage1, ...`` (the backbone's ``num_features``)."""
        raise NotImplementedError

    def check_outputs(self) -> None:
        """Refuse output stages the backbone does not have, and an auxiliary head without a third output."""
        widths = self.stage_widths()
        if not self.out_stages:
            raise FieldError("out_stages", "needs at least one output stage")
        for stage in self.out_stages:
            if stage >= len(widths):
                raise FieldError("out_stages", f"stage {stage}: the backbone has stages 0 to {len(widths) - 1}")
        if self.auxiliary and self.aux_in_channels is None and len(self.out_stages) < 3:
            raise FieldError("out_stages", "the auxiliary head reads the third output: give three or more, or "
                             "auxiliary_in_channels")  # fmt: skip

    @property
    def in_channels(self) -> list[int]:
        """The channels of each output (the backbone's ``channels``)."""
        widths = self.stage_widths()
        return [widths[s] for s in self.out_stages]


class UperNetConvNextParams(ConvNextParams, UperNetHeadParams):
    """Hyper-parameters of the ``upernet-convnext`` family: the ConvNeXt backbone's and UperNet's."""

    def stage_widths(self) -> list[int]:
        return [self.hidden_sizes[0], *self.hidden_sizes]

    @model_validator(mode="after")
    def _check_outputs(self) -> UperNetConvNextParams:
        self.check_outputs()
        return self


class UperNetSwinParams(SwinParams, UperNetHeadParams):
    """Hyper-parameters of the ``upernet-swin`` family: the Swin backbone's and UperNet's."""

    def stage_widths(self) -> list[int]:
        return [self.embed_dim, *(self.width(i) for i in range(len(self.depths)))]

    @model_validator(mode="after")
    def _check_outputs(self) -> UperNetSwinParams:
        self.check_outputs()
        return self


def _conv_module(name: str, n_out: int, n_in: int, side: int) -> list:
    """UperNetConvModule: a convolution without bias and a BatchNorm (weight and bias; running stats are buffers)."""
    return [*conv2d(f"{name}.conv", n_out, n_in, side, bias=False, component="head"),
            Parameter(name=f"{name}.batch_norm.weight", shape=(n_out,), component="norm"),
            Parameter(name=f"{name}.batch_norm.bias", shape=(n_out,), component="norm")]  # fmt: skip


def decode_head(p: UperNetHeadParams) -> list:
    """The pyramid pooling, the FPN and the classifier, unprefixed."""
    c, ins = p.channels, p.in_channels
    blocks = conv2d("classifier", p.n_labels, c, 1, component="head")
    for i, _ in enumerate(p.pool_scales):
        blocks += _conv_module(f"psp_modules.{i}.1", c, ins[-1], 1)
    blocks += _conv_module("bottleneck", c, ins[-1] + len(p.pool_scales) * c, 3)
    for i, width in enumerate(ins[:-1]):
        blocks += _conv_module(f"lateral_convs.{i}", c, width, 1)
    for i, _ in enumerate(ins[:-1]):
        blocks += _conv_module(f"fpn_convs.{i}", c, c, 3)
    blocks += _conv_module("fpn_bottleneck", c, len(ins) * c, 3)
    return nested(blocks)


def auxiliary_head(p: UperNetHeadParams) -> list:
    """The FCN head's convolution modules, its conv_cat and classifier, unprefixed."""
    n_in = p.aux_in_channels if p.aux_in_channels is not None else p.in_channels[2]
    c = p.aux_channels
    blocks: list = []
    for i in range(p.aux_num_convs):
        blocks += _conv_module(f"convs.{i}", c, n_in if i == 0 else c, 3)
    if p.aux_concat_input:
        blocks += _conv_module("conv_cat", c, n_in + c, 3)
    return nested(blocks + conv2d("classifier", p.n_labels, c, 1, component="head"))


def _build(p: UperNetHeadParams, backbone: list) -> Module:
    names = ["stem", *(f"stage{i}" for i in range(1, len(p.stage_widths())))]
    norms = [LayerNorm(name=names[s], dim=p.stage_widths()[s]) for s in p.out_stages]
    blocks = [Module(name="backbone", blocks=[*backbone, Module(name="hidden_states_norms", blocks=norms)]),
              Module(name="decode_head", blocks=decode_head(p))]
    if p.auxiliary:
        blocks.append(Module(name="auxiliary_head", blocks=auxiliary_head(p)))
    return Module(blocks=blocks)


def build_convnext(p: UperNetConvNextParams) -> Module:
    """UperNetForSemanticSegmentation over ConvNextBackbone (the encoder's final norm is not in the backbone)."""
    return _build(p, convnext_encoder(p)[:-1])


def build_swin(p: UperNetSwinParams) -> Module:
    """UperNetForSemanticSegmentation over SwinBackbone (SwinModel, its final norm included, under ``swin``)."""
    return _build(p, [Module(name="swin", blocks=swin_encoder(p))])


@hookimpl
def register_families(register):
    """Register the ``upernet-convnext`` and ``upernet-swin`` families."""
    register(Family(name="upernet-convnext", params=UperNetConvNextParams, build=build_convnext,
                    description="UperNet semantic segmentation over a ConvNeXt backbone"))  # fmt: skip
    register(Family(name="upernet-swin", params=UperNetSwinParams, build=build_swin,
                    description="UperNet semantic segmentation over a Swin backbone"))  # fmt: skip
