"""TextNet: FAST's convolutional backbone of re-parameterisable layers (the ``textnet`` family).

Follows ``modeling_textnet.py`` of transformers 5.25 (``TextNetModel``, ``TextNetBackbone``,
``TextNetForImageClassification``); every convolution without a bias, each followed by a BatchNorm (whose running
statistics are checkpoint buffers):

* ``stem``: ``conv`` (``stem_kernel`` square, ``stem_in`` to ``stem_out`` channels) and ``batch_norm``;
* ``encoder.stages.<s>.stage.<j>``, one stage per entry of ``kernel_sizes``, from ``hidden_sizes[s]`` to
  ``hidden_sizes[s + 1]`` channels (its first layer from the former, the others from the latter), one layer per
  (kernel, stride) pair (``zip``: the shorter list decides): ``main_conv`` of the ``(h, w)`` kernel, with ``w`` above
  1 a ``vertical_conv`` of ``(h, 1)``, with ``h`` above 1 a ``horizontal_conv`` of ``(1, w)``, each with its
  BatchNorm, and, where the layer keeps its width at stride 1, ``rbr_identity`` (a BatchNorm of its input);

``head = "backbone"`` holds the model under ``textnet``; ``"classifier"`` adds ``fc`` (from the last width to
``n_labels``; none when 0: transformers holds an identity). The poolings hold no tensors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import CheckpointNames, Family, hookimpl
from registry.blocks import Block, FieldError, Module, Parameter
from registry.plugins.common import FamilyParams
from registry.plugins.convnets import BATCH_NORM_BUFFERS, batch_norm, classifier


class TextNetParams(FamilyParams):
    """Hyper-parameters of the ``textnet`` family (TextNet-T's, as TextNetConfig's defaults)."""

    head: Literal["none", "backbone", "classifier"] = Field(
        "none", description="none (TextNetModel), backbone (TextNetBackbone: under textnet) or an image classifier")
    stem_kernel: PositiveInt = Field(3, description="the stem convolution's side")
    stem_in: PositiveInt = Field(3, description="image channels (stem_num_channels)")
    stem_out: PositiveInt = Field(64, description="the stem's channels")
    hidden_sizes: list[PositiveInt] = Field([64, 64, 128, 256, 512], description="each stage's input width, then the last's output")
    kernel_sizes: list[list[list[PositiveInt]]] = Field(
        [[[3, 3], [3, 3], [3, 3]], [[3, 3], [1, 3], [3, 3], [3, 1]], [[3, 3], [3, 3], [3, 1], [1, 3]],
         [[3, 3], [3, 1], [1, 3], [3, 3]]], description="each stage's layers' (height, width) kernels")
    strides: list[list[PositiveInt]] = Field([[1, 2, 1], [2, 1, 1, 1], [2, 1, 1, 1], [2, 1, 1, 1]],
                                             description="each stage's layers' strides")
    n_labels: NonNegativeInt = Field(2, description="classifier outputs (0: no classifier)")

    @model_validator(mode="after")
    def _check(self) -> TextNetParams:
        stages = len(self.kernel_sizes)
        if len(self.hidden_sizes) < stages + 1:
            raise FieldError("hidden_sizes", f"has {len(self.hidden_sizes)} widths: {stages} stages need {stages + 1}")
        if len(self.strides) < stages:
            raise FieldError("strides", f"lists {len(self.strides)} stages, fewer than the {stages} of kernel_sizes")
        for s, kernels in enumerate(self.kernel_sizes):
            if any(len(k) != 2 for k in kernels):
                raise FieldError("kernel_sizes", f"stage {s}: each kernel must be a (height, width) pair")
        return self


def _conv_norm(name: str, n_in: int, n_out: int, kernel: tuple[int, int]) -> list[Block]:
    """A bias-free convolution ``<name>_conv`` of a (height, width) kernel and its ``<name>_batch_norm``."""
    return [Module(name=f"{name}_conv", blocks=[Parameter(name="weight", shape=(n_out, n_in, *kernel))]),
            batch_norm(f"{name}_batch_norm", n_out)]


def _layer(n_in: int, n_out: int, kernel: list[int], stride: int) -> list[Block]:
    """One re-parameterisable layer (TextNetRepConvLayer)."""
    h, w = kernel
    blocks = _conv_norm("main", n_in, n_out, (h, w))
    if w != 1:
        blocks += _conv_norm("vertical", n_in, n_out, (h, 1))
    if h != 1:
        blocks += _conv_norm("horizontal", n_in, n_out, (1, w))
    if n_in == n_out and stride == 1:
        blocks.append(batch_norm("rbr_identity", n_in))
    return blocks


def model(p: TextNetParams) -> list[Block]:
    """TextNetModel's stem and stages, unprefixed."""
    stages: list[Block] = []
    for s, (kernels, strides) in enumerate(zip(p.kernel_sizes, p.strides)):
        first, width = p.hidden_sizes[s], p.hidden_sizes[s + 1]
        layers = [Module(name=str(j), blocks=_layer(first if j == 0 else width, width, k, stride))
                  for j, (k, stride) in enumerate(zip(kernels, strides))]  # fmt: skip
        stages.append(Module(name=str(s), blocks=[Module(name="stage", blocks=layers)]))
    stem = [Module(name="conv", blocks=[Parameter(name="weight", shape=(p.stem_out, p.stem_in, p.stem_kernel, p.stem_kernel))]),
            batch_norm("batch_norm", p.stem_out)]  # fmt: skip
    return [Module(name="stem", blocks=stem), Module(name="encoder", blocks=[Module(name="stages", blocks=stages)])]


def build(p: TextNetParams) -> Module:
    """The block tree of TextNetModel, TextNetBackbone or TextNetForImageClassification."""
    if p.head == "none":
        return Module(blocks=model(p))
    body = Module(name="textnet", blocks=model(p))
    if p.head == "backbone":
        return Module(blocks=[body])
    return Module(blocks=[body, *classifier("fc", p.hidden_sizes[-1], p.n_labels)])


@hookimpl
def register_families(register):
    """Register the ``textnet`` family."""
    register(Family(name="textnet", params=TextNetParams, build=build,
                    description="TextNet: FAST's backbone of re-parameterisable convolutions",
                    checkpoint_names=CheckpointNames(buffers=BATCH_NORM_BUFFERS)))  # fmt: skip
