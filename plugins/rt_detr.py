"""RT-DETR v2: a ResNet-vd backbone, a hybrid encoder (attention on the coarsest map, then convolutional FPN and
PAN paths), a deformable decoder with box refinement (the ``rt_detr`` family).

Follows ``modeling_rt_detr_v2.py`` and ``modeling_rt_detr_resnet.py`` of transformers 5.25. Every convolution
is bias-free and followed by a batch norm (a scale and a shift; the backbone's are frozen into buffers with
``frozen_backbone_norms``). Under ``model``:

* ``backbone.model``: RTDetrResNet: a stem of three 3 × 3 convolutions (``embedder.embedder.<0-2>``: to half
  the stem width twice, then to it) and stages of basic or bottleneck layers (``encoder.stages.<i>.layers.<j>``,
  body ``layer.<k>``); a layer whose input width or stride differs from its output has a 1 × 1 ``shortcut``
  (``shortcut.1`` after an average pooling when the layer downsamples; a basic stage's first layer always has
  one);
* ``encoder_input_proj.<i>``: per backbone feature map a 1 × 1 convolution to ``encoder_hidden_dim`` and a norm;
* ``encoder``: ``aifi.<i>.layers.<j>`` (post-norm transformer layers of ``encoder_hidden_dim``; one AIFI per
  entry of ``encode_proj_layers``), per FPN and PAN stage (``len(encoder_in_channels) - 1`` each) a
  ``lateral_convs``/``downsample_convs`` convolution (1 × 1 / 3 × 3) and a CSP block (``conv1``, ``conv2``: 1 × 1
  from twice the width to ``hidden_expansion`` of it; three RepVGG ``bottlenecks`` of a 3 × 3 and a 1 × 1;
  ``conv3`` back to the width unless the hidden width is the width);
* ``denoising_class_embed`` (``n_labels + 1`` rows, with ``num_denoising``), ``weight_embedding`` (with
  ``learn_initial_query``), ``enc_output`` (a linear layer and a norm), ``enc_score_head``, ``enc_bbox_head``;
* ``decoder_input_proj.<i>``: per ``decoder_in_channels`` entry a 1 × 1 convolution and a norm, then 3 × 3 ones
  up to ``num_feature_levels``;
* ``decoder``: layers of self-attention, deformable cross-attention (``decoder_n_levels`` levels), a
  feed-forward and three norms; ``query_pos_head`` (4 to ``2 d_model`` to ``d_model``); a class layer and a box
  MLP per layer (``class_embed``, ``bbox_embed``), which the root's heads share (``tied_heads``) or copy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d, conv_norm
from registry.plugins.detr import tied_heads


class HybridDetrParams(FamilyParams):
    """The hybrid encoder's and the decoder's hyper-parameters that RT-DETR and D-FINE share (RT-DETR's defaults;
    a family's params class takes them with its backbone's)."""

    encoder_hidden_dim: PositiveInt = Field(256, description="the hybrid encoder's width")
    encoder_levels: PositiveInt = Field(3, description="the encoder's levels (len(encoder_in_channels))")
    aifi: NonNegativeInt = Field(1, description="attention blocks (len(encode_proj_layers))")
    encoder_layers: NonNegativeInt = Field(1, description="layers of each attention block")
    encoder_ffn_dim: PositiveInt = Field(1024, description="the encoder layers' feed-forward width")
    encoder_heads: PositiveInt = Field(8, description="the encoder's attention heads")
    csp_hidden: PositiveInt = Field(256, description="the CSP blocks' hidden width (encoder_hidden_dim × hidden_expansion)")
    d_model: PositiveInt = Field(256, description="the decoder's width")
    decoder_in_channels: list[PositiveInt] = Field([256, 256, 256], description="the decoder projections' inputs")
    num_feature_levels: PositiveInt = Field(3, description="the decoder's input levels")
    decoder_layers: PositiveInt = Field(6, description="decoder layers")
    decoder_ffn_dim: PositiveInt = Field(1024, description="the decoder's feed-forward width")
    decoder_heads: PositiveInt = Field(8, description="the decoder's attention heads")
    num_queries: PositiveInt = Field(300, description="object queries")
    n_labels: PositiveInt = Field(80, description="object classes")
    denoising: bool = Field(True, description="a denoising class embedding (num_denoising > 0)")
    learn_initial_query: bool = Field(False, description="learned initial queries (weight_embedding)")
    tied_heads: bool = Field(True, description="the root's heads share the decoder's (tie_word_embeddings)")

    @model_validator(mode="after")
    def _check_heads(self) -> HybridDetrParams:
        for heads, width, side in ((self.encoder_heads, self.encoder_hidden_dim, "encoder"),
                                   (self.decoder_heads, self.d_model, "decoder")):  # fmt: skip
            if width % heads:
                raise FieldError(f"{side}_heads", f"{heads} heads do not divide the width {width}")
        return self


class RtDetrResNetParams(FamilyParams):
    """Hyper-parameters of RT-DETR's ResNet-vd backbone (``RTDetrResNetConfig``'s that shape it)."""

    n_channels: PositiveInt = Field(3, description="image channels")
    embedding_size: PositiveInt = Field(64, description="the backbone stem's width")
    hidden_sizes: list[PositiveInt] = Field([256, 512, 1024, 2048], description="each backbone stage's width")
    depths: list[PositiveInt] = Field([3, 4, 6, 3], description="each backbone stage's layers")
    layer_type: Literal["basic", "bottleneck"] = Field("bottleneck", description="the backbone's residual layer")
    downsample_in_first_stage: bool = Field(False, description="the first stage's first layer has stride 2")
    frozen_backbone_norms: bool = Field(True, description="the backbone's batch norms are buffers")
    backbone_out: list[NonNegativeInt] = Field([2, 3, 4], description="the backbone's feature maps (0: the stem)")

    @model_validator(mode="after")
    def _check_backbone(self) -> RtDetrResNetParams:
        if len(self.depths) != len(self.hidden_sizes):
            raise FieldError("depths", f"has {len(self.depths)} stages, hidden_sizes {len(self.hidden_sizes)}")
        if any(i > len(self.hidden_sizes) for i in self.backbone_out):
            raise FieldError("backbone_out", f"{self.backbone_out} names a stage the backbone does not have")
        if self.embedding_size < 2:
            raise FieldError("embedding_size", "of 1 halves to no channels in the stem")
        if self.layer_type == "bottleneck" and min(self.hidden_sizes) < 4:
            raise FieldError("hidden_sizes", "a bottleneck of fewer than 4 channels reduces them to none")
        return self


class RtDetrParams(HybridDetrParams, RtDetrResNetParams):
    """Hyper-parameters of the ``rt_detr`` family: the backbone's, the encoder's and decoder's, and the deformable
    attention's sampling."""

    decoder_levels: PositiveInt = Field(3, description="levels the deformable attention samples")
    decoder_points: PositiveInt = Field(4, description="sampling points per head and level")


