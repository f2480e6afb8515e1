"""DETR and Table Transformer: a convolutional backbone, an encoder-decoder transformer over its last feature
map, and box heads (the ``detr`` family).

Follows ``modeling_detr.py`` and ``modeling_table_transformer.py`` of transformers 5.25. The family builds the
detector; a backbone given as a transformers ``backbone_config`` (ResNet) is a part of its own (the ``resnet``
family with ``frozen_norms``). A backbone from timm (``use_timm_backbone``, ``backbone: "resnet50"``) is built
here, as timm names it under the backbone's path: ``conv1``, ``layer<i>.<j>.conv<k>``,
``layer<i>.<j>.downsample.0`` (bias-free convolutions; DETR replaces every batch norm by a frozen one whose
scale, shift and statistics are buffers, so no norm of the backbone is a parameter).

* ``model.input_projection``: a 1 × 1 convolution (with bias) from the backbone's last width to ``d_model``;
* ``model.query_position_embeddings``: ``num_queries`` rows of ``d_model``; learned position embeddings
  (``position_embedding_type = "learned"``) add ``row_embeddings`` and ``column_embeddings`` of 50 rows of
  ``d_model / 2`` (sine ones have no parameters);
* ``model.encoder.layers.<i>``: self-attention (four projections with biases), a feed-forward of
  ``encoder_ffn_dim``, two layer norms (post-norm); Table Transformer adds a final ``model.encoder.layernorm``;
* ``model.decoder.layers.<i>``: self-attention, cross-attention (``encoder_attn``), a feed-forward of
  ``decoder_ffn_dim``, three layer norms; a final ``model.decoder.layernorm``;
* ``class_labels_classifier`` (``d_model`` to ``n_labels + 1``, the "no object" class) and ``bbox_predictor``
  (three linear layers, ``d_model``, ``d_model``, 4).

DETR names its layers' projections ``o_proj`` and its feed-forward ``mlp.fc1``/``mlp.fc2``; Table Transformer
``out_proj`` and ``fc1``/``fc2``, and puts the backbone under ``model.backbone.conv_encoder.model`` and the
learned position embeddings under ``model.backbone.position_embedding``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Repeat, Shared
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d

#: timm's ResNets a DETR config may name (``backbone``): their residual layer and stage depths (timm's
#: ``resnet.py``: ``resnet18`` to ``resnet152``, the plain 7 × 7 stem; the stages are 64, 128, 256, 512 wide,
#: times 4 for bottlenecks).
TIMM_RESNETS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}


class DetrParams(FamilyParams):
    """Hyper-parameters of the ``detr`` family."""

    variant: Literal["detr", "table_transformer"] = Field("detr", description="DETR or Table Transformer (names)")
    d_model: PositiveInt = Field(256, description="the transformer's width")
    encoder_layers: NonNegativeInt = Field(6, description="encoder layers")
    decoder_layers: NonNegativeInt = Field(6, description="decoder layers")
    encoder_ffn_dim: PositiveInt = Field(2048, description="the encoder's feed-forward width")
    decoder_ffn_dim: PositiveInt = Field(2048, description="the decoder's feed-forward width")
    encoder_heads: PositiveInt = Field(8, description="the encoder's attention heads")
    decoder_heads: PositiveInt = Field(8, description="the decoder's attention heads")
    num_queries: PositiveInt = Field(100, description="object queries")
    n_labels: PositiveInt = Field(91, description="object classes (the classifier adds a no-object class)")
    learned_positions: bool = Field(False, description="learned row and column position embeddings (else sine)")
    backbone_channels: PositiveInt = Field(2048, description="the backbone's last width (input_projection's input)")
    timm_backbone: str = Field("", description="a timm ResNet built here (resnet50, ...); empty: a backbone part")
    n_channels: PositiveInt = Field(3, description="image channels (of a timm backbone)")

    @model_validator(mode="after")
    def _check(self) -> DetrParams:
        for heads, side in ((self.encoder_heads, "encoder"), (self.decoder_heads, "decoder")):
            if self.d_model % heads:
                raise FieldError(f"{side}_heads", f"{heads} heads do not divide d_model {self.d_model}")
        if self.d_model % 2:
            raise FieldError("d_model", f"must be even (position embeddings of d_model / 2; got {self.d_model})")
        if self.timm_backbone and self.timm_backbone not in TIMM_RESNETS:
            raise FieldError("timm_backbone", f"{self.timm_backbone!r} is not a timm ResNet registry maps "
                                              f"(one of {', '.join(TIMM_RESNETS)})")  # fmt: skip
        if self.timm_backbone:
            layer, _ = TIMM_RESNETS[self.timm_backbone]
            last = 512 * (4 if layer == "bottleneck" else 1)
            if self.backbone_channels != last:
                raise FieldError("backbone_channels", f"{self.backbone_channels} is not {self.timm_backbone}'s "
                                                      f"last width {last}")  # fmt: skip
        return self


def timm_resnet(name: str, n_channels: int) -> list[Block]:
    """A timm ResNet's convolutions (its batch norms frozen into buffers), unprefixed."""
    layer, depths = TIMM_RESNETS[name]
    expansion = 4 if layer == "bottleneck" else 1
    blocks: list[Block] = [*conv2d("conv1", n_channels, 64, 7)]
    inplanes = 64
    for i, (planes, depth) in enumerate(zip((64, 128, 256, 512), depths)):
        stride = 1 if i == 0 else 2
        out = planes * expansion

        def body(n_in: int, planes: int = planes, out: int = out) -> list[Block]:
            if layer == "basic":
                return [*conv2d("conv1", n_in, planes, 3), *conv2d("conv2", planes, planes, 3)]
            return [*conv2d("conv1", n_in, planes, 1), *conv2d("conv2", planes, planes, 3),
                    *conv2d("conv3", planes, out, 1)]  # fmt: skip

        first = body(inplanes)
        if stride != 1 or inplanes != out:
            first += conv2d("downsample.0", inplanes, out, 1)
        stage: list[Block] = [Module(name="0", blocks=first)]
        if depth > 1:
            stage.append(Repeat(name="", count=depth - 1, start=1, blocks=body(out)))
        blocks.append(Module(name=f"layer{i + 1}", blocks=stage))
        inplanes = out
    return blocks


