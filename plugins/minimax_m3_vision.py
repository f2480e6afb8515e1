"""MiniMax-M3's vision tower and projector (families ``minimax-m3-vision`` and ``minimax-m3-projector``):
transformers 5.25's ``MiniMaxM3VLVisionModel`` and ``MiniMaxM3VLMultiModalProjector``
(``models/minimax_m3_vl/modeling_minimax_m3_vl.py``).

The tower (``model.vision_tower``), a CLIP-like encoder with 3-D rotary positions (no parameters):

* ``embeddings.proj``: a 3-D convolution without bias over ``temporal_patch_size`` frames of ``patch_size ×
  patch_size`` pixels, ``d_model × n_channels × temporal_patch_size × patch_size²``;
* ``pre_layrnorm`` (a LayerNorm of ``d_model``, transformers' spelling);
* ``n_layers`` layers (``layers.<i>``): ``self_attn`` with ``q_proj``, ``k_proj``, ``v_proj`` and ``out_proj``, all
  biased; LayerNorms ``layer_norm1`` and ``layer_norm2``; an MLP ``fc1`` (``d_model → d_ff``), ``fc2``, biased.
  No final norm.

The projector (``model.multi_modal_projector``): ``linear_1`` (the tower's width to ``d_hidden``, the config's
``projector_hidden_size``), ``linear_2`` (to the text width ``d_out``), then, over ``merge²`` neighbouring
patches joined, ``merge_linear_1`` (``d_out × merge²`` to ``d_hidden``) and ``merge_linear_2`` (to ``d_out``),
all biased.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, FeedForward, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads


class MiniMaxM3VisionParams(FamilyParams):
    """Hyper-parameters of the ``minimax-m3-vision`` family (defaults: MiniMax-M3's tower)."""

    d_model: PositiveInt = Field(1280, description="width of the layers (hidden_size)")
    n_layers: PositiveInt = Field(32, description="encoder layers (num_hidden_layers)")
    n_heads: PositiveInt = Field(16, description="attention heads (num_attention_heads)")
    d_ff: PositiveInt = Field(5120, description="MLP inner width (intermediate_size)")
    n_channels: PositiveInt = Field(3, description="image channels (num_channels)")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    temporal_patch_size: PositiveInt = Field(2, description="frames in one patch")

    @model_validator(mode="after")
    def _check(self) -> MiniMaxM3VisionParams:
        check_heads(self.d_model, self.n_heads, None, None)
        return self


def build(p: MiniMaxM3VisionParams) -> Module:
    """The block tree of MiniMax-M3's vision tower (unprefixed, as ``MiniMaxM3VLVisionModel`` holds it)."""
    d = p.d_model
    kernel = (d, p.n_channels, p.temporal_patch_size, p.patch_size, p.patch_size)
    attention = Attention(name="self_attn", d_model=d, n_heads=p.n_heads, bias=True, names={"o": "out_proj"},
                          kv_cache="none")  # fmt: skip
    mlp = FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, gated=False, bias=True, names={"up": "fc1", "down": "fc2"})
    return Module(blocks=[
        Module(name="embeddings.proj", blocks=[Parameter(name="weight", shape=kernel, component="embedding")]),
        LayerNorm(name="pre_layrnorm", dim=d),
        Repeat(name="layers", count=p.n_layers, blocks=[
            attention, LayerNorm(name="layer_norm1", dim=d), mlp, LayerNorm(name="layer_norm2", dim=d)]),
    ])  # fmt: skip


class MiniMaxM3ProjectorParams(FamilyParams):
    """Hyper-parameters of the ``minimax-m3-projector`` family."""

    d_in: PositiveInt = Field(description="the vision tower's width")
    d_hidden: PositiveInt = Field(description="inner width of both MLPs (projector_hidden_size)")
    d_out: PositiveInt = Field(description="the language model's width")
    merge: PositiveInt = Field(2, description="side of the square of patches joined into one token (spatial_merge_size)")


def build_projector(p: MiniMaxM3ProjectorParams) -> Module:
    """The projector's four biased linears (``MiniMaxM3VLMultiModalProjector``)."""

    def linear(name: str, n_in: int, n_out: int) -> Linear:
        return Linear(name=name, in_features=n_in, out_features=n_out, bias=True, component="other")

    return Module(blocks=[
        linear("linear_1", p.d_in, p.d_hidden), linear("linear_2", p.d_hidden, p.d_out),
        linear("merge_linear_1", p.d_out * p.merge**2, p.d_hidden), linear("merge_linear_2", p.d_hidden, p.d_out),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``minimax-m3-vision`` and ``minimax-m3-projector`` families."""
    register(Family(name="minimax-m3-vision", params=MiniMaxM3VisionParams, build=build,
                    description="MiniMax-M3's vision tower: CLIP-like encoder, 3-D patch convolution, rotary positions"))
    register(Family(name="minimax-m3-projector", params=MiniMaxM3ProjectorParams, build=build_projector,
                    description="MiniMax-M3's projector: a per-patch MLP, then an MLP over merged patches"))  # fmt: skip
