"""D-FINE: an HGNetV2 backbone, an RT-DETR-style hybrid encoder with GELAN blocks, a deformable decoder with
fine-grained distribution refinement (the ``d_fine`` family).

Follows ``modeling_d_fine.py`` of transformers 5.25 (``DFineForObjectDetection``); the backbone is
:mod:`registry.plugins.hgnet_v2`, the attention, prediction MLPs and convolution-norm pairs are the ``rt_detr``
family's. Every convolution is bias-free and followed by a batch norm. Under ``model``:

* ``backbone.model``: the HGNetV2 backbone;
* ``encoder_input_proj.<i>``: per ``decoder_in_channels`` entry a 1 × 1 convolution from the backbone's ``i``-th
  feature map to ``encoder_hidden_dim`` and a norm;
* ``encoder``: ``aifi.<i>.layers.<j>`` (post-norm transformer layers whose feed-forward is ``mlp.layers.<0-1>``),
  per FPN and PAN stage (``len(encoder_in_channels) - 1`` each) a 1 × 1 ``lateral_convs`` convolution or an
  ``SCDown`` (``downsample_convs``: a 1 × 1 and a depthwise 3 × 3) and a ``RepNCSPELAN4`` block (``conv1`` to
  twice the width, two CSP layers of ``round(3 × depth_mult)`` RepVGG bottlenecks each followed by a 3 × 3
  convolution, ``conv4`` back to the width; the CSP width is ``round(hidden_expansion × width // 2)``);
* ``denoising_class_embed``, ``weight_embedding``, ``enc_output``, ``enc_score_head``, ``enc_bbox_head`` as
  RT-DETR's;
* ``decoder_input_proj.<i>``: nothing when ``d_model`` is the last ``decoder_in_channels`` entry, else per level
  (``max(num_feature_levels, len(decoder_in_channels))``) a convolution from that last entry (1 × 1 for the
  backbone's levels, 3 × 3 for the extra ones) and a norm;
* ``decoder``: layers of self-attention, a deformable cross-attention of sampling offsets and attention weights
  only (``decoder_n_points`` per level, a list or one number), a feed-forward, two norms and a ``gateway`` (a
  ``2 d_model`` gate and a norm); after ``eval_idx`` the layers after it once more; ``query_pos_head``,
  ``pre_bbox_head``, ``reg_scale`` and ``up`` (one number each), an ``lqe_layers`` quality estimator per layer,
  a class layer and a box-distribution MLP (``4 (max_num_bins + 1)`` outputs; ``layer_scale`` widens those
  after ``eval_idx``) per layer, which the root's heads share (``tied_heads``) or copy.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, Embedding, FieldError, LayerNorm, Linear, Module, Parameter, Repeat
from registry.plugins.convnets import BATCH_NORM_BUFFERS, conv_norm
from registry.plugins.detr import tied_heads
from registry.plugins.hgnet_v2 import HGNetV2Params, hgnet_v2_backbone
from registry.plugins.rt_detr import HybridDetrParams, attention_block, hybrid_encoder, prediction_mlp


class DFineParams(HybridDetrParams, HGNetV2Params):
    """Hyper-parameters of the ``d_fine`` family: its HGNetV2 backbone's, the encoder's and decoder's RT-DETR has
    (:class:`~registry.plugins.rt_detr.HybridDetrParams`), and D-FINE's own."""

    csp_hidden: PositiveInt = Field(128, description="the CSP layers' width (round(hidden_expansion × width // 2))")
    backbone_channels: list[PositiveInt] = Field([512, 1024, 2048], description="the backbone's feature maps' widths")
    csp_blocks: NonNegativeInt = Field(3, description="RepVGG bottlenecks per CSP layer (round(3 × depth_mult))")
    decoder_points: list[PositiveInt] = Field([4, 4, 4], description="sampling points per head, for each level")
    extra_layers: NonNegativeInt = Field(0, description="decoder layers after eval_idx, held once more")
    scaled_dim: PositiveInt = Field(256, description="the box MLPs' width after eval_idx (round(layer_scale × d_model))")
    max_num_bins: PositiveInt = Field(32, description="bins of each box edge's distribution")
    top_prob_values: PositiveInt = Field(4, description="probabilities per edge the quality estimator reads")
    lqe_hidden_dim: PositiveInt = Field(64, description="the quality estimator's width")
    lqe_layers: PositiveInt = Field(2, description="the quality estimator's linear layers")

    @model_validator(mode="after")
    def _check(self) -> DFineParams:
        if len(self.backbone_channels) < len(self.decoder_in_channels):
            raise FieldError("decoder_in_channels", f"has {len(self.decoder_in_channels)} levels, but the backbone "
                                                    f"returns {len(self.backbone_channels)} feature maps")  # fmt: skip
        if len(self.decoder_points) != self.num_feature_levels:
            raise FieldError("decoder_points", f"has {len(self.decoder_points)} levels, num_feature_levels is "
                                               f"{self.num_feature_levels}")  # fmt: skip
        if self.extra_layers >= self.decoder_layers:
            raise FieldError("extra_layers", f"must be below decoder_layers ({self.decoder_layers})")
        return self


