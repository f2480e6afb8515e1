"""ViViT: a ViT over a video's tubelets (the ``vivit`` family).

Follows ``modeling_vivit.py`` of transformers 5.25 (``VivitModel``, ``VivitForVideoClassification``):

* ``embeddings``: ``cls_token`` of ``(1, 1, d_model)``, ``position_embeddings`` of ``(1, n + 1, d_model)`` with ``n``
  the tubelets (``n_frames // t × image_height // h × image_width // w`` for a ``tubelet_size`` of ``(t, h, w)``), and
  ``patch_embeddings.projection``, a 3-D convolution with a bias of kernel ``tubelet_size`` from ``n_channels``;
* ``layers.<i>``: ``layernorm_before``, ``attention.q_proj``/``k_proj``/``v_proj`` (biases when ``qkv_bias``) and
  ``attention.o_proj`` (a bias), ``layernorm_after``, ``mlp.fc1`` (to ``d_ff``) and ``mlp.fc2``;
* ``layernorm``; VivitModel's ``pooler.dense`` (``d_model`` to ``pooler_dim``; ``pooler``);

``head = "classifier"``: the model under ``vivit`` without its pooler, and a ``classifier`` to ``n_labels`` (none
when 0: transformers holds an identity).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import classifier


class VivitParams(FamilyParams):
    """Hyper-parameters of the ``vivit`` family (ViViT-B 16x2's, as VivitConfig's defaults)."""

    head: Literal["none", "classifier"] = Field("none", description="none (VivitModel) or a video classifier")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: NonNegativeInt = Field(12, description="transformer layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="MLP width")
    n_channels: PositiveInt = Field(3, description="video channels")
    image_height: PositiveInt = Field(224, description="frame height")
    image_width: PositiveInt = Field(224, description="frame width")
    n_frames: PositiveInt = Field(32, description="frames per video")
    tubelet_size: list[PositiveInt] = Field([2, 16, 16], description="tubelet (frames, height, width)")
    qkv_bias: bool = Field(True, description="biases of the query, key and value projections")
    pooler: bool = Field(True, description="VivitModel's pooler (dense on the class token)")
    pooler_dim: PositiveInt | None = Field(None, description="the pooler's outputs (null: d_model)")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier)")

    @model_validator(mode="after")
    def _check(self) -> VivitParams:
        if len(self.tubelet_size) != 3:
            raise FieldError("tubelet_size", f"must list 3 sides (frames, height, width), not {len(self.tubelet_size)}")
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"{self.n_heads} heads do not divide d_model {self.d_model}")
        return self

    def tubelets(self) -> int:
        """The tubelets one video holds (the position embeddings but the class token's)."""
        t, h, w = self.tubelet_size
        return (self.n_frames // t) * (self.image_height // h) * (self.image_width // w)


def _layer(p: VivitParams) -> list[Block]:
    d = p.d_model
    attention = [Linear(name=f"{x}_proj", in_features=d, out_features=d, bias=p.qkv_bias or x == "o",
                        component="attention") for x in ("q", "k", "v", "o")]  # fmt: skip
    return [LayerNorm(name="layernorm_before", dim=d), Module(name="attention", blocks=attention),
            LayerNorm(name="layernorm_after", dim=d),
            Module(name="mlp", blocks=[Linear(name="fc1", in_features=d, out_features=p.d_ff, component="feed_forward"),
                                       Linear(name="fc2", in_features=p.d_ff, out_features=d, component="feed_forward")])]  # fmt: skip


def encoder(p: VivitParams, pooler: bool) -> list[Block]:
    """The embeddings, layers, final norm and (``pooler``) the pooler, unprefixed."""
    d = p.d_model
    projection = [Parameter(name="weight", shape=(d, p.n_channels, *p.tubelet_size), component="embedding"),
                  Parameter(name="bias", shape=(d,), component="embedding")]  # fmt: skip
    blocks: list[Block] = [
        Module(name="embeddings", blocks=[
            Parameter(name="cls_token", shape=(1, 1, d), component="embedding"),
            Module(name="patch_embeddings", blocks=[Module(name="projection", blocks=projection)]),
            Parameter(name="position_embeddings", shape=(1, p.tubelets() + 1, d), component="embedding")]),
        Module(name="layers", blocks=[Module(name=str(i), blocks=_layer(p)) for i in range(p.n_layers)]),
        LayerNorm(name="layernorm", dim=d)]  # fmt: skip
    if pooler:
        blocks.append(Module(name="pooler", blocks=[Linear(name="dense", in_features=d, out_features=p.pooler_dim or d,
                                                           component="head")]))  # fmt: skip
    return blocks


def build(p: VivitParams) -> Module:
    """VivitModel's block tree, or VivitForVideoClassification's."""
    if p.head == "none":
        return Module(blocks=encoder(p, p.pooler))
    return Module(blocks=[Module(name="vivit", blocks=encoder(p, False)), *classifier("classifier", p.d_model, p.n_labels)])


@hookimpl
def register_families(register):
    """Register the ``vivit`` family."""
    register(Family(name="vivit", params=VivitParams, build=build,
                    description="ViViT: a ViT over a video's tubelets (3-D patch embedding)"))  # fmt: skip
