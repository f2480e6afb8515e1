"""Llama 4's vision encoder (the ``llama4-vision`` family, and the ``llama4_vision_model`` model type).

``Llama4VisionModel`` of transformers 5.25 (``modeling_llama4.py``):

* ``patch_embedding.linear``: the patches unfolded (``torch.nn.Unfold``) and projected by a linear
  without a bias, ``n_channels × patch_size²`` to ``d_model``;
* ``class_embedding`` (``d_model``) and ``positional_embedding_vlm``, one learned position per patch of
  an ``image_size²`` image plus the class token: ``((image_size // patch_size)² + 1) × d_model``;
* ``layernorm_pre`` and ``layernorm_post`` (layer norms with shifts);
* ``model.layers``: pre-norm layers of layer norms (``input_layernorm``, ``post_attention_layernorm``),
  attention with biases on all four projections (``self_attn.q_proj`` ... ``o_proj``, heads of
  ``d_model // n_heads``; positions are a 2D rotary embedding without parameters) and an MLP
  ``mlp.fc1``/``mlp.fc2`` of ``d_ff`` with biases;
* ``vision_adapter.mlp``: the pixel-shuffle MLP, ``fc1`` (``d_ff`` to ``projector_input_dim``: the
  shuffled patches are ``d_model / pixel_shuffle_ratio²`` wide, which the configuration's
  ``intermediate_size`` states) and ``fc2`` (``projector_output_dim`` square), no biases.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, Row, hookimpl
from registry.blocks import Attention, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.generated_defaults import DEFAULTS


class Llama4VisionParams(FamilyParams):
    """Hyper-parameters of the ``llama4-vision`` family."""

    d_model: PositiveInt = Field(1408, description="hidden size")
    n_layers: PositiveInt = Field(34, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads (each d_model // n_heads wide)")
    d_ff: PositiveInt = Field(5632, description="the MLP's inner width (also the pixel-shuffle MLP's input)")
    image_size: PositiveInt = Field(336, description="image side in pixels (the learned positions cover it)")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    projector_input_dim: PositiveInt = Field(4096, description="the pixel-shuffle MLP's inner width (fc1's outputs)")
    projector_output_dim: PositiveInt = Field(4096, description="the pixel-shuffle MLP's output width (fc2's)")

    @model_validator(mode="after")
    def _check(self) -> Llama4VisionParams:
        if self.d_model < self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) exceeds d_model ({self.d_model}): heads would be 0 wide")
        return self


def build(p: Llama4VisionParams) -> Module:
    """The block tree of Llama 4's vision encoder."""
    d = p.d_model
    head_dim = d // p.n_heads
    names = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj"}
    layer = [
        LayerNorm(name="input_layernorm", dim=d),
        Module(name="self_attn", blocks=[Attention(d_model=d, n_heads=p.n_heads, head_dim=head_dim, bias=True,
                                                   names=names, kv_cache="none")]),
        LayerNorm(name="post_attention_layernorm", dim=d),
        Module(name="mlp", blocks=[FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "fc1", "down": "fc2"})]),
    ]  # fmt: skip
    positions = (p.image_size // p.patch_size) ** 2 + 1
    adapter = [
        Linear(name="fc1", in_features=p.d_ff, out_features=p.projector_input_dim, bias=False, component="other"),
        Linear(name="fc2", in_features=p.projector_output_dim, out_features=p.projector_output_dim, bias=False,
               component="other"),
    ]  # fmt: skip
    return Module(blocks=[
        Parameter(name="class_embedding", shape=(d,), component="embedding"),
        Parameter(name="positional_embedding_vlm", shape=(positions, d), component="embedding"),
        Module(name="patch_embedding", blocks=[Linear(name="linear", in_features=p.n_channels * p.patch_size**2,
                                                      out_features=d, bias=False, component="embedding")]),
        LayerNorm(name="layernorm_pre", dim=d),
        LayerNorm(name="layernorm_post", dim=d),
        Module(name="model", blocks=[Repeat(name="layers", count=p.n_layers, blocks=layer)]),
        Module(name="vision_adapter", blocks=[Module(name="mlp", blocks=adapter)]),
    ])  # fmt: skip


#: The standalone ``Llama4VisionModel`` (the vision tower of llama4 configs).
ROW = Row(
    "llama4_vision_model", "llama4-vision", ("Llama4VisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
           "d_ff": "intermediate_size", "image_size": "image_size", "patch_size": "patch_size",
           "n_channels": "num_channels", "projector_input_dim": "projector_input_dim",
           "projector_output_dim": "projector_output_dim"},
    defaults=DEFAULTS["llama4_vision_model"],
    # vision_output_dim is the composite's projector's input (read there); the multi-modal projector has no
    # bias whatever multi_modal_projector_bias says; pixel_shuffle_ratio reshapes, its widths are given above
    shape_free=frozenset(("attention_dropout", "hidden_act", "norm_eps", "pixel_shuffle_ratio", "projector_dropout",
                          "rope_parameters", "rope_theta", "multi_modal_projector_bias", "vision_feature_select_strategy",
                          "vision_feature_layer", "vision_output_dim")),
)  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``llama4-vision`` family."""
    register(Family(name="llama4-vision", params=Llama4VisionParams, build=build,
                    description="Llama 4's vision encoder (unfolded patches, 2D RoPE, pixel-shuffle MLP)"))  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``llama4_vision_model`` (Llama4VisionModel)."""
    register(ROW)
