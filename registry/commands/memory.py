"""``registry memory SPEC...``: bytes of weights, training state and KV cache."""

from __future__ import annotations

import argparse
from decimal import Decimal

from registry.commands import add_format_option, add_specs_argument, load_models

NAME = "memory"
HELP = "memory for weights, training state, activations and the KV cache, whole and per GPU"
DESCRIPTION = """Memory of each model at a storage type: weights (every parameter, tied ones once,
every expert) and the cache of --batch sequences of --seq-len tokens, per kind of layer
(full attention, sliding window, latent attention, cross attention over --encoder-len
tokens, Mamba and RWKV states), with how much grouped-query or latent attention saves
against plain multi-head attention. With --train: gradients, the fp32 master copy of
mixed precision, the optimizer's states (AdamW, SGD with momentum, 8-bit Adam) and the
activations of Korthikanti et al. 2022, Table 2 (--recompute, --flash-attention,
--sequence-parallel); per GPU over --gpus N with ZeRO stage --zero and --tp/--pp/--ep.
--lora R trains LoRA adapters on --lora-targets (trainable_params), --qlora stores the
frozen linear weights in NF4. With --gpu (or --gpus 8xH100): the GPU's memory, whether one
GPU's share fits, and the fewest such GPUs that fit. Sizes in the table are decimal
(1 GB = 1e9 bytes); JSON and CSV give exact bytes. See docs/compute.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry memory``."""
    from registry.analyses.activations import RECOMPUTE
    from registry.commands._hardware import add_gpu_arguments
    from registry.analyses.memory import DEFAULT_SEQ_LEN, DTYPE_BITS, OPTIMIZER_STATE_BYTES

    add_specs_argument(parser)
    types = ", ".join(DTYPE_BITS)
    parser.add_argument(
        "--dtype", default="bf16", metavar="TYPE", help=f"storage type of the weights: {types} (default bf16)"
    )
    parser.add_argument(
        "--kv-dtype", default=None, metavar="TYPE", help="storage type of the KV cache (default: --dtype)"
    )
    parser.add_argument("--train", action="store_true", help="add gradients, master weights, optimizer states and activations")
    parser.add_argument(
        "--optimizer", default="adamw", metavar="NAME",
        help=f"optimizer for --train: {', '.join(OPTIMIZER_STATE_BYTES)} (default adamw)",
    )  # fmt: skip
    parser.add_argument(
        "--seq-len", default=DEFAULT_SEQ_LEN, metavar="N",
        help=f"context length for the KV cache and the activations (default {DEFAULT_SEQ_LEN})",
    )  # fmt: skip
    parser.add_argument("--batch", default=1, metavar="B", help="sequences (the micro-batch with --train; default 1)")
    parser.add_argument("--encoder-len", default=None, metavar="N", help="encoder tokens a cross-attention layer caches (default --seq-len)")
    parser.add_argument("--recompute", default="none", metavar="HOW",
                        help=f"activation recomputation for --train: {', '.join(RECOMPUTE)} (default none)")  # fmt: skip
    parser.add_argument("--flash-attention", action="store_true", help="attention never stores its score matrix")
    parser.add_argument("--sequence-parallel", action="store_true", help="sequence parallelism beside --tp")
    add_gpu_arguments(parser)
    parser.add_argument("--zero", default="0", metavar="STAGE", help="ZeRO stage over the data-parallel GPUs: 0, 1, 2 or 3")
    for flag, what in (("--tp", "tensor"), ("--pp", "pipeline"), ("--ep", "expert")):
        parser.add_argument(flag, default=1, metavar="N", help=f"{what}-parallel degree (default 1)")
    parser.add_argument("--lora", default=None, metavar="R", help="train LoRA adapters of rank R on a frozen model")
    parser.add_argument(
        "--lora-targets", default="q_proj,v_proj", metavar="NAMES",
        help="linear layers to adapt, comma-separated, or all-linear (default q_proj,v_proj)",
    )  # fmt: skip
    parser.add_argument("--qlora", action="store_true", help="with --lora: the frozen linear weights in NF4 (QLoRA)")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the memory of every model of every spec; exit 2 if any spec could not be read."""
    from registry.output import render
    from registry.analyses.activations import RECOMPUTE
    from registry.analyses.sharding import Parallelism
    from registry.commands._hardware import resolve_gpus
    from registry.commands._options import MAX_BATCH, MAX_GPUS, choice, positive_int
    from registry.analyses.memory import DTYPE_BITS, OPTIMIZER_STATE_BYTES, TRAIN_DTYPES, Training, memory

    dtype = choice("memory", "--dtype", args.dtype, DTYPE_BITS)
    kv_dtype = None if args.kv_dtype is None else choice("memory", "--kv-dtype", args.kv_dtype, DTYPE_BITS)
    optimizer = choice("memory", "--optimizer", args.optimizer, OPTIMIZER_STATE_BYTES)
    seq_len = positive_int("memory", "--seq-len", args.seq_len)
    batch = positive_int("memory", "--batch", args.batch, MAX_BATCH)
    encoder_len = None if args.encoder_len is None else positive_int("memory", "--encoder-len", args.encoder_len)
    recompute = choice("memory", "--recompute", args.recompute, RECOMPUTE)
    zero = int(choice("memory", "--zero", str(args.zero), ("0", "1", "2", "3")))
    tp, pp, ep = (positive_int("memory", f"--{k}", getattr(args, k), MAX_GPUS) for k in ("tp", "pp", "ep"))
    lora = None if args.lora is None else positive_int("memory", "--lora", args.lora)
    if args.qlora and lora is None:
        raise SystemExit("registry memory: --qlora needs --lora R")
    gpus, gpu, _ = resolve_gpus("memory", args)
    try:
        parallel = Parallelism(gpus=gpus, zero=zero, tp=tp, pp=pp, ep=ep)
    except ValueError as exc:
        raise SystemExit(f"registry memory: {exc}") from None
    train = args.train or lora is not None
    if train and dtype not in TRAIN_DTYPES:
        raise SystemExit(f"registry memory: --train needs --dtype {', '.join(TRAIN_DTYPES)}, not {dtype}")
    training = None
    if train:
        targets = tuple(t for t in args.lora_targets.split(",") if t.strip())
        training = Training(recompute, args.flash_attention, args.sequence_parallel, lora, targets, args.qlora)
    models, ok = load_models(args.specs, NAME, getattr(args, "strict", False))
    reports = []
    for m in models:
        try:
            reports.append(memory(m, dtype, train, optimizer, seq_len, batch, kv_dtype, encoder_len=encoder_len,
                                  parallel=parallel, training=training, gpu=gpu))  # fmt: skip
        except ValueError as exc:
            raise SystemExit(f"registry memory: {m.name}: {exc}") from None
    if args.format == "json":
        print(render.rows_text([r.to_dict() for r in reports], "json"))
    elif args.format == "csv":
        if reports:
            print(render.rows_text([r.row() for r in reports], "csv"))
    elif reports and args.format == "table":
        from registry.commands._memory_table import tables

        print(tables(reports, _size))
    elif reports:  # markdown, for documents: every column, exact counts
        blocks = [render.rows_text([_shown(r) for r in reports], args.format)]
        kinds = [_kind_row(r, g) for r in reports for g in r.kv_cache_by_kind]
        if kinds and not train:
            blocks.append(render.rows_text(kinds, args.format))
        notes = [f"note: {r.name}: {n}" for r in reports for n in r.notes]
        if notes:
            blocks.append("\n".join(notes))
        print("\n\n".join(blocks))
    return 0 if ok else 2


def _shown(r) -> dict:
    """A row for ``--format markdown``, sizes in decimal units: training state with --train, else the KV cache; per GPU when asked."""
    row = {
        "name": r.name, "total_params": r.total_params, "active_params": r.active_params,
        "reported_params": r.reported_params, "dtype": r.dtype, "weights": _size(r.weights_bytes),
    }  # fmt: skip
    if r.trainable_params is not None:
        row.update(trainable_params=r.trainable_params, trainable=f"{r.trainable_percent:.4f}%")
    if r.training:
        row.update(optimizer=r.optimizer, gradients=_size(r.gradients_bytes),
                   master_weights=_size(r.master_weights_bytes), optimizer_states=_size(r.optimizer_bytes))  # fmt: skip
        if r.activations_bytes is not None:
            row[f"activations ({r.batch} x {r.seq_len}, {r.recompute})"] = _size(r.activations_bytes)
    else:
        reduction = "" if r.kv_cache_reduction is None else f"{r.kv_cache_reduction:.2f}x"
        row.update({
            "kv_dtype": r.kv_dtype, "kv_per_token": _size(r.kv_cache_bytes_per_token),
            f"kv_cache ({r.batch} x {r.seq_len})": _size(r.kv_cache_bytes), "kv_vs_mha": reduction,
        })  # fmt: skip
    row["total"] = _size(r.total_bytes)
    if r.gpus > 1 or r.gpu is not None or r.training:
        row[f"per_gpu ({r.gpus} GPUs{_layout(r)})"] = _size(r.per_gpu_bytes)
    if r.gpu is not None:
        row.update(gpu=f"{r.gpu} ({_size(r.gpu_memory_bytes)})", fits="fits" if r.fits else "does not fit",
                   min_gpus=r.min_gpus if r.min_gpus is not None else "none")  # fmt: skip
    return row


def _layout(r) -> str:
    parts = [f"ZeRO-{r.zero}"] if r.training else []
    parts += [f"{k}={getattr(r, k)}" for k in ("tp", "pp", "ep") if getattr(r, k) > 1]
    return ", " + ", ".join(parts) if parts else ""


def _kind_row(r, g) -> dict:
    """One kind of layer's cache, for reading."""
    tokens = "constant" if g.tokens is None else f"{g.tokens:,} tokens"
    return {"name": r.name, "cache_kind": g.kind, "layers": g.layers, "kept_per_layer": tokens, "bytes": _size(g.bytes)}


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
