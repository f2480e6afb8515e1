"""Checkpoints read from their headers alone: safetensors (single, sharded), quantized layouts, GGUF.

:func:`open_checkpoint` reads any of them, or a model folder holding one, into a
:class:`Checkpoint`: the tensors as stored, and the logical tensors (quantized weights
as their dequantized shapes, see :mod:`registry.checkpoints.quantization`). Only
headers are read, never tensor data. Every problem is a
:class:`registry.errors.SpecError`. One job per module:

* ``files``: opening and bounded reading; ``tensors``: the data classes and sums;
* ``safetensors``: one file's header; ``sharded``: an index and its shards;
* ``quantization``: packed layouts to logical tensors; ``gguf``: GGUF headers;
* ``gguf_architectures``: GGUF metadata to a model (mappings come from plugins);
* ``folder``: which file of a directory is the checkpoint and which its config.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.checkpoints.tensors import (
        Checkpoint, GroupRow, Quantization, TensorInfo, TypeRow, bits_per_weight, group_counts, type_counts,
    )  # fmt: skip

#: Names re-exported from :mod:`registry.checkpoints.tensors`, imported on first use (start-up
#: time: a spec file's count needs none of them).
_FROM_TENSORS = frozenset(
    {"Checkpoint", "GroupRow", "Quantization", "TensorInfo", "TypeRow", "bits_per_weight", "group_counts", "type_counts"}
)


def __getattr__(name: str) -> Any:
    if name in _FROM_TENSORS:
        from registry.checkpoints import tensors

        value = getattr(tensors, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'registry.checkpoints' has no attribute {name!r}")

__all__ = ["Checkpoint", "GroupRow", "Quantization", "TensorInfo", "TypeRow", "bits_per_weight", "group_counts",
           "is_gguf", "open_checkpoint", "read_checkpoint", "resolve", "type_counts"]


def resolve(path: str | os.PathLike[str]) -> Path:
    """The checkpoint file ``path`` names: itself, or the checkpoint of the folder it is."""
    from registry.checkpoints.folder import checkpoint_in, is_directory  # here: start-up time of is_gguf's callers

    p = Path(path)
    return checkpoint_in(p) if is_directory(p) else p


def is_gguf(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (a file) is read as GGUF: by its ``.gguf`` suffix."""
    return str(path).lower().endswith(".gguf")


def _repo_id(path: object) -> bool:
    """Whether ``path`` is read as a Hugging Face repo id (the hub module imported only for one that may be)."""
    if not isinstance(path, str) or "/" not in path:
        return False
    from registry.sources.hub import is_repo_id

    return is_repo_id(path)


def open_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint, touching only headers.

    ``path`` is a ``.safetensors`` file, a sharded ``*.safetensors.index.json`` (shards
    next to it), a ``.gguf`` file, or a folder holding one of them. How a safetensors
    checkpoint is quantized is read from the ``quantization_config`` of the
    ``config.json`` beside it, else from its tensor names. A Hugging Face repo id
    (``org/name[@revision][:file.gguf]``, when no such path exists) is read through the Hub,
    its headers by HTTP Range requests (see :mod:`registry.checkpoints.remote`).
    """
    if _repo_id(path):
        from registry.checkpoints.remote import open_repo_checkpoint
        from registry.sources.hub import parse_repo_id

        return open_repo_checkpoint(parse_repo_id(str(path)))  # type: ignore[arg-type]
    from registry.checkpoints.folder import cached_remotely, is_directory

    remote = cached_remotely(Path(path)) if is_directory(path) else None
    if remote is not None:  # a cache folder without its weights: the headers the cache keeps
        return open_checkpoint(remote)
    file = resolve(path)
    where = str(file)
    if is_gguf(file):
        from registry.checkpoints.folder import mmproj_in
        from registry.checkpoints.gguf import read_gguf, read_gguf_pair

        mmproj = mmproj_in(Path(path)) if is_directory(path) else None  # a folder's language model and vision tower
        return read_gguf(file) if mmproj is None else read_gguf_pair(file, mmproj, str(Path(path)))
    notes: tuple[str, ...] = ()
    if file.name.endswith(".json"):
        from registry.checkpoints.sharded import read_index

        stored, metadata, notes = read_index(file)
    else:
        from registry.checkpoints.safetensors import read_safetensors

        stored, metadata = read_safetensors(file)
    from registry.checkpoints.quantization import dequantize

    from registry.checkpoints.folder import config_beside

    from registry.checkpoints.quant_config import quantization_config

    config, source, key = quantization_config(config_beside(file))
    tensors, quantization = dequantize(stored, config, metadata, where, source, key)
    from registry.checkpoints.tensors import Checkpoint

    return Checkpoint(where, "safetensors", stored, tensors, quantization, dict(metadata), notes)


def read_checkpoint(path: str | os.PathLike[str]) -> list[TensorInfo]:
    """The tensors of a checkpoint as stored (see :func:`open_checkpoint`), in file order."""
    if _repo_id(path):
        return open_checkpoint(path).stored
    file = resolve(path)
    if is_gguf(file):
        return open_checkpoint(file).stored
    if file.name.endswith(".json"):
        from registry.checkpoints.sharded import read_index

        return read_index(file)[0]
    from registry.checkpoints.safetensors import read_safetensors_header

    return read_safetensors_header(file)
