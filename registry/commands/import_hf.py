"""``registry import-hf CONFIG.json [-o SPEC.toml]``: a spec from a Hugging Face config.json."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from registry.commands import add_strict_option

if TYPE_CHECKING:
    from registry.sources.hf_config import Imported
    from registry.sources.meta_model import MetaSpec

NAME = "import-hf"
HELP = "turn a Hugging Face config.json (a local file) into a spec"
DESCRIPTION = """Map a Hugging Face config.json to a family and its hyper-parameters, exactly as
transformers builds the model (the class in 'architectures' decides the heads), and write
the spec as TOML (to stdout, or to --output). Nothing is downloaded. A value registry cannot
map exactly is refused with one line naming its field; a field that transformers does not
know for the model type is ignored with a warning (--strict refuses it). The model types
are mapped by the installed family plugins: `registry families --model-types` lists them.

A model type no plugin maps: `registry import-hf --via transformers CONFIG` builds the model
of the config's class with transformers on the meta device (no weights, no download) and
writes a spec of [[blocks]]: every parameter tensor with its name and shape, ties kept,
routed experts with the config's top_k active. That spec then counts without torch. The
route needs the optional extra: pip install 'nn-param-registry[transformers]'."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry import-hf``."""
    parser.add_argument("config", metavar="CONFIG.json", help="a Hugging Face config.json file (- reads it from stdin)")
    parser.add_argument("-o", "--output", metavar="SPEC.toml", help="write the spec here instead of stdout")
    parser.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    add_strict_option(parser)
    parser.add_argument(
        "--via", choices=["transformers"],
        help="build the model with transformers on the meta device and write its tensors as [[blocks]] "
        "(for a model type no plugin maps; needs the extra 'transformers')",
    )  # fmt: skip


def spec_text(imported: Imported, name: str, source: str, images: dict[str, Any] | None = None) -> str:
    """The TOML spec of an imported config; ``images``: its ``[images]`` table (:func:`images_table`); a speech
    model's ``[audio]`` table (:func:`registry.sources.spec_audio.audio_table`)."""
    from registry.sources.spec_audio import audio_table

    from registry.output import toml_writer

    header = (
        f"Imported by `registry import-hf` from a Hugging Face config.json\n"
        f"(model_type {imported.model_type}, architectures {imported.architecture});\n"
        "counts follow the model transformers builds from that config."
    )
    top = {"name": name, "family": imported.family, "source": source}
    audio = audio_table(imported.model_type, imported.params, imported.audio)
    tables = {"params": imported.params, **({"images": images} if images else {}), **({"audio": audio} if audio else {})}
    return toml_writer.dumps(top, tables, header=header)


def images_table(imported: Imported, data: dict[str, Any]) -> dict[str, Any] | None:
    """A composite's ``[images]`` table (:mod:`registry.sources.spec_images`): its model type and the config fields
    its image rule reads, as ``data`` gives them; None for a model that takes no images."""
    from registry.plugin_manager import find_model_type

    rule = getattr(find_model_type(imported.model_type), "images", None)
    if imported.images is None or rule is None:
        return None
    return {"model_type": imported.model_type, **rule.config_values(data)}


def run(args: argparse.Namespace) -> int:
    """Import the config and print or write the spec; exit 2 on any problem."""
    from registry.commands import warn, warn_plugin_errors
    from registry.output.files import check_output
    from registry.errors import SpecError
    from registry.sources.hf_config import map_config, model_name, source_of
    from registry.sources.config_file import read_config

    warn_plugin_errors(NAME)
    if args.via == "transformers":
        return _run_via_transformers(args)
    if args.config == "-":  # the config's text from stdin
        from registry.sources.loading import read_stdin

        where = "<stdin>"
        data, lines = read_config(where, read_stdin())
    else:
        where = args.config
        data, lines = read_config(where)
    imported = map_config(data, where, lines, strict=args.strict)
    for line in imported.notes:
        warn(NAME, line)
    source = source_of(where, imported)
    if args.output is not None:
        check_output(args.output, args.force)  # before writing the spec: an existing file is refused
    name = model_name("stdin" if where == "<stdin>" else where, data.get("_name_or_path"))
    try:
        text = spec_text(imported, name, source, images_table(imported, data))
    except ValueError as exc:  # a value TOML cannot hold (a lone surrogate)
        raise SpecError(where, "", f"cannot write the spec: {exc}") from None
    return _emit(text, args, f"family {imported.family}")


def blocks_spec_text(meta: MetaSpec, name: str, source: str) -> str:
    """The TOML spec of a model read off transformers' meta model: ``[[blocks]]``, no family."""
    from registry.output import toml_writer

    header = (
        f"Imported by `registry import-hf --via transformers` from a Hugging Face config.json\n"
        f"(model_type {meta.model_type}, {meta.architecture}, transformers {meta.transformers_version});\n"
        "every parameter tensor of the model transformers builds from that config."
    )
    top = {"name": name, "source": source, "notes": "; ".join(meta.notes)}
    return toml_writer.dumps_blocks(top, meta.blocks, header=header)


def _run_via_transformers(args: argparse.Namespace) -> int:
    """``--via transformers``: the spec of [[blocks]] read off the meta model."""
    from registry.commands import print_error
    from registry.output.files import check_output
    from registry.errors import SpecError
    from registry.sources.config_file import read_config
    from registry.sources.hf_config import model_name
    from registry.sources.meta_model import meta_spec, missing_extra

    missing = missing_extra()
    if missing is not None:
        print_error(NAME, missing)
        return 2
    data, _ = read_config(args.config)
    if args.output is not None:
        check_output(args.output, args.force)
    meta = meta_spec(data, str(args.config))
    source = (f"{args.config} (model_type {meta.model_type}, {meta.architecture}), read off the model "
              f"transformers {meta.transformers_version} builds on the meta device")
    try:
        text = blocks_spec_text(meta, model_name(args.config, data.get("_name_or_path")), source)
    except ValueError as exc:
        raise SpecError(str(args.config), "", f"cannot write the spec: {exc}") from None
    return _emit(text, args, f"[[blocks]] of {meta.architecture}")


def _emit(text: str, args: argparse.Namespace, what: str) -> int:
    """The spec on stdout, or written to ``--output`` (one line on stderr says so)."""
    import sys
    from pathlib import Path

    from registry.output.files import write_text
    from registry.text import visible

    if args.output is None:
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    write_text(output, text, args.force)
    print(f"wrote {visible(str(output), False)} ({what})", file=sys.stderr)
    return 0
