"""GGUF files (llama.cpp): header, metadata key-values and tensor infos, never the tensor data.

A GGUF file is ``GGUF``, a version (2 or 3), the tensor and key-value counts, the
key-values (typed: integers, floats, booleans, strings, arrays), then one info per
tensor (name, dimensions innermost first, ggml type, offset), then the aligned data.
Each ggml type stores blocks of ``block_size`` values in ``type_size`` bytes, so a
tensor's bytes follow from its shape and type. Every count and length is checked
against the size of the file before anything is allocated or read, so a hostile
length (a string of 2^63 bytes) is one error line. Reads are buffered in chunks of
:data:`CHUNK` bytes: at most one chunk past the header is read.
"""

from __future__ import annotations

import math
import os
import struct
from collections import Counter
from dataclasses import dataclass
from typing import IO, Any

from registry.checkpoints import files
from registry.checkpoints.files import file_error
from registry.text import short_value
from registry.checkpoints.tensors import Checkpoint, Quantization, TensorInfo
from registry.contracts import GgufArray
from registry.errors import SpecError

__all__ = ["CHUNK", "GGML_TYPES", "GgufArray", "GgmlType", "read_gguf", "read_gguf_pair"]

CHUNK = 1 << 16
"""Bytes read at a time."""

MAGIC = b"GGUF"
MAX_DIMS = 4
"""Most dimensions a ggml tensor has (GGML_MAX_DIMS)."""
MAX_ELEMENTS = 2**63 - 1
#: Arrays with at most this many items keep their items; longer ones keep their length only.
KEEP_ITEMS = 4096


@dataclass(frozen=True)
class GgmlType:
    """A ggml tensor type: ``block_size`` values stored in ``type_size`` bytes."""

    name: str
    block_size: int
    type_size: int

    @property
    def bits_per_weight(self) -> float:
        """Stored bits per value."""
        return 8 * self.type_size / self.block_size


def _types(*rows: tuple[int, str, int, int]) -> dict[int, GgmlType]:
    return {number: GgmlType(name, block, size) for number, name, block, size in rows}


