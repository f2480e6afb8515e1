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
  the samples (``_get_feat_extract_output_lengths``); Moonshine's ``encoder.conv1``, ``conv2``, ``conv3`` alike
  (``MoonshineEncoder``: no padding, its fixed kernels and strides); the positional convolution ``pos_conv_embed.conv`` (kernel
  ``K`` = ``num_conv_pos_embeddings``, padding ``K // 2``, stride 1, ``groups``) over the encoder's ``P``
  positions: ``P + 2 · (K // 2) - K + 1`` outputs (``P + 1`` for an even kernel; ``Wav2Vec2SamePadLayer`` then
  drops the last, after it was computed); wav2vec2-conformer's ``conv_module`` in each layer
  (``Wav2Vec2ConformerConvolutionModule``: ``pointwise_conv1``, ``pointwise_conv2`` of kernel 1 and
  ``depthwise_conv`` of padding ``(kernel - 1) // 2``, stride 1) over the ``P`` positions, keeping them;
* ``log-mel`` and ``pooled`` (Whisper's encoder, Voxtral's and Qwen2-Audio's audio towers): ``conv1`` (kernel 3,
  stride 1, padding 1) over the window's mel frames (3,000 for 30 s: ``window_seconds · sample_rate /
  hop_length``) keeps them, ``conv2`` (kernel 3, stride 2, padding 1) gives ``(3000 + 2 - 3) // 2 + 1 = 1500``;
  once per window;
* ``chunked`` (Qwen2.5-Omni's audio tower: ``chunk_and_pad_features``): ``conv1`` and ``conv2`` as Whisper's, once per
  chunk over the longest chunk's frames (``pad_sequence`` pads every chunk to it): ``min(l, 2 · n_window)`` of the
  ``l`` frames (``AudioFrames.features``), padding included;
* ``windowed`` (Qwen3-ASR's ``Qwen3ASREncoder``): its ``Conv2d`` subsampling (below, stride 2) once per chunk
  (``AudioFrames.windows``) over the chunk's ``2 · n_window`` frames, padding included, and the mel bins;
* ``kaldi`` (Speech2Text: ``Conv1dSubsampler``): each ``conv.conv_layers.<i>`` (stride 2, padding ``kernel // 2``)
  over the previous one's output, the first over the fbank frames;
* ``stacked`` (wav2vec2-BERT: ``Wav2Vec2BertConvolutionModule``, ``Wav2Vec2BertAdapterLayer``): each layer's
  ``conv_module`` convolutions over the positions (the depthwise one left-padded ``kernel - 1``: the length kept);
  each adapter layer's ``residual_conv`` and ``self_attn_conv`` (the rule's stride, padding ``stride // 2``) over
  the previous adapter layer's output, the first over the positions;
* ``conformer`` (Parakeet: ``ParakeetEncoderConvolutionModule``, ``ParakeetEncoderCTCHead``): each layer's
  ``conv.pointwise_conv1`` and ``conv.pointwise_conv2`` (kernel 1) and ``conv.depthwise_conv`` (padding
  ``(kernel - 1) // 2``, stride 1: the length kept), and a CTC head's ``ctc_head`` (kernel 1), over the encoder's
  positions; the subsampling's ``Conv2d`` layers (below);
* ``fbank`` (Phi-4-multimodal: ``Phi4MultimodalAudioConvModule``), in each window of ``L`` positions: each layer's
  ``glu.ext_pw_conv_1d`` and ``ext_pw_conv_1d`` (kernel 1) over ``L``, ``dw_sep_conv_1d.dw_conv`` (padding
  ``kernel - 1``: ``L + kernel - 1`` outputs, the last ``kernel - 1`` cut after) and ``dw_sep_conv_1d.pw_conv`` (kernel
  1) over those ``L + kernel - 1``; the subsampling's ``Conv2d`` layers (``embed.conv.<i>``, below) once over all the
  frames, before the windows;
* ``mel`` (Gemma 4: ``Gemma4AudioLightConv1d``): each layer's ``lconv1d.depthwise_conv1d`` (causal: ``kernel - 1``
  zeros on the left, stride 1) over the positions; the subsampling's ``Conv2d`` layers
  (``subsample_conv_projection.layer<i>.conv``, below);
* ``usm`` (Gemma 3n: ``Gemma3nAudioConformerLightConv1d``): each layer's ``lconv1d.depthwise_conv1d`` (causal, as
  Gemma 4's) over the positions; the subsampling's two ``Conv2d`` (``subsample_conv_projection.conv_<i>.conv``) pad
  the time ``(0, k_t - 1)`` and the frequency ``(1, 1)`` (:func:`usm_subsampling_outputs`);
* ``qformer`` (Granite Speech: ``GraniteSpeechConformerConvModule``) and ``frames`` (LASR:
  ``LasrEncoderConvolutionModule``): each layer's convolution module (pointwise, depthwise with 'same' padding,
  pointwise; stride 1) over the positions, as LASR's ``ctc_head`` (pointwise); LASR's ``subsampler.conv_<i>`` (no
  padding) over the frames, ``(L - kernel) // stride + 1`` each.

A ``Conv2d`` subsampling (the 4-dimensional convolution weights of an audio tree, in order) runs over the feature
frames ``T`` (``AudioFrames.features``) and the mel bins ``F`` (``AudioInputs.mel_bins``): a convolution of kernel
``k > 1`` strides both by the rule's stride (Parakeet's ``subsampling_conv_stride``; 2 for Phi-4-multimodal and Gemma
4) with padding ``(k - 1) // 2``, ``T <- (T + 2 · ((k - 1) // 2) - k) // stride + 1`` and so ``F``; a pointwise one
(``k = 1``, stride 1) keeps them; each computes ``T · F`` outputs (transformers' ``ParakeetEncoderSubsamplingConv2D``,
``Phi4MultimodalAudioNemoConvSubsampling``, ``Gemma4AudioSubSampleConvProjection``).

:func:`convolution_flops` counts every window (Voxtral's 30 s windows, Phi-4-multimodal's windows of 500 positions).
A vision tower's patch convolutions: :func:`patch_convolution_flops`. The weight normalisation of wav2vec2's
positional convolution (computing the weight from ``original0`` and ``original1``) and the biases are not counted,
as Appendix F counts no biases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from registry.analyses.report import iter_tensors
from registry.blocks import BlockBase, Module, Repeat, join

#: The rules whose convolutions :func:`convolution_flops` counts.
MODELLED_RULES = frozenset({"samples", "log-mel", "pooled", "conformer", "fbank", "mel", "usm", "kaldi", "stacked", "qformer",
                            "frames", "chunked", "windowed"})


def conv1d_output_length(length: int, kernel: int, stride: int = 1, padding: int | tuple[int, int] = 0) -> int:
    """PyTorch's ``Conv1d`` output length (no dilation): ``(length + 2 · padding - kernel) // stride + 1``; a
    ``(before, after)`` padding (an ``F.pad`` before the convolution) adds ``before + after``."""
    total = sum(padding) if isinstance(padding, tuple) else 2 * padding
    return (length + total - kernel) // stride + 1


def _weights(shape: tuple[int, ...]) -> int:
    n = 1
    for side in shape:
        n *= side
    return n


def _is_convolution(path: str, shape: tuple[int, ...]) -> bool:
    """A parameter tensor that is a convolution's weight: three or more dimensions, ``conv`` in its name (or a
    conformer's ``subsampling`` or ``ctc_head``), a ``weight`` (or a weight normalisation's direction,
    ``original1``); not its scale (``original0``), nor Phi-4-multimodal's GLU biases (``glu.b1``, ``glu.b2``)."""
    named = "conv" in path or ".subsampling." in f".{path}" or path.endswith("ctc_head.weight")
    return len(shape) >= 3 and named and path.endswith(("weight", "original1"))


def subsampling_outputs(tensors: list[tuple[str, tuple[int, ...]]], time: int, freq: int, stride: int) -> dict[str, int]:
    """The output positions (``T · F``) of each ``Conv2d`` weight of a subsampling, in order, over ``time`` frames of
    ``freq`` mel bins (module docstring: a kernel above 1 strides by ``stride``, padding ``(k - 1) // 2``)."""
    outputs = {}
    for path, shape in tensors:
        kernel = shape[-1]
        if kernel > 1:
            padding = (kernel - 1) // 2
            time = conv1d_output_length(time, kernel, stride, padding)
            freq = conv1d_output_length(freq, kernel, stride, padding)
        outputs[path] = time * freq
    return outputs


def usm_subsampling_outputs(tensors: list[tuple[str, tuple[int, ...]]], time: int, freq: int,
                            strides: tuple[int, ...]) -> dict[str, int]:
    """The output positions (``T · F``) of each ``Conv2d`` weight ``(out, in, k_t, k_f)`` of Gemma 3n's subsampling
    (``Gemma3nAudioSubSampleConvProjection``), in order, over ``time`` frames of ``freq`` mel bins: the time padded
    ``(0, k_t - 1)``, the frequency ``(1, 1)``, strided by ``strides`` (flattened (time, frequency) pairs)."""
    outputs = {}
    for i, (path, shape) in enumerate(tensors):
        k_t, k_f = shape[-2], shape[-1]
        time = conv1d_output_length(time, k_t, strides[2 * i], (0, k_t - 1))
        freq = conv1d_output_length(freq, k_f, strides[2 * i + 1], (1, 1))
        outputs[path] = time * freq
    return outputs


def _conv1d_outputs(rule: Any, frames: Any, path: str, kernel: int, shapes: dict[str, tuple[int, ...]]) -> int | None:
    """The output positions of a 1-dimensional convolution ``path`` of ``kernel`` in one window (module docstring),
    None when the rule does not place it."""
    dotted = f".{path}"
    if rule.kind == "samples" and ".pos_conv_embed.conv." in dotted:
        return conv1d_output_length(frames.positions, kernel, 1, kernel // 2)
    if rule.kind == "samples" and ".conv_module." in dotted:  # wav2vec2-conformer's: padding (kernel - 1) // 2
        return conv1d_output_length(frames.positions, kernel, 1, (kernel - 1) // 2)
    if rule.kind == "stacked" and ".conv_module." in dotted:  # wav2vec2-BERT's: left-padded kernel - 1, stride 1
        return frames.positions
    if rule.kind == "conformer" and ".subsampling." not in dotted:
        return conv1d_output_length(frames.positions, kernel, 1, (kernel - 1) // 2)
    if rule.kind == "fbank" and ".dw_sep_conv_1d." in dotted:  # padding kernel - 1, the pointwise over its output
        depthwise = shapes.get(path.replace(".pw_conv.", ".dw_conv."), (kernel,))[-1]
        return frames.positions + depthwise - 1
    if rule.kind == "fbank" and path.endswith("ext_pw_conv_1d.weight"):
        return frames.positions
    if rule.kind in ("qformer", "frames") and ".layers." in dotted and ".conv." in dotted:  # 'same' padding, stride 1
        return frames.positions
    if rule.kind == "frames" and path == "ctc_head.weight":  # LasrForCTC's head: a pointwise Conv1d
        return frames.positions
    if rule.kind in ("mel", "usm") and path.endswith("lconv1d.depthwise_conv1d.weight"):  # causal: kernel - 1 zeros on the left
        return frames.positions
    return None


def convolution_flops(tree: BlockBase, rule: Any, frames: Any) -> tuple[int, list[str]]:
    """(forward FLOPs of the convolutions of ``tree`` over ``frames``, every window, notes).

    ``rule`` is the model's :class:`registry.sources.audio.AudioInputs`, ``frames`` an
    :class:`registry.sources.audio.AudioFrames`. A convolution weight the rule does not place is left out, with a
    note.
    """
    tensors = [(t.path, t.shape) for t in iter_tensors(tree) if _is_convolution(t.path, t.shape)]
    shapes = dict(tensors)
    outputs: dict[str, int] = {}
    once: dict[str, int] = {}  # run once over all the frames, not per window: a Conv2d subsampling
    if rule.kind == "samples":
        length = frames.samples
        for i, (kernel, stride) in enumerate(zip(rule.kernels, rule.strides)):
            length = conv1d_output_length(length, kernel, stride)
            outputs[f"feature_extractor.conv_layers.{i}.conv.weight"] = length
            outputs[f"feature_encoder.conv_layers.{i}.conv.weight"] = length  # SpeechT5's speech encoder pre-net
            outputs[f"encoder.conv{i + 1}.weight"] = length  # Moonshine's front end: conv1, conv2, conv3
    elif rule.kind == "kaldi":  # Speech2Text's Conv1dSubsampler over the fbank frames: stride 2, padding k // 2
        length = frames.features
        for i, kernel in enumerate(rule.kernels):
            length = conv1d_output_length(length, kernel, 2, kernel // 2)
            outputs[f"conv.conv_layers.{i}.weight"] = length
    elif rule.kind == "frames":  # LASR's LasrEncoderSubsampling: Conv1d without padding over the frames
        length = frames.features
        for i, (kernel, stride) in enumerate(zip(rule.kernels, rule.strides)):
            length = conv1d_output_length(length, kernel, stride)
            outputs[f"subsampler.conv_{i}.weight"] = length
    elif rule.kind == "stacked":  # wav2vec2-BERT's adapter layers: stride s, padding s // 2
        length = frames.positions
        for i, (kernel, stride) in enumerate(zip(rule.kernels, rule.strides)):
            length = conv1d_output_length(length, kernel, stride, stride // 2)
            outputs[f"adapter.layers.{i}.residual_conv.weight"] = length
            outputs[f"adapter.layers.{i}.self_attn_conv.weight"] = length
    elif rule.kind in ("log-mel", "pooled", "chunked"):
        mel = rule.window_seconds * rule.sample_rate // rule.hop_length
        if rule.kind == "chunked":  # each chunk padded to the longest: 2 · n_window frames, or the one chunk's own
            mel = min(frames.features, 2 * rule.fbank[0])
        outputs["conv1.weight"] = conv1d_output_length(mel, 3, 1, 1)
        outputs["conv2.weight"] = conv1d_output_length(outputs["conv1.weight"], 3, 2, 1)
    elif rule.kind == "windowed" and rule.mel_bins:  # Qwen3-ASR: every chunk of 2 · n_window frames, padding included
        outputs = subsampling_outputs([(p, s) for p, s in tensors if len(s) == 4], 2 * rule.fbank[0], rule.mel_bins, 2)
    elif rule.kind == "usm" and rule.mel_bins and frames.features:
        once = usm_subsampling_outputs([(p, s) for p, s in tensors if len(s) == 4], frames.features, rule.mel_bins,
                                       rule.strides)  # fmt: skip
    elif rule.kind in ("conformer", "fbank", "mel") and rule.mel_bins and frames.features:
        stride = rule.strides[0] if rule.strides else 2
        once = subsampling_outputs([(p, s) for p, s in tensors if len(s) == 4], frames.features, rule.mel_bins, stride)
    total, missed = 0, []
    for path, shape in tensors:
        kernel = shape[-1]
        placed = [n for suffix, n in outputs.items() if path == suffix or path.endswith("." + suffix)]
        if len(shape) == 3 and not placed:
            one = _conv1d_outputs(rule, frames, path, kernel, shapes)
            placed = [] if one is None else [one]
        if placed:
            total += 2 * _weights(shape) * placed[0] * frames.windows
        elif path in once:
            total += 2 * _weights(shape) * once[path]
        else:
            missed.append(path)
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


def patch_convolution_inputs(tree: BlockBase, positions: int) -> int:
    """The values the patch convolutions of a vision tower ``tree`` take over ``positions`` of its sequence: what
    autograd saves of them in training (a convolution keeps its input for its weight's gradient, even of pixels that
    need none). Kernel = stride, so each output reads its own ``in / groups · kernel`` values, none twice: ``weights /
    out`` per patch (a class token excluded), as :func:`patch_convolution_flops` selects the weights."""
    tensors = list(iter_tensors(tree))
    has_class = any(t.path.endswith(("class_embedding", "cls_token")) for t in tensors)
    total = 0
    for tensor in tensors:
        if tensor.kind == "parameter" and len(tensor.shape) >= 4 and tensor.path.endswith(".weight"):
            total += _weights(tensor.shape[1:]) * (positions - ("patch" in tensor.path and has_class))
    return total


def convolution_modules(tree: BlockBase, covered: Any = None) -> tuple[list[str], int]:
    """(the modules of ``tree`` holding convolution weights that ``covered(path, shape)`` does not accept, their
    layer indices as ``*``, in tree order; how many such weights). A convolution weight here is a bare parameter
    of three or more dimensions named a ``weight`` (or ``original1``): :func:`_is_convolution`'s and every patch
    convolution or 1x1 convolution, whatever its name."""
    found = tree.__dict__.get("_convolution_weights")  # walked once per tree (blocks are immutable)
    if found is None:
        found = tree.__dict__["_convolution_weights"] = list(_convolution_weights(tree, "", 1))
    modules: list[str] = []
    weights = 0
    for path, shape, copies in found:
        if covered is not None and covered(path, shape):
            continue
        weights += copies
        module = path.removesuffix(".parametrizations.weight.original1").removesuffix(".weight")
        name = re.sub(r"\.(\d+)(?=\.|$)", ".*", module)
        if name not in modules:
            modules.append(name)
    return modules, weights


def _convolution_weights(block: BlockBase, prefix: str, copies: int) -> Iterator[tuple[str, tuple[int, ...], int]]:
    """(path, shape, copies) of each bare parameter of three or more dimensions named a ``weight`` under ``block``,
    a repeat walked once (its layer index ``*``, its copies multiplied), not expanded as :func:`iter_tensors` does."""
    for t in block.tensors():
        if t.kind == "parameter" and len(t.shape) >= 3 and t.path.endswith(("weight", "original1")):
            yield join(prefix, t.path), t.shape, copies
    if isinstance(block, Repeat):
        for child in block.blocks:
            yield from _convolution_weights(child, join(prefix, block.name, "*"), copies * block.count)
    elif isinstance(block, Module):
        for child in block.blocks:
            yield from _convolution_weights(child, join(prefix, block.name), copies)
    else:
        for child in block.children():
            yield from _convolution_weights(child, prefix, copies)


def has_convolutions(tree: BlockBase) -> bool:
    """Whether ``tree`` holds a convolution weight (:func:`_is_convolution`)."""
    return any(_is_convolution(t.path, t.shape) for t in iter_tensors(tree))


__all__ = ["MODELLED_RULES", "conv1d_output_length", "convolution_flops", "convolution_modules", "has_convolutions",
           "patch_convolution_flops", "patch_convolution_inputs", "subsampling_outputs", "usm_subsampling_outputs"]
