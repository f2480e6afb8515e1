"""Vision: ViT-style image encoders with independent switches (the ``vision`` family).

One family for ViT, DeiT, BEiT, ViT-MSN, ViT-MAE, DINOv2 (with registers), DINOv3's ViT and the vision
towers of CLIP and SigLIP. ``layout`` only chooses the tensor names of that implementation's Hugging Face classes
(:data:`~registry.plugins.vision_layouts.VISION_LAYOUTS`); the shapes come from switches:

* the patch embedding: a convolution of ``d_model × n_channels × patch_size × patch_size``
  (with a bias unless ``patch_bias`` is false, as in CLIP), stored as a bare parameter
  (SigLIP2's a linear of ``d_model × n_channels·patch_size²``);
* the tokens: a class token (``class_token``), DINOv2's register tokens
  (``n_register_tokens``) and mask token (``mask_token``, also ViT's masked-image-modelling
  one), learned position embeddings for ``(image_size / patch_size)²`` patches plus the
  class token (registers have none; SigLIP2's table has ``n_positions`` rows), DeiT's distillation token
  (``distillation_token``, one more position), or none (``position_embeddings`` false: DINOv3's RoPE);
* pre-norm encoder layers: attention (``qkv_bias``; DINOv3's ``k_bias`` and ``out_bias``) and an MLP of
  ``d_ff`` (DINOv2's ``swiglu``: gate, up and down projections; ``mlp_bias``), with
  DINOv2's and BEiT's layer scale where the layout has it (``layer_scale`` false: none), BEiT's relative
  position bias tables (``relative_bias`` in each layer, ``shared_relative_bias`` one for all); CLIP's norm before
  the first layer (``pre_layrnorm``) and a final norm (``final_norm``: none in llama.cpp's legacy LLaVA mmproj);
* the head: ViT's ``pooler`` (``pooler_dim`` outputs), CLIP's image-embedding projection
  (``head = "projection"``: ``visual_projection``, ``d_model → projection_dim`` without a bias, as
  CLIPVisionModelWithProjection has it, the encoder then held under the layout's prefix), SigLIP's attention-pooling head
  (``pool_head``: a probe, a multi-head attention, a norm and an MLP), and an image
  classifier of ``n_labels`` (``head = "classifier"``; DINOv2's reads the class token and
  the mean patch token: ``2 × d_model`` inputs; BEiT's mean pooling has a norm, ``pooler_norm``), DeiT's two
  (``head = "distilled"``: the class token's and
  the distillation token's), or ViT-MAE's pixel decoder (``head = "decoder"``: a mask token, fixed sin-cos
  positions, ``decoder_n_layers`` ViT layers of ``decoder_d_model``, a norm and each patch's pixels), or BEiT's
  masked-image-modelling head (``head = "mim"``: a norm and a linear to ``n_visual_tokens``);
* VideoMAE (``layout = "videomae"``): a 3-D patch convolution over ``tubelet_size`` frames (``n_frames`` per video),
  fixed sin-cos positions (no parameters), no class token; its classifier after a norm of the mean-pooled tokens
  (``classifier_norm``: ``fc_norm``, the final norm then absent), its pixel decoder (``head = "decoder"``:
  ``encoder_to_decoder``, a mask token, the encoder's layers at the decoder's sizes, a norm and each tubelet's pixels);
* TimeSformer (``layout = "timesformer"``): a fused ``qkv``, a time embedding (``time_embeddings``) and divided
  space-time layers (``divided_attention``: a temporal attention, its norm and output dense, in every layer);
* X-CLIP's vision tower (``message_tokens``): a message token per frame in every layer (``message_fc``,
  ``message_ln``, ``message_attn``).

An image of ``image_size²`` pixels is ``(image_size / patch_size)²`` patch tokens, plus the
class, distillation and register tokens: the encoder's sequence length.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.vision_layouts import VISION_LAYOUTS, VisionLayout, VisionLayoutName


class VisionParams(FamilyParams):
    """Hyper-parameters of the ``vision`` family."""

    layout: VisionLayoutName = Field("vit", description="tensor names of which implementation (see the family's doc)")
    head: Literal["none", "classifier", "projection", "distilled", "decoder", "mim"] = Field(
        "none", description="none (the bare encoder), an image classifier, CLIP's image-embedding projection, DeiT's "
        "two classifiers (class and distillation tokens), ViT-MAE's pixel decoder, or BEiT's masked-image-modelling "
        "head (a norm and a linear to n_visual_tokens)")
    projection_dim: PositiveInt = Field(512, description="CLIP's image-embedding width (head = projection)")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier layer)")
    pooler: bool = Field(False, description="ViT's pooler (a dense layer on the class token)")
    pooler_dim: PositiveInt | None = Field(None, description="ViT's pooler outputs (default d_model)")
    pool_head: bool = Field(False, description="SigLIP's attention-pooling head")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="MLP inner width")
    image_size: PositiveInt = Field(224, description="image side in pixels")
    patch_size: PositiveInt = Field(16, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    n_positions: PositiveInt | None = Field(None, description="position embeddings (SigLIP2's num_patches; default: "
                                            "the patches of image_size, plus the class token)")
    qkv_bias: bool = Field(True, description="biases on the query, key and value projections")
    patch_bias: bool = Field(True, description="a bias on the patch convolution")
    class_token: bool = Field(True, description="a learned class token before the patches")
    mask_token: bool = Field(False, description="a learned mask token (DINOv2; ViT's masked-image modelling)")
    n_register_tokens: NonNegativeInt = Field(0, description="DINOv2's register tokens")
    swiglu: bool = Field(False, description="DINOv2's SwiGLU MLP (gate, up and down projections of d_ff)")
    distillation_token: bool = Field(False, description="DeiT's distillation token (with its own position embedding)")
    position_embeddings: bool = Field(True, description="learned position embeddings (false: RoPE, as DINOv3)")
    k_bias: bool | None = Field(None, description="a bias on the key projection (default: qkv_bias; DINOv3's key_bias)")
    out_bias: bool = Field(True, description="a bias on the attention's output projection (DINOv3's proj_bias)")
    mlp_bias: bool = Field(True, description="biases on the MLP's projections (DINOv3's mlp_bias)")
    decoder_d_model: PositiveInt = Field(512, description="ViT-MAE decoder's hidden size (head = decoder)")
    decoder_n_layers: PositiveInt = Field(8, description="ViT-MAE decoder's layers (head = decoder)")
    decoder_n_heads: PositiveInt = Field(16, description="ViT-MAE decoder's attention heads (head = decoder)")
    decoder_d_ff: PositiveInt = Field(2048, description="ViT-MAE decoder's MLP width (head = decoder)")
    layer_scale: bool = Field(True, description="the layout's layer scale (DINOv2, BEiT); false: none (BEiT's "
                              "layer_scale_init_value 0)")
    relative_bias: bool = Field(False, description="BEiT's relative position bias table in each layer")
    shared_relative_bias: bool = Field(False, description="BEiT's relative position bias table shared by the layers")
    pooler_norm: bool = Field(False, description="BEiT's mean-pooling norm (pooler.layernorm)")
    n_visual_tokens: PositiveInt = Field(8192, description="BEiT's visual-token vocabulary (head = mim)")
    final_norm: bool = Field(True, description="the norm after the layers (CLIP's post_layernorm); false: without it, "
                             "as llama.cpp's legacy LLaVA mmproj files hold CLIP's tower")
    tubelet_size: PositiveInt | None = Field(None, description="VideoMAE: frames in one patch (a 3-D patch convolution "
                                             "of tubelet_size × patch_size²); none: a 2-D patch convolution")
    n_frames: PositiveInt = Field(1, description="VideoMAE: frames of one video (tubelet_size frames per patch)")
    classifier_norm: bool = Field(False, description="VideoMAE's fc_norm: a norm of the mean-pooled tokens before "
                                  "the classifier (use_mean_pooling)")
    time_embeddings: bool = Field(False, description="TimeSformer: a learned embedding of each of the n_frames frames")
    divided_attention: bool = Field(False, description="TimeSformer's divided space-time layers: a temporal "
                                    "attention (its norm, a fused qkv, an output dense) before the spatial one")
    message_tokens: bool = Field(False, description="X-CLIP's cross-frame communication in every layer: message_fc, "
                                 "message_ln and message_attn (an attention of the layer's sizes)")

    @model_validator(mode="after")
    def _check(self) -> VisionParams:
        check_heads(self.d_model, self.n_heads, None)
        if self.head == "decoder":
            check_heads(self.decoder_d_model, self.decoder_n_heads, None)
            # ViT-MAE's fixed 2-D sin-cos positions (build_2d_sinusoidal_position_embedding); VideoMAE's are 1-D
            if self.decoder_d_model % 4 and self.layout != "videomae":
                raise FieldError("decoder_d_model", f"must be a multiple of 4 for the decoder's 2-D sin-cos position "
                                 f"embeddings (got {self.decoder_d_model})")  # fmt: skip
        if self.patch_size > self.image_size:
            raise FieldError("patch_size", f"patch_size ({self.patch_size}) exceeds image_size ({self.image_size})")
        lay = VISION_LAYOUTS[self.layout]
        if (self.tubelet_size is None) == (self.layout == "videomae"):
            raise FieldError("tubelet_size", "the videomae layout, and it alone, has a 3-D patch convolution: give "
                             "tubelet_size with it (only)")  # fmt: skip
        if self.tubelet_size and self.n_frames < self.tubelet_size:  # transformers' sin-cos table of no rows fails
            raise FieldError("n_frames", f"n_frames ({self.n_frames}) is fewer than tubelet_size ({self.tubelet_size}): "
                             "a video of no patches")  # fmt: skip
        if self.n_positions is not None and self.class_token:
            raise FieldError("n_positions", "a layout with a class token takes its positions from image_size (keep the default)")
        for name, has in (("time_embeddings", lay.time_embeddings), ("divided_attention", lay.temporal[0]),
                          ("class_token", lay.cls_token), ("mask_token", lay.mask_token), ("pooler", lay.pooler),
                          ("n_register_tokens", lay.register_tokens), ("swiglu", lay.swiglu), ("pool_head", lay.pool_head),
                          ("distillation_token", lay.distillation_token), ("pooler_norm", lay.pooler_norm)):  # fmt: skip
            if getattr(self, name) and not has:
                raise FieldError(name, f"the {self.layout} layout has no such part (keep the default)")
        if self.head == "distilled" and not lay.teacher_classifiers[0]:
            raise FieldError("head", f"the {self.layout} layout has no distillation classifiers (keep the default)")
        if self.position_embeddings and not lay.positions:
            raise FieldError("position_embeddings", f"the {self.layout} layout has no position embeddings (keep the default)")
        for name in ("relative_bias", "shared_relative_bias"):
            if getattr(self, name) and not lay.relative_bias:
                raise FieldError(name, f"the {self.layout} layout has no relative position bias (keep the default)")
        if self.head == "mim" and not lay.mim[0]:
            raise FieldError("head", f"the {self.layout} layout has no masked-image-modelling head (keep the default)")
        return self

    @property
    def n_patches(self) -> int:
        """Patch tokens of one image: ``(image_size // patch_size)²`` (SigLIP2: ``n_positions``, its most patches;
        a video's: that times ``n_frames // tubelet_size``)."""
        frames = self.n_frames // self.tubelet_size if self.tubelet_size else 1
        return self.n_positions or (self.image_size // self.patch_size) ** 2 * frames

    @property
    def n_tokens(self) -> int:
        """The encoder's sequence length for one image: patches, class token and registers."""
        return self.n_patches + int(self.class_token) + int(self.distillation_token) + self.n_register_tokens


def nested(blocks: list) -> list:
    """The blocks with dotted names (``embeddings.cls_token``) placed in modules, one per name segment,
    blocks that share a first segment in one module (the order kept): the tree shows short names."""
    out: list = []
    groups: dict[str, list] = {}
    for block in blocks:
        head, dot, rest = block.name.partition(".")
        if not dot:
            out.append(block)
            continue
        if head not in groups:
            groups[head] = []
            out.append(head)
        groups[head].append(block.model_copy(update={"name": rest}))
    return [Module(name=x, blocks=nested(groups[x])) if isinstance(x, str) else x for x in out]


def _token(name: str, d: int, shape: str) -> Parameter:
    dims = {"1d": (d,), "2d": (1, d), "3d": (1, 1, d)}[shape]
    return Parameter(name=name, shape=dims, component="embedding")


def _embeddings(p: VisionParams, lay: VisionLayout) -> list:
    """Class, mask and register tokens, the patch convolution and the position embeddings."""
    d = p.d_model
    blocks: list = []
    if p.class_token:
        blocks.append(_token(lay.cls_token, d, lay.token_shape))
    if p.mask_token:
        blocks.append(_token(lay.mask_token, d, lay.mask_shape))
    if p.distillation_token:
        blocks.append(_token(lay.distillation_token, d, "3d"))
    if p.n_register_tokens:
        blocks.append(Parameter(name=lay.register_tokens, shape=(1, p.n_register_tokens, d), component="embedding"))
    kernel = (p.n_channels * p.patch_size**2,) if lay.patch_linear else (p.n_channels, p.patch_size, p.patch_size)
    if p.tubelet_size:  # VideoMAE's nn.Conv3d over tubelet_size frames
        kernel = (p.n_channels, p.tubelet_size, p.patch_size, p.patch_size)
    blocks.append(Parameter(name=f"{lay.patch}.weight", shape=(d, *kernel), component="embedding"))
    if p.patch_bias:
        blocks.append(Parameter(name=f"{lay.patch}.bias", shape=(d,), component="embedding"))
    rows = p.n_patches + int(p.class_token) + int(p.distillation_token)
    if p.time_embeddings:
        blocks.append(Parameter(name=lay.time_embeddings, shape=(1, p.n_frames, d), component="embedding"))
    if not p.position_embeddings:
        return blocks
    if lay.positions_table:
        blocks.append(Embedding(name=lay.positions, num_embeddings=rows, embedding_dim=d, role="position"))
    else:
        blocks.append(Parameter(name=lay.positions, shape=(1, rows, d), component="embedding"))
    return blocks


def _layer(p: VisionParams, lay: VisionLayout) -> list:
    """One pre-norm encoder layer, named as the layout names it."""
    d = p.d_model
    attention = Attention(d_model=d, n_heads=p.n_heads, bias=p.qkv_bias, k_bias=p.k_bias, out_bias=p.out_bias,
                          fused_qkv=lay.fused_qkv, names=lay.attn, kv_cache="none")  # fmt: skip
    if p.swiglu:
        ff = FeedForward(d_model=d, d_ff=p.d_ff, gated=True, bias=p.mlp_bias, names=lay.swiglu or {})
    else:
        ff = FeedForward(d_model=d, d_ff=p.d_ff, bias=p.mlp_bias, names=lay.ff)
    scale1, scale2 = lay.layer_scale if p.layer_scale else ("", "")
    blocks: list = []
    if p.divided_attention:  # TimeSformer: attention across the frames first, its output mixed by a dense layer
        norm, prefix, dense = lay.temporal
        names = {role: f"{prefix}.{name.partition('.')[2]}" for role, name in lay.attn.items()}
        blocks += [LayerNorm(name=norm, dim=d), attention.model_copy(update={"names": names}),
                   Linear(name=dense, in_features=d, out_features=d, component="attention")]  # fmt: skip
    if p.message_tokens:  # X-CLIP: each frame's message token, mixed across the frames
        names = {role: f"message_attn.{name.partition('.')[2]}" for role, name in lay.attn.items()}
        blocks += [Linear(name="message_fc", in_features=d, out_features=d, component="attention"),
                   LayerNorm(name="message_ln", dim=d), attention.model_copy(update={"names": names})]  # fmt: skip
    blocks += [LayerNorm(name=lay.norm1, dim=d), attention]
    if scale1:
        blocks.append(Parameter(name=scale1, shape=(d,), component="attention"))
    if p.relative_bias:
        blocks.append(_relative_table(p, lay.relative_bias))
    blocks += [LayerNorm(name=lay.norm2, dim=d), ff]
    if scale2:
        blocks.append(Parameter(name=scale2, shape=(d,), component="feed_forward"))
    return nested(blocks)


def _relative_table(p: VisionParams, name: str) -> Parameter:
    """BEiT's relative position bias table (``BeitRelativePositionBias``): a bias per head for each of the
    ``(2h - 1)(2w - 1)`` offsets of a ``h × w`` patch grid, plus 3 for the class token (to, from, itself)."""
    side = p.image_size // p.patch_size
    return Parameter(name=name, shape=((2 * side - 1) ** 2 + 3, p.n_heads), component="attention")


def _pool_head(p: VisionParams, name: str) -> Module:
    """SigLIP's multi-head attention pooling: a probe, ``nn.MultiheadAttention``, a norm and an MLP."""
    d = p.d_model
    return Module(name=name, blocks=nested([
        Parameter(name="probe", shape=(1, 1, d), component="head"),
        Parameter(name="attention.in_proj_weight", shape=(3 * d, d), component="head"),
        Parameter(name="attention.in_proj_bias", shape=(3 * d,), component="head"),
        Linear(name="attention.out_proj", in_features=d, out_features=d, component="head"),
        LayerNorm(name="layernorm", dim=d),
        FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "mlp.fc1", "down": "mlp.fc2"}, component="head"),
    ]))  # fmt: skip


