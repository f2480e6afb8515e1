"""DAB-DETR: DETR with dynamic anchor boxes as queries (the ``dab_detr`` family).

Follows ``modeling_dab_detr.py`` of transformers 5.25 (``DabDetrForObjectDetection``). The backbone is a timm
ResNet that transformers' ``TimmBackbone`` wraps (``model.backbone.conv_encoder.model._backbone``: timm's names,
bias-free convolutions, every batch norm frozen into buffers, so no norm of the backbone is a parameter).

* ``model.query_refpoint_embeddings``: ``num_queries`` anchors of ``query_dim`` (4) numbers; ``model.patterns``
  (``num_patterns`` rows of ``d_model``) when ``num_patterns > 0``;
* ``model.input_projection``: a 1 × 1 convolution (with bias) from the backbone's last width to ``d_model``;
* ``model.encoder``: ``query_scale`` (an MLP of two linear layers, ``d_model`` wide), then ``encoder_layers``
  post-norm layers: self-attention (``k_proj``, ``v_proj``, ``q_proj``, ``out_proj``, with biases), a norm, a
  feed-forward (``fc1``, ``fc2``), a norm; a final ``norm`` with ``normalize_before``;
* ``model.decoder.layers.<i>``: ``self_attn`` (five projections ``self_attn_{query,key}_{content,pos}_proj`` and
  ``self_attn_value_proj``, an output projection ``self_attn.output_proj``, a norm), ``cross_attn`` (the same
  five, ``cross_attn_query_pos_sine_proj``, ``cross_attn.output_proj`` and a norm; ``cross_attn_query_pos_proj``
  in the first layer only unless ``keep_query_pos``), ``mlp`` (``fc1``, ``fc2``, ``final_layer_norm``);
  then ``layernorm``, ``query_scale`` and ``ref_anchor_head`` (two-layer MLPs, the latter to 2), ``ref_point_head``
  (``query_dim / 2 × d_model`` in), and ``bbox_embed`` (three layers to 4), the same module as the root's
  ``bbox_predictor`` when ``tie_word_embeddings`` (``_tied_weights_keys``), else a copy of its own;
* ``class_embed``: ``d_model`` to ``n_labels`` (no "no object" class).

An activation with learned scalars (``activation_function`` ``prelu``: ``activation_fn.weight``; ``xielu``) adds
them to each encoder layer and each decoder layer's ``mlp``.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d
from registry.plugins.detr import TIMM_RESNETS, tied_heads, timm_resnet
from registry.plugins.llama import ACTIVATION_PARAMS


class DabDetrParams(FamilyParams):
    """Hyper-parameters of the ``dab_detr`` family."""

    d_model: PositiveInt = Field(256, description="the transformer's width (hidden_size)")
    encoder_layers: NonNegativeInt = Field(6, description="encoder layers")
    decoder_layers: NonNegativeInt = Field(6, description="decoder layers")
    encoder_ffn_dim: PositiveInt = Field(2048, description="the encoder's feed-forward width")
    decoder_ffn_dim: PositiveInt = Field(2048, description="the decoder's feed-forward width")
    encoder_heads: PositiveInt = Field(8, description="the encoder's attention heads")
    decoder_heads: PositiveInt = Field(8, description="the decoder's attention heads")
    num_queries: PositiveInt = Field(300, description="object queries (anchor boxes)")
    query_dim: PositiveInt = Field(4, description="numbers per anchor box")
    num_patterns: NonNegativeInt = Field(0, description="pattern embeddings (0: none)")
    n_labels: PositiveInt = Field(91, description="object classes")
    keep_query_pos: bool = Field(False, description="every decoder layer projects the query position for "
                                 "cross-attention (else the first only)")
    normalize_before: bool = Field(False, description="a final norm after the encoder")
    activation: str = Field("prelu", description="the feed-forwards' activation (prelu and xielu have parameters)")
    tied_heads: bool = Field(True, description="the decoder's bbox_embed is the root's bbox_predictor")
    timm_backbone: str = Field("resnet50", description="the timm ResNet built as the backbone")
    n_channels: PositiveInt = Field(3, description="image channels")

    @model_validator(mode="after")
    def _check(self) -> DabDetrParams:
        for heads, side in ((self.encoder_heads, "encoder"), (self.decoder_heads, "decoder")):
            if self.d_model % heads:
                raise FieldError(f"{side}_heads", f"{heads} heads do not divide d_model {self.d_model}")
        if self.timm_backbone not in TIMM_RESNETS:
            raise FieldError("timm_backbone", f"{self.timm_backbone!r} is not a timm ResNet registry maps "
                                              f"(one of {', '.join(TIMM_RESNETS)})")  # fmt: skip
        return self


def _mlp(name: str, sizes: tuple[int, ...], component: str = "other") -> Module:
    """``DabDetrMLP``: linear layers ``layers.<i>`` with biases through ``sizes`` (input first)."""
    return Module(name=f"{name}.layers", blocks=[
        Linear(name=str(i), in_features=n_in, out_features=n_out, component=component)
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))])  # fmt: skip


def _activation(p: DabDetrParams) -> list[Block]:
    """The activation's learned scalars (``activation_fn.<name>``), if it has any."""
    return [Parameter(name=f"activation_fn.{a}", shape=(1,), component="feed_forward")
            for a in ACTIVATION_PARAMS.get(p.activation, ())]  # fmt: skip


