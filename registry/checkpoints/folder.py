"""Model folders: which file of a directory is the checkpoint, and which is its config.json."""

from __future__ import annotations

from pathlib import Path

from registry.checkpoints.files import file_error, is_file
from registry.errors import SpecError

__all__ = ["cache_snapshot", "cached_remotely", "checkpoint_in", "choose_checkpoint", "config_beside", "is_directory",
           "is_mmproj", "mmproj_in", "mmproj_of"]


def is_directory(path: str | Path) -> bool:
    """``Path(path).is_dir()``, with a name too long or a NUL in it as a SpecError."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError) as e:
        raise file_error(str(path), e) from None


def checkpoint_in(directory: Path, required: bool = True) -> Path | None:
    """The checkpoint of a folder: ``model.safetensors``, else its one ``*.safetensors.index.json``,
    else its one ``*.safetensors``, else its one ``*.gguf``. None (or, if ``required``, a
    SpecError) when it has none; a SpecError when it has several of one kind. A folder of the
    Hugging Face cache (``models--org--name``) is read as its snapshot of ``main``."""
    directory = cache_snapshot(directory)
    names = [p.name for p in directory.iterdir() if is_file(p)] if is_directory(directory) else []
    chosen = choose_checkpoint(names, str(directory), required)
    return None if chosen is None else directory / chosen


def choose_checkpoint(names: list[str], where: str, required: bool = True) -> str | None:
    """Which of a folder's (or a Hub repo's) file ``names`` is its checkpoint (see :func:`checkpoint_in`)."""
    import fnmatch

    if "model.safetensors" in names:
        return "model.safetensors"
    for pattern in ("*.safetensors.index.json", "*.safetensors", "*.gguf"):
        found = sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))
        if len(found) == 1:
            return found[0]
        if pattern == "*.gguf" and mmproj_of(found) is not None:  # a language model and its vision tower's file
            return next(n for n in found if not is_mmproj(n))
        if found:
            listed = ", ".join(found[:6]) + (", ..." if len(found) > 6 else "")
            kind = "index files" if pattern.endswith("json") else f"{pattern[1:]} files"
            raise SpecError(where, "", f"contains several {kind} ({listed}); name one")
    if required:
        raise SpecError(where, "", "contains neither model.safetensors nor a *.safetensors.index.json "
                                   "(nor a *.safetensors or *.gguf file)")  # fmt: skip
    return None


def is_mmproj(name: str) -> bool:
    """Whether a GGUF file name is llama.cpp's ``mmproj*.gguf`` (a vision tower and its projector)."""
    return name.lower().startswith("mmproj") and name.lower().endswith(".gguf")


def mmproj_of(names: list[str]) -> str | None:
    """Of a folder's GGUF file ``names``: the one ``mmproj*.gguf`` when there is exactly one other GGUF file
    (the language model it completes), else None."""
    mmproj = [n for n in names if is_mmproj(n)]
    return mmproj[0] if len(mmproj) == 1 and len(names) == 2 else None


def mmproj_in(directory: Path) -> Path | None:
    """The ``mmproj*.gguf`` of a folder that holds it and one language-model GGUF (else None)."""
    import fnmatch

    directory = cache_snapshot(directory)
    if not is_directory(directory) or (directory / "config.json").is_file():
        return None
    names = [p.name for p in directory.iterdir() if is_file(p)]
    chosen = choose_checkpoint(names, str(directory), required=False)
    if chosen is None or not chosen.lower().endswith(".gguf"):
        return None
    found = mmproj_of(sorted(n for n in names if fnmatch.fnmatchcase(n, "*.gguf")))
    return None if found is None else directory / found


def cache_snapshot(directory: Path) -> Path:
    """A Hugging Face cache folder (``models--org--name``) as the snapshot its ``refs/main`` names;
    any other folder as itself."""
    from registry.sources.hub_cache import snapshot_of

    try:
        snapshot = snapshot_of(directory)
    except ValueError as e:
        raise SpecError(str(directory), "", str(e)) from None
    except OSError as e:
        raise file_error(str(directory), e) from None
    return directory if snapshot is None else snapshot


def cached_remotely(directory: Path) -> str | None:
    """For a folder of the Hugging Face cache whose weights were never downloaded (the index is
    there, a shard is not; or only the headers registry fetched are): the repo id at its commit
    (``org/name@<commit>``), whose headers the cache keeps (:mod:`registry.sources.hub`). None
    for any other folder, and for a snapshot that holds its whole checkpoint."""
    from registry.sources.hub_cache import HEADS, repo_of_snapshot

    snapshot = cache_snapshot(directory)
    repo = repo_of_snapshot(snapshot)
    if repo is None:
        return None
    remote = f"{repo}@{snapshot.name}"
    file = checkpoint_in(snapshot, required=False)
    if file is None:
        return remote if (snapshot.parent.parent / HEADS / snapshot.name / "files.json").is_file() else None
    if not file.name.endswith(".json"):
        return None
    from registry.checkpoints.files import read_json_file
    from registry.checkpoints.sharded import shard_names

    shards = shard_names(str(file), read_json_file(file, "index"))
    return None if all(is_file(snapshot / shard) for shard in shards) else remote


def config_beside(path: Path) -> Path | None:
    """The ``config.json`` in a folder, or beside a checkpoint file (None if there is none)."""
    folder = cache_snapshot(path) if is_directory(path) else path.parent
    config = folder / "config.json"
    return config if is_file(config) and config != path else None
