"""Swin Transformer: hierarchical image encoders with windowed attention (the ``swin`` family).

Follows ``modeling_swin.py`` of transformers 5.25:

* the embeddings: a ``patch_size × patch_size`` convolution with a bias from ``n_channels`` to ``embed_dim``,
  learned absolute position embeddings for the ``(image_size / patch_size)²`` patches when
  ``absolute_positions`` (no class token), and a LayerNorm;
* ``len(depths)`` stages (``encoder.layers.<i>``) of width ``embed_dim × 2^i`` and ``num_heads[i]`` heads;
  each block (``blocks.<j>``) is a pre-norm layer: windowed attention (query, key and value projections
  with ``qkv_bias``, an output projection with a bias, and a relative position bias table of
  ``(2 × window_size - 1)²`` offsets per head), then an MLP of ``mlp_ratio`` times the width; every stage
  but the last ends with patch merging (``downsample``: a LayerNorm of four times the width and a linear
  reduction to twice the width, without a bias);
* a final LayerNorm, and an image classifier of ``n_labels`` (``head = "classifier"``), the encoder then
  held under ``swin``.

``version = 2`` builds Swin V2 as ``modeling_swinv2.py`` does (held under ``swinv2``): the attention under
BERT-era names (``attention.self.query``, ``attention.output.dense``) with no key bias, a learned
``logit_scale`` per head and, in place of the bias table, the continuous position bias MLP
(``continuous_position_bias_mlp``: ``2 → 512`` with a bias, ``512 → heads`` without); the MLP as
``intermediate.dense`` / ``output.dense``; patch merging's norm after the reduction (twice the width); the
absolute position embeddings one row longer.

``maskformer_names`` builds the Swin of ``modeling_maskformer_swin.py`` (MaskFormer's backbone): Swin's tensors
under BERT-era names (``attention.self.query``, ``attention.self.relative_position_bias_table``,
``attention.output.dense``, ``intermediate.dense``, ``output.dense``), the absolute position embeddings one row longer,
the bare encoder under ``model`` (as ``MaskFormerSwinBackbone`` holds it).

Shifted windows, padding and the pooling change no shape.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams


class SwinParams(FamilyParams):
    """Hyper-parameters of the ``swin`` family."""

    embed_dim: PositiveInt = Field(96, description="the first stage's width (each next stage doubles it)")
    depths: list[PositiveInt] = Field([2, 2, 6, 2], description="each stage's blocks")
    num_heads: list[PositiveInt] = Field([3, 6, 12, 24], description="each stage's attention heads")
    window_size: PositiveInt = Field(7, description="the attention window's side, in patches")
    mlp_ratio: PositiveFloat = Field(4.0, description="MLP width over the stage's width (rounded down)")
    qkv_bias: bool = Field(True, description="biases on the query, key and value projections")
    absolute_positions: bool = Field(False, description="learned absolute position embeddings (use_absolute_embeddings)")
    image_size: PositiveInt = Field(224, description="image side in pixels (the absolute positions' grid)")
    patch_size: PositiveInt = Field(4, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    version: Literal[1, 2] = Field(1, description="1: Swin (modeling_swin.py); 2: Swin V2 (modeling_swinv2.py)")
    maskformer_names: bool = Field(False, description="MaskFormer's Swin (modeling_maskformer_swin.py): BERT-era "
                                   "names, the bias table under attention.self, one absolute position more")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> SwinParams:
        if not self.depths:
            raise FieldError("depths", "needs at least one stage")
        if len(self.num_heads) != len(self.depths):
            raise FieldError("num_heads", f"has {len(self.num_heads)} stages, depths {len(self.depths)}")
        for i, heads in enumerate(self.num_heads):
            if self.width(i) % heads:
                raise FieldError("num_heads", f"stage {i}'s width {self.width(i)} is not a multiple of its {heads} heads")
        if int(self.mlp_ratio * self.embed_dim) < 1:
            raise FieldError("mlp_ratio", "gives an MLP of 0 features")
        last = (self.image_size // self.patch_size) // 2 ** (len(self.depths) - 1)
        if self.version == 2 and last < 1:  # Swinv2Layer's window then has side 0: transformers cannot build it
            raise FieldError("image_size", f"{self.image_size} px in patches of {self.patch_size} leaves stage "
                             f"{len(self.depths) - 1} no patches after its merges (Swin V2 needs at least one)")  # fmt: skip
        return self

    def width(self, stage: int) -> int:
        """The width of stage ``stage``: ``embed_dim × 2^stage``."""
        return self.embed_dim * 2**stage


#: Swin V2's continuous position bias MLP: hidden width (fixed in modeling_swinv2.py).
CPB_WIDTH = 512


def _block(p: SwinParams, d: int, heads: int) -> list:
    """One Swin block of width ``d``, in the order transformers registers its tensors."""
    if p.version == 2:
        return _block_v2(p, d, heads)
    if p.maskformer_names:
        return _block_maskformer(p, d, heads)
    table = Parameter(name="attention.relative_position_bias.relative_position_bias_table",
                      shape=((2 * p.window_size - 1) ** 2, heads), component="attention")  # fmt: skip
    attention = Attention(d_model=d, n_heads=heads, bias=p.qkv_bias, out_bias=True, kv_cache="none",
                          names={"q": "attention.q_proj", "k": "attention.k_proj", "v": "attention.v_proj",
                                 "o": "attention.o_proj"})  # fmt: skip
    return [attention, table, LayerNorm(name="layernorm_before", dim=d), LayerNorm(name="layernorm_after", dim=d),
            FeedForward(d_model=d, d_ff=int(p.mlp_ratio * d), names={"up": "mlp.fc1", "down": "mlp.fc2"})]  # fmt: skip


def _block_maskformer(p: SwinParams, d: int, heads: int) -> list:
    """One block of MaskFormer's Swin: Swin's tensors under BERT-era names."""
    table = Parameter(name="attention.self.relative_position_bias_table", shape=((2 * p.window_size - 1) ** 2, heads),
                      component="attention")  # fmt: skip
    attention = Attention(d_model=d, n_heads=heads, bias=p.qkv_bias, out_bias=True, kv_cache="none",
                          names={"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                                 "o": "attention.output.dense"})  # fmt: skip
    return [attention, table, LayerNorm(name="layernorm_before", dim=d), LayerNorm(name="layernorm_after", dim=d),
            FeedForward(d_model=d, d_ff=int(p.mlp_ratio * d), names={"up": "intermediate.dense", "down": "output.dense"})]


def _block_v2(p: SwinParams, d: int, heads: int) -> list:
    """One Swin V2 block: scaled cosine attention with the continuous position bias MLP, post-norm residuals."""
    attention = Attention(d_model=d, n_heads=heads, bias=p.qkv_bias, k_bias=False, out_bias=True, kv_cache="none",
                          names={"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                                 "o": "attention.output.dense"})  # fmt: skip
    return [
        Parameter(name="attention.self.logit_scale", shape=(heads, 1, 1), component="attention"),
        Linear(name="attention.self.continuous_position_bias_mlp.0", in_features=2, out_features=CPB_WIDTH,
               component="attention"),
        Linear(name="attention.self.continuous_position_bias_mlp.2", in_features=CPB_WIDTH, out_features=heads,
               bias=False, component="attention"),
        attention, LayerNorm(name="layernorm_before", dim=d), LayerNorm(name="layernorm_after", dim=d),
        FeedForward(d_model=d, d_ff=int(p.mlp_ratio * d), names={"up": "intermediate.dense", "down": "output.dense"}),
    ]  # fmt: skip


def encoder(p: SwinParams) -> list:
    """The embeddings, the stages and the final norm, unprefixed."""
    c = p.embed_dim
    embeddings: list = []
    if p.absolute_positions:
        patches = (p.image_size // p.patch_size) ** 2 + (p.version == 2 or p.maskformer_names)  # one row more
        embeddings.append(Parameter(name="position_embeddings", shape=(1, patches, c), component="embedding"))
    embeddings += [Parameter(name="patch_embeddings.projection.weight", shape=(c, p.n_channels, p.patch_size, p.patch_size),
                             component="embedding"),
                   Parameter(name="patch_embeddings.projection.bias", shape=(c,), component="embedding"),
                   LayerNorm(name="norm", dim=c)]  # fmt: skip
    stages: list = []
    for i, (depth, heads) in enumerate(zip(p.depths, p.num_heads)):
        d = p.width(i)
        body: list = [Repeat(name="blocks", count=depth, blocks=_block(p, d, heads))]
        if i < len(p.depths) - 1:
            body.append(Module(name="downsample", blocks=[
                Linear(name="reduction", in_features=4 * d, out_features=2 * d, bias=False, component="other"),
                LayerNorm(name="norm", dim=2 * d if p.version == 2 else 4 * d)]))  # fmt: skip
        stages.append(Module(name=str(i), blocks=body))
    last = p.width(len(p.depths) - 1)
    return [Module(name="embeddings", blocks=embeddings),
            Module(name="encoder", blocks=[Module(name="layers", blocks=stages)]), LayerNorm(name="layernorm", dim=last)]


def build(p: SwinParams) -> Module:
    """The block tree of a Swin encoder (with its classifier when ``head`` says so)."""
    if p.head == "none":  # MaskFormerSwinBackbone holds its MaskFormerSwinModel under ``model``
        return Module(blocks=[Module(name="model", blocks=encoder(p))] if p.maskformer_names else encoder(p))
    blocks: list = [Module(name="swin" if p.version == 1 else "swinv2", blocks=encoder(p))]
    if p.n_labels:
        last = p.width(len(p.depths) - 1)
        blocks.append(Linear(name="classifier", in_features=last, out_features=p.n_labels, component="head"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``swin`` family."""
    register(Family(name="swin", params=SwinParams, build=build,
                    description="Swin Transformer (V1, V2): hierarchical windowed-attention image encoders"))  # fmt: skip
