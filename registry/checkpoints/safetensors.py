"""The header of one ``.safetensors`` file, read and validated without touching tensor data.

A safetensors file starts with an 8-byte little-endian length N, then N bytes of UTF-8
JSON giving each tensor's dtype, shape and byte range in the data that follows. Only
those 8 + N bytes are read.
"""

from __future__ import annotations

import math
import os
import struct
from typing import Any

from registry.checkpoints import files
from registry.checkpoints.files import file_error, load_json
from registry.text import short_value
from registry.checkpoints.tensors import TensorInfo
from registry.errors import SpecError

__all__ = ["DTYPE_SIZES", "MAX_ELEMENTS", "MAX_HEADER_BYTES", "read_safetensors", "read_safetensors_header"]

DTYPE_SIZES: dict[str, int] = {
    **dict.fromkeys(("F64", "I64", "U64", "C64"), 8),
    **dict.fromkeys(("F32", "I32", "U32"), 4),
    **dict.fromkeys(("F16", "BF16", "I16", "U16"), 2),
    **dict.fromkeys(("F8_E4M3", "F8_E5M2", "F8_E8M0", "I8", "U8", "BOOL"), 1),
}
"""Bytes per element of the dtypes whose sizes are checked against ``data_offsets``."""

MAX_HEADER_BYTES = files.MAX_JSON_BYTES
"""Largest header accepted (the limit the safetensors library itself enforces)."""

MAX_ELEMENTS = 2**63 - 1
"""Most elements a tensor may have (what a 64-bit element count holds)."""


def _read_prefixed(path: str | os.PathLike[str]) -> tuple[int, bytes]:
    """Return (bytes left after the header, header bytes), reading exactly 8 + N bytes."""
    where = str(path)
    try:
        with files.open_binary(path) as f:
            size = files.size_of(f)
            prefix = f.read(8)
            if len(prefix) < 8:
                raise SpecError(where, "", f"file is only {len(prefix)} bytes, too short for a safetensors header")
            if prefix[:4] == b"GGUF":
                raise SpecError(where, "", "is a GGUF file, not safetensors (name it *.gguf)")
            (n,) = struct.unpack("<Q", prefix)
            if n > size - 8:
                raise SpecError(where, "", f"header claims {n} bytes but the file has only {size - 8} after the length prefix")
            if n > MAX_HEADER_BYTES:
                raise SpecError(where, "", f"header claims {n} bytes, more than the {MAX_HEADER_BYTES} allowed")
            raw = f.read(n)
    except (OSError, ValueError) as e:
        raise file_error(where, e) from None
    if len(raw) < n:
        raise SpecError(where, "", f"file ended after {len(raw)} of the {n} header bytes")
    return size - 8 - n, raw


def _is_count(value: Any) -> bool:
    """True for a JSON integer >= 0 (booleans excluded)."""
    return type(value) is int and value >= 0


def _parse_entry(where: str, name: str, entry: Any) -> tuple[TensorInfo, int, int]:
    """Validate one header entry; return it with its data_offsets."""
    if not isinstance(entry, dict):
        raise SpecError(where, name, f"entry is not a JSON object: {short_value(entry)}")
    missing = [key for key in ("dtype", "shape", "data_offsets") if key not in entry]
    if missing:
        raise SpecError(where, name, f"entry lacks {', '.join(missing)}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or not dtype:
        raise SpecError(where, name, f"dtype must be a non-empty string, got {short_value(dtype)}")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise SpecError(where, name, f"shape must be a list of non-negative integers, got {short_value(shape)}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)):
        raise SpecError(where, name, f"data_offsets must be two non-negative integers, got {short_value(offsets)}")
    begin, end = offsets
    if begin > end:
        raise SpecError(where, name, f"data_offsets [{begin}, {end}] are out of order")
    if math.prod(shape) > MAX_ELEMENTS:
        raise SpecError(where, name, f"shape {short_value(tuple(shape))} has more than 2^63 - 1 elements")
    info = TensorInfo(name, dtype, tuple(shape), end - begin)
    _check_size(where, info)
    return info, begin, end


SUB_BYTE_BITS: dict[str, int] = {"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}
"""Bits per element of the safetensors dtypes smaller than a byte (packed, rounded up to whole bytes)."""


def _check_size(where: str, info: TensorInfo) -> None:
    """A tensor's bytes must be what its dtype and shape need: an unknown dtype (or one in
    lower case) is refused, not taken on trust, so that a small file cannot claim huge tensors."""
    dtype, name = info.dtype, info.name
    itemsize = DTYPE_SIZES.get(dtype)
    if itemsize is not None:
        needed = info.numel * itemsize
    elif dtype in SUB_BYTE_BITS:
        needed = -(-info.numel * SUB_BYTE_BITS[dtype] // 8)
    else:
        known = [*DTYPE_SIZES, *SUB_BYTE_BITS]
        hint = f" (did you mean {dtype.upper()}?)" if dtype.upper() in known else ""
        raise SpecError(where, name, f"dtype {short_value(dtype)} is not a safetensors dtype{hint}; known: {', '.join(known)}")
    if needed != info.nbytes:
        raise SpecError(where, name, f"shape {short_value(info.shape)} of {dtype} needs {needed} bytes "
                                     f"but data_offsets span {info.nbytes}")


def read_safetensors(path: str | os.PathLike[str]) -> tuple[list[TensorInfo], dict[str, str]]:
    """The tensors of one ``.safetensors`` file, in data order, and its ``__metadata__``.

    Only the 8-byte length prefix and the header are read; the offsets are checked for
    order, overlap and against the size of the file (to catch truncation).
    """
    where = str(path)
    data_size, raw = _read_prefixed(path)
    header = load_json(where, raw, "header")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise SpecError(where, "__metadata__", "must be an object of string values")
    entries = sorted((_parse_entry(where, name, entry) for name, entry in header.items()), key=lambda e: e[1:])
    previous_end, previous = 0, ""
    for info, begin, end in entries:
        if begin < previous_end:
            raise SpecError(where, info.name, f"data_offsets [{begin}, {end}] overlap those of {previous!r}")
        if end > data_size:
            raise SpecError(where, info.name, f"data_offsets end at byte {end} but the file holds only {data_size} "
                                              "data bytes (truncated file?)")
        previous_end, previous = end, info.name
    return [info for info, _, _ in entries], dict(metadata or {})


def read_safetensors_header(path: str | os.PathLike[str]) -> list[TensorInfo]:
    """The tensors of one ``.safetensors`` file, in data order (see :func:`read_safetensors`)."""
    return read_safetensors(path)[0]
