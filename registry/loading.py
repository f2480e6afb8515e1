"""Loading models from files, whatever their format, and listing families.

``registry.load`` reads a TOML spec; a reader for another format (such as a
Hugging Face ``config.json`` or a GGUF file) is registered in :data:`READERS` by file
suffix. A directory is a model folder: its ``config.json``, else its GGUF file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from registry.families import Family
from registry.model import Model
from registry.plugin_manager import load_families


def _hf_config(path: Path, strict: bool = False) -> list[Model]:
    """A Hugging Face ``config.json``, mapped exactly to a family (see :mod:`registry.hf`)."""
    from registry.hf import load_config

    return load_config(path, strict=strict)


def _gguf(path: Path, strict: bool = False) -> list[Model]:
    """A GGUF file: the model its metadata describes (see :mod:`registry.checkpoints.gguf_architectures`)."""
    from registry.checkpoints.gguf import read_gguf
    from registry.checkpoints.gguf_architectures import gguf_model

    return [gguf_model(read_gguf(path), strict=strict)]


def _folder(path: Path, strict: bool = False) -> list[Model]:
    """A model folder: its ``config.json``, else the one GGUF file it holds."""
    from registry.checkpoints.folder import checkpoint_in
    from registry.errors import SpecError

    if (path / "config.json").is_file():
        return _hf_config(path / "config.json", strict)
    checkpoint = checkpoint_in(path, required=False)
    if checkpoint is not None and checkpoint.suffix.lower() == ".gguf":
        return _gguf(checkpoint, strict)
    raise SpecError(str(path), "", "directory holds no config.json (nor a .gguf file) to count")


def _is_model_folder(path: Path) -> bool:
    """Whether a directory holds a config.json or a GGUF file (else it is no model folder)."""
    return (path / "config.json").is_file() or any(path.glob("*.gguf"))


#: Readers by lower-case file suffix, called as ``reader(path, strict)``; anything else
#: is read as a TOML spec.
READERS: dict[str, Callable[[Path, bool], list[Model]]] = {".json": _hf_config, ".gguf": _gguf}


def load(path: str | Path, *, strict: bool = False) -> list[Model]:
    """The models a spec file holds (one, or one per size of a multi-size spec).

    A directory is a model folder (its ``config.json``, else its ``.gguf`` file); a GGUF
    file is built from its metadata. A Hugging Face ``config.json`` is mapped by the plugin of its ``model_type``; its
    fields that transformers does not know are listed in ``Model.ignored_fields``, or,
    with ``strict``, refused. Raises :class:`registry.errors.SpecError` naming the
    file, line, field and problem when the file cannot be read or validated.
    """
    path = Path(path)
    from registry.checkpoints.folder import is_directory

    if is_directory(path) and (path.suffix.lower() not in (".toml", "") or _is_model_folder(path)):
        return _folder(path, strict)
    reader = READERS.get(path.suffix.lower())
    if reader is not None:
        return reader(path, strict)
    from registry.spec import load as load_spec

    return load_spec(path)


def families() -> dict[str, Family]:
    """Every installed family by name (built-in and from third-party plugins)."""
    return dict(load_families().families)