def tower(p: VisionParams) -> list:
    """The blocks of the encoder itself (embeddings, layers, norms, pooler or pooling head), unprefixed."""
    lay = VISION_LAYOUTS[p.layout]
    blocks = _embeddings(p, lay)
    if lay.pre_norm:
        blocks.append(LayerNorm(name=lay.pre_norm, dim=p.d_model))
    if p.shared_relative_bias:
        blocks.append(_relative_table(p, lay.shared_relative_bias))
    blocks.append(Repeat(name=lay.layers, count=p.n_layers, blocks=_layer(p, lay)))
    if p.final_norm:
        blocks.append(LayerNorm(name=lay.final_norm, dim=p.d_model))
    if p.pooler:
        blocks.append(Linear(name=lay.pooler, in_features=p.d_model, out_features=p.pooler_dim or p.d_model, component="head"))
    if p.pool_head:
        blocks.append(_pool_head(p, lay.pool_head))
    if p.pooler_norm:
        blocks.append(LayerNorm(name=lay.pooler_norm, dim=p.d_model))
    return nested(blocks)


def _mae_decoder(p: VisionParams, lay: VisionLayout) -> Module:
    """ViT-MAE's pixel decoder (``ViTMAEDecoder``): a mask token, fixed sin-cos position embeddings (a frozen
    parameter, counted as transformers counts it), an input projection, ViT layers of the decoder's sizes, a norm
    and a prediction of each patch's ``patch_size² · n_channels`` pixels."""
    dd = p.decoder_d_model
    sizes = p.model_copy(update={"d_model": dd, "n_heads": p.decoder_n_heads, "d_ff": p.decoder_d_ff})
    return Module(name="decoder", blocks=nested([
        Parameter(name="mask_token", shape=(1, 1, dd), component="head"),
        Parameter(name="decoder_pos_embed", shape=(1, p.n_patches + int(p.class_token), dd), component="head"),
        Linear(name="decoder_embed", in_features=p.d_model, out_features=dd, component="head"),
        Repeat(name="decoder_layers", count=p.decoder_n_layers, blocks=_layer(sizes, lay)),
        LayerNorm(name="decoder_norm", dim=dd),
        Linear(name="decoder_pred", in_features=dd, out_features=p.patch_size**2 * p.n_channels, component="head"),
    ]))  # fmt: skip


