"""The default (``table``) output of ``registry flops``, fitted to the terminal.

One table per question (FLOPs per sequence against 6ND; totals for the training tokens
and the time they take; serving), FLOPs as ``1.50e+13``, counts as ``1.82B``, ratios as
``1.07x``, all right-aligned; what every row shares (sequence length, convention, GPU)
in a sentence below. ``--format json``, ``csv`` and ``markdown`` keep exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.output.display import wrap
from registry.output.formats import count_text, flops_text, ratio_text
from registry.output.table_width import fit_table

#: Columns right-aligned in every table here (everything but names and words).
RIGHT = frozenset({"params", "active", "forward/token", "forward", "training", "6ND", "ratio", "tokens",
                   "GPU-hours", "days", "context", "prefill", "decode", "bytes/step", "tokens/s",
                   "per sequence", "per token", "share"})  # fmt: skip


def tables(reports: Sequence[Any], convention: str, meaning: str, seq_len: int, terms: bool) -> str:
    """Every block of the table output: the tables, the sentences that explain them, the notes;
    ``terms``: each model's forward pass term by term too."""
    if not reports:
        return ""
    moe = any(r.active_params != r.total_params for r in reports)
    rows = []
    for r in reports:
        row = {"name": r.name, "params": count_text(r.total_params)}
        if moe:
            row["active"] = count_text(r.active_params)
        row.update({"forward/token": flops_text(r.forward_flops_per_token),
                    "forward": flops_text(r.forward_flops_per_sequence),
                    "training": flops_text(r.training_flops_per_sequence),
                    "6ND": flops_text(r.approx_6nd_per_sequence), "ratio": ratio_text(r.ratio)})  # fmt: skip
        rows.append(row)
    lengths = {r.seq_len for r in reports}
    if lengths == {seq_len}:
        length = f"{seq_len:,} tokens"
    elif len(lengths) == 1:  # images or audio in the sequence, or an encoder over its frames
        kinds = [k for k, given in (("images'", any(r.images for r in reports)), ("audio's", any(r.audio for r in reports)))
                 if given]  # fmt: skip
        length = f"{lengths.pop():,} tokens" + (f", the {' and '.join(kinds)} included" if kinds else "")
    else:
        length = f"{seq_len:,} text tokens and each model's image and audio tokens"
    blocks = [fit_table(rows, right=RIGHT),
              wrap(f"convention {convention}: {meaning}. FLOPs per sequence of {length} (forward/token: "
                   "per token); ratio = training / 6ND, N = active parameters.")]  # fmt: skip
    trained = [r for r in reports if r.tokens is not None]
    if trained:
        blocks += _totals(trained)
    served = [r for r in reports if r.context is not None]
    if served:
        blocks += _serving(served)
    if terms:
        blocks += [f"{r.name}\n" + fit_table(_terms(r), right=RIGHT) for r in reports]
    notes = [wrap(f"note: {r.name}: {n}", "  ") for r in reports for n in r.notes]
    if notes:
        blocks.append("\n".join(notes))
    return "\n\n".join(blocks)


def _totals(reports: Sequence[Any]) -> list[str]:
    """The training totals for D tokens, and the GPU time when a GPU was given."""
    rows = []
    for r in reports:
        row = {"name": r.name, "tokens": count_text(r.tokens), "training": flops_text(r.training_flops),
               "6ND": flops_text(r.approx_6nd)}  # fmt: skip
        if r.gpu_hours is not None:
            row.update({"GPU-hours": f"{r.gpu_hours:,.0f}", "days": f"{r.days:,.1f}"})
        rows.append(row)
    keys = max((list(r) for r in rows), key=len)
    text = [fit_table([{k: r.get(k) for k in keys} for r in rows], right=RIGHT)]
    timed = next((r for r in reports if r.gpu_hours is not None), None)
    sentence = "Training FLOPs for the training tokens (--tokens, else the spec's training_tokens)"
    if timed is not None and timed.achieved_tflops is not None:
        on = f" x {timed.gpu}" if timed.gpu else " GPUs"
        sentence += f"; GPU-hours and days on {timed.gpus:,}{on} at {timed.achieved_tflops:g} TFLOP/s each"
        sentence += f" (MFU {timed.mfu:.3f} of its {timed.peak_dtype} peak)" if timed.mfu is not None else ""
    elif timed is not None:
        sentence += (f"; GPU-hours and days on {timed.gpus:,} x {timed.gpu} at MFU {timed.mfu:g} of its "
                     f"{timed.peak_dtype} peak")  # fmt: skip
    if reports[0].recompute != "none":
        sentence += f"; training includes {reports[0].recompute} activation recomputation"
    return text + [wrap(sentence + ".")]


def _serving(reports: Sequence[Any]) -> list[str]:
    """Prefill and one decoding step at the context, and the roofline bound when a GPU was given."""
    rows = []
    for r in reports:
        row = {"name": r.name, "context": f"{r.context:,}", "prefill": flops_text(r.prefill_flops),
               "decode": flops_text(r.decode_flops_per_token),
               "bytes/step": flops_text(r.decode_bytes_per_step)}  # fmt: skip
        if r.decode_tokens_per_second is not None:
            row.update({"tokens/s": f"{r.decode_tokens_per_second_per_gpu:,.1f}", "bound": r.decode_bound})
        rows.append(row)
    keys = max((list(r) for r in rows), key=len)
    batch = reports[0].batch
    sentence = (f"Serving: the prefill of the context, one decoding step at that context for a batch of {batch:,} "
                f"sequence{'s' if batch != 1 else ''} (decode: FLOPs per token; bytes/step: bytes read per step)")  # fmt: skip
    if any(r.decode_tokens_per_second is not None for r in reports):
        sentence += ", and the roofline bound on decoded tokens per second per GPU (tokens/s)"
    return [fit_table([{k: r.get(k) for k in keys} for r in rows], right=RIGHT), wrap(sentence + ".")]


def _terms(report: Any) -> list[dict[str, str]]:
    """The forward pass of one model, term by term: per sequence, per token, share."""
    total = report.forward_flops_per_sequence or 1
    rows = [
        {"term": t, "per sequence": flops_text(v), "per token": flops_text(v // report.seq_len),
         "share": f"{100 * v / total:.2f}%"}
        for t, v in report.terms.items()
        if v
    ]  # fmt: skip
    extra = [
        ("forward", report.forward_flops_per_sequence, report.forward_flops_per_token, "100.00%"),
        ("backward (2x forward)", report.backward_flops_per_sequence, 2 * report.forward_flops_per_token, ""),
        *([(f"recomputation ({report.recompute})", report.recompute_flops_per_sequence,
            report.recompute_flops_per_sequence // report.seq_len, "")] if report.recompute_flops_per_sequence else []),
        ("training (3x forward)" if report.recompute == "none" else "training (with recomputation)",
         report.training_flops_per_sequence, report.training_flops_per_token, ""),
        ("6ND approximation", report.approx_6nd_per_sequence, 6 * report.n_params, ""),
    ]
    rows += [{"term": t, "per sequence": flops_text(s), "per token": flops_text(p), "share": sh} for t, s, p, sh in extra]
    return rows