def _feed_forward(d: int, width: int) -> list[Block]:
    """``fc1`` and ``fc2`` with biases."""
    return [Linear(name="fc1", in_features=d, out_features=width, component="feed_forward"),
            Linear(name="fc2", in_features=width, out_features=d, component="feed_forward")]


def _encoder(p: DabDetrParams) -> Module:
    """The encoder: ``query_scale``, its layers, the ``normalize_before`` norm."""
    d = p.d_model
    attention = Module(name="self_attn", blocks=[Linear(name=proj, in_features=d, out_features=d, component="attention")
                                                 for proj in ("k_proj", "v_proj", "q_proj", "out_proj")])
    layer = [attention, LayerNorm(name="self_attn_layer_norm", dim=d), *_activation(p),
             *_feed_forward(d, p.encoder_ffn_dim), LayerNorm(name="final_layer_norm", dim=d)]
    blocks: list[Block] = [_mlp("query_scale", (d, d, d))]
    if p.encoder_layers:
        blocks.append(Repeat(name="layers", count=p.encoder_layers, blocks=layer))
    if p.normalize_before:
        blocks.append(LayerNorm(name="norm", dim=d))
    return Module(name="encoder", blocks=blocks)


def _decoder_layer(p: DabDetrParams, query_pos: bool) -> list[Block]:
    """One decoder layer (``query_pos``: with ``cross_attn_query_pos_proj``)."""
    d = p.d_model

    def projections(side: str, names: tuple[str, ...]) -> list[Block]:
        return [Linear(name=f"{side}_{n}_proj", in_features=d, out_features=d, component="attention") for n in names]

    self_attn = [*projections("self_attn", ("query_content", "query_pos", "key_content", "key_pos", "value")),
                 Linear(name="self_attn.output_proj", in_features=d, out_features=d, component="attention"),
                 LayerNorm(name="self_attn_layer_norm", dim=d)]  # fmt: skip
    cross = ("query_content", *(("query_pos",) if query_pos else ()), "key_content", "key_pos", "value",
             "query_pos_sine")
    cross_attn = [*projections("cross_attn", cross), LayerNorm(name="cross_attn_layer_norm", dim=d),
                  Linear(name="cross_attn.output_proj", in_features=d, out_features=d, component="attention")]
    mlp = [LayerNorm(name="final_layer_norm", dim=d), *_feed_forward(d, p.decoder_ffn_dim), *_activation(p)]
    return [Module(name="self_attn", blocks=self_attn), Module(name="cross_attn", blocks=cross_attn),
            Module(name="mlp", blocks=mlp)]


def _decoder(p: DabDetrParams) -> list[Block]:
    """The decoder's layers and heads (its ``bbox_embed`` tied or not), as blocks under ``model``."""
    d = p.d_model
    layers: list[Block] = []
    if p.keep_query_pos and p.decoder_layers:
        layers.append(Repeat(name="layers", count=p.decoder_layers, blocks=_decoder_layer(p, True)))
    elif p.decoder_layers:
        rest = [Repeat(name="", count=p.decoder_layers - 1, start=1, blocks=_decoder_layer(p, False))]
        layers.append(Module(name="layers", blocks=[Module(name="0", blocks=_decoder_layer(p, True)),
                                                    *(rest if p.decoder_layers > 1 else [])]))
    layers += [LayerNorm(name="layernorm", dim=d), _mlp("query_scale", (d, d, d)),
               _mlp("ref_point_head", (p.query_dim // 2 * d, d, d)), _mlp("ref_anchor_head", (d, d, 2))]
    return [Module(name="decoder", blocks=layers)]


def _box_mlp(name: str, p: DabDetrParams) -> Module:
    """The box MLP (``d_model``, ``d_model``, 4)."""
    return _mlp(name, (p.d_model, p.d_model, p.d_model, 4), "head")


def build(p: DabDetrParams) -> Module:
    """The block tree of ``DabDetrForObjectDetection`` (its timm backbone included)."""
    d = p.d_model
    model: list[Block] = [
        Module(name="backbone.conv_encoder.model._backbone", blocks=timm_resnet(p.timm_backbone, p.n_channels)),
        Embedding(name="query_refpoint_embeddings", num_embeddings=p.num_queries, embedding_dim=p.query_dim,
                  role="other"),
        *conv2d("input_projection", 512 * (4 if TIMM_RESNETS[p.timm_backbone][0] == "bottleneck" else 1), d, 1,
                bias=True),
        _encoder(p), *_decoder(p)]  # fmt: skip
    if p.num_patterns:
        model.append(Embedding(name="patterns", num_embeddings=p.num_patterns, embedding_dim=d, role="other"))
    root: list[Block] = [Linear(name="class_embed", in_features=d, out_features=p.n_labels, component="head")]
    if p.tied_heads:
        model += tied_heads("decoder.bbox_embed", 2, [Module(name="layers", blocks=_box_mlp("", p).blocks)])
    else:
        model.append(_box_mlp("decoder.bbox_embed", p))
        root.append(_box_mlp("bbox_predictor", p))
    return Module(blocks=[Module(name="model", blocks=model), *root])


@hookimpl
def register_families(register):
    """Register the ``dab_detr`` family."""
    register(Family(name="dab_detr", params=DabDetrParams, build=build,
                    description="DAB-DETR: a timm ResNet, a DETR encoder-decoder with anchor-box queries, box heads",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
