"""OmDet-Turbo: a timm Swin backbone, a hybrid encoder, a task-conditioned deformable decoder (the ``omdet-turbo-vision``
and ``omdet-turbo`` families; the CLIP text model between them is the ``clip-text`` family's).

Follows ``modeling_omdet_turbo.py`` of transformers 5.25 (``OmDetTurboForObjectDetection``) and timm 1.0's
``swin_transformer.py``. ``omdet-turbo-vision`` builds ``vision_backbone``:

* ``vision_backbone._backbone``: timm's ``SwinTransformer`` with ``features_only`` (``TimmBackbone``):
  ``patch_embed`` (a ``patch_size`` convolution with a bias, a LayerNorm) and the stages up to the last output
  (``layers_<i>``; a later stage and the final norm are not built): from stage 1 patch merging (``downsample``: a
  LayerNorm of four times the width before, a linear reduction to the stage's width without a bias), then blocks of
  ``norm1``, windowed attention (``attn.qkv`` and ``attn.proj`` with biases, a relative position bias table of
  ``(2 w - 1)²`` offsets per head), ``norm2`` and a 4 × MLP. A stage's window is the model's, or the stage's
  resolution when that is smaller (not with ``always_partition``);
* ``layer_norms.<i>``: a LayerNorm per ``encoder_in_channels`` entry.

``omdet-turbo`` builds the rest:

* ``language_backbone.text_projection``: a ``text_in × text_out`` matrix (the text model itself is the text part);
* ``encoder`` (the hybrid encoder): ``channel_projection_layers.<i>`` (1 × 1 convolution without a bias and a
  batch norm per input), ``encoder.<i>.layers.<j>`` (one encoder per ``encoder_projection_indices`` entry: attention
  ``query``/``key``/``value``/``out_proj``, ``fc1``/``fc2``, two norms), per FPN and PAN step a ``lateral_convs`` (1 × 1)
  or ``downsample_convs`` (3 × 3) convolution-norm and a CSP block (``conv1``, ``conv2``; three ``bottlenecks`` of a
  3 × 3 and a 1 × 1; ``conv3`` when the hidden width differs);
* ``decoder``: ``channel_projection_layers.<i>`` per ``vision_features_channels`` entry, ``task_encoder`` (an MLP of
  ``task_hidden`` and a norm), ``task_project`` (when ``class_embed_dim`` is not the decoder's width), layers of
  self-attention, deformable cross-attention over ``levels`` levels (its projections ``d_model`` wide), a
  feed-forward and three norms, ``tgt_embed`` (with ``learn_initial_query``), ``query_position_head`` (4 to twice
  the width to the width), ``encoder_vision_features`` (a linear layer and a norm), the encoder's class layer and box
  MLP, and per decoder layer a class layer and a box MLP.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d


class OmDetVisionParams(FamilyParams):
    """Hyper-parameters of the ``omdet-turbo-vision`` family (timm's Swin as OmDet-Turbo builds it)."""

    embed_dim: PositiveInt = Field(96, description="the first stage's width (each next stage doubles it)")
    depths: list[PositiveInt] = Field([2, 2, 6, 2], description="each stage's blocks")
    num_heads: list[PositiveInt] = Field([3, 6, 12, 24], description="each stage's attention heads")
    window_size: PositiveInt = Field(7, description="the attention window's side, in patches")
    patch_size: PositiveInt = Field(4, description="patch side in pixels")
    image_size: list[PositiveInt] = Field([640, 640], description="image height and width (img_size)")
    always_partition: bool = Field(True, description="full windows even where a stage is smaller than the window")
    n_channels: PositiveInt = Field(3, description="image channels")
    last_stage: NonNegativeInt = Field(3, description="the last stage built (the deepest output)")
    norms: list[PositiveInt] = Field([192, 384, 768], description="the widths of layer_norms (encoder_in_channels)")

    @model_validator(mode="after")
    def _check(self) -> OmDetVisionParams:
        if len(self.num_heads) != len(self.depths):
            raise FieldError("num_heads", f"has {len(self.num_heads)} stages, depths {len(self.depths)}")
        if self.last_stage >= len(self.depths):
            raise FieldError("last_stage", f"{self.last_stage}: the backbone has stages 0 to {len(self.depths) - 1}")
        if len(self.image_size) != 2:
            raise FieldError("image_size", "must be [height, width]")
        return self


def _timm_stage(p: OmDetVisionParams, i: int, resolution: list[int]) -> list[Block]:
    """Stage ``i`` of timm's Swin: patch merging (from stage 1) and its blocks."""
    d, heads = p.embed_dim * 2**i, p.num_heads[i]
    window = [p.window_size if p.always_partition else min(r, p.window_size) for r in resolution]
    block = [LayerNorm(name="norm1", dim=d),
             Parameter(name="attn.relative_position_bias_table", shape=((2 * window[0] - 1) * (2 * window[1] - 1), heads),
                       component="attention"),
             Linear(name="attn.qkv", in_features=d, out_features=3 * d, component="attention"),
             Linear(name="attn.proj", in_features=d, out_features=d, component="attention"),
             LayerNorm(name="norm2", dim=d),
             Linear(name="mlp.fc1", in_features=d, out_features=4 * d, component="feed_forward"),
             Linear(name="mlp.fc2", in_features=4 * d, out_features=d, component="feed_forward")]  # fmt: skip
    blocks: list[Block] = []
    if i:
        blocks.append(Module(name="downsample", blocks=[
            LayerNorm(name="norm", dim=2 * d),
            Linear(name="reduction", in_features=2 * d, out_features=d, bias=False, component="other")]))  # fmt: skip
    return [*blocks, Repeat(name="blocks", count=p.depths[i], blocks=block)]


def build_vision(p: OmDetVisionParams) -> Module:
    """``OmDetTurboVisionBackbone``: timm's Swin (``features_only``) and the layer norms after it."""
    for i, heads in enumerate(p.num_heads):
        if (p.embed_dim * 2**i) % heads:
            raise FieldError("num_heads", f"stage {i}'s width {p.embed_dim * 2**i} is not a multiple of its {heads} heads")
    c = p.embed_dim
    resolution = [side // p.patch_size for side in p.image_size]
    swin: list[Block] = [*conv2d("patch_embed.proj", p.n_channels, c, p.patch_size, bias=True),
                         LayerNorm(name="patch_embed.norm", dim=c)]  # fmt: skip
    for i in range(p.last_stage + 1):
        if i:
            resolution = [(r + 1) // 2 for r in resolution]
        swin.append(Module(name=f"layers_{i}", blocks=_timm_stage(p, i, resolution)))
    norms = [LayerNorm(name=str(i), dim=w) for i, w in enumerate(p.norms)]
    return Module(blocks=[Module(name="vision_backbone", blocks=[Module(name="vision_backbone._backbone", blocks=swin),
                                                                 Module(name="layer_norms", blocks=norms)])])  # fmt: skip


class OmDetTurboParams(FamilyParams):
    """Hyper-parameters of the ``omdet-turbo`` family (its encoder, decoder and text projection)."""

    text_in: PositiveInt = Field(512, description="the text projection's rows (text_projection_in_dim)")
    text_out: PositiveInt = Field(512, description="its columns (text_projection_out_dim)")
    in_channels: list[PositiveInt] = Field([192, 384, 768], description="the encoder's inputs (encoder_in_channels)")
    d_model: PositiveInt = Field(256, description="the hybrid encoder's width (encoder_hidden_dim)")
    attention_blocks: NonNegativeInt = Field(1, description="encoders (len(encoder_projection_indices))")
    encoder_layers: NonNegativeInt = Field(1, description="layers of each encoder")
    encoder_heads: PositiveInt = Field(8, description="their attention heads")
    encoder_ffn_dim: PositiveInt = Field(2048, description="their feed-forward width")
    csp_hidden: PositiveInt = Field(256, description="the CSP blocks' hidden width (d_model × hidden_expansion)")
    vision_features: list[PositiveInt] = Field([256, 256, 256], description="the decoder's projected inputs")
    class_embed_dim: PositiveInt = Field(512, description="the class embeddings' width")
    task_hidden: PositiveInt = Field(1024, description="the task encoder's hidden width")
    decoder_width: PositiveInt = Field(256, description="the decoder's width (decoder_hidden_dim)")
    decoder_heads: PositiveInt = Field(8, description="its attention heads")
    decoder_layers: NonNegativeInt = Field(6, description="its layers")
    decoder_ffn_dim: PositiveInt = Field(2048, description="its feed-forward width")
    decoder_points: PositiveInt = Field(4, description="sampling points per head and level")
    levels: PositiveInt = Field(3, description="feature levels of the deformable attention (num_feature_levels)")
    num_queries: PositiveInt = Field(900, description="object queries")
    learn_initial_query: bool = Field(False, description="learned initial queries (tgt_embed)")

    @model_validator(mode="after")
    def _check(self) -> OmDetTurboParams:
        for field, width, heads in (("encoder_heads", self.d_model, self.encoder_heads),
                                    ("decoder_heads", self.decoder_width, self.decoder_heads),
                                    ("decoder_heads", self.d_model, self.decoder_heads)):  # fmt: skip
            if width % heads:
                raise FieldError(field, f"{heads} heads do not divide the width {width}")
        return self


def _conv_norm(name: str, n_in: int, n_out: int, kernel: int, conv: str = "conv", norm: str = "norm") -> list[Block]:
    """A convolution without a bias and a batch norm (its scale and shift; the running statistics are buffers)."""
    return [*conv2d(f"{name}.{conv}", n_in, n_out, kernel), LayerNorm(name=f"{name}.{norm}", dim=n_out)]


def _attention(name: str, d: int) -> Module:
    """``OmDetTurboMultiheadAttention``: ``query``, ``key``, ``value``, ``out_proj`` with biases."""
    return Module(name=name, blocks=[Linear(name=proj, in_features=d, out_features=d, component="attention")
                                     for proj in ("query", "key", "value", "out_proj")])  # fmt: skip


def _mlp(name: str, widths: list[int]) -> Module:
    """``OmDetTurboMLP``: linear layers ``layers.<i>`` through the given widths."""
    return Module(name=f"{name}.layers" if name else "layers", blocks=[
        Linear(name=str(i), in_features=a, out_features=b, component="head")
        for i, (a, b) in enumerate(zip(widths, widths[1:]))])  # fmt: skip


def _csp(name: str, p: OmDetTurboParams) -> list[Block]:
    """``OmDetTurboCSPRepLayer``: two 1 × 1 entries, three RepVGG bottlenecks, ``conv3`` when the widths differ."""
    d, h = p.d_model, p.csp_hidden
    blocks = [*_conv_norm(f"{name}.conv1", 2 * d, h, 1), *_conv_norm(f"{name}.conv2", 2 * d, h, 1)]
    for i in range(3):
        blocks += [*_conv_norm(f"{name}.bottlenecks.{i}.conv1", h, h, 3), *_conv_norm(f"{name}.bottlenecks.{i}.conv2", h, h, 1)]
    return blocks + (_conv_norm(f"{name}.conv3", h, d, 1) if h != d else [])


def _encoder(p: OmDetTurboParams) -> Module:
    """``OmDetTurboHybridEncoder``."""
    d = p.d_model
    blocks: list[Block] = []
    for i, width in enumerate(p.in_channels):
        blocks += _conv_norm(f"channel_projection_layers.{i}", width, d, 1, "0", "1")
    layer = [_attention("self_attn", d), LayerNorm(name="self_attn_layer_norm", dim=d),
             Linear(name="fc1", in_features=d, out_features=p.encoder_ffn_dim, component="feed_forward"),
             Linear(name="fc2", in_features=p.encoder_ffn_dim, out_features=d, component="feed_forward"),
             LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    if p.attention_blocks and p.encoder_layers:
        blocks.append(Repeat(name="encoder", count=p.attention_blocks,
                             blocks=[Repeat(name="layers", count=p.encoder_layers, blocks=layer)]))
    for i in range(len(p.in_channels) - 1):
        blocks += [*_conv_norm(f"lateral_convs.{i}", d, d, 1), *_csp(f"fpn_blocks.{i}", p)]
    for i in range(len(p.in_channels) - 1):
        blocks += [*_conv_norm(f"downsample_convs.{i}", d, d, 3), *_csp(f"pan_blocks.{i}", p)]
    return Module(name="encoder", blocks=blocks)


def _decoder(p: OmDetTurboParams) -> Module:
    """``OmDetTurboDecoder``."""
    h, c, d = p.decoder_width, p.class_embed_dim, p.d_model
    blocks: list[Block] = []
    for i, width in enumerate(p.vision_features):
        blocks += _conv_norm(f"channel_projection_layers.{i}", width, h, 1, "0", "1")
    blocks += [Linear(name="task_encoder.mlp.linear1", in_features=c, out_features=p.task_hidden, component="other"),
               Linear(name="task_encoder.mlp.linear2", in_features=p.task_hidden, out_features=c, component="other"),
               LayerNorm(name="task_encoder.res1.norm1", dim=c)]  # fmt: skip
    if c != h:
        blocks.append(Linear(name="task_project", in_features=c, out_features=h, component="other"))
    samples = p.decoder_heads * p.levels * p.decoder_points
    cross = Module(name="cross_attn", blocks=[
        Linear(name="sampling_offsets", in_features=d, out_features=2 * samples, component="attention"),
        Linear(name="attention_weights", in_features=d, out_features=samples, component="attention"),
        Linear(name="value_proj", in_features=d, out_features=d, component="attention"),
        Linear(name="output_proj", in_features=d, out_features=d, component="attention")])  # fmt: skip
    layer = [_attention("self_attn", h), LayerNorm(name="norm1", dim=h), cross, LayerNorm(name="norm2", dim=h),
             Linear(name="linear1", in_features=h, out_features=p.decoder_ffn_dim, component="feed_forward"),
             Linear(name="linear2", in_features=p.decoder_ffn_dim, out_features=h, component="feed_forward"),
             LayerNorm(name="norm3", dim=h)]  # fmt: skip
    if p.decoder_layers:
        blocks.append(Repeat(name="layers", count=p.decoder_layers, blocks=layer))
    if p.learn_initial_query:
        blocks.append(Embedding(name="tgt_embed", num_embeddings=p.num_queries, embedding_dim=h, role="other"))
    blocks += [_mlp("query_position_head", [4, 2 * h, h]),
               Linear(name="encoder_vision_features.0", in_features=h, out_features=h, component="other"),
               LayerNorm(name="encoder_vision_features.1", dim=h),
               Linear(name="encoder_class_head", in_features=c, out_features=h, component="head"),
               _mlp("encoder_bbox_head", [h, h, h, 4])]  # fmt: skip
    if p.decoder_layers:
        blocks += [Repeat(name="decoder_class_head", count=p.decoder_layers,
                          blocks=[Linear(name="", in_features=c, out_features=h, component="head")]),
                   Repeat(name="decoder_bbox_head", count=p.decoder_layers, blocks=[_mlp("", [h, h, h, 4])])]
    return Module(name="decoder", blocks=blocks)


def build(p: OmDetTurboParams) -> Module:
    """The block tree of OmDet-Turbo's text projection, hybrid encoder and decoder."""
    projection = Parameter(name="language_backbone.text_projection", shape=(p.text_in, p.text_out), component="other")
    return Module(blocks=[projection, _encoder(p), _decoder(p)])


@hookimpl
def register_families(register):
    """Register the ``omdet-turbo-vision`` and ``omdet-turbo`` families."""
    register(Family(name="omdet-turbo-vision", params=OmDetVisionParams, build=build_vision,
                    description="OmDet-Turbo's vision backbone: timm's Swin (features only) and its output norms"))
    register(Family(name="omdet-turbo", params=OmDetTurboParams, build=build,
                    description="OmDet-Turbo's text projection, hybrid encoder and task-conditioned deformable decoder",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
