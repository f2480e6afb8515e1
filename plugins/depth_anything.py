"""Depth Anything: a DINOv2 backbone, DPT's neck and a depth head (the ``depth-anything`` family).

Follows ``modeling_depth_anything.py`` of transformers 5.25 (``DepthAnythingForDepthEstimation``):

* ``backbone``: the ``vision`` family's DINOv2 encoder (``Dinov2Backbone``: embeddings, every layer, the final
  norm; the hyper-parameters of the vision family are this family's too);
* ``neck``: the reassemble stage (``neck.reassemble_stage.layers.<i>``, one per ``neck_hidden_sizes`` entry: a
  1 × 1 ``projection`` from ``reassemble_hidden_size`` to that width with a bias, then a ``resize`` by its
  ``reassemble_factors`` entry (extra entries unused, as ``zip`` pairs them): above 1 a transposed convolution of
  ``factor × factor``, 1 none, below 1 a 3 × 3 convolution, both with biases); ``neck.convs.<i>``, a 3 × 3 convolution without bias from each width to
  ``fusion_hidden_size``; the fusion stage (``neck.fusion_stage.layers.<i>``, one per width: a 1 × 1 ``projection``
  with a bias and two pre-activation residual units of two 3 × 3 convolutions with biases each);
* ``head``: ``conv1`` (3 × 3, ``fusion_hidden_size`` to half of it), ``conv2`` (3 × 3, to ``head_hidden_size``),
  ``conv3`` (1 × 1, to one channel), all with biases.

Image size and strides change no shape beyond the backbone's position embeddings (convolutions have no FLOPs
model here).
"""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, Module, Parameter
from registry.plugins.vision import VisionParams, nested, tower


class DepthAnythingParams(VisionParams):
    """Hyper-parameters of the ``depth-anything`` family: the backbone's (see ``vision``), the neck's and the head's."""

    neck_hidden_sizes: list[PositiveInt] = Field([48, 96, 192, 384], description="the reassembled feature maps' widths")
    reassemble_factors: list[PositiveFloat] = Field([4, 2, 1, 0.5], description="each feature map's resize factor "
                                                    "(above 1: a transposed convolution; 1: none; below 1: a strided "
                                                    "3 × 3 convolution)")
    reassemble_hidden_size: PositiveInt = Field(384, description="channels the reassemble projections take")
    fusion_hidden_size: PositiveInt = Field(64, description="channels of the fusion stage")
    head_hidden_size: PositiveInt = Field(32, description="outputs of the head's second convolution")

    @model_validator(mode="after")
    def _check_neck(self) -> DepthAnythingParams:
        if not self.neck_hidden_sizes:
            raise FieldError("neck_hidden_sizes", "needs at least one feature map")
        if len(self.reassemble_factors) < len(self.neck_hidden_sizes):
            raise FieldError("reassemble_factors", f"has {len(self.reassemble_factors)} entries, fewer than "
                             f"neck_hidden_sizes ({len(self.neck_hidden_sizes)}): the neck could not reassemble every "
                             "feature map")  # fmt: skip
        for factor in self.reassemble_factors[: len(self.neck_hidden_sizes)]:
            if factor > 1 and factor != int(factor):
                raise FieldError("reassemble_factors", f"{factor}: an upsampling factor must be a whole number (the "
                                 "transposed convolution's kernel side)")  # fmt: skip
        if self.fusion_hidden_size < 2:
            raise FieldError("fusion_hidden_size", "must be at least 2: the head's first convolution has half as many "
                             "outputs")  # fmt: skip
        return self


def conv2d(name: str, n_out: int, n_in: int, side: int, bias: bool = True, component: str = "other") -> list:
    """A ``Conv2d``'s tensors: ``<name>.weight`` of ``(out, in, side, side)`` and, with ``bias``, ``<name>.bias``."""
    blocks = [Parameter(name=f"{name}.weight", shape=(n_out, n_in, side, side), component=component)]
    if bias:
        blocks.append(Parameter(name=f"{name}.bias", shape=(n_out,), component=component))
    return blocks


def _reassemble(p: DepthAnythingParams, i: int, width: int, factor: float) -> list:
    """One reassemble layer: the projection and the resize of its factor."""
    prefix = f"reassemble_stage.layers.{i}"
    blocks = conv2d(f"{prefix}.projection", width, p.reassemble_hidden_size, 1)
    if factor > 1:  # nn.ConvTranspose2d holds its weight as (in, out, k, k)
        blocks += conv2d(f"{prefix}.resize", width, width, int(factor))
    elif factor < 1:
        blocks += conv2d(f"{prefix}.resize", width, width, 3)
    return blocks


def neck(p: DepthAnythingParams) -> list:
    """The reassemble stage, the per-map convolutions and the fusion stage, unprefixed."""
    f = p.fusion_hidden_size
    blocks: list = []
    for i, (width, factor) in enumerate(zip(p.neck_hidden_sizes, p.reassemble_factors)):
        blocks += _reassemble(p, i, width, factor)
    for i, width in enumerate(p.neck_hidden_sizes):
        blocks += conv2d(f"convs.{i}", f, width, 3, bias=False)
    for i in range(len(p.neck_hidden_sizes)):
        prefix = f"fusion_stage.layers.{i}"
        blocks += conv2d(f"{prefix}.projection", f, f, 1)
        for unit in (1, 2):
            blocks += conv2d(f"{prefix}.residual_layer{unit}.convolution1", f, f, 3)
            blocks += conv2d(f"{prefix}.residual_layer{unit}.convolution2", f, f, 3)
    return nested(blocks)


def depth_head(p: DepthAnythingParams) -> list:
    """The depth estimation head's three convolutions, unprefixed."""
    f = p.fusion_hidden_size
    return nested([*conv2d("conv1", f // 2, f, 3, component="head"),
                   *conv2d("conv2", p.head_hidden_size, f // 2, 3, component="head"),
                   *conv2d("conv3", 1, p.head_hidden_size, 1, component="head")])  # fmt: skip


def build(p: DepthAnythingParams) -> Module:
    """The block tree of DepthAnythingForDepthEstimation: backbone, neck, head."""
    return Module(blocks=[Module(name="backbone", blocks=tower(p)), Module(name="neck", blocks=neck(p)),
                          Module(name="head", blocks=depth_head(p))])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``depth-anything`` family."""
    register(Family(name="depth-anything", params=DepthAnythingParams, build=build,
                    description="Depth Anything: a DINOv2 backbone, DPT's reassemble and fusion neck, a depth head"))
