"""Dual encoders: a text tower and a vision tower trained to agree (the ``dual-encoder`` family).

CLIP, SigLIP and SigLIP2 (``CLIPModel``, ``SiglipModel``, ``Siglip2Model``): the vision tower is the ``vision``
family's (its hyper-parameters, unprefixed, are this family's too; ``layout`` names both
towers' tensors), the text tower a pre-norm transformer encoder of its own
(``text_*``: token and learned position embeddings, layers named as the vision tower's,
a final norm; SigLIP's (and SigLIP2's, named alike) text tower ends in a ``text_head`` projection with a bias), then
CLIP's projections of both towers to ``projection_dim`` (no biases) and the learned
temperature (``logit_scale``: a scalar in CLIP, one element in SigLIP, which adds a
``logit_bias``). OWLv2 (``Owlv2Model``) is CLIP with its vision tower's first norm named ``pre_layernorm``
(``layout = "owlv2"``); ``Owlv2ForObjectDetection`` (``detection_heads``) holds that model as ``owlv2`` and adds
the class head (``dense0`` to the text width, ``logit_shift`` and ``logit_scale`` of one output), the box and
objectness heads (three linears of the vision width each, to 4 and 1 outputs) and a ``layer_norm``.

The text tower is ``text_model``, the vision tower ``vision_model`` (the report's
per-module breakdown shows each).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.vision import VisionParams, nested, tower
from registry.plugins.vision_layouts import VISION_LAYOUTS

class DualEncoderParams(VisionParams):
    """Hyper-parameters of the ``dual-encoder`` family: the vision tower's (see ``vision``) and the text tower's."""

    layout: Literal["clip", "siglip", "siglip2", "owlv2"] = Field(
        "clip", description="tensor names of which implementation: clip, siglip, siglip2 (SigLIP's, a NaFlex vision "
        "tower) or owlv2 (CLIP's, the vision pre-norm named pre_layernorm)")
    text_vocab_size: PositiveInt = Field(49408, description="text tower: token vocabulary")
    text_d_model: PositiveInt = Field(512, description="text tower: hidden size")
    text_n_layers: PositiveInt = Field(12, description="text tower: layers")
    text_n_heads: PositiveInt = Field(8, description="text tower: attention heads")
    text_d_ff: PositiveInt = Field(2048, description="text tower: MLP inner width")
    text_n_positions: PositiveInt = Field(77, description="text tower: learned position embedding rows")
    text_head: NonNegativeInt = Field(0, description="SigLIP: outputs of the text tower's head (0: none)")
    projection_dim: NonNegativeInt = Field(512, description="CLIP: width of both projections (0: none)")
    logit_bias: bool = Field(False, description="SigLIP: a learned logit bias beside the scale")
    detection_heads: bool = Field(False, description="OWLv2's object-detection heads (Owlv2ForObjectDetection): "
                                  "class, box and objectness heads and a norm, the dual encoder under owlv2")

    @model_validator(mode="after")
    def _check_text(self) -> DualEncoderParams:
        if self.text_d_model % self.text_n_heads:
            raise FieldError("text_n_heads", f"text_n_heads ({self.text_n_heads}) does not divide text_d_model "
                                             f"({self.text_d_model})")  # fmt: skip
        if self.detection_heads and self.layout != "owlv2":
            raise FieldError("detection_heads", f"the {self.layout} layout has no detection heads (keep the default)")
        return self


def text_tower(p: DualEncoderParams) -> list:
    """The text tower: embeddings, pre-norm layers, final norm (and SigLIP's head)."""
    lay = VISION_LAYOUTS[p.layout]
    d = p.text_d_model
    layer = [
        LayerNorm(name=lay.norm1, dim=d),
        Attention(d_model=d, n_heads=p.text_n_heads, names=lay.attn, kv_cache="none"),
        LayerNorm(name=lay.norm2, dim=d),
        FeedForward(d_model=d, d_ff=p.text_d_ff, names=lay.ff),
    ]
    blocks: list = [
        Module(name="embeddings", blocks=[
            Embedding(name="token_embedding", num_embeddings=p.text_vocab_size, embedding_dim=d),
            Embedding(name="position_embedding", num_embeddings=p.text_n_positions, embedding_dim=d, role="position"),
        ]),
        Repeat(name=lay.layers, count=p.text_n_layers, blocks=layer),
        LayerNorm(name="final_layer_norm", dim=d),
    ]  # fmt: skip
    if p.text_head:
        blocks.append(Linear(name="head", in_features=d, out_features=p.text_head, component="head"))
    return nested(blocks)


def build(p: DualEncoderParams) -> Module:
    """The block tree of a dual encoder: both towers, the projections and the temperature."""
    blocks: list = [Module(name="text_model", blocks=text_tower(p)), Module(name="vision_model", blocks=tower(p))]
    if p.projection_dim:
        blocks += [
            Linear(name="visual_projection", in_features=p.d_model, out_features=p.projection_dim, bias=False, component="head"),
            Linear(name="text_projection", in_features=p.text_d_model, out_features=p.projection_dim, bias=False, component="head"),
        ]  # fmt: skip
    blocks.append(Parameter(name="logit_scale", shape=(1,) if p.logit_bias else (), component="head"))
    if p.logit_bias:
        blocks.append(Parameter(name="logit_bias", shape=(1,), component="head"))
    if p.detection_heads:
        return Module(blocks=[Module(name="owlv2", blocks=blocks), *_detection_heads(p)])
    return Module(blocks=blocks)


def _detection_heads(p: DualEncoderParams) -> list:
    """OWLv2's heads on the image tokens (``Owlv2ClassPredictionHead``, ``Owlv2BoxPredictionHead`` twice, a norm)."""
    w = p.d_model

    def linear(name: str, n_out: int) -> Linear:
        return Linear(name=name, in_features=w, out_features=n_out, component="head")

    def box(name: str, n_out: int) -> Module:
        return Module(name=name, blocks=[linear("dense0", w), linear("dense1", w), linear("dense2", n_out)])

    return [
        Module(name="class_head", blocks=[linear("dense0", p.text_d_model), linear("logit_shift", 1), linear("logit_scale", 1)]),
        box("box_head", 4), box("objectness_head", 1), LayerNorm(name="layer_norm", dim=w),
    ]


@hookimpl
def register_families(register):
    """Register the ``dual-encoder`` family."""
    register(Family(name="dual-encoder", params=DualEncoderParams, build=build,
                    description="dual encoders (text and vision towers, contrastive): CLIP, SigLIP, SigLIP2, OWLv2"))  # fmt: skip
