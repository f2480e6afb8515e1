"""The GPU catalogue: dense peak throughput, memory and bandwidth of accelerators, as data.

The built-in catalogue is ``registry/data/gpus.toml`` (each entry cited from its
vendor's datasheet; dense figures, not "with sparsity"). Users add or override entries
with a TOML file of the same shape (:func:`load_catalog`). Keys are lower-case with
dashes (``h100-sxm``); an entry's ``aliases`` (``h100``) name it too, and any key is
looked up case-insensitively, so ``--gpus 8xH100`` (:func:`parse_gpus`) works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

#: Bytes in one catalogue "GB" of GPU memory (HBM and GDDR capacities are binary).
GB_OF_MEMORY = 2**30

#: The storage types a peak throughput is given for.
PEAK_DTYPES: tuple[str, ...] = ("bf16", "fp16", "fp8")

#: The most GPUs ``--gpus`` may give (a bound before any arithmetic; docs/compute.md).
MAX_GPUS = 10**9

#: A catalogue key: lower-case letters, digits and dashes.
KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")

#: A user's catalogue file may be at most this large (the built-in one is about 8 kB).
MAX_CATALOG_BYTES = 1024 * 1024
#: The range of each number of an entry (inclusive): far beyond any accelerator, and within
#: it every figure derived (bytes, seconds, tokens a second) is a finite float; a value
#: outside is refused. Memory from 1 MB to 1 PB, bandwidth from 1 MB/s to 1 EB/s, peaks
#: from 1 GFLOP/s to 1 ZFLOP/s.
RANGES: dict[str, tuple[float, float]] = {
    "memory_gb": (1e-3, 1e6), "bandwidth_gbs": (1e-3, 1e9),
    **{f"{d}_tflops": (1e-3, 1e9) for d in PEAK_DTYPES},
}  # fmt: skip

_MAX_KEY_PARTS = 10

_FIELDS = {"name", "aliases", "memory_gb", "bandwidth_gbs", "source", "notes", *(f"{d}_tflops" for d in PEAK_DTYPES)}


@dataclass(frozen=True)
class GPU:
    """One accelerator: dense peak TFLOP/s per storage type (None: no such mode), memory, bandwidth, source."""

    key: str
    name: str
    memory_gb: float
    bandwidth_gbs: float
    tflops: dict[str, float | None]
    source: str
    aliases: tuple[str, ...] = ()
    notes: str = ""

    @property
    def memory_bytes(self) -> int:
        """The memory in bytes (1 GB = 2**30 bytes)."""
        return int(self.memory_gb * GB_OF_MEMORY)

    def peak_flops(self, dtype: str = "bf16") -> float:
        """Dense peak FLOP/s at ``dtype``; ValueError when the chip has no such mode."""
        value = self.tflops.get(dtype)
        if value is None:
            modes = ", ".join(d for d in PEAK_DTYPES if self.tflops.get(d) is not None) or "none"
            raise ValueError(f"{self.key} has no {dtype} peak in the catalogue (it has: {modes})")
        return value * 1e12

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data."""
        return {
            "key": self.key, "name": self.name, "memory_gb": self.memory_gb, "memory_bytes": self.memory_bytes,
            "bandwidth_gbs": self.bandwidth_gbs, **{f"{d}_tflops": self.tflops.get(d) for d in PEAK_DTYPES},
            "source": self.source, "notes": self.notes,
        }  # fmt: skip


class CatalogError(ValueError):
    """A catalogue file that cannot be read: ``file: key: problem``."""


def load_catalog(extra: str | Path | None = None) -> dict[str, GPU]:
    """The built-in catalogue, with the entries of the TOML file ``extra`` added (same key: replaced).

    ``extra`` is read bounded (at most :data:`MAX_CATALOG_BYTES`; a FIFO or a device is refused
    before it is opened) and its values checked against :data:`RANGES`."""
    text = resources.files("registry").joinpath("data/gpus.toml").read_text(encoding="utf-8")
    catalog = _parse(text, "registry/data/gpus.toml")
    if extra is not None:
        catalog |= _parse(_read(Path(extra)), str(extra))
    return catalog


