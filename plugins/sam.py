"""Segment Anything: an image encoder, a prompt encoder and a mask decoder (the ``sam`` family).

Follows ``modeling_sam.py`` (``SamModel``) and ``modeling_sam_hq.py`` (``SamHQModel``, ``hq = true``) of
transformers 5.25:

* ``shared_image_embedding.positional_embedding``: the random Fourier features of the prompt positions,
  ``(2, num_pos_feats)`` (the prompt encoder's ``shared_embedding`` is the same tensor, tied);
* ``vision_encoder``: a patch convolution with a bias, an absolute position table of
  ``(1, g, g, d_model)`` for the ``g × g`` patch grid (``abs_positions``), pre-norm layers (a fused ``qkv`` with or
  without biases, ``proj``, the relative position tables ``rel_pos_h`` and ``rel_pos_w`` of ``(2s - 1, head_dim)``
  each with ``rel_positions``, ``s`` the window side, or the grid side in the global layers ``global_layers`` or
  when ``window_size`` is 0; an MLP ``lin1``/``lin2`` of ``d_ff``) and the neck (a 1 × 1 and a 3 × 3 convolution
  without biases to ``output_channels``, each followed by a channels-first LayerNorm);
* ``prompt_encoder``: the mask embedding (2 × 2 convolutions from 1 to ``mask_channels / 4`` and to
  ``mask_channels`` channels, a 1 × 1 to ``prompt_d_model``, with biases, two LayerNorms), ``no_mask_embed``,
  ``point_embed.<i>`` (``n_point_embeddings`` of them) and ``not_a_point_embed``, one row each;
* ``mask_decoder`` (width ``decoder_d_model``, ``h``): the IoU token and ``n_multimask + 1`` mask tokens, the two-way
  transformer (``decoder_n_layers`` blocks: a self-attention at full width, a token-to-image and an image-to-token
  cross-attention whose projections are ``h / 2`` wide, whatever the config says, an MLP of ``decoder_d_ff``, four
  norms; then a final token-to-image attention ``h / downsample_rate`` wide and its norm), two transposed 2 × 2 convolutions to ``h / 4`` and ``h / 8`` with a
  norm between, a three-layer hypernetwork MLP per mask token (``h → h → h → h / 8``) and the IoU head
  (``iou_depth`` linears through ``iou_d_hidden`` to one output per mask token). SAM-HQ adds the HQ token and its
  MLP, ``compress_vit_*`` (transposed convolutions from the encoder's ``vit_dim`` to ``h`` and ``h / 8``),
  ``encoder_*`` (to ``h / 4`` and ``h / 8``) and ``mask_*`` (3 × 3 convolutions ``h / 8 → h / 4 → h / 8``), each pair
  with a norm between.

Convolutions have no FLOPs model here; the image size sizes the position tables only.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.depth_anything import conv2d
from registry.plugins.vision import nested


class SamParams(FamilyParams):
    """Hyper-parameters of the ``sam`` family (the vision encoder's, the prompt encoder's, the mask decoder's)."""

    hq: bool = Field(False, description="SAM-HQ's mask decoder (HQ token, feature compression and fusion convolutions)")
    d_model: PositiveInt = Field(768, description="vision encoder: hidden size")
    n_layers: NonNegativeInt = Field(12, description="vision encoder: layers")
    n_heads: PositiveInt = Field(12, description="vision encoder: attention heads")
    d_ff: PositiveInt | None = Field(None, description="vision encoder: MLP width (default d_model × mlp_ratio)")
    mlp_ratio: PositiveFloat = Field(4.0, description="vision encoder: MLP width over hidden size (d_ff unset)")
    n_channels: PositiveInt = Field(3, description="image channels")
    image_size: PositiveInt = Field(1024, description="image side in pixels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    qkv_bias: bool = Field(True, description="vision encoder: biases on the fused qkv projection")
    abs_positions: bool = Field(True, description="vision encoder: an absolute position table of the patch grid")
    rel_positions: bool = Field(True, description="vision encoder: relative position tables in every layer")
    window_size: NonNegativeInt = Field(14, description="vision encoder: window side (0: every layer global)")
    global_layers: list[NonNegativeInt] = Field([2, 5, 8, 11], description="vision encoder: the global-attention layers")
    output_channels: PositiveInt = Field(256, description="vision encoder: the neck's channels")
    num_pos_feats: PositiveInt = Field(128, description="the prompt positions' Fourier features")
    prompt_d_model: PositiveInt = Field(256, description="prompt encoder: hidden size")
    mask_channels: PositiveInt = Field(16, description="prompt encoder: the mask embedding's channels")
    n_point_embeddings: NonNegativeInt = Field(4, description="prompt encoder: point-kind embeddings")
    decoder_d_model: PositiveInt = Field(256, description="mask decoder: hidden size")
    decoder_d_ff: PositiveInt = Field(2048, description="mask decoder: MLP width")
    decoder_n_layers: NonNegativeInt = Field(2, description="mask decoder: two-way transformer blocks")
    decoder_n_heads: PositiveInt = Field(8, description="mask decoder: attention heads")
    downsample_rate: PositiveInt = Field(2, description="mask decoder: cross-attention width divisor")
    n_multimask: NonNegativeInt = Field(3, description="mask decoder: multimask outputs (mask tokens less one)")
    iou_depth: NonNegativeInt = Field(3, description="mask decoder: the IoU head's linears")
    iou_d_hidden: PositiveInt = Field(256, description="mask decoder: the IoU head's hidden width")
    vit_dim: PositiveInt = Field(768, description="SAM-HQ: the encoder features' channels the decoder compresses")

    @model_validator(mode="after")
    def _check(self) -> SamParams:
        if self.d_model % self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) does not divide d_model ({self.d_model})")
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        if self.mask_channels % 4:
            raise FieldError("mask_channels", f"{self.mask_channels} is not a multiple of 4: the mask embedding's "
                             "second norm would not match its convolution")  # fmt: skip
        h = self.decoder_d_model
        if h % 8:
            raise FieldError("decoder_d_model", f"{h} is not a multiple of 8: the upscaling convolutions have h / 4 "
                             "and h / 8 channels")  # fmt: skip
        for width in (h, h // 2, h // self.downsample_rate):  # the blocks' cross-attentions are h / 2 wide
            if width == 0 or width % self.decoder_n_heads:
                raise FieldError("decoder_n_heads", f"decoder_n_heads ({self.decoder_n_heads}) does not divide the "
                                 f"attention width {width} (decoder_d_model, its half, or over downsample_rate)")  # fmt: skip
        if self.d_ff is None and int(self.d_model * self.mlp_ratio) < 1:
            raise FieldError("mlp_ratio", "gives an MLP of 0 features")
        return self

    @property
    def mlp_width(self) -> int:
        """The vision encoder's MLP width: ``d_ff``, else ``int(d_model × mlp_ratio)``."""
        return self.d_ff if self.d_ff is not None else int(self.d_model * self.mlp_ratio)


def _vision_layer(p: SamParams, side: int) -> list:
    """One vision encoder layer whose attention sees ``side × side`` positions."""
    d, head_dim = p.d_model, p.d_model // p.n_heads
    blocks: list = [LayerNorm(name="layer_norm1", dim=d),
                    Linear(name="attn.qkv", in_features=d, out_features=3 * d, bias=p.qkv_bias, component="attention"),
                    Linear(name="attn.proj", in_features=d, out_features=d, component="attention")]  # fmt: skip
    if p.rel_positions:
        blocks += [Parameter(name=f"attn.rel_pos_{axis}", shape=(2 * side - 1, head_dim), component="attention")
                   for axis in ("h", "w")]  # fmt: skip
    return nested([*blocks, LayerNorm(name="layer_norm2", dim=d),
                   Linear(name="mlp.lin1", in_features=d, out_features=p.mlp_width, component="feed_forward"),
                   Linear(name="mlp.lin2", in_features=p.mlp_width, out_features=d, component="feed_forward")])  # fmt: skip


def vision_encoder(p: SamParams) -> list:
    """The patch embedding, the position table, the layers (windowed and global) and the neck, unprefixed."""
    d, grid = p.d_model, p.image_size // p.patch_size
    blocks: list = conv2d("patch_embed.projection", d, p.n_channels, p.patch_size, component="embedding")
    if p.abs_positions:
        blocks.append(Parameter(name="pos_embed", shape=(1, grid, grid, d), component="embedding"))
    layers: list = []
    for i in range(p.n_layers):  # consecutive layers of one window side share a Repeat
        side = grid if i in p.global_layers or p.window_size == 0 else p.window_size
        if layers and layers[-1][0] == side:
            layers[-1][1].append(i)
        else:
            layers.append((side, [i]))
    out = nested(blocks)
    layer_blocks = [Repeat(name="layers", count=len(idx), start=idx[0], blocks=_vision_layer(p, side))
                    for side, idx in layers]  # fmt: skip
    neck = [*conv2d("neck.conv1", p.output_channels, d, 1, bias=False), LayerNorm(name="neck.layer_norm1", dim=p.output_channels),
            *conv2d("neck.conv2", p.output_channels, p.output_channels, 3, bias=False),
            LayerNorm(name="neck.layer_norm2", dim=p.output_channels)]  # fmt: skip
    return [*out, *layer_blocks, *nested(neck)]


def prompt_encoder(p: SamParams) -> list:
    """The positional features (tied to ``shared_image_embedding``'s), the mask embedding and the learned point,
    box-corner and no-mask embeddings, unprefixed."""
    c, d = p.mask_channels, p.prompt_d_model
    blocks = [Parameter(name="shared_embedding.positional_embedding", shape=(2, p.num_pos_feats), component="embedding",
                        tied_to="shared_image_embedding.positional_embedding"),
              *conv2d("mask_embed.conv1", c // 4, 1, 2), *conv2d("mask_embed.conv2", c, c // 4, 2),
              *conv2d("mask_embed.conv3", d, c, 1), LayerNorm(name="mask_embed.layer_norm1", dim=c // 4),
              LayerNorm(name="mask_embed.layer_norm2", dim=c),
              Embedding(name="no_mask_embed", num_embeddings=1, embedding_dim=d, role="other")]  # fmt: skip
    blocks += [Embedding(name=f"point_embed.{i}", num_embeddings=1, embedding_dim=d, role="other")
               for i in range(p.n_point_embeddings)]  # fmt: skip
    blocks.append(Embedding(name="not_a_point_embed", num_embeddings=1, embedding_dim=d, role="other"))
    return nested(blocks)


def _attention(name: str, h: int, inner: int) -> list:
    """SamAttention: query, key and value projections ``h → inner`` and ``out_proj`` back, all with biases."""
    return [*(Linear(name=f"{name}.{x}_proj", in_features=h, out_features=inner, component="attention") for x in "qkv"),
            Linear(name=f"{name}.out_proj", in_features=inner, out_features=h, component="attention")]  # fmt: skip


def _mlp(name: str, n_in: int, hidden: int, n_out: int, depth: int) -> list:
    """SamFeedForward: ``proj_in``, ``depth - 2`` hidden linears, ``proj_out``."""
    return [Linear(name=f"{name}.proj_in", in_features=n_in, out_features=hidden, component="head"),
            *(Linear(name=f"{name}.layers.{i}", in_features=hidden, out_features=hidden, component="head")
              for i in range(max(depth - 2, 0))),
            Linear(name=f"{name}.proj_out", in_features=hidden, out_features=n_out, component="head")]  # fmt: skip


def _transpose(name: str, n_in: int, n_out: int) -> list:
    """A 2 × 2 ``ConvTranspose2d`` with a bias: its weight is held as ``(in, out, 2, 2)``."""
    return [Parameter(name=f"{name}.weight", shape=(n_in, n_out, 2, 2), component="head"),
            Parameter(name=f"{name}.bias", shape=(n_out,), component="head")]  # fmt: skip


def mask_decoder(p: SamParams) -> list:
    """The mask tokens, the two-way transformer, the upscaling and the heads (SAM-HQ's parts), unprefixed."""
    h, inner, tokens = p.decoder_d_model, p.decoder_d_model // p.downsample_rate, p.n_multimask + 1
    half = h // 2  # SamTwoWayAttentionBlock's own attention_downsample_rate (2), not the config's
    block = nested([*_attention("self_attn", h, h), LayerNorm(name="layer_norm1", dim=h),
                    *_attention("cross_attn_token_to_image", h, half), LayerNorm(name="layer_norm2", dim=h),
                    Linear(name="mlp.lin1", in_features=h, out_features=p.decoder_d_ff, component="feed_forward"),
                    Linear(name="mlp.lin2", in_features=p.decoder_d_ff, out_features=h, component="feed_forward"),
                    LayerNorm(name="layer_norm3", dim=h), LayerNorm(name="layer_norm4", dim=h),
                    *_attention("cross_attn_image_to_token", h, half)])  # fmt: skip
    blocks: list = [Embedding(name="iou_token", num_embeddings=1, embedding_dim=h, role="other"),
                    Embedding(name="mask_tokens", num_embeddings=tokens, embedding_dim=h, role="other")]  # fmt: skip
    transformer: list = [Repeat(name="layers", count=p.decoder_n_layers, blocks=block)] if p.decoder_n_layers else []
    transformer += nested([*_attention("final_attn_token_to_image", h, inner), LayerNorm(name="layer_norm_final_attn", dim=h)])
    blocks.append(Module(name="transformer", blocks=transformer))
    rest = [*_transpose("upscale_conv1", h, h // 4), *_transpose("upscale_conv2", h // 4, h // 8),
            LayerNorm(name="upscale_layer_norm", dim=h // 4)]  # fmt: skip
    for i in range(tokens):
        rest += _mlp(f"output_hypernetworks_mlps.{i}", h, h, h // 8, 3)
    rest += _mlp("iou_prediction_head", h, p.iou_d_hidden, tokens, p.iou_depth)
    if p.hq:
        rest += [Embedding(name="hq_token", num_embeddings=1, embedding_dim=h, role="other"),
                 *_mlp("hq_mask_mlp", h, h, h // 8, 3),
                 *_transpose("compress_vit_conv1", p.vit_dim, h), LayerNorm(name="compress_vit_norm", dim=h),
                 *_transpose("compress_vit_conv2", h, h // 8),
                 *_transpose("encoder_conv1", h, h // 4), LayerNorm(name="encoder_norm", dim=h // 4),
                 *_transpose("encoder_conv2", h // 4, h // 8),
                 *conv2d("mask_conv1", h // 4, h // 8, 3, component="head"), LayerNorm(name="mask_norm", dim=h // 4),
                 *conv2d("mask_conv2", h // 8, h // 4, 3, component="head")]  # fmt: skip
    return [*blocks, *nested(rest)]


def build(p: SamParams) -> Module:
    """The block tree of SamModel (SamHQModel with ``hq``)."""
    return Module(blocks=[
        *nested([Parameter(name="shared_image_embedding.positional_embedding", shape=(2, p.num_pos_feats),
                           component="embedding")]),
        Module(name="vision_encoder", blocks=vision_encoder(p)),
        Module(name="prompt_encoder", blocks=prompt_encoder(p)),
        Module(name="mask_decoder", blocks=mask_decoder(p)),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``sam`` family."""
    register(Family(name="sam", params=SamParams, build=build,
                    description="Segment Anything (and SAM-HQ): windowed ViT image encoder, prompt encoder, two-way "
                                "mask decoder"))  # fmt: skip
