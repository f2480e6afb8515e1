"""Encoder: BERT-like bidirectional transformers with independent switches (the ``encoder`` family).

One family for RoBERTa (XLM-RoBERTa, CamemBERT, Data2VecText; the pre-norm RoBERTa-PreLayerNorm and
XLM-RoBERTa-XL), DistilBERT, ALBERT, DeBERTa (v1, v2/v3), ModernBERT (and its causal ModernBERT-Decoder),
ELECTRA, BigBird, BertGeneration, MPNet, RoFormer, ERNIE (1.0-3.0), Megatron-BERT, RemBERT, RoCBert,
LayoutLM and Nomic BERT. What
differs between them is mostly data: ``layout`` only chooses the tensor names of that
implementation's Hugging Face classes (:data:`LAYOUTS`); the shapes come from switches
that any layout may use where its implementation has the piece:

* embeddings: ``embedding_size`` (factorised: a narrower table, then a projection to
  ``d_model``), ``n_positions`` (0: no learned position table, as DeBERTa without
  ``position_biased_input`` or ModernBERT's rotary positions), ``type_vocab_size`` (0: none),
  ``task_type_vocab_size`` (ERNIE's task type table; 0: none), RoCBert's pronunciation and shape
  tables (``pronunciation_vocab_size`` x ``pronunciation_embed_dim``, ``shape_vocab_size`` x
  ``shape_embed_dim``) and ``map_inputs_width`` (the projection of the tables concatenated);
* biases and norms: ``attention_bias``, ``mlp_bias``, ``norm_bias``, ``head_bias``,
  ``decoder_bias`` (ModernBERT has none of them by default; its layout also has pre-norm
  layers and a GLU feed-forward whose gate and up projections are one ``Wi``);
* ``qkv_bias`` (BigBird's ``use_bias``: biases on queries, keys and values; the output
  projection keeps its own); ``cross_attention`` (decoder layers built with
  ``add_cross_attention``: a ``crossattention`` block and its norm in every layer);
* cross-layer sharing (ALBERT): ``n_groups`` groups of ``inner_group_num`` layers, each
  group's tensors held once and used by its share of the ``n_layers`` layers;
* disentangled attention (DeBERTa): ``relative_positions`` rows of relative embeddings,
  ``rel_norm``, ``pos_key_proj`` / ``pos_query_proj`` (c2p / p2c without ``share_att_key``),
  ``conv_kernel_size`` / ``conv_groups`` (the convolution beside the first layer);
* ``positions_2d`` (LayoutLM): four more position tables (``x_``, ``y_``, ``h_``, ``w_position_embeddings``)
  of a token's bounding box;
* ``sinusoidal_table`` (RoFormer): the rows of the frozen sinusoidal table its rotary
  positions come from, head-dim wide, held by the encoder (a parameter, as transformers counts it);
* relative position bias (MPNet): ``relative_buckets`` rows of one bias per head, held once
  by the encoder and used by every layer;
* ``head_width`` (RemBERT): the MLM head's dense layer maps to this width, its norm and
  decoder take it (``output_embedding_size``);
* the class: ``head`` (none, the masked-LM head, the pre-training heads: ALBERT's
  sentence-order classifier of ``n_labels``, ELECTRA's discriminator; or the sequence-
  classification head of ``n_labels``: a hidden -> hidden dense where the layout has one (LayoutLM's
  reads the pooler), a norm where the layout has one, the projection to the labels) and ``pooler``.

MLM decoders are tied to the token embedding unless ``tie_word_embeddings`` is false.
Where the implementation holds the decoder bias on the head (``lm_head.bias``,
``predictions.bias``), the tied decoder's bias is that tensor, counted once (as for the
``bert`` family); untied, the decoder has a weight and bias of its own and the head's
bias stays beside it, as transformers builds it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.plugins.checkpoint_names import BERT_NAMES
from registry.blocks import (
    Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat, Shared,
)  # fmt: skip
from registry.plugins.common import FamilyParams, check_heads
from registry.plugins.encoder_layouts import CROSS_ATTENTION, LAYOUTS, Layout, LayoutName


class EncoderParams(FamilyParams):
    """Hyper-parameters of the ``encoder`` family."""

    layout: LayoutName = Field("roberta", description="tensor names of which implementation (see the family's doc)")
    head: Literal["none", "mlm", "pretraining", "classifier", "transformation"] = Field(
        "mlm", description="none (the bare model), the masked-LM head, the pre-training heads (ALBERT, ELECTRA), "
        "the sequence-classification head (...ForSequenceClassification), or AltCLIP's text head (a norm "
        "pre_LN and a linear transformation to project_dim)"
    )
    pooler: bool = Field(False, description="the pooler of the bare model (RobertaModel, AlbertModel)")
    vocab_size: PositiveInt = Field(50265, description="token vocabulary")
    d_model: PositiveInt = Field(768, description="hidden size")
    n_layers: PositiveInt = Field(12, description="encoder layers (applications of a layer, with sharing)")
    n_heads: PositiveInt = Field(12, description="attention heads")
    d_ff: PositiveInt = Field(3072, description="intermediate size")
    embedding_size: PositiveInt | None = Field(None, description="width of the embedding tables (default d_model)")
    n_positions: NonNegativeInt = Field(512, description="learned position embedding rows (0: none)")
    type_vocab_size: NonNegativeInt = Field(1, description="segment (token type) embedding rows (0: none)")
    attention_bias: bool = Field(True, description="biases on the attention projections")
    mlp_bias: bool = Field(True, description="biases on the feed-forward projections")
    norm_bias: bool = Field(True, description="a shift in every layer norm")
    head_bias: bool = Field(True, description="bias on the MLM head's dense layer")
    decoder_bias: bool = Field(True, description="bias on the MLM decoder")
    tie_word_embeddings: bool = Field(True, description="the MLM decoder shares the token embedding")
    n_groups: PositiveInt = Field(1, description="ALBERT: groups of shared layers")
    inner_group_num: PositiveInt = Field(1, description="ALBERT: layers in one group")
    relative_positions: NonNegativeInt = Field(0, description="DeBERTa: relative embedding rows (0: none)")
    rel_norm: bool = Field(False, description="DeBERTa: a layer norm on the relative embeddings")
    pos_key_proj: bool = Field(False, description="DeBERTa: a key projection of the relative embeddings (c2p)")
    pos_query_proj: bool = Field(False, description="DeBERTa: a query projection of the relative embeddings (p2c)")
    conv_kernel_size: NonNegativeInt = Field(0, description="DeBERTa: width of the convolution (0: none)")
    conv_groups: PositiveInt = Field(1, description="DeBERTa: groups of the convolution")
    legacy_head: bool = Field(True, description="DeBERTa: the legacy MLM head (transform and decoder)")
    n_labels: PositiveInt = Field(
        2, description="outputs of the classifier: ALBERT's sentence-order classes, or the sequence-classification labels"
    )
    qkv_bias: bool = Field(True, description="BigBird: biases on the query, key and value projections")
    cross_attention: bool = Field(False, description="decoder layers: a cross-attention and its norm in every layer")
    sinusoidal_table: NonNegativeInt = Field(
        0, description="RoFormer: rows of the frozen sinusoidal position table (head-dim wide; a parameter; 0: none)"
    )
    relative_buckets: NonNegativeInt = Field(
        0, description="MPNet: buckets of the relative position bias shared by every layer (one per head; 0: none)"
    )
    task_type_vocab_size: NonNegativeInt = Field(
        0, description="ERNIE: task type embedding rows (use_task_id; 0: none)"
    )
    head_width: PositiveInt | None = Field(
        None, description="RemBERT: width the MLM head maps to before its decoder (output_embedding_size)"
    )
    pronunciation_vocab_size: NonNegativeInt = Field(0, description="RoCBert: pronunciation table rows (0: none)")
    pronunciation_embed_dim: NonNegativeInt = Field(0, description="RoCBert: pronunciation table width")
    shape_vocab_size: NonNegativeInt = Field(0, description="RoCBert: shape table rows (0: none)")
    shape_embed_dim: NonNegativeInt = Field(0, description="RoCBert: shape table width")
    map_inputs_width: NonNegativeInt = Field(
        0, description="RoCBert: input width of map_inputs_layer, the projection of the tables concatenated (0: none)"
    )
    positions_2d: NonNegativeInt = Field(
        0, description="LayoutLM: rows of each of the four 2-D position tables of a token's box (x, y, h, w; 0: none)"
    )
    adapters: list[str] = Field(
        default_factory=list, description="X-MOD: the languages of the bottleneck adapters in every layer (none: no adapters)"
    )
    adapter_dim: NonNegativeInt = Field(0, description="X-MOD: the adapters' bottleneck width")
    adapter_norm: bool = Field(False, description="X-MOD: a layer norm of its own before the adapters")
    project_dim: PositiveInt = Field(768, description="AltCLIP: outputs of the text head's transformation "
                                     "(head = transformation)")

    @model_validator(mode="after")
    def _check(self) -> EncoderParams:
        check_heads(self.d_model, self.n_heads, None)
        layout = LAYOUTS[self.layout]
        for name in layout.refused(self):
            raise FieldError(name, f"the {self.layout} layout has no such part (keep the default)")
        if (self.head == "transformation") != (self.layout == "altclip") and self.head != "none":
            raise FieldError("head", f"the {self.layout} layout has no such head (transformation: altclip only)")
        if self.adapters and not self.adapter_dim:
            raise FieldError("adapter_dim", "the adapters need a bottleneck width of 1 or more")
        if len(set(self.adapters)) != len(self.adapters) or any("." in a or not a for a in self.adapters):
            raise FieldError("adapters", "each language once, a name without '.' (a module name)")
        if self.conv_kernel_size and self.d_model % self.conv_groups:
            raise FieldError("conv_groups", f"conv_groups ({self.conv_groups}) must divide d_model ({self.d_model})")
        return self

    @property
    def width(self) -> int:
        """Width of the embedding tables."""
        return self.embedding_size or self.d_model


def _linear(name: str, n_in: int, n_out: int, bias: bool = True, component: str = "other", **kw) -> Linear:
    return Linear(name=name, in_features=n_in, out_features=n_out, bias=bias, component=component, **kw)


def _layer(p: EncoderParams, lay: Layout, first: bool) -> list:
    """The blocks of one layer, named as the layout names them (``first``: the first layer)."""
    d = p.d_model
    qkv_bias = p.attention_bias and p.qkv_bias
    attention: list = [Attention(d_model=d, n_heads=p.n_heads, bias=qkv_bias and not lay.qv_bias[0],
                                 out_bias=p.attention_bias, fused_qkv=lay.fused_qkv, names=lay.attn)
                       ] if lay.attention else []  # FNet: Fourier mixing, no tensors  # fmt: skip
    attention += [_linear(name, d, d, component="attention") for name in lay.global_attn]  # Longformer
    if qkv_bias and lay.qv_bias[0]:  # DeBERTa v1: query and value biases apart, none on the keys
        attention += [Parameter(name=name, shape=(d,), component="attention") for name in lay.qv_bias]
    for on, name, bias in ((p.pos_key_proj, lay.pos_key, lay.pos_key_bias), (p.pos_query_proj, lay.pos_query, True)):
        if on:  # DeBERTa's projections of the relative embeddings
            attention.append(_linear(name, d, d, bias=bias, component="attention"))
    ff = FeedForward(d_model=d, d_ff=p.d_ff, bias=p.mlp_bias, gated=lay.glu, fused_gate_up="gate_up" in lay.ff,
                     names=lay.ff)  # fmt: skip
    attn_norm = LayerNorm(name=lay.attn_norm, dim=d, bias=p.norm_bias)
    ff_norm = LayerNorm(name=lay.ff_norm, dim=d, bias=p.norm_bias)
    if lay.pre_norm:  # the first layer's attention takes the normalised embeddings as they are
        return [*([] if first else [attn_norm]), *attention, ff_norm, ff]
    cross = []
    if p.cross_attention:
        cross = [Attention(name="", d_model=d, n_heads=p.n_heads, bias=p.attention_bias and p.qkv_bias,
                           out_bias=p.attention_bias, names=CROSS_ATTENTION),
                 LayerNorm(name=lay.cross_norm, dim=d)]  # fmt: skip
    if lay.norm_first:  # each norm before the block it feeds
        return [attn_norm, *attention, *(cross[::-1]), ff_norm, ff]
    return [*attention, attn_norm, *cross, ff, ff_norm, *_adapters(p)]


def _adapters(p: EncoderParams) -> list:
    """X-MOD: a bottleneck adapter per language in the layer's output, and the norm before them when asked (even
    with no language: ``XmodOutput`` builds ``adapter_layer_norm`` from ``adapter_layer_norm`` alone)."""
    d, width = p.d_model, p.adapter_dim
    blocks: list = [LayerNorm(name="adapter_layer_norm", dim=d)] if p.adapter_norm else []
    if not blocks and not p.adapters:
        return []
    blocks += [Module(name=f"adapter_modules.{language}", blocks=[
        _linear("dense1", d, width, component="feed_forward"), _linear("dense2", width, d, component="feed_forward")])
        for language in p.adapters]  # fmt: skip
    return [Module(name="output", blocks=blocks)]


def _layers(p: EncoderParams, lay: Layout) -> list:
    """The layer stack: a repeat, the first layer apart (pre-norm), or ALBERT's shared groups."""
    if lay.shared:
        uses = [0] * p.n_groups
        for i in range(p.n_layers):  # transformers' own arithmetic (AlbertTransformer.forward)
            uses[int(i / (p.n_layers / p.n_groups))] += 1
        body = [Repeat(name=lay.inner, count=p.inner_group_num, blocks=_layer(p, lay, False))]
        return [Module(name=lay.layers, blocks=[Shared(name=str(g), uses=u, blocks=body) for g, u in enumerate(uses)])]
    if lay.pre_norm:
        runs = [Repeat(name=lay.layers, count=1, blocks=_layer(p, lay, True))]
        if p.n_layers > 1:
            runs.append(Repeat(name=lay.layers, count=p.n_layers - 1, start=1, blocks=_layer(p, lay, False)))
        return runs
    return [Repeat(name=lay.layers, count=p.n_layers, blocks=_layer(p, lay, False))]