QK_K = 256
#: Every ggml type by number (ggml.h ``enum ggml_type``), with its block size and bytes per block.
GGML_TYPES: dict[int, GgmlType] = _types(
    (0, "F32", 1, 4), (1, "F16", 1, 2), (2, "Q4_0", 32, 18), (3, "Q4_1", 32, 20), (6, "Q5_0", 32, 22),
    (7, "Q5_1", 32, 24), (8, "Q8_0", 32, 34), (9, "Q8_1", 32, 40),
    (10, "Q2_K", QK_K, 2 + 2 + QK_K // 16 + QK_K // 4), (11, "Q3_K", QK_K, 2 + QK_K // 4 + QK_K // 8 + 12),
    (12, "Q4_K", QK_K, 2 + 2 + QK_K // 2 + 12), (13, "Q5_K", QK_K, 2 + 2 + QK_K // 2 + QK_K // 8 + 12),
    (14, "Q6_K", QK_K, 2 + QK_K // 2 + QK_K // 4 + QK_K // 16), (15, "Q8_K", QK_K, 4 + QK_K + QK_K // 8),
    (16, "IQ2_XXS", QK_K, 2 + QK_K // 4), (17, "IQ2_XS", QK_K, 2 + QK_K // 4 + QK_K // 32),
    (18, "IQ3_XXS", QK_K, 2 + QK_K // 4 + QK_K // 8), (19, "IQ1_S", QK_K, 2 + QK_K // 8 + QK_K // 16),
    (20, "IQ4_NL", 32, 18), (21, "IQ3_S", QK_K, 2 + QK_K // 4 + QK_K // 8 + QK_K // 32 + 4),
    (22, "IQ2_S", QK_K, 2 + QK_K // 4 + QK_K // 16), (23, "IQ4_XS", QK_K, 2 + 2 + QK_K // 2 + QK_K // 64),
    (24, "I8", 1, 1), (25, "I16", 1, 2), (26, "I32", 1, 4), (27, "I64", 1, 8), (28, "F64", 1, 8),
    (29, "IQ1_M", QK_K, QK_K // 8 + QK_K // 16 + QK_K // 32), (30, "BF16", 1, 2),
    (34, "TQ1_0", QK_K, 2 + 4 * 13), (35, "TQ2_0", QK_K, 2 + 64), (39, "MXFP4", 32, 17), (40, "NVFP4", 64, 36),
    (41, "Q1_0", 128, 18),
)  # fmt: skip

#: Type numbers ggml once had and removed (files using them are refused by name).
REMOVED_TYPES = {4: "Q4_2", 5: "Q4_3", 31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8", 36: "IQ4_NL_4_4",
                 37: "IQ4_NL_4_8", 38: "IQ4_NL_8_8"}  # fmt: skip

#: Metadata value types: number -> (name, struct format; None for string and array).
VALUE_TYPES: dict[int, tuple[str, str | None]] = {
    0: ("uint8", "<B"), 1: ("int8", "<b"), 2: ("uint16", "<H"), 3: ("int16", "<h"), 4: ("uint32", "<I"),
    5: ("int32", "<i"), 6: ("float32", "<f"), 7: ("bool", "<?"), 8: ("string", None), 9: ("array", None),
    10: ("uint64", "<Q"), 11: ("int64", "<q"), 12: ("float64", "<d"),
}  # fmt: skip


class _Stream:
    """Sequential reads of a file in chunks, every length checked against the file's size."""

    def __init__(self, f: IO[bytes], size: int, where: str) -> None:
        self.f, self.size, self.where = f, size, where
        self.buffer, self.start, self.pos = b"", 0, 0  # buffer holds file bytes [start, start + len)

    def error(self, location: str, message: str) -> SpecError:
        return SpecError(self.where, location, message)

    def need(self, n: int, what: str, location: str = "") -> None:
        if n > self.size - self.pos:
            raise self.error(location, f"{what} needs {n} bytes at offset {self.pos}, but the file ends "
                                       f"{self.size - self.pos} bytes later (truncated?)")  # fmt: skip

    def read(self, n: int, what: str, location: str = "") -> bytes:
        self.need(n, what, location)
        end = self.pos + n
        if end > self.start + len(self.buffer):
            keep = self.buffer[self.pos - self.start :] if self.pos < self.start + len(self.buffer) else b""
            self.f.seek(self.start + len(self.buffer) if keep else self.pos)
            want = max(n - len(keep), min(CHUNK, self.size - self.pos - len(keep)))
            self.buffer, self.start = keep + self.f.read(want), self.pos
            if end > self.start + len(self.buffer):
                raise self.error(location, f"file ended while reading {what} at offset {self.pos}")
        data = self.buffer[self.pos - self.start : end - self.start]
        self.pos = end
        return data

    def skip(self, n: int, what: str, location: str = "") -> None:
        self.need(n, what, location)
        if self.pos + n <= self.start + len(self.buffer):
            self.pos += n
        else:
            self.pos += n
            self.buffer, self.start = b"", self.pos

    def unpack(self, fmt: str, what: str, location: str = "") -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt), what, location))[0]

    def string(self, what: str, location: str = "", keep: bool = True) -> str:
        n = self.unpack("<Q", f"{what}'s length", location)
        if n > self.size - self.pos:
            raise self.error(location, f"{what} claims {n} bytes, but the file ends {self.size - self.pos} bytes later")
        if not keep:
            self.skip(n, what, location)
            return ""
        raw = self.read(n, what, location)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(location, f"{what} is not valid UTF-8") from None


def _value(s: _Stream, kind: int, key: str, depth: int = 0) -> Any:
    if kind not in VALUE_TYPES:
        raise s.error(key, f"unknown metadata value type {kind}")
    name, fmt = VALUE_TYPES[kind]
    if fmt is not None:
        return s.unpack(fmt, f"a {name} value", key)
    if name == "string":
        return s.string("the string value", key)
    if depth >= 3:
        raise s.error(key, "arrays nested more than 3 deep")
    item_kind = s.unpack("<I", "the array's item type", key)
    count = s.unpack("<Q", "the array's length", key)
    if item_kind not in VALUE_TYPES:
        raise s.error(key, f"unknown array item type {item_kind}")
    item_name, item_fmt = VALUE_TYPES[item_kind]
    least = struct.calcsize(item_fmt) if item_fmt else 8 if item_name == "string" else 12
    if count * least > s.size - s.pos:
        raise s.error(key, f"array of {count} {item_name} values needs at least {count * least} bytes, but the file "
                           f"ends {s.size - s.pos} bytes later")  # fmt: skip
    keep = count <= KEEP_ITEMS
    if item_fmt is not None:
        if not keep:
            s.skip(count * struct.calcsize(item_fmt), "the array", key)
            return GgufArray(item_name, count, None)
        size = struct.calcsize(item_fmt)
        raw = s.read(count * size, "the array", key)
        items = struct.unpack(f"<{count}{item_fmt[1]}", raw)
        return GgufArray(item_name, count, tuple(items))
    if item_name == "string":
        items = tuple(s.string("an array string", key, keep=keep) for _ in range(count))
        return GgufArray(item_name, count, items if keep else None)
    items = tuple(_value(s, item_kind, key, depth + 1) for _ in range(count))
    return GgufArray(item_name, count, items if keep else None)


def _header(s: _Stream) -> tuple[int, int, int]:
    magic = s.read(4, "the magic number")
    if magic != MAGIC:
        raise s.error("", f"does not start with GGUF (starts with {short_value(magic)})")
    version = s.unpack("<I", "the version")
    if version == 1:
        raise s.error("version", "GGUF version 1 (32-bit counts, 2023) is not read; convert the file again")
    if version not in (2, 3):
        hint = " (a big-endian file?)" if version >= 1 << 16 else ""
        raise s.error("version", f"unknown GGUF version {version}{hint}")
    n_tensors = s.unpack("<Q", "the tensor count")
    n_kv = s.unpack("<Q", "the metadata count")
    if n_kv * 12 > s.size - s.pos or n_tensors * 24 > s.size - s.pos:
        raise s.error("", f"claims {n_tensors} tensors and {n_kv} metadata entries, more than a "
                          f"{s.size}-byte file can hold")  # fmt: skip
    return version, n_tensors, n_kv


def _tensor_info(s: _Stream) -> tuple[TensorInfo, int]:
    name = s.string("a tensor name", "tensor infos")
    n_dims = s.unpack("<I", "the number of dimensions", name)
    if n_dims > MAX_DIMS:
        raise s.error(name, f"{n_dims} dimensions, more than ggml's {MAX_DIMS}")
    dims = [s.unpack("<Q", "a dimension", name) for _ in range(n_dims)]
    number = s.unpack("<I", "the ggml type", name)
    offset = s.unpack("<Q", "the data offset", name)
    ggml = GGML_TYPES.get(number)
    if ggml is None:
        removed = f" ({REMOVED_TYPES[number]}, removed from ggml)" if number in REMOVED_TYPES else ""
        raise s.error(name, f"unknown ggml type {number}{removed}")
    numel = math.prod(dims)
    if numel > MAX_ELEMENTS:
        raise s.error(name, f"dimensions {short_value(tuple(dims))} have more than 2^63 - 1 elements")
    row = dims[0] if dims else 1  # ggml: a dimension not given is 1 (a 0-d tensor is one value)
    if row % ggml.block_size:
        what = "a 0-d tensor (one value)" if not dims else f"rows of {row} values"
        raise s.error(name, f"{what}: not a multiple of {ggml.name}'s block of {ggml.block_size}")
    nbytes = numel // ggml.block_size * ggml.type_size
    return TensorInfo(name, ggml.name, tuple(reversed(dims)), nbytes), offset


def read_gguf(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a GGUF file's header, metadata and tensor infos; shapes in PyTorch order (outermost first)."""
    where = str(path)
    try:
        with files.open_binary(path) as f:
            s = _Stream(f, files.size_of(f), where)
            version, n_tensors, n_kv = _header(s)
            metadata: dict[str, Any] = {}
            for _ in range(n_kv):
                key = s.string("a metadata key", "metadata")
                if key in metadata:
                    raise s.error(key, "metadata key appears twice")
                metadata[key] = _value(s, s.unpack("<I", "a value type", key), key)
            infos = [_tensor_info(s) for _ in range(n_tensors)]
            header_end = s.pos
    except (OSError, ValueError) as e:
        raise file_error(where, e) from None
    alignment = metadata.get("general.alignment", 32)
    if type(alignment) is not int or alignment < 1 or alignment & (alignment - 1):
        raise SpecError(where, "general.alignment", f"must be a power of two, got {short_value(alignment)}")
    data_start = -(-header_end // alignment) * alignment
    data_size = s.size - data_start
    seen: set[str] = set()
    previous_end, previous = 0, ""
    for info, offset in sorted(infos, key=lambda i: i[1]):
        if info.name in seen:
            raise SpecError(where, info.name, "tensor name appears twice")
        seen.add(info.name)
        if offset % alignment:
            raise SpecError(where, info.name, f"data offset {offset} is not a multiple of the alignment {alignment}")
        if offset < previous_end:
            raise SpecError(where, info.name, f"data at offset {offset} overlaps that of {previous!r}")
        if offset + info.nbytes > data_size:
            raise SpecError(where, info.name, f"data ends at byte {offset + info.nbytes} but the file holds only "
                                              f"{max(data_size, 0)} data bytes (truncated file?)")  # fmt: skip
        previous_end, previous = offset + info.nbytes, info.name
    tensors = [info for info, _ in infos]
    types = Counter(t.dtype for t in tensors)
    description = "GGUF v{}: {}".format(version, ", ".join(f"{name} x{n}" for name, n in types.most_common()))
    quantization = Quantization("GGUF", description, "tensor types") if set(types) - {"F32", "F16", "BF16"} else None
    return Checkpoint(where, "gguf", tensors, tensors, quantization, metadata)


def read_gguf_pair(model: str | os.PathLike[str], mmproj: str | os.PathLike[str], folder: str) -> Checkpoint:
    """A folder's language-model GGUF and the ``mmproj`` GGUF of its vision tower, read as one checkpoint
    (each file's own in ``files``)."""
    text, vision = read_gguf(model), read_gguf(mmproj)
    quantized = [c.quantization for c in (text, vision) if c.quantization is not None]
    return Checkpoint(folder, "gguf", text.stored + vision.stored, text.tensors + vision.tensors,
                      quantized[0] if quantized else None, dict(text.metadata), files=(text, vision))  # fmt: skip
