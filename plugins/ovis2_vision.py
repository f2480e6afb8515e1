"""Ovis2's vision tower, an AIMv2-style ViT with a visual tokenizer head (the ``ovis2-vision`` family).

transformers 5.25's ``Ovis2VisionModel`` (``modeling_ovis2.py``):

* ``transformer.embeddings``: the patch convolution ``d_model × n_channels × patch_size²`` with a bias, learned
  position embeddings of the ``(image_size / patch_size)²`` patches (no class token) and an RMS norm (``rms_norm``);
* ``n_layers`` pre-norm layers (``transformer.encoder.layers.<i>``): RMS norms ``rms_norm1`` and ``rms_norm2``,
  attention (``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``, biases on all four when ``qkv_bias``) and a SwiGLU MLP
  of ``d_ff`` (``ffn.gate_proj``, ``up_proj``, ``down_proj``, biases when ``mlp_bias``);
* a final RMS norm (``transformer.rms_norm``);
* the visual tokenizer's head: ``head_linear`` of the ``hidden_stride²`` merged patches (``d_model × hidden_stride²``
  inputs, no bias) to the ``vocab_size - n_indicator_tokens`` visual words, and a LayerNorm of them (``head_norm``).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import nested


class Ovis2VisionParams(FamilyParams):
    """Hyper-parameters of the ``ovis2-vision`` family."""

    d_model: PositiveInt = Field(1024, description="hidden size")
    n_layers: PositiveInt = Field(24, description="encoder layers")
    n_heads: PositiveInt = Field(8, description="attention heads")
    d_ff: PositiveInt = Field(2816, description="SwiGLU MLP inner width")
    image_size: PositiveInt = Field(224, description="image side in pixels")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    qkv_bias: bool = Field(False, description="biases on the attention's four projections")
    mlp_bias: bool = Field(False, description="biases on the MLP's projections")
    vocab_size: PositiveInt = Field(16384, description="visual words, the indicator tokens included")
    n_indicator_tokens: NonNegativeInt = Field(5, description="visual indicator tokens (not produced by the head)")
    hidden_stride: PositiveInt = Field(1, description="side of the patch groups the head merges (hidden_stride²)")

    @model_validator(mode="after")
    def _check(self) -> Ovis2VisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        if self.n_indicator_tokens >= self.vocab_size:
            raise FieldError("n_indicator_tokens", f"must be fewer than vocab_size ({self.vocab_size}): the head "
                             "produces the other visual words")  # fmt: skip
        return self

    @property
    def n_patches(self) -> int:
        """Patch tokens of one image."""
        return (self.image_size // self.patch_size) ** 2


def build(p: Ovis2VisionParams) -> Module:
    """The block tree of the tower, named as ``Ovis2VisionModel`` names it."""
    d, words = p.d_model, p.vocab_size - p.n_indicator_tokens
    layer = [
        Attention(name="attention", d_model=d, n_heads=p.n_heads, bias=p.qkv_bias, names={"o": "out_proj"}, kv_cache="none"),
        FeedForward(name="ffn", d_model=d, d_ff=p.d_ff, gated=True, bias=p.mlp_bias),
        RMSNorm(name="rms_norm1", dim=d),
        RMSNorm(name="rms_norm2", dim=d),
    ]  # fmt: skip
    blocks = [
        Parameter(name="transformer.embeddings.patch_embedding.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size),
                  component="embedding"),
        Parameter(name="transformer.embeddings.patch_embedding.bias", shape=(d,), component="embedding"),
        Parameter(name="transformer.embeddings.position_embedding.weight", shape=(p.n_patches, d), component="embedding"),
        RMSNorm(name="transformer.embeddings.rms_norm", dim=d),
        Repeat(name="transformer.encoder.layers", count=p.n_layers, blocks=layer),
        RMSNorm(name="transformer.rms_norm", dim=d),
        Linear(name="head_linear", in_features=d * p.hidden_stride**2, out_features=words, bias=False, component="other"),
        LayerNorm(name="head_norm", dim=words),
    ]  # fmt: skip
    return Module(blocks=nested(blocks))


@hookimpl
def register_families(register):
    """Register the ``ovis2-vision`` family."""
    register(Family(name="ovis2-vision", params=Ovis2VisionParams, build=build,
                    description="Ovis2's vision tower (AIMv2-style ViT with RMS norms and SwiGLU, a visual tokenizer head)"))  # fmt: skip
