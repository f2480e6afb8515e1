"""The FLOPs of convolutions (a speech model's, a vision tower's patch embedding): 2 FLOPs per weight per output
position of each convolution.

A convolution is not a linear layer applied once per token: a ``Conv1d`` of weight ``(out, in / groups, kernel)``
computes every output position from ``kernel`` input positions of every channel of its group, ``out · in / groups
· kernel`` multiply-adds a position. Its forward is ``2 · weights · L_out``, ``L_out`` the convolution's own output
length, ``(L_in + 2 · padding - kernel) // stride + 1`` (PyTorch's ``Conv1d``), which differs from the encoder's
positions before the last stride. The block trees hold convolutions as bare parameters, so these lengths come from
the model's audio rule (``Model.audio``, :mod:`registry.sources.audio`) and ``S`` seconds of audio
(:class:`registry.analyses.audio.AudioPlan`), layer by layer as transformers computes them:

* ``samples`` (wav2vec2, HuBERT, WavLM: ``Wav2Vec2FeatureEncoder``): each ``feature_extractor.conv_layers.<i>.conv``
  (no padding, the config's ``conv_kernel`` and ``conv_stride``) over the previous layer's output, the first over
  the samples (``_get_feat_extract_output_lengths``); the positional convolution ``pos_conv_embed.conv`` (kernel
  ``K`` = ``num_conv_pos_embeddings``, padding ``K // 2``, stride 1, ``groups``) over the encoder's ``P``
  positions: ``P + 2 · (K // 2) - K + 1`` outputs (``P + 1`` for an even kernel; ``Wav2Vec2SamePadLayer`` then
  drops the last, after it was computed);
* ``log-mel`` and ``pooled`` (Whisper's encoder, Voxtral's and Qwen2-Audio's audio towers): ``conv1`` (kernel 3,
  stride 1, padding 1) over the window's mel frames (3,000 for 30 s: ``window_seconds · sample_rate /
  hop_length``) keeps them, ``conv2`` (kernel 3, stride 2, padding 1) gives ``(3000 + 2 - 3) // 2 + 1 = 1500``;
  once per window;
* ``conformer`` (Parakeet: ``ParakeetEncoderConvolutionModule``, ``ParakeetEncoderCTCHead``): each layer's
  ``conv.pointwise_conv1`` and ``conv.pointwise_conv2`` (kernel 1) and ``conv.depthwise_conv`` (padding
  ``(kernel - 1) // 2``, stride 1: the length kept), and a CTC head's ``ctc_head`` (kernel 1), over the encoder's
  positions. The subsampling's ``Conv2d`` layers (``subsampling.layers.<i>``, over time and mel bins) are not
  modelled: they count 0, with a note.

Other rules (``fbank``: Phi-4-multimodal; ``mel``: Gemma 4) are not modelled: their convolutions count 0 and
:func:`convolution_flops` says so in a note. A vision tower's patch convolutions: :func:`patch_convolution_flops`. The weight normalisation of wav2vec2's
positional convolution (computing the weight from ``original0`` and ``original1``) and the biases are not counted,
as Appendix F counts no biases.
"""

from __future__ import annotations

from typing import Any

from registry.analyses.report import iter_tensors
from registry.blocks import BlockBase

#: The rules whose convolutions :func:`convolution_flops` counts.
MODELLED_RULES = frozenset({"samples", "log-mel", "pooled", "conformer"})