def _backbone_layer(p: RtDetrParams, n_in: int, d: int, stride: int, first: bool) -> list[Block]:
    """One RTDetrResNet layer: its shortcut when it needs one, then its body (``layer.<k>``)."""
    def conv(name: str, a: int, b: int, k: int) -> list[Block]:
        return conv2d(f"{name}.convolution", a, b, k) if p.frozen_backbone_norms else conv_norm(name, a, b, k)

    if p.layer_type == "basic":
        needs, pooled = first, n_in != d
        body = [*conv("0", n_in, d, 3), *conv("1", d, d, 3)]
    else:
        needs, pooled = n_in != d or stride != 1, stride == 2
        r = d // 4
        body = [*conv("0", n_in, r, 1), *conv("1", r, r, 3), *conv("2", r, d, 1)]
    shortcut = conv("shortcut.1" if pooled else "shortcut", n_in, d, 1) if needs else []
    return [*shortcut, Module(name="layer", blocks=body)]


def backbone(p: RtDetrParams) -> list[Block]:
    """The RTDetrResNet stem and stages, unprefixed."""
    def conv(name: str, a: int, b: int) -> list[Block]:
        return conv2d(f"{name}.convolution", a, b, 3) if p.frozen_backbone_norms else conv_norm(name, a, b, 3)

    half = p.embedding_size // 2
    stem = [*conv("0", p.n_channels, half), *conv("1", half, half), *conv("2", half, p.embedding_size)]
    stages: list[Block] = []
    previous = p.embedding_size
    for i, (d, depth) in enumerate(zip(p.hidden_sizes, p.depths)):
        stride = 2 if i or p.downsample_in_first_stage else 1
        layers: list[Block] = [Module(name="0", blocks=_backbone_layer(p, previous, d, stride, True))]
        if depth > 1:
            layers.append(Repeat(name="", count=depth - 1, start=1, blocks=_backbone_layer(p, d, d, 1, False)))
        stages.append(Module(name=f"{i}.layers", blocks=layers))
        previous = d
    return [Module(name="embedder.embedder", blocks=stem), Module(name="encoder.stages", blocks=stages)]


