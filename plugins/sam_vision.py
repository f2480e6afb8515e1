"""SAM's image encoder, a windowed ViT with relative positions and a convolutional neck (the ``sam-vision`` family).

transformers 5.25's ``SamVisionEncoder`` (``modeling_sam.py``; ``SamVisionModel`` holds it as ``vision_encoder``, the
``prefix``) and GOT-OCR2's copy of it, ``GotOcr2VisionEncoder`` (``modeling_got_ocr2.py``, no prefix):

* ``patch_embed.projection``: the patch convolution ``d_model × n_channels × patch_size²`` with a bias; ``pos_embed``
  (``abs_positions``): learned positions ``(1, side, side, d_model)``, ``side = image_size / patch_size``;
* ``n_layers`` pre-norm layers (``layers.<i>``): ``layer_norm1``, attention (``attn.qkv`` fused with a bias when
  ``qkv_bias``, ``attn.proj`` with a bias and, with ``rel_positions``, ``attn.rel_pos_h`` and ``attn.rel_pos_w`` of
  ``(2 × size - 1) × head_dim``: ``size`` the ``window_size`` of a windowed layer, ``side`` of a global one, those in
  ``global_layers`` or every layer when ``window_size`` is 0), ``layer_norm2``, an MLP of ``d_ff`` (``mlp.lin1``,
  ``mlp.lin2``, biases);
* ``neck``: a 1×1 convolution to ``d_out`` channels and a 3×3 one, no biases, each followed by a channels-first
  LayerNorm (``layer_norm1``, ``layer_norm2``).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision import nested


class SamVisionParams(FamilyParams):
    """Hyper-parameters of the ``sam-vision`` family."""

    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="MLP inner width (mlp_dim)")
    image_size: PositiveInt = Field(1024, description="image side in pixels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    d_out: PositiveInt = Field(256, description="the neck's channels (output_channels)")
    qkv_bias: bool = Field(True, description="a bias on the fused query/key/value projection")
    abs_positions: bool = Field(True, description="learned absolute positions (use_abs_pos)")
    rel_positions: bool = Field(True, description="relative position tables in every attention (use_rel_pos)")
    window_size: NonNegativeInt = Field(14, description="the windowed layers' window side (0: every layer global)")
    global_layers: list[NonNegativeInt] = Field(default_factory=lambda: [2, 5, 8, 11],
                                                description="the layers attending globally (global_attn_indexes)")
    prefix: str = Field("", description="the module holding the encoder (SamVisionModel's vision_encoder)")

    @model_validator(mode="after")
    def _check(self) -> SamVisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        return self

    @property
    def side(self) -> int:
        """Patches along one side of the image."""
        return self.image_size // self.patch_size


def _layer(p: SamVisionParams, size: int) -> list:
    d = p.d_model
    attention = [
        Linear(name="attn.qkv", in_features=d, out_features=3 * d, bias=p.qkv_bias, component="attention"),
        Linear(name="attn.proj", in_features=d, out_features=d, component="attention"),
    ]
    if p.rel_positions:
        head_dim = d // p.n_heads
        attention += [Parameter(name=f"attn.rel_pos_{x}", shape=(2 * size - 1, head_dim), component="attention") for x in "hw"]
    return nested([
        LayerNorm(name="layer_norm1", dim=d),
        *attention,
        LayerNorm(name="layer_norm2", dim=d),
        Linear(name="mlp.lin1", in_features=d, out_features=p.d_ff, component="feed_forward"),
        Linear(name="mlp.lin2", in_features=p.d_ff, out_features=d, component="feed_forward"),
    ])  # fmt: skip


def _runs(p: SamVisionParams) -> list:
    """The layers as runs of one window size each (``layers.<first>`` onwards), in order."""
    sizes = [p.side if (p.window_size == 0 or i in p.global_layers) else p.window_size for i in range(p.n_layers)]
    runs: list = []
    start = 0
    for i in range(1, p.n_layers + 1):
        if i == p.n_layers or sizes[i] != sizes[start]:
            runs.append(Repeat(name="layers", count=i - start, start=start, blocks=_layer(p, sizes[start])))
            start = i
    return runs


def build(p: SamVisionParams) -> Module:
    """The block tree of the encoder, named as ``SamVisionEncoder`` names it."""
    d, out = p.d_model, p.d_out
    blocks: list = []
    if p.abs_positions:
        blocks.append(Parameter(name="pos_embed", shape=(1, p.side, p.side, d), component="embedding"))
    blocks += [
        Parameter(name="patch_embed.projection.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
        Parameter(name="patch_embed.projection.bias", shape=(d,), component="embedding"),
    ]  # fmt: skip
    neck = [
        Parameter(name="neck.conv1.weight", shape=(out, d, 1, 1), component="other"),
        LayerNorm(name="neck.layer_norm1", dim=out),
        Parameter(name="neck.conv2.weight", shape=(out, out, 3, 3), component="other"),
        LayerNorm(name="neck.layer_norm2", dim=out),
    ]  # fmt: skip
    inner = Module(blocks=nested(blocks) + _runs(p) + nested(neck))
    return Module(blocks=[inner.model_copy(update={"name": p.prefix})]) if p.prefix else inner


@hookimpl
def register_families(register):
    """Register the ``sam-vision`` family."""
    register(Family(name="sam-vision", params=SamVisionParams, build=build,
                    description="SAM's image encoder (windowed ViT, relative positions, convolutional neck; GOT-OCR2's, "
                                "DeepSeek-VL's high-resolution tower)"))  # fmt: skip
