"""PP-FormulaNet's projector from the SAM neck to the decoder (the ``pp-formulanet-projector`` family).

transformers 5.25's ``PPFormulaNetMultiModalProjector`` (``modeling_pp_formulanet.py``; ``PPFormulaNetVisionModel``
holds it as ``multi_modal_projector``, after the neck): ``conv1``, a 3×3 convolution of the neck's ``d_in`` channels
(``post_conv_in_channels``) to ``d_mid`` (``post_conv_mid_channels``), ``conv2`` of those to ``d_out``
(``post_conv_out_channels``), both without biases; then ``linear_1`` of ``d_out`` to ``d_out`` and ``linear_2`` of
``d_out`` to the decoder's width ``d_text`` (``decoder_hidden_size``), both with biases.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Linear, Module, Parameter
from registry.plugins.common import FamilyParams


class PPFormulaNetProjectorParams(FamilyParams):
    """Hyper-parameters of the ``pp-formulanet-projector`` family."""

    d_in: PositiveInt = Field(256, description="the SAM neck's channels, conv1's inputs (post_conv_in_channels)")
    d_mid: PositiveInt = Field(512, description="conv1's outputs (post_conv_mid_channels)")
    d_out: PositiveInt = Field(1024, description="conv2's outputs and linear_1's width (post_conv_out_channels)")
    d_text: PositiveInt = Field(512, description="linear_2's outputs, the decoder's width (decoder_hidden_size)")


def build(p: PPFormulaNetProjectorParams) -> Module:
    """The block tree of PP-FormulaNet's projector."""
    return Module(blocks=[
        Parameter(name="conv1.weight", shape=(p.d_mid, p.d_in, 3, 3)),
        Parameter(name="conv2.weight", shape=(p.d_out, p.d_mid, 3, 3)),
        Linear(name="linear_1", in_features=p.d_out, out_features=p.d_out, component="other"),
        Linear(name="linear_2", in_features=p.d_out, out_features=p.d_text, component="other"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``pp-formulanet-projector`` family."""
    register(Family(name="pp-formulanet-projector", params=PPFormulaNetProjectorParams, build=build,
                    description="PP-FormulaNet's projector: two 3x3 convolutions, two linears"))