def _conv_norm(name: str, n_in: int, n_out: int, kernel: int) -> list[Block]:
    """RTDetrV2ConvNormLayer: ``<name>.conv`` (bias-free) and ``<name>.norm``."""
    return conv_norm(name, n_in, n_out, kernel, conv="conv", norm="norm")


def _csp(p: RtDetrParams) -> list[Block]:
    """A CSP block of RepVGG bottlenecks, from twice the encoder width to it."""
    w, h = p.encoder_hidden_dim, p.csp_hidden
    repvgg = [*_conv_norm("conv1", h, h, 3), *_conv_norm("conv2", h, h, 1)]
    blocks = [*_conv_norm("conv1", 2 * w, h, 1), *_conv_norm("conv2", 2 * w, h, 1),
              Repeat(name="bottlenecks", count=3, blocks=repvgg)]  # fmt: skip
    return blocks + (_conv_norm("conv3", h, w, 1) if h != w else [])


def _attention(width: int) -> Module:
    """Self-attention: ``k_proj``, ``v_proj``, ``q_proj``, ``o_proj`` with biases."""
    return Module(name="self_attn", blocks=[Linear(name=proj, in_features=width, out_features=width, component="attention")
                                            for proj in ("k_proj", "v_proj", "q_proj", "o_proj")])  # fmt: skip


def _mlp(width: int, ffn: int) -> Module:
    """``mlp.fc1`` and ``mlp.fc2``."""
    return Module(name="mlp", blocks=[Linear(name="fc1", in_features=width, out_features=ffn, component="feed_forward"),
                                      Linear(name="fc2", in_features=ffn, out_features=width, component="feed_forward")])


def _box(name: str, dims: tuple[int, ...], component: str = "head") -> Module:
    """An MLP prediction head: ``<name>.layers.<i>`` from ``dims[0]`` through ``dims[1:]``."""
    return Module(name=f"{name}.layers" if name else "layers", blocks=[Linear(name=str(i), in_features=a, out_features=b, component=component)
                                                 for i, (a, b) in enumerate(zip(dims, dims[1:]))])  # fmt: skip


#: RT-DETR's self-attention and MLP heads, as other detectors' families (D-FINE's) reuse them.
attention_block, prediction_mlp = _attention, _box


def hybrid_encoder(p: HybridDetrParams, mlp: Block, lateral: list[Block], block: list[Block],
                   downsample: list[Block]) -> Module:
    """The hybrid encoder (RT-DETR's, D-FINE's): ``aifi.<i>.layers.<j>``, post-norm transformer layers whose
    feed-forward is ``mlp``, then per FPN and PAN stage (``encoder_levels - 1`` each) a ``lateral_convs`` entry
    (``lateral``) and an ``fpn_blocks`` entry (``block``), a ``downsample_convs`` entry (``downsample``) and a
    ``pan_blocks`` entry (``block``)."""
    w = p.encoder_hidden_dim
    layer = [_attention(w), LayerNorm(name="self_attn_layer_norm", dim=w), mlp,
             LayerNorm(name="final_layer_norm", dim=w)]  # fmt: skip
    stages = p.encoder_levels - 1
    blocks: list[Block] = []
    if p.aifi and p.encoder_layers:
        blocks.append(Repeat(name="aifi", count=p.aifi, blocks=[Repeat(name="layers", count=p.encoder_layers, blocks=layer)]))
    if stages:
        blocks += [Repeat(name="lateral_convs", count=stages, blocks=lateral),
                   Repeat(name="fpn_blocks", count=stages, blocks=block),
                   Repeat(name="downsample_convs", count=stages, blocks=downsample),
                   Repeat(name="pan_blocks", count=stages, blocks=block)]  # fmt: skip
    return Module(name="encoder", blocks=blocks)


