"""The heads of a contrastive dual encoder built as a composite (the ``contrastive-head`` family).

CLIP-style models whose towers are other families' (Chinese-CLIP: a BERT text tower and CLIP's
vision tower; AltCLIP: an XLM-R text tower and CLIP's vision tower) end in the same three tensors
at the model's root, after the towers (``ChineseCLIPModel``, ``AltCLIPModel`` in transformers 5.25):
``visual_projection`` (``d_vision → projection_dim``, no bias), ``text_projection``
(``d_text → projection_dim``, no bias) and the learned temperature ``logit_scale`` (a scalar). ALIGN
(``AlignModel``, ``layout = "align"``) projects the text tower alone (``text_projection``, with a bias; the
vision tower's pooled output is the image embedding) and names its scalar temperature ``temperature``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Linear, Module, Parameter
from registry.plugins.common import FamilyParams


class ContrastiveHeadParams(FamilyParams):
    """Hyper-parameters of the ``contrastive-head`` family."""

    d_text: PositiveInt = Field(768, description="width of the text tower's output (text_projection's inputs)")
    d_vision: PositiveInt = Field(768, description="width of the vision tower's output (visual_projection's inputs)")
    projection_dim: PositiveInt = Field(512, description="width of the shared embedding space (both projections)")
    layout: Literal["clip", "align"] = Field("clip", description="clip (both projections without biases, "
                                             "logit_scale) or align (a text projection with a bias, temperature)")


def build(p: ContrastiveHeadParams) -> Module:
    """Both projections (no biases) and the temperature, as transformers orders them (ALIGN's: see the module)."""
    if p.layout == "align":
        return Module(blocks=[
            Linear(name="text_projection", in_features=p.d_text, out_features=p.projection_dim, component="head"),
            Parameter(name="temperature", shape=(), component="head"),
        ])  # fmt: skip
    return Module(blocks=[
        Linear(name="visual_projection", in_features=p.d_vision, out_features=p.projection_dim, bias=False, component="head"),
        Linear(name="text_projection", in_features=p.d_text, out_features=p.projection_dim, bias=False, component="head"),
        Parameter(name="logit_scale", shape=(), component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``contrastive-head`` family."""
    register(Family(name="contrastive-head", params=ContrastiveHeadParams, build=build,
                    description="a contrastive dual encoder's projections and temperature (Chinese-CLIP, AltCLIP, ALIGN)"))  # fmt: skip
