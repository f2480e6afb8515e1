"""OneFormer's parts around its backbone: the stage norms, the pixel decoder with multi-scale deformable attention,
the transformer decoder with its task token, the task MLP, the text mapper (the ``oneformer`` family).

Follows ``modeling_oneformer.py`` of transformers 5.25 (``OneFormerForUniversalSegmentation``). The backbone
(``SwinBackbone``: SwinModel's tensors under ``model.pixel_level_module.encoder.swin``) is a part of its own, read
through the ``swin`` row; this family builds the rest:

* ``model.pixel_level_module.encoder.hidden_states_norms.<stage>``: a LayerNorm of each output stage's width;
* ``model.pixel_level_module.decoder``: ``level_embed`` (3 levels × ``conv_dim``), ``input_projections.<i>`` for the
  last three outputs from the deepest (a 1 × 1 convolution with a bias, a GroupNorm of 32 groups), the deformable
  encoder (``encoder.layers.<i>``: ``self_attn`` with ``sampling_offsets``, ``attention_weights``, ``value_proj``,
  ``output_proj`` over 3 levels and 4 points, ``fc1``/``fc2``, two norms), ``mask_projection`` (1 × 1 with a bias,
  to ``mask_dim``) and per extra FPN level ``adapter_<i>`` (1 × 1 without a bias, GroupNorm) and ``layer_<i>``
  (3 × 3 without a bias, GroupNorm) over the first outputs;
* ``model.transformer_module``: ``queries_embedder``, ``level_embed`` (3 rows), and the decoder: the query
  transformer (``query_transformer.decoder.layers.<i>``: two ``nn.MultiheadAttention`` (fused ``in_proj``),
  ``linear1``/``linear2``, three norms; a final ``norm``), ``decoder_norm``, ``decoder_layers - 1`` layers
  (cross-attention: a ``nn.MultiheadAttention`` and a norm; self-attention: ``k_proj``, ``v_proj``, ``q_proj``,
  ``out_proj`` and a norm; ``ffn``: ``linear1``/``linear2`` and a norm), ``query_input_projection`` (1 × 1 with a
  bias), ``class_embed`` (to ``n_labels + 1``) and ``mask_embed`` (three linear layers, the last to ``mask_dim``);
  its ``input_projections`` are a plain list (no tensors);
* ``model.task_encoder.task_mlp``: two linear layers, ``task_seq_len`` to ``hidden_dim``;
* with ``text_mapper`` (the config's ``is_training``) ``model.text_mapper``: a CLIP-style text encoder (token and
  position embeddings, ``width / 64``-head layers of ``nn.MultiheadAttention`` and a 4 × MLP, ``ln_final``), the
  ``text_projector`` MLP (``text_proj_layers`` layers) and ``prompt_ctx`` (``text_n_ctx`` rows, when any);
* ``criterion.logit_scale``: the contrastive loss's learned scale, one scalar.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import conv2d

#: The feature levels the pixel decoder and the transformer decoder attend to, and the deformable attention's
#: sampling points (fixed in modeling_oneformer.py).
LEVELS, POINTS = 3, 4


class OneFormerParams(FamilyParams):
    """Hyper-parameters of the ``oneformer`` family."""

    out_stages: list[NonNegativeInt] = Field([1, 2, 3, 4], description="the backbone's output stages (0: the stem)")
    output_widths: list[PositiveInt] = Field([96, 192, 384, 768], description="the widths of those outputs")
    conv_dim: PositiveInt = Field(256, description="the pixel decoder's width")
    mask_dim: PositiveInt = Field(256, description="the mask features' width")
    hidden_dim: PositiveInt = Field(256, description="the transformer decoder's width")
    encoder_layers: NonNegativeInt = Field(6, description="the pixel decoder's deformable encoder layers")
    encoder_ffn_dim: PositiveInt = Field(1024, description="their feed-forward width")
    heads: PositiveInt = Field(8, description="attention heads (pixel decoder and transformer decoder)")
    decoder_layers: PositiveInt = Field(10, description="the transformer decoder's depth (it builds one layer fewer)")
    dim_feedforward: PositiveInt = Field(2048, description="the transformer decoder's feed-forward width")
    query_dec_layers: NonNegativeInt = Field(2, description="the query transformer's layers")
    num_queries: PositiveInt = Field(150, description="mask queries")
    n_labels: PositiveInt = Field(150, description="classes (the classifier adds a no-object class)")
    task_seq_len: PositiveInt = Field(77, description="the task token's input length")
    fpn_levels: NonNegativeInt = Field(1, description="extra FPN levels (log2 of the smallest attended stride over "
                                       "common_stride)")
    text_mapper: bool = Field(False, description="the text mapper (built when is_training)")
    text_width: PositiveInt = Field(256, description="the text encoder's width (heads: width / 64)")
    text_context: PositiveInt = Field(77, description="the text encoder's context length")
    text_layers: NonNegativeInt = Field(6, description="the text encoder's layers")
    text_vocab: PositiveInt = Field(49408, description="the text encoder's vocabulary")
    text_proj_layers: PositiveInt = Field(2, description="the text projector's linear layers")
    text_n_ctx: NonNegativeInt = Field(16, description="learned text context queries (prompt_ctx)")

    @model_validator(mode="after")
    def _check(self) -> OneFormerParams:
        if not self.output_widths or len(self.out_stages) != len(self.output_widths):
            raise FieldError("output_widths", "needs one width per output stage, at least one")
        if self.conv_dim % 32:
            raise FieldError("conv_dim", f"{self.conv_dim} is not a multiple of 32 (the GroupNorms of 32 groups)")
        for name, width in (("conv_dim", self.conv_dim), ("hidden_dim", self.hidden_dim)):
            if width % self.heads:
                raise FieldError("heads", f"{self.heads} heads do not divide {name} {width}")
        if self.text_mapper:
            heads = self.text_width // 64
            if not heads or self.text_width % heads:
                raise FieldError("text_width", f"{self.text_width} gives {heads} heads of 64 that do not divide it "
                                               "(the text encoder's nn.MultiheadAttention)")  # fmt: skip
        return self


def _group_norm(name: str, n: int) -> list[Block]:
    """A GroupNorm's scale and shift."""
    return [Parameter(name=f"{name}.weight", shape=(n,), component="norm"),
            Parameter(name=f"{name}.bias", shape=(n,), component="norm")]  # fmt: skip