def _base(p: EncoderParams, lay: Layout) -> list:
    """The bare model: embeddings, projection, layers and what the encoder holds beside them."""
    d, e = p.d_model, p.width
    embeddings: list = [Embedding(name=lay.word, num_embeddings=p.vocab_size, embedding_dim=e, role="token")]
    if p.n_positions:
        embeddings.append(Embedding(name="position_embeddings", num_embeddings=p.n_positions, embedding_dim=e, role="position"))
    for axis in "xyhw" if p.positions_2d else "":  # LayoutLM: the box's corners (x, y) and its height and width
        embeddings.append(Embedding(name=f"{axis}_position_embeddings", num_embeddings=p.positions_2d, embedding_dim=e,
                                    role="position"))  # fmt: skip
    if p.type_vocab_size:
        embeddings.append(Embedding(name="token_type_embeddings", num_embeddings=p.type_vocab_size, embedding_dim=e, role="segment"))
    for name, rows, width in (("pronunciation_embed", p.pronunciation_vocab_size, p.pronunciation_embed_dim),
                              ("shape_embed", p.shape_vocab_size, p.shape_embed_dim)):  # fmt: skip
        if rows and width:  # RoCBert's tables of pronunciation and shape ids (none of zero size: no parameters)
            embeddings.append(Embedding(name=name, num_embeddings=rows, embedding_dim=width, role="other"))
    if p.map_inputs_width:
        embeddings.append(_linear("map_inputs_layer", p.map_inputs_width, d, component="embedding"))
    if p.task_type_vocab_size:
        embeddings.append(Embedding(name="task_type_embeddings", num_embeddings=p.task_type_vocab_size,
                                    embedding_dim=e, role="segment"))  # fmt: skip
    projection = [_linear(lay.project, e, d, bias=lay.project_bias, component="embedding")] if e != d or lay.always_project else []
    if lay.project_at == "embeddings":
        embeddings += projection
    if lay.embedding_norm:
        embeddings.append(LayerNorm(name=lay.embedding_norm, dim=d if lay.norm_after_project else e, bias=p.norm_bias))
    blocks: list = [Module(name="embeddings", blocks=embeddings)]
    if lay.project_at == "model":
        blocks += projection
    encoder = [*(projection if lay.project_at == "encoder" else []), *_layers(p, lay)]
    if p.relative_positions:
        encoder.append(Embedding(name="rel_embeddings", num_embeddings=p.relative_positions, embedding_dim=d, role="other"))
    if p.sinusoidal_table:  # an nn.Embedding built frozen: a parameter all the same
        encoder.insert(0, Embedding(name="embed_positions", num_embeddings=p.sinusoidal_table,
                                    embedding_dim=d // p.n_heads, role="position"))  # fmt: skip
    if p.relative_buckets:
        encoder.append(Embedding(name="relative_attention_bias", num_embeddings=p.relative_buckets,
                                 embedding_dim=p.n_heads, role="other"))  # fmt: skip
    if p.rel_norm:
        encoder.append(LayerNorm(name="LayerNorm", dim=d))
    if p.conv_kernel_size:
        encoder.append(Module(name="conv", blocks=[
            Parameter(name="conv.weight", shape=(d, d // p.conv_groups, p.conv_kernel_size)),
            Parameter(name="conv.bias", shape=(d,)),
            LayerNorm(name="LayerNorm", dim=d),
        ]))  # fmt: skip
    blocks.append(Module(name=lay.encoder, blocks=encoder))
    if lay.final_norm:
        blocks.append(LayerNorm(name=lay.final_norm, dim=d, bias=p.norm_bias))
    if p.pooler:
        blocks.append(_linear(lay.pooler, d, d, component="head"))
    return blocks


def _decoder(p: EncoderParams, lay: Layout, n_in: int, prefix: str) -> list:
    """The MLM decoder: tied to the token embedding (its bias on the head, where the layout has one), or not."""
    tied = f"{prefix}.embeddings.{lay.word}.weight"
    if not p.tie_word_embeddings:
        own = [Parameter(name=lay.head_bias, shape=(p.vocab_size,), component="head")] if lay.head_bias else []
        return [*own, _linear(lay.decoder, n_in, p.vocab_size, bias=p.decoder_bias, component="head")]
    if lay.head_bias:
        return [_linear(lay.decoder, n_in, p.vocab_size, component="head", tied_to=tied, bias_name=lay.head_bias)]
    return [_linear(lay.decoder, n_in, p.vocab_size, bias=p.decoder_bias, component="head", tied_to=tied)]


def _mlm_head(p: EncoderParams, lay: Layout, prefix: str) -> list:
    """The masked-LM head: a transform (to the embedding width where the layout says so), a norm, the decoder."""
    d = p.d_model
    if "legacy_head" in lay.switches and not p.legacy_head:  # DeBERTa: logits from the token embedding itself
        return [
            _linear("lm_predictions.lm_head.dense", d, d, component="head"),
            LayerNorm(name="lm_predictions.lm_head.LayerNorm", dim=d),
            Parameter(name="lm_predictions.lm_head.bias", shape=(p.vocab_size,), component="head"),
        ]
    n_out = p.head_width or (p.width if lay.head_to_embedding else d)
    if not lay.head_transform:
        return _decoder(p, lay, n_out, prefix)
    return [
        _linear(lay.head_dense, d, n_out, bias=p.head_bias, component="head"),
        LayerNorm(name=lay.head_norm, dim=n_out, bias=p.norm_bias),
        *_decoder(p, lay, n_out, prefix),
    ]


def build(p: EncoderParams) -> Module:
    """The block tree of an encoder model."""
    lay = LAYOUTS[p.layout]
    if p.head == "none":
        return Module(blocks=_base(p, lay))
    blocks: list = [Module(name=lay.prefix, blocks=_base(p, lay))]
    if p.head == "transformation":  # AltCLIPTextModel: the sequence normed (pre_LN), then projected
        return Module(blocks=[*blocks, _linear("transformation", p.d_model, p.project_dim, component="head"),
                              LayerNorm(name="pre_LN", dim=p.d_model)])  # fmt: skip
    if p.head == "classifier":
        d = p.d_model
        if lay.cls_dense:
            blocks.append(_linear(lay.cls_dense, d, d, bias=p.head_bias, component="head"))
        if lay.cls_norm:
            blocks.append(LayerNorm(name=lay.cls_norm, dim=d, bias=p.norm_bias))
        blocks.append(_linear(lay.cls_out, d, p.n_labels, component="head"))
        return Module(blocks=blocks)
    if p.head == "pretraining" and lay.discriminator:
        blocks += [
            _linear(f"{lay.discriminator}.dense", p.d_model, p.d_model, component="head"),
            _linear(f"{lay.discriminator}.dense_prediction", p.d_model, 1, component="head"),
        ]
        return Module(blocks=blocks)
    blocks += _mlm_head(p, lay, lay.prefix)
    if p.head == "pretraining":
        blocks.append(_linear(lay.order_classifier, p.d_model, p.n_labels, component="head"))
    return Module(blocks=blocks)


@hookimpl
def register_families(register):
    """Register the ``encoder`` family."""
    register(Family(name="encoder", params=EncoderParams, build=build,
                    description="BERT-like encoders: RoBERTa (XLM-R), DistilBERT, ALBERT, DeBERTa-v2, ModernBERT, ELECTRA, BigBird",
                    checkpoint_names=BERT_NAMES))  # fmt: skip
