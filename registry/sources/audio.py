"""Audio inputs of a speech model as data: how many encoder positions ``S`` seconds of audio become, and how
many tokens they add to a language model's sequence.

A model type (:class:`registry.Row` or :class:`registry.Composite`) says how its feature extractor and
audio tower turn audio into positions with an :class:`AudioRule`: hyper-parameters named, not model names,
read when the config is mapped into :class:`AudioInputs` (numbers), which the model carries
(``Model.audio``). :meth:`AudioInputs.at` then gives :class:`AudioFrames` for ``S`` seconds:

* ``kind="log-mel"`` (Whisper's encoder, Voxtral's audio tower): transformers' ``WhisperFeatureExtractor``
  takes 16 kHz audio in log-mel frames of ``hop_length`` 160 samples (100 frames a second) and pads (or
  cuts) it to its ``chunk_length`` of 30 s: 3,000 mel frames, whatever ``S`` up to 30; the encoder's
  ``conv1`` (kernel 3, stride 1, padding 1) keeps them, ``conv2`` (kernel 3, stride 2, padding 1) halves
  them: ``floor((3000 + 2 - 3) / 2) + 1 = 1500`` positions (``max_source_positions``). Longer audio is
  ``long="refuse"`` (Whisper: its encoder takes one 30 s window; long-form transcription runs window after
  window, one request each) or ``long="windows"`` (Voxtral: ``VoxtralProcessor`` splits audio into 30 s
  chunks, ``ceil(S / 30)`` windows, the last padded); ``stack`` names the hyper-parameters whose ratio is
  how many positions the projector stacks into one token (Voxtral's ``get_audio_features`` reshapes the
  tower's output to ``intermediate_size`` = 4 × ``hidden_size``: 1,500 / 4 = 375 tokens a window);
* ``kind="pooled"`` (Qwen2-Audio's encoder): Whisper's 30 s window as ``log-mel`` (longer audio refused: the
  feature extractor cuts it), 1,500 encoder positions, an average pool of 2 after the layers; the language model
  takes one token per pooled position of the unpadded audio: the feature extractor's attention mask keeps
  ``ceil(samples / hop_length)`` frames ``l`` and ``Qwen2AudioProcessor`` counts ``((l - 1) // 2 + 1 - 2) // 2 + 1``
  tokens (conv2's stride, then the pool);
* ``kind="conformer"`` (Parakeet's FastConformer): the feature extractor's centred STFT frames, ``samples // hop_length
  + 1`` (no padding for one clip); the subsampling's ``log2(reduction)`` (rounded down) stride convolutions, each
  ``(L + 2 · ((kernel - 1) // 2) - kernel) // stride + 1`` (``kernels``, ``strides`` and ``reduction`` name the
  hyper-parameters); the encoder alone runs over those positions;
* ``kind="samples"`` (wav2vec2, HuBERT, WavLM): raw audio at 16 kHz (their feature extractors'
  ``sampling_rate``), ``S × 16000`` samples, no padding; the conv feature encoder's output length is
  transformers' ``_get_feat_extract_output_lengths``: for each layer ``floor((L - kernel) / stride) + 1``
  (``conv_kernel``, ``conv_stride``);
* ``kind="fbank"`` (Phi-4-multimodal's conformer): the feature extractor's frames of ``win_length`` samples every
  ``hop_length``, no padding, ``(S × 16000 - win_length) // hop_length + 1``; the encoder's subsampling halves
  them ``log2(reduction)`` times (``reduction`` the hyper-parameter, stride-2 convolutions of kernel 3 and padding
  1: ``(L - 1) // 2 + 1`` each); past ``chunk`` positions the encoder runs ``ceil(positions / chunk)`` windows of
  ``chunk`` (the last padded); the language model takes ``ceil(frames / compression)`` tokens (the extractor's
  ``audio_compression_rate``), one per position;
* ``kind="mel"`` (Gemma 4's audio tower): ``Gemma4AudioFeatureExtractor`` cuts audio past ``window_seconds`` (its
  ``max_length`` of 480,000 samples: refused here, as ``long="refuse"``), pads it to a multiple of ``pad_multiple``
  samples, prepends ``win_length // 2`` samples and unfolds frames of ``win_length + 1`` every ``hop_length``:
  ``(samples + win_length // 2 - win_length - 1) // hop_length + 1``; two stride-2 convolutions (kernel 3, padding 1)
  give the encoder's positions, ``(L - 1) // 2 + 1`` each; the language model takes one token per position of the
  unpadded audio (``Gemma4Processor._compute_audio_num_tokens``), at most ``cap``;
* ``kind="usm"`` (Gemma 3n's audio tower): ``Gemma3nAudioFeatureExtractor`` cuts audio past ``window_seconds`` (its
  ``max_length`` of 480,000 samples with ``truncation=True``: refused here), pads it to a multiple of ``pad_multiple``
  samples and unfolds frames of ``win_length + 1`` (``frame_length`` 512 samples, 32 ms) every ``hop_length`` (10 ms):
  ``(samples - win_length - 1) // hop_length + 1``; ``Gemma3nAudioSubSampleConvProjection``'s two ``Conv2d`` pad
  the time ``(0, kernel - 1)`` and stride it (``kernels`` and ``strides`` name the (time, frequency) pairs), ``(L - 1)
  // stride + 1`` each: the conformer's positions; ``Gemma3nAudioEncoder`` keeps every ``compression``-th of them
  (``conf_reduction_factor`` 4) for ``embed_audio``; the language model always takes ``cap`` tokens a clip
  (``Gemma3nProcessor``'s ``audio_seq_length`` 188: ``Gemma3nModel`` pads the audio's features to it);
* ``kind="kaldi"`` (Speech2Text's encoder-decoder): ``Speech2TextFeatureExtractor``'s Kaldi fbank frames of
  ``win_length`` (400) samples every ``hop_length`` (160), not centred and unpadded for one clip:
  ``(samples - 400) // 160 + 1``; the ``Conv1dSubsampler``'s stride-2 convolutions (``kernels`` names the
  hyper-parameter; kernel ``k``, padding ``k // 2``): ``(L + 2 · (k // 2) - k) // 2 + 1`` each, the encoder's
  positions (its sinusoidal positions grow with them: no window);
* ``kind="stacked"`` (wav2vec2-BERT): ``SeamlessM4TFeatureExtractor``'s fbank frames of ``win_length`` (400) samples
  every ``hop_length`` (160), not centred, ``(samples - 400) // 160 + 1``, padded to a multiple of its ``stride``
  (``compression``, 2) and stacked in groups of it: ``ceil(frames / 2)`` encoder positions; with an adapter (the
  ``adapter`` hyper-parameter true), each of its ``reduction`` layers pools them by its convolutions (``kernels``,
  ``strides``; padding ``stride // 2``, as ``Wav2Vec2BertAdapterLayer`` builds them): ``(L + 2 · (stride // 2) -
  kernel) // stride + 1`` each, the positions the adapter's attention, feed-forward and the CTC head run over
  (``AudioFrames.pooled``);
* ``kind="qformer"`` (Granite Speech: mel frames stacked in pairs, a Q-Former's queries per window),
  ``kind="frames"`` (LASR: unpadded frames and convolutions) and ``kind="chunked"`` (Qwen2.5-Omni: the unpadded
  frames in chunks of ``2 × n_window``, attention within each, ``ln_post`` and ``proj`` after the pool) and
  ``kind="windowed"`` (Qwen3-ASR: ``Conv2d`` per chunk, attention windows of ``n_window_infer``):
  :mod:`registry.sources.audio_kinds`.

A rule's ``longest`` (seconds; 0: none) refuses longer audio that its feature extractor would split by the audio's
content (Cohere Transcribe's energy-based chunks past ``max_audio_clip_s - overlap_chunk_second``): how many chunks
depends on the sound, not its length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from registry.sources.audio_kinds import chunked_frames, mel_frames, qformer_frames, stacked_frames, unpadded_frames, windowed_frames
from registry.text import short_value

#: Most seconds of audio one request may carry (a day: a guard against typing errors, not a model limit).
MAX_SECONDS = 86_400


@dataclass(frozen=True)
class AudioFrames:
    """``seconds`` of audio in a model: ``windows`` runs of the audio encoder over ``positions`` each;
    ``tokens`` in the language model's sequence (0: the model has no language model over the audio);
    ``samples`` the audio samples it starts from; ``projected`` the positions the projector runs over when they are
    not the tokens (0: the tokens; Qwen2-Audio projects every pooled position, then keeps the audio's tokens);
    ``features`` the feature frames a subsampling front end takes (``conformer``, ``fbank``, ``mel``; else 0), once
    for all windows; ``pooled`` the positions after an adapter's pooling (wav2vec2-BERT's; 0: none); ``chunks`` each
    window's positions when they differ (``chunked``: the layers' attention runs within each, ``positions`` their sum;
    empty: ``windows`` of ``positions`` each)."""

    seconds: Fraction
    samples: int
    windows: int
    positions: int
    tokens: int = 0
    projected: int = 0
    features: int = 0
    pooled: int = 0
    chunks: tuple[int, ...] = ()


class AudioFieldError(ValueError):
    """A config field an audio rule reads holds no whole number (``args``: the field, the problem)."""


@dataclass(frozen=True)
class AudioRule:
    """How a model type's audio becomes encoder positions: its hyper-parameters, read when the config is mapped.

    ``label`` names the rule in the outputs; ``kind`` is ``log-mel``, ``pooled``, ``samples``, ``conformer``, ``fbank``,
    ``mel``, ``usm``, ``kaldi``, ``stacked``, ``qformer``, ``frames``, ``chunked`` or ``windowed`` (module docstring);
    ``part``: the composite's part that holds the audio tower ("" for a whole model); ``kernels`` and
    ``strides`` the hyper-parameters of the conv feature encoder (``samples``); ``stack``: (numerator,
    denominator) hyper-parameters whose ratio is the positions the projector stacks into one language-model
    token (empty: the model has no language model over the audio); ``long``: ``refuse`` or ``windows`` for
    audio longer than one window; ``note``: what it assumes, for the outputs; ``fbank``'s ``win_length`` (samples a
    frame), ``reduction`` (the hyper-parameter of the subsampling's time reduction), ``compression`` (frames a
    token) and ``chunk`` (positions a window); ``mel_bins``: the feature frames' height, which a ``Conv2d`` subsampling
    convolves with the time (``conformer``, ``fbank``, ``mel``): a hyper-parameter's name (Parakeet's
    ``num_mel_bins``), or a number the model's feature extractor fixes (Gemma 4's 128); 0 for none; ``adapter``: the
    hyper-parameter that says whether the model pools its positions in an adapter (``stacked``: ``reduction`` then
    names its layers, ``kernels`` and ``strides`` its convolutions'; ``compression`` the frames stacked into one);
    ``qformer``: ``stack`` names the window and the rate whose ratio is the queries a window; ``frames``:
    ``compression`` is the number of its subsampling convolutions (``kernels``, ``strides``); ``longest``: seconds
    past which audio is refused (module docstring; 0: none); ``fallback``: (name, value) pairs a hyper-parameter
    takes when neither the params nor the config give it (the configuration class's default); ``requires``: (a
    hyper-parameter, the values it takes when the model takes audio): another value reads as no audio rule
    (SpeechT5's text-to-speech class has no speech encoder pre-net); ``window`` (``chunked``): the config field of half a
    chunk's frames (``n_window``), read in the sub-config ``at`` (dotted; "" for the top level) or the spec's table;
    ``after_pool``: the audio tower's blocks that run after its pool, over the tokens (Qwen2.5-Omni's ``ln_post``,
    ``proj``; empty: every block over the positions); ``attention_window`` (``windowed``): Qwen3-ASR's
    ``n_window_infer``, read as ``window``.
    """

    label: str
    kind: str = "log-mel"
    part: str = ""
    sample_rate: int = 16_000
    hop_length: int = 160
    window_seconds: int = 30
    kernels: str = "conv_kernel"
    strides: str = "conv_stride"
    stack: tuple[str, str] | tuple[()] = ()
    long: str = "refuse"
    note: str = ""
    win_length: int = 400
    reduction: str = "time_reduction"
    compression: int = 8
    chunk: int = 500
    pad_multiple: int = 128
    cap: int = 750
    mel_bins: str | int = 0
    adapter: str = ""
    longest: int = 0
    fallback: tuple[tuple[str, int], ...] = ()
    requires: tuple[str, tuple[str, ...]] | tuple[()] = ()
    window: str = ""
    at: str = ""
    after_pool: tuple[str, ...] = ()
    attention_window: str = ""

    def fields(self) -> tuple[str, ...]:
        """The hyper-parameters or config fields the rule reads (what a TOML spec keeps: ``[audio]``)."""
        if self.kind in ("usm", "chunked", "windowed"):  # a part holds the kernels and strides; n_window(_infer)
            return tuple(f for f in (self.window, self.attention_window) if f)
        fbank = (self.reduction,) if self.kind in ("fbank", "conformer") else ()
        convs = (self.kernels, self.strides) if self.kind in ("samples", "conformer", "frames") else ()
        if self.kind == "kaldi":
            convs = (self.kernels,)
        if self.kind == "stacked":
            return (self.adapter, self.reduction, self.kernels, self.strides) if self.adapter else ()
        return convs + tuple(self.stack) + fbank

    def read(self, params: Mapping[str, Any], config: Mapping[str, Any] | None = None,
             defaults: Mapping[str, Any] | None = None) -> AudioInputs | None:
        """The rule's numbers: each name a mapped hyper-parameter (``params``, ``name -> value``; for a composite,
        its part's) or else a field of the ``config`` (that changes no shape: ``conv_stride``) or its ``defaults``;
        None when the model takes no audio (``requires``)."""

        nested = config or {}
        for key in self.at.split(".") if self.at else ():  # a composite's nested tower config (Qwen2.5-Omni's)
            nested = nested.get(key) if isinstance(nested.get(key), Mapping) else {}

        def value(name: str) -> Any:
            for source in (params, nested, config or {}, defaults or {}, dict(self.fallback)):
                if source.get(name) is not None:
                    return source[name]
            raise ValueError(f"the audio rule reads {name!r}, which the config does not give")

        def whole(name: str, item: Any = None) -> int:  # a stride, a kernel: a wrong type is refused, never rounded
            if type(got := value(name) if item is None else item) is not int:
                raise AudioFieldError(name, f"must be a whole number (got {short_value(got)})")
            return got

        if self.requires and value(self.requires[0]) not in self.requires[1]:
            return None
        kernels: tuple[int, ...] = ()
        strides: tuple[int, ...] = ()
        if self.kind == "samples":
            kernels, strides = tuple(value(self.kernels)), tuple(value(self.strides))
        if self.kind == "kaldi":  # Conv1dSubsampler: stride 2 each
            kernels = tuple(whole(self.kernels, k) for k in value(self.kernels))
            strides = (2,) * len(kernels)
        if self.kind == "conformer":  # transformers' int(math.log2(subsampling_factor)) stride convolutions
            layers = whole(self.reduction).bit_length() - 1
            kernels, strides = (whole(self.kernels),) * layers, (whole(self.strides),) * layers
        if self.kind == "frames":  # LasrEncoderSubsampling: compression convolutions of the same kernel and stride
            kernels, strides = (whole(self.kernels),) * self.compression, (whole(self.strides),) * self.compression
        stack = 0
        if self.stack:
            stack = whole(self.stack[0]) // whole(self.stack[1])
        fbank = (self.win_length, whole(self.reduction), self.compression, self.chunk) if self.kind == "fbank" else ()
        if self.kind == "kaldi":
            fbank = (self.win_length, 0, 0, 0)
        if self.kind == "mel":
            fbank = (self.win_length, self.pad_multiple, self.cap, 0)
        if self.kind == "usm":  # (time, frequency) pairs, flattened
            kernels = tuple(whole(self.kernels, v) for pair in value(self.kernels) for v in pair)
            strides = tuple(whole(self.strides, v) for pair in value(self.strides) for v in pair)
            fbank = (self.win_length, self.pad_multiple, self.cap, self.compression)
        if self.kind == "stacked":  # the adapter's layers, when the model has one
            layers = whole(self.reduction) if self.adapter and value(self.adapter) else 0
            if layers:
                kernels, strides = (whole(self.kernels),) * layers, (whole(self.strides),) * layers
            fbank = (self.win_length, self.compression, 0, 0)
        if self.kind == "qformer":  # (window, queries a window, rate)
            fbank = (whole(self.stack[0]), stack, whole(self.stack[1]), 0)
        if self.kind == "frames":
            fbank = (self.win_length, 0, 0, 0)
        if self.kind in ("chunked", "windowed"):  # n_window: half a chunk's frames; Qwen3-ASR's n_window_infer
            where, infer = (f"{self.at}.{f}" if self.at and nested.get(f) is not None else f
                            for f in (self.window, self.attention_window or self.window))  # fmt: skip
            if (half := whole(where, value(self.window))) < 1:
                raise AudioFieldError(where, f"must be at least 1 (half a chunk's frames; got {half})")
            fbank = (half, whole(infer, value(self.attention_window)) if self.attention_window else 0, 0, 0)
        mel_bins = whole(self.mel_bins) if isinstance(self.mel_bins, str) else self.mel_bins
        return AudioInputs(self.label, self.kind, self.sample_rate, self.hop_length, self.window_seconds, kernels,
                           strides, stack, self.long, self.note, self.part, fbank, mel_bins, self.longest,
                           self.after_pool)  # fmt: skip


def conv_output_length(length: int, kernels: tuple[int, ...], strides: tuple[int, ...]) -> int:
    """transformers' ``_get_feat_extract_output_lengths``: each layer ``floor((L - kernel) / stride) + 1``."""
    for kernel, stride in zip(kernels, strides):
        length = (length - kernel) // stride + 1
    return length


@dataclass(frozen=True)
class AudioInputs:
    """An :class:`AudioRule` read from one config: numbers."""

    label: str
    kind: str
    sample_rate: int
    hop_length: int
    window_seconds: int
    kernels: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()
    stack: int = 0
    long: str = "refuse"
    note: str = ""
    part: str = ""
    fbank: tuple[int, int, int, int] | tuple[()] = ()
    mel_bins: int = 0
    longest: int = 0
    after_pool: tuple[str, ...] = ()

    def at(self, seconds: Fraction) -> AudioFrames:
        """``seconds`` of audio in this model. Raises ValueError when the rule cannot take them."""
        samples = math.floor(seconds * self.sample_rate)
        if self.longest and seconds > self.longest:
            raise ValueError(f"{_show(seconds)} s is longer than {self.longest} s, past which the feature extractor "
                             f"splits audio where it is quiet (chunks that depend on the sound: give at most "
                             f"{self.longest})")  # fmt: skip
        if self.kind in ("pooled", "mel", "usm", "chunked") and seconds > self.window_seconds:
            raise ValueError(f"{_show(seconds)} s is longer than the feature extractor's {self.window_seconds} s "
                             f"(it cuts the rest: give at most {self.window_seconds})")  # fmt: skip
        if self.kind == "qformer":
            return AudioFrames(seconds, samples, 1, **qformer_frames(samples, self.hop_length, *self.fbank[:2]))
        if self.kind == "frames":
            return AudioFrames(seconds, samples, 1, **unpadded_frames(samples, self.hop_length, self.fbank[0],
                                                                      self.kernels, self.strides))  # fmt: skip
        if self.kind == "fbank":
            return self._fbank(seconds, samples)
        if self.kind == "mel":
            return AudioFrames(seconds, samples, 1, **mel_frames(samples, self.hop_length, *self.fbank[:3], _show(seconds)))
        if self.kind == "usm":
            return self._usm(seconds, samples)
        if self.kind == "pooled":
            return self._pooled(seconds, samples)
        if self.kind == "stacked":
            return AudioFrames(seconds, samples, 1, **stacked_frames(samples, self.hop_length, *self.fbank[:2], self.kernels,
                                                                     self.strides, _show(seconds)))  # fmt: skip
        if self.kind == "chunked":
            return self._chunked(seconds, samples)
        if self.kind == "windowed":
            return AudioFrames(seconds, samples, **windowed_frames(samples, self.hop_length, *self.fbank[:2]))
        if self.kind == "kaldi":
            features = positions = (samples - self.fbank[0]) // self.hop_length + 1  # Kaldi's frames, not centred
            if features < 1:
                raise ValueError(f"{_show(seconds)} s is {samples:,} samples, shorter than one {self.fbank[0]}-sample frame")
            for kernel, stride in zip(self.kernels, self.strides):
                positions = (positions + 2 * (kernel // 2) - kernel) // stride + 1
            return AudioFrames(seconds, samples, 1, positions, features=features)
        if self.kind == "conformer":
            features = positions = samples // self.hop_length + 1  # the STFT's centred frames
            for kernel, stride in zip(self.kernels, self.strides):
                positions = (positions + 2 * ((kernel - 1) // 2) - kernel) // stride + 1
            return AudioFrames(seconds, samples, 1, positions, features=features)
        if self.kind == "samples":
            frames = conv_output_length(samples, self.kernels, self.strides)
            if frames < 1:
                raise ValueError(f"{_show(seconds)} s is {samples:,} samples, too short for the conv feature encoder "
                                 "(no frame)")  # fmt: skip
            return AudioFrames(seconds, samples, 1, frames)
        windows = math.ceil(seconds / self.window_seconds)
        if windows > 1 and self.long == "refuse":
            raise ValueError(f"{_show(seconds)} s is longer than the encoder's {self.window_seconds} s window "
                             f"(long audio runs window after window, one request each: give at most "
                             f"{self.window_seconds})")  # fmt: skip
        mel = self.window_seconds * self.sample_rate // self.hop_length  # 3,000: padded to the window
        positions = (mel + 2 * 1 - 3) // 2 + 1  # conv2: kernel 3, stride 2, padding 1
        return AudioFrames(seconds, samples, windows, positions, windows * (positions // self.stack) if self.stack else 0)

    def _fbank(self, seconds: Fraction, samples: int) -> AudioFrames:
        """Phi-4-multimodal's frames, subsampling, windows and tokens (module docstring)."""
        win_length, reduction, compression, chunk = self.fbank
        frames = (samples - win_length) // self.hop_length + 1
        if frames < 1:
            raise ValueError(f"{_show(seconds)} s is {samples:,} samples, shorter than one {win_length}-sample frame")
        positions = frames
        for _ in range(int(math.log2(reduction))):
            positions = (positions - 1) // 2 + 1
        windows = math.ceil(positions / chunk)
        return AudioFrames(seconds, samples, windows, chunk if windows > 1 else positions, math.ceil(frames / compression),
                           features=frames)  # fmt: skip

    def _pooled(self, seconds: Fraction, samples: int) -> AudioFrames:
        """Qwen2-Audio's window, positions and tokens (module docstring)."""
        mel = self.window_seconds * self.sample_rate // self.hop_length  # 3,000: padded to the window
        frames = min(-(-samples // self.hop_length), mel)  # the attention mask's frames of the unpadded audio
        tokens = ((frames - 1) // 2 + 1 - 2) // 2 + 1
        if tokens < 1:
            raise ValueError(f"{_show(seconds)} s is {samples:,} samples, too short for one audio token")
        positions = (mel + 2 * 1 - 3) // 2 + 1  # conv2: kernel 3, stride 2, padding 1
        return AudioFrames(seconds, samples, 1, positions, tokens, projected=(positions - 2) // 2 + 1)  # the pool

    def _chunked(self, seconds: Fraction, samples: int) -> AudioFrames:
        """Qwen2.5-Omni's frames, chunks and tokens (:mod:`registry.sources.audio_kinds`)."""
        most = self.window_seconds * self.sample_rate // self.hop_length  # 3,000: WhisperFeatureExtractor's nb_max_frames
        return AudioFrames(seconds, samples, **chunked_frames(samples, self.hop_length, most, self.fbank[0]))

    def _usm(self, seconds: Fraction, samples: int) -> AudioFrames:
        """Gemma 3n's frames, subsampling and tokens (module docstring)."""
        win_length, multiple, cap, reduction = self.fbank
        padded = -(-samples // multiple) * multiple
        frames = (padded - win_length - 1) // self.hop_length + 1
        if frames < 1:
            raise ValueError(f"{_show(seconds)} s is {samples:,} samples, shorter than one {win_length + 1}-sample frame")
        positions = frames
        for stride in self.strides[::2]:  # the time axis, padded (0, kernel - 1)
            positions = (positions - 1) // stride + 1
        return AudioFrames(seconds, samples, 1, positions, cap, projected=-(-positions // reduction), features=frames)


def _show(seconds: Fraction) -> str:
    return str(seconds.numerator) if seconds.denominator == 1 else f"{float(seconds):g}"


def parse_seconds(text: str) -> Fraction:
    """``"12.5"`` -> Fraction(25, 2). Raises ValueError (a positive decimal number of seconds, at most a day)."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number of seconds (e.g. 12.5)") from None
    if not value.is_finite() or value <= 0 or value > MAX_SECONDS:
        raise ValueError(f"{text!r}: seconds must be above 0 and at most {MAX_SECONDS:,}")
    return Fraction(value)


__all__ = ["MAX_SECONDS", "AudioFrames", "AudioInputs", "AudioRule", "conv_output_length", "parse_seconds"]
