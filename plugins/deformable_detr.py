"""Deformable DETR: a backbone's feature maps at several scales, multi-scale deformable attention, box heads
(the ``deformable_detr`` family).

Follows ``modeling_deformable_detr.py`` of transformers 5.25. The backbone is a part of its own (a transformers
ResNet) or a timm ResNet built here, as :mod:`registry.plugins.detr` builds it. Under ``model``:

* ``level_embed``: ``num_feature_levels`` rows of ``d_model``;
* ``input_proj.<i>``: per backbone feature map a 1 × 1 convolution (with bias) to ``d_model`` and a group norm
  (``.1``: 32 groups, a scale and a shift); each further level (``num_feature_levels`` beyond the maps) a 3 × 3
  convolution of stride 2 from the width before;
* ``query_position_embeddings`` (``num_queries`` rows of ``2 d_model``) and ``reference_points``
  (``d_model`` to 2), or with ``two_stage`` ``enc_output`` (``d_model``), ``enc_output_norm``, ``pos_trans``
  (``2 d_model``), ``pos_trans_norm``;
* ``encoder.layers.<i>``: multi-scale deformable self-attention (``sampling_offsets`` to heads × levels × points
  × 2, ``attention_weights`` to heads × levels × points, ``value_proj``, ``output_proj``), a feed-forward
  (``mlp.fc1``/``fc2``), two layer norms;
* ``decoder.layers.<i>``: self-attention (``k_proj``, ``v_proj``, ``q_proj``, ``o_proj``), deformable
  cross-attention (``encoder_attn``), a feed-forward, three layer norms.

The heads: a class layer (``d_model`` to ``n_labels``) and a box MLP (``d_model``, ``d_model``, 4) per decoder
layer (one more with ``two_stage``). With ``tied_heads`` (the config's ``tie_word_embeddings``) the copies share
one tensor: ``class_embed.0``, ``bbox_embed.0``; with ``with_box_refine`` the box heads are the decoder's own
(``model.decoder.bbox_embed.<i>``, one each), with ``two_stage`` the class heads too. Untied, every copy is its
own and the decoder's refine heads are further copies.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv2d
from registry.plugins.detr import TIMM_RESNETS, tied_heads, timm_resnet


class DeformableDetrParams(FamilyParams):
    """Hyper-parameters of the ``deformable_detr`` family."""

    d_model: PositiveInt = Field(256, description="the transformer's width")
    encoder_layers: NonNegativeInt = Field(6, description="encoder layers")
    decoder_layers: PositiveInt = Field(6, description="decoder layers")
    encoder_ffn_dim: PositiveInt = Field(1024, description="the encoder's feed-forward width")
    decoder_ffn_dim: PositiveInt = Field(1024, description="the decoder's feed-forward width")
    encoder_heads: PositiveInt = Field(8, description="the encoder's attention heads")
    decoder_heads: PositiveInt = Field(8, description="the decoder's attention heads")
    encoder_points: PositiveInt = Field(4, description="sampling points per head and level (encoder)")
    decoder_points: PositiveInt = Field(4, description="sampling points per head and level (decoder)")
    num_feature_levels: PositiveInt = Field(4, description="feature levels attended to")
    num_queries: PositiveInt = Field(300, description="object queries")
    n_labels: PositiveInt = Field(91, description="object classes")
    two_stage: bool = Field(False, description="proposals from the encoder (enc_output, pos_trans)")
    with_box_refine: bool = Field(False, description="the decoder refines boxes with its own box heads")
    tied_heads: bool = Field(True, description="the heads' copies share one tensor (tie_word_embeddings)")
    learned_positions: bool = Field(False, description="learned row and column position embeddings (else sine)")
    backbone_channels: list[PositiveInt] = Field([512, 1024, 2048], description="the widths of the backbone's "
                                                 "feature maps")
    timm_backbone: str = Field("", description="a timm ResNet built here (resnet50, ...); empty: a backbone part")

    @model_validator(mode="after")
    def _check(self) -> DeformableDetrParams:
        for heads, side in ((self.encoder_heads, "encoder"), (self.decoder_heads, "decoder")):
            if self.d_model % heads:
                raise FieldError(f"{side}_heads", f"{heads} heads do not divide d_model {self.d_model}")
        if self.d_model % 32:
            raise FieldError("d_model", f"must be a multiple of 32 (input_proj's group norms; got {self.d_model})")
        if not self.backbone_channels:
            raise FieldError("backbone_channels", "needs at least one feature map")
        if self.two_stage and not self.with_box_refine:
            raise FieldError("two_stage", "needs with_box_refine (DeformableDetrConfig refuses it without)")
        if self.timm_backbone and self.timm_backbone not in TIMM_RESNETS:
            raise FieldError("timm_backbone", f"{self.timm_backbone!r} is not a timm ResNet registry maps")
        return self


def _input_projections(p: DeformableDetrParams) -> list[Block]:
    """``input_proj.<i>``: a convolution and a group norm per level."""
    if p.num_feature_levels == 1:
        sources = [(p.backbone_channels[-1], 1)]
    else:
        sources = [(c, 1) for c in p.backbone_channels]
        previous = p.backbone_channels[-1]
        for _ in range(p.num_feature_levels - len(p.backbone_channels)):
            sources.append((previous, 3))
            previous = p.d_model
    return [Module(name=str(i), blocks=[*conv2d("0", n_in, p.d_model, kernel, bias=True),
                                        LayerNorm(name="1", dim=p.d_model)])
            for i, (n_in, kernel) in enumerate(sources)]  # fmt: skip


def _deformable(p: DeformableDetrParams, name: str, heads: int, points: int) -> Module:
    """Multi-scale deformable attention: offsets and weights per head, level and point; value and output."""
    samples = heads * p.num_feature_levels * points
    d = p.d_model
    return Module(name=name, blocks=[
        Linear(name="sampling_offsets", in_features=d, out_features=samples * 2, component="attention"),
        Linear(name="attention_weights", in_features=d, out_features=samples, component="attention"),
        Linear(name="value_proj", in_features=d, out_features=d, component="attention"),
        Linear(name="output_proj", in_features=d, out_features=d, component="attention")])  # fmt: skip


def _feed_forward(p: DeformableDetrParams, width: int) -> Module:
    """``mlp.fc1`` and ``mlp.fc2``."""
    return Module(name="mlp", blocks=[Linear(name="fc1", in_features=p.d_model, out_features=width, component="feed_forward"),
                                      Linear(name="fc2", in_features=width, out_features=p.d_model, component="feed_forward")])


def _layers(p: DeformableDetrParams) -> list[Block]:
    """The encoder and the decoder."""
    d = p.d_model
    encoder = [_deformable(p, "self_attn", p.encoder_heads, p.encoder_points), LayerNorm(name="self_attn_layer_norm", dim=d),
               _feed_forward(p, p.encoder_ffn_dim), LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    attention = Module(name="self_attn", blocks=[Linear(name=proj, in_features=d, out_features=d, component="attention")
                                                 for proj in ("k_proj", "v_proj", "q_proj", "o_proj")])  # fmt: skip
    decoder = [attention, LayerNorm(name="self_attn_layer_norm", dim=d),
               _deformable(p, "encoder_attn", p.decoder_heads, p.decoder_points),
               LayerNorm(name="encoder_attn_layer_norm", dim=d),
               _feed_forward(p, p.decoder_ffn_dim), LayerNorm(name="final_layer_norm", dim=d)]  # fmt: skip
    return [Module(name="encoder", blocks=[Repeat(name="layers", count=p.encoder_layers, blocks=encoder)]
                   if p.encoder_layers else []),
            Module(name="decoder.layers", blocks=[Repeat(name="", count=p.decoder_layers, blocks=decoder)])]


def _head(p: DeformableDetrParams, box: bool) -> list[Block]:
    """One class layer (``d_model`` to ``n_labels``) or box MLP (``layers.0`` to ``.2``: ``d_model``, ``d_model``, 4)."""
    d = p.d_model
    if not box:
        return [Linear(name="", in_features=d, out_features=p.n_labels, component="head")]
    return [Module(name="layers", blocks=[Linear(name=str(i), in_features=d, out_features=out, component="head")
                                          for i, out in enumerate((d, d, 4))])]  # fmt: skip


def _heads(p: DeformableDetrParams, box: bool, own: bool) -> tuple[list[Block], list[Block]]:
    """The class (or box) heads, as (blocks under ``model``, blocks at the root): tied copies are one tensor
    used at each copy (``tied_heads``: :class:`~registry.blocks.Shared`), the root's copies of the decoder's own heads too."""
    kind = "bbox_embed" if box else "class_embed"
    n = p.decoder_layers + 1 if p.two_stage else p.decoder_layers
    heads = Repeat(name="", count=n, blocks=_head(p, box))
    if own and p.tied_heads:
        return tied_heads(f"decoder.{kind}", 2, [heads]), []
    if own:
        return [Module(name=f"decoder.{kind}", blocks=[heads])], [Module(name=kind, blocks=[heads])]
    if p.tied_heads:
        return [], tied_heads(kind, n, [Module(name="0", blocks=_head(p, box))])
    return [], [Module(name=kind, blocks=[heads])]


def build(p: DeformableDetrParams) -> Module:
    """The block tree of ``DeformableDetrForObjectDetection`` (a timm backbone included)."""
    d = p.d_model
    model: list[Block] = [Parameter(name="level_embed", shape=(p.num_feature_levels, d))]
    if p.timm_backbone:
        model.append(Module(name="backbone.model", blocks=timm_resnet(p.timm_backbone, 3)))
    if p.learned_positions:
        model.append(Module(name="position_embedding", blocks=[
            Embedding(name=axis, num_embeddings=50, embedding_dim=d // 2, role="position")
            for axis in ("row_embeddings", "column_embeddings")]))  # fmt: skip
    model.append(Module(name="input_proj", blocks=_input_projections(p)))
    if p.two_stage:
        model += [Linear(name="enc_output", in_features=d, out_features=d), LayerNorm(name="enc_output_norm", dim=d),
                  Linear(name="pos_trans", in_features=2 * d, out_features=2 * d),
                  LayerNorm(name="pos_trans_norm", dim=2 * d)]  # fmt: skip
    else:
        model += [Embedding(name="query_position_embeddings", num_embeddings=p.num_queries, embedding_dim=2 * d,
                            role="other"),
                  Linear(name="reference_points", in_features=d, out_features=2)]  # fmt: skip
    model += _layers(p)
    top: list[Block] = []
    for box, own in ((False, p.two_stage), (True, p.with_box_refine)):
        inner, outer = _heads(p, box, own)
        model += inner
        top += outer
    return Module(blocks=[Module(name="model", blocks=model), *top])


@hookimpl
def register_families(register):
    """Register the ``deformable_detr`` family."""
    register(Family(name="deformable_detr", params=DeformableDetrParams, build=build,
                    description="Deformable DETR: multi-scale deformable attention over a backbone's feature maps",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
