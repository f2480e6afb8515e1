"""``registry count SPEC...``: parameter counts, breakdowns and a torchinfo-like tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from registry.commands import add_format_option
from registry.commands._selection import add_model_arguments, selected_models

if TYPE_CHECKING:
    from registry.model import Model

NAME = "count"
HELP = "count the parameters of the models in spec files, config.json files, GGUF files or model folders"
DESCRIPTION = """Count parameters exactly: total (tied weights once), active per token (MoE),
non-embedding (Kaplan et al.'s N), with tied weights counted per use, a breakdown by
component, by module kind and by layer, and the difference from the published figure.
A model folder is counted from its config.json (else its GGUF file) and, where it holds
a checkpoint (single, sharded, quantized or GGUF), the checkpoint's headers are verified
against the counted model: one line gives the verdict, the differences follow (exit
status 1 when they differ). A GGUF file is counted from its metadata and verified likewise.
A name that is no file is looked up in the catalogue (registry list); - reads a spec or
a config.json from stdin. --set key=value changes a hyper-parameter of every spec given
(what if llama-3.1-8b had 40 layers?), or, with --family NAME, builds a model from the
--set values alone."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry count``."""
    add_model_arguments(parser)
    add_format_option(parser)
    parser.add_argument(
        "-d", "--depth", default=None, metavar="N",
        help="also print a tree of blocks N levels deep (tensors and their shapes at the bottom)",
    )  # fmt: skip
    parser.add_argument(
        "--details", action="store_true",
        help="print the detailed view of every model, even when the files hold several",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Count every model of every spec; exit 2 if any spec could not be read."""
    from registry.output import render
    from registry.analyses.report import count, tree

    if args.depth is not None:  # checked here, not by argparse, which would print the usage too
        from registry.commands._options import positive_int

        args.depth = positive_int("count", "--depth", args.depth)
    if args.depth is not None and args.format == "csv":
        raise SystemExit("registry count: --depth has no CSV form; use --format table, markdown or json")
    models, ok = selected_models(args, "count")
    checks, checked_ok = _check_checkpoints(args.specs, models)
    if args.format == "json":  # streamed, one model at a time: 10^5 models need no more memory than one
        for chunk in render.json_array(_json_items(models, args.depth, checks), shared=_SHARED):
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
        return 2 if not ok or checked_ok is None else 0 if checked_ok else 1
    reports = [count(m) for m in models]
    trees = [tree(m, args.depth) for m in models] if args.depth else None
    if args.format == "csv":
        if reports:
            print(render.rows_text(render.component_columns(reports), "csv"))
    else:
        blocks = []
        if len(reports) > 1:
            blocks.append(render.summary_text(reports, args.format))
        if len(reports) == 1 or args.details:
            blocks.extend(render.report_text(r, args.format) for r in reports)
        if trees:
            blocks.extend(f"{m.name}\n{render.tree_text(t, args.format)}" for m, t in zip(models, trees))
        blocks.extend(checks[id(m)][0] for m in models if id(m) in checks)
        if blocks:
            print("\n\n".join(blocks))
    if args.format == "csv":
        for model in models:
            if id(model) in checks:
                print(checks[id(model)][0].splitlines()[0], file=sys.stderr)
    return 2 if not ok or checked_ok is None else 0 if checked_ok else 1


#: The keys of a model's JSON object that depend on its block tree alone.
_SHARED = ("components", "components_active", "by_kind", "layers", "tree")


def _json_items(models: list[Model], depth: int | None, checks: dict[int, tuple[str, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Each model's ``count --format json`` object, in turn. Models that share a block tree (the
    sizes of a table with equal hyper-parameters) share its per-layer rows and tree, computed once."""
    from registry.analyses.report import count, tree
    from registry.output.render import tree_dicts

    shared: dict[int, dict[str, Any]] = {}
    for model in models:
        report = count(model)
        data = report.to_dict(shared[id(model.architecture)]["layers"] if id(model.architecture) in shared else None)
        same = shared.setdefault(id(model.architecture), {key: data[key] for key in _SHARED if key in data})
        if depth:
            same.setdefault("tree", tree_dicts(tree(model, depth)))
        data.update(same)  # the very objects of the first model of this tree: json_array encodes them once
        if id(model) in checks:
            data["checkpoint"] = checks[id(model)][1]
        yield data


def _checkpoint_of(spec: str) -> Path | None:
    """The checkpoint a command-line argument brings with it: a folder's, or the GGUF file itself."""
    from registry.checkpoints import is_gguf
    from registry.errors import RegistryError

    path = Path(spec)
    try:
        if path.is_dir():
            from registry.checkpoints.folder import checkpoint_in  # only for a folder: start-up time

            return checkpoint_in(path, required=False)
    except (OSError, ValueError):
        return None
    except RegistryError:  # a folder whose checkpoint cannot be chosen: loading it said so already
        return None
    return path if is_gguf(path) else None


def _check_checkpoints(specs: list[str], models: list[Model]) -> tuple[dict[int, tuple[str, dict[str, Any]]], bool | None]:
    """Verify every model that came from a folder or a GGUF file against its checkpoint.

    Returns, by ``id(model)``, the text (verdict line, quantization, differences) and the
    JSON-ready result, and whether every checkpoint matched (None when one could not be
    read: one error line, and exit status 2).
    """
    if not any(_checkpoint_of(spec) is not None for spec in specs):
        return {}, True  # nothing to verify: none of the imports below (start-up time)
    from registry.checkpoints import open_checkpoint
    from registry.commands import print_error
    from registry.commands.verify import compare_checkpoint, difference_rows, verdict
    from registry.errors import RegistryError
    from registry.output.render import rows_text
    from registry.output.render_checkpoints import quantization_line

    checks: dict[int, tuple[str, dict[str, Any]]] = {}
    all_ok: bool | None = True
    for spec in specs:
        file = _checkpoint_of(spec)
        if file is None:
            continue
        sources = {str(Path(spec) / "config.json"), str(file)}
        for model in (m for m in models if m.path in sources):
            try:
                checkpoint = open_checkpoint(file)
                result = compare_checkpoint(model, checkpoint)
            except RegistryError as exc:
                print_error(NAME, exc)
                all_ok = None
                continue
            lines = [f"{model.name} {verdict(result, str(file))}"]
            if checkpoint.quantization is not None:
                lines.append(quantization_line(checkpoint))
            lines += list(checkpoint.notes)
            rows = difference_rows(result)
            if rows:
                lines += ["", rows_text(rows, "table")]
            if all_ok is not None:
                all_ok = all_ok and result.identical
            data = {"path": str(file), "identical": result.identical, "logical_params": checkpoint.params,
                    "stored_bytes": checkpoint.nbytes, **result.to_dict()}  # fmt: skip
            checks[id(model)] = ("\n".join(lines), data)
    return checks, all_ok
