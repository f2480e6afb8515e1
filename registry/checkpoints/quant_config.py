"""A config's quantization settings, read strictly before any shape is computed from them.

``quantization_config`` (``quantization`` for mlx-lm) decides how packed tensors turn back
into weights: a wrong type there (``bits: "4"``, ``bits: true``, ``group_size: 0``,
``weight_block_size: ["a", "b"]``) would multiply or divide every count. Every field the
layouts read is checked here for its type and range, and refused in one line naming the
config file and the field (``config.json: quantization_config.bits: ...``). Fields no
layout reads are left as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.errors import SpecError

__all__ = ["MAX_GROUP", "check_quantization_config", "quantization_config"]

#: The largest group or block size accepted (a group spans at most a whole row of inputs).
MAX_GROUP = 2**31
#: Bits per value each layout can pack (GPTQ/AWQ pack into int32; MLX also 3, 5 and 6).
_BITS = {"gptq": (2, 3, 4, 8), "awq": (2, 3, 4, 8), "mlx": (2, 3, 4, 5, 6, 8)}


def _describe(value: object) -> str:
    """A value as the message quotes it: its JSON spelling and kind."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, float):
        return f"the decimal number {value!r}"
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    return repr(value)[:40]


class _Reader:
    """Checks the fields of one quantization object, errors naming ``source`` and ``prefix``."""

    def __init__(self, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix

    def error(self, field: str, message: str) -> SpecError:
        return SpecError(self.source, f"{self.prefix}.{field}" if field else self.prefix, message)

    def whole(self, data: dict[str, Any], field: str, low: int, high: int, also: tuple[int, ...] = (),
              choices: tuple[int, ...] | None = None) -> None:  # fmt: skip
        """``data[field]``, where given and not null, must be a whole number in [low, high] (or one of ``also``)."""
        value = data.get(field)
        if value is None:
            return
        if type(value) is not int:
            raise self.error(field, f"must be a whole number (got {_describe(value)})")
        if choices is not None and value not in choices:
            raise self.error(field, f"must be one of {', '.join(map(str, choices))} (got {value})")
        if value not in also and not low <= value <= high:
            allowed = f"{low} to {high}" + "".join(f" or {a}" for a in also)
            raise self.error(field, f"must be {allowed} (got {value if abs(value) < 10**20 else 'a huge number'})")

    def kind(self, data: dict[str, Any], field: str, types: tuple[type, ...], what: str) -> None:
        """``data[field]``, where given and not null, must be of one of ``types``."""
        value = data.get(field)
        if value is not None and (type(value) not in types):
            raise self.error(field, f"must be {what} (got {_describe(value)})")


def _int_packed(read: _Reader, data: dict[str, Any], method: str) -> None:
    read.whole(data, "bits", 1, 8, choices=_BITS[method])
    read.whole(data, "group_size", 1, MAX_GROUP, also=(-1,))
    read.kind(data, "dynamic", (dict,), "an object of per-module overrides")
    read.kind(data, "version", (str,), "text")
    read.kind(data, "checkpoint_format", (str,), "text")
    for field in ("desc_act", "sym", "zero_point"):
        read.kind(data, field, (bool,), "true or false")


def _mlx(read: _Reader, data: dict[str, Any]) -> None:
    read.whole(data, "bits", 1, 8, choices=_BITS["mlx"])
    read.whole(data, "group_size", 1, MAX_GROUP)
    for key, value in data.items():
        if isinstance(value, dict):  # a module's own bits and group size
            sub = _Reader(read.source, f"{read.prefix}.{key}")
            sub.whole(value, "bits", 1, 8, choices=_BITS["mlx"])
            sub.whole(value, "group_size", 1, MAX_GROUP)


def _fp8(read: _Reader, data: dict[str, Any]) -> None:
    block = data.get("weight_block_size")
    if block is None:
        return
    if not isinstance(block, list) or len(block) != 2:
        raise read.error("weight_block_size", f"must be a list of two whole numbers (got {_describe(block)})")
    for i, value in enumerate(block):
        if type(value) is not int or not 1 <= value <= MAX_GROUP:
            raise read.error(f"weight_block_size[{i}]", f"must be a whole number from 1 to {MAX_GROUP} (got {_describe(value)})")


def _compressed(read: _Reader, data: dict[str, Any]) -> None:
    groups = data.get("config_groups")
    if groups is None:
        return
    if not isinstance(groups, dict):
        raise read.error("config_groups", f"must be an object of quantization groups (got {_describe(groups)})")
    for name, group in groups.items():
        if not isinstance(group, dict):
            raise read.error(f"config_groups.{name}", f"must be an object (got {_describe(group)})")
        weights = group.get("weights")
        if weights is None:  # a group that quantizes activations only
            continue
        if not isinstance(weights, dict):
            raise read.error(f"config_groups.{name}.weights", f"must be an object or null (got {_describe(weights)})")
        sub = _Reader(read.source, f"{read.prefix}.config_groups.{name}.weights")
        sub.whole(weights, "num_bits", 1, 32)
        sub.whole(weights, "group_size", 1, MAX_GROUP, also=(-1,))


def _bitsandbytes(read: _Reader, data: dict[str, Any]) -> None:
    read.kind(data, "bnb_4bit_quant_type", (str,), "text")
    for field in ("load_in_4bit", "load_in_8bit", "bnb_4bit_use_double_quant"):
        read.kind(data, field, (bool,), "true or false")


_CHECKS = {"gptq": lambda r, d: _int_packed(r, d, "gptq"), "awq": lambda r, d: _int_packed(r, d, "awq"),
           "mlx": _mlx, "fp8": _fp8, "compressed-tensors": _compressed, "bitsandbytes": _bitsandbytes}  # fmt: skip


def check_quantization_config(data: dict[str, Any], source: str, key: str = "quantization_config") -> str | None:
    """Check the fields of ``data`` (the config's ``key`` object) that its layout reads; return
    its method in lower case (``gptq``; ``mlx`` for mlx-lm's bits and group size without
    one; None when neither is given). Raises SpecError naming ``source`` and the field."""
    read = _Reader(source, key)
    method = data.get("quant_method")
    if method is not None and not isinstance(method, str):
        raise read.error("quant_method", f"must be text (got {_describe(method)})")
    if method is None and ("bits" in data or "group_size" in data):
        method = "mlx"  # mlx-lm writes bits and group size with no quant_method
    if method is None:
        return None
    method = method.lower()
    check = _CHECKS.get(method)
    if check is not None:
        check(read, data)
    return method


def quantization_config(config: Path | None) -> tuple[dict[str, Any] | None, str, str]:
    """The quantization object of a ``config.json`` (None: not quantized), the file's name as
    its source and the key it was under (``quantization_config``, or mlx-lm's ``quantization``);
    ``(None, "", "quantization_config")`` without a file. A value that is not an object is
    refused (SpecError naming the file and the key), never taken for "not quantized"."""
    if config is None:
        return None, "", "quantization_config"
    from registry.checkpoints.files import read_json_file

    data = read_json_file(config, "config")
    key = "quantization_config" if data.get("quantization_config") is not None else "quantization"
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise SpecError(str(config), key, f"must be an object (got {type(value).__name__})")
    return value, str(config), key
