"""LeViT: a convolutional stem, then stages of attention with learned relative biases and MLPs, each linear
layer followed by a batch norm (the ``levit`` family).

Follows ``modeling_levit.py`` of transformers 5.25. A "linear with batch norm" ``<name>`` is ``<name>.linear``
(no bias) and ``<name>.batch_norm``:

* ``patch_embeddings.embedding_layer_1`` to ``_4``: ``kernel_size`` square convolutions without biases, each with a
  ``batch_norm``, from ``n_channels`` to ``hidden_sizes[0]`` / 8, / 4, / 2, / 1;
* stages ``encoder.stages.<i>.layers.<k>``, at resolution ``r`` (``image_size // patch_size`` at first): per
  layer of ``depths[i]``, an attention ``module`` (``queries_keys_values`` to ``h × k × (2 + a)`` and
  ``projection`` back from ``h × k × a``, with ``h``, ``k``, ``a`` the stage's heads, ``key_dim`` and
  ``attention_ratio``; ``attention_biases`` of ``(h, r²)``), then, with ``mlp_ratio[i]`` above 0, an MLP
  ``module`` (``linear_up`` to ``width × mlp_ratio``, ``linear_down``); between stages (``down_ops[i]``:
  ``["Subsample", k, h, a, mlp ratio, stride]``) a subsampling attention (``keys_values`` to ``h × k × (1 + a)``,
  ``queries`` to ``h × k``, ``projection`` from ``h × k × a`` to the next width, ``attention_biases`` of ``(h,
  n)``, ``n`` the distinct offsets between the output grid of side ``(r - 1) // stride + 1`` strided and the
  input grid) and, with an MLP ratio above 0, an MLP of the next width;
* with a head, the encoder under ``levit``; ``classifier`` (a ``batch_norm`` of the last width and a ``linear``
  with a bias to ``n_labels``; none when 0) and, for the teacher-distilled class, ``classifier_distill`` the same.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv_norm

_STAGE_LISTS = ("depths", "key_dim", "num_attention_heads", "attention_ratio", "mlp_ratio")


class LevitParams(FamilyParams):
    """Hyper-parameters of the ``levit`` family (LeViT-128S's by default, as transformers')."""

    hidden_sizes: list[PositiveInt] = Field([128, 256, 384], description="each stage's width")
    depths: list[NonNegativeInt] = Field([4, 4, 4], description="each stage's attention layers")
    key_dim: list[PositiveInt] = Field([16, 16, 16], description="each stage's key width per head")
    num_attention_heads: list[PositiveInt] = Field([4, 8, 12], description="each stage's heads")
    attention_ratio: list[PositiveInt] = Field([2, 2, 2], description="each stage's value width over the key width")
    mlp_ratio: list[NonNegativeInt] = Field([2, 2, 2], description="each stage's MLP width over its own (0: none)")
    down_ops: list[list[NonNegativeInt]] = Field([[16, 8, 4, 2, 2], [16, 16, 4, 2, 2]], description="between stages: "
                                              "key_dim, heads, attention ratio, MLP ratio, stride of the subsampling")
    image_size: PositiveInt = Field(224, description="the image side")
    patch_size: PositiveInt = Field(16, description="the stem's total stride")
    kernel_size: PositiveInt = Field(3, description="the stem convolutions' side")
    n_channels: PositiveInt = Field(3, description="image channels")
    head: Literal["none", "classifier", "distilled"] = Field("none", description="none (the bare encoder), an image "
                                                             "classifier, or it and a distillation classifier")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")

    @model_validator(mode="after")
    def _check(self) -> LevitParams:
        n = len(self.hidden_sizes)
        if not n:
            raise FieldError("hidden_sizes", "needs at least one stage")
        for name in _STAGE_LISTS:
            if len(getattr(self, name)) != n:
                raise FieldError(name, f"has {len(getattr(self, name))} stages, hidden_sizes {n}")
        if len(self.down_ops) != n - 1 or any(len(op) != 5 or 0 in (*op[:3], op[4]) for op in self.down_ops):
            raise FieldError("down_ops", f"must hold one subsampling between each two of the {n} stages, "
                                         "each [\"Subsample\", key_dim, heads, attention ratio, MLP ratio, stride] (all but the MLP ratio above 0)")
        if self.hidden_sizes[0] < 8:
            raise FieldError("hidden_sizes", f"the first width ({self.hidden_sizes[0]}) leaves the stem's first "
                                             "convolution (an eighth of it) no channels")  # fmt: skip
        if self.image_size < self.patch_size:
            raise FieldError("image_size", f"{self.image_size} is smaller than patch_size {self.patch_size}")
        return self


def _mlp_bn(name: str, n_in: int, n_out: int, component: str) -> Block:
    """A linear layer without a bias followed by a batch norm."""
    return Module(name=name, blocks=[Linear(name="linear", in_features=n_in, out_features=n_out, bias=False,
                                            component=component),
                                     LayerNorm(name="batch_norm", dim=n_out)])  # fmt: skip


def _mlp(d: int, ratio: int) -> Block:
    """LeViT's residual MLP of width ``d`` (``module.linear_up``, ``module.linear_down``)."""
    return Module(name="module", blocks=[_mlp_bn("linear_up", d, d * ratio, "feed_forward"),
                                         _mlp_bn("linear_down", d * ratio, d, "feed_forward")])  # fmt: skip


