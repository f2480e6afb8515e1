"""SAM 3's image detector, part by part: the ViT with its FPN neck (``sam3-vision``), the geometry encoder
(``sam3-geometry``), the DETR encoder (``sam3-detr-encoder``) and decoder (``sam3-detr-decoder``), the mask decoder
(``sam3-mask-decoder``) and the heads joining them (``sam3-heads``).

Follows ``modeling_sam3.py`` of transformers 5.25 (``Sam3Model``; the composite model type ``sam3`` of
:mod:`registry.plugins.types_sam3` joins these parts with CLIP's text encoder). Every attention
(``Sam3Attention``, ``Sam3ViTRoPEAttention``) is ``q_proj``/``k_proj``/``v_proj``/``o_proj``, ``h → h`` with biases;
every MLP (``Sam3MLP``) ``fc1``/``fc2`` through ``d_ff``; every norm a LayerNorm with a shift:

* ``sam3-vision`` (``Sam3VisionModel``): ``backbone.embeddings.patch_embeddings.projection`` (a patch convolution
  without a bias), ``backbone.embeddings.position_embeddings`` ``(1, (pretrain_image_size / patch_size)², h)`` (tiled
  over larger images, never resized), ``backbone.layer_norm``, ``backbone.layers.<i>`` (``layer_norm1``,
  ``attention``, ``layer_norm2``, ``mlp``; the 2-D RoPE, windows and global layers are buffers and change no shape),
  and ``neck.fpn_layers.<j>``, one per scale factor: 4 is two 2 × 2 transposed convolutions (``h → h/2 → h/4``,
  ``scale_layers.0`` and ``.2``), 2 one (``h → h/2``), 1 none, 0.5 a max-pool; then ``proj1`` (1 × 1 to
  ``fpn_hidden_size``) and ``proj2`` (3 × 3), with biases. ``Sam3ViTLayerScale`` is defined but never built;
* ``sam3-geometry`` (``Sam3GeometryEncoder``): ``label_embed`` (2 rows), ``cls_embed``, ``boxes_direct_project``
  (4 → h), ``boxes_pool_project`` (an ``roi_size`` convolution h → h), ``boxes_pos_enc_project`` (h + 2 → h),
  ``vision_layer_norm``, ``final_proj``, ``prompt_layer_norm``, layers (a self- and a cross-attention, an MLP, three
  norms) and ``output_layer_norm``;
* ``sam3-detr-encoder`` (``Sam3DetrEncoder``): layers as the geometry encoder's;
* ``sam3-detr-decoder`` (``Sam3DetrDecoder``): layers (a self-, a text cross- and a vision cross-attention, an MLP,
  each with its norm), ``output_layer_norm``, ``query_embed`` and ``reference_points`` (``num_queries`` rows of h
  and 4), ``presence_token``, the box and presence heads (three linears to 4 and 1), ``presence_layer_norm``,
  ``ref_point_head`` (2h → h → h) and ``box_rpb_embed_x``/``_y`` (2 → h → one bias per head);
* ``sam3-mask-decoder`` (``Sam3MaskDecoder``): ``pixel_decoder`` (a 3 × 3 convolution and a GroupNorm of 8 groups per
  upsampling stage), ``mask_embedder`` (three linears), ``instance_projection`` and ``semantic_projection`` (1 × 1 to
  h and to 1), ``prompt_cross_attn`` and its norm;
* ``sam3-heads``: ``text_projection`` (the text encoder's width to the DETR encoder's) and ``dot_product_scoring``
  (``text_mlp`` h → d_ff → h of the DETR decoder, ``text_mlp_out_norm``, ``text_proj``, ``query_proj``).

Convolutions have no FLOPs model here.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.depth_anything import conv2d
from registry.plugins.vision import nested

#: The FPN neck's scale factors transformers builds (``Sam3FPNLayer``; another: NotImplementedError).
SCALES = (4.0, 2.0, 1.0, 0.5)


def _attention(name: str, h: int) -> list:
    """``Sam3Attention``: query, key, value and output projections, ``h → h`` with biases."""
    return [Linear(name=f"{name}.{x}_proj", in_features=h, out_features=h, component="attention") for x in "qkvo"]


def _mlp(name: str, h: int, d_ff: int) -> list:
    """``Sam3MLP``: ``fc1`` (h → d_ff) and ``fc2`` back, with biases."""
    return [Linear(name=f"{name}.fc1", in_features=h, out_features=d_ff, component="feed_forward"),
            Linear(name=f"{name}.fc2", in_features=d_ff, out_features=h, component="feed_forward")]  # fmt: skip


def _decoder_mlp(name: str, n_in: int, hidden: int, n_out: int, depth: int) -> list:
    """``Sam3DecoderMLP``: ``layer1`` … ``layer<depth>`` (2 or 3 linears), through ``hidden``."""
    widths = [n_in, *([hidden] * (depth - 1)), n_out]
    return [Linear(name=f"{name}.layer{i + 1}", in_features=widths[i], out_features=widths[i + 1], component="head")
            for i in range(depth)]  # fmt: skip


def _layers(n: int, blocks: list) -> list:
    """``layers.<i>``, ``n`` copies of ``blocks`` (none when ``n`` is 0)."""
    return [Repeat(name="layers", count=n, blocks=nested(blocks))] if n else []


class Sam3VisionParams(FamilyParams):
    """Hyper-parameters of the ``sam3-vision`` family (SAM 3's, as transformers' defaults)."""

    d_model: PositiveInt = Field(1024, description="ViT: hidden size")
    n_layers: NonNegativeInt = Field(32, description="ViT: layers")
    n_heads: PositiveInt = Field(16, description="ViT: attention heads")
    d_ff: PositiveInt = Field(4736, description="ViT: MLP width")
    n_channels: PositiveInt = Field(3, description="image channels")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    pretrain_image_size: PositiveInt = Field(336, description="the image side the position table was trained for")
    fpn_hidden_size: PositiveInt = Field(256, description="neck: output channels")
    scale_factors: list[float] = Field(list(SCALES), description="neck: one FPN level per factor (4, 2, 1 or 0.5)")
    backbone: bool = Field(True, description="the ViT (false: the neck alone, Sam3VideoModel's tracker_neck)")

    @model_validator(mode="after")
    def _check(self) -> Sam3VisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.patch_size > self.pretrain_image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds pretrain_image_size "
                             f"({self.pretrain_image_size}): the position table would have no rows")  # fmt: skip
        for scale in self.scale_factors:
            if scale not in SCALES:
                raise FieldError("scale_factors", f"{scale} is not built by transformers (4.0, 2.0, 1.0 or 0.5)")
            if scale > 1 and self.d_model < scale:
                raise FieldError("d_model", f"{self.d_model} leaves the x{scale:g} FPN level's transposed "
                                 f"convolutions no channels (d_model // {scale:g})")  # fmt: skip
        return self


def _fpn_level(name: str, h: int, fpn: int, scale: float) -> list:
    """One ``Sam3FPNLayer``: its transposed convolutions (held ``(in, out, 2, 2)``), ``proj1`` and ``proj2``."""
    blocks: list = []
    widths = {4.0: [h, h // 2, h // 4], 2.0: [h, h // 2]}.get(scale, [h])
    for i in range(len(widths) - 1):
        blocks += [Parameter(name=f"{name}.scale_layers.{2 * i}.weight", shape=(widths[i], widths[i + 1], 2, 2)),
                   Parameter(name=f"{name}.scale_layers.{2 * i}.bias", shape=(widths[i + 1],))]  # fmt: skip
    return [*blocks, *conv2d(f"{name}.proj1", fpn, widths[-1], 1), *conv2d(f"{name}.proj2", fpn, fpn, 3)]


def build_vision(p: Sam3VisionParams) -> Module:
    """The block tree of ``Sam3VisionModel``: the ViT backbone and the FPN neck (without ``backbone``, the neck
    alone, unprefixed: ``Sam3VideoModel``'s ``tracker_neck``, a ``Sam3VisionNeck`` of the detector's vision config)."""
    h, side = p.d_model, p.pretrain_image_size // p.patch_size
    embed = [Parameter(name="backbone.embeddings.patch_embeddings.projection.weight",
                       shape=(h, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
             Parameter(name="backbone.embeddings.position_embeddings", shape=(1, side * side, h), component="embedding"),
             LayerNorm(name="backbone.layer_norm", dim=h)]  # fmt: skip
    layer = [LayerNorm(name="layer_norm1", dim=h), *_attention("attention", h), LayerNorm(name="layer_norm2", dim=h),
             *_mlp("mlp", h, p.d_ff)]  # fmt: skip
    neck = [b for j, s in enumerate(p.scale_factors) for b in _fpn_level(f"neck.fpn_layers.{j}", h, p.fpn_hidden_size, s)]
    backbone = Module(name="backbone", blocks=[*nested(embed)[0].blocks, *_layers(p.n_layers, layer)])
    return Module(blocks=[backbone, *nested(neck)] if p.backbone else nested(neck)[0].blocks if neck else [])


class Sam3StageParams(FamilyParams):
    """Hyper-parameters of SAM 3's detector stages (geometry encoder, DETR encoder and decoder, mask decoder)."""

    d_model: PositiveInt = Field(256, description="hidden size")
    n_layers: NonNegativeInt = Field(6, description="layers (the mask decoder: upsampling stages)")
    n_heads: PositiveInt = Field(8, description="attention heads (the DETR decoder: its box biases' outputs)")
    d_ff: PositiveInt = Field(2048, description="MLP width")
    roi_size: PositiveInt = Field(7, description="geometry encoder: the pooled box's side (its convolution's kernel)")
    num_queries: PositiveInt = Field(200, description="DETR decoder: object queries")

    @model_validator(mode="after")
    def _check(self) -> Sam3StageParams:
        check_heads(self.d_model, self.n_heads, None)
        return self