def _read(path: Path) -> str:
    """The text of a user's catalogue file: a regular file of at most MAX_CATALOG_BYTES of UTF-8."""
    import os
    import stat

    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise CatalogError(f"{path}: is a directory, not a GPU catalogue file")
        if not stat.S_ISREG(info.st_mode):  # before opening: a FIFO without a writer blocks open() forever
            raise CatalogError(f"{path}: is not a regular file (a FIFO or a device); give a TOML file")
        with open(path, "rb") as f:  # bounded: the size may change after stat
            data = f.read(MAX_CATALOG_BYTES + 1)
    except CatalogError:
        raise
    except FileNotFoundError:
        raise CatalogError(f"{path}: cannot read the GPU catalogue: no such file") from None
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot read the GPU catalogue: {getattr(exc, 'strerror', None) or exc}") from None
    if len(data) > MAX_CATALOG_BYTES:
        raise CatalogError(f"{path}: over {MAX_CATALOG_BYTES:,} bytes; a GPU catalogue is a few kB")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def find(catalog: dict[str, GPU], name: str) -> GPU:
    """The entry ``name`` names (its key or an alias, any case).

    ValueError for a short name several entries start with (``A100``: the 40 GB or the
    80 GB card, whose memory differs), naming them, and for an unknown name, listing the keys.
    """
    wanted = name.strip().lower().replace(" ", "-")
    for gpu in catalog.values():
        if wanted == gpu.key or wanted in gpu.aliases:
            return gpu
    choices = [key for key in catalog if key.startswith(wanted + "-")]
    if len(choices) > 1:
        raise ValueError(f"GPU {name!r} is ambiguous: say which, {' or '.join(choices)}")
    if len(choices) == 1:
        return catalog[choices[0]]
    raise ValueError(f"unknown GPU {name!r}; known: {', '.join(catalog)}")


def parse_gpus(text: str) -> tuple[int, str | None]:
    """``--gpus``: a count (``64``) or a count and a GPU (``8xH100``, ``8x h100-sxm``).

    Raises ValueError for anything else.
    """
    match = re.fullmatch(r"\s*(\d+)\s*(?:[x×*]\s*(\S.*?))?\s*", str(text)[:1000])
    if not match or match.group(1).strip("0") == "":
        raise ValueError(f"expected a positive number of GPUs, optionally with a GPU (8xH100), got {text!r}")
    digits = match.group(1).lstrip("0")
    if len(digits) > len(str(MAX_GPUS)) or int(digits) > MAX_GPUS:
        raise ValueError(f"at most {MAX_GPUS:,} GPUs, got {digits[:20]}{'...' if len(digits) > 20 else ''}")
    return int(digits), match.group(2)


def _parse(text: str, where: str) -> dict[str, GPU]:
    from registry.sources.locate import long_key_line

    line = long_key_line(text, _MAX_KEY_PARTS)  # tomllib's memory grows with the square of a key's parts
    if line is not None:
        raise CatalogError(f"{where}:{line}: a key may have at most {_MAX_KEY_PARTS} dotted parts")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from None
    except (ValueError, RecursionError):  # int() refused more than 4,300 digits; nesting too deep
        raise CatalogError(f"{where}: not a GPU catalogue: a number too long or tables nested too deeply") from None
    catalog: dict[str, GPU] = {}
    for key, entry in data.items():
        shown = repr(key)[1:-1][:60]
        if not KEY.fullmatch(key):
            raise CatalogError(f"{where}: {shown}: a GPU key is lower-case letters, digits and dashes")
        if not isinstance(entry, dict):
            raise CatalogError(f"{where}: {key}: must be a table")
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            names = ", ".join(repr(u)[1:-1][:40] for u in unknown[:5])
            raise CatalogError(f"{where}: {key}: unknown field(s) {names}; known: {', '.join(sorted(_FIELDS))}")
        for field, (low, high) in RANGES.items():
            value = entry.get(field)
            if value is None and field.endswith("_tflops"):
                continue  # no such tensor mode (a chip may have no bf16 peak either)
            if not _number(value) or not low <= value <= high:
                raise CatalogError(f"{where}: {key}: {field} must be a positive number from {low:g} to {high:g}, got {_show(value) if value is not None else 'nothing'}")
        for field in ("name", "source", "notes"):
            if field in entry and not isinstance(entry[field], str):
                raise CatalogError(f"{where}: {key}: {field} must be text, got {_show(entry[field])}")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and KEY.fullmatch(a.lower()) for a in aliases):
            raise CatalogError(f"{where}: {key}: aliases must be a list of names (letters, digits and dashes)")
        catalog[key] = GPU(
            key=key, name=entry.get("name", key), memory_gb=entry["memory_gb"],
            bandwidth_gbs=entry["bandwidth_gbs"], tflops={d: entry.get(f"{d}_tflops") for d in PEAK_DTYPES},
            source=entry.get("source", ""), aliases=tuple(a.lower() for a in aliases), notes=entry.get("notes", ""),
        )  # fmt: skip
    return catalog


def _number(value: Any) -> bool:
    """An int or a float, not a boolean (NaN fails every range test after)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A value as an error line quotes it."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"
