"""PP-OCRv5 mobile: text detection and recognition on a PP-LCNetV3 backbone (the ``pp-ocr`` family).

Follows ``modeling_pp_ocrv5_mobile_det.py`` and ``modeling_pp_ocrv5_mobile_rec.py`` of transformers 5.25. Both hold
the backbone at ``model.backbone.encoder`` (:mod:`registry.plugins.pp_lcnet_v3`); every BatchNorm's running
statistics are checkpoint buffers, not parameters.

* ``task = "detection"`` (``PPOCRV5MobileDetForObjectDetection``): ``model.layer.<i>``, a 1 × 1 convolution with a
  bias from each output stage's width (``PPLCNetV3Backbone.num_features``) to ``layer_channels[i]``; the neck
  (``model.neck``): for each of ``layer_channels``, ``insert_conv.<i>`` (a bias-free 1 × 1 to ``neck_channels``) and
  ``input_conv.<i>`` (a bias-free 3 × 3 to a quarter of it), each followed by a squeeze-and-excitation block
  (``squeeze_excitation_block.conv1``/``conv2``, with biases, the width divided by ``neck_reduction`` and back);
  the DB head (``head``): ``conv_down`` (``head_kernels[0]``, bias-free, a norm), ``conv_up`` (a transposed
  convolution of ``head_kernels[1]`` with a bias, a norm) and ``conv_final`` (transposed, ``head_kernels[2]``, to
  one channel, with a bias).
  ``bare`` (``PPOCRV5MobileDetModel``) keeps ``model``'s backbone, projections and neck, unprefixed.
* ``task = "recognition"`` (``PPOCRV5MobileRecForTextRecognition``): the SVTR neck (``head.encoder``) over the last
  stage's encoder width ``c``: ``conv_block.0`` (``conv_kernel``, ``c`` to ``c / 8``), ``.1`` (1 × 1 to
  ``d_model``), ``.2`` (1 × 1 back to ``c``), ``.3`` (``conv_kernel``, ``2c`` to ``c / 8``), ``.4`` (1 × 1 to
  ``d_model``), each bias-free with its norm; ``svtr_block.<i>`` (``n_layers`` pre-norm layers: a fused ``qkv``
  with a bias when ``qkv_bias`` (its key third held at zero, still a parameter), ``projection``, ``mlp.fc1``/``fc2``
  of ``int(d_model × mlp_ratio)``, ``layer_norm1``/``2``); ``norm``; the CTC head ``head.head`` (``d_model`` to
  ``n_labels``, with a bias). ``bare`` (``PPOCRV5MobileRecModel``) is the backbone alone, unprefixed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, LayerNorm, Linear, Module, Parameter
from registry.plugins.common import check_heads
from registry.plugins.convnets import BATCH_NORM_BUFFERS, batch_norm, conv2d
from registry.plugins.pp_lcnet_v3 import LCNetV3Params, encoder


class PPOCRParams(LCNetV3Params):
    """Hyper-parameters of the ``pp-ocr`` family (PP-OCRv5 mobile's; the backbone's are PP-LCNetV3's defaults)."""

    task: Literal["detection", "recognition"] = Field("detection", description="the DB text detector or the SVTR/CTC "
                                                      "text recogniser")  # fmt: skip
    bare: bool = Field(False, description="the bare model class (PPOCRV5MobileDetModel: backbone, projections and "
                       "neck; PPOCRV5MobileRecModel: the backbone), unprefixed, without the head")  # fmt: skip
    # detection
    out_stages: list[NonNegativeInt] = Field([2, 3, 4, 5], description="detection: the backbone's output stages "
                                             "(0: the stem)")  # fmt: skip
    layer_channels: list[NonNegativeInt] = Field([12, 18, 42, 360], description="detection: each output's projected "
                                                 "width (layer_list_out_channels)")  # fmt: skip
    neck_channels: NonNegativeInt = Field(96, description="detection: the neck's width (neck_out_channels)")
    neck_reduction: PositiveInt = Field(4, description="detection: the neck's squeeze-and-excitation reduction")
    head_kernels: list[PositiveInt] = Field([3, 2, 2], description="detection: the head's three kernels (kernel_list)")
    # recognition
    d_model: PositiveInt = Field(120, description="recognition: the SVTR layers' width (hidden_size)")
    n_heads: PositiveInt = Field(8, description="recognition: attention heads (they divide d_model)")
    n_layers: NonNegativeInt = Field(2, description="recognition: SVTR layers (depth)")
    mlp_ratio: PositiveFloat = Field(2.0, description="recognition: the MLP's width over d_model")
    qkv_bias: bool = Field(True, description="recognition: the fused qkv projection has a bias")
    conv_kernel: list[PositiveInt] = Field([1, 3], description="recognition: the SVTR neck's (height, width) kernel")
    n_labels: NonNegativeInt = Field(18385, description="recognition: the CTC head's outputs (head_out_channels)")

    @model_validator(mode="after")
    def _check(self) -> PPOCRParams:
        if self.task == "detection":
            if len(self.head_kernels) < 3:
                raise FieldError("head_kernels", f"lists {len(self.head_kernels)} kernels: the head needs three")
            if any(s > len(self.block_kernels) for s in self.out_stages):
                raise FieldError("out_stages", f"must be stage numbers 0 to {len(self.block_kernels)}")
            if len(self.out_stages) > len(self.layer_channels):
                raise FieldError("layer_channels", f"lists {len(self.layer_channels)} widths, fewer than the "
                                 f"{len(self.out_stages)} output stages")  # fmt: skip
        else:
            check_heads(self.d_model, self.n_heads, None)
            if len(self.conv_kernel) != 2:
                raise FieldError("conv_kernel", f"must be a (height, width) pair (got {self.conv_kernel})")
        return self


def _rse(name: str, n_in: int, n_out: int, kernel: int, reduction: int) -> Module:
    """PPOCRV5MobileDetResidualSqueezeExcitationLayer: a bias-free convolution and its SE block."""
    squeezed = n_out // reduction
    se = [*conv2d("conv1", n_out, squeezed, 1, bias=True), *conv2d("conv2", squeezed, n_out, 1, bias=True)]
    return Module(name=name, blocks=[*conv2d("in_conv", n_in, n_out, kernel), Module(name="squeeze_excitation_block",
                                                                                      blocks=se)])  # fmt: skip


def _transposed(name: str, n_in: int, n_out: int, kernel: int) -> list[Block]:
    """A ``ConvTranspose2d`` with its bias: ``weight`` of ``(in, out, kernel, kernel)``."""
    return [Parameter(name=f"{name}.weight", shape=(n_in, n_out, kernel, kernel)),
            Parameter(name=f"{name}.bias", shape=(n_out,))]


def _detection(p: PPOCRParams) -> tuple[Module, Module]:
    widths = p.stage_widths()
    layer = [Module(name=str(i), blocks=conv2d("", widths[s], p.layer_channels[i], 1, bias=True))
             for i, s in enumerate(p.out_stages)]  # fmt: skip
    quarter = p.neck_channels // 4
    neck = [Module(name="insert_conv", blocks=[_rse(str(i), c, p.neck_channels, 1, p.neck_reduction)
                                               for i, c in enumerate(p.layer_channels)]),
            Module(name="input_conv", blocks=[_rse(str(i), p.neck_channels, quarter, 3, p.neck_reduction)
                                              for i in range(len(p.layer_channels))])]  # fmt: skip
    k_down, k_up, k_final = p.head_kernels[:3]
    head = [Module(name="conv_down", blocks=[*conv2d("convolution", p.neck_channels, quarter, k_down),
                                             batch_norm("norm", quarter)]),
            Module(name="conv_up", blocks=[*_transposed("convolution", quarter, quarter, k_up),
                                           batch_norm("norm", quarter)]),
            *_transposed("conv_final", quarter, 1, k_final)]  # fmt: skip
    model = [Module(name="backbone", blocks=[encoder(p)])]
    model += [Module(name="layer", blocks=layer)] if layer else []
    return Module(name="model", blocks=[*model, Module(name="neck", blocks=neck)]), Module(name="head", blocks=head)


def _svtr_layer(p: PPOCRParams, i: int) -> Module:
    """PPOCRV5MobileRecBlock: pre-norm attention (fused qkv) and MLP."""
    d, hidden = p.d_model, int(p.d_model * p.mlp_ratio)
    attention = [Linear(name="qkv", in_features=d, out_features=3 * d, bias=p.qkv_bias, component="attention"),
                 Linear(name="projection", in_features=d, out_features=d, component="attention")]  # fmt: skip
    mlp = [Linear(name="fc1", in_features=d, out_features=hidden, component="feed_forward"),
           Linear(name="fc2", in_features=hidden, out_features=d, component="feed_forward")]  # fmt: skip
    return Module(name=str(i), blocks=[Module(name="self_attn", blocks=attention),
                                       LayerNorm(name="layer_norm1", dim=d), Module(name="mlp", blocks=mlp),
                                       LayerNorm(name="layer_norm2", dim=d)])  # fmt: skip


def _recognition(p: PPOCRParams) -> tuple[Module, Module]:
    c, d = p.width(p.block_out[-1][-1]), p.d_model
    kh, kw = p.conv_kernel
    shapes = [(c // 8, c, kh, kw), (d, c // 8, 1, 1), (c, d, 1, 1), (c // 8, 2 * c, kh, kw), (d, c // 8, 1, 1)]
    convs = [Module(name=str(i), blocks=[Parameter(name="convolution.weight", shape=shape),
                                         batch_norm("normalization", shape[0])])
             for i, shape in enumerate(shapes)]  # fmt: skip
    svtr = [Module(name="conv_block", blocks=convs)]
    svtr += [Module(name="svtr_block", blocks=[_svtr_layer(p, i) for i in range(p.n_layers)])] if p.n_layers else []
    svtr.append(LayerNorm(name="norm", dim=d))
    head = [Module(name="encoder", blocks=svtr), Linear(name="head", in_features=d, out_features=p.n_labels,
                                                        component="head")]  # fmt: skip
    return Module(name="model", blocks=[Module(name="backbone", blocks=[encoder(p)])]), Module(name="head", blocks=head)


def build(p: PPOCRParams) -> Module:
    """The block tree of PPOCRV5MobileDetForObjectDetection or PPOCRV5MobileRecForTextRecognition (with ``bare``,
    of PPOCRV5MobileDetModel or PPOCRV5MobileRecModel: the first's ``model`` alone, unprefixed)."""
    model, head = _detection(p) if p.task == "detection" else _recognition(p)
    return Module(blocks=model.blocks if p.bare else [model, head])


@hookimpl
def register_families(register):
    """Register the ``pp-ocr`` family."""
    register(Family(name="pp-ocr", params=PPOCRParams, build=build,
                    description="PP-OCRv5 mobile: DB text detection or SVTR/CTC recognition on PP-LCNetV3",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
