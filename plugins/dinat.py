"""DiNAT (Dilated Neighborhood Attention Transformer): Swin-like levels of neighborhood-attention layers (the
``dinat`` family).

Follows ``modeling_dinat.py`` of transformers 5.25 (whose forward pass needs the ``natten`` kernels; the
parameters do not). Level ``i`` of ``len(depths)`` has width ``d = embed_dim × 2^i``:

* ``embeddings``: ``patch_embeddings.projection.0`` and ``.1`` (3 × 3 convolutions with biases, ``n_channels`` to
  ``embed_dim // 2`` to ``embed_dim``) and a ``norm``;
* ``encoder.levels.<i>.layers.<j>`` (``depths[i]`` layers): ``layer_scale_parameters`` of ``(2, d)`` (when
  ``layer_scale_init_value`` is above 0), ``layernorm_before``, ``attention.self.rpb`` (relative position biases
  of ``(num_heads[i], 2k - 1, 2k - 1)``, ``k`` the ``kernel_size``), ``attention.self.query``/``key``/``value``
  (biases when ``qkv_bias``), ``attention.output.dense``, ``layernorm_after``, ``intermediate.dense`` (to
  ``int(mlp_ratio × d)``) and ``output.dense``;
* each level but the last ends with ``downsample``: ``reduction`` (a 3 × 3 convolution without a bias, ``d`` to
  ``2d``) and a ``norm``;
* a ``layernorm`` of the last width; with ``head = "classifier"``, the encoder under ``dinat`` and a
  ``classifier`` (to ``n_labels``, none when 0).

Dilations change no shape.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier, conv2d


class DinatParams(FamilyParams):
    """Hyper-parameters of the ``dinat`` family (DiNAT-Mini's by default, as transformers')."""

    embed_dim: PositiveInt = Field(64, description="the first level's width (each next level doubles it)")
    depths: list[NonNegativeInt] = Field([3, 4, 6, 5], description="each level's layers")
    num_heads: list[PositiveInt] = Field([2, 4, 8, 16], description="each level's heads (divide its width)")
    kernel_size: PositiveInt = Field(7, description="the neighborhood's side")
    mlp_ratio: PositiveFloat = Field(3.0, description="the MLP's width over the layer's")
    qkv_bias: bool = Field(True, description="biases of the query, key and value projections")
    layer_scale: bool = Field(False, description="per-channel scales of the two residual branches")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> DinatParams:
        if not self.depths:
            raise FieldError("depths", "needs at least one level")
        if len(self.num_heads) < len(self.depths):
            raise FieldError("num_heads", f"has {len(self.num_heads)} levels, depths {len(self.depths)}")
        if self.embed_dim < 2:
            raise FieldError("embed_dim", "must be at least 2 (the stem's first convolution has half of it)")
        for i, heads in enumerate(self.num_heads[: len(self.depths)]):
            d = self.embed_dim * 2**i
            if d % heads:
                raise FieldError("num_heads", f"{heads} heads do not divide level {i}'s width {d}")
            if int(self.mlp_ratio * d) < 1:
                raise FieldError("mlp_ratio", f"{self.mlp_ratio} leaves level {i}'s MLP no units")
        return self


def _layer(p: DinatParams, d: int, heads: int) -> list[Block]:
    """One DiNAT layer of width ``d``."""
    k, wide = 2 * p.kernel_size - 1, int(p.mlp_ratio * d)
    qkv = [Linear(name=n, in_features=d, out_features=d, bias=p.qkv_bias, component="attention")
           for n in ("query", "key", "value")]  # fmt: skip
    scale = [Parameter(name="layer_scale_parameters", shape=(2, d))] if p.layer_scale else []
    return [*scale, LayerNorm(name="layernorm_before", dim=d),
            Module(name="attention", blocks=[
                Module(name="self", blocks=[Parameter(name="rpb", shape=(heads, k, k), component="attention"), *qkv]),
                Linear(name="output.dense", in_features=d, out_features=d, component="attention")]),
            LayerNorm(name="layernorm_after", dim=d),
            Linear(name="intermediate.dense", in_features=d, out_features=wide, component="feed_forward"),
            Linear(name="output.dense", in_features=wide, out_features=d, component="feed_forward")]  # fmt: skip


def encoder(p: DinatParams) -> tuple[list[Block], int]:
    """The embeddings, the levels and the final norm, unprefixed, and the last width."""
    d = p.embed_dim
    stem = [*conv2d("patch_embeddings.projection.0", p.n_channels, d // 2, 3, bias=True),
            *conv2d("patch_embeddings.projection.1", d // 2, d, 3, bias=True), LayerNorm(name="norm", dim=d)]  # fmt: skip
    levels: list[Block] = []
    last = len(p.depths) - 1
    for i, depth in enumerate(p.depths):
        body: list[Block] = [Module(name="layers", blocks=[Module(name=str(j), blocks=_layer(p, d, p.num_heads[i]))
                                                           for j in range(depth)])]  # fmt: skip
        if i < last:
            body.append(Module(name="downsample", blocks=[*conv2d("reduction", d, 2 * d, 3),
                                                          LayerNorm(name="norm", dim=2 * d)]))  # fmt: skip
            d *= 2
        levels.append(Module(name=str(i), blocks=body))
    blocks = [Module(name="embeddings", blocks=stem), Module(name="encoder.levels", blocks=levels),
              LayerNorm(name="layernorm", dim=d)]  # fmt: skip
    return blocks, d


def build(p: DinatParams) -> Module:
    """The block tree of a DiNAT encoder (with its classifier when ``head`` says so)."""
    blocks, d = encoder(p)
    if p.head == "none":
        return Module(blocks=blocks)
    return Module(blocks=[Module(name="dinat", blocks=blocks), *classifier("classifier", d, p.n_labels)])


@hookimpl
def register_families(register):
    """Register the ``dinat`` family."""
    register(Family(name="dinat", params=DinatParams, build=build,
                    description="DiNAT: levels of dilated neighborhood-attention layers"))  # fmt: skip
