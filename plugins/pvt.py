"""PVT (Pyramid Vision Transformer): stages of transformer layers whose keys and values come from a
spatially reduced sequence (the ``pvt`` family).

Follows ``modeling_pvt.py`` of transformers 5.25. Each of ``len(hidden_sizes)`` stages ``i`` of width ``d``:

* a patch embedding (``encoder.patch_embeddings.<i>``): ``position_embeddings`` of ``(1, n, d)`` (``n`` the
  stage's patches, ``(side // patch_sizes[i])²`` with ``side`` the image size for the first stage and
  ``image_size // 2^(i+1)`` after; one more, and a ``cls_token`` of ``(1, 1, d)``, in the last stage), a
  ``projection`` (a convolution with a bias of kernel ``strides[i]``, from ``n_channels`` or the width before),
  a ``layer_norm``;
* ``depths[i]`` layers (``encoder.block.<i>.<j>``): ``layer_norm_1``, ``attention.self.query``/``key``/``value``
  (biases when ``qkv_bias``), with ``sequence_reduction_ratios[i]`` above 1 a ``sequence_reduction`` (a
  convolution with a bias, ``d`` to ``d``, kernel the ratio) and its ``layer_norm``, ``attention.output.dense``,
  ``layer_norm_2``, ``mlp.dense1`` (to ``int(d × mlp_ratios[i])``) and ``mlp.dense2``;

then ``encoder.layer_norm`` of the last width; with ``head = "classifier"``, the encoder under ``pvt`` and a
``classifier`` (to ``n_labels``, none when 0).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier, conv2d

_STAGE_LISTS = ("depths", "sequence_reduction_ratios", "patch_sizes", "strides", "num_attention_heads", "mlp_ratios")


class PvtParams(FamilyParams):
    """Hyper-parameters of the ``pvt`` family (PVT-Tiny's by default, as transformers')."""

    hidden_sizes: list[PositiveInt] = Field([64, 128, 320, 512], description="each stage's width")
    depths: list[NonNegativeInt] = Field([2, 2, 2, 2], description="each stage's layers")
    sequence_reduction_ratios: list[PositiveInt] = Field([8, 4, 2, 1], description="each stage's key/value reduction")
    patch_sizes: list[PositiveInt] = Field([4, 2, 2, 2], description="each stage's patch side (its stride)")
    strides: list[PositiveInt] = Field([4, 2, 2, 2], description="each stage's projection kernel")
    num_attention_heads: list[PositiveInt] = Field([1, 2, 5, 8], description="each stage's heads")
    mlp_ratios: list[PositiveInt] = Field([8, 8, 4, 4], description="each stage's MLP width over its own")
    image_size: PositiveInt = Field(224, description="the image side (sets the position embeddings)")
    qkv_bias: bool = Field(True, description="biases of the query, key and value projections")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(1000, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> PvtParams:
        if not self.hidden_sizes:
            raise FieldError("hidden_sizes", "needs at least one stage")
        for name in _STAGE_LISTS:
            if len(getattr(self, name)) != len(self.hidden_sizes):
                raise FieldError(name, f"has {len(getattr(self, name))} stages, hidden_sizes {len(self.hidden_sizes)}")
        for i, (d, heads) in enumerate(zip(self.hidden_sizes, self.num_attention_heads)):
            if d % heads:
                raise FieldError("num_attention_heads", f"{heads} heads do not divide stage {i}'s width {d}")
        for i, n in enumerate(self.patches()):
            if not n:
                raise FieldError("image_size", f"{self.image_size} leaves stage {i} no patches")
        return self

    def patches(self) -> list[int]:
        """Each stage's position embeddings (its patches; one more in the last, for the class token)."""
        sides = [self.image_size if i == 0 else self.image_size // 2 ** (i + 1) for i in range(len(self.hidden_sizes))]
        counts = [(side // patch) ** 2 for side, patch in zip(sides, self.patch_sizes)]
        return counts[:-1] + [counts[-1] + 1]


def _layer(p: PvtParams, d: int, ratio: int, mlp_ratio: int) -> list[Block]:
    """One PVT layer of width ``d`` (keys and values reduced ``ratio`` times each way)."""
    attention: list[Block] = [Linear(name=n, in_features=d, out_features=d, bias=p.qkv_bias, component="attention")
                              for n in ("query", "key", "value")]  # fmt: skip
    if ratio > 1:
        attention += [*conv2d("sequence_reduction", d, d, ratio, bias=True), LayerNorm(name="layer_norm", dim=d)]
    wide = int(d * mlp_ratio)
    return [LayerNorm(name="layer_norm_1", dim=d),
            Module(name="attention", blocks=[Module(name="self", blocks=attention),
                                             Linear(name="output.dense", in_features=d, out_features=d, component="attention")]),
            LayerNorm(name="layer_norm_2", dim=d),
            Linear(name="mlp.dense1", in_features=d, out_features=wide, component="feed_forward"),
            Linear(name="mlp.dense2", in_features=wide, out_features=d, component="feed_forward")]  # fmt: skip


def encoder(p: PvtParams) -> list[Block]:
    """The patch embeddings, the layers and the final norm, unprefixed."""
    embeddings: list[Block] = []
    stages: list[Block] = []
    previous = p.n_channels
    last = len(p.hidden_sizes) - 1
    for i, (d, n) in enumerate(zip(p.hidden_sizes, p.patches())):
        body: list[Block] = [Parameter(name="position_embeddings", shape=(1, n, d), component="embedding")]
        if i == last:
            body.append(Parameter(name="cls_token", shape=(1, 1, d), component="embedding"))
        body += [*conv2d("projection", previous, d, p.strides[i], bias=True), LayerNorm(name="layer_norm", dim=d)]
        embeddings.append(Module(name=str(i), blocks=body))
        layer = _layer(p, d, p.sequence_reduction_ratios[i], p.mlp_ratios[i])
        stages.append(Module(name=str(i), blocks=[Module(name=str(j), blocks=layer) for j in range(p.depths[i])]))
        previous = d
    return [Module(name="encoder", blocks=[Module(name="patch_embeddings", blocks=embeddings),
                                           Module(name="block", blocks=stages),
                                           LayerNorm(name="layer_norm", dim=p.hidden_sizes[-1])])]  # fmt: skip


def build(p: PvtParams) -> Module:
    """The block tree of a PVT encoder (with its classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    return Module(blocks=[Module(name="pvt", blocks=encoder(p)),
                          *classifier("classifier", p.hidden_sizes[-1], p.n_labels)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``pvt`` family."""
    register(Family(name="pvt", params=PvtParams, build=build,
                    description="PVT: pyramid stages of transformer layers with spatially reduced keys and values"))  # fmt: skip
