"""The inputs that are not text, options ``memory`` and ``flops`` share: ``--images N``, ``--image-size HxW`` and
``--audio-seconds S``, and the plans they give for each model."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--images``, ``--image-size`` and ``--audio-seconds``."""
    parser.add_argument("--images", default=None, metavar="N",
                        help="images in each sequence (a vision-language model's config.json): the language model's "
                        "sequence grows by their tokens, by the model's own patching and merging, and the vision "
                        "tower runs over each image's patches")  # fmt: skip
    parser.add_argument("--image-size", default=None, metavar="HxW",
                        help="image height x width in pixels (default: the model's native size, its vision "
                        "config's image_size; Qwen's configs give none); alone, one image")  # fmt: skip
    parser.add_argument("--audio-seconds", default=None, metavar="S",
                        help="seconds of audio (a speech model's config.json, or its spec's [audio]): the audio encoder's positions by the "
                        "model's own feature extractor and convolutions (Whisper: padded to one 30 s window; "
                        "wav2vec2, HuBERT, WavLM: the conv feature encoder's frames; Voxtral: 30 s chunks, their "
                        "tokens in the language model's sequence); beside --images for a model that takes both "
                        "(Gemma 4, Gemma 3n, Phi-4-multimodal): text, image and audio tokens in one sequence, each tower on "
                        "its own input")  # fmt: skip


def _per_model(command: str, models: list, plan: Callable[[Any], Any], option: str = "") -> dict:
    """``id(model) -> plan(model)`` for every model; a model the plan refuses exits with one line."""
    plans = {}
    for model in models:
        try:
            plans[id(model)] = plan(model)
        except ValueError as exc:
            raise SystemExit(f"registry {command}: {model.name}: {option}{exc}") from None
    return plans


def image_plans(command: str, args: argparse.Namespace, models: list) -> dict:
    """``id(model) -> ImagePlan`` for every model when ``--images`` or ``--image-size`` is given (else empty);
    a bad value or a model that takes no images exits with one line."""
    from registry.analyses.images import MAX_IMAGES, plan_images
    from registry.commands._options import positive_int
    from registry.sources.images import parse_image_size

    if args.images is None and args.image_size is None:
        return {}
    count = 1 if args.images is None else positive_int(command, "--images", args.images, MAX_IMAGES)
    size = None
    if args.image_size is not None:
        try:
            size = parse_image_size(str(args.image_size))
        except ValueError as exc:
            raise SystemExit(f"registry {command}: --image-size: {exc}") from None
    return _per_model(command, models, lambda model: plan_images(model, count, size))


def audio_plans(command: str, args: argparse.Namespace, models: list) -> dict:
    """``id(model) -> AudioPlan`` for every model when ``--audio-seconds`` is given (else empty); a bad value or a
    model that takes no audio exits with one line."""
    from registry.analyses.audio import plan_audio
    from registry.sources.audio import parse_seconds

    if args.audio_seconds is None:
        return {}
    try:
        seconds = parse_seconds(str(args.audio_seconds))
    except ValueError as exc:
        raise SystemExit(f"registry {command}: --audio-seconds: {exc}") from None
    return _per_model(command, models, lambda model: plan_audio(model, seconds), "--audio-seconds: ")


def input_plans(command: str, args: argparse.Namespace, models: list) -> tuple[dict, dict]:
    """(``id(model) -> AudioPlan``, ``id(model) -> ImagePlan``) of the options given; both for a model whose
    language model takes images and audio in one sequence (Gemma 4, Gemma 3n, Phi-4-multimodal: the text, image and audio
    tokens), and a model that takes one but not the other, or cannot take both together, exits with one line."""
    from registry.analyses.inputs import check_together

    sounds, plans = audio_plans(command, args, models), image_plans(command, args, models)
    for model in models:
        try:
            check_together(model, plans.get(id(model)), sounds.get(id(model)))
        except ValueError as exc:
            raise SystemExit(f"registry {command}: {model.name}: {exc}") from None
    return sounds, plans
