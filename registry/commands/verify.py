"""``registry verify SPEC CHECKPOINT``: does a checkpoint hold exactly the tensors a spec describes?"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from registry.commands import SPEC_HELP, add_format_option, warn_plugin_errors

if TYPE_CHECKING:
    from registry.checkpoints import Checkpoint
    from registry.model import Model
    from registry.checkpoints.verify import Comparison, Entry

NAME = "verify"
HELP = "check a safetensors checkpoint against a spec, tensor by tensor"
DESCRIPTION = """Match the tensors of a spec to those of a safetensors checkpoint by name and list
every tensor that is missing (in the spec only), extra (in the checkpoint only) or of
another shape. Only headers are read. A prefix on one side only (GPT-2's transformer.,
BERT's bert., LLaMA's model.) is allowed for, a tied tensor may be stored once, and
buffers such as GPT-2's attention mask are ignored. Tensors that the spec's family
declares checkpoint-only (e.g. a multi-token-prediction layer that transformers does
not build) are listed, with the family's reason, as in the checkpoint but not built.
Exit status 0 when they agree, 1 when they differ, 2 when a file cannot be read."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry verify``."""
    parser.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    parser.add_argument("checkpoint", metavar="CHECKPOINT",
                        help=".safetensors, *.safetensors.index.json, .gguf, a folder holding one (also a Hugging Face "
                             "cache folder, models--org--name), or a Hugging Face repo id "
                             "(org/name[@revision][:file.gguf]: its headers by HTTP Range requests)")  # fmt: skip
    parser.add_argument("-m", "--model", metavar="NAME", help="which model, when the spec file holds several")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Compare; exit 0 when identical, 1 when not (SpecError, exit 2, for unreadable files)."""
    import json

    from registry.output import render
    from registry.checkpoints import open_checkpoint

    model = _choose(args.spec, args.model)
    result = compare_checkpoint(model, open_checkpoint(args.checkpoint))
    rows = difference_rows(result)
    if args.format == "json":
        data = {"spec": args.spec, "model": model.name, "checkpoint": args.checkpoint, **result.to_dict()}
        print(json.dumps(data, indent=2, allow_nan=False))
    elif args.format == "csv":
        print(render.rows_text(rows, "csv"))
    else:
        lines = [f"{model.name} vs {args.checkpoint}: {result.summary()}"]
        notes = []
        if result.rename is not None:
            notes.append(result.rename.describe())
        if result.tied:
            notes.append(f"{result.counts['tied']} tied tensor(s) stored once")
        buffers = sum(e.note == "buffer" for e in result.ignored)
        if buffers:
            notes.append(f"{buffers} buffer(s) ignored")
        if notes:
            lines.append("(" + "; ".join(notes) + ")")
        lines += not_built_lines(result)
        if rows:  # runs of layers as one row each (compare() gives runs; collapse_runs joins the short ones left)
            from registry.checkpoints.runs import collapse_runs

            from registry.output.render_checkpoints import differences_text

            lines += ["", differences_text(collapse_runs(rows), args.format)]
        print("\n".join(lines))
    return 0 if result.identical else 1


def compare_checkpoint(model: Model, checkpoint: Checkpoint) -> Comparison:
    """Compare ``model`` with a checkpoint's logical tensors (GGUF names read as checkpoint names)."""
    from registry.checkpoints.verify import Entry, compare

    if checkpoint.format != "gguf":
        return compare(model, checkpoint.tensors)
    from registry.sources.gguf_config import gguf_tensors_as_checkpoint

    tensors, skipped = gguf_tensors_as_checkpoint(checkpoint)
    result = compare(model, tensors)
    shapes = {t.name: t.shape for t in checkpoint.tensors}
    result.ignored.extend(Entry(name, name, None, shapes[name], "not a parameter") for name in skipped)
    return result


def verdict(result: Comparison, checkpoint: str) -> str:
    """One line: ``matches the checkpoint: N tensors`` or what differs."""
    if result.identical:
        return f"matches the checkpoint {checkpoint}: {len(result.matched):,} tensors"
    return f"does not match the checkpoint {checkpoint}: {result.summary()}"


def _choose(path: str, name: str | None) -> Model:
    """The one model of the spec file, or the one called ``name``."""
    from registry.errors import SpecError
    from registry.sources.loading import load

    warn_plugin_errors(NAME)
    models = load(path)
    names = ", ".join(m.name for m in models)
    if name is not None:
        for model in models:
            if model.name == name:
                return model
        raise SpecError(path, "", f"holds no model named {name!r} (it holds {names})")
    if len(models) != 1:
        raise SpecError(path, "", f"holds {len(models)} models ({names}); choose one with --model NAME")
    return models[0]


def not_built_lines(result: Comparison) -> list[str]:
    """One line per declared reason: how many checkpoint tensors (and parameters) it sets aside."""
    from math import prod

    from registry.checkpoints.verify import NOT_BUILT

    groups: dict[str, list[int]] = {}
    for entry in result.ignored:
        if entry.note.startswith(NOT_BUILT):
            group = groups.setdefault(entry.note, [0, 0])
            group[0] += 1
            group[1] += prod(entry.found or ())
    return [f"{n:,} tensor(s), {params:,} parameters: {note}" for note, (n, params) in groups.items()]


def difference_rows(result: Comparison) -> list[dict[str, Any]]:
    """One row per missing, extra or mismatched tensor, or run of missing tensors (``h.{0..9999}.ln_1.weight (×10000)``)."""
    rows = []
    for status, entries in (("missing", result.missing), ("extra", result.extra), ("shape", result.mismatched)):
        rows.extend(_row(status, e) for e in entries)
    return rows


def _row(status: str, entry: Entry) -> dict[str, Any]:
    return {
        "status": status,
        "name": entry.name if entry.count == 1 else f"{entry.name} (×{entry.count})",
        "checkpoint": entry.checkpoint if entry.checkpoint not in (None, entry.name) else "",
        "expected": _shape(entry.expected),
        "found": _shape(entry.found),
        "note": entry.note,
    }


def _shape(shape: tuple[int, ...] | None) -> str:
    return "" if shape is None else "(" + ", ".join(str(d) for d in shape) + ")"
