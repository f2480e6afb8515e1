"""Audio in a speech model: how many encoder positions and language-model tokens, and the FLOPs they bring.

:func:`plan_audio` turns ``seconds`` of audio into an :class:`AudioPlan`, by the model's own rule
(``Model.audio``, read from its config: :mod:`registry.sources.audio`). What the plan drives depends on the
model:

* an audio encoder alone (wav2vec2, HuBERT, WavLM, Parakeet: ``role="encoder"``): its sequence is the conv feature
  encoder's frames; FLOPs and memory are the model's at that length (the text ``--seq-len`` is not used);
* an encoder-decoder (Whisper: ``role="encoder-decoder"``; Moonshine and Speech2Text, whose rules are ``samples``
  and ``kaldi``, by their cross-attention): the encoder runs over its positions (Whisper's 1,500), what the decoder's cross-attention
  caches (``memory``'s ``encoder_len``); SeamlessM4T (a ``speech_encoder`` beside its text decoder): the speech
  encoder over its positions, the decoder's cross-attention over what its adapter pools them to, no text encoder
  (:func:`_speech_encoder_decoder_terms`);
* a composite (Voxtral: ``role="composite"``): the language model's sequence grows by the audio tokens (its
  FLOPs, KV cache and activations over text and audio), the audio tower runs once per window over its
  positions and the projector over the tokens (:func:`audio_forward_terms`); in training, the activations of
  all three (:func:`audio_activations`).

Each part is counted by registry's existing FLOPs rules (:func:`registry.analyses.flops_terms.forward_terms`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from registry.analyses.convolutions import conv1d_output_length, convolution_flops
from registry.analyses.flops_terms import TERMS, forward_terms
from registry.analyses.report import iter_tensors
from registry.analyses.saved_tensors import saved_activations
from registry.blocks import Module, Repeat
from registry.blocks.parts import only_part, part_names
from registry.model import Model
from registry.sources.audio import AudioFrames
from registry.sources.audio_kinds import post_cnn_length


@dataclass(frozen=True)
class AudioPlan:
    """``seconds`` of audio in a model whose role is ``role`` (module docstring): ``frames`` by the rule ``label``;
    ``note`` what the rule assumes; ``part`` the composite's audio tower ("" for a whole model)."""

    role: str
    frames: AudioFrames
    label: str
    note: str = ""
    part: str = ""

    @property
    def tokens(self) -> int:
        """Audio tokens in the language model's sequence (0 but in a composite)."""
        return self.frames.tokens

    def line(self) -> str:
        """What the figures assume, in one line."""
        f = self.frames
        seconds = str(f.seconds.numerator) if f.seconds.denominator == 1 else f"{float(f.seconds):g}"
        windows = f"{f.windows} windows of " if f.windows > 1 and not f.chunks else ""
        chunks = f" in {len(f.chunks)} attention windows" if len(f.chunks) > 1 else ""  # Qwen's chunks, Qwen3-ASR's windows
        tokens = f", {f.tokens:,} tokens in the language model's sequence" if self.role == "composite" else ""
        tokens += f", its adapter over {f.pooled:,} pooled positions" if f.pooled else ""
        note = f"; {self.note}" if self.note else ""
        return (f"{seconds} s of audio ({f.samples:,} samples): audio encoder over {windows}{f.positions:,} positions"
                f"{chunks}{tokens} ({self.label}){note}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the request and what it becomes."""
        f = self.frames
        return {"audio_seconds": float(f.seconds), "audio_samples": f.samples, "audio_windows": f.windows,
                "audio_encoder_positions": f.positions, "audio_tokens": f.tokens, "audio_rule": self.label,
                "audio_assumption": self.line()}  # fmt: skip


def plan_audio(model: Model, seconds: Fraction | float | int | str) -> AudioPlan:
    """``seconds`` of audio in ``model``. Raises ValueError for a model that takes no audio (no audio rule) or
    seconds it cannot take."""
    from registry.sources.audio import parse_seconds

    rule = model.audio
    if rule is None:
        raise ValueError("takes no audio (no audio tower, or a spec without [audio]: --audio-seconds needs a speech "
                         "model's config or spec)")  # fmt: skip
    frames = rule.at(seconds if isinstance(seconds, Fraction) else parse_seconds(str(seconds)))
    names = part_names(model.architecture)
    if rule.stack or rule.kind in ("fbank", "mel", "pooled", "usm", "chunked", "windowed"):
        role = "composite"
    elif rule.kind in ("samples", "conformer", "kaldi", "stacked", "frames"):  # Moonshine, Speech2Text: into an encoder-decoder
        role = "encoder-decoder" if _cross_attention(model.architecture) else "encoder"
    else:
        role = "encoder-decoder"
    return AudioPlan(role, frames, rule.label, rule.note, rule.part if rule.part in names else "")


def _cross_attention(block: Any) -> bool:
    """Whether the tree holds a decoder's cross-attention (``kv_cache="encoder"``): an encoder-decoder."""
    if getattr(block, "kv_cache", None) == "encoder":
        return True
    return any(_cross_attention(child) for child in getattr(block, "blocks", ()))


def _part(model: Model, part: str) -> Model:
    return replace(model, architecture=only_part(model.architecture, part))


def _add(total: dict[str, int], terms: dict[str, int], times: int = 1) -> None:
    for k, v in terms.items():
        total[k] = total.get(k, 0) + times * v


def _split(block: Any, names: tuple[str, ...], keep: bool) -> Any:
    """``block`` with only (``keep``) or without the modules called one of ``names`` (depth first), paths unchanged."""
    if getattr(block, "name", None) in names:
        return block if keep else None
    if isinstance(block, Module):
        kids = [k for k in (_split(c, names, keep) for c in block.blocks) if k is not None]
        return block.model_copy(update={"blocks": kids}) if kids or not keep else None
    return None if keep else block


def _tower_terms(model: Model, tower: Model, frames: AudioFrames) -> dict[str, int]:
    """Forward FLOPs of the audio ``tower``: each window over its positions (each of ``frames.chunks`` over its own,
    when they differ: attention within each), the blocks the rule runs after the pool (``AudioInputs.after_pool``:
    Qwen2.5-Omni's ``ln_post`` and ``proj``) over the tokens; Qwen3-ASR's ``conv_out`` over every chunk's positions."""
    after, front = model.audio.after_pool, ("conv_out",) if model.audio.kind == "windowed" else ()
    total: dict[str, int] = {}
    layers = replace(tower, architecture=_split(tower.architecture, after + front, False)) if after or front else tower
    if front:  # Qwen3-ASR's conv_out: over every chunk's positions, padding included
        per_chunk = post_cnn_length(2 * model.audio.fbank[0])
        _add(total, forward_terms(replace(tower, architecture=_split(tower.architecture, front, True)), per_chunk)[0],
             frames.windows)  # fmt: skip
    for length in sorted(set(frames.chunks)):
        _add(total, forward_terms(layers, length)[0], frames.chunks.count(length))
    if not frames.chunks:
        _add(total, forward_terms(layers, frames.positions)[0], frames.windows)
    pooled = _split(tower.architecture, after, True) if after else None
    if pooled is not None and frames.tokens:
        _add(total, forward_terms(replace(tower, architecture=pooled), frames.tokens)[0])
    return total


def audio_terms(model: Model, plan: AudioPlan) -> dict[str, int]:
    """Forward FLOPs of a composite's audio tower (:func:`_tower_terms`) and projector (over the tokens, or the
    positions it runs over: ``AudioFrames.projected``)."""
    names = part_names(model.architecture)
    total: dict[str, int] = {}
    if plan.part in names:
        tower = _part(model, plan.part)
        _add(total, _tower_terms(model, tower, plan.frames))
        total["convolution"] = total.get("convolution", 0) + convolution_flops(tower.architecture, model.audio,
                                                                               plan.frames)[0]  # every window
    for connector in ("projector", "embed_audio"):  # embed_audio: Gemma 4's embedder, over the audio tokens
        if connector in names and plan.tokens:
            _add(total, forward_terms(_part(model, connector), plan.frames.projected or plan.tokens)[0])
    return total


#: The blocks of a wav2vec2-BERT adapter layer that run over the positions its convolutions leave (its two first
#: layer norms run over those it takes).
_POOLED_BLOCKS = ("self_attn", "ffn_layer_norm", "ffn")


def _named_module(block: Any, name: str) -> Module | None:
    """The first module called ``name`` under ``block`` (depth first), None when there is none."""
    for child in getattr(block, "blocks", ()):
        if isinstance(child, Module) and child.name == name:
            return child
        found = _named_module(child, name) if isinstance(child, Module) else None
        if found is not None:
            return found
    return None


def _pooled_terms(model: Model, plan: AudioPlan, terms: dict[str, int]) -> None:
    """``terms`` of an encoder over its positions, made exact for an adapter that pools them (wav2vec2-BERT's,
    ``AudioFrames.pooled``): each adapter layer's attention and feed-forward over the positions its stride-``s``
    convolutions (padding ``s // 2``) leave, its first two layer norms over those it takes, and the CTC head
    (``lm_head``) over the last; the adapter's projection (before its layers) stays over the encoder's positions."""
    root = model.architecture
    adapter = _named_module(root, "adapter")  # under the base model (wav2vec2_bert), or the root (a bare model)
    layers = next((b for b in adapter.blocks if isinstance(b, Repeat)), None) if adapter else None
    if layers is None:
        return
    head = [b for b in root.blocks if getattr(b, "name", "") == "lm_head"]

    def run(blocks: list[Any], length: int) -> dict[str, int]:
        return forward_terms(replace(model, architecture=Module(blocks=blocks)), length)[0]

    length = plan.frames.positions
    _add(terms, run([layers, *head], length), -1)
    inside = [b for b in layers.blocks if b.name not in _POOLED_BLOCKS]
    pooled = [b for b in layers.blocks if b.name in _POOLED_BLOCKS]
    for kernel, stride in zip(model.audio.kernels, model.audio.strides):
        out = conv1d_output_length(length, kernel, stride, stride // 2)
        _add(terms, run(inside, length))
        _add(terms, run(pooled, out))
        length = out
    if head:
        _add(terms, run(head, length))


def audio_forward_terms(model: Model, seq_len: int, plan: AudioPlan) -> tuple[dict[str, int], int, list[str]]:
    """(forward terms with the audio, the sequence length the report divides by, notes): an encoder alone over its
    frames; a composite's language model over ``seq_len`` text tokens and the audio tokens, plus the audio tower
    and projector; an encoder-decoder (Whisper) split: its encoder over its positions, its decoder over ``seq_len``
    tokens, the cross-attention scoring the encoder positions and projecting their keys and values once
    (:func:`registry.analyses.flops_terms.forward_terms` with ``encoder_len``)."""
    if plan.role == "encoder-decoder" and _top(model.architecture, "speech_encoder"):
        return _speech_encoder_decoder_terms(model, seq_len, plan)
    if plan.role in ("encoder", "encoder-decoder"):
        convolutions, conv_notes = convolution_flops(model.architecture, model.audio, plan.frames)
    if plan.role == "encoder":
        terms, notes = forward_terms(model, plan.frames.positions)
        if plan.frames.pooled:
            _pooled_terms(model, plan, terms)
        terms["convolution"] += convolutions
        return terms, plan.frames.positions, [*notes, *conv_notes]
    if plan.role == "encoder-decoder":
        terms, notes = forward_terms(model, seq_len, encoder_len=plan.frames.positions)
        terms["convolution"] += convolutions
        notes = [*notes, f"encoder-decoder: the encoder once over its {plan.frames.positions:,} positions, the "
                 f"decoder over {seq_len:,} tokens (per-token figures: the sequence's FLOPs over its "
                 f"{seq_len:,} decoder tokens, rounded down)", *conv_notes]  # fmt: skip
        return terms, seq_len, notes
    if "text" in part_names(model.architecture):
        terms, notes = forward_terms(_part(model, "text"), seq_len + plan.tokens)
    else:  # one part alone (--part audio): no language model
        terms, notes = dict.fromkeys(TERMS, 0), []
    _add(terms, audio_terms(model, plan))
    if plan.part in part_names(model.architecture):
        notes = [*notes, *convolution_flops(_part(model, plan.part).architecture, model.audio, plan.frames)[1]]
    return terms, seq_len + plan.tokens, list(notes)


def _top(root: Any, name: str) -> list[Any]:
    """The blocks called ``name`` directly under ``root``."""
    return [b for b in getattr(root, "blocks", ()) if getattr(b, "name", "") == name]


#: The parts of a SeamlessM4T tree that speech input does not run (:func:`_speech_encoder_decoder_terms`).
_NOT_RUN = ("text_encoder", "speech_encoder", "t2u_model", "vocoder")


def _speech_encoder_decoder_terms(model: Model, seq_len: int, plan: AudioPlan) -> tuple[dict[str, int], int, list[str]]:
    """SeamlessM4T with speech input (transformers 5.25's ``SeamlessM4Tv2ForSpeechToText.forward``): the
    ``speech_encoder`` over the audio's positions (its adapter over those its convolutions leave: :func:`_pooled_terms`),
    its convolutions; the text decoder and head over ``seq_len`` tokens, their cross-attention over the speech
    encoder's output (the pooled positions). The text encoder does not run; the text-to-unit model and the vocoder
    (speech output, over generated units) are left out, which a note says."""
    root = model.architecture
    speech = replace(model, architecture=Module(blocks=_top(root, "speech_encoder")))
    terms, notes = forward_terms(speech, plan.frames.positions)
    if plan.frames.pooled:
        _pooled_terms(speech, plan, terms)
    convolutions, conv_notes = convolution_flops(speech.architecture, model.audio, plan.frames)
    terms["convolution"] += convolutions
    length = plan.frames.pooled or plan.frames.positions
    rest = Module(blocks=[b for b in root.blocks if getattr(b, "name", "") not in _NOT_RUN])
    decoder, more = forward_terms(replace(model, architecture=rest), seq_len, encoder_len=length)
    _add(terms, decoder)
    notes = [n for n in notes if not n.startswith("no output head")] + [n for n in more if n not in notes]
    notes.append(f"speech input: the speech encoder once over its {plan.frames.positions:,} positions, the text decoder "
                 f"over {seq_len:,} tokens and its cross-attention over the {length:,} the speech encoder gives; the "
                 "text encoder does not run (per-token figures: over the decoder's tokens)")  # fmt: skip
    left = [name for name in ("t2u_model", "vocoder") if _top(root, name)]
    if left:
        notes.append(f"speech output left out: {' and '.join(left)} (they run over generated units) count 0 FLOPs")
    return terms, seq_len, [*notes, *conv_notes]


def audio_lengths(plan: AudioPlan, seq_len: int, encoder_len: int | None) -> tuple[int, int | None]:
    """(the sequence length, the encoder length) ``memory`` counts with ``plan``: an encoder's frames; Whisper's
    encoder positions (what its cross-attention caches); a composite's text and audio tokens. Raises ValueError
    for a contradicting ``encoder_len``."""
    if plan.role == "encoder":
        return plan.frames.positions, encoder_len
    if plan.role == "encoder-decoder":
        length = plan.frames.pooled or plan.frames.positions  # an adapter's pooled positions (SeamlessM4T's)
        if encoder_len is not None and encoder_len != length:
            raise ValueError(f"encoder_len {encoder_len} contradicts the audio's {length:,} encoder "
                             "positions: give one of them")  # fmt: skip
        return seq_len, length
    return seq_len + plan.tokens, encoder_len


def front_end_bytes(tower: Any, positions: int, element_bytes: int, frames: int = 0) -> int:
    """What autograd keeps of a Whisper-style convolutional front end for one window (transformers 5.25's
    ``VoxtralEncoder.forward``: ``gelu(conv1(x))`` then ``gelu(conv2(.))``, ``conv2`` of stride 2 over ``frames``
    log-mel frames, ``2 · positions`` unless given: Qwen2.5-Omni's padded chunk): ``conv1``'s input (``n_mels`` a
    frame), each GELU's input and ``conv2``'s input (``d`` a frame, the second GELU's at ``positions``): ``e ·
    (frames · (n_mels + 2 · d) + positions · d)``. Raises ValueError for a tower without ``conv1`` and ``conv2``."""
    shapes = {t.path.split(".")[-2]: t.shape for t in iter_tensors(tower) if t.path.endswith(("conv1.weight", "conv2.weight"))}
    if set(shapes) != {"conv1", "conv2"}:
        raise ValueError("training with audio is modelled for a Whisper-style audio tower (conv1, conv2) only")
    d, n_mels = shapes["conv1"][0], shapes["conv1"][1]
    frames = frames or 2 * positions
    return element_bytes * (frames * (n_mels + 2 * d) + positions * d)


def feature_encoder_bytes(tree: Any, plan: AudioPlan, kernels: tuple[int, ...], strides: tuple[int, ...],
                          element_bytes: int, batch: int = 1) -> int:
    """What autograd keeps of a wav2vec2-style convolutional front end (``feature_extractor.conv_layers``, the
    encoder's ``pos_conv_embed``) for ``batch`` sequences of ``plan``'s samples, after transformers 5.25's
    ``Wav2Vec2FeatureEncoder`` and ``Wav2Vec2PositionalConvEmbedding``: each convolution's input (the samples, then
    the previous layer's GELU output, ``C_(i-1) · L_(i-1)``), each GELU's input (``C_i · L_i``), a norm's input and its
    two statistics (layer 0's GroupNorm, one group per channel: ``2 · C_0``; or a LayerNorm on every layer, ``2 · L_i``);
    the positional convolution's input (``d · P``; with a BatchNorm before it, HuBERT's ``conv_pos_batch_norm``, the
    norm's input too, and once its two statistics, ``2 · d``) and its GELU's input (``d · (P + 2 · (K // 2) - K + 1)``, before ``Wav2Vec2SamePadLayer``'s cut); and
    once a step, not per sequence, the weight its weight normalisation computes (``d · d / groups · K``) and the
    norm of ``original1`` (``K``). ``e`` bytes each. 0 for a tree without ``feature_extractor.conv_layers``."""
    weights = {t.path: t.shape for t in iter_tensors(tree)}
    convs = [(path, shape) for path, shape in weights.items()
             if ".feature_extractor.conv_layers." in f".{path}" and path.endswith(".conv.weight")]  # fmt: skip
    if not convs:
        return 0
    layer_norms = sum(1 for path in weights if ".feature_extractor.conv_layers." in f".{path}"
                      and path.endswith("layer_norm.weight"))  # fmt: skip
    every_layer = layer_norms == len(convs) > 1  # feat_extract_norm "layer"
    length, values = plan.frames.samples, plan.frames.samples  # the waveform, conv_layers.0's input
    for i, ((_, shape), kernel, stride) in enumerate(zip(convs, kernels, strides)):
        channels, length = shape[0], (length - kernel) // stride + 1
        if i:
            values += previous  # this convolution's input: the previous GELU's output
        values += channels * length  # the GELU's input
        if every_layer:
            values += channels * length + 2 * length  # the LayerNorm's input and statistics
        elif i == 0:
            values += channels * length + 2 * channels  # the GroupNorm's input and statistics
        previous = channels * length
    once = 0
    positional = [(p, s) for p, s in weights.items() if ".pos_conv_embed." in f".{p}" and len(s) == 3 and s[0] > 1]
    if positional:
        path, (d, per_group, k) = positional[0]
        positions = plan.frames.positions
        values += d * positions + d * (positions + 2 * (k // 2) - k + 1)
        if any(".pos_conv_embed.batch_norm." in f".{p}" for p in weights):
            values, once = values + d * positions, 2 * d  # the BatchNorm's input; its batch mean and inverse std
        if path.endswith("original1"):
            once = d * per_group * k + k
    return element_bytes * (batch * values + once)


def audio_activations(model: Model, plan: AudioPlan, seq: int, batch: int, element_bytes: int, attention: str,
                      recompute: str, tp: int = 1, sequence_parallel: bool = False, *,
                      language_model: bool = True) -> tuple[int, int, int]:  # fmt: skip
    """Training activations (autograd's) of a composite with audio (Voxtral): (one GPU holding all, one GPU's share
    under ``tp``, logits and loss): the language model over ``seq`` tokens (text and audio; left out when not
    ``language_model``, the logits then 0), the audio tower's layers over each window's positions for every
    sequence of the ``batch`` (:func:`registry.analyses.saved_tensors.saved_activations`; unequal chunks each over its
    own positions, the blocks after the pool over the tokens: :func:`_chunked_activations`), its convolutional front
    end (:func:`front_end_bytes`, not split by ``tp``) and the projector over the audio tokens."""
    if model.audio.kind == "windowed":
        raise ValueError("training with Qwen3-ASR's audio is not modelled (the saved tensors of its Conv2d front end)")
    names = part_names(model.architecture)
    whole = gpu = logits = 0
    runs = [("text", seq, batch)] if language_model else []
    runs += [(plan.part, plan.frames.positions, batch * plan.frames.windows),
             ("projector", plan.frames.projected or plan.tokens, batch), ("embed_audio", plan.tokens, batch)]  # fmt: skip
    for part, length, times in runs:
        if part not in names or not length:
            continue
        tree = only_part(model.architecture, part)
        if part == plan.part and plan.frames.chunks:
            one_gpu, all_gpus = _chunked_activations(model, tree, plan, batch, element_bytes, attention, recompute, tp,
                                                     sequence_parallel)  # fmt: skip
            whole, gpu = whole + all_gpus, gpu + one_gpu
            continue
        one = saved_activations(tree, length, times, element_bytes, attention, recompute)
        whole += one.total
        gpu += saved_activations(tree, length, times, element_bytes, attention, recompute, tp, sequence_parallel).total
        if part == "text":
            logits = one.logits_and_loss
        if part == plan.part:
            front = times * front_end_bytes(tree, length, element_bytes)
            whole, gpu = whole + front, gpu + front
    return whole, gpu, logits


def _chunked_activations(model: Model, tree: Any, plan: AudioPlan, batch: int, element_bytes: int, attention: str,
                         recompute: str, tp: int, sequence_parallel: bool) -> tuple[int, int]:  # fmt: skip
    """(one GPU's share under ``tp``, all) of the activations of an audio tower over chunks (Qwen2.5-Omni's,
    ``AudioFrames.chunks``): its layers over each chunk's positions, the blocks after the pool
    (``AudioInputs.after_pool``) over the tokens, for every sequence of the ``batch``; its front end over each chunk
    padded to the longest (``min(features, 2 · n_window)`` frames: :func:`front_end_bytes`)."""
    f, after = plan.frames, model.audio.after_pool
    runs = [(_split(tree, after, False), n, batch * f.chunks.count(n)) for n in sorted(set(f.chunks))]
    pooled = _split(tree, after, True) if after else None
    runs += [(pooled, f.tokens, batch)] if pooled is not None else []
    one = sum(saved_activations(t, n, k, element_bytes, attention, recompute, tp, sequence_parallel).total for t, n, k in runs)
    total = sum(saved_activations(t, n, k, element_bytes, attention, recompute).total for t, n, k in runs)
    frames = min(f.features, 2 * model.audio.fbank[0])
    front = batch * f.windows * front_end_bytes(tree, (frames - 1) // 2 + 1, element_bytes, frames)
    return one + front, total + front


__all__ = ["AudioPlan", "audio_activations", "audio_forward_terms", "audio_lengths", "audio_terms",
           "feature_encoder_bytes", "front_end_bytes", "plan_audio"]
