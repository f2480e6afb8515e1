"""``registry memory SPEC...``: bytes of weights, training state and KV cache."""

from __future__ import annotations

import argparse
from decimal import Decimal

from registry.commands import add_format_option, add_specs_argument, load_models

NAME = "memory"
HELP = "memory for weights, gradients, optimizer states and the KV cache"
DESCRIPTION = """Memory of each model at a storage type: weights (every parameter, tied ones once,
every expert); with --train, gradients, the fp32 master copy of mixed precision and the
optimizer's fp32 states (AdamW: m and v; SGD: one momentum buffer); and the KV cache per
token and for --batch sequences of --seq-len tokens, with how much grouped-query or latent
attention saves against plain multi-head attention. Activations are not counted. Sizes
in the table are decimal (1 GB = 1e9 bytes); JSON and CSV give exact bytes."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry memory``."""
    from registry.memory import DEFAULT_SEQ_LEN, DTYPE_BITS

    add_specs_argument(parser)
    types = ", ".join(DTYPE_BITS)
    parser.add_argument(
        "--dtype", default="bf16", metavar="TYPE", help=f"storage type of the weights: {types} (default bf16)"
    )
    parser.add_argument(
        "--kv-dtype", default=None, metavar="TYPE", help="storage type of the KV cache (default: --dtype)"
    )
    parser.add_argument("--train", action="store_true", help="add gradients, master weights and optimizer states")
    parser.add_argument(
        "--optimizer", default="adamw", metavar="NAME",
        help="optimizer for --train: adamw (m and v, default) or sgd (momentum)",
    )  # fmt: skip
    parser.add_argument(
        "--seq-len", default=DEFAULT_SEQ_LEN, metavar="N",
        help=f"context length for the KV cache (default {DEFAULT_SEQ_LEN})",
    )  # fmt: skip
    parser.add_argument("--batch", default=1, metavar="B", help="sequences in the KV cache (default 1)")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the memory of every model of every spec; exit 2 if any spec could not be read."""
    from registry import render
    from registry.commands._options import choice, positive_int
    from registry.memory import DTYPE_BITS, OPTIMIZER_STATE_BYTES, TRAIN_DTYPES, memory

    dtype = choice("memory", "--dtype", args.dtype, DTYPE_BITS)
    kv_dtype = None if args.kv_dtype is None else choice("memory", "--kv-dtype", args.kv_dtype, DTYPE_BITS)
    optimizer = choice("memory", "--optimizer", args.optimizer, OPTIMIZER_STATE_BYTES)
    seq_len = positive_int("memory", "--seq-len", args.seq_len)
    batch = positive_int("memory", "--batch", args.batch)
    if args.train and dtype not in TRAIN_DTYPES:
        raise SystemExit(f"registry memory: error: --train needs --dtype {', '.join(TRAIN_DTYPES)}, not {dtype}")
    models, ok = load_models(args.specs, getattr(args, "strict", False))
    reports = [memory(m, dtype, args.train, optimizer, seq_len, batch, kv_dtype) for m in models]
    if args.format == "json":
        print(render.rows_text([r.to_dict() for r in reports], "json"))
    elif args.format == "csv":
        if reports:
            print(render.rows_text([r.row() for r in reports], "csv"))
    elif reports:
        blocks = [render.rows_text([_shown(r) for r in reports], args.format)]
        notes = [f"note: {r.name}: {n}" for r in reports for n in r.notes]
        if notes:
            blocks.append("\n".join(notes))
        print("\n\n".join(blocks))
    return 0 if ok else 2


def _shown(r) -> dict:
    """A row for reading, sizes in decimal units: training state with --train, else the KV cache."""
    row = {
        "name": r.name, "total_params": r.total_params, "active_params": r.active_params,
        "reported_params": r.reported_params, "dtype": r.dtype, "weights": _size(r.weights_bytes),
    }  # fmt: skip
    if r.training:
        row.update(optimizer=r.optimizer, gradients=_size(r.gradients_bytes),
                   master_weights=_size(r.master_weights_bytes), optimizer_states=_size(r.optimizer_bytes))  # fmt: skip
    else:
        reduction = "" if r.kv_cache_reduction is None else f"{r.kv_cache_reduction:.2f}x"
        row.update({
            "kv_dtype": r.kv_dtype, "kv_per_token": _size(r.kv_cache_bytes_per_token),
            f"kv_cache ({r.batch} x {r.seq_len})": _size(r.kv_cache_bytes), "kv_vs_mha": reduction,
        })  # fmt: skip
    row["total"] = _size(r.total_bytes)
    return row


def _size(n: int | None) -> str:
    """Bytes in decimal units: 13.48 GB."""
    if n is None:
        return ""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            try:
                return f"{n / size:.2f} {unit}"
            except OverflowError:  # n / size is too large for a float
                return f"{Decimal(n) / size:.2f} {unit}"
    return f"{n} B"
