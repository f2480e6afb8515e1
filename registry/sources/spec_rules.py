"""The input rule a spec's ``[images]`` or ``[audio]`` table names through its ``model_type``, looked up and its
fields checked in one place (:mod:`registry.sources.spec_images`, :mod:`registry.sources.spec_audio`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from registry.contracts import short_value
from registry.errors import SpecError


def table_rule(table: Mapping[str, Any], kind: str, wanted: str, error: Callable[[str, str], SpecError],
               keeps: Callable[[Any], bool] = lambda rule: True) -> tuple[str, Any, Any]:  # fmt: skip
    """(the model type's name, its registered mapping, its ``kind`` rule: ``images`` or ``audio``) of the table's
    ``model_type``; ``error("model_type", "must name <wanted> ...")`` when it names no model type with such a rule,
    or one whose rule a spec does not keep (``keeps`` false)."""
    from registry.plugin_manager import find_model_type

    name = table.get("model_type")
    mapping = find_model_type(name) if isinstance(name, str) else None
    rule = getattr(mapping, kind, None)
    if rule is None or not keeps(rule):
        raise error("model_type", f"must name {wanted} (got {short_value(name)})")
    return name, mapping, rule


def check_read(key: str, name: str, what: str, rule: Any, error: Callable[[str, str], SpecError]) -> None:
    """``error(key, ...)`` unless ``key`` is a field ``name``'s ``what`` rule (image, audio) reads."""
    if key not in rule.fields():
        raise error(key, f"is not a field {name}'s {what} rule reads (it reads {', '.join(rule.fields()) or 'none'})")


__all__ = ["check_read", "table_rule"]
