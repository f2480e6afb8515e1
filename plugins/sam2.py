"""SAM 2 and SAM 2.1 video segmentation: a Hiera-det image encoder with an FPN neck, SAM's prompt encoder and
mask decoder (with object scores), memory attention and a memory encoder (the ``sam2`` family).

Follows ``modeling_sam2_video.py`` (``Sam2VideoModel``) and ``modeling_sam2.py`` (its vision model,
``Sam2VisionModel`` over ``Sam2HieraDetModel``) of transformers 5.25:

* ``vision_encoder.backbone``: ``patch_embed.projection`` (a ``patch_kernel_size`` convolution from ``n_channels``
  to ``hidden_size``, with a bias), ``pos_embed`` ``(1, hidden_size, *background_size)`` and ``pos_embed_window``
  ``(1, hidden_size, w, w)`` (``w`` the first stage's window); ``blocks.<i>`` across the stages: a block from ``c``
  to ``d`` channels (``c`` the previous stage's width in a stage's first block) holds ``layer_norm1`` (``c``),
  ``attn.qkv`` (``c`` to ``3d``), ``attn.proj``, ``layer_norm2``, ``mlp.proj_in``/``proj_out`` (``int(d ×
  mlp_ratio)``) and, when ``c`` differs from ``d``, ``proj``; every linear with a bias. Windows, global blocks and
  query pooling change no shape;
* ``vision_encoder.neck.convs.<j>``: a convolution per ``backbone_channel_list`` entry to ``fpn_hidden_size``;
* ``prompt_encoder``: the mask embedding (2 × 2 convolutions from 1 to ``mask_channels / 4`` and ``mask_channels``,
  a 1 × 1 to its width, two channels-first norms), ``no_mask_embed``, ``point_embed`` (one table of
  ``n_point_embeddings`` rows), ``not_a_point_embed``; the random Fourier features are buffers;
* ``mask_decoder`` (width ``h``): the IoU, mask and object-score tokens; the two-way transformer, its attentions'
  ``q/k/v/o_proj`` ``h`` wide in self-attention and ``h / downsample_rate`` in the cross-attentions, its MLP
  ``decoder_n_layers`` linears deep (transformers passes ``num_hidden_layers`` as the MLP's depth); the upscaling
  transposed convolutions, the hypernetwork MLPs, the IoU head, ``conv_s0``/``conv_s1`` (1 × 1 to ``h / 8`` and
  ``h / 4``) and ``pred_obj_score_head``;
* with ``video``: ``memory_attention`` (layers of a self-attention and a cross-attention whose keys and values come
  from 64 channels, as transformers fixes them, an MLP, three norms; a final norm), ``memory_encoder`` (the mask
  down-sampler's ``log(total_stride) / log(stride)`` convolutions with norms and a final 1 × 1 convolution, a
  feature projection, the ConvNeXt-like fuser layers and an output projection), the no-memory and temporal
  position tables, ``no_object_pointer``, ``mask_downsample`` (4 × 4, one channel), ``object_pointer_proj`` and,
  when enabled, ``temporal_positional_encoding_projection_layer`` and ``occlusion_spatial_embedding_parameter``.

Convolutions have no FLOPs model here.
"""

from __future__ import annotations

import math

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.depth_anything import conv2d
from registry.plugins.vision import nested

#: The key and value width of memory attention's cross-attention: ``kv_in_dim=64`` in transformers' code.
MEMORY_KV_DIM = 64


