"""What a checkpoint holds, as plain data: tensors (stored or logical) and the checkpoint itself."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

__all__ = ["Checkpoint", "GroupRow", "Quantization", "TensorInfo", "TypeRow", "bits_per_weight", "group_counts",
           "type_counts"]


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One tensor: name, dtype (e.g. ``"BF16"``, ``"Q4_K"``, ``"GPTQ int4"``), shape and size in bytes.

    For a plain tensor the shape is as stored. For a quantized weight it is the logical
    (dequantized) shape, ``nbytes`` is every byte stored for it (the packed values and
    the quantization's scales, zeros and indices), ``overhead`` the bytes of the latter,
    and ``parts`` the names of the stored tensors it is made of. ``flat`` says that only
    the number of elements is known (bitsandbytes 4-bit keeps the shape in the data,
    not the header): the shape is then ``(numel,)``.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    overhead: int = 0
    parts: tuple[str, ...] = ()
    flat: bool = False

    @property
    def numel(self) -> int:
        """Number of elements: the product of the shape (1 for a scalar, shape ``()``)."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class Quantization:
    """How a checkpoint is quantized: ``layout`` (``GPTQ``, ``AWQ``, ``GGUF``, ...), a one-line
    ``description`` (bits, group size) and ``source``, where that was learnt."""

    layout: str
    description: str
    source: str


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read from its headers.

    ``stored`` are the tensors as the files hold them; ``tensors`` the logical tensors
    (quantized weights as their dequantized shapes, the rest as stored). ``format`` is
    ``safetensors`` or ``gguf``; ``metadata`` the GGUF key-values or the safetensors
    ``__metadata__``; ``notes`` lines worth telling the user. ``files``: a model read from several
    GGUF files (a folder's language model and the ``mmproj`` file of its vision tower), each one's own.
    """

    path: str
    format: str
    stored: list[TensorInfo]
    tensors: list[TensorInfo]
    quantization: Quantization | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    files: tuple[Checkpoint, ...] = ()

    @property
    def params(self) -> int:
        """Logical parameters: the elements of every logical tensor."""
        return sum(t.numel for t in self.tensors)

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data stored."""
        return sum(t.nbytes for t in self.tensors)

    @property
    def overhead(self) -> int:
        """Bytes of quantization overhead (scales, zeros, indices) among :attr:`nbytes`."""
        return sum(t.overhead for t in self.tensors)


def bits_per_weight(nbytes: int, params: int) -> float | None:
    """Stored bits per logical parameter, to 3 decimals (None for no parameters)."""
    return round(8 * nbytes / params, 3) if params else None


class GroupRow(TypedDict):
    """One row of :func:`group_counts`: totals of the tensors sharing a name prefix and dtype."""

    group: str
    dtype: str
    tensors: int
    params: int
    bytes: int


class TypeRow(TypedDict):
    """One row of :func:`type_counts`: totals of the tensors of one dtype."""

    dtype: str
    tensors: int
    params: int
    bytes: int
    overhead: int
    bits_per_weight: float | None


def group_counts(tensors: Iterable[TensorInfo], depth: int = 2) -> list[GroupRow]:
    """Total tensors, parameters and bytes per (name prefix, dtype), sorted by both.

    The prefix is the first ``depth`` dot-separated parts of each name (``model.layers``
    at depth 2); a name with fewer parts is its own group.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    rows: dict[tuple[str, str], GroupRow] = {}
    for t in tensors:
        group = ".".join(t.name.split(".")[:depth])
        row = rows.setdefault((group, t.dtype), GroupRow(group=group, dtype=t.dtype, tensors=0, params=0, bytes=0))
        row["tensors"] += 1
        row["params"] += t.numel
        row["bytes"] += t.nbytes
    return [rows[key] for key in sorted(rows)]


def type_counts(tensors: Iterable[TensorInfo]) -> list[TypeRow]:
    """Total tensors, parameters, bytes, overhead bytes and bits per weight per dtype, most parameters first."""
    rows: dict[str, TypeRow] = {}
    for t in tensors:
        row = rows.setdefault(t.dtype, TypeRow(dtype=t.dtype, tensors=0, params=0, bytes=0, overhead=0,
                                               bits_per_weight=None))  # fmt: skip
        row["tensors"] += 1
        row["params"] += t.numel
        row["bytes"] += t.nbytes
        row["overhead"] += t.overhead
    for row in rows.values():
        row["bits_per_weight"] = bits_per_weight(row["bytes"], row["params"])
    return sorted(rows.values(), key=lambda r: (-r["params"], r["dtype"]))