def _encoder_layer(h: int, d_ff: int) -> list:
    """A geometry or DETR encoder layer: self- and cross-attention, an MLP, three norms."""
    return [LayerNorm(name="layer_norm1", dim=h), *_attention("self_attn", h), *_attention("cross_attn", h),
            LayerNorm(name="layer_norm2", dim=h), *_mlp("mlp", h, d_ff), LayerNorm(name="layer_norm3", dim=h)]  # fmt: skip


def build_geometry(p: Sam3StageParams) -> Module:
    """The block tree of ``Sam3GeometryEncoder``."""
    h, r = p.d_model, p.roi_size
    blocks = [Embedding(name="label_embed", num_embeddings=2, embedding_dim=h, role="other"),
              Embedding(name="cls_embed", num_embeddings=1, embedding_dim=h, role="other"),
              Linear(name="boxes_direct_project", in_features=4, out_features=h),
              Parameter(name="boxes_pool_project.weight", shape=(h, h, r, r)),
              Parameter(name="boxes_pool_project.bias", shape=(h,)),
              Linear(name="boxes_pos_enc_project", in_features=h + 2, out_features=h),
              LayerNorm(name="vision_layer_norm", dim=h), Linear(name="final_proj", in_features=h, out_features=h),
              LayerNorm(name="prompt_layer_norm", dim=h)]  # fmt: skip
    return Module(blocks=[*nested(blocks), *_layers(p.n_layers, _encoder_layer(h, p.d_ff)),
                          LayerNorm(name="output_layer_norm", dim=h)])  # fmt: skip


