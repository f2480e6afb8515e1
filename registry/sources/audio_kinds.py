"""More ways audio becomes encoder positions (the kinds :mod:`registry.sources.audio` hands on), as plain numbers.

Each function takes the audio's ``samples`` and the rule's numbers and returns the fields of an
:class:`registry.sources.audio.AudioFrames` (``positions``, ``tokens``, ``projected``, ``features``); it raises
ValueError for audio too short to make one position. As transformers 5.25 computes them:

* ``kind="qformer"`` (Granite Speech): ``GraniteSpeechFeatureExtractor`` takes torchaudio's centred mel frames,
  ``samples // hop_length + 1``, drops the last when they are odd and stacks them in pairs (``input_dim`` = 2 × 80
  mel bins): ``frames // 2`` encoder positions (the conformer keeps them); ``GraniteSpeechEncoderProjector`` pads
  them to ``ceil(positions / window_size)`` windows of ``window_size`` and its Q-Former gives ``window_size //
  downsample_rate`` queries a window: the audio tokens, as ``_get_num_audio_features`` counts them (the
  ``audio_embed_sizes`` ``GraniteSpeechProcessor`` inserts ``<|audio|>`` tokens for);
* ``kind="frames"`` (LASR, Google's MedASR): ``LasrFeatureExtractor`` unfolds frames of ``win_length`` samples every
  ``hop_length``, not centred, ``(samples - win_length) // hop_length + 1``; ``LasrEncoderSubsampling``'s two
  ``Conv1d`` (``kernels``, ``strides``; no padding), ``(L - kernel) // stride + 1`` each
  (``LasrPreTrainedModel._get_subsampling_output_length``): the encoder's positions;
* ``kind="chunked"`` (Qwen2.5-Omni's audio encoder): Whisper's feature extractor padded to 30 s (longer audio refused:
  it cuts the rest), of which ``Qwen2_5OmniThinkerForConditionalGeneration.get_audio_features`` keeps the attention
  mask's frames, ``l = min(ceil(samples / hop_length), 3000)``; ``chunk_and_pad_features`` cuts them in
  ``ceil(l / (2 · n_window))`` chunks of ``2 · n_window`` frames (``n_window`` the rule's ``window`` field), the last
  ``l mod (2 · n_window)`` (or a whole chunk), padded to the longest chunk for ``conv1`` and ``conv2``
  (``AudioFrames.features`` the ``l`` frames, the convolutions' lengths by
  :func:`registry.analyses.convolutions.convolution_flops`); ``get_valid_indices`` keeps each chunk's ``(n - 1) //
  2 + 1`` positions of ``n`` frames (``AudioFrames.chunks``; ``positions`` their sum, ``(l - 1) // 2 + 1``), the
  layers' attention runs within each chunk (``get_audio_cu_seqlens``); the average pool of 2 then gives the tokens,
  ``((l - 1) // 2 + 1 - 2) // 2 + 1`` (``get_pool_indices``; the processor's ``_get_feat_extract_output_lengths``),
  over which ``ln_post`` and ``proj`` run (the rule's ``after_pool``) and which join the thinker's language model;
* ``kind="windowed"`` (Qwen3-ASR's audio encoder, transformers 5.25 ``modeling_qwen3_asr.py``): the processor calls
  ``Qwen3ASRFeatureExtractor`` with ``padding=True`` and ``truncation=False`` (no cut: any length), which first pads
  audio shorter than ``min_length`` (8,000 samples) with zeros that count as audio, then keeps ``l = samples //
  hop_length`` frames (the STFT's last frame dropped) and pads them to a multiple of ``2 · n_window``;
  ``Qwen3ASREncoder.forward`` runs ``conv2d1`` to ``conv2d3`` (3 × 3, stride 2, padding 1) and ``conv_out`` over
  every chunk of ``2 · n_window`` frames, padding included (``AudioFrames.windows`` the chunks), then keeps each
  chunk's ``_post_cnn_length`` positions of its ``n`` frames (three halvings ``(n - 1) // 2 + 1``): their sum is the
  tokens (the processor's ``_get_audio_token_length``, 13 a whole chunk, which the model's ``n_window`` must give);
  ``get_audio_cu_seqlens`` cuts them in attention windows of ``13 · (n_window_infer // (2 · n_window))`` positions
  (the longest chunk's when no chunk is whole), the last what is left (``AudioFrames.chunks``); ``ln_post`` and the
  projector run over the tokens, which join the language model.
"""

from __future__ import annotations

import math
from typing import Any


def qformer_frames(samples: int, hop_length: int, window: int, queries: int) -> dict[str, int]:
    """Granite Speech's mel frames, stacked positions, projector windows and tokens (module docstring)."""
    frames = samples // hop_length + 1
    positions = frames // 2
    if positions < 1:
        raise ValueError(f"{samples:,} samples make {frames} mel frame: too short for one encoder position (a pair)")
    windows = math.ceil(positions / window)
    return {"positions": positions, "tokens": windows * queries, "features": frames - frames % 2}


