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
objectness heads (three linears of the vision width each, to 4 and 1 outputs) and a ``layer_norm``. X-CLIP
(``XCLIPModel``, ``layout = "xclip"``): OWLv2's names, a vision tower with message tokens, and after CLIP's heads
the video parts: ``prompts_visual_layernorm`` and ``prompts_visual_projection`` (a bare ``d_model × projection_dim``
weight), the multi-frame integration transformer ``mit`` (a position embedding of ``n_frames`` rows and CLIP
layers of the ``mit_*`` sizes) and the prompt generator (a norm, ``prompt_layers`` layers of a cross-attention
without query/key/value biases and a 4× MLP, all ``projection_dim`` wide, and ``alpha``).

The text tower is ``text_model``, the vision tower ``vision_model`` (the report's
per-module breakdown shows each).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import check_heads
from registry.plugins.vision import VisionParams, nested, tower
from registry.plugins.vision_layouts import VISION_LAYOUTS

class DualEncoderParams(VisionParams):
    """Hyper-parameters of the ``dual-encoder`` family: the vision tower's (see ``vision``) and the text tower's."""

    layout: Literal["clip", "siglip", "siglip2", "owlv2", "xclip"] = Field(
        "clip", description="tensor names of which implementation: clip, siglip, siglip2 (SigLIP's, a NaFlex vision "
        "tower), owlv2 (CLIP's, the vision pre-norm named pre_layernorm) or xclip (OWLv2's, and X-CLIP's video parts)")
    text_vocab_size: PositiveInt = Field(49408, description="text tower: token vocabulary")
    text_d_model: PositiveInt = Field(512, description="text tower: hidden size")
    text_n_layers: PositiveInt = Field(12, description="text tower: layers")
    text_n_heads: PositiveInt = Field(8, description="text tower: attention heads")
    text_d_ff: PositiveInt = Field(2048, description="text tower: MLP inner width")
    text_n_positions: PositiveInt = Field(77, description="text tower: learned position embedding rows")
    text_head: NonNegativeInt = Field(0, description="SigLIP: outputs of the text tower's head (0: none)")
    projection_dim: NonNegativeInt = Field(512, description="CLIP: width of both projections (0: none)")
    logit_bias: bool = Field(False, description="SigLIP: a learned logit bias beside the scale")
    mit_d_model: PositiveInt = Field(512, description="X-CLIP: the multi-frame integration transformer's width")
    mit_n_layers: PositiveInt = Field(1, description="X-CLIP: its layers")
    mit_n_heads: PositiveInt = Field(8, description="X-CLIP: its attention heads")
    mit_d_ff: PositiveInt = Field(2048, description="X-CLIP: its MLP width")
    prompt_layers: NonNegativeInt = Field(2, description="X-CLIP: the prompt generator's layers")
    prompt_n_heads: PositiveInt = Field(8, description="X-CLIP: the prompt generator's attention heads")
    detection_heads: bool = Field(False, description="OWLv2's object-detection heads (Owlv2ForObjectDetection): "
                                  "class, box and objectness heads and a norm, the dual encoder under owlv2")

    @model_validator(mode="after")
    def _check_text(self) -> DualEncoderParams:
        if self.text_d_model % self.text_n_heads:
            raise FieldError("text_n_heads", f"text_n_heads ({self.text_n_heads}) does not divide text_d_model "
                                             f"({self.text_d_model})")  # fmt: skip
        if self.layout == "xclip":
            check_heads(self.mit_d_model, self.mit_n_heads, None)
            if self.projection_dim % self.prompt_n_heads:
                raise FieldError("prompt_n_heads", f"prompt_n_heads ({self.prompt_n_heads}) does not divide "
                                                   f"projection_dim ({self.projection_dim})")  # fmt: skip
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
    if p.layout == "xclip":
        blocks += _video_parts(p)
    return Module(blocks=blocks)


def _video_parts(p: DualEncoderParams) -> list:
    """X-CLIP's prompt projection, multi-frame integration transformer and prompt generator (``XCLIPModel``)."""
    d, e, m = p.d_model, p.projection_dim, p.mit_d_model
    lay = VISION_LAYOUTS[p.layout]
    mit_layer = [
        LayerNorm(name=lay.norm1, dim=m), Attention(d_model=m, n_heads=p.mit_n_heads, names=lay.attn, kv_cache="none"),
        LayerNorm(name=lay.norm2, dim=m), FeedForward(d_model=m, d_ff=p.mit_d_ff, names=lay.ff),
    ]  # fmt: skip
    cross = {"q": "cross_attn.q_proj", "k": "cross_attn.k_proj", "v": "cross_attn.v_proj", "o": "cross_attn.proj"}
    prompt_layer = [
        LayerNorm(name="norm1", dim=e),
        Attention(d_model=e, n_heads=p.prompt_n_heads, bias=False, out_bias=True, names=cross, kv_cache="none"),
        LayerNorm(name="norm3", dim=e), FeedForward(d_model=e, d_ff=4 * e, names={"up": "mlp.0", "down": "mlp.3"}),
    ]  # fmt: skip
    return [
        LayerNorm(name="prompts_visual_layernorm", dim=d),
        Parameter(name="prompts_visual_projection", shape=(d, e), component="head"),
        Module(name="mit", blocks=[
            Parameter(name="position_embedding", shape=(1, p.n_frames, m), component="embedding"),
            Module(name="encoder", blocks=[Repeat(name="layers", count=p.mit_n_layers, blocks=nested(mit_layer))]),
        ]),
        Module(name="prompts_generator", blocks=[
            LayerNorm(name="layernorm", dim=e),
            *([Repeat(name="decoder", count=p.prompt_layers, blocks=nested(prompt_layer))] if p.prompt_layers else []),
            Parameter(name="alpha", shape=(e,), component="head"),
        ]),
    ]  # fmt: skip


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
                    description="dual encoders (text and vision towers, contrastive): CLIP, SigLIP, SigLIP2, OWLv2, X-CLIP"))  # fmt: skip