def _videomae_decoder(p: VisionParams, lay: VisionLayout) -> list:
    """VideoMAE's pixel decoder (``VideoMAEForPreTraining``): ``encoder_to_decoder`` (no bias), a mask token,
    fixed sin-cos positions (a plain tensor: no parameters), the encoder's layers at the decoder's sizes, a norm
    and a prediction of each tubelet's ``n_channels · tubelet_size · patch_size²`` pixels."""
    dd = p.decoder_d_model
    sizes = p.model_copy(update={"d_model": dd, "n_heads": p.decoder_n_heads, "d_ff": p.decoder_d_ff})
    pixels = p.n_channels * (p.tubelet_size or 1) * p.patch_size**2
    return [
        Linear(name="encoder_to_decoder", in_features=p.d_model, out_features=dd, bias=False, component="head"),
        Parameter(name="mask_token", shape=(1, 1, dd), component="head"),
        Module(name="decoder", blocks=[
            Repeat(name="decoder_layers", count=p.decoder_n_layers, blocks=_layer(sizes, lay)),
            LayerNorm(name="norm", dim=dd),
            Linear(name="head", in_features=dd, out_features=pixels, component="head"),
        ]),
    ]  # fmt: skip


def build(p: VisionParams) -> Module:
    """The block tree of a vision encoder (with its classifier when ``head`` says so)."""
    lay = VISION_LAYOUTS[p.layout]
    if p.head == "none":
        return Module(blocks=tower(p))
    blocks: list = [Module(name=lay.prefix, blocks=tower(p))]
    if p.head == "projection":
        blocks.append(Linear(name="visual_projection", in_features=p.d_model, out_features=p.projection_dim,
                             bias=False, component="head"))  # fmt: skip
    elif p.head == "mim":
        blocks.append(LayerNorm(name=lay.mim[0], dim=p.d_model))
        blocks.append(Linear(name=lay.mim[1], in_features=p.d_model, out_features=p.n_visual_tokens, component="head"))
    elif p.head == "decoder" and p.layout == "videomae":
        blocks += _videomae_decoder(p, lay)
    elif p.head == "decoder":
        blocks.append(_mae_decoder(p, lay))
    elif p.head == "distilled":
        for name in lay.teacher_classifiers if p.n_labels else ():
            blocks.append(Linear(name=name, in_features=p.d_model, out_features=p.n_labels, component="head"))
    else:  # the classifier (VideoMAE's fc_norm before it)
        if p.classifier_norm:
            blocks.append(LayerNorm(name="fc_norm", dim=p.d_model))
        if p.n_labels:
            width = lay.classifier_inputs * p.d_model
            blocks.append(Linear(name=lay.classifier, in_features=width, out_features=p.n_labels, component="head"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``vision`` family."""
    register(Family(name="vision", params=VisionParams, build=build,
                    description="ViT-style image encoders: ViT, DeiT, ViT-MAE, DINOv2, DINOv3, CLIP's, SigLIP's and "
                                "SigLIP2's vision towers"))  # fmt: skip