def unpadded_frames(samples: int, hop_length: int, win_length: int, kernels: tuple[int, ...],
                    strides: tuple[int, ...]) -> dict[str, int]:  # fmt: skip
    """LASR's frames and its subsampling's positions (module docstring)."""
    features = positions = (samples - win_length) // hop_length + 1
    for kernel, stride in zip(kernels, strides):
        positions = (positions - kernel) // stride + 1
    if features < 1 or positions < 1:
        raise ValueError(f"{samples:,} samples make {max(features, 0)} frames of {win_length} samples: too short for "
                         "one position after the subsampling")  # fmt: skip
    return {"positions": positions, "features": features}


def stacked_frames(samples: int, hop_length: int, win_length: int, stride: int, kernels: tuple[int, ...],
                   strides: tuple[int, ...], shown: str) -> dict[str, int]:  # fmt: skip
    """wav2vec2-BERT's frames, stacked positions and the adapter's pooled ones (``kind="stacked"``,
    :mod:`registry.sources.audio`); ``shown`` the seconds, for the refusals."""
    features = (samples - win_length) // hop_length + 1  # not centred
    if features < 1:
        raise ValueError(f"{shown} s is {samples:,} samples, shorter than one {win_length}-sample frame")
    positions = -(-features // stride)  # padded to a multiple of the stride, then stacked
    pooled = positions
    for kernel, pool in zip(kernels, strides):
        pooled = (pooled + 2 * (pool // 2) - kernel) // pool + 1
    if pooled < 1:
        raise ValueError(f"{shown} s is {positions:,} encoder positions, too short for the adapter's pooling")
    return {"positions": positions, "features": features, "pooled": pooled if kernels else 0}


def mel_frames(samples: int, hop_length: int, win_length: int, multiple: int, cap: int, shown: str) -> dict[str, int]:
    """Gemma 4's frames, subsampling and tokens (``kind="mel"``, :mod:`registry.sources.audio`); ``shown`` the
    seconds, for the refusal."""

    def frames(n: int) -> int:
        return (n + win_length // 2 - win_length - 1) // hop_length + 1

    def positions(n: int) -> int:
        t = frames(n)
        for _ in range(2):
            t = (t - 1) // 2 + 1
        return t

    tokens = positions(samples)
    if tokens < 1:
        raise ValueError(f"{shown} s is {samples:,} samples, too short for one audio token")
    padded = -(-samples // multiple) * multiple
    return {"positions": positions(padded), "tokens": min(tokens, cap), "features": frames(padded)}


def chunked_frames(samples: int, hop_length: int, most: int, n_window: int) -> dict[str, Any]:
    """Qwen2.5-Omni's frames (at most ``most``), chunks, positions and tokens (module docstring)."""
    frames = min(-(-samples // hop_length), most)  # the attention mask's frames of the unpadded audio
    tokens = ((frames - 1) // 2 + 1 - 2) // 2 + 1
    if tokens < 1:
        raise ValueError(f"{samples:,} samples make {frames} mel frame{'s' * (frames != 1)}: too short for one audio token")
    size = 2 * n_window
    count = -(-frames // size)
    lengths = [size] * (count - 1) + [frames - size * (count - 1)]  # the last chunk: what is left
    chunks = tuple((n - 1) // 2 + 1 for n in lengths)  # conv2's stride 2 over each chunk's own frames
    return {"windows": count, "positions": sum(chunks), "tokens": tokens, "features": frames, "chunks": chunks}


#: ``Qwen3ASRFeatureExtractor``'s ``min_length``: shorter audio is padded with zeros to it, counted as audio.
WINDOWED_MIN_SAMPLES = 8_000


def post_cnn_length(frames: int) -> int:
    """``Qwen3ASREncoder._post_cnn_length``: the positions of ``frames`` after three 3 × 3 convolutions of stride 2
    and padding 1 (0 stays 0)."""
    for _ in range(3):
        frames = (frames - 1) // 2 + 1 if frames > 0 else 0
    return frames


def windowed_frames(samples: int, hop_length: int, n_window: int, n_window_infer: int) -> dict[str, Any]:
    """Qwen3-ASR's frames, chunks, tokens and attention windows (module docstring)."""
    if post_cnn_length(2 * n_window) != 13:  # the model builds, but its processor and encoder disagree
        raise ValueError(f"n_window {n_window} makes chunks of {2 * n_window} frames, {post_cnn_length(2 * n_window)} "
                         "positions each, where transformers counts 13 (_get_audio_token_length): only 49 to 52 take audio")
    if n_window_infer < 2 * n_window:  # get_audio_cu_seqlens: windows of 0 positions
        raise ValueError(f"n_window_infer {n_window_infer} is under 2 x n_window ({2 * n_window}): windows of no "
                         "position (get_audio_cu_seqlens)")  # fmt: skip
    frames = max(samples, WINDOWED_MIN_SAMPLES) // hop_length
    size = 2 * n_window
    lengths = [size] * (frames // size) + ([frames % size] if frames % size else [])
    tokens = sum(post_cnn_length(n) for n in lengths)
    window = max(post_cnn_length(n) for n in lengths) * (n_window_infer // size)
    windows = (window,) * (tokens // window) + ((tokens % window,) if tokens % window else ())
    return {"windows": len(lengths), "positions": tokens, "tokens": tokens, "features": frames, "chunks": windows}


__all__ = ["WINDOWED_MIN_SAMPLES", "chunked_frames", "post_cnn_length", "windowed_frames", "mel_frames", "qformer_frames", "stacked_frames", "unpadded_frames"]