def _encoder(p: RtDetrParams) -> Module:
    """The hybrid encoder: an MLP of ``fc1`` and ``fc2``, 1 × 1 lateral and 3 × 3 downsampling convolutions, CSP
    blocks."""
    w = p.encoder_hidden_dim
    return hybrid_encoder(p, _mlp(w, p.encoder_ffn_dim), _conv_norm("", w, w, 1), _csp(p), _conv_norm("", w, w, 3))


def _decoder(p: RtDetrParams) -> list[Block]:
    """The decoder's layers, query position head and heads (as blocks under ``model``), and the root's heads."""
    d = p.d_model
    samples = p.decoder_heads * p.decoder_levels * p.decoder_points
    cross = Module(name="encoder_attn", blocks=[
        Linear(name="sampling_offsets", in_features=d, out_features=2 * samples, component="attention"),
        Linear(name="attention_weights", in_features=d, out_features=samples, component="attention"),
        Linear(name="value_proj", in_features=d, out_features=d, component="attention"),
        Linear(name="output_proj", in_features=d, out_features=d, component="attention")])  # fmt: skip
    layer = [_attention(d), LayerNorm(name="self_attn_layer_norm", dim=d), cross,
             LayerNorm(name="encoder_attn_layer_norm", dim=d), _mlp(d, p.decoder_ffn_dim),
             LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    n = p.decoder_layers
    heads = [Repeat(name="class_embed", count=n, blocks=[Linear(name="", in_features=d, out_features=p.n_labels,
                                                                component="head")]),
             Repeat(name="bbox_embed", count=n, blocks=[_box("", (d, d, d, 4))])]  # fmt: skip
    own: list[Block] = [Repeat(name="layers", count=n, blocks=layer), _box("query_pos_head", (4, 2 * d, d))]
    own += tied_heads("", 2, heads) if p.tied_heads else heads
    return [Module(name="decoder", blocks=own)], ([] if p.tied_heads else heads)


def build(p: RtDetrParams) -> Module:
    """The block tree of ``RTDetrV2ForObjectDetection``."""
    d, w = p.d_model, p.encoder_hidden_dim
    widths = [p.embedding_size, *p.hidden_sizes]
    model: list[Block] = [Module(name="backbone.model", blocks=backbone(p)),
                          Module(name="encoder_input_proj", blocks=[
                              Module(name=str(i), blocks=conv_norm("", widths[j], w, 1, conv="0", norm="1"))
                              for i, j in enumerate(p.backbone_out)]),
                          _encoder(p)]  # fmt: skip
    if p.denoising:
        model.append(Embedding(name="denoising_class_embed", num_embeddings=p.n_labels + 1, embedding_dim=d, role="other"))
    if p.learn_initial_query:
        model.append(Embedding(name="weight_embedding", num_embeddings=p.num_queries, embedding_dim=d, role="other"))
    model += [Module(name="enc_output", blocks=[Linear(name="0", in_features=d, out_features=d), LayerNorm(name="1", dim=d)]),
              Linear(name="enc_score_head", in_features=d, out_features=p.n_labels, component="head"),
              _box("enc_bbox_head", (d, d, d, 4))]  # fmt: skip
    sources = [(c, 1) for c in p.decoder_in_channels]
    previous = p.decoder_in_channels[-1]
    for _ in range(p.num_feature_levels - len(p.decoder_in_channels)):
        sources.append((previous, 3))
        previous = d
    model.append(Module(name="decoder_input_proj", blocks=[
        Module(name=str(i), blocks=conv_norm("", c, d, k, conv="0", norm="1")) for i, (c, k) in enumerate(sources)]))
    inner, top = _decoder(p)
    return Module(blocks=[Module(name="model", blocks=[*model, *inner]), *top])


@hookimpl
def register_families(register):
    """Register the ``rt_detr`` family."""
    register(Family(name="rt_detr", params=RtDetrParams, build=build,
                    description="RT-DETR v2: a ResNet-vd backbone, a hybrid encoder, a deformable decoder",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
