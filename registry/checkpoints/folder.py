"""Model folders: which file of a directory is the checkpoint, and which is its config.json."""

from __future__ import annotations

from pathlib import Path

from registry.checkpoints.files import file_error, is_file
from registry.errors import SpecError

__all__ = ["checkpoint_in", "config_beside", "is_directory"]


def is_directory(path: str | Path) -> bool:
    """``Path(path).is_dir()``, with a name too long or a NUL in it as a SpecError."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError) as e:
        raise file_error(str(path), e) from None


def checkpoint_in(directory: Path, required: bool = True) -> Path | None:
    """The checkpoint of a folder: ``model.safetensors``, else its one ``*.safetensors.index.json``,
    else its one ``*.safetensors``, else its one ``*.gguf``. None (or, if ``required``, a
    SpecError) when it has none; a SpecError when it has several of one kind."""
    if is_file(directory / "model.safetensors"):
        return directory / "model.safetensors"
    for pattern in ("*.safetensors.index.json", "*.safetensors", "*.gguf"):
        found = sorted(p for p in directory.glob(pattern) if is_file(p))
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(p.name for p in found[:6]) + (", ..." if len(found) > 6 else "")
            kind = "index files" if pattern.endswith("json") else f"{pattern[1:]} files"
            raise SpecError(str(directory), "", f"directory contains several {kind} ({names}); name one")
    if required:
        raise SpecError(str(directory), "", "directory contains neither model.safetensors nor a "
                                            "*.safetensors.index.json (nor a *.safetensors or *.gguf file)")
    return None


def config_beside(path: Path) -> Path | None:
    """The ``config.json`` in a folder, or beside a checkpoint file (None if there is none)."""
    folder = path if is_directory(path) else path.parent
    config = folder / "config.json"
    return config if is_file(config) and config != path else None