class Sam2Params(FamilyParams):
    """Hyper-parameters of the ``sam2`` family (SAM 2.1 Hiera-T's by default, as transformers')."""

    video: bool = Field(True, description="the video model's memory attention, memory encoder and tracking tensors")
    vision_encoder: bool = Field(True, description="the image encoder (false: SAM 3's tracker, which shares the "
                                                   "detector's: remove_vision_encoder)")
    hidden_size: PositiveInt = Field(96, description="image encoder: the patch embedding's channels")
    n_channels: PositiveInt = Field(3, description="image channels")
    patch_kernel_size: list[PositiveInt] = Field([7, 7], description="image encoder: the patch convolution's kernel")
    background_size: list[PositiveInt] = Field([7, 7], description="image encoder: the position table's grid")
    blocks_per_stage: list[NonNegativeInt] = Field([1, 2, 7, 2], description="image encoder: each stage's blocks")
    embed_dim_per_stage: list[PositiveInt] = Field([96, 192, 384, 768], description="image encoder: each stage's width")
    window_size_per_stage: list[PositiveInt] = Field([8, 4, 14, 7], description="image encoder: each stage's window")
    mlp_ratio: PositiveFloat = Field(4.0, description="image encoder: MLP width over the block's")
    backbone_channel_list: list[PositiveInt] = Field([768, 384, 192, 96], description="neck: its convolutions' inputs")
    fpn_hidden_size: PositiveInt = Field(256, description="neck: output channels (the model's hidden width)")
    fpn_kernel_size: PositiveInt = Field(1, description="neck: the convolutions' kernel")
    prompt_d_model: PositiveInt = Field(256, description="prompt encoder: hidden size")
    mask_channels: PositiveInt = Field(16, description="prompt encoder: the mask embedding's channels")
    n_point_embeddings: NonNegativeInt = Field(4, description="prompt encoder: point-kind embeddings")
    decoder_d_model: PositiveInt = Field(256, description="mask decoder: hidden size")
    decoder_d_ff: PositiveInt = Field(2048, description="mask decoder: MLP width")
    decoder_n_layers: NonNegativeInt = Field(2, description="mask decoder: two-way blocks (and their MLPs' depth)")
    downsample_rate: PositiveInt = Field(2, description="mask decoder: cross-attention width divisor")
    n_multimask: NonNegativeInt = Field(3, description="mask decoder: multimask outputs (mask tokens less one)")
    iou_depth: NonNegativeInt = Field(3, description="mask decoder: the IoU head's linears")
    iou_d_hidden: PositiveInt = Field(256, description="mask decoder: the IoU head's hidden width")
    memory_d_model: PositiveInt = Field(256, description="memory attention: hidden size")
    memory_downsample_rate: PositiveInt = Field(1, description="memory attention: attention width divisor")
    memory_d_ff: PositiveInt = Field(2048, description="memory attention: MLP width")
    memory_n_layers: NonNegativeInt = Field(4, description="memory attention: layers")
    encoder_d_model: PositiveInt = Field(256, description="memory encoder: hidden size")
    encoder_out_channels: PositiveInt = Field(64, description="memory encoder: output channels (memory width)")
    downsampler_d_model: PositiveInt = Field(256, description="mask down-sampler: output channels")
    downsampler_kernel: PositiveInt = Field(3, description="mask down-sampler: kernel side")
    downsampler_stride: PositiveInt = Field(2, description="mask down-sampler: each convolution's stride")
    downsampler_total_stride: PositiveInt = Field(16, description="mask down-sampler: the stride of all together")
    fuser_d_model: PositiveInt = Field(256, description="memory fuser: channels")
    fuser_d_ff: PositiveInt = Field(1024, description="memory fuser: pointwise MLP width")
    fuser_kernel: PositiveInt = Field(7, description="memory fuser: depthwise kernel side")
    fuser_n_layers: NonNegativeInt = Field(2, description="memory fuser: layers")
    num_maskmem: NonNegativeInt = Field(7, description="memories: temporal position table rows")
    temporal_projection: bool = Field(True, description="a projection of object pointers' temporal positions")
    occlusion_embedding: bool = Field(True, description="a learned occlusion spatial embedding")

    @model_validator(mode="after")
    def _check(self) -> Sam2Params:
        n = len(self.blocks_per_stage)
        if not n:
            raise FieldError("blocks_per_stage", "needs at least one stage")
        for name in ("embed_dim_per_stage", "window_size_per_stage"):
            if len(getattr(self, name)) < n:
                raise FieldError(name, f"has {len(getattr(self, name))} stages, blocks_per_stage {n}")
        for name in ("patch_kernel_size", "background_size"):
            if len(getattr(self, name)) != 2:
                raise FieldError(name, f"must give a height and a width (got {len(getattr(self, name))} numbers)")
        if self.mask_channels < 4:
            raise FieldError("mask_channels", f"{self.mask_channels} leaves the mask embedding's first convolution "
                             "no channels (it has mask_channels // 4)")  # fmt: skip
        if self.decoder_d_model < 8:
            raise FieldError("decoder_d_model", f"{self.decoder_d_model} leaves the upscaling h / 8 no channels")
        for name, width, rate in (("downsample_rate", self.decoder_d_model, self.downsample_rate),
                                  ("memory_downsample_rate", self.memory_d_model, self.memory_downsample_rate)):  # fmt: skip
            if width < rate:
                raise FieldError(name, f"{rate} leaves the attention no width ({width} // {rate})")
        if self.video and self.downsampler_stride < 2:
            raise FieldError("downsampler_stride", "must be at least 2 (transformers divides by its logarithm)")
        return self

    def downsampler_layers(self) -> int:
        """The mask down-sampler's convolutions, as transformers counts them."""
        return int(math.log2(self.downsampler_total_stride) // math.log2(self.downsampler_stride))


def _feed_forward(name: str, n_in: int, hidden: int, n_out: int, depth: int, component: str = "head") -> list:
    """Sam2FeedForward: ``proj_in``, ``depth - 2`` hidden linears, ``proj_out``."""
    return [Linear(name=f"{name}.proj_in", in_features=n_in, out_features=hidden, component=component),
            *(Linear(name=f"{name}.layers.{i}", in_features=hidden, out_features=hidden, component=component)
              for i in range(max(depth - 2, 0))),
            Linear(name=f"{name}.proj_out", in_features=hidden, out_features=n_out, component=component)]  # fmt: skip


def _attention(name: str, h: int, inner: int, kv: int | None = None) -> list:
    """Query, key and value projections to ``inner`` (keys and values from ``kv``) and ``o_proj`` back."""
    kv = h if kv is None else kv
    return [Linear(name=f"{name}.q_proj", in_features=h, out_features=inner, component="attention"),
            *(Linear(name=f"{name}.{x}_proj", in_features=kv, out_features=inner, component="attention") for x in "kv"),
            Linear(name=f"{name}.o_proj", in_features=inner, out_features=h, component="attention")]  # fmt: skip


def _transpose(name: str, n_in: int, n_out: int) -> list:
    """A 2 × 2 ``ConvTranspose2d`` with a bias: its weight is held as ``(in, out, 2, 2)``."""
    return [Parameter(name=f"{name}.weight", shape=(n_in, n_out, 2, 2), component="head"),
            Parameter(name=f"{name}.bias", shape=(n_out,), component="head")]  # fmt: skip


def vision_encoder(p: Sam2Params) -> list:
    """The Hiera-det backbone and the FPN neck, unprefixed."""
    e, (kh, kw), w0 = p.hidden_size, p.patch_kernel_size, p.window_size_per_stage[0]
    blocks: list = [Parameter(name="backbone.patch_embed.projection.weight", shape=(e, p.n_channels, kh, kw)),
                    Parameter(name="backbone.patch_embed.projection.bias", shape=(e,)),
                    Parameter(name="backbone.pos_embed", shape=(1, e, *p.background_size), component="embedding"),
                    Parameter(name="backbone.pos_embed_window", shape=(1, e, w0, w0), component="embedding")]  # fmt: skip
    i = 0
    for stage, depth in enumerate(p.blocks_per_stage):
        d = p.embed_dim_per_stage[stage]
        for j in range(depth):
            c = p.embed_dim_per_stage[stage - 1] if stage > 0 and j == 0 else d
            wide, name = int(d * p.mlp_ratio), f"backbone.blocks.{i}"
            blocks += [LayerNorm(name=f"{name}.layer_norm1", dim=c),
                       Linear(name=f"{name}.attn.qkv", in_features=c, out_features=3 * d, component="attention"),
                       Linear(name=f"{name}.attn.proj", in_features=d, out_features=d, component="attention"),
                       LayerNorm(name=f"{name}.layer_norm2", dim=d),
                       *_feed_forward(f"{name}.mlp", d, wide, d, 2, component="feed_forward")]  # fmt: skip
            if c != d:
                blocks.append(Linear(name=f"{name}.proj", in_features=c, out_features=d))
            i += 1
    for j, channels in enumerate(p.backbone_channel_list):
        blocks += conv2d(f"neck.convs.{j}", p.fpn_hidden_size, channels, p.fpn_kernel_size)
    return nested(blocks)


def prompt_encoder(p: Sam2Params) -> list:
    """The mask embedding and the learned point, no-mask and not-a-point embeddings, unprefixed."""
    c, d = p.mask_channels, p.prompt_d_model
    return nested([*conv2d("mask_embed.conv1", c // 4, 1, 2), *conv2d("mask_embed.conv2", c, c // 4, 2),
                   *conv2d("mask_embed.conv3", d, c, 1), LayerNorm(name="mask_embed.layer_norm1", dim=c // 4),
                   LayerNorm(name="mask_embed.layer_norm2", dim=c // 4 * 4),
                   Embedding(name="no_mask_embed", num_embeddings=1, embedding_dim=d, role="other"),
                   Embedding(name="point_embed", num_embeddings=p.n_point_embeddings, embedding_dim=d, role="other"),
                   Embedding(name="not_a_point_embed", num_embeddings=1, embedding_dim=d, role="other")])  # fmt: skip


def mask_decoder(p: Sam2Params) -> list:
    """The tokens, the two-way transformer, the upscaling, the heads and the skip convolutions, unprefixed."""
    h, inner, tokens = p.decoder_d_model, p.decoder_d_model // p.downsample_rate, p.n_multimask + 1
    blocks: list = [Embedding(name="iou_token", num_embeddings=1, embedding_dim=h, role="other"),
                    Embedding(name="mask_tokens", num_embeddings=tokens, embedding_dim=h, role="other")]  # fmt: skip
    for i in range(p.decoder_n_layers):
        name = f"transformer.layers.{i}"
        blocks += [*_attention(f"{name}.self_attn", h, h), LayerNorm(name=f"{name}.layer_norm1", dim=h),
                   *_attention(f"{name}.cross_attn_token_to_image", h, inner),
                   LayerNorm(name=f"{name}.layer_norm2", dim=h),
                   *_feed_forward(f"{name}.mlp", h, p.decoder_d_ff, h, p.decoder_n_layers, component="feed_forward"),
                   LayerNorm(name=f"{name}.layer_norm3", dim=h), LayerNorm(name=f"{name}.layer_norm4", dim=h),
                   *_attention(f"{name}.cross_attn_image_to_token", h, inner)]  # fmt: skip
    blocks += [*_attention("transformer.final_attn_token_to_image", h, inner),
               LayerNorm(name="transformer.layer_norm_final_attn", dim=h),
               *_transpose("upscale_conv1", h, h // 4), *_transpose("upscale_conv2", h // 4, h // 8),
               LayerNorm(name="upscale_layer_norm", dim=h // 4)]  # fmt: skip
    hypernetwork = [b.model_copy(update={"name": b.name.removeprefix("mlp.")}) for b in _feed_forward("mlp", h, h, h // 8, 3)]
    blocks.append(Repeat(name="output_hypernetworks_mlps", count=tokens, blocks=nested(hypernetwork)))  # one per token
    blocks += [*_feed_forward("iou_prediction_head", h, p.iou_d_hidden, tokens, p.iou_depth),
               *conv2d("conv_s0", h // 8, h, 1, component="head"), *conv2d("conv_s1", h // 4, h, 1, component="head"),
               Embedding(name="obj_score_token", num_embeddings=1, embedding_dim=h, role="other"),
               *_feed_forward("pred_obj_score_head", h, h, 1, 3)]  # fmt: skip
    return nested(blocks)


def memory_attention(p: Sam2Params) -> list:
    """Memory attention's layers and final norm, unprefixed."""
    h, inner = p.memory_d_model, p.memory_d_model // p.memory_downsample_rate
    blocks: list = []
    for i in range(p.memory_n_layers):
        name = f"layers.{i}"
        blocks += [*_attention(f"{name}.self_attn", h, inner),
                   *_attention(f"{name}.cross_attn_image", h, inner, MEMORY_KV_DIM),
                   Linear(name=f"{name}.linear1", in_features=h, out_features=p.memory_d_ff, component="feed_forward"),
                   Linear(name=f"{name}.linear2", in_features=p.memory_d_ff, out_features=h, component="feed_forward"),
                   *(LayerNorm(name=f"{name}.layer_norm{k}", dim=h) for k in (1, 2, 3))]  # fmt: skip
    return nested([*blocks, LayerNorm(name="layer_norm", dim=h)])


def memory_encoder(p: Sam2Params) -> list:
    """The mask down-sampler, the feature projection, the fuser and the output projection, unprefixed."""
    blocks: list = []
    n_in = n_out = 1
    for i in range(p.downsampler_layers()):
        n_out = n_in * p.downsampler_stride**2
        blocks += [*conv2d(f"mask_downsampler.layers.{i}.conv", n_out, n_in, p.downsampler_kernel),
                   LayerNorm(name=f"mask_downsampler.layers.{i}.layer_norm", dim=n_out)]  # fmt: skip
        n_in = n_out
    e, f = p.encoder_d_model, p.fuser_d_model
    blocks += [*conv2d("mask_downsampler.final_conv", p.downsampler_d_model, n_out, 1),
               *conv2d("feature_projection", e, e, 1)]  # fmt: skip
    for i in range(p.fuser_n_layers):
        name = f"memory_fuser.layers.{i}"
        blocks += [Parameter(name=f"{name}.depthwise_conv.weight", shape=(f, 1, p.fuser_kernel, p.fuser_kernel)),
                   Parameter(name=f"{name}.depthwise_conv.bias", shape=(f,)), LayerNorm(name=f"{name}.layer_norm", dim=f),
                   Linear(name=f"{name}.pointwise_conv1", in_features=f, out_features=p.fuser_d_ff),
                   Linear(name=f"{name}.pointwise_conv2", in_features=p.fuser_d_ff, out_features=f),
                   Parameter(name=f"{name}.scale", shape=(f,))]  # fmt: skip
    return nested([*blocks, *conv2d("projection", p.encoder_out_channels, e, 1)])


def build(p: Sam2Params) -> Module:
    """The block tree of Sam2VideoModel (without ``video``, its image parts; without ``vision_encoder``, no image
    encoder: ``Sam3TrackerVideoModel`` built with ``remove_vision_encoder``)."""
    d, mem = p.fpn_hidden_size, p.encoder_out_channels
    blocks: list = [*([Module(name="vision_encoder", blocks=vision_encoder(p))] if p.vision_encoder else []),
                    Module(name="prompt_encoder", blocks=prompt_encoder(p)),
                    Module(name="mask_decoder", blocks=mask_decoder(p)),
                    Parameter(name="no_memory_embedding", shape=(1, 1, d), component="embedding")]  # fmt: skip
    if p.video:
        rest = [Parameter(name="no_memory_positional_encoding", shape=(1, 1, d), component="embedding"),
                Parameter(name="memory_temporal_positional_encoding", shape=(p.num_maskmem, 1, 1, mem),
                          component="embedding"),
                Parameter(name="no_object_pointer", shape=(1, d), component="embedding"),
                *conv2d("mask_downsample", 1, 1, 4), *_feed_forward("object_pointer_proj", d, d, d, 3)]  # fmt: skip
        if p.temporal_projection:
            rest.append(Linear(name="temporal_positional_encoding_projection_layer", in_features=d, out_features=mem))
        if p.occlusion_embedding:
            rest.append(Parameter(name="occlusion_spatial_embedding_parameter", shape=(1, mem), component="embedding"))
        blocks += [Module(name="memory_attention", blocks=memory_attention(p)),
                   Module(name="memory_encoder", blocks=memory_encoder(p)), *nested(rest)]  # fmt: skip
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``sam2`` family."""
    register(Family(name="sam2", params=Sam2Params, build=build,
                    description="SAM 2 / 2.1: Hiera-det image encoder with an FPN neck, prompt encoder, mask decoder, "
                                "memory attention and memory encoder"))  # fmt: skip