def build_detr_encoder(p: Sam3StageParams) -> Module:
    """The block tree of ``Sam3DetrEncoder``: its layers."""
    return Module(blocks=_layers(p.n_layers, _encoder_layer(p.d_model, p.d_ff)))


def build_detr_decoder(p: Sam3StageParams) -> Module:
    """The block tree of ``Sam3DetrDecoder``."""
    h = p.d_model
    layer = [*(b for kind in ("self_attn", "text_cross_attn", "vision_cross_attn")
               for b in (*_attention(kind, h), LayerNorm(name=f"{kind}_layer_norm", dim=h))),
             *_mlp("mlp", h, p.d_ff), LayerNorm(name="mlp_layer_norm", dim=h)]  # fmt: skip
    rest = [LayerNorm(name="output_layer_norm", dim=h), *_decoder_mlp("box_head", h, h, 4, 3),
            Embedding(name="query_embed", num_embeddings=p.num_queries, embedding_dim=h, role="other"),
            Embedding(name="reference_points", num_embeddings=p.num_queries, embedding_dim=4, role="other"),
            Embedding(name="presence_token", num_embeddings=1, embedding_dim=h, role="other"),
            *_decoder_mlp("presence_head", h, h, 1, 3), LayerNorm(name="presence_layer_norm", dim=h),
            *_decoder_mlp("ref_point_head", 2 * h, h, h, 2),
            *_decoder_mlp("box_rpb_embed_x", 2, h, p.n_heads, 2), *_decoder_mlp("box_rpb_embed_y", 2, h, p.n_heads, 2)]  # fmt: skip
    return Module(blocks=[*_layers(p.n_layers, layer), *nested(rest)])


