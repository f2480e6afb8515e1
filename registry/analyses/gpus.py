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

#: A catalogue key: lower-case letters, digits and dashes.
KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")

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
    """The built-in catalogue, with the entries of the TOML file ``extra`` added (same key: replaced)."""
    text = resources.files("registry").joinpath("data/gpus.toml").read_text(encoding="utf-8")
    catalog = _parse(text, "registry/data/gpus.toml")
    if extra is not None:
        try:
            user = Path(extra).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{extra}: cannot read the GPU catalogue: {exc}") from None
        catalog |= _parse(user, str(extra))
    return catalog


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
    match = re.fullmatch(r"\s*(\d+)\s*(?:[x×*]\s*(\S.*?))?\s*", str(text))
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"expected a positive number of GPUs, optionally with a GPU (8xH100), got {text!r}")
    return int(match.group(1)), match.group(2)


def _parse(text: str, where: str) -> dict[str, GPU]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from None
    catalog: dict[str, GPU] = {}
    for key, entry in data.items():
        if not KEY.match(key):
            raise CatalogError(f"{where}: {key}: a GPU key is lower-case letters, digits and dashes")
        if not isinstance(entry, dict):
            raise CatalogError(f"{where}: {key}: must be a table")
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            raise CatalogError(f"{where}: {key}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}")
        for field in ("memory_gb", "bandwidth_gbs"):
            if not _positive(entry.get(field)):
                raise CatalogError(f"{where}: {key}: {field} must be a positive number")
        for d in PEAK_DTYPES:
            value = entry.get(f"{d}_tflops")
            if value is not None and not _positive(value):
                raise CatalogError(f"{where}: {key}: {d}_tflops must be a positive number")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise CatalogError(f"{where}: {key}: aliases must be a list of names")
        catalog[key] = GPU(
            key=key, name=str(entry.get("name", key)), memory_gb=entry["memory_gb"],
            bandwidth_gbs=entry["bandwidth_gbs"], tflops={d: entry.get(f"{d}_tflops") for d in PEAK_DTYPES},
            source=str(entry.get("source", "")), aliases=tuple(a.lower() for a in aliases),
            notes=str(entry.get("notes", "")),
        )  # fmt: skip
    return catalog


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
