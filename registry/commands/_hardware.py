"""GPU options shared by ``registry memory`` and ``registry flops``: ``--gpus``, ``--gpu``, ``--gpu-catalog``.

``--gpus`` is a count (``64``) or a count and a GPU (``8xH100``); ``--gpu`` names a
catalogue entry (``h100-sxm``); ``--gpu-catalog`` adds a user's TOML file of GPUs to the
built-in catalogue. A bad value is one line and exit status 2.
"""

from __future__ import annotations

import argparse


def add_gpu_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--gpus``, ``--gpu`` and ``--gpu-catalog``."""
    parser.add_argument(
        "--gpus", default=None, metavar="N",
        help="number of GPUs, or a number and a GPU: 8xH100 (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--gpu", default=None, metavar="KEY",
        help="a GPU of the catalogue (h100-sxm, a100-80gb, h200, mi300x, ...; see docs/compute.md)",
    )  # fmt: skip
    parser.add_argument(
        "--gpu-catalog", default=None, metavar="FILE", help="a TOML file of your own GPUs, added to the catalogue"
    )


def resolve_gpus(command: str, args: argparse.Namespace) -> tuple[int, object | None, bool]:
    """(number of GPUs, the GPU or None, whether ``--gpus`` was given)."""
    from registry.analyses.gpus import CatalogError, find, load_catalog, parse_gpus

    given = args.gpus is not None
    count, named = 1, None
    if given:
        try:
            count, named = parse_gpus(args.gpus)
        except ValueError as exc:
            raise SystemExit(f"registry {command}: --gpus: {exc}") from None
    if named is not None and args.gpu is not None and named.lower() != args.gpu.lower():
        raise SystemExit(f"registry {command}: --gpus names {named!r} and --gpu names {args.gpu!r}: give one")
    key = args.gpu or named
    if key is None and args.gpu_catalog is None:
        return count, None, given
    try:
        catalog = load_catalog(args.gpu_catalog)
    except CatalogError as exc:
        raise SystemExit(f"registry {command}: {exc}") from None
    if key is None:
        return count, None, given
    try:
        return count, find(catalog, key), given
    except ValueError as exc:
        raise SystemExit(f"registry {command}: --gpu: {exc}") from None
