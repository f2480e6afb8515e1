"""``registry families [NAME]``: installed families, their origin and hyper-parameters."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from registry.commands import add_format_option, warn_plugin_errors

NAME = "families"
HELP = "list installed architecture families (or one family's hyper-parameters)"
DESCRIPTION = "List the architecture families the built-in and third-party plugins provide."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry families``."""
    parser.add_argument("name", nargs="?", help="show this family's hyper-parameters")
    parser.add_argument(
        "--model-types", action="store_true",
        help="list the Hugging Face model types the plugins map (config.json's model_type), with their family, "
             "classes and plugin",
    )  # fmt: skip
    parser.add_argument(
        "--gguf", action="store_true",
        help="list the GGUF architectures the plugins map (llama.cpp's general.architecture), with the model type "
             "each reads as and its plugin",
    )  # fmt: skip
    add_format_option(parser)


def hyper_parameters(family: Any) -> list[dict[str, Any]]:
    """One row per hyper-parameter of a family: name, type, default, description."""
    from registry.output.spec_reference import type_text

    rows = []
    for name, info in family.params.model_fields.items():
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        annotation = type_text(info.annotation, info.metadata).replace("`", "")
        rows.append(
            {
                "name": name,
                "type": annotation,
                "required": info.is_required(),
                "default": default,
                "description": info.description or "",
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the families (or one family's hyper-parameters)."""
    import json

    from registry.commands import error_line
    from registry.errors import RegistryError
    from registry.plugin_manager import load_families
    from registry.output.render import rows_text

    warn_plugin_errors(NAME)
    if args.model_types:
        return _model_types(args.format)
    if args.gguf:
        return _gguf_architectures(args.format)
    registry = load_families()
    if args.name:
        try:
            family = registry.family(args.name)
        except RegistryError as exc:
            known = ", ".join(sorted(registry.items))
            print(f"registry families: {error_line(exc)}; known families: {known}", file=sys.stderr)
            return 2
        rows = hyper_parameters(family)
        if args.format == "json":
            print(json.dumps({"name": family.name, "origin": family.origin, "description": family.description,
                              "params": rows}, indent=2, allow_nan=False, default=str))  # fmt: skip
        elif args.format == "table":
            from registry.output.display import wrap
            from registry.output.table_width import fit_table

            print(f"{wrap(f'{family.name}: {family.description}', '  ')}\norigin: {family.origin}\n")
            shown = [{"name": r["name"], "type": r["type"], "default": "required" if r["required"] else repr(r["default"]),
                      "description": r["description"]} for r in rows]  # fmt: skip
            print(fit_table(shown, wrap=("type", "default"), below=("description",)))
        else:
            print(f"{family.name}: {family.description}\norigin: {family.origin}\n")
            shown = [{**r, "default": "" if r["required"] else repr(r["default"])} for r in rows]
            print(rows_text(shown, args.format))
        return 0
    rows = [
        {"name": f.name, "origin": f.origin, "description": f.description,
         "params": ", ".join(f.params.model_fields)}
        for f in sorted(registry.items.values(), key=lambda f: f.name)
    ]  # fmt: skip
    if args.format == "json":
        for row, f in zip(rows, sorted(registry.items.values(), key=lambda f: f.name)):
            row["params"] = hyper_parameters(f)
        print(json.dumps(rows, indent=2, allow_nan=False, default=str))
    elif args.format == "table":
        from registry.output.table_width import fit_table

        shown = [{"name": r["name"], "description": f"{r['description']}\norigin: {r['origin']}"} for r in rows]
        print(fit_table(shown, wrap=("description",)))
        print("\nregistry families NAME: one family's hyper-parameters (--format json: all)")
    else:
        print(rows_text(rows, args.format))
    return 0


def _model_types(fmt: str) -> int:
    """Print the mapped model types: name, the family it builds, the classes of ``architectures``, the plugin."""
    import json

    from registry.plugin_manager import load_model_types
    from registry.output.render import rows_text

    types = sorted(load_model_types().items.values(), key=lambda m: m.name)
    if fmt == "json":
        print(json.dumps([{"model_type": m.name, "family": m.family or None, "classes": list(m.classes),
                           "origin": m.origin} for m in types], indent=2, allow_nan=False))  # fmt: skip
    else:
        rows = [{"model_type": m.name, "family": m.family or "-", "classes": ", ".join(m.classes), "origin": m.origin}
                for m in types]  # fmt: skip
        if fmt == "table":
            from registry.output.table_width import fit_table

            print(fit_table(rows, wrap=("classes",), below=("origin",)))
        else:
            print(rows_text(rows, fmt))
    return 0


def _gguf_architectures(fmt: str) -> int:
    """Print the mapped GGUF architectures: llama.cpp's name, the model type it reads as, what it is, the plugin."""
    import json

    from registry.plugin_manager import load_gguf_architectures
    from registry.output.render import rows_text

    rows = [{"architecture": a.name, "model_type": a.model_type or "-", "description": a.description, "origin": a.origin}
            for a in sorted(load_gguf_architectures().items.values(), key=lambda a: a.name)]  # fmt: skip
    if fmt == "json":
        print(json.dumps(rows, indent=2, allow_nan=False))
    elif fmt == "table":
        from registry.output.table_width import fit_table

        shown = [{k: v for k, v in r.items() if k != "description"} for r in rows]
        print(fit_table(shown))
        notes = [f"{r['architecture']}: {r['description']}" for r in rows if r["description"]]
        if notes:
            print("\n" + "\n".join(notes))
    else:
        print(rows_text(rows, fmt))
    return 0
