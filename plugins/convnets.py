"""Two-dimensional convolutions and batch norms as bare tensors, for the convolutional image encoders
(ResNet, RegNet, MobileNet, EfficientNet).

Not a plugin (it registers nothing). PyTorch's ``Conv2d`` holds ``weight`` of shape
``(out_channels, in_channels / groups, kernel, kernel)`` and, unless ``bias=False``, ``bias`` of
``out_channels``; stride, padding and dilation change no shape. ``BatchNorm2d`` holds a scale and a shift
(``weight``, ``bias``) of ``channels`` as parameters and its running statistics as buffers
(:data:`BATCH_NORM_BUFFERS`), which checkpoints store and transformers does not count as parameters.
"""

from __future__ import annotations

from registry.blocks import Block, Component, FieldError, LayerNorm, Linear, Parameter, join

#: A BatchNorm's running statistics, buffers that checkpoints store beside its scale and shift.
BATCH_NORM_BUFFERS = tuple((f".{name}", lambda dtype, shape: len(shape) <= 1)
                           for name in ("running_mean", "running_var", "num_batches_tracked"))  # fmt: skip


def conv2d(name: str, n_in: int, n_out: int, kernel: int, *, bias: bool = False, groups: int = 1,
           component: Component = "other") -> list[Block]:
    """A ``Conv2d``'s tensors: ``<name>.weight`` of ``(out, in / groups, kernel, kernel)``, a bias of ``out``
    when ``bias``, counted as ``component``. Channels that ``groups`` does not divide are refused (PyTorch refuses
    them)."""
    if n_in % groups or n_out % groups:
        raise FieldError("groups", f"{groups} groups do not divide {n_in} input and {n_out} output channels "
                                   f"(of the convolution {name})")  # fmt: skip
    blocks: list[Block] = [Parameter(name=join(name, "weight"), shape=(n_out, n_in // groups, kernel, kernel),
                                     component=component)]
    if bias:
        blocks.append(Parameter(name=join(name, "bias"), shape=(n_out,), component=component))
    return blocks


def batch_norm(name: str, channels: int) -> Block:
    """A ``BatchNorm2d``'s parameters: a scale and a shift of ``channels`` (its running statistics are buffers)."""
    return LayerNorm(name=name, dim=channels)


def conv_norm(name: str, n_in: int, n_out: int, kernel: int, *, groups: int = 1, conv: str = "convolution",
              norm: str = "normalization") -> list[Block]:
    """A bias-free convolution followed by its batch norm (``<name>.<conv>``, ``<name>.<norm>``)."""
    prefix = f"{name}." if name else ""
    return [*conv2d(f"{prefix}{conv}", n_in, n_out, kernel, groups=groups), batch_norm(f"{prefix}{norm}", n_out)]


def classifier(name: str, n_in: int, n_labels: int) -> list[Block]:
    """An image classifier of ``n_labels`` outputs with a bias (none when ``n_labels`` is 0: transformers then
    holds an identity)."""
    return [Linear(name=name, in_features=n_in, out_features=n_labels, component="head")] if n_labels else []
