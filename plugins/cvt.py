"""CvT (Convolutional vision Transformer): stages of transformer layers whose queries, keys and values pass
through depthwise convolutions (the ``cvt`` family).

Follows ``modeling_cvt.py`` of transformers 5.25. Each of ``len(depth)`` stages ``i`` of width ``d =
embed_dim[i]`` (``encoder.stages.<i>``):

* with ``cls_token[i]``, a ``cls_token`` of ``(1, 1, embed_dim[-1])`` (the last width, as transformers builds it);
* ``embedding.convolution_embeddings``: a ``projection`` (a ``patch_sizes[i]`` square convolution with a bias,
  from ``n_channels`` or the width before) and a ``normalization`` (a LayerNorm);
* ``depth[i]`` layers (``layers.<j>``): ``attention.attention``'s ``convolution_projection_query``, ``_key`` and
  ``_value`` (with ``qkv_projection_method[i]`` ``dw_bn``: ``convolution_projection.convolution``, a depthwise
  ``kernel_qkv[i]`` square convolution without a bias, and its batch norm ``normalization``; with ``avg``, an
  average pooling without parameters), ``projection_query``/``_key``/``_value`` (``d`` to ``d``, biases when
  ``qkv_bias[i]``), ``attention.output.dense``, ``intermediate.dense`` (to ``int(d × mlp_ratio[i])``),
  ``output.dense``, ``layernorm_before``, ``layernorm_after``;

with ``head = "classifier"``, the encoder under ``cvt``, a ``layernorm`` of the last width and a ``classifier``
(to ``n_labels``, none when 0).

transformers indexes each stage's drop-path rates by the stage's number, so a stage ``i`` of 1 to ``i`` layers
cannot be built: such a depth is refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, classifier, conv2d, conv_norm

_STAGE_LISTS = ("embed_dim", "num_heads", "patch_sizes", "mlp_ratio", "kernel_qkv", "qkv_projection_method",
                "qkv_bias", "cls_token")  # fmt: skip


class CvtParams(FamilyParams):
    """Hyper-parameters of the ``cvt`` family (CvT-13's by default, as transformers')."""

    depth: list[NonNegativeInt] = Field([1, 2, 10], description="each stage's layers")
    embed_dim: list[PositiveInt] = Field([64, 192, 384], description="each stage's width")
    num_heads: list[PositiveInt] = Field([1, 3, 6], description="each stage's heads (divide its width)")
    patch_sizes: list[PositiveInt] = Field([7, 3, 3], description="each stage's patch-embedding kernel")
    mlp_ratio: list[PositiveFloat] = Field([4.0, 4.0, 4.0], description="each stage's MLP width over its own")
    kernel_qkv: list[PositiveInt] = Field([3, 3, 3], description="each stage's query/key/value convolution kernel")
    qkv_projection_method: list[Literal["dw_bn", "avg"]] = Field(["dw_bn", "dw_bn", "dw_bn"], description="each "
                                                                 "stage's query/key/value projection: dw_bn or avg")
    qkv_bias: list[bool] = Field([True, True, True], description="each stage's query/key/value biases")
    cls_token: list[bool] = Field([False, False, True], description="which stages carry a class token")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier"] = Field("none", description="none (the bare encoder) or an image classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> CvtParams:
        if not self.depth:
            raise FieldError("depth", "needs at least one stage")
        for name in _STAGE_LISTS:
            if len(getattr(self, name)) != len(self.depth):
                raise FieldError(name, f"has {len(getattr(self, name))} stages, depth {len(self.depth)}")
        for i, (n, d, heads) in enumerate(zip(self.depth, self.embed_dim, self.num_heads)):
            if 0 < n <= i:
                raise FieldError("depth", f"stage {i} of {n} layers cannot be built: transformers indexes its "
                                          f"drop-path rates by the stage's number ({i})")  # fmt: skip
            if d % heads:
                raise FieldError("num_heads", f"{heads} heads do not divide stage {i}'s width {d}")
        return self


def _layer(p: CvtParams, i: int) -> list[Block]:
    """One CvT layer of stage ``i``."""
    d, kernel, bias = p.embed_dim[i], p.kernel_qkv[i], p.qkv_bias[i]
    attention: list[Block] = []
    if p.qkv_projection_method[i] == "dw_bn":
        attention += [Module(name=f"convolution_projection_{x}.convolution_projection",
                             blocks=conv_norm("", d, d, kernel, groups=d)) for x in ("query", "key", "value")]
    attention += [Linear(name=f"projection_{x}", in_features=d, out_features=d, bias=bias, component="attention")
                  for x in ("query", "key", "value")]  # fmt: skip
    wide = int(d * p.mlp_ratio[i])
    return [Module(name="attention", blocks=[Module(name="attention", blocks=attention),
                                             Linear(name="output.dense", in_features=d, out_features=d, component="attention")]),
            Linear(name="intermediate.dense", in_features=d, out_features=wide, component="feed_forward"),
            Linear(name="output.dense", in_features=wide, out_features=d, component="feed_forward"),
            LayerNorm(name="layernorm_before", dim=d), LayerNorm(name="layernorm_after", dim=d)]  # fmt: skip


def encoder(p: CvtParams) -> list[Block]:
    """The stages, unprefixed."""
    stages: list[Block] = []
    previous = p.n_channels
    for i, d in enumerate(p.embed_dim):
        body: list[Block] = []
        if p.cls_token[i]:
            body.append(Parameter(name="cls_token", shape=(1, 1, p.embed_dim[-1]), component="embedding"))
        body.append(Module(name="embedding.convolution_embeddings",
                           blocks=[*conv2d("projection", previous, d, p.patch_sizes[i], bias=True),
                                   LayerNorm(name="normalization", dim=d)]))  # fmt: skip
        body.append(Module(name="layers", blocks=[Module(name=str(j), blocks=_layer(p, i)) for j in range(p.depth[i])]))
        stages.append(Module(name=str(i), blocks=body))
        previous = d
    return [Module(name="encoder.stages", blocks=stages)]


def build(p: CvtParams) -> Module:
    """The block tree of a CvT encoder (with its norm and classifier when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    last = p.embed_dim[-1]
    return Module(blocks=[Module(name="cvt", blocks=encoder(p)), LayerNorm(name="layernorm", dim=last),
                          *classifier("classifier", last, p.n_labels)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``cvt`` family."""
    register(Family(name="cvt", params=CvtParams, build=build,
                    description="CvT: transformer stages with depthwise-convolution query/key/value projections",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
