"""GLM-Image's vision tower, image tokenizer and image-token head (the ``glm-image-vision``, ``glm-image-vq`` and
``glm-image-head`` families).

transformers 5.25's ``GlmImageForConditionalGeneration`` (``modeling_glm_image.py``) holds, beside its GLM-4-style
language model (``model.language_model``, a mapped decoder):

* ``model.visual`` (``GlmImageVisionModel``): learned position embeddings (``embeddings.position_embedding``, one row
  per patch of an ``image_size × image_size`` image, ``(image_size // patch_size)²`` rows, resampled to each image's
  grid), the patch convolution (``patch_embed.proj``, 2-D, ``d_model × n_channels × patch_size²`` with a bias) and
  ``n_layers`` pre-norm blocks (``blocks.<i>``): LayerNorms ``norm1`` and ``norm2``; attention with one fused
  query/key/value projection ``attn.qkv`` and ``attn.proj``, both biased when ``attention_bias``; an MLP ``mlp.fc1``,
  ``mlp.fc2`` of ``d_ff`` with biases. No final norm;
* ``model.vqmodel`` (``GlmImageVQVAE``): only the codebook (``quantize.embedding``, ``n_embeddings × embed_dim``) and
  the 1×1 convolutions ``quant_conv`` (``latent_channels → embed_dim``) and ``post_quant_conv`` (back), with biases:
  it turns the tower's features into image tokens (no encoder or decoder of its own);
* ``lm_head`` at the root: the language model's width to ``text_config.vision_vocab_size`` (the image tokens it
  generates), no bias, never tied (``_tied_weights_keys`` is empty).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import nested


class GlmImageVisionParams(FamilyParams):
    """Hyper-parameters of the ``glm-image-vision`` family."""

    d_model: PositiveInt = Field(1536, description="hidden size")
    n_layers: PositiveInt = Field(40, description="blocks (depth)")
    n_heads: PositiveInt = Field(16, description="attention heads (num_heads)")
    d_ff: PositiveInt = Field(6144, description="MLP inner width")
    qkv_bias: bool = Field(True, description="biases on attn.qkv and attn.proj (attention_bias)")
    image_size: PositiveInt = Field(2048, description="side of the image the position table covers, in pixels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels (in_channels)")

    @model_validator(mode="after")
    def _check(self) -> GlmImageVisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        return self


def build_vision(p: GlmImageVisionParams) -> Module:
    """The block tree of the tower, named as ``GlmImageVisionModel`` names it."""
    d = p.d_model
    block = [
        LayerNorm(name="norm1", dim=d),
        LayerNorm(name="norm2", dim=d),
        Attention(name="attn", d_model=d, n_heads=p.n_heads, bias=p.qkv_bias, fused_qkv=True, names={"qkv": "qkv", "o": "proj"},
                  kv_cache="none"),
        FeedForward(name="mlp", d_model=d, d_ff=p.d_ff, bias=True, names={"up": "fc1", "down": "fc2"}),
    ]  # fmt: skip
    blocks = [
        Embedding(name="embeddings.position_embedding", num_embeddings=(p.image_size // p.patch_size) ** 2, embedding_dim=d,
                  role="position"),
        Parameter(name="patch_embed.proj.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
        Parameter(name="patch_embed.proj.bias", shape=(d,), component="embedding"),
        Repeat(name="blocks", count=p.n_layers, blocks=block),
    ]  # fmt: skip
    return Module(blocks=nested(blocks))


class GlmImageVQParams(FamilyParams):
    """Hyper-parameters of the ``glm-image-vq`` family."""

    embed_dim: PositiveInt = Field(2048, description="a code's width")
    n_embeddings: PositiveInt = Field(16384, description="codes in the codebook (num_embeddings)")
    latent_channels: PositiveInt = Field(1536, description="the features' channels (the vision tower's width)")


def build_vq(p: GlmImageVQParams) -> Module:
    """``GlmImageVQVAE``: the codebook and the two 1×1 convolutions."""
    return Module(blocks=[
        Module(name="quantize", blocks=[Embedding(name="embedding", num_embeddings=p.n_embeddings, embedding_dim=p.embed_dim,
                                                  role="other")]),
        Parameter(name="quant_conv.weight", shape=(p.embed_dim, p.latent_channels, 1, 1)),
        Parameter(name="quant_conv.bias", shape=(p.embed_dim,)),
        Parameter(name="post_quant_conv.weight", shape=(p.latent_channels, p.embed_dim, 1, 1)),
        Parameter(name="post_quant_conv.bias", shape=(p.latent_channels,)),
    ])  # fmt: skip


class GlmImageHeadParams(FamilyParams):
    """Hyper-parameters of the ``glm-image-head`` family."""

    d_model: PositiveInt = Field(4096, description="the language model's width (text_config.hidden_size)")
    n_image_tokens: PositiveInt = Field(16512, description="image tokens the head scores (text_config.vision_vocab_size)")


def build_head(p: GlmImageHeadParams) -> Module:
    """``lm_head``: the language model's width to the image tokens, no bias."""
    return Module(blocks=[Linear(name="lm_head", in_features=p.d_model, out_features=p.n_image_tokens, bias=False,
                                 component="head")])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``glm-image-vision``, ``glm-image-vq`` and ``glm-image-head`` families."""
    register(Family(name="glm-image-vision", params=GlmImageVisionParams, build=build_vision,
                    description="GLM-Image's vision tower (a ViT with a resampled position table, no merger)"))
    register(Family(name="glm-image-vq", params=GlmImageVQParams, build=build_vq,
                    description="GLM-Image's image tokenizer (a codebook between two 1x1 convolutions)"))
    register(Family(name="glm-image-head", params=GlmImageHeadParams, build=build_head,
                    description="GLM-Image's head over its image tokens (vision_vocab_size)"))
