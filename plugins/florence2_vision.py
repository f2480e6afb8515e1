"""Florence-2's DaViT vision backbone and its projector (the ``florence2-vision`` and ``florence2-projector`` families).

``Florence2VisionBackbone`` (``modeling_florence2.py``, transformers 5.25) runs stages; stage ``i`` is a patch
convolution ``convs.i`` (``conv``: ``in_channels`` or the previous stage's width to ``embed_dim[i]``, kernel
``patch_size[i]``, with a bias; ``norm``: a layer norm of its input's width when ``patch_prenorm[i]``, else of its
output's), then ``depths[i]`` blocks ``blocks.i.j``, each a spatial block (``spatial_block``: a depthwise 3×3
convolution ``conv1``, ``norm1``, window attention ``window_attn`` with a fused ``qkv`` and ``proj``, a second
depthwise ``conv2``, ``norm2`` and the MLP ``ffn.fc1``/``ffn.fc2`` of ``int(width × mlp_ratio)``) and a channel
block (``channel_block``: the same with channel attention ``channel_attn``). Heads, groups and the window change
no shape.

``Florence2MultiModalProjector``: ``image_projection`` (the last stage's width to ``projection_dim``, no bias),
``image_proj_norm`` and the learned 2-D positions ``image_position_embed`` (``row_embeddings`` and
``column_embeddings`` of ``max_position_embeddings`` rows, half the last width each, the column's the rest); its
cosine temporal table is a buffer, not a parameter (transformers cannot fill it for an odd width: refused).
"""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams


class Florence2VisionParams(FamilyParams):
    """Hyper-parameters of the ``florence2-vision`` family (one entry per stage in each list)."""

    in_channels: PositiveInt = Field(3, description="image channels")
    depths: list[PositiveInt] = Field([1, 1, 9, 1], description="blocks per stage")
    patch_size: list[PositiveInt] = Field([7, 3, 3, 3], description="each stage's patch convolution kernel")
    patch_prenorm: list[bool] = Field([False, True, True, True], description="the patch norm before the convolution")
    embed_dim: list[PositiveInt] = Field([128, 256, 512, 1024], description="each stage's width")
    qkv_bias: bool = Field(True, description="biases on the fused qkv")
    mlp_ratio: PositiveFloat = Field(4.0, description="MLP width over the stage's width (int() of the product)")

    @model_validator(mode="after")
    def _check(self) -> Florence2VisionParams:
        n = len(self.embed_dim)
        if not n:
            raise FieldError("embed_dim", "needs at least one stage")
        for name in ("depths", "patch_size", "patch_prenorm"):
            if len(getattr(self, name)) < n:  # transformers indexes each by stage
                raise FieldError(name, f"lists {len(getattr(self, name))} stages, embed_dim {n}")
        if any(int(d * self.mlp_ratio) < 1 for d in self.embed_dim):
            raise FieldError("mlp_ratio", f"{self.mlp_ratio} leaves an MLP without units")
        return self


def _conv(name: str, width: int, in_width: int, kernel: int, groups: int = 1) -> Module:
    """A 2-D convolution with a bias."""
    return Module(name=name, blocks=[
        Parameter(name="weight", shape=(width, in_width // groups, kernel, kernel), component="other"),
        Parameter(name="bias", shape=(width,), component="other"),
    ])  # fmt: skip


def _half(d: int, hidden: int, attention: str, qkv_bias: bool) -> list:
    """A spatial or channel block: depthwise conv, norm, attention, depthwise conv, norm, MLP."""
    return [
        _conv("conv1", d, d, 3, groups=d),
        LayerNorm(name="norm1", dim=d),
        Module(name=attention, blocks=[
            Linear(name="qkv", in_features=d, out_features=3 * d, bias=qkv_bias, component="attention"),
            Linear(name="proj", in_features=d, out_features=d, component="attention"),
        ]),
        _conv("conv2", d, d, 3, groups=d),
        LayerNorm(name="norm2", dim=d),
        FeedForward(d_model=d, d_ff=hidden, names={"up": "ffn.fc1", "down": "ffn.fc2"}),
    ]  # fmt: skip


def build(p: Florence2VisionParams) -> Module:
    """The stages' patch convolutions (``convs``) and blocks (``blocks``)."""
    convs, stages = [], []
    for i, d in enumerate(p.embed_dim):
        before = p.in_channels if i == 0 else p.embed_dim[i - 1]
        convs.append(Module(name=str(i), blocks=[_conv("conv", d, before, p.patch_size[i]),
                                                 LayerNorm(name="norm", dim=before if p.patch_prenorm[i] else d)]))
        hidden = int(d * p.mlp_ratio)
        block = [Module(name="spatial_block", blocks=_half(d, hidden, "window_attn", p.qkv_bias)),
                 Module(name="channel_block", blocks=_half(d, hidden, "channel_attn", p.qkv_bias))]
        stages.append(Repeat(name=str(i), count=p.depths[i], blocks=block))
    return Module(blocks=[Module(name="convs", blocks=convs), Module(name="blocks", blocks=stages)])


class Florence2ProjectorParams(FamilyParams):
    """Hyper-parameters of the ``florence2-projector`` family."""

    d_in: PositiveInt = Field(1024, description="the vision backbone's last width")
    projection_dim: PositiveInt = Field(1024, description="the language model's input width")
    n_positions: PositiveInt = Field(50, description="rows of the learned row and column position tables")

    @model_validator(mode="after")
    def _check(self) -> Florence2ProjectorParams:
        # Florence2VisionPositionalEmbeddingCosine1D fills alternate columns with d_in // 2 sines and cosines: an odd
        # width leaves a column more, which only a single sine (d_in = 3) fills by broadcasting (1: no sine at all)
        if self.d_in % 2 and self.d_in != 3:
            raise FieldError("d_in", f"must be even or 3 (got {self.d_in}): the temporal table's sines and cosines "
                                     "each fill half of it")
        return self


def build_projector(p: Florence2ProjectorParams) -> Module:
    """``image_projection``, ``image_proj_norm`` and the learned 2-D positions."""
    half = p.d_in // 2
    return Module(blocks=[
        Linear(name="image_projection", in_features=p.d_in, out_features=p.projection_dim, bias=False, component="other"),
        LayerNorm(name="image_proj_norm", dim=p.projection_dim),
        Module(name="image_position_embed", blocks=[
            Embedding(name="row_embeddings", num_embeddings=p.n_positions, embedding_dim=half, role="position"),
            Embedding(name="column_embeddings", num_embeddings=p.n_positions, embedding_dim=p.d_in - half, role="position"),
        ]),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``florence2-vision`` and ``florence2-projector`` families."""
    register(Family(name="florence2-vision", params=Florence2VisionParams, build=build,
                    description="Florence-2's DaViT backbone: convolutional stages of window and channel attention"))
    register(Family(name="florence2-projector", params=Florence2ProjectorParams, build=build_projector,
                    description="Florence-2's projector: a linear, a norm and learned 2-D positions"))
