"""``registry latency SPEC...``: time to first token and time per output token, per tensor-parallel GPU count."""

from __future__ import annotations

import argparse

from registry.commands import add_format_option, add_specs_argument, load_models

NAME = "latency"
HELP = "time to first token and time per output token on a GPU, per tensor-parallel GPU count"
DESCRIPTION = """Serving latency of each model on --gpu: the time to first token (the prefill of
--batch prompts of --context tokens at --mfu of the GPUs' dense peak) and the time per
output token (one decoding step, weights and cache read at --bandwidth-utilisation of the
memory bandwidth, or its FLOPs at --mfu when that is slower), for each tensor-parallel
degree of --tp the heads allow, with whether the weights and cache fit each GPU less the
runtime reserve. Weights in --dtype (q4_k_m, fp8, ... as for registry memory), the cache in
--kv-dtype. Communication, kernel launches and scheduling are not counted: lower bounds.
The assumptions are printed with the figures. See docs/compute.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry latency``."""
    from registry.analyses.latency import DEFAULT_BANDWIDTH_UTILISATION, DEFAULT_MFU

    add_specs_argument(parser)
    parser.add_argument("--gpu", required=True, metavar="KEY", help="a GPU of the catalogue (h100-sxm, rtx-4090, ...)")
    parser.add_argument("--gpu-catalog", default=None, metavar="FILE", help="a TOML file of your own GPUs")
    parser.add_argument("--context", default="4096", metavar="C", help="prompt tokens (default 4096; 8k = 8,000)")
    parser.add_argument("--batch", default="1", metavar="B", help="sequences served together (default 1)")
    parser.add_argument("--dtype", default="bf16", metavar="TYPE", help="storage format of the weights (default bf16)")
    parser.add_argument("--kv-dtype", default=None, metavar="TYPE", help="storage format of the cache (default bf16 or --dtype)")
    parser.add_argument("--tp", default="1,2,4,8", metavar="N[,N...]", help="tensor-parallel GPU counts (default 1,2,4,8)")
    parser.add_argument("--mfu", default=str(DEFAULT_MFU), metavar="U", help=f"prefill utilisation of the peak (default {DEFAULT_MFU})")
    parser.add_argument("--bandwidth-utilisation", default=str(DEFAULT_BANDWIDTH_UTILISATION), metavar="U",
                        help=f"decode utilisation of the memory bandwidth (default {DEFAULT_BANDWIDTH_UTILISATION})")  # fmt: skip
    parser.add_argument("--peak-dtype", default="bf16", metavar="TYPE", help="the GPU peak used: bf16 (default), fp16 or fp8")
    parser.add_argument("--reserve", default="10%", metavar="R", help="memory kept for the runtime (default 10%%)")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the latency rows of every model; exit 2 if any spec could not be read."""
    from registry.analyses.fitting import parse_reserve
    from registry.analyses.gpus import PEAK_DTYPES, CatalogError, find, load_catalog
    from registry.analyses.latency import latency
    from registry.analyses.storage import FORMATS, KV_FORMATS
    from registry.commands._options import MAX_BATCH, MAX_GPUS, choice, positive_float, positive_int
    from registry.output import render
    from registry.output.display import wrap

    try:
        gpu = find(load_catalog(args.gpu_catalog), args.gpu)
    except (CatalogError, ValueError) as exc:
        raise SystemExit(f"registry latency: --gpu: {exc}") from None
    context = positive_int("latency", "--context", args.context)
    batch = positive_int("latency", "--batch", args.batch, MAX_BATCH)
    dtype = choice("latency", "--dtype", args.dtype.lower(), FORMATS)
    kv_dtype = None if args.kv_dtype is None else choice("latency", "--kv-dtype", args.kv_dtype.lower(), KV_FORMATS)
    tps = tuple(positive_int("latency", "--tp", t, MAX_GPUS) for t in args.tp.split(",") if t.strip())
    mfu = positive_float("latency", "--mfu", args.mfu, most=1.0)
    util = positive_float("latency", "--bandwidth-utilisation", args.bandwidth_utilisation, most=1.0)
    peak = choice("latency", "--peak-dtype", args.peak_dtype, PEAK_DTYPES)
    try:
        reserve = parse_reserve(args.reserve)
    except ValueError as exc:
        raise SystemExit(f"registry latency: --reserve: {exc}") from None
    models, ok = load_models(args.specs, NAME, getattr(args, "strict", False), part=getattr(args, "part", None))
    rows, notes = [], []
    for m in models:
        try:
            found, why = latency(m, gpu, context, batch, dtype, kv_dtype, tps, mfu, util, peak, reserve)
        except ValueError as exc:
            raise SystemExit(f"registry latency: {m.name}: {exc}") from None
        rows += found
        notes += [f"note: {m.name}: {n}" for n in why]
    if args.format in ("json", "csv"):
        if rows or args.format == "json":
            print(render.rows_text([r.to_dict() for r in rows], args.format))
        return 0 if ok else 2
    shown = [{"name": r.name, "GPUs (tp)": r.tp, "TTFT": _seconds(r.ttft_s), "TPOT": _seconds(r.tpot_s),
              "tokens/s": f"{r.tokens_per_second:,.1f}", "bound": r.bound,
              "per GPU": f"{r.per_gpu_bytes / 1e9:.2f} GB", "fits": "yes" if r.fits else "no"} for r in rows]  # fmt: skip
    if args.format == "table":
        from registry.output.table_width import fit_table

        blocks = [fit_table(shown, right={"GPUs (tp)", "TTFT", "TPOT", "tokens/s", "per GPU"})] if shown else []
    else:
        blocks = [render.rows_text(shown, args.format)] if shown else []
    blocks.append(wrap(
        f"On {gpu.key}: {batch:,} prompt{'s' if batch != 1 else ''} of {context:,} tokens, weights in {dtype}. "
        f"Assumptions: prefill (TTFT) at MFU {mfu:g} of the {peak} peak; decoding (TPOT, time per output token) at "
        f"{util:g} of the memory bandwidth; tensor parallelism splits both evenly, its communication not counted. "
        "fits: weights and cache on each GPU less the runtime reserve. Sizes in decimal units (1 GB = 1e9 bytes)."
    ))  # fmt: skip
    if notes:
        blocks.append("\n".join(wrap(n, "  ") for n in notes))
    print("\n\n".join(blocks))
    return 0 if ok else 2


def _seconds(value: float | None) -> str:
    """0.0123 s as ``12.3 ms``; None as ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value * 1e3:,.1f} ms" if value < 1 else f"{value:,.2f} s"
