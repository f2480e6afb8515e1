"""``registry schema [FAMILY]``: the JSON Schema of spec files, for editors."""

from __future__ import annotations

import argparse
import json
from typing import Any

NAME = "schema"
HELP = "print the JSON Schema of spec files (of one family's specs with FAMILY)"
DESCRIPTION = """Print the JSON Schema of spec files, generated from the pydantic models, so that an
editor can validate and complete specs (e.g. Even Better TOML: a `#:schema ./spec.schema.json`
first line, or its `evenBetterToml.schema.associations` setting)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry schema``."""
    parser.add_argument("family", nargs="?", help="a family: its hyper-parameters become the schema of [params]")


def spec_schema(family: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a spec file; with ``family``, ``params`` follows that family's model."""
    from pydantic import TypeAdapter

    from registry.blocks import Block
    from registry.plugin_manager import load_families
    from registry.sources.spec import SpecFile

    schema = SpecFile.model_json_schema()
    blocks = TypeAdapter(list[Block]).json_schema(ref_template="#/$defs/{model}")
    schema.setdefault("$defs", {}).update(blocks.pop("$defs", {}))
    schema["properties"]["blocks"] = {**blocks, "description": schema["properties"]["blocks"].get("description", "")}
    if family:
        params = _params_schema(load_families().family(family))
        schema["$defs"].update(params.pop("$defs", {}))
        params.pop("required", None)  # a multi-size spec splits them between [params] and [[models]]
        schema["properties"]["params"] = params
        schema["$defs"]["SizeEntry"]["properties"]["params"] = params
        schema["properties"]["family"] = {"const": family}
        schema["title"] = f"registry spec ({family})"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _params_schema(family: Any) -> dict[str, Any]:
    """The JSON Schema of a family's hyper-parameters; a model that has none (a ``Callable``
    field, say) is the plugin's error, named in one line."""
    from registry.errors import PluginError

    try:
        return family.params.model_json_schema(ref_template="#/$defs/{model}")
    except Exception as exc:  # pydantic refuses some field types (PydanticInvalidForJsonSchema)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PluginError(family.origin, f"family {family.name!r}: its params have no JSON Schema: {reason}") from None


def run(args: argparse.Namespace) -> int:
    """Print the schema as JSON."""
    from registry.commands import print_error
    from registry.errors import RegistryError

    try:
        schema = spec_schema(args.family)
    except RegistryError as exc:
        print_error(NAME, exc)
        return 2
    print(json.dumps(schema, indent=2, allow_nan=False))
    return 0
