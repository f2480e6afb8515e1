"""``registry plot landscape|breakdown SPEC...``: PNG figures (needs the ``plot`` extra, matplotlib)."""

from __future__ import annotations

import argparse

from registry.commands import add_strict_option, add_format_option, load_models

NAME = "plot"
HELP = "draw the loss landscape with the models on it, or their parameter breakdown (PNG)"
DESCRIPTION = """landscape: a fit's loss L(N, D) over parameters and training tokens, with iso-FLOP
lines (C = 6ND), the compute-optimal frontier of each fit and the 20-tokens rule; the
models of the given specs are placed at (training_tokens, active parameters), with a
hollow marker at the total for a mixture of experts. breakdown: one bar per model, split
by component (shares, and each component's parameters on a log axis). Prints what was
drawn (in --format) and writes the figure to --output: PNG, SVG or PDF by its suffix.
Needs matplotlib: pip install 'nn-param-registry[plot]'."""

DEFAULT_OUTPUT = {"landscape": "loss-landscape.png", "breakdown": "param-breakdown.png", "memory": "memory-per-gpu.png"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry plot``."""
    from registry.analyses.scaling import DEFAULT_FIT, FITS

    parser.add_argument("figure", choices=tuple(DEFAULT_OUTPUT), help="which figure to draw")
    parser.add_argument("specs", nargs="*", metavar="SPEC", help="spec file(s) (.toml); needed for breakdown")
    add_strict_option(parser)
    parser.add_argument(
        "-o", "--output", default=None, metavar="FILE",
        help="figure to write, .png, .svg or .pdf (default loss-landscape.png, param-breakdown.png or memory-per-gpu.png)",
    )  # fmt: skip
    parser.add_argument(
        "--fit", default=DEFAULT_FIT, metavar="NAME",
        help=f"loss fit coloured in the landscape: {', '.join(FITS)} (default {DEFAULT_FIT}, as registry chinchilla)",
    )  # fmt: skip
    parser.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    parser.add_argument("--over", default="gpus", metavar="AXIS",
                        help="memory: per GPU over gpus (training, ZeRO-3) or context (serving); default gpus")  # fmt: skip
    parser.add_argument("--seq-len", default="2048", metavar="N", help="memory: tokens per sequence (training; default 2048)")
    parser.add_argument("--batch", default="1", metavar="B", help="memory: sequences (default 1)")
    parser.add_argument("--dtype", default="bf16", metavar="TYPE", help="memory: storage format of the weights (default bf16)")
    parser.add_argument("--zero", default="3", metavar="STAGE", help="memory: ZeRO stage over the GPUs (default 3)")
    parser.add_argument("--recompute", default="selective", metavar="HOW", help="memory: none, selective (default), full")
    parser.add_argument("--attention", default="flash", metavar="IMPL", help="memory: flash (default), sdpa, eager")
    parser.add_argument("--gpu", default=None, metavar="KEY", help="memory: draw a GPU's usable memory (less --reserve)")
    parser.add_argument("--reserve", default="10%", metavar="R", help="memory: runtime reserve with --gpu (default 10%%)")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Draw the figure; print what was drawn and where; exit 2 if any spec could not be read."""
    from pathlib import Path

    from registry.analyses.plot_data import memory_series, points
    from registry.output import plot
    from registry.output import render
    from registry.output.files import check_output, write_output
    from registry.commands._options import choice
    from registry.analyses.scaling import FITS
    from registry.analyses.report import count
    from registry.blocks.tensors import COMPONENTS

    fit = choice("plot", "--fit", args.fit, FITS)
    output = args.output or DEFAULT_OUTPUT[args.figure]
    if args.figure in ("breakdown", "memory") and not args.specs:
        raise SystemExit(f"registry plot: {args.figure} needs at least one spec file")
    over = choice("plot", "--over", args.over, ("gpus", "context"))
    fmt = plot.figure_format(output)  # .png, .svg or .pdf, else one line before any work
    check_output(output, args.force)  # before any work: an existing file is refused without --force
    models, ok = load_models(args.specs, NAME, getattr(args, "strict", False), part=getattr(args, "part", None)) if args.specs else ([], True)
    if not ok:  # a figure without one of the specs asked for would be silently wrong: none is drawn
        return 2
    path = Path(output)
    if args.figure == "landscape":
        placed, skipped = points(models)
        write_output(path, lambda temporary: plot.loss_landscape(placed, temporary, fit, fmt=fmt), args.force)
        by_name = {p.name: p for p in placed}
        rows = []
        for m in models:
            p = by_name.get(m.name)
            report = count(m)
            rows.append({
                "name": m.name, "total_params": report.total_params, "active_params": report.active_params,
                "reported_params": report.reported_params, "training_tokens": m.training_tokens,
                "placed": p is not None,
            })  # fmt: skip
        notes = [f"note: not placed (no training_tokens in the spec): {', '.join(skipped)}"] if skipped else []
    elif args.figure == "memory":  # the first model's memory per GPU by part (registry/output/plot.py)
        rows = memory_series(models[0], over, **_memory_options(args))
        write_output(path, lambda temporary: plot.memory_chart(rows, temporary, over, fmt=fmt), args.force)
        rows = [{"name": r["name"], over: r["x"], **{k: v for k, v in r.items() if k not in ("name", "x")}} for r in rows]
        notes = [f"note: only {models[0].name} is drawn"] if len(models) > 1 else []
    else:
        reports = [count(m) for m in models]
        write_output(path, lambda temporary: plot.breakdown_chart(reports, temporary, fmt=fmt), args.force)
        components = [c for c in COMPONENTS if any(r.components.get(c) for r in reports)]
        rows = [
            {"name": r.name, "total_params": r.total_params, "active_params": r.active_params,
             "reported_params": r.reported_params, **{f"{c}_params": r.components.get(c, 0) for c in components}}
            for r in reports
        ]  # fmt: skip
        notes = []
    if args.format == "json":
        print(render.rows_text([{**r, "output": str(path)} for r in rows], "json"))
    elif args.format == "csv":
        if rows:
            print(render.rows_text([{**r, "output": str(path)} for r in rows], "csv"))
    else:
        if args.format == "table":
            from registry.output.display import wrap
            from registry.output.table_width import fit_table

            shown = [{_header(k): _cell(k, v) for k, v in r.items()} for r in rows]
            blocks = [fit_table(shown, right={_header(k) for k in rows[0] if k != "name"})] if rows else []
            blocks += ["\n".join(wrap(n, "  ") for n in notes)] if notes else []
        else:
            blocks = [render.rows_text(rows, args.format)] if rows else []
            blocks += ["\n".join(notes)] if notes else []
        blocks.append(f"wrote {path}")
        print("\n\n".join(blocks))
    return 0


def _memory_options(args: argparse.Namespace) -> dict:
    """``plot memory``'s options, checked as ``registry memory`` checks them."""
    from registry.analyses.fitting import parse_reserve
    from registry.analyses.gpus import find, load_catalog
    from registry.analyses.saved_tensors import ATTENTION
    from registry.analyses.storage import FORMATS
    from registry.commands._options import MAX_BATCH, choice, positive_int

    options = dict(
        seq_len=positive_int("plot", "--seq-len", args.seq_len), batch=positive_int("plot", "--batch", args.batch, MAX_BATCH),
        dtype=choice("plot", "--dtype", args.dtype.lower(), FORMATS),
        zero=int(choice("plot", "--zero", str(args.zero), ("0", "1", "2", "3"))),
        recompute=choice("plot", "--recompute", args.recompute, ("none", "selective", "full")),
        attention=choice("plot", "--attention", args.attention, ATTENTION),
    )  # fmt: skip
    try:
        options["reserve"] = parse_reserve(args.reserve)
        options["gpu"] = None if args.gpu is None else find(load_catalog(), args.gpu)
    except ValueError as exc:
        raise SystemExit(f"registry plot: {exc}") from None
    if args.over == "gpus" and options["dtype"] not in ("fp32", "bf16", "fp16"):
        raise SystemExit(f"registry plot: memory over gpus is training: --dtype fp32, bf16 or fp16, not {args.dtype}")
    return options


def _header(key: str) -> str:
    """A column's name in the table: ``total_params`` is ``total``, ``per_gpu_bytes`` ``per_gpu``."""
    for suffix in ("_params", "_bytes"):
        if key.endswith(suffix) and key != suffix[1:]:
            return key[: -len(suffix)]
    return "tokens" if key == "training_tokens" else key


def _cell(key: str, value: object) -> str:
    """A value as the table shows it: counts as 1.82B, bytes as 13.48 GB, yes/no (JSON and CSV: exact)."""
    from registry.commands.memory import _size
    from registry.output.formats import count_text

    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and (key.endswith("_params") or key == "training_tokens"):
        return count_text(value)
    if isinstance(value, int) and key.endswith("_bytes"):
        return _size(value)
    return f"{value:,}" if isinstance(value, int) else str(value)
