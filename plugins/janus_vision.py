"""Janus's vision tower, a SigLIP-style ViT (the ``janus-vision`` family).

transformers 5.25's ``JanusVisionModel`` (``modeling_janus.py``):

* ``embeddings``: the patch convolution ``d_model × n_channels × patch_size²`` with a bias and learned position
  embeddings of the ``(image_size / patch_size)²`` patches (no class token);
* ``n_layers`` pre-norm layers (``encoder.layers.<i>``): ``layer_norm1``, attention (``self_attn``: ``q_proj``,
  ``k_proj``, ``v_proj`` with biases when ``qkv_bias``, ``projection_layer`` with a bias, and with ``qk_norm``
  LayerNorms of the whole width on queries and keys, ``q_norm`` and ``k_norm``), ``layer_norm2``, an MLP of ``d_ff``
  (``mlp.fc1``, ``mlp.fc2``, biases);
* ``post_layernorm``.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, FeedForward, FieldError, LayerNorm, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import nested


class JanusVisionParams(FamilyParams):
    """Hyper-parameters of the ``janus-vision`` family."""

    d_model: PositiveInt = Field(1024, description="hidden size")
    n_layers: PositiveInt = Field(24, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(4096, description="MLP inner width (hidden_size × mlp_ratio)")
    image_size: PositiveInt = Field(384, description="image side in pixels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    qkv_bias: bool = Field(True, description="biases on the query, key and value projections (attention_bias)")
    qk_norm: bool = Field(False, description="LayerNorms of the whole width on queries and keys (use_qk_norm)")

    @model_validator(mode="after")
    def _check(self) -> JanusVisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        return self

    @property
    def n_patches(self) -> int:
        """Patch tokens of one image."""
        return (self.image_size // self.patch_size) ** 2


def build(p: JanusVisionParams) -> Module:
    """The block tree of the tower, named as ``JanusVisionModel`` names it."""
    d = p.d_model
    attention = Attention(name="self_attn", d_model=d, n_heads=p.n_heads, bias=p.qkv_bias, out_bias=True,
                          qk_norm="full" if p.qk_norm else None, qk_norm_kind="layer_norm", qk_norm_bias=p.qk_norm,
                          names={"o": "projection_layer"}, kv_cache="none")  # fmt: skip
    layer = [
        LayerNorm(name="layer_norm1", dim=d),
        attention,
        LayerNorm(name="layer_norm2", dim=d),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, names={"up": "fc1", "down": "fc2"}),
    ]
    blocks = [
        Parameter(name="embeddings.patch_embedding.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size),
                  component="embedding"),
        Parameter(name="embeddings.patch_embedding.bias", shape=(d,), component="embedding"),
        Parameter(name="embeddings.position_embedding.weight", shape=(p.n_patches, d), component="embedding"),
        Repeat(name="encoder.layers", count=p.n_layers, blocks=layer),
        LayerNorm(name="post_layernorm", dim=d),
    ]  # fmt: skip
    return Module(blocks=nested(blocks))


@hookimpl
def register_families(register):
    """Register the ``janus-vision`` family."""
    register(Family(name="janus-vision", params=JanusVisionParams, build=build,
                    description="Janus's vision tower (SigLIP-style ViT, optional query/key LayerNorms)"))  # fmt: skip
