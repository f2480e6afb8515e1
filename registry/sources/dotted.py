"""Dotted field names (``vision_config.image_size``) over a config's nested dicts: the one place that reads
and writes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["get_dotted", "put_dotted"]


def get_dotted(data: Mapping[str, Any], name: str) -> Any:
    """The value of the dotted ``name`` in ``data`` (None where a part is missing or not a dict)."""
    node: Any = data
    for key in name.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def put_dotted(data: dict[str, Any], name: str, value: Any) -> None:
    """``data[name] = value``, a name with dots set inside its sub-dicts (made where missing)."""
    *outer, last = name.split(".")
    for key in outer:
        data = data.setdefault(key, {})
    data[last] = value