def _conv_norm(name: str, n_in: int, n_out: int, kernel: int, groups: int = 1) -> Module:
    """A ``DFineConvNormLayer``: ``<name>.conv`` (bias-free) and ``<name>.norm``."""
    return Module(name=name, blocks=conv_norm("", n_in, n_out, kernel, groups=groups, conv="conv", norm="norm"))


def _csp(p: DFineParams, name: str, n_in: int) -> Module:
    """A ``DFineCSPRepLayer`` (expansion 1: no ``conv3``) from ``n_in`` to the CSP width."""
    h = p.csp_hidden
    blocks: list[Block] = [_conv_norm("conv1", n_in, h, 1), _conv_norm("conv2", n_in, h, 1)]
    if p.csp_blocks:
        blocks.append(Repeat(name="bottlenecks", count=p.csp_blocks,
                             blocks=[_conv_norm("conv1", h, h, 3), _conv_norm("conv2", h, h, 1)]))  # fmt: skip
    return Module(name=name, blocks=blocks)


def _elan(p: DFineParams) -> list[Block]:
    """A ``DFineRepNCSPELAN4`` block, unprefixed."""
    w, h = p.encoder_hidden_dim, p.csp_hidden
    return [_conv_norm("conv1", 2 * w, 2 * w, 1), _csp(p, "csp_rep1", w), _conv_norm("conv2", h, h, 3),
            _csp(p, "csp_rep2", h), _conv_norm("conv3", h, h, 3), _conv_norm("conv4", 2 * w + 2 * h, w, 1)]  # fmt: skip


def _mlp(name: str, width: int, hidden: int, out: int, n_layers: int, component: str = "head") -> Module:
    """A ``DFineMLP``: ``<name>.layers.<i>``, ``n_layers`` linear layers from ``width`` through ``hidden``."""
    return prediction_mlp(name, (width, *[hidden] * (n_layers - 1), out), component)


def _encoder(p: DFineParams) -> Module:
    """The hybrid encoder: an MLP of ``layers.<0-1>``, 1 × 1 lateral convolutions, SCDown downsampling, ELAN
    blocks."""
    w = p.encoder_hidden_dim
    scdown = [_conv_norm("conv1", w, w, 1), _conv_norm("conv2", w, w, 3, groups=w)]
    return hybrid_encoder(p, _mlp("mlp", w, p.encoder_ffn_dim, w, 2, "feed_forward"), [_conv_norm("", w, w, 1)],
                          _elan(p), scdown)