def _offsets(r_in: int, r_out: int, stride: int) -> int:
    """The distinct offsets between a ``r_out``-side grid strided by ``stride`` and a ``r_in``-side grid."""
    per_axis = {abs(a * stride - b) for a in range(r_out) for b in range(r_in)}
    return len(per_axis) ** 2


def encoder(p: LevitParams) -> list[Block]:
    """The stem and the stages, unprefixed."""
    d0 = p.hidden_sizes[0]
    widths = [p.n_channels, d0 // 8, d0 // 4, d0 // 2, d0]
    stem = [Module(name=f"embedding_layer_{k + 1}", blocks=conv_norm("", widths[k], widths[k + 1], p.kernel_size,
                                                                     norm="batch_norm")) for k in range(4)]  # fmt: skip
    r = p.image_size // p.patch_size
    stages: list[Block] = []
    for i, d in enumerate(p.hidden_sizes):
        h, k, a = p.num_attention_heads[i], p.key_dim[i], p.attention_ratio[i]
        attention = Module(name="module", blocks=[_mlp_bn("queries_keys_values", d, h * k * (2 + a), "attention"),
                                                  _mlp_bn("projection", h * k * a, d, "attention"),
                                                  Parameter(name="attention_biases", shape=(h, r * r), component="attention")])
        layers: list[Block] = []
        for _ in range(p.depths[i]):
            layers.append(attention)
            if p.mlp_ratio[i]:
                layers.append(_mlp(d, p.mlp_ratio[i]))
        if i < len(p.down_ops):
            k, h, a, ratio, stride = p.down_ops[i]
            nxt, r_out = p.hidden_sizes[i + 1], (r - 1) // stride + 1
            layers.append(Module(blocks=[_mlp_bn("keys_values", d, h * k * (1 + a), "attention"),
                                         _mlp_bn("queries", d, h * k, "attention"),
                                         _mlp_bn("projection", h * k * a, nxt, "attention"),
                                         Parameter(name="attention_biases", shape=(h, _offsets(r, r_out, stride)),
                                                   component="attention")]))  # fmt: skip
            if ratio:
                layers.append(_mlp(nxt, ratio))
            r = r_out
        stages.append(Module(name=f"{i}.layers", blocks=[Module(name=str(n), blocks=[b]) for n, b in enumerate(layers)]))
    return [Module(name="patch_embeddings", blocks=stem), Module(name="encoder.stages", blocks=stages)]


def _classifier(name: str, d: int, n_labels: int) -> list[Block]:
    """LeViT's classification layer: a batch norm and a linear layer with a bias (none when no labels)."""
    if not n_labels:
        return []
    return [Module(name=name, blocks=[LayerNorm(name="batch_norm", dim=d, component="head"),
                                      Linear(name="linear", in_features=d, out_features=n_labels, component="head")])]


def build(p: LevitParams) -> Module:
    """The block tree of a LeViT encoder (with its classifiers when ``head`` says so)."""
    if p.head == "none":
        return Module(blocks=encoder(p))
    last = p.hidden_sizes[-1]
    heads = _classifier("classifier", last, p.n_labels)
    if p.head == "distilled":
        heads += _classifier("classifier_distill", last, p.n_labels)
    return Module(blocks=[Module(name="levit", blocks=encoder(p)), *heads])


@hookimpl
def register_families(register):
    """Register the ``levit`` family."""
    register(Family(name="levit", params=LevitParams, build=build,
                    description="LeViT: a convolutional stem, attention with learned biases and MLPs, batch norms",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
