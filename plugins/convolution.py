"""Convolutions as bare tensors, for the families with a convolutional front end (Whisper, wav2vec 2.0).

Not a plugin (it registers nothing). PyTorch's ``Conv1d`` holds ``weight`` of shape
``(out_channels, in_channels / groups, kernel_size)`` and, unless ``bias=False``, ``bias`` of
``out_channels``; stride, padding and dilation change no shape.
"""

from __future__ import annotations

from registry.blocks import Block, Parameter


def conv1d(name: str, n_in: int, n_out: int, kernel: int, bias: bool = True, groups: int = 1) -> list[Block]:
    """A ``Conv1d``'s tensors: ``<name>.weight`` of ``(out, in / groups, kernel)`` and a bias of ``out``."""
    blocks: list[Block] = [Parameter(name=f"{name}.weight", shape=(n_out, n_in // groups, kernel))]
    if bias:
        blocks.append(Parameter(name=f"{name}.bias", shape=(n_out,)))
    return blocks