class Sam3MaskDecoderParams(Sam3StageParams):
    """Hyper-parameters of ``sam3-mask-decoder`` (``n_layers``: its upsampling stages)."""

    n_layers: NonNegativeInt = Field(3, description="the pixel decoder's upsampling stages")

    @model_validator(mode="after")
    def _groups(self) -> Sam3MaskDecoderParams:
        if self.d_model % 8:
            raise FieldError("d_model", f"{self.d_model} is not a multiple of 8: the pixel decoder's GroupNorm has 8 groups")
        return self


def build_mask_decoder(p: Sam3MaskDecoderParams) -> Module:
    """The block tree of ``Sam3MaskDecoder`` (``n_layers``: its upsampling stages)."""
    h = p.d_model
    blocks = [*(b for i in range(p.n_layers) for b in conv2d(f"pixel_decoder.conv_layers.{i}", h, h, 3)),
              *(LayerNorm(name=f"pixel_decoder.norms.{i}", dim=h) for i in range(p.n_layers)),
              *(Linear(name=f"mask_embedder.layers.{i}", in_features=h, out_features=h, component="head") for i in range(3)),
              *conv2d("instance_projection", h, h, 1, component="head"),
              *conv2d("semantic_projection", 1, h, 1, component="head"),
              *_attention("prompt_cross_attn", h), LayerNorm(name="prompt_cross_attn_norm", dim=h)]  # fmt: skip
    return Module(blocks=nested(blocks))


class Sam3HeadsParams(FamilyParams):
    """Hyper-parameters of ``sam3-heads``: the widths of the parts they join."""

    text_d_model: PositiveInt = Field(1024, description="the text encoder's hidden size")
    encoder_d_model: PositiveInt = Field(256, description="the DETR encoder's hidden size")
    decoder_d_model: PositiveInt = Field(256, description="the DETR decoder's hidden size")
    decoder_d_ff: PositiveInt = Field(2048, description="the DETR decoder's MLP width (the scoring text MLP's)")


def build_heads(p: Sam3HeadsParams) -> Module:
    """``text_projection`` and ``dot_product_scoring``, at the model's root."""
    h = p.decoder_d_model
    scoring = [*_decoder_mlp("text_mlp", h, p.decoder_d_ff, h, 2), LayerNorm(name="text_mlp_out_norm", dim=h),
               Linear(name="text_proj", in_features=h, out_features=h, component="head"),
               Linear(name="query_proj", in_features=h, out_features=h, component="head")]  # fmt: skip
    return Module(blocks=[Linear(name="text_projection", in_features=p.text_d_model, out_features=p.encoder_d_model,
                                 component="head"),
                          Module(name="dot_product_scoring", blocks=nested(scoring))])  # fmt: skip


def _stage(name: str, build, what: str, params: type[Sam3StageParams] = Sam3StageParams) -> Family:
    return Family(name=name, params=params, build=build, description=f"SAM 3's {what}")


@hookimpl
def register_families(register):
    """Register SAM 3's part families."""
    register(Family(name="sam3-vision", params=Sam3VisionParams, build=build_vision,
                    description="SAM 3's image encoder: a ViT (2-D RoPE, windows) with an FPN neck"))  # fmt: skip
    register(_stage("sam3-geometry", build_geometry, "geometry (box prompt) encoder"))
    register(_stage("sam3-detr-encoder", build_detr_encoder, "DETR encoder (image features attend to the prompt)"))
    register(_stage("sam3-detr-decoder", build_detr_decoder, "DETR decoder (queries, boxes, presence token)"))
    register(_stage("sam3-mask-decoder", build_mask_decoder, "mask decoder (pixel decoder, mask embedder)",
                    Sam3MaskDecoderParams))
    register(Family(name="sam3-heads", params=Sam3HeadsParams, build=build_heads,
                    description="SAM 3's text projection and dot-product scoring"))  # fmt: skip
