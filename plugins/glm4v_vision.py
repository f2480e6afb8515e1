"""The vision tower of GLM-4.1V, GLM-4.5V and GLM-4.6V (the ``glm4v-vision`` family): transformers 5.25's
``Glm4vVisionModel`` and ``Glm4vMoeVisionModel`` (``modeling_glm4v.py``, ``modeling_glm4v_moe.py``), which hold
the same tensors, in this order:

* learned position embeddings (``embeddings.position_embedding``): one row per patch of an
  ``image_size × image_size`` image, ``(image_size // patch_size)²`` rows of ``d_model``, resampled to
  each image's grid of patches;
* the patch embedding: a 3-D convolution over ``temporal_patch_size`` frames of ``patch_size ×
  patch_size`` pixels with a bias, ``d_model × n_channels × temporal_patch_size × patch_size²``
  (``patch_embed.proj``); the rotary positions of the blocks hold no parameters;
* ``n_layers`` pre-norm blocks (``blocks.<i>``): RMS norms ``norm1``, ``norm2``; attention with one fused
  query/key/value projection (``attn.qkv``, biases when ``qkv_bias``) and an output projection without
  bias (``attn.proj``); a gated SwiGLU MLP without biases whose inner width is ``d_out`` (the config's
  ``out_hidden_size``: ``Glm4VisionMlp`` takes it, not ``intermediate_size``);
* the patch merger (``merger``): ``proj`` (``d_out → d_out``), a LayerNorm ``post_projection_norm``
  over ``d_out`` and a gated MLP ``d_out → merger_d_ff → d_out`` (``gate_proj``, ``up_proj``,
  ``down_proj``; ``merger_d_ff`` is the config's ``intermediate_size``), no biases;
* ``post_conv_layernorm`` (an RMS norm over ``d_model``), the downsampling convolution ``downsample``
  (2-D, ``spatial_merge_size × spatial_merge_size`` patches to one token of ``d_out``, with a bias) and
  ``post_layernorm`` (an RMS norm over ``d_model``).

GLM-OCR's tower (``GlmOcrVisionModel``, ``modeling_glm_ocr.py``) is the same with switches: no position table
and no ``post_conv_layernorm`` (``position_table``, ``post_conv_norm`` off), per-head RMS norms of queries and
keys (``qk_norm``), biases on ``attn.proj`` and on the MLP (``proj_bias``, ``mlp_bias``: its ``attention_bias``),
an MLP of the config's ``intermediate_size`` (``mlp_d_ff``), and a merger whose inner width is
``out_hidden_size × in_channels`` (its row's rule sets ``merger_d_ff``).

The blocks' output is normed, downsampled (``spatial_merge_size²`` patches to one token of the language
model's width) and passed through the merger: the tower's output, one token per ``spatial_merge_size²`` patches.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads


class Glm4vVisionParams(FamilyParams):
    """Hyper-parameters of the ``glm4v-vision`` family (defaults: GLM-4.1V's tower)."""

    d_model: PositiveInt = Field(1536, description="width of the blocks")
    n_layers: PositiveInt = Field(24, description="blocks")
    n_heads: PositiveInt = Field(12, description="attention heads")
    qkv_bias: bool = Field(False, description="biases on the fused query/key/value projection")
    d_out: PositiveInt = Field(4096, description="output width (the language model's); also the blocks' MLP inner width")
    merger_d_ff: PositiveInt = Field(13696, description="inner width of the merger's gated MLP")
    n_channels: PositiveInt = Field(3, description="image channels")
    image_size: PositiveInt = Field(336, description="side in pixels of the image the position table covers")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    temporal_patch_size: PositiveInt = Field(2, description="frames in one patch")
    spatial_merge_size: PositiveInt = Field(2, description="side of the square of patches downsampled into one token")
    position_table: bool = Field(True, description="a learned position table (embeddings.position_embedding); GLM-OCR: none")
    post_conv_norm: bool = Field(True, description="an RMS norm post_conv_layernorm over d_model; GLM-OCR: none")
    qk_norm: bool = Field(False, description="per-head RMS norms of queries and keys (attn.q_norm, attn.k_norm; GLM-OCR)")
    proj_bias: bool = Field(False, description="a bias on the attention output projection attn.proj (GLM-OCR: attention_bias)")
    mlp_d_ff: PositiveInt | None = Field(None, description="inner width of the blocks' MLP (default d_out; GLM-OCR: intermediate_size)")
    mlp_bias: bool = Field(False, description="biases on the blocks' MLP projections (GLM-OCR: attention_bias)")

    @model_validator(mode="after")
    def _check(self) -> Glm4vVisionParams:
        check_heads(self.d_model, self.n_heads, None, None)
        if self.image_size < self.patch_size:
            raise FieldError("image_size", f"{self.image_size} is smaller than patch_size ({self.patch_size}): no position rows")
        return self

    @property
    def n_positions(self) -> int:
        """Rows of the learned position table: the patches of one ``image_size × image_size`` image."""
        return (self.image_size // self.patch_size) ** 2


def _block(p: Glm4vVisionParams) -> list:
    """One pre-norm block: RMS norms, attention, a gated MLP of ``d_out``."""
    d = p.d_model
    attention = Attention(name="attn", d_model=d, n_heads=p.n_heads, fused_qkv=True, bias=p.qkv_bias, out_bias=p.proj_bias,
                          qk_norm="head" if p.qk_norm else None, names={"qkv": "qkv", "o": "proj"}, kv_cache="none")  # fmt: skip
    mlp = FeedForward(name="mlp", d_model=d, d_ff=p.mlp_d_ff or p.d_out, gated=True, bias=p.mlp_bias)
    return [RMSNorm(name="norm1", dim=d), RMSNorm(name="norm2", dim=d), attention, mlp]


def _merger(p: Glm4vVisionParams) -> Module:
    """The patch merger: ``proj``, a LayerNorm, a gated MLP (a projector, as connectors are)."""
    out, ff = p.d_out, p.merger_d_ff
    return Module(name="merger", blocks=[
        Linear(name="proj", in_features=out, out_features=out, bias=False, component="other"),
        LayerNorm(name="post_projection_norm", dim=out),
        Linear(name="gate_proj", in_features=out, out_features=ff, bias=False, component="other"),
        Linear(name="up_proj", in_features=out, out_features=ff, bias=False, component="other"),
        Linear(name="down_proj", in_features=ff, out_features=out, bias=False, component="other"),
    ])  # fmt: skip


def build(p: Glm4vVisionParams) -> Module:
    """The block tree of a GLM-4V vision tower (as transformers' vision model holds it, unprefixed)."""
    d, m = p.d_model, p.spatial_merge_size
    kernel = (d, p.n_channels, p.temporal_patch_size, p.patch_size, p.patch_size)
    patch = [Parameter(name="weight", shape=kernel, component="embedding"),
             Parameter(name="bias", shape=(d,), component="embedding")]  # fmt: skip
    downsample = [Parameter(name="weight", shape=(p.d_out, d, m, m), component="other"),
                  Parameter(name="bias", shape=(p.d_out,), component="other")]  # fmt: skip
    table = Module(name="embeddings", blocks=[
        Embedding(name="position_embedding", num_embeddings=p.n_positions, embedding_dim=d, role="position")])
    return Module(blocks=[
        *([table] if p.position_table else []),
        Module(name="patch_embed", blocks=[Module(name="proj", blocks=patch)]),
        Repeat(name="blocks", count=p.n_layers, blocks=_block(p)),
        _merger(p),
        *([RMSNorm(name="post_conv_layernorm", dim=d)] if p.post_conv_norm else []),
        Module(name="downsample", blocks=downsample),
        RMSNorm(name="post_layernorm", dim=d),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``glm4v-vision`` family."""
    register(Family(name="glm4v-vision", params=Glm4vVisionParams, build=build,
                    description="the vision tower of GLM-4.1V, GLM-4.5V and GLM-4.6V (position table, downsampling "
                                "convolution, merger)"))  # fmt: skip
