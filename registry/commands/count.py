"""``registry count SPEC...``: parameter counts, breakdowns and a torchinfo-like tree."""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from registry.commands import add_format_option
from registry.commands._selection import add_model_arguments, selected_models

if TYPE_CHECKING:
    from registry.checkpoints import Checkpoint
    from registry.errors import RegistryError
    from registry.model import Model

NAME = "count"
HELP = "count the parameters of the models in spec files, config.json files, GGUF files or model folders"
DESCRIPTION = """Count parameters exactly: total (tied weights once), active per token (MoE),
non-embedding (Kaplan et al.'s N; also without the output head, as Qwen's cards count),
active without the input embedding (gpt-oss's card), the multi-token-prediction module a
checkpoint carries (--include-mtp adds it to the totals), with tied weights counted per use, a breakdown by
component, by module kind and by layer, and the difference from the published figure.
A model folder is counted from its config.json (else its GGUF file) and, where it holds
a checkpoint (single, sharded, quantized or GGUF), the checkpoint's headers are verified
against the counted model: one line gives the verdict, the differences follow (exit
status 1 when they differ). A GGUF file is counted from its metadata and verified likewise;
llama.cpp's mmproj file counts its vision tower and projector, and a folder holding a model
GGUF and its mmproj*.gguf counts as the whole vision-language model (--part picks one part).
A name that is no file is looked up in the catalogue (registry list); org/name[@revision]
is a Hugging Face repo, read through the Hub (config.json, and the checkpoint's headers by
HTTP Range requests, never the weights); org/name:file.gguf names one GGUF file of a repo;
- reads a spec or a config.json from stdin. A .safetensors file (or a sharded index) is
counted from its headers, as registry inspect counts it; so is a model folder or repo whose
model_type no plugin maps, with a line saying no family was mapped. --set key=value changes
a hyper-parameter of every spec given (what if llama-3.1-8b had 40 layers?), or, with
--family NAME, builds a model from the --set values alone."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry count``."""
    add_model_arguments(parser)
    add_format_option(parser)
    parser.add_argument(
        "-d", "--depth", default=None, metavar="N",
        help="also print a tree of blocks N levels deep (tensors and their shapes at the bottom)",
    )  # fmt: skip
    parser.add_argument(
        "--include-mtp", action="store_true",
        help="add the multi-token-prediction module a checkpoint carries (DeepSeek-V3's model.layers.61) to the totals",
    )  # fmt: skip
    parser.add_argument(
        "--details", action="store_true",
        help="print the detailed view of every model, even when the files hold several",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Count every model of every spec; exit 2 if any spec could not be read."""
    from registry.analyses.report import count, tree
    from registry.output import render

    if args.depth is not None:  # checked here, not by argparse, which would print the usage too
        from registry.commands._options import positive_int

        args.depth = positive_int("count", "--depth", args.depth)
    if args.depth is not None and args.format == "csv":
        raise SystemExit("registry count: --depth has no CSV form; use --format table, markdown or json")
    headers, headers_ok = _headers_only(args)
    models: list[Model] = []
    ok = True
    if args.specs or args.family or not headers:
        models, ok = selected_models(args, "count", unmapped=lambda spec, exc: _unmapped(spec, exc, headers))
    ok = ok and headers_ok
    checks, checked_ok = _check_checkpoints(args.specs, models, getattr(args, "part", None))
    if args.format == "json":  # streamed, one model at a time: 10^5 models need no more memory than one
        from registry.output.json_output import json_array

        items = itertools.chain(_json_items(models, args.depth, checks, args.include_mtp), _header_items(headers))
        for chunk in json_array(items, shared=_SHARED):
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
        return 2 if not ok or checked_ok is None else 0 if checked_ok else 1
    reports = [count(m, args.include_mtp) for m in models]
    trees = [tree(m, args.depth) for m in models] if args.depth else None
    if args.format == "csv":
        if reports:
            print(render.rows_text(render.component_columns(reports), "csv"))
        for spec, cp, note in headers:
            print(_headers_text(spec, cp, note, "csv"))
    else:
        blocks = [_headers_text(spec, cp, note, args.format) for spec, cp, note in headers]
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


def _json_items(models: list[Model], depth: int | None, checks: dict[int, tuple[str, dict[str, Any]]],
                include_mtp: bool = False) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Each model's ``count --format json`` object, in turn. Models that share a block tree (the
    sizes of a table with equal hyper-parameters) share its per-layer rows and tree, computed once."""
    from registry.analyses.report import count, tree
    from registry.output.render import tree_dicts

    shared: dict[int, dict[str, Any]] = {}
    for model in models:
        report = count(model, include_mtp)
        data = report.to_dict(shared[id(model.architecture)]["layers"] if id(model.architecture) in shared else None)
        same = shared.setdefault(id(model.architecture), {key: data[key] for key in _SHARED if key in data})
        if depth:
            same.setdefault("tree", tree_dicts(tree(model, depth)))
        data.update(same)  # the very objects of the first model of this tree: json_array encodes them once
        if id(model) in checks:
            data["checkpoint"] = checks[id(model)][1]
        yield data


def _header_items(headers: list[tuple[str, Checkpoint, str]]) -> Iterator[dict[str, Any]]:
    """The JSON objects of the checkpoints counted from their headers alone (after the models)."""
    if not headers:
        return
    from registry.output.render_checkpoints import checkpoint_json

    for spec, checkpoint, note in headers:
        yield {**checkpoint_json(checkpoint, spec, 2), "family": None, "note": note}


def _headers_text(spec: str, checkpoint: Checkpoint, note: str, fmt: str) -> str:
    """A checkpoint counted from its headers, as ``inspect`` prints it, and the note of an unmapped type."""
    from registry.output.render_checkpoints import checkpoint_text

    text = checkpoint_text(checkpoint, spec, 2, fmt)
    return f"{text}\n\n{note}" if note and fmt != "csv" else text


#: Inputs counted from their headers alone, as ``inspect`` counts them: a safetensors file or index.
HEADER_FILES = (".safetensors", ".safetensors.index.json")


def _headers_only(args: argparse.Namespace) -> tuple[list[tuple[str, Checkpoint, str]], bool]:
    """Take the safetensors files out of ``args.specs`` and read their headers; one error line per bad one."""
    from registry.commands import print_error
    from registry.errors import RegistryError

    headers: list[tuple[str, Checkpoint, str]] = []
    ok = True
    rest = []
    for spec in args.specs:
        if not spec.lower().endswith(HEADER_FILES):
            rest.append(spec)
            continue
        from registry.checkpoints import open_checkpoint

        try:
            headers.append((spec, open_checkpoint(spec), ""))
        except RegistryError as exc:
            print_error(NAME, exc)
            ok = False
    args.specs = rest
    if headers and (args.family or args.assignments):
        raise SystemExit("registry count: --family and --set change a model; a safetensors file is counted as it is")
    return headers, ok


def _unmapped(spec: str, error: RegistryError, headers: list[tuple[str, Checkpoint, str]]) -> bool:
    """A folder or repo whose model_type no plugin maps: count its checkpoint's headers instead, if it has one."""
    from registry.errors import RegistryError

    try:
        file = _checkpoint_of(spec)
        if file is None:
            return False
        from registry.checkpoints import open_checkpoint

        checkpoint = open_checkpoint(file)
    except RegistryError:
        return False  # the model type's error line says what is wrong
    from registry.text import short_value

    model_type = short_value(getattr(error, "model_type", None))
    note = (f"no family was mapped: no installed plugin maps model_type {model_type}, so the count is what the "
            "checkpoint's headers hold (registry families --model-types lists the mapped types)")  # fmt: skip
    headers.append((spec, checkpoint, note))
    return True


def _checkpoint_of(spec: str) -> Path | str | None:
    """The checkpoint a command-line argument brings with it: a folder's, the GGUF file itself,
    or a Hugging Face repo's (the repo id, when the repo has a safetensors or GGUF checkpoint)."""
    from registry.checkpoints import is_gguf
    from registry.errors import RegistryError

    if "/" in spec and not _exists(spec):
        from registry.sources.hub import is_repo_id, parse_repo_id

        if is_repo_id(spec):
            from registry.checkpoints.remote import repo_checkpoint_name
            from registry.errors import RegistryError
            from registry.sources.hub import snapshot

            try:
                name = repo_checkpoint_name(snapshot(parse_repo_id(spec)), required=False)  # type: ignore[arg-type]
            except RegistryError:
                return None
            return spec if name is not None else None
    path = Path(spec)
    try:
        if path.is_dir():
            from registry.checkpoints.folder import cached_remotely, checkpoint_in, mmproj_in  # for a folder: start-up time

            remote = cached_remotely(path)
            if remote is None and mmproj_in(path) is not None:
                return path  # a language model and its vision tower's mmproj: the folder is the checkpoint
            return checkpoint_in(path, required=False) if remote is None else remote
    except (OSError, ValueError):
        return None
    except RegistryError:  # a folder whose checkpoint cannot be chosen: loading it said so already
        return None
    return path if is_gguf(path) else None


def _exists(spec: str) -> bool:
    """Whether a path of that name exists (then it is never a repo id)."""
    try:
        return Path(spec).exists()
    except (OSError, ValueError):
        return True


def _check_checkpoints(specs: list[str], models: list[Model],
                       part: str | None = None) -> tuple[dict[int, tuple[str, dict[str, Any]]], bool | None]:  # fmt: skip
    """Verify every model that came from a folder or a GGUF file against its checkpoint (with ``part``: the
    checkpoint's tensors of the other parts are set aside, not extra).

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
    from registry.output.render_checkpoints import differences_text, quantization_line

    checks: dict[int, tuple[str, dict[str, Any]]] = {}
    all_ok: bool | None = True
    for spec in specs:
        file = _checkpoint_of(spec)
        if file is None:
            continue
        sources = {str(Path(spec) / "config.json"), str(file), spec}
        if _exists(spec) and Path(spec).is_dir():
            from registry.checkpoints.folder import cache_snapshot

            sources.add(str(cache_snapshot(Path(spec)) / "config.json"))  # a cache folder's snapshot
        for model in (m for m in models if m.path in sources):
            try:
                checkpoint = open_checkpoint(file)
                result = compare_checkpoint(model, checkpoint)
                if part is not None:
                    from dataclasses import replace

                    result = replace(result, extra=[], ignored=[*result.ignored, *(
                        replace(e, note=f"not of the {part} part") for e in result.extra)])
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
                lines += ["", differences_text(rows, "table")]
            if all_ok is not None:
                all_ok = all_ok and result.identical
            data = {"path": str(file), "identical": result.identical, "logical_params": checkpoint.params,
                    "stored_bytes": checkpoint.nbytes, **result.to_dict()}  # fmt: skip
            checks[id(model)] = ("\n".join(lines), data)
    return checks, all_ok
