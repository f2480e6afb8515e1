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
leaves out embeddings and logits, as the paper's Table A4 does; palm counts PaLM's
6N + 12LHQT (N without the input embedding, as torchtitan's MFU); 6nd counts 6N alone.
--recompute selective|full adds what activation recomputation runs again (full: 8ND).
Totals for D tokens with --tokens (default: the spec's training_tokens; 1.4e12, 15T and
300B are read). With --gpu h100-sxm --gpus N --mfu 0.38 (or --gpus 8xH100): the
GPU-hours and days those FLOPs take at that utilisation of the GPU's dense peak
(--peak-dtype); --achieved-tflops T instead gives the model TFLOP/s each GPU sustains. With --context C: the prefill of C tokens, one decoding
step at C tokens for --batch sequences, the bytes it reads (weights at --dtype, the cache
at --kv-dtype) and, with a GPU, the roofline bound on tokens per second. With --images N
(--image-size HxW): a vision-language model's sequence holds --seq-len text tokens and the
images' tokens, and its vision tower runs over each image (the assumption printed). With --audio-seconds S:
a speech encoder over its frames, or Voxtral's language model over text and audio tokens and its audio tower
per 30 s window. Both for a model that takes both (Gemma 4, Gemma 3n, Phi-4-multimodal): text, image and audio
tokens in one sequence, each tower on its own input. See docs/compute.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry flops``."""
    from registry.analyses.flops import DEFAULT_SEQ_LEN

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
        help="appendix-f (default): count embeddings and final logits; table-a4: leave them out; "
        "palm: 6N + 12LHQT, N without the input embedding; 6nd: 6N alone",
    )  # fmt: skip
    parser.add_argument(
        "--recompute", default="none", metavar="HOW",
        help="activation recomputation in the backward pass: none (default), selective, full (8ND)",
    )  # fmt: skip
    parser.add_argument("--details", action="store_true", help="print the term breakdown of every model")
    from registry.commands._hardware import add_gpu_arguments

    add_gpu_arguments(parser)
    parser.add_argument("--mfu", default=None, metavar="U", help="model FLOPs utilisation for the training time, e.g. 0.38 (default 0.4 with --gpu)")
    parser.add_argument(
        "--achieved-tflops", default=None, metavar="T",
        help="instead of --mfu: model TFLOP/s each GPU sustains (Narayanan et al.'s 140 on A100)",
    )  # fmt: skip
    parser.add_argument("--peak-dtype", default="bf16", metavar="TYPE", help="the GPU peak used: bf16 (default), fp16 or fp8")
    parser.add_argument("--context", default=None, metavar="C", help="serving: prefill and decode at C tokens of context")
    parser.add_argument("--batch", default=1, metavar="B", help="serving: sequences decoded together (default 1)")
    parser.add_argument("--dtype", default="bf16", metavar="TYPE", help="serving: storage type of the weights (default bf16)")
    parser.add_argument("--kv-dtype", default=None, metavar="TYPE", help="serving: storage type of the cache (default --dtype)")
    from registry.commands._inputs import add_input_arguments

    add_input_arguments(parser)
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the FLOPs of every model of every spec; exit 2 if any spec could not be read."""
    from registry.output import render
    from registry.commands._options import MAX_BATCH, TFLOPS_RANGE, choice, positive_int
    from registry.analyses.gpus import PEAK_DTYPES
    from registry.commands._hardware import resolve_gpus
    from registry.commands._options import positive_float
    from registry.analyses.flops import CONVENTIONS, RECOMPUTE, TERMS, flops
    from registry.analyses.inference import with_hardware
    from registry.analyses.memory import DTYPE_BITS

    convention = choice("flops", "--convention", args.convention, CONVENTIONS)
    seq_len = positive_int("flops", "--seq-len", args.seq_len)
    tokens = None if args.tokens is None else positive_int("flops", "--tokens", args.tokens)
    gpus, gpu, _ = resolve_gpus("flops", args)
    recompute = choice("flops", "--recompute", args.recompute, RECOMPUTE)
    mfu = None if args.mfu is None else positive_float("flops", "--mfu", args.mfu)
    achieved = None if args.achieved_tflops is None else positive_float(
        "flops", "--achieved-tflops", args.achieved_tflops, *TFLOPS_RANGE)
    if mfu is not None and achieved is not None:
        raise SystemExit("registry flops: give --mfu or --achieved-tflops, not both")
    if mfu is not None and mfu > 1:
        raise SystemExit(f"registry flops: --mfu is a fraction of the peak, at most 1, got {args.mfu}")
    if mfu is not None and gpu is None:
        raise SystemExit("registry flops: --mfu needs a GPU: --gpu h100-sxm or --gpus 8xH100")
    if gpu is not None and mfu is None and achieved is None:
        mfu = 0.4
    peak = choice("flops", "--peak-dtype", args.peak_dtype, PEAK_DTYPES)
    context = None if args.context is None else positive_int("flops", "--context", args.context)
    batch = positive_int("flops", "--batch", args.batch, MAX_BATCH)
    dtype = choice("flops", "--dtype", args.dtype, DTYPE_BITS)
    kv_dtype = dtype if args.kv_dtype is None else choice("flops", "--kv-dtype", args.kv_dtype, DTYPE_BITS)
    models, ok = load_models(args.specs, NAME, getattr(args, "strict", False), part=getattr(args, "part", None))
    from registry.commands._inputs import input_plans

    sounds, plans = input_plans("flops", args, models)
    reports = []
    for m in models:
        try:
            report = flops(m, seq_len, convention, tokens, recompute, images=plans.get(id(m)), audio=sounds.get(id(m)))
        except ValueError as exc:
            raise SystemExit(f"registry flops: {m.name}: {exc}") from None
        if gpu is not None or context is not None or achieved is not None:
            try:
                report = with_hardware(report, m, gpu=gpu, gpus=gpus, mfu=mfu, peak_dtype=peak, context=context,
                                       batch=batch, weight_bits=DTYPE_BITS[dtype], kv_bits=DTYPE_BITS[kv_dtype],
                                       achieved_tflops=achieved)  # fmt: skip
            except ValueError as exc:
                raise SystemExit(f"registry flops: {m.name}: {exc}") from None
        reports.append(report)
    if args.format == "json":
        print(render.rows_text([r.to_dict() for r in reports], "json"))
    elif args.format == "csv":
        rows = [{**r.row(), **{f"forward_{t}": r.terms[t] for t in TERMS}} for r in reports]
        if rows:
            print(render.rows_text(rows, "csv"))
    elif args.format == "markdown":  # for documents: every column, exact counts
        blocks = []
        if reports:
            shown = [_full(r) for r in reports]
            keys = max((list(r) for r in shown), key=len)
            shown = [{k: r.get(k) for k in keys} for r in shown]
            blocks.append(render.rows_text(shown, args.format))
            blocks[-1] += f"\n\nconvention {convention}: {CONVENTIONS[convention]}; recompute {recompute}; ratio = training / 6ND"
        if len(reports) == 1 or args.details:
            blocks.extend(f"{r.name}\n" + render.rows_text(_terms(r), args.format) for r in reports)
        notes = [f"note: {r.name}: {n}" for r in reports for n in r.notes]
        if notes:
            blocks.append("\n".join(notes))
        if blocks:
            print("\n\n".join(blocks))
    else:
        from registry.commands._flops_table import tables

        text = tables(reports, convention, CONVENTIONS[convention], seq_len, len(reports) == 1 or args.details)
        if text:
            print(text)
    return 0 if ok else 2


def _full(report) -> dict:
    """A row for ``--format markdown``: exact FLOPs per token and sequence, totals to 3 figures."""
    row = {
        "name": report.name, "total_params": report.total_params, "active_params": report.active_params,
        "seq_len": report.seq_len, "forward_per_token": report.forward_flops_per_token,
        "forward_per_sequence": report.forward_flops_per_sequence,
        "training_per_sequence": report.training_flops_per_sequence,
        "6nd_per_sequence": report.approx_6nd_per_sequence,
        "ratio": "" if report.ratio is None else f"{report.ratio:.4f}",
    }  # fmt: skip
    if report.images is not None:
        row.update(image_tokens=report.images["image_tokens"],
                   vision_forward_per_image=report.vision_forward_flops_per_image)  # fmt: skip
    if report.audio is not None:
        row.update(audio_tokens=report.audio["audio_tokens"], audio_encoder_positions=report.audio["audio_encoder_positions"])
    if report.tokens is not None:
        row.update(tokens=scientific(report.tokens), training_flops=scientific(report.training_flops),
                   approx_6nd=scientific(report.approx_6nd))  # fmt: skip
    if report.gpu_hours is not None:
        rate = f"{report.achieved_tflops:g} TFLOP/s" if report.achieved_tflops is not None else f"MFU {report.mfu:g}"
        row.update({f"gpu_hours ({report.gpus} x {report.gpu or 'GPU'}, {rate})": f"{report.gpu_hours:,.0f}",
                    "days": f"{report.days:,.1f}"})  # fmt: skip
    if report.context is not None:
        row.update({"context": report.context, "prefill_flops": scientific(report.prefill_flops),
                    "decode_flops_per_token": scientific(report.decode_flops_per_token),
                    f"decode_bytes_per_step (batch {report.batch})": scientific(report.decode_bytes_per_step)})  # fmt: skip
        if report.decode_tokens_per_second is not None:
            row.update(tokens_per_s_per_gpu=f"{report.decode_tokens_per_second_per_gpu:,.1f}",
                       bound=report.decode_bound)  # fmt: skip
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
    if report.recompute_flops_per_sequence:
        rows.append({"term": f"recomputation ({report.recompute})", "per_sequence": report.recompute_flops_per_sequence,
                     "per_token": report.recompute_flops_per_sequence // report.seq_len, "share": ""})  # fmt: skip
    label = "training (3x forward)" if report.recompute == "none" else f"training (3x forward + {report.recompute} recomputation)"
    rows.append({"term": label, "per_sequence": report.training_flops_per_sequence,
                 "per_token": report.training_flops_per_token, "share": ""})  # fmt: skip
    rows.append({"term": "6ND approximation", "per_sequence": report.approx_6nd_per_sequence,
                 "per_token": 6 * report.n_params, "share": ""})  # fmt: skip
    return rows
