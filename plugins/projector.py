"""Projectors: what joins a vision tower to a language model (the ``projector`` family).

A connector of a vision-language model, built from the vision tower's width ``d_in`` and the
language model's ``d_out``; ``layout`` names the implementation (``modeling_<type>.py`` of
transformers 5.25), which decides its pieces:

* ``llava`` (LLaVA, LLaVA-NeXT, Mistral 3): ``linear_1`` (``d_in × n_feature_layers`` inputs: the
  vision layers whose features are concatenated) to ``d_out``, an activation, ``linear_2``
  (``d_out`` to ``d_out``), biases unless ``bias`` is false; Mistral 3 adds an RMS ``norm`` of
  ``d_in`` (``norm``) and a patch merger (``merge``: ``patch_merger.merging_layer``, ``d_in × merge²``
  to ``d_in``, no bias); LLaVA-NeXT a learned ``image_newline`` of ``d_out`` (``image_newline``);
* ``gemma3``: an RMS norm of ``d_in`` (``mm_soft_emb_norm``) and a bare
  ``mm_input_projection_weight`` of ``d_in × d_out``;
* ``paligemma``: one ``linear`` of ``d_in`` to ``d_out`` (PaliGemma's ``projection_dim``);
* ``llama4``: one ``linear_1`` of ``d_in`` (the vision config's ``vision_output_dim``) to ``d_out``, no bias;
* ``mllama``: the projector is itself one linear with a bias, ``multi_modal_projector`` (``d_in``: the
  vision config's ``vision_output_dim``, the concatenated intermediate layers' features).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, Linear, Module, Parameter, RMSNorm
from registry.plugins.common import FamilyParams


class ProjectorParams(FamilyParams):
    """Hyper-parameters of the ``projector`` family."""

    layout: Literal["llava", "gemma3", "paligemma", "llama4", "mllama"] = Field("llava", description="which implementation")
    d_in: PositiveInt = Field(1024, description="the vision tower's width")
    d_out: PositiveInt = Field(4096, description="the language model's width")
    n_feature_layers: PositiveInt = Field(1, description="llava: vision layers whose features are concatenated")
    bias: bool = Field(True, description="llava: biases on linear_1 and linear_2")
    norm: bool = Field(False, description="llava (Mistral 3): an RMS norm of d_in first")
    merge: int = Field(0, ge=0, description="llava (Mistral 3): the patch merger's spatial merge size (0: none)")
    image_newline: bool = Field(False, description="llava (LLaVA-NeXT): a learned image_newline of d_out")

    @model_validator(mode="after")
    def _check(self) -> ProjectorParams:
        if self.layout != "llava":
            for name in ("norm", "image_newline"):
                if getattr(self, name):
                    raise FieldError(name, f"the {self.layout} layout has no such part (keep the default)")
            if self.merge:
                raise FieldError("merge", f"the {self.layout} layout has no patch merger (keep the default)")
        return self


def build(p: ProjectorParams) -> Module:
    """The projector's blocks, named as its implementation names them."""
    d_in, d_out = p.d_in, p.d_out
    if p.layout == "gemma3":
        return Module(blocks=[
            Parameter(name="mm_input_projection_weight", shape=(d_in, d_out)),
            RMSNorm(name="mm_soft_emb_norm", dim=d_in),
        ])  # fmt: skip
    if p.layout == "paligemma":
        return Module(blocks=[Linear(name="linear", in_features=d_in, out_features=d_out, component="other")])
    if p.layout == "llama4":
        return Module(blocks=[Linear(name="linear_1", in_features=d_in, out_features=d_out, bias=False, component="other")])
    if p.layout == "mllama":
        return Module(blocks=[Linear(name="multi_modal_projector", in_features=d_in, out_features=d_out, component="other")])
    blocks: list = []
    if p.norm:
        blocks.append(RMSNorm(name="norm", dim=d_in))
    if p.merge:
        merger = Linear(name="merging_layer", in_features=d_in * p.merge**2, out_features=d_in, bias=False, component="other")
        blocks.append(Module(name="patch_merger", blocks=[merger]))
    blocks += [
        Linear(name="linear_1", in_features=d_in * p.n_feature_layers, out_features=d_out, bias=p.bias, component="other"),
        Linear(name="linear_2", in_features=d_out, out_features=d_out, bias=p.bias, component="other"),
    ]  # fmt: skip
    if p.image_newline:
        blocks.append(Parameter(name="image_newline", shape=(d_out,)))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``projector`` family."""
    register(Family(name="projector", params=ProjectorParams, build=build,
                    description="the projectors of vision-language models (LLaVA, Gemma 3, Mistral 3, PaliGemma, Llama 4, Mllama)"))  # fmt: skip
