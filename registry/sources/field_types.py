"""The type transformers gives each configuration field: a config.json value of another type is refused.

transformers 5 declares its configurations as huggingface_hub's strict dataclasses: a config
whose ``attention_dropout`` is ``"abc"``, whose ``hidden_act`` is ``3`` or whose
``initializer_range`` is the whole number ``1`` (a float field) is refused when it is loaded,
although no shape depends on it. registry refuses it too, naming the file, the field and the
type, so that a config it counts is one transformers can build. The types come from the
built-in plugins' table (``registry.plugins.generated_field_types``, written from the pinned
transformers by ``scripts/generate_defaults.py``), one JSON text a model type, read only for the
model type at hand; a model type the table does not hold (a third-party plugin's) is not checked.

A type is JSON data: ``"int"`` (not a boolean), ``"float"`` (a decimal number: JSON's ``1`` is a
whole number, and transformers refuses it), ``"bool"``, ``"str"``, ``"none"`` (null), ``"any"``,
``["or", ...]``, ``["list", item]``, ``["dict", key, value]``, ``["lit", value, ...]`` (one of these
values), ``["cfg", name]`` or ``["cfg", name, [field, ...]]`` (a nested configuration, an object:
its fields are checked as the table's entry ``name`` says, or when ``name`` is ``""`` as its own
``model_type``'s, but for the fields listed, which the outer configuration overwrites; not at all when
the config also gives ``<field>_dict``, as early CLIP configs do, whose values transformers takes
over the nested object's).
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from registry.contracts import ConfigReader
from registry.sources.strict_values import given

__all__ = ["check_field_types", "describe", "field_types", "matches", "nested_part"]

#: The generated table of the built-in plugins.
TABLE = "registry.plugins.generated_field_types"
#: How deep nested configurations are checked (a composite's text_config's sub-config).
MAX_DEPTH = 4

_tables: dict[str, dict[str, Any]] = {}


def _module() -> Any:
    try:
        return importlib.import_module(TABLE)
    except ImportError:  # the plugins ship without it: nothing is checked
        return None


def field_types(model_type: str) -> dict[str, Any]:
    """The type of each field of ``model_type``'s configuration ({} when the table does not hold it;
    the fields every configuration has are not in it: transformers does not check them). Cached."""
    found = _tables.get(model_type)
    if found is None:
        module = _module()
        text = getattr(module, "FIELD_TYPES", {}).get(model_type) if module is not None else None
        found = json.loads(text) if isinstance(text, str) else {}
        _tables[model_type] = found
    return found


def matches(value: Any, spec: Any) -> bool:
    """Whether a JSON value is of the type ``spec``, as huggingface_hub's strict check has it (a
    nested configuration: any object; its fields are checked on their own)."""
    if isinstance(spec, str):
        if spec == "any":
            return True
        if spec == "none":
            return value is None
        if spec == "bool":
            return isinstance(value, bool)
        if spec == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if spec == "float":
            return isinstance(value, float)
        if spec == "str":
            return isinstance(value, str)
        return True  # a type this version does not know: never stricter than transformers
    kind, *args = spec
    if kind == "or":
        return any(matches(value, s) for s in args)
    if kind == "list":
        return isinstance(value, list) and all(matches(v, args[0]) for v in value)
    if kind == "dict":
        return isinstance(value, dict) and all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items())
    if kind == "lit":
        return any(type(value) is type(a) and value == a for a in args)
    if kind == "cfg":
        return isinstance(value, dict)
    return True


_WORDS = {"int": "a whole number", "float": "a decimal number (such as 1.0)", "bool": "true or false",
          "str": "a string", "none": "null", "any": "any value", "number": "a number"}  # fmt: skip
_PLURAL = {"int": "whole numbers", "float": "decimal numbers", "bool": "booleans", "str": "strings", "none": "nulls"}


def describe(spec: Any) -> str:
    """A type in words: ``a whole number or null``, ``a list of strings``."""
    if isinstance(spec, str):
        return _WORDS.get(spec, spec)
    kind, *args = spec
    if kind == "or":
        if "int" in args and "float" in args:  # either kind of number
            args = ["number", *(s for s in args if s not in ("int", "float"))]
        return " or ".join(dict.fromkeys(describe(s) for s in args))
    if kind == "list":
        item = args[0]
        return "a list" if item == "any" else f"a list of {_PLURAL.get(item, describe(item))}" if isinstance(item, str) \
            else f"a list of ({describe(item)})"  # fmt: skip
    if kind == "dict" or kind == "cfg":
        return "an object" if kind == "cfg" or args[1] == "any" else f"an object of {_PLURAL.get(args[1], describe(args[1]))}"
    if kind == "lit":
        return "one of " + ", ".join(json.dumps(a) for a in args)
    return str(spec)


def check_field_types(cfg: ConfigReader, model_type: str) -> None:
    """Refuse the first field of ``cfg`` (and of its nested configurations) whose value is not of the
    type transformers gives it, naming the field (``text_config.hidden_act``) at its line."""
    _check(cfg, cfg.data, model_type, "", 0)


def _check(cfg: ConfigReader, data: dict[str, Any], model_type: str, prefix: str, depth: int, skip: Any = ()) -> None:
    types = field_types(model_type)
    for key, value in data.items():
        spec = types.get(key)
        if spec is None or key in skip:
            continue
        if not matches(value, spec):
            raise cfg.error(prefix + key, f"must be {describe(spec)}, as transformers {_version()} types it "
                                          f"(got {_got(value, spec)})")  # fmt: skip
        part = nested_part(spec)
        if isinstance(value, dict) and part is not None and depth < MAX_DEPTH and f"{key}_dict" not in data:
            own = value.get("model_type")  # the class transformers builds: the named one, else by model_type
            name = part[1] or (own if isinstance(own, str) else "")
            _check(cfg, value, name, f"{prefix}{key}.", depth + 1, part[2] if len(part) > 2 else ())


def nested_part(spec: Any) -> list | None:
    """The ``["cfg", ...]`` of a field's type (alone, or in an ``["or", ...]`` with null), or None."""
    if isinstance(spec, list) and spec[0] == "cfg":
        return spec
    if isinstance(spec, list) and spec[0] == "or":
        return next((s for s in spec[1:] if isinstance(s, list) and s[0] == "cfg"), None)
    return None


def _got(value: Any, spec: Any) -> str:
    """What was given, as a refusal says it: ``the whole number 1``, ``a list holding the text 'x'``."""
    if isinstance(value, list):
        alternatives = spec[1:] if isinstance(spec, list) and spec[0] == "or" else [spec]
        items = [s[1] for s in alternatives if isinstance(s, list) and s[0] == "list"]
        bad = [v for v in value if items and not any(matches(v, item) for item in items)]
        return f"a list holding {_got(bad[0], 'any')}" if bad else "a list"
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"the whole number {given(value)}"
    return given(value)


def _version() -> str:
    module = _module()
    return str(getattr(module, "TRANSFORMERS_VERSION", "")) if module is not None else ""
