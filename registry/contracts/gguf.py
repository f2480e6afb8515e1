"""What a plugin hands over for a GGUF ``general.architecture``: :class:`GgufArchitecture`,
which reads a file's metadata through a :class:`GgufMetadata` (arrays as :class:`GgufArray`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from registry.errors import SpecError
from registry.text import short_value
from registry.contracts.families import code_of
from registry.contracts.model_types import REQUIRED

__all__ = ["GgufArchitecture", "GgufArray", "GgufMetadata"]


@dataclass(frozen=True)
class GgufArray:
    """A GGUF metadata array: its item type, length, and items (None when too long to keep)."""

    type: str
    count: int
    items: tuple[Any, ...] | None


class GgufMetadata:
    """A GGUF file's metadata and tensors, read by key; a missing or wrong value is a SpecError naming the key."""

    def __init__(self, path: str, data: dict[str, Any], tensors: dict[str, tuple[int, ...]]) -> None:
        self.path = path
        self.data = data
        self.tensors = tensors  # the shape of each tensor, by GGUF name
        arch = self.data.get("general.architecture")
        self.arch: str = arch if isinstance(arch, str) else ""

    def error(self, key: str, message: str) -> SpecError:
        """The SpecError for ``key``."""
        return SpecError(self.path, key, message)

    def has(self, key: str) -> bool:
        """Whether the file has ``key``."""
        return key in self.data

    def int(self, key: str, default: Any = REQUIRED, minimum: int = 1) -> Any:
        """An integer value of at least ``minimum`` (``default`` when absent; required without one)."""
        if key not in self.data:
            if default is REQUIRED:
                raise self.error(key, "required metadata key is missing")
            return default
        value = self.data[key]
        if isinstance(value, GgufArray):
            raise self.error(key, f"an array of {value.count} values (one per layer?) cannot be mapped to one "
                                  "hyper-parameter")  # fmt: skip
        if type(value) is not int or value < minimum:
            raise self.error(key, f"must be an integer of at least {minimum}, got {short_value(value)}")
        return value

    def float(self, key: str, default: Any = None) -> Any:
        """A number value (``default`` when absent)."""
        value = self.data.get(key, default)
        if value is not default and not isinstance(value, (int, float)):
            raise self.error(key, f"must be a number, got {short_value(value)}")
        return value

    def rows(self, tensor: str) -> int | None:
        """The outermost dimension of ``tensor`` (a vocabulary from ``token_embd.weight``), None if absent."""
        shape = self.tensors.get(tensor)
        return shape[0] if shape else None


@dataclass(frozen=True)
class GgufArchitecture:
    """The mapping of one GGUF ``general.architecture`` to a config.json-like dict and checkpoint names."""

    name: str
    config: Callable[[GgufMetadata], dict[str, Any]]
    tensor_name: Callable[[str], str | None]
    description: str = ""
    origin: str = field(default="", compare=False)

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "GGUF architecture"

    def problem(self) -> str:
        """What is wrong with this mapping as a registration ("" when nothing)."""
        if not callable(self.config) or not callable(self.tensor_name):
            return f"GGUF architecture {self.name!r}: config and tensor_name must be callable"
        if not isinstance(self.name, str) or not self.name.strip():
            return "register() was given a GGUF architecture with an empty name"
        return ""

    def registered_by(self, plugin: str) -> GgufArchitecture:
        """This mapping, recorded as provided by ``plugin``."""
        return replace(self, origin=plugin)

    def fingerprint(self) -> tuple[object, ...]:
        """The plugin code this mapping runs, with its code objects (see ``Family.fingerprint``)."""
        return code_of(self.config, self.tensor_name)
