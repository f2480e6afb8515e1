"""Sharded safetensors checkpoints: a ``*.safetensors.index.json`` and its shards, checked for consistency.

The index's ``weight_map`` must agree with the shards' headers: every shard it names
exists, every tensor it lists is in the shard it names and in no other, and every
tensor of a shard is listed. ``metadata.total_size``, where given, is compared with the
sum of the tensors' bytes (a difference is a note, not an error: some exporters count
it otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry.checkpoints.files import is_file, read_json_file
from registry.checkpoints.safetensors import read_safetensors
from registry.checkpoints.tensors import TensorInfo
from registry.errors import SpecError

__all__ = ["check_index", "read_index", "shard_names"]


def read_index(index: Path) -> tuple[list[TensorInfo], dict[str, str], tuple[str, ...]]:
    """Read every shard of an index; return the tensors (in shard order), the first shard's
    ``__metadata__`` and notes."""
    where = str(index)

    def read_shard(shard: str) -> tuple[list[TensorInfo], dict[str, str]]:
        shard_path = index.parent / shard
        _check_inside(where, index, shard, shard_path)
        if not is_file(shard_path):
            raise SpecError(where, "weight_map", f"shard {shard} is missing (no file {shard_path})")
        return read_safetensors(shard_path)

    return check_index(where, read_json_file(index, "index"), read_shard)


def shard_names(where: str, data: dict[str, Any]) -> list[str]:
    """The shard file names an index's ``weight_map`` names, in order of first mention, each
    checked to be a relative file name."""
    weight_map = data.get("weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise SpecError(where, "weight_map", "must be an object mapping tensor names to shard file names")
    shards = list(dict.fromkeys(weight_map.values()))
    for shard in shards:
        if not shard or Path(shard).is_absolute() or ".." in Path(shard).parts:
            raise SpecError(where, "weight_map", f"shard name {shard!r} is not a relative file name")
    return shards


def check_index(
    where: str, data: dict[str, Any], read_shard: Callable[[str], tuple[list[TensorInfo], dict[str, str]]]
) -> tuple[list[TensorInfo], dict[str, str], tuple[str, ...]]:
    """Check a parsed index against its shards, each read by ``read_shard(name)`` (a local file,
    or a Hub repo's file read by byte ranges); return the tensors, metadata and notes."""
    shards = shard_names(where, data)
    weight_map = data["weight_map"]
    found: dict[str, str] = {}
    tensors: list[TensorInfo] = []
    metadata: dict[str, str] = {}
    for shard in shards:
        shard_tensors, shard_metadata = read_shard(shard)
        metadata = metadata or shard_metadata
        for info in shard_tensors:
            if info.name in found:
                raise SpecError(where, info.name, f"tensor appears in two shards, {found[info.name]} and {shard}")
            if info.name not in weight_map:
                raise SpecError(where, info.name, f"tensor is in shard {shard} but not in the index's weight_map")
            found[info.name] = shard
            tensors.append(info)
    for name, shard in weight_map.items():
        if found.get(name) != shard:
            actual = f" (it is in {found[name]})" if name in found else ""
            raise SpecError(where, name, f"tensor not found in its shard {shard}{actual}")
    notes: tuple[str, ...] = ()
    declared = data.get("metadata", {}).get("total_size") if isinstance(data.get("metadata"), dict) else None
    stored = sum(t.nbytes for t in tensors)
    if type(declared) is int and declared != stored:
        notes = (f"{where}: metadata.total_size: says {declared:,} bytes but the shards' tensors hold {stored:,}",)
    return tensors, metadata, notes


def _check_inside(where: str, index: Path, shard: str, shard_path: Path) -> None:
    """A shard must be a file of the index's folder, also once symbolic links are followed
    (nothing outside the folder is opened, nor its size told)."""
    try:
        inside = shard_path.resolve().is_relative_to(index.parent.resolve())
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL in the name
        inside = False
    if not inside:
        raise SpecError(where, "weight_map", f"shard {shard!r} is outside the index's folder")
