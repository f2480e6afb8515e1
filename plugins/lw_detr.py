"""LW-DETR and RF-DETR: a plain ViT backbone, a convolutional projector, a shallow deformable-attention decoder with
Group DETR queries (the ``lw_detr`` family).

Follows ``modeling_lw_detr.py`` and ``modeling_rf_detr.py`` of transformers 5.25. Under ``model`` (the object
detector's; RF-DETR's instance segmentation holds that detector under ``model`` again, the bare model has none):

* ``backbone.backbone``: LW-DETR's ViT (``variant = "lw_detr"``: ``embeddings.projection`` (the patch convolution),
  ``embeddings.position_embeddings`` for the pre-training grid plus one, layers of ``layernorm_before``, attention
  (``q_proj``, ``k_proj`` without a bias, ``v_proj``, ``o_proj``), ``gamma_1``, ``layernorm_after``,
  ``intermediate.fc1``/``fc2`` and ``gamma_2``; no final norm), or RF-DETR's DINOv2 (``variant = "rf_detr"``: the
  ``vision`` family's ``dinov2`` layout, with its class and mask tokens and final ``layernorm``);
* ``backbone.projector``: LW-DETR's ``scale_layers.<i>`` (one per ``scales`` entry: per backbone output a sampling
  layer (2.0: a transposed 2 × 2 convolution halving the width, after a 1 × 1 convolution and norm halving it
  first when wider than 512; 0.5: a 3 × 3 convolution and norm of stride 2; 1.0: nothing), then a C2F block and a
  norm), RF-DETR's one C2F block and norm over the outputs side by side. A C2F block: ``conv1`` (1 × 1 to twice
  the hidden width), ``c2f_blocks`` ``bottlenecks`` of two 3 × 3 convolutions of the hidden width, ``conv2`` (1 × 1
  from ``2 + c2f_blocks`` hidden widths to ``d_model``); each convolution bias-free with a norm (LW-DETR's batch
  norms, RF-DETR's layer norms: the same scale and shift);
* ``reference_point_embed`` (4 wide) and ``query_feat``: ``num_queries × group_detr`` rows each;
* ``decoder``: layers of self-attention (``q_proj`` ... ``o_proj``, biases with ``attention_bias``), deformable
  cross-attention (``cross_attn``: ``num_feature_levels`` levels of ``decoder_points`` points per head), a
  feed-forward (``mlp``) and three norms; ``layernorm``; ``ref_point_head`` (``2 d_model`` to ``d_model`` twice);
* per group ``enc_output``, ``enc_output_norm``, ``enc_out_bbox_embed`` (a box MLP) and ``enc_out_class_embed``.

The detector's own ``class_embed`` and ``bbox_embed`` follow; RF-DETR's segmentation head adds ``blocks.<i>`` (one
per decoder layer: a depthwise 3 × 3 convolution, a norm, a pointwise linear), ``spatial_features_proj``,
``query_features_block`` (a norm and an MLP of ``seg_d_ff``), ``query_features_proj`` and ``segmentation_bias``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Attention, Block, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d, conv_norm
from registry.plugins.vision import VisionParams, tower


class LwDetrParams(FamilyParams):
    """Hyper-parameters of the ``lw_detr`` family."""

    variant: Literal["lw_detr", "rf_detr"] = Field("lw_detr", description="LW-DETR's ViT and multi-scale projector, "
                                                   "or RF-DETR's DINOv2 and single projector")
    head: Literal["detection", "segmentation", "none"] = Field("detection", description="the object detector, "
                                                               "RF-DETR's instance segmentation, or the bare model")
    vit_d_model: PositiveInt = Field(192, description="the backbone's width")
    vit_layers: PositiveInt = Field(10, description="the backbone's layers")
    vit_heads: PositiveInt = Field(12, description="the backbone's attention heads")
    vit_d_ff: PositiveInt = Field(768, description="the backbone's MLP width")
    n_channels: PositiveInt = Field(3, description="image channels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    image_size: PositiveInt = Field(224, description="the image side the position embeddings cover")
    position_embeddings: bool = Field(True, description="LW-DETR's absolute position embeddings")
    qkv_bias: bool = Field(True, description="biases on the backbone's query and value projections (and RF-DETR's key)")
    mask_token: bool = Field(True, description="RF-DETR's mask token")
    swiglu: bool = Field(False, description="RF-DETR's SwiGLU MLP in the backbone")
    backbone_outputs: PositiveInt = Field(4, description="the backbone's feature maps the projector reads")
    scales: list[float] = Field([1.0], description="LW-DETR's projector scales (2.0, 1.0, 0.5), one C2F block each")
    d_model: PositiveInt = Field(256, description="the decoder's width")
    c2f_blocks: NonNegativeInt = Field(3, description="bottlenecks of each C2F block")
    c2f_hidden: PositiveInt = Field(128, description="the C2F blocks' hidden width (d_model × hidden_expansion)")
    decoder_layers: NonNegativeInt = Field(3, description="decoder layers")
    decoder_ffn_dim: PositiveInt = Field(2048, description="the decoder's feed-forward width")
    self_heads: PositiveInt = Field(8, description="the decoder's self-attention heads")
    cross_heads: PositiveInt = Field(16, description="the decoder's deformable cross-attention heads")
    decoder_points: PositiveInt = Field(4, description="sampling points per head and level")
    num_feature_levels: PositiveInt = Field(1, description="levels the cross-attention samples")
    attention_bias: bool = Field(True, description="biases on the decoder's self-attention")
    num_queries: PositiveInt = Field(300, description="object queries (of one group)")
    group_detr: PositiveInt = Field(13, description="Group DETR's query groups (each its own encoder heads)")
    n_labels: PositiveInt = Field(91, description="object classes")
    seg_d_ff: PositiveInt = Field(1024, description="RF-DETR's segmentation query MLP width")

    @model_validator(mode="after")
    def _check(self) -> LwDetrParams:
        check_heads(self.vit_d_model, self.vit_heads, None)
        for heads, name in ((self.self_heads, "self_heads"), (self.cross_heads, "cross_heads")):
            if self.d_model % heads:
                raise FieldError(name, f"{heads} heads do not divide d_model {self.d_model}")
        if any(s not in (0.5, 1.0, 2.0) for s in self.scales):
            raise FieldError("scales", f"{self.scales} holds a scale other than 0.5, 1.0 and 2.0")
        if self.variant == "rf_detr" and self.scales != [1.0]:
            raise FieldError("scales", "RF-DETR's projector has one scale (keep the default)")
        if 2.0 in self.scales and self.vit_d_model < 2:
            raise FieldError("vit_d_model", "of 1 halves to no channels in the projector's upsampling")
        if self.head == "segmentation" and self.variant != "rf_detr":
            raise FieldError("head", "only RF-DETR has an instance segmentation head")
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        return self


def _lw_vit(p: LwDetrParams) -> list[Block]:
    """LW-DETR's ViT backbone, unprefixed."""
    d = p.vit_d_model
    embeddings: list[Block] = []
    if p.position_embeddings:
        rows = (p.image_size // p.patch_size) ** 2 + 1
        embeddings.append(Parameter(name="position_embeddings", shape=(1, rows, d), component="embedding"))
    embeddings += [Parameter(name="projection.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
                   Parameter(name="projection.bias", shape=(d,), component="embedding")]  # fmt: skip
    attention = Attention(d_model=d, n_heads=p.vit_heads, bias=p.qkv_bias, k_bias=False, out_bias=True, kv_cache="none",
                          names={"q": "attention.q_proj", "k": "attention.k_proj", "v": "attention.v_proj",
                                 "o": "attention.o_proj"})  # fmt: skip
    layer = [Parameter(name="gamma_1", shape=(d,), component="attention"),
             Parameter(name="gamma_2", shape=(d,), component="feed_forward"), attention,
             FeedForward(d_model=d, d_ff=p.vit_d_ff, names={"up": "intermediate.fc1", "down": "intermediate.fc2"}),
             LayerNorm(name="layernorm_before", dim=d), LayerNorm(name="layernorm_after", dim=d)]  # fmt: skip
    return [Module(name="embeddings", blocks=embeddings),
            Module(name="encoder", blocks=[Repeat(name="layer", count=p.vit_layers, blocks=layer)])]


def _rf_dinov2(p: LwDetrParams) -> list[Block]:
    """RF-DETR's DINOv2 backbone (the ``vision`` family's ``dinov2`` layout), unprefixed."""
    return tower(VisionParams(layout="dinov2", d_model=p.vit_d_model, n_layers=p.vit_layers, n_heads=p.vit_heads,
                              d_ff=p.vit_d_ff, image_size=p.image_size, patch_size=p.patch_size, n_channels=p.n_channels,
                              qkv_bias=p.qkv_bias, mask_token=p.mask_token, swiglu=p.swiglu))  # fmt: skip


def _conv_norm(name: str, n_in: int, n_out: int, kernel: int) -> list[Block]:
    """A bias-free convolution and its norm (``<name>.conv``, ``<name>.norm``)."""
    return conv_norm(name, n_in, n_out, kernel, conv="conv", norm="norm")


def _c2f(p: LwDetrParams, n_in: int) -> list[Block]:
    """A C2F block (``projector_layer``) from ``n_in`` channels to ``d_model``."""
    h = p.c2f_hidden
    blocks = [*_conv_norm("conv1", n_in, 2 * h, 1), *_conv_norm("conv2", (2 + p.c2f_blocks) * h, p.d_model, 1)]
    if p.c2f_blocks:
        bottleneck = [*_conv_norm("conv1", h, h, 3), *_conv_norm("conv2", h, h, 3)]
        blocks.append(Repeat(name="bottlenecks", count=p.c2f_blocks, blocks=bottleneck))
    return [Module(name="projector_layer", blocks=blocks), LayerNorm(name="layer_norm", dim=p.d_model)]


def _sampling(c: int, scale: float) -> tuple[list[Block], int]:
    """One backbone output's sampling layer at ``scale`` (its ``layers.<i>``) and the width it gives."""
    if scale == 2.0 and c > 512:
        transposed = [Parameter(name="1.weight", shape=(c // 2, c // 4, 2, 2)), Parameter(name="1.bias", shape=(c // 4,))]
        return [*_conv_norm("0", c, c // 2, 1), *transposed], c // 4
    if scale == 2.0:
        return [Parameter(name="0.weight", shape=(c, c // 2, 2, 2)), Parameter(name="0.bias", shape=(c // 2,))], c // 2
    if scale == 0.5:
        return _conv_norm("0", c, c, 3), c
    return [], c


def _projector(p: LwDetrParams) -> list[Block]:
    """The projector's blocks, unprefixed."""
    c, n = p.vit_d_model, p.backbone_outputs
    if p.variant == "rf_detr":
        return _c2f(p, c * n)
    scales: list[Block] = []
    for i, scale in enumerate(p.scales):
        layers, width = _sampling(c, scale)
        sampling = [Repeat(name="sampling_layers", count=n, blocks=[Module(name="layers", blocks=layers)])] if layers else []
        scales.append(Module(name=str(i), blocks=[*sampling, *_c2f(p, width * n)]))
    return [Module(name="scale_layers", blocks=scales)]


def _box(name: str, dims: tuple[int, ...]) -> Module:
    """An MLP prediction head: ``<name>.layers.<i>`` from ``dims[0]`` through ``dims[1:]``."""
    return Module(name=f"{name}.layers" if name else "layers", blocks=[
        Linear(name=str(i), in_features=a, out_features=b, component="head") for i, (a, b) in enumerate(zip(dims, dims[1:]))])  # fmt: skip


def _decoder(p: LwDetrParams) -> Module:
    """The decoder: its layers, final norm and reference point head."""
    d = p.d_model
    samples = p.cross_heads * p.num_feature_levels * p.decoder_points
    attention = Module(name="self_attn", blocks=[
        Linear(name=proj, in_features=d, out_features=d, bias=p.attention_bias, component="attention")
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj")])  # fmt: skip
    cross = Module(name="cross_attn", blocks=[
        Linear(name="sampling_offsets", in_features=d, out_features=2 * samples, component="attention"),
        Linear(name="attention_weights", in_features=d, out_features=samples, component="attention"),
        Linear(name="value_proj", in_features=d, out_features=d, component="attention"),
        Linear(name="output_proj", in_features=d, out_features=d, component="attention")])  # fmt: skip
    mlp = Module(name="mlp", blocks=[Linear(name="fc1", in_features=d, out_features=p.decoder_ffn_dim, component="feed_forward"),
                                     Linear(name="fc2", in_features=p.decoder_ffn_dim, out_features=d, component="feed_forward")])  # fmt: skip
    layer = [attention, LayerNorm(name="self_attn_layer_norm", dim=d), cross, LayerNorm(name="cross_attn_layer_norm", dim=d),
             mlp, LayerNorm(name="layer_norm", dim=d)]  # fmt: skip
    layers = [Repeat(name="layers", count=p.decoder_layers, blocks=layer)] if p.decoder_layers else []
    return Module(name="decoder", blocks=[*layers, LayerNorm(name="layernorm", dim=d), _box("ref_point_head", (2 * d, d, d))])


def _model(p: LwDetrParams) -> list[Block]:
    """The bare model's blocks (``LwDetrModel``, ``RfDetrModel``), unprefixed."""
    d, rows, g = p.d_model, p.num_queries * p.group_detr, p.group_detr
    backbone = _lw_vit(p) if p.variant == "lw_detr" else _rf_dinov2(p)
    return [
        Module(name="backbone", blocks=[Module(name="backbone", blocks=backbone), Module(name="projector", blocks=_projector(p))]),
        Embedding(name="reference_point_embed", num_embeddings=rows, embedding_dim=4, role="other"),
        Embedding(name="query_feat", num_embeddings=rows, embedding_dim=d, role="other"),
        _decoder(p),
        Repeat(name="enc_output", count=g, blocks=[Linear(name="", in_features=d, out_features=d)]),
        Repeat(name="enc_output_norm", count=g, blocks=[LayerNorm(name="", dim=d)]),
        Repeat(name="enc_out_bbox_embed", count=g, blocks=[_box("", (d, d, d, 4))]),
        Repeat(name="enc_out_class_embed", count=g, blocks=[Linear(name="", in_features=d, out_features=p.n_labels, component="head")]),
    ]  # fmt: skip


def _segmentation(p: LwDetrParams) -> list[Block]:
    """RF-DETR's instance segmentation head (``RfDetrForInstanceSegmentation``'s own blocks)."""
    d = p.d_model
    block = [LayerNorm(name="layernorm", dim=d), *conv2d("depthwise_conv", d, d, 3, bias=True, groups=d),
             Linear(name="pointwise_conv", in_features=d, out_features=d, component="head")]  # fmt: skip
    blocks: list[Block] = [Repeat(name="blocks", count=p.decoder_layers, blocks=block)] if p.decoder_layers else []
    return blocks + [
        *conv2d("spatial_features_proj", d, d, 1, bias=True),
        Module(name="query_features_block", blocks=[
            LayerNorm(name="norm", dim=d),
            FeedForward(d_model=d, d_ff=p.seg_d_ff, names={"up": "mlp.fc1", "down": "mlp.fc2"}, component="head")]),
        Linear(name="query_features_proj", in_features=d, out_features=d, component="head"),
        Parameter(name="segmentation_bias", shape=(1,), component="head"),
    ]  # fmt: skip


def build(p: LwDetrParams) -> Module:
    """The block tree of ``LwDetrForObjectDetection`` / ``RfDetrForObjectDetection`` (or the bare model, or RF-DETR's
    instance segmentation)."""
    if p.head == "none":
        return Module(blocks=_model(p))
    detector = [Module(name="model", blocks=_model(p)),
                Linear(name="class_embed", in_features=p.d_model, out_features=p.n_labels, component="head"),
                _box("bbox_embed", (p.d_model, p.d_model, p.d_model, 4))]  # fmt: skip
    if p.head == "detection":
        return Module(blocks=detector)
    return Module(blocks=[Module(name="model", blocks=detector), *_segmentation(p)])


@hookimpl
def register_families(register):
    """Register the ``lw_detr`` family."""
    register(Family(name="lw_detr", params=LwDetrParams, build=build,
                    description="LW-DETR and RF-DETR: a ViT backbone, a C2F projector, a deformable decoder with "
                                "Group DETR queries",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