def _mha(name: str, d: int) -> Module:
    """``nn.MultiheadAttention``: the fused ``in_proj`` (query, key, value) and ``out_proj``, with biases."""
    return Module(name=name, blocks=[
        Parameter(name="in_proj_weight", shape=(3 * d, d), component="attention"),
        Parameter(name="in_proj_bias", shape=(3 * d,), component="attention"),
        Linear(name="out_proj", in_features=d, out_features=d, component="attention")])  # fmt: skip


def _linears(name: str, widths: list[int], component: str = "head") -> Module:
    """``OneFormerMLPPredictionHead``: linear layers ``layers.<i>.0`` through the given widths."""
    return Module(name=f"{name}.layers", blocks=[
        Linear(name=f"{i}.0", in_features=n_in, out_features=n_out, component=component)
        for i, (n_in, n_out) in enumerate(zip(widths, widths[1:]))])  # fmt: skip


def _layers(name: str, count: int, blocks: list[Block]) -> list[Block]:
    """``count`` copies of a layer under ``<name>.<i>`` (none when ``count`` is 0)."""
    return [Repeat(name=name, count=count, blocks=blocks)] if count else []


def _ffn(d: int, width: int, up: str = "fc1", down: str = "fc2") -> list[Block]:
    """Two linear layers with biases: ``d`` to ``width`` and back."""
    return [Linear(name=up, in_features=d, out_features=width, component="feed_forward"),
            Linear(name=down, in_features=width, out_features=d, component="feed_forward")]  # fmt: skip


def _pixel_decoder(p: OneFormerParams) -> list[Block]:
    """``OneFormerPixelDecoder``: input projections, the deformable encoder, the mask projection, the FPN."""
    c = p.conv_dim
    blocks: list[Block] = [Parameter(name="level_embed", shape=(LEVELS, c), component="embedding")]
    for i, width in enumerate(p.output_widths[-LEVELS:][::-1]):
        blocks += [*conv2d(f"input_projections.{i}.0", width, c, 1, bias=True), *_group_norm(f"input_projections.{i}.1", c)]
    samples = p.heads * LEVELS * POINTS
    attention = Module(name="self_attn", blocks=[
        Linear(name="sampling_offsets", in_features=c, out_features=2 * samples, component="attention"),
        Linear(name="attention_weights", in_features=c, out_features=samples, component="attention"),
        Linear(name="value_proj", in_features=c, out_features=c, component="attention"),
        Linear(name="output_proj", in_features=c, out_features=c, component="attention")])  # fmt: skip
    layer = [attention, LayerNorm(name="self_attn_layer_norm", dim=c), *_ffn(c, p.encoder_ffn_dim),
             LayerNorm(name="final_layer_norm", dim=c)]  # fmt: skip
    blocks += [Module(name="encoder", blocks=_layers("layers", p.encoder_layers, layer)),
               *conv2d("mask_projection", c, p.mask_dim, 1, bias=True)]  # fmt: skip
    for i, width in enumerate(p.output_widths[: p.fpn_levels], start=1):
        blocks += [*conv2d(f"adapter_{i}.0", width, c, 1), *_group_norm(f"adapter_{i}.1", c),
                   *conv2d(f"layer_{i}.0", c, c, 3), *_group_norm(f"layer_{i}.1", c)]  # fmt: skip
    return blocks


