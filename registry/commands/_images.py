"""The image options ``memory`` and ``flops`` share: ``--images N`` and ``--image-size HxW``."""

from __future__ import annotations

import argparse


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--images`` and ``--image-size``."""
    parser.add_argument("--images", default=None, metavar="N",
                        help="images in each sequence (a vision-language model's config.json): the language model's "
                        "sequence grows by their tokens, by the model's own patching and merging, and the vision "
                        "tower runs over each image's patches")  # fmt: skip
    parser.add_argument("--image-size", default=None, metavar="HxW",
                        help="image height x width in pixels (default: the model's native size, its vision "
                        "config's image_size; Qwen's configs give none); alone, one image")  # fmt: skip


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
    plans = {}
    for model in models:
        try:
            plans[id(model)] = plan_images(model, count, size)
        except ValueError as exc:
            raise SystemExit(f"registry {command}: {model.name}: {exc}") from None
    return plans
