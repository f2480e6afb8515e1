"""ZoeDepth: a BEiT backbone, DPT's neck, a relative depth head and metric-bin heads (the ``zoedepth`` family).

Follows ``modeling_zoedepth.py`` of transformers 5.25 (``ZoeDepthForDepthEstimation``):

* ``backbone.beit``: the ``vision`` family's BEiT encoder (``BeitBackbone`` holds a ``BeitModel`` without pooler);
* ``neck``: Depth Anything's neck (:mod:`registry.plugins.depth_anything`: reassemble layers, ``convs``, fusion
  layers) plus, with ``readout_type = "project"``, one ``reassemble_stage.readout_projects.<i>.0`` linear layer per
  feature map (twice the backbone's width to its width);
* ``relative_head``: an optional 3 × 3 ``projection`` (256 to 256), ``conv1`` (fusion width to half of it),
  ``conv2`` (to ``num_relative_features``), ``conv3`` (to one channel), all with biases;
* ``metric_head``: one bin configuration, ``ZoeDepthMetricDepthEstimationHead`` (the bottleneck ``conv2``, a seed
  bin regressor of 256 hidden channels, projectors of 128, four attractors of ``num_attractors[i]`` (× 2 when the
  bin centres are ``normed``), the conditional log-binomial MLP over the relative features plus one); several,
  ``ZoeDepthMultipleMetricDepthEstimationHeads`` (a patch transformer and an MLP classifier routing between them,
  and per configuration ``name`` a seed regressor, one attractor per ``num_attractors`` entry, of 16 attractors
  as transformers passes the count as ``n_bins``, and a log-binomial MLP; hidden widths half ``bin_embedding_dim``).
All convolutions of the heads are 1 × 1 with biases.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt, model_validator

from registry import Family, hookimpl
from registry.blocks import FieldError, Module, Parameter
from registry.plugins.depth_anything import DepthAnythingParams, conv2d, neck
from registry.plugins.vision import nested, tower


class ZoeDepthParams(DepthAnythingParams):
    """Hyper-parameters of the ``zoedepth`` family: the backbone's and neck's (see ``depth-anything``), the heads'."""

    readout_project: bool = Field(True, description="readout_type 'project': a linear readout per feature map")
    relative_features: PositiveInt = Field(32, description="outputs of the relative head's second convolution")
    add_projection: bool = Field(False, description="a 3 × 3 projection (256 channels) opens the relative head")
    bottleneck_features: PositiveInt = Field(256, description="channels of the metric head's bottleneck")
    bin_embedding_dim: PositiveInt = Field(128, description="width of the bin embeddings")
    num_attractors: list[PositiveInt] = Field([16, 8, 4, 1], description="attractors of each attractor layer")
    normed_bins: bool = Field(False, description="bin_centers_type 'normed' (two outputs per attractor)")
    bin_names: list[str] = Field([""], description="each bin configuration's name (several: the heads' module names)")
    bin_sizes: list[PositiveInt] = Field([64], description="each bin configuration's n_bins")
    patch_d_model: PositiveInt = Field(128, description="width of the patch transformer (several heads)")
    patch_d_ff: PositiveInt = Field(1024, description="feed-forward width of the patch transformer")
    patch_n_layers: int = Field(4, ge=0, description="layers of the patch transformer")

    @model_validator(mode="after")
    def _check_bins(self) -> ZoeDepthParams:
        if len(self.bin_names) != len(self.bin_sizes):
            raise FieldError("bin_names", f"has {len(self.bin_names)} entries, bin_sizes {len(self.bin_sizes)}")
        if len(self.bin_sizes) == 1 and len(self.num_attractors) < 4:
            raise FieldError("num_attractors", "needs four entries: the metric head has four attractor layers")
        return self


def _linear(name: str, n_out: int, n_in: int) -> list:
    """A ``Linear``'s weight ``(out, in)`` and bias."""
    return [Parameter(name=f"{name}.weight", shape=(n_out, n_in), component="head"),
            Parameter(name=f"{name}.bias", shape=(n_out,), component="head")]  # fmt: skip


def _mlp(name: str, n_out: int, hidden: int, n_in: int, first: str = "conv1", second: str = "conv2") -> list:
    """Two 1 × 1 convolutions with biases: ``n_in`` to ``hidden`` to ``n_out``."""
    return [*conv2d(f"{name}.{first}", hidden, n_in, 1, component="head"),
            *conv2d(f"{name}.{second}", n_out, hidden, 1, component="head")]  # fmt: skip


