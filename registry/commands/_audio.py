"""The audio option ``memory`` and ``flops`` share: ``--audio-seconds S``."""

from __future__ import annotations

import argparse


def add_audio_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--audio-seconds``."""
    parser.add_argument("--audio-seconds", default=None, metavar="S",
                        help="seconds of audio (a speech model's config.json, or its spec's [audio]): the audio encoder's positions by the "
                        "model's own feature extractor and convolutions (Whisper: padded to one 30 s window; "
                        "wav2vec2, HuBERT, WavLM: the conv feature encoder's frames; Voxtral: 30 s chunks, their "
                        "tokens in the language model's sequence)")  # fmt: skip


def audio_plans(command: str, args: argparse.Namespace, models: list) -> dict:
    """``id(model) -> AudioPlan`` for every model when ``--audio-seconds`` is given (else empty); a bad value, a
    model that takes no audio, or ``--images`` beside it exits with one line."""
    from registry.analyses.audio import plan_audio
    from registry.sources.audio import parse_seconds

    if args.audio_seconds is None:
        return {}
    if getattr(args, "images", None) is not None or getattr(args, "image_size", None) is not None:
        raise SystemExit(f"registry {command}: --audio-seconds: give --images or --audio-seconds, not both")
    try:
        seconds = parse_seconds(str(args.audio_seconds))
    except ValueError as exc:
        raise SystemExit(f"registry {command}: --audio-seconds: {exc}") from None
    plans = {}
    for model in models:
        try:
            plans[id(model)] = plan_audio(model, seconds)
        except ValueError as exc:
            raise SystemExit(f"registry {command}: {model.name}: --audio-seconds: {exc}") from None
    return plans
