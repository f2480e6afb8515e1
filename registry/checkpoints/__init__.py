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


def _quantization_config(config: Path | None) -> tuple[dict[str, Any] | None, str, str]:
    """The config's quantization object (None: not quantized), the config's path and the key
    it was under (``quantization_config``, or mlx-lm's ``quantization``)."""
    if config is None:
        return None, "", "quantization_config"
    from registry.checkpoints.files import read_json_file
    from registry.errors import SpecError

    data = read_json_file(config, "config")
    key = "quantization_config" if data.get("quantization_config") is not None else "quantization"
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise SpecError(str(config), key, f"must be an object (got {type(value).__name__})")
    return value, str(config), key


def open_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint, touching only headers.

    ``path`` is a ``.safetensors`` file, a sharded ``*.safetensors.index.json`` (shards
    next to it), a ``.gguf`` file, or a folder holding one of them. How a safetensors
    checkpoint is quantized is read from the ``quantization_config`` of the
    ``config.json`` beside it, else from its tensor names.
    """
    file = resolve(path)
    where = str(file)
    if is_gguf(file):
        from registry.checkpoints.gguf import read_gguf

        return read_gguf(file)
    notes: tuple[str, ...] = ()
    if file.name.endswith(".json"):
        from registry.checkpoints.sharded import read_index

        stored, metadata, notes = read_index(file)
    else:
        from registry.checkpoints.safetensors import read_safetensors

        stored, metadata = read_safetensors(file)
    from registry.checkpoints.quantization import dequantize

    from registry.checkpoints.folder import config_beside

    config, source, key = _quantization_config(config_beside(file))
    tensors, quantization = dequantize(stored, config, metadata, where, source, key)
    from registry.checkpoints.tensors import Checkpoint

    return Checkpoint(where, "safetensors", stored, tensors, quantization, dict(metadata), notes)


def read_checkpoint(path: str | os.PathLike[str]) -> list[TensorInfo]:
    """The tensors of a checkpoint as stored (see :func:`open_checkpoint`), in file order."""
    file = resolve(path)
    if is_gguf(file):
        return open_checkpoint(file).stored
    if file.name.endswith(".json"):
        from registry.checkpoints.sharded import read_index

        return read_index(file)[0]
    from registry.checkpoints.safetensors import read_safetensors_header

    return read_safetensors_header(file)
