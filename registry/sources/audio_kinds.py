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
  (``LasrPreTrainedModel._get_subsampling_output_length``): the encoder's positions.
"""

from __future__ import annotations

import math


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


__all__ = ["qformer_frames", "unpadded_frames"]
