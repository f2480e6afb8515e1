"""InternVL's vision tower, InternViT (the ``internvl-vision`` family).

transformers 5.25's ``InternVLVisionModel`` (``modeling_internvl.py``), a ViT with switches:

* the embeddings: a class token ``(1, 1, d_model)``, a mask token of that shape (``mask_token``),
  the patch convolution ``d_model × n_channels × patch_height × patch_width`` with a bias, and
  learned position embeddings ``(1, patches + 1, d_model)`` (``positions``) for the
  ``(image_height / patch_height) × (image_width / patch_width)`` patches and the class token;
* ``n_layers`` pre-norm layers (``encoder.layer.<i>``): LayerNorms, or RMS norms (``rms_norm``:
  InternViT-6B), before attention and MLP; attention with separate query, key and value
  projections (biases when ``qkv_bias``), an output ``projection_layer`` with a bias, and RMS norms
  over the whole width on queries and keys (``qk_norm``); a GELU MLP of ``d_ff`` (``fc1``, ``fc2``);
  the layer scales ``lambda_1`` and ``lambda_2``;
* a final LayerNorm (``layernorm``) unless the tower mean-pools (``final_norm`` false).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, FeedForward, FieldError, LayerNorm, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import nested


class InternVLVisionParams(FamilyParams):
    """Hyper-parameters of the ``internvl-vision`` family."""

    d_model: PositiveInt = Field(1024, description="hidden size")
    n_layers: PositiveInt = Field(24, description="encoder layers")
    n_heads: PositiveInt = Field(16, description="attention heads")
    d_ff: PositiveInt = Field(4096, description="MLP inner width")
    image_height: PositiveInt = Field(448, description="image height in pixels")
    image_width: PositiveInt = Field(448, description="image width in pixels")
    patch_height: PositiveInt = Field(14, description="patch height in pixels")
    patch_width: PositiveInt = Field(14, description="patch width in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    qkv_bias: bool = Field(False, description="biases on the query, key and value projections")
    qk_norm: bool = Field(False, description="RMS norms of the whole width on queries and keys")
    rms_norm: bool = Field(False, description="RMS norms (no shift) in the layers rather than LayerNorms")
    mask_token: bool = Field(False, description="a learned mask token")
    positions: bool = Field(True, description="learned absolute position embeddings")
    final_norm: bool = Field(False, description="a final LayerNorm (when the tower does not mean-pool)")

    @model_validator(mode="after")
    def _check(self) -> InternVLVisionParams:
        check_heads(self.d_model, self.n_heads, None)
        for side in ("height", "width"):
            if getattr(self, f"patch_{side}") > getattr(self, f"image_{side}"):
                raise FieldError(f"patch_{side}", f"the patch is larger than the image's {side}")
        return self

    @property
    def n_patches(self) -> int:
        """Patch tokens of one image."""
        return (self.image_height // self.patch_height) * (self.image_width // self.patch_width)


def _norm(p: InternVLVisionParams, name: str):
    return RMSNorm(name=name, dim=p.d_model) if p.rms_norm else LayerNorm(name=name, dim=p.d_model)


def build(p: InternVLVisionParams) -> Module:
    """The block tree of the tower, named as ``InternVLVisionModel`` names it."""
    d = p.d_model
    blocks: list = [Parameter(name="embeddings.cls_token", shape=(1, 1, d), component="embedding")]
    if p.mask_token:
        blocks.append(Parameter(name="embeddings.mask_token", shape=(1, 1, d), component="embedding"))
    kernel = (d, p.n_channels, p.patch_height, p.patch_width)
    blocks += [Parameter(name="embeddings.patch_embeddings.projection.weight", shape=kernel, component="embedding"),
               Parameter(name="embeddings.patch_embeddings.projection.bias", shape=(d,), component="embedding")]  # fmt: skip
    if p.positions:
        blocks.append(Parameter(name="embeddings.position_embeddings", shape=(1, p.n_patches + 1, d), component="embedding"))
    attention = Attention(name="attention", d_model=d, n_heads=p.n_heads, bias=p.qkv_bias, out_bias=True,
                          qk_norm="full" if p.qk_norm else None, names={"o": "projection_layer"}, kv_cache="none")  # fmt: skip
    layer = [
        attention,
        FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "mlp.fc1", "down": "mlp.fc2"}),
        _norm(p, "layernorm_before"),
        _norm(p, "layernorm_after"),
        Parameter(name="lambda_1", shape=(d,), component="attention"),
        Parameter(name="lambda_2", shape=(d,), component="feed_forward"),
    ]
    blocks.append(Repeat(name="encoder.layer", count=p.n_layers, blocks=nested(layer)))
    if p.final_norm:
        blocks.append(LayerNorm(name="layernorm", dim=d))
    return Module(blocks=nested(blocks))


@hookimpl
def register_families(register):
    """Register the ``internvl-vision`` family."""
    register(Family(name="internvl-vision", params=InternVLVisionParams, build=build,
                    description="InternVL's vision tower (InternViT: layer scale, optional query/key norms)"))  # fmt: skip
