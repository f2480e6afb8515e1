"""``registry flops SPEC...``: forward and training FLOPs, term by term, beside ``6·N·D``."""

from __future__ import annotations

import argparse

from registry.commands import add_format_option, add_specs_argument, load_models, scientific

NAME = "flops"
HELP = "FLOPs per token and per sequence (Chinchilla Appendix F) against 6ND"
DESCRIPTION = """Forward FLOPs per token and per sequence, split as in Chinchilla's Appendix F
(embeddings, QKV projections, attention logits, softmax, attention over values, output
projection, feed-forward, final logits), backward as twice the forward, and the 6*N*D
approximation (N = active parameters) beside it with their ratio. --convention table-a4
leaves out embeddings and logits, as the paper's Table A4 does. Totals for D tokens with
--tokens (default: the spec's training_tokens). See docs/compute.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry flops``."""
    from registry.flops import DEFAULT_SEQ_LEN

    add_specs_argument(parser)
    parser.add_argument(
        "--seq-len", default=DEFAULT_SEQ_LEN, metavar="N",
        help=f"tokens per sequence (default {DEFAULT_SEQ_LEN}, Chinchilla's)",
    )  # fmt: skip
    parser.add_argument(
        "--tokens", default=None, metavar="D",
        help="training tokens for the totals, e.g. 1.4e12 (default: the spec's training_tokens)",
    )  # fmt: skip
    parser.add_argument(
        "--convention", default="appendix-f", metavar="NAME",
        help="appendix-f (default): count embeddings and final logits; table-a4: leave them out",
    )  # fmt: skip
    parser.add_argument("--details", action="store_true", help="print the term breakdown of every model")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the FLOPs of every model of every spec; exit 2 if any spec could not be read."""
    from registry import render
    from registry.commands._options import choice, positive_int
    from registry.flops import CONVENTIONS, TERMS, flops

    convention = choice("flops", "--convention", args.convention, CONVENTIONS)
    seq_len = positive_int("flops", "--seq-len", args.seq_len)
    tokens = None if args.tokens is None else positive_int("flops", "--tokens", args.tokens)
    models, ok = load_models(args.specs, getattr(args, "strict", False))
    reports = [flops(m, seq_len, convention, tokens) for m in models]
    if args.format == "json":
        print(render.rows_text([r.to_dict() for r in reports], "json"))
    elif args.format == "csv":
        rows = [{**r.row(), **{f"forward_{t}": r.terms[t] for t in TERMS}} for r in reports]
        if rows:
            print(render.rows_text(rows, "csv"))
    else:
        blocks = []
        if reports:
            shown = [_shown(r) for r in reports]
            keys = max((list(r) for r in shown), key=len)
            shown = [{k: r.get(k) for k in keys} for r in shown]
            blocks.append(render.rows_text(shown, args.format))
            blocks[-1] += f"\n\nconvention {convention}: {CONVENTIONS[convention]}; ratio = training / 6ND"
        if len(reports) == 1 or args.details:
            blocks.extend(f"{r.name}\n" + render.rows_text(_terms(r), args.format) for r in reports)
        notes = [f"note: {r.name}: {n}" for r in reports for n in r.notes]
        if notes:
            blocks.append("\n".join(notes))
        if blocks:
            print("\n\n".join(blocks))
    return 0 if ok else 2


def _shown(report) -> dict:
    """A narrower row for reading: exact FLOPs per token and sequence, totals to 3 figures."""
    row = {
        "name": report.name, "total_params": report.total_params, "active_params": report.active_params,
        "seq_len": report.seq_len, "forward_per_token": report.forward_flops_per_token,
        "forward_per_sequence": report.forward_flops_per_sequence,
        "training_per_sequence": report.training_flops_per_sequence,
        "6nd_per_sequence": report.approx_6nd_per_sequence,
        "ratio": "" if report.ratio is None else f"{report.ratio:.4f}",
    }  # fmt: skip
    if report.tokens is not None:
        row.update(tokens=scientific(report.tokens), training_flops=scientific(report.training_flops),
                   approx_6nd=scientific(report.approx_6nd))  # fmt: skip
    return row


def _terms(report) -> list[dict]:
    """The forward pass of one model, term by term: per sequence, per token, share."""
    total = report.forward_flops_per_sequence or 1
    rows = [
        {"term": t, "per_sequence": v, "per_token": v // report.seq_len, "share": f"{100 * v / total:.2f}%"}
        for t, v in report.terms.items()
        if v
    ]
    rows.append({"term": "forward", "per_sequence": report.forward_flops_per_sequence,
                 "per_token": report.forward_flops_per_token, "share": "100.00%"})  # fmt: skip
    rows.append({"term": "backward (2x forward)", "per_sequence": report.backward_flops_per_sequence,
                 "per_token": 2 * report.forward_flops_per_token, "share": ""})  # fmt: skip
    rows.append({"term": "training (3x forward)", "per_sequence": report.training_flops_per_sequence,
                 "per_token": report.training_flops_per_token, "share": ""})  # fmt: skip
    rows.append({"term": "6ND approximation", "per_sequence": report.approx_6nd_per_sequence,
                 "per_token": 6 * report.n_params, "share": ""})  # fmt: skip
    return rows