def _zoe_neck(p: ZoeDepthParams) -> list:
    """Depth Anything's neck and the readout projections."""
    h = p.reassemble_hidden_size
    readout = []
    if p.readout_project:
        for i in range(len(p.neck_hidden_sizes)):
            readout += _linear(f"reassemble_stage.readout_projects.{i}.0", h, 2 * h)
    return neck(p) + nested(readout)


def _relative_head(p: ZoeDepthParams) -> list:
    """The relative depth head."""
    f = p.fusion_hidden_size
    blocks = conv2d("projection", 256, 256, 3, component="head") if p.add_projection else []
    blocks += [*conv2d("conv1", f // 2, f, 3, component="head"),
               *conv2d("conv2", p.relative_features, f // 2, 3, component="head"),
               *conv2d("conv3", 1, p.relative_features, 1, component="head")]  # fmt: skip
    return nested(blocks)


def _attractor_outputs(p: ZoeDepthParams, n: int) -> int:
    return 2 * n if p.normed_bins else n


def _single_head(p: ZoeDepthParams) -> list:
    """ZoeDepthMetricDepthEstimationHead (one bin configuration)."""
    b, e, n_bins = p.bottleneck_features, p.bin_embedding_dim, p.bin_sizes[0]
    blocks = conv2d("conv2", b, b, 1, component="head")
    blocks += _mlp("seed_bin_regressor", n_bins, 256, b)
    blocks += _mlp("seed_projector", e, 128, b)
    for i in range(4):
        blocks += _mlp(f"projectors.{i}", e, 128, p.fusion_hidden_size)
    for i in range(4):
        blocks += _mlp(f"attractors.{i}", _attractor_outputs(p, p.num_attractors[i]), e, e)
    last = p.relative_features + 1
    blocks += _mlp("conditional_log_binomial.mlp", 4, (last + e) // 2, last + e, "0", "2")
    return nested(blocks)


def _patch_transformer(p: ZoeDepthParams) -> list:
    """The multiple heads' patch transformer encoder."""
    d, blocks = p.patch_d_model, []
    for i in range(p.patch_n_layers):
        prefix = f"patch_transformer.transformer_encoder.{i}"
        for name in ("query", "key", "value", "out_proj"):
            blocks += _linear(f"{prefix}.self_attn.{name}", d, d)
        blocks += _linear(f"{prefix}.linear1", p.patch_d_ff, d) + _linear(f"{prefix}.linear2", d, p.patch_d_ff)
        for norm in ("norm1", "norm2"):
            blocks += [Parameter(name=f"{prefix}.{norm}.weight", shape=(d,), component="head"),
                       Parameter(name=f"{prefix}.{norm}.bias", shape=(d,), component="head")]  # fmt: skip
    return blocks + conv2d("patch_transformer.embedding_convPxP", d, p.bottleneck_features, 1, component="head")


def _multiple_heads(p: ZoeDepthParams) -> list:
    """ZoeDepthMultipleMetricDepthEstimationHeads (several bin configurations, one per name)."""
    b, e = p.bottleneck_features, p.bin_embedding_dim
    blocks = conv2d("conv2", b, b, 1, component="head") + _patch_transformer(p)
    blocks += _linear("mlp_classifier.linear1", 128, 128) + _linear("mlp_classifier.linear2", 2, 128)
    bins = list(zip(p.bin_names, p.bin_sizes))
    for name, n_bins in bins:
        blocks += _mlp(f"seed_bin_regressors.{name}", n_bins, e // 2, b)
    blocks += _mlp("seed_projector", e, e // 2, b)
    for i in range(4):
        blocks += _mlp(f"projectors.{i}", e, e // 2, p.fusion_hidden_size)
    for name, _ in bins:
        for i in range(len(p.num_attractors)):
            blocks += _mlp(f"attractors.{name}.{i}", _attractor_outputs(p, 16), e, e)
    last = p.relative_features
    for name, _ in bins:
        blocks += _mlp(f"conditional_log_binomial.{name}.mlp", 4, (last + e) // 4, last + e, "0", "2")
    return nested(blocks)


def build(p: ZoeDepthParams) -> Module:
    """The block tree of ZoeDepthForDepthEstimation: backbone, neck, relative head, metric head(s)."""
    metric = _multiple_heads(p) if len(p.bin_sizes) > 1 else _single_head(p)
    return Module(blocks=[Module(name="backbone", blocks=[Module(name="beit", blocks=tower(p))]),
                          Module(name="neck", blocks=_zoe_neck(p)), Module(name="relative_head", blocks=_relative_head(p)),
                          Module(name="metric_head", blocks=metric)])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``zoedepth`` family."""
    register(Family(name="zoedepth", params=ZoeDepthParams, build=build,
                    description="ZoeDepth: a BEiT backbone, DPT's neck, relative and metric-bin depth heads"))
