"""What the generic wrappers add between their towers (the ``wrapper-heads`` family).

transformers 5.25's generic wrappers build each sub-config's own model and join them with a few tensors;
``layout`` names the wrapper:

* ``dual`` (``VisionTextDualEncoderModel``): ``visual_projection`` (``d_in``: the vision tower's width, to
  ``projection_dim``) and ``text_projection`` (``d_out``: the text tower's width, to ``projection_dim``), no biases,
  and the scalar temperature ``logit_scale``;
* ``enc_to_dec`` (``VisionEncoderDecoderModel``, ``EncoderDecoderModel``, ``SpeechEncoderDecoderModel``):
  ``enc_to_dec_proj``, ``d_in`` (the encoder's width) to ``d_out`` (the decoder's), with a bias; transformers adds
  it only when the widths differ and the decoder has no ``cross_attention_hidden_size``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Linear, Module, Parameter
from registry.plugins.common import FamilyParams


class WrapperHeadsParams(FamilyParams):
    """Hyper-parameters of the ``wrapper-heads`` family."""

    layout: Literal["dual", "enc_to_dec"] = Field("dual", description="which wrapper: dual (VisionTextDualEncoderModel's "
                                                  "projections and temperature) or enc_to_dec (the encoder-to-decoder projection)")
    d_in: PositiveInt = Field(768, description="dual: the vision tower's width; enc_to_dec: the encoder's")
    d_out: PositiveInt = Field(768, description="dual: the text tower's width; enc_to_dec: the decoder's")
    projection_dim: PositiveInt = Field(512, description="dual: width of both projections")


def build(p: WrapperHeadsParams) -> Module:
    """The wrapper's own tensors, named as transformers names them."""
    if p.layout == "enc_to_dec":
        return Module(blocks=[Linear(name="enc_to_dec_proj", in_features=p.d_in, out_features=p.d_out, component="other")])
    return Module(blocks=[
        Linear(name="visual_projection", in_features=p.d_in, out_features=p.projection_dim, bias=False, component="head"),
        Linear(name="text_projection", in_features=p.d_out, out_features=p.projection_dim, bias=False, component="head"),
        Parameter(name="logit_scale", shape=(), component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``wrapper-heads`` family."""
    register(Family(name="wrapper-heads", params=WrapperHeadsParams, build=build,
                    description="the tensors generic wrappers add between towers (dual-encoder projections, enc_to_dec_proj)"))  # fmt: skip