def _transformer_decoder(p: OneFormerParams) -> list[Block]:
    """``OneFormerTransformerDecoder``: the query transformer, the decoder layers, the projection and the heads."""
    d = p.hidden_dim
    query_layer = [_mha("self_attn", d), _mha("multihead_attn", d), *_ffn(d, p.dim_feedforward, "linear1", "linear2"),
                   *(LayerNorm(name=f"norm{i}", dim=d) for i in (1, 2, 3))]  # fmt: skip
    self_attention = Module(name="self_attn", blocks=[
        Module(name="self_attn", blocks=[Linear(name=proj, in_features=d, out_features=d, component="attention")
                                         for proj in ("k_proj", "v_proj", "q_proj", "out_proj")]),
        LayerNorm(name="norm", dim=d)])  # fmt: skip
    layer = [Module(name="cross_attn", blocks=[_mha("multihead_attn", d), LayerNorm(name="norm", dim=d)]),
             self_attention,
             Module(name="ffn", blocks=[*_ffn(d, p.dim_feedforward, "linear1", "linear2"), LayerNorm(name="norm", dim=d)])]
    return [Module(name="query_transformer.decoder", blocks=[*_layers("layers", p.query_dec_layers, query_layer),
                                                             LayerNorm(name="norm", dim=d)]),
            LayerNorm(name="decoder_norm", dim=d), *_layers("layers", p.decoder_layers - 1, layer),
            *conv2d("query_input_projection", p.conv_dim, d, 1, bias=True),
            Linear(name="class_embed", in_features=d, out_features=p.n_labels + 1, component="head"),
            _linears("mask_embed", [d, d, d, p.mask_dim])]  # fmt: skip


def _text_mapper(p: OneFormerParams) -> Module:
    """``OneFormerTextMapper``: the text encoder, the projector and the learned context queries."""
    w = p.text_width
    layer = [_mha("self_attn", w), LayerNorm(name="layer_norm1", dim=w),
             Module(name="mlp", blocks=_ffn(w, 4 * w)), LayerNorm(name="layer_norm2", dim=w)]  # fmt: skip
    encoder = Module(name="text_encoder", blocks=[
        Module(name="transformer", blocks=_layers("layers", p.text_layers, layer)),
        Parameter(name="positional_embedding", shape=(p.text_context, w), component="embedding"),
        LayerNorm(name="ln_final", dim=w),
        Embedding(name="token_embedding", num_embeddings=p.text_vocab, embedding_dim=w, role="other")])  # fmt: skip
    blocks: list[Block] = [encoder, _linears("text_projector", [w] + [p.hidden_dim] * p.text_proj_layers, "other")]
    if p.text_n_ctx:
        blocks.append(Embedding(name="prompt_ctx", num_embeddings=p.text_n_ctx, embedding_dim=w, role="other"))
    return Module(name="text_mapper", blocks=blocks)


def build(p: OneFormerParams) -> Module:
    """The block tree of OneFormer's parts around its backbone (``OneFormerForUniversalSegmentation``)."""
    d = p.hidden_dim
    norms = [LayerNorm(name=f"stage{s}" if s else "stem", dim=w) for s, w in zip(p.out_stages, p.output_widths)]
    pixels = Module(name="pixel_level_module", blocks=[Module(name="encoder.hidden_states_norms", blocks=norms),
                                                       Module(name="decoder", blocks=_pixel_decoder(p))])  # fmt: skip
    transformer = Module(name="transformer_module", blocks=[
        Embedding(name="queries_embedder", num_embeddings=p.num_queries, embedding_dim=d, role="other"),
        Module(name="decoder", blocks=_transformer_decoder(p)),
        Embedding(name="level_embed", num_embeddings=LEVELS, embedding_dim=d, role="other")])  # fmt: skip
    model: list[Block] = [pixels, transformer, _linears("task_encoder.task_mlp", [p.task_seq_len, d, d], "other")]
    if p.text_mapper:
        model.append(_text_mapper(p))
    return Module(blocks=[Module(name="model", blocks=model),
                          Parameter(name="criterion.logit_scale", shape=(), component="other")])


@hookimpl
def register_families(register):
    """Register the ``oneformer`` family."""
    register(Family(name="oneformer", params=OneFormerParams, build=build,
                    description="OneFormer's stage norms, deformable pixel decoder, task-conditioned transformer "
                                "decoder, task MLP and text mapper (around a Swin backbone)"))