def tied_heads(name: str, uses: int, blocks: list[Block]) -> list[Block]:
    """Prediction heads whose module several names share (DETR-style ``_tied_weights_keys``): its tensors
    exist once, under ``name``, and count at each of ``uses`` names with ties (:class:`~registry.blocks.Shared`)."""
    return [Shared(name=name, uses=uses, blocks=blocks)]


def _attention(p: DetrParams, name: str) -> Module:
    """Four projections of ``d_model`` with biases (``o_proj``, Table Transformer's ``out_proj``)."""
    out = "o_proj" if p.variant == "detr" else "out_proj"
    return Module(name=name, blocks=[Linear(name=proj, in_features=p.d_model, out_features=p.d_model,
                                            component="attention") for proj in ("k_proj", "v_proj", "q_proj", out)])


def _feed_forward(p: DetrParams, width: int) -> list[Block]:
    """``fc1`` and ``fc2`` (DETR's under ``mlp``)."""
    blocks: list[Block] = [Linear(name="fc1", in_features=p.d_model, out_features=width, component="feed_forward"),
                           Linear(name="fc2", in_features=width, out_features=p.d_model, component="feed_forward")]
    return [Module(name="mlp", blocks=blocks)] if p.variant == "detr" else blocks


def _encoder(p: DetrParams) -> Module:
    """The encoder's layers (and Table Transformer's final norm)."""
    layer = [_attention(p, "self_attn"), LayerNorm(name="self_attn_layer_norm", dim=p.d_model),
             *_feed_forward(p, p.encoder_ffn_dim), LayerNorm(name="final_layer_norm", dim=p.d_model)]
    blocks: list[Block] = [Repeat(name="layers", count=p.encoder_layers, blocks=layer)] if p.encoder_layers else []
    if p.variant == "table_transformer":
        blocks.append(LayerNorm(name="layernorm", dim=p.d_model))
    return Module(name="encoder", blocks=blocks)


def _decoder(p: DetrParams) -> Module:
    """The decoder's layers and its final norm."""
    layer = [_attention(p, "self_attn"), LayerNorm(name="self_attn_layer_norm", dim=p.d_model),
             _attention(p, "encoder_attn"), LayerNorm(name="encoder_attn_layer_norm", dim=p.d_model),
             *_feed_forward(p, p.decoder_ffn_dim), LayerNorm(name="final_layer_norm", dim=p.d_model)]
    blocks: list[Block] = [Repeat(name="layers", count=p.decoder_layers, blocks=layer)] if p.decoder_layers else []
    return Module(name="decoder", blocks=[*blocks, LayerNorm(name="layernorm", dim=p.d_model)])


def build(p: DetrParams) -> Module:
    """The block tree of a DETR-style detector (``...ForObjectDetection``; a timm backbone included)."""
    backbone = "backbone.model" if p.variant == "detr" else "backbone.conv_encoder.model"
    model: list[Block] = []
    if p.timm_backbone:
        model.append(Module(name=backbone, blocks=timm_resnet(p.timm_backbone, p.n_channels)))
    if p.learned_positions:
        where = "position_embedding" if p.variant == "detr" else "backbone.position_embedding"
        model.append(Module(name=where, blocks=[
            Embedding(name=axis, num_embeddings=50, embedding_dim=p.d_model // 2, role="position")
            for axis in ("row_embeddings", "column_embeddings")]))  # fmt: skip
    model += [Embedding(name="query_position_embeddings", num_embeddings=p.num_queries, embedding_dim=p.d_model,
                        role="other"),
              *conv2d("input_projection", p.backbone_channels, p.d_model, 1, bias=True),
              _encoder(p), _decoder(p)]  # fmt: skip
    head = [Linear(name="class_labels_classifier", in_features=p.d_model, out_features=p.n_labels + 1,
                   component="head"),
            Module(name="bbox_predictor.layers", blocks=[
                Linear(name=str(i), in_features=p.d_model, out_features=out, component="head")
                for i, out in enumerate((p.d_model, p.d_model, 4))])]  # fmt: skip
    return Module(blocks=[Module(name="model", blocks=model), *head])


@hookimpl
def register_families(register):
    """Register the ``detr`` family."""
    register(Family(name="detr", params=DetrParams, build=build,
                    description="DETR and Table Transformer: a backbone, an encoder-decoder transformer, box heads",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
