"""Projectors: what joins a vision tower to a language model (the ``projector`` family).

A connector of a vision-language model, built from the vision tower's width ``d_in`` and the
language model's ``d_out``; ``layout`` names the implementation (``modeling_<type>.py`` of
transformers 5.25), which decides its pieces:

* ``llava`` (LLaVA, LLaVA-NeXT, Mistral 3): ``linear_1`` (``d_in × n_feature_layers`` inputs: the
  vision layers whose features are concatenated) to ``d_out``, an activation, ``linear_2``
  (``d_out`` to ``d_out``), biases unless ``bias`` is false; Mistral 3 adds an RMS ``norm`` of
  ``d_in`` (``norm``) and a patch merger (``merge``: ``patch_merger.merging_layer``, ``d_in × merge²``
  to ``d_in``, no bias); LLaVA-NeXT a learned ``image_newline`` of ``d_out`` (``image_newline``);
  LLaVA-NeXT-Video's ``vision_resampler`` (``LlavaNextVideoPooler``), tensors only in its ``conv`` mode
  (``pool``: a convolution ``pool.weight`` of ``d_pool × d_in × pool × pool`` and its bias);
* ``gemma3``: an RMS norm of ``d_in`` (``mm_soft_emb_norm``) and a bare
  ``mm_input_projection_weight`` of ``d_in × d_out``;
* ``paligemma``: one ``linear`` of ``d_in`` to ``d_out`` (PaliGemma's ``projection_dim``);
* ``llama4``: one ``linear_1`` of ``d_in`` (the vision config's ``vision_output_dim``) to ``d_out``, no bias;
* ``mllama``: the projector is itself one linear with a bias, ``multi_modal_projector`` (``d_in``: the
  vision config's ``vision_output_dim``, the concatenated intermediate layers' features).
* after a pixel (un)shuffle of ``factor`` (``factor²`` neighbouring patches in one token: the first
  layer takes ``d_in × factor²``): ``lfm2_vl`` (LFM2-VL: a ``layer_norm`` when ``layer_norm``,
  ``linear_1`` to ``d_hidden``, ``linear_2`` to ``d_out``, biases unless ``bias`` is false),
  ``internvl`` (a ``layer_norm``, ``linear_1`` to ``d_out``, ``linear_2``), ``idefics3`` (Idefics3,
  SmolVLM: ``modality_projection.proj`` to ``d_out``, no bias), ``modernvbert`` (ModernVBERT's connector: one
  ``modality_projection`` to ``d_out``, no bias), ``aya_vision`` (Aya Vision's SwiGLU
  projector: a ``layernorm``, ``linear_1`` to ``d_hidden``, its halves gated into ``linear_2`` of
  ``d_hidden // 2`` inputs to ``d_out``, biases), ``cohere2_vision`` (Command A Vision's
  ``Cohere2VisionMultiModalProjector``: Aya Vision's without the ``layernorm``).
* ``kimi_k25`` (Kimi K2.5's ``Kimi_K25MultimodalProjection``, after the tower's patch merge): a LayerNorm of
  ``d_in`` (``pre_norm``: the config's ``projection_hidden_size``), then ``in_proj`` of ``d_hidden`` (the merged
  width: the tower's width × the merge kernel's cells) to ``d_hidden`` and ``out_proj`` to ``d_out``, biases;
  ``paddleocr_vl`` (PaddleOCR-VL's ``PaddleOCRProjector``): the same, its linears named ``linear_1`` and ``linear_2``.
* ``vipllava`` (ViP-LLaVA's ``VipLlavaMultiModalProjector``): a LayerNorm ``projector_layernorm`` of the
  ``n_feature_layers`` concatenated vision layers' ``d_in × n_feature_layers`` features, then LLaVA's two linears
  with biases.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, LayerNorm, Linear, Module, Parameter, RMSNorm
from registry.plugins.common import FamilyParams


class ProjectorParams(FamilyParams):
    """Hyper-parameters of the ``projector`` family."""

    layout: Literal["llava", "gemma3", "paligemma", "llama4", "mllama", "lfm2_vl", "internvl", "idefics3", "aya_vision", "kimi_k25",
                    "cohere2_vision", "paddleocr_vl", "vipllava", "modernvbert"] = Field(
        "llava", description="which implementation")
    d_in: PositiveInt = Field(1024, description="the vision tower's width")
    d_out: PositiveInt = Field(4096, description="the language model's width")
    n_feature_layers: PositiveInt = Field(1, description="llava, vipllava: vision layers whose features are concatenated")
    bias: bool = Field(True, description="llava, lfm2_vl: biases on linear_1 and linear_2")
    norm: bool = Field(False, description="llava (Mistral 3): an RMS norm of d_in first")
    merge: int = Field(0, ge=0, description="llava (Mistral 3): the patch merger's spatial merge size (0: none)")
    image_newline: bool = Field(False, description="llava (LLaVA-NeXT): a learned image_newline of d_out")
    pool: int = Field(0, ge=0, description="llava (LLaVA-NeXT-Video): the vision_resampler convolution's kernel and "
                      "stride (0: none, or a pooling without tensors)")
    d_pool: PositiveInt | None = Field(None, description="llava (LLaVA-NeXT-Video): the convolution's outputs (default d_in)")
    factor: PositiveInt = Field(1, description="lfm2_vl, internvl, idefics3, modernvbert, aya_vision, cohere2_vision: the pixel shuffle's factor "
                                "(the first layer takes d_in × factor²)")
    d_hidden: PositiveInt | None = Field(None, description="lfm2_vl, aya_vision, cohere2_vision: linear_1's outputs "
                                         "(default d_out; aya_vision, cohere2_vision: linear_2 takes half of them); "
                                         "kimi_k25, paddleocr_vl: the merged width")
    layer_norm: bool = Field(False, description="lfm2_vl: a layer norm of d_in × factor² first")

    @model_validator(mode="after")
    def _check(self) -> ProjectorParams:
        if self.layout != "llava":
            for name in ("norm", "image_newline"):
                if getattr(self, name):
                    raise FieldError(name, f"the {self.layout} layout has no such part (keep the default)")
            if self.merge:
                raise FieldError("merge", f"the {self.layout} layout has no patch merger (keep the default)")
        checks = (("factor", self.factor != 1, _SHUFFLED), ("d_hidden", self.d_hidden is not None, ("lfm2_vl", *_SWIGLU, *_MERGED)),
                  ("layer_norm", self.layer_norm, ("lfm2_vl",)), ("bias", not self.bias, ("llava", "lfm2_vl")),
                  ("pool", self.pool != 0, ("llava",)), ("d_pool", self.d_pool is not None, ("llava",)))  # fmt: skip
        for name, given, layouts in checks:
            if given and self.layout not in layouts:
                raise FieldError(name, f"the {self.layout} layout has no such part (keep the default)")
        if self.d_pool is not None and not self.pool:
            raise FieldError("d_pool", "the vision_resampler convolution's outputs need its kernel (pool)")
        if self.layout in _MERGED and self.d_hidden is None:
            raise FieldError("d_hidden", f"the {self.layout} layout needs the merged width (the tower's width × the merge kernel's cells)")
        if self.layout in _SWIGLU and (self.d_hidden or self.d_out) < 2:
            raise FieldError("d_hidden", f"must be >= 2 for {self.layout} (linear_2 takes half of linear_1's outputs)")
        return self


#: The layouts that pixel-shuffle the vision tokens first.
_SHUFFLED = ("lfm2_vl", "internvl", "idefics3", "aya_vision", "cohere2_vision", "modernvbert")
#: The layouts whose ``linear_1`` output halves are gated (SwiGLU) into ``linear_2``.
_SWIGLU = ("aya_vision", "cohere2_vision")
#: The layouts after the tower's patch merge: a norm of ``d_in``, then two linears of the merged width ``d_hidden``.
_MERGED = ("kimi_k25", "paddleocr_vl")


def _shuffled(p: ProjectorParams) -> Module:
    """The projectors after a pixel shuffle (``lfm2_vl``, ``internvl``, ``idefics3``, ``aya_vision``, ``cohere2_vision``)."""
    width, hidden = p.d_in * p.factor**2, p.d_hidden or p.d_out
    if p.layout == "idefics3":
        proj = Linear(name="proj", in_features=width, out_features=p.d_out, bias=False, component="other")
        return Module(blocks=[Module(name="modality_projection", blocks=[proj])])
    if p.layout == "modernvbert":
        return Module(blocks=[Linear(name="modality_projection", in_features=width, out_features=p.d_out, bias=False,
                                     component="other")])  # fmt: skip
    if p.layout in _SWIGLU:
        norm = [LayerNorm(name="layernorm", dim=width)] if p.layout == "aya_vision" else []
        return Module(blocks=[
            *norm,
            Linear(name="linear_1", in_features=width, out_features=hidden, bias=True, component="other"),
            Linear(name="linear_2", in_features=hidden // 2, out_features=p.d_out, bias=True, component="other"),
        ])  # fmt: skip
    if p.layout == "internvl":
        hidden = p.d_out
    blocks: list = []
    if p.layout != "lfm2_vl" or p.layer_norm:
        blocks.append(LayerNorm(name="layer_norm", dim=width))
    bias = p.bias
    blocks += [
        Linear(name="linear_1", in_features=width, out_features=hidden, bias=bias, component="other"),
        Linear(name="linear_2", in_features=hidden, out_features=p.d_out, bias=bias, component="other"),
    ]  # fmt: skip
    return Module(blocks=blocks)


def build(p: ProjectorParams) -> Module:
    """The projector's blocks, named as its implementation names them."""
    d_in, d_out = p.d_in, p.d_out
    if p.layout == "gemma3":
        return Module(blocks=[
            Parameter(name="mm_input_projection_weight", shape=(d_in, d_out)),
            RMSNorm(name="mm_soft_emb_norm", dim=d_in),
        ])  # fmt: skip
    if p.layout in _SHUFFLED:
        return _shuffled(p)
    if p.layout in _MERGED:
        wide = p.d_hidden or d_in
        first, second = ("in_proj", "out_proj") if p.layout == "kimi_k25" else ("linear_1", "linear_2")
        return Module(blocks=[
            LayerNorm(name="pre_norm", dim=d_in),
            Linear(name=first, in_features=wide, out_features=wide, component="other"),
            Linear(name=second, in_features=wide, out_features=d_out, component="other"),
        ])  # fmt: skip
    if p.layout == "vipllava":
        wide = d_in * p.n_feature_layers
        return Module(blocks=[
            LayerNorm(name="projector_layernorm", dim=wide),
            Linear(name="linear_1", in_features=wide, out_features=d_out, component="other"),
            Linear(name="linear_2", in_features=d_out, out_features=d_out, component="other"),
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
    if p.pool:
        width = p.d_pool or d_in
        conv = [Parameter(name="weight", shape=(width, d_in, p.pool, p.pool)), Parameter(name="bias", shape=(width,))]
        blocks.append(Module(name="vision_resampler", blocks=[Module(name="pool", blocks=conv)]))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``projector`` family."""
    register(Family(name="projector", params=ProjectorParams, build=build,
                    description="the projectors of vision-language models (LLaVA, Gemma 3, Mistral 3, PaliGemma, Llama 4, "
                                "Mllama, LFM2-VL, InternVL, Idefics3, Aya Vision, Kimi K2.5, LLaVA-NeXT-Video)"))  # fmt: skip