def _decoder(p: DFineParams) -> tuple[list[Block], list[Block]]:
    """The decoder (as blocks under ``model``) and the root's heads when they are not tied."""
    d, n = p.d_model, p.decoder_layers
    samples = p.decoder_heads * sum(p.decoder_points)
    cross = Module(name="encoder_attn", blocks=[
        Linear(name="sampling_offsets", in_features=d, out_features=2 * samples, component="attention"),
        Linear(name="attention_weights", in_features=d, out_features=samples, component="attention")])  # fmt: skip
    gateway = Module(name="gateway", blocks=[Linear(name="gate", in_features=2 * d, out_features=2 * d),
                                             LayerNorm(name="norm", dim=d)])  # fmt: skip
    layer = [attention_block(d), LayerNorm(name="self_attn_layer_norm", dim=d), cross,
             _mlp("mlp", d, p.decoder_ffn_dim, d, 2, "feed_forward"), LayerNorm(name="final_layer_norm", dim=d),
             gateway]  # fmt: skip
    bins = 4 * (p.max_num_bins + 1)
    boxes: list[Block] = [Repeat(name="bbox_embed", count=n - p.extra_layers, blocks=[_mlp("", d, d, bins, 3)])]
    if p.extra_layers:
        boxes.append(Repeat(name="bbox_embed", count=p.extra_layers, start=n - p.extra_layers,
                            blocks=[_mlp("", p.scaled_dim, p.scaled_dim, bins, 3)]))  # fmt: skip
    heads = [Repeat(name="class_embed", count=n, blocks=[Linear(name="", in_features=d, out_features=p.n_labels,
                                                                component="head")]), *boxes]  # fmt: skip
    lqe = _mlp("reg_conf", 4 * (p.top_prob_values + 1), p.lqe_hidden_dim, 1, p.lqe_layers)
    own: list[Block] = [Repeat(name="layers", count=n + p.extra_layers, blocks=layer),
                        prediction_mlp("query_pos_head", (4, 2 * d, d)),
                        Parameter(name="reg_scale", shape=(1,)), Parameter(name="up", shape=(1,)),
                        _mlp("pre_bbox_head", d, d, 4, 3), Repeat(name="lqe_layers", count=n, blocks=[lqe])]  # fmt: skip
    own += tied_heads("", 2, heads) if p.tied_heads else heads
    return [Module(name="decoder", blocks=own)], ([] if p.tied_heads else heads)


def _decoder_input_proj(p: DFineParams) -> list[Block]:
    """``decoder_input_proj``: identities when ``d_model`` is the last decoder input width, else convolutions
    from that width (``DFineModel`` builds them from ``decoder_in_channels[-1]`` for every level)."""
    last = p.decoder_in_channels[-1]
    if p.d_model == last:
        return []
    levels = len(p.decoder_in_channels)
    kernels = [1] * levels + [3] * max(0, p.num_feature_levels - levels)
    return [Module(name="decoder_input_proj", blocks=[
        Module(name=str(i), blocks=conv_norm("", last, p.d_model, k, conv="0", norm="1")) for i, k in enumerate(kernels)])]


def build(p: DFineParams) -> Module:
    """The block tree of ``DFineForObjectDetection``."""
    d, w = p.d_model, p.encoder_hidden_dim
    model: list[Block] = [Module(name="backbone.model", blocks=hgnet_v2_backbone(p)),
                          Module(name="encoder_input_proj", blocks=[
                              Module(name=str(i), blocks=conv_norm("", p.backbone_channels[i], w, 1, conv="0", norm="1"))
                              for i in range(len(p.decoder_in_channels))]),
                          _encoder(p)]  # fmt: skip
    if p.denoising:
        model.append(Embedding(name="denoising_class_embed", num_embeddings=p.n_labels + 1, embedding_dim=d, role="other"))
    if p.learn_initial_query:
        model.append(Embedding(name="weight_embedding", num_embeddings=p.num_queries, embedding_dim=d, role="other"))
    model += [Module(name="enc_output", blocks=[Linear(name="0", in_features=d, out_features=d), LayerNorm(name="1", dim=d)]),
              Linear(name="enc_score_head", in_features=d, out_features=p.n_labels, component="head"),
              prediction_mlp("enc_bbox_head", (d, d, d, 4)), *_decoder_input_proj(p)]  # fmt: skip
    inner, top = _decoder(p)
    return Module(blocks=[Module(name="model", blocks=[*model, *inner]), *top])


@hookimpl
def register_families(register):
    """Register the ``d_fine`` family."""
    register(Family(name="d_fine", params=DFineParams, build=build,
                    description="D-FINE: an HGNetV2 backbone, a hybrid encoder, a fine-grained distribution "
                                "refinement decoder",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
