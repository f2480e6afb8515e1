"""Helpers for tests that write safetensors-like files and count what is read of them."""

from __future__ import annotations

import builtins
import json
import struct
from pathlib import Path

from registry.checkpoints import files


def write_raw(path: Path, header: dict | bytes, data_size: int = 0, length: int | None = None) -> Path:
    """Write a safetensors-like file: length prefix, header, then ``data_size`` sparse zero bytes."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw) if length is None else length) + raw)
        f.truncate(8 + len(raw) + data_size)
    return path


def count_reads(monkeypatch) -> list[int]:
    """Make the checkpoint readers' ``open`` (registry.checkpoints.files) record the size of every read;
    returns that list.

    A read without a size (to the end of the file) fails the test at once.
    """
    sizes: list[int] = []

    class Counting:
        def __init__(self, f):
            self._f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

        def __getattr__(self, name):
            return getattr(self._f, name)

        def read(self, size=-1):
            if size < 0:
                raise AssertionError("must never read to the end of the file")
            data = self._f.read(size)
            sizes.append(len(data))
            return data

    monkeypatch.setattr(files, "open", lambda *a, **k: Counting(builtins.open(*a, **k)), raising=False)
    return sizes


def write_header(path: Path, tensors: dict[str, tuple[str, tuple[int, ...]]], metadata: dict | None = None) -> Path:
    """A sparse safetensors file of ``tensors`` (name -> (dtype, shape)): a real header, zero data."""
    sizes = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
             "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I8": 1, "U8": 1, "BOOL": 1}
    header: dict = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    return write_raw(path, header, offset)