def conv1d_output_length(length: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """PyTorch's ``Conv1d`` output length (no dilation): ``(length + 2 · padding - kernel) // stride + 1``."""
    return (length + 2 * padding - kernel) // stride + 1


def _weights(shape: tuple[int, ...]) -> int:
    n = 1
    for side in shape:
        n *= side
    return n


def _is_convolution(path: str, shape: tuple[int, ...]) -> bool:
    """A parameter tensor that is a convolution's weight: three or more dimensions, ``conv`` in its name (or a
    conformer's ``subsampling`` or ``ctc_head``); not the scale of a weight normalisation (``original0``)."""
    named = "conv" in path or ".subsampling." in f".{path}" or path.endswith("ctc_head.weight")
    return len(shape) >= 3 and named and not path.endswith("original0")


def convolution_flops(tree: BlockBase, rule: Any, frames: Any) -> tuple[int, list[str]]:
    """(forward FLOPs of the convolutions of ``tree`` for one run over ``frames``, notes).

    ``rule`` is the model's :class:`registry.sources.audio.AudioInputs`, ``frames`` an
    :class:`registry.sources.audio.AudioFrames` (its ``windows`` are the caller's to multiply: this is one
    window). A convolution weight the rule does not place is left out, with a note.
    """
    outputs: dict[str, int] = {}
    if rule.kind == "samples":
        length = frames.samples
        for i, (kernel, stride) in enumerate(zip(rule.kernels, rule.strides)):
            length = conv1d_output_length(length, kernel, stride)
            outputs[f"feature_extractor.conv_layers.{i}.conv.weight"] = length
    elif rule.kind in ("log-mel", "pooled"):
        mel = rule.window_seconds * rule.sample_rate // rule.hop_length
        outputs["conv1.weight"] = conv1d_output_length(mel, 3, 1, 1)
        outputs["conv2.weight"] = conv1d_output_length(outputs["conv1.weight"], 3, 2, 1)
    total, missed = 0, []
    for tensor in iter_tensors(tree):
        if not _is_convolution(tensor.path, tensor.shape):
            continue
        kernel = tensor.shape[-1]
        placed = [n for path, n in outputs.items() if tensor.path == path or tensor.path.endswith("." + path)]
        if rule.kind == "samples" and ".pos_conv_embed.conv." in f".{tensor.path}":
            placed = [conv1d_output_length(frames.positions, kernel, 1, kernel // 2)]
        if rule.kind == "conformer" and len(tensor.shape) == 3 and ".subsampling." not in f".{tensor.path}":
            placed = [conv1d_output_length(frames.positions, kernel, 1, (kernel - 1) // 2)]
        if placed:
            total += 2 * _weights(tensor.shape) * placed[0]
        else:
            missed.append(tensor.path)
    notes = []
    if missed:
        notes.append(f"convolutions not modelled for the {rule.kind!r} audio rule count 0 FLOPs: "
                     f"{', '.join(missed[:3])}{' ...' if len(missed) > 3 else ''} ({len(missed)} weights)")  # fmt: skip
    return total, notes


def patch_convolution_flops(tree: BlockBase, positions: int) -> int:
    """Forward FLOPs of the patch convolutions of a vision tower ``tree`` over ``positions`` of its sequence.

    A patch embedding is a ``Conv2d`` (``Conv3d`` for Qwen's and GLM-4V's two frames) whose stride is its kernel:
    one output per patch, each from its own pixels, so ``2 · weights`` per patch, a linear layer's count. The
    patches are the ``positions`` less a class token (a ``class_embedding`` or ``cls_token`` parameter in
    ``tree``: CLIP, InternViT), which no convolution computes. A weight is a parameter of four or more
    dimensions: ``patch`` in its name for the patch embedding, or else a convolution run after the merge
    (GLM-4V's ``downsample``, kernel = stride = ``spatial_merge_size``: one output per merged token, the
    ``positions`` the caller gives).
    """
    tensors = list(iter_tensors(tree))
    has_class = any(t.path.endswith(("class_embedding", "cls_token")) for t in tensors)
    total = 0
    for tensor in tensors:
        if tensor.kind == "parameter" and len(tensor.shape) >= 4 and tensor.path.endswith(".weight"):
            total += 2 * _weights(tensor.shape) * (positions - ("patch" in tensor.path and has_class))
    return total


def has_convolutions(tree: BlockBase) -> bool:
    """Whether ``tree`` holds a convolution weight (:func:`_is_convolution`)."""
    return any(_is_convolution(t.path, t.shape) for t in iter_tensors(tree))


__all__ = ["MODELLED_RULES", "conv1d_output_length", "convolution_flops", "has_convolutions", "patch_convolution_flops"]
