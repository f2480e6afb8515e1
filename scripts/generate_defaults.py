"""Write plugins/generated_defaults.py: transformers' default of every field of each model type's configuration.

Run by hand, with the pinned transformers installed (``pip install -e '.[reference]'``), after
adding a model type or moving the pin (it writes plugins/generated_field_types.py too: the
type transformers gives each field, which :mod:`registry.sources.field_types` checks)::

    python scripts/generate_defaults.py            # every model type the file already has
    python scripts/generate_defaults.py gpt_oss    # ... and these

The rows of the built-in plugins (``registry.sources.rows.Row.defaults``) take their defaults
from the file this writes, so that no default is typed by hand and nothing imports
transformers at run time. A field whose default is not plain data (a nested config, a dict
of rope parameters) is left out: no row reads a shape from it.
"""

from __future__ import annotations

import importlib.util
import json
import pprint
import sys
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "plugins" / "generated_defaults.py"
TYPES_OUT = OUT.with_name("generated_field_types.py")


def plain(value: object) -> bool:
    """Whether a default is plain data a row can use (numbers, strings, booleans, None, lists of those; a tuple of
    strings or whole numbers, such as RecurrentGemma's block_types or wav2vec 2.0's conv_dim, is written as a list;
    a tuple of pairs of whole numbers, Gemma 3n's sscp_conv_kernel_size, as a list of lists)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):  # whole numbers: no inf to write; pairs of them too (Gemma 3n's kernel sizes)
        return all(isinstance(v, (bool, int, str)) or (isinstance(v, tuple) and all(isinstance(x, int) for x in v))
                   for v in value)
    return isinstance(value, list) and all(v is None or isinstance(v, (bool, int, float, str)) for v in value)


def defaults_of(model_type: str) -> dict[str, object]:
    """The plain defaults of ``model_type``'s configuration class, as declared (before ``__post_init__``
    derives a field from others: ``head_dim`` None there means "hidden_size // num_attention_heads");
    those of a nested configuration (DBRX's ``attn_config``) under dotted names (``attn_config.kv_n_heads``)."""
    from transformers import CONFIG_MAPPING

    cls = CONFIG_MAPPING[model_type]
    data = class_defaults(cls)
    for key, sub in sorted((getattr(cls, "sub_configs", None) or {}).items()):
        if data.get(key) is None and isinstance(sub, type):  # a nested config left out: its class's defaults
            data.pop(key, None)
            data |= {f"{key}.{name}": value for name, value in class_defaults(sub).items()}
    return dict(sorted(data.items()))


def class_defaults(cls: type) -> dict[str, object]:
    """The plain defaults of one configuration class, as declared."""
    import dataclasses
    import inspect

    from transformers import PreTrainedConfig

    common = {f.name for f in dataclasses.fields(PreTrainedConfig)} if dataclasses.is_dataclass(PreTrainedConfig) else set()
    data: dict[str, object] = {}
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if f.name in common or f.name.startswith("_"):
                continue
            if f.default is not dataclasses.MISSING:
                data[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                data[f.name] = f.default_factory()
    else:  # an __init__-style configuration
        for name, p in inspect.signature(cls.__init__).parameters.items():
            if name != "self" and p.default is not inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD:
                data[name] = p.default
    return {
        key: [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(value, tuple) else value
        for key, value in sorted(data.items())
        if plain(value) and json.dumps(value)
    }


def type_spec(annotation: object) -> object:
    """transformers' annotation of a field as JSON data (:mod:`registry.sources.field_types` reads it): ``"int"``,
    ``"float"``, ``"bool"``, ``"str"``, ``"none"``, ``"any"`` (not checked), ``["or", ...]``, ``["list", item]``,
    ``["dict", key, value]``, ``["lit", value, ...]`` or ``["cfg", model_type]`` (a nested configuration).

    What a config.json cannot hold is left out of a union (``torch.dtype``); a tuple is read as a list
    (JSON has no tuples); an annotation it cannot tell (a forward reference) is ``"any"``: never stricter
    than transformers' own check (huggingface_hub's ``strict`` dataclasses)."""
    import collections.abc
    import types
    import typing

    from transformers import PreTrainedConfig

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is typing.Any:
        return "any"
    if annotation is None or annotation is type(None):
        return "none"
    if origin in (typing.Union, types.UnionType):
        alternatives = []
        for arg in args:
            spec = type_spec(arg)
            if spec == "any":
                return "any"
            if spec is not None and spec not in alternatives:
                alternatives.append(spec)
        return alternatives[0] if len(alternatives) == 1 else ["or", *alternatives] if alternatives else "any"
    if origin is typing.Literal:
        return ["lit", *args] if all(v is None or isinstance(v, (bool, int, float, str)) for v in args) else "any"
    if origin in (list, tuple, collections.abc.Sequence) or annotation in (list, tuple):
        items = [a for a in args if a is not Ellipsis]
        specs = [type_spec(a) for a in items]
        if not specs or any(s is None for s in specs) or len({json.dumps(s) for s in specs}) != 1:
            return ["list", "any"]
        return ["list", specs[0]]
    if origin is dict or annotation is dict:
        if len(args) != 2:
            return ["dict", "any", "any"]
        key, value = type_spec(args[0]), type_spec(args[1])
        return ["dict", key or "any", value or "any"]
    if isinstance(annotation, type):
        if issubclass(annotation, PreTrainedConfig):
            return ["cfg", getattr(annotation, "model_type", "") or ""]
        if typing.is_typeddict(annotation):
            return ["dict", "str", "any"]
        if annotation in (bool, int, float, str):
            return annotation.__name__
        if annotation.__module__ == "torch":
            return None  # torch.dtype: no JSON value is one
    return "any"


def types_of(cls: type, name_of: Callable[[type, str], str] | None = None, name: str = "") -> dict[str, object]:
    """The JSON type spec (:func:`type_spec`) of each dataclass field of a configuration class, but for the fields
    every configuration has (transformers does not check them); {} for a class transformers does not check (an
    ``__init__``-style configuration). A nested configuration is ``["cfg", name]``: ``name_of(its class, the
    field)`` names its entry in the table (``name``: this class's entry); ``""`` when transformers picks the class
    by the nested ``model_type``."""
    import dataclasses
    import typing

    import torch  # the annotations name torch.dtype under TYPE_CHECKING
    from transformers import AutoConfig, PreTrainedConfig

    if not dataclasses.is_dataclass(cls):
        return {}
    common = {f.name for f in dataclasses.fields(PreTrainedConfig)}
    hints = typing.get_type_hints(cls, localns={"torch": torch})
    subs = getattr(cls, "sub_configs", None) or {}
    found: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.name.startswith("_") or f.name in common:
            continue
        spec = type_spec(hints.get(f.name, f.type))
        sub = subs.get(f.name)
        if isinstance(spec, list) and "cfg" in json.dumps(spec) or isinstance(sub, type) and name_of is not None:
            entry = "" if sub is AutoConfig or not isinstance(sub, type) or name_of is None \
                else name_of(sub, f"{name or cls.model_type}.{f.name}")  # fmt: skip
            nullable = isinstance(spec, list) and spec[0] == "or" and "none" in spec
            spec = ["or", ["cfg", entry], "none"] if nullable else ["cfg", entry]
        if spec not in (None, "any"):
            found[f.name] = spec
    return found


def wrong_value(spec: object) -> object:
    """A JSON value that is not of the type ``spec``."""
    from registry.sources.field_types import matches

    return next(v for v in ("x", 1, 1.5, True, None, [1], ["x"], {"a": 1}) if not matches(v, spec))


def refuses(cls: type, **fields: object) -> bool:
    """Whether transformers refuses to build ``cls`` from ``fields`` for a value's type (huggingface_hub's
    StrictDataclassFieldValidationError; any other error, or none, is not such a refusal)."""
    import warnings

    from huggingface_hub.errors import StrictDataclassFieldValidationError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cls(**fields)
        except StrictDataclassFieldValidationError:
            return True
        except Exception:  # noqa: BLE001
            return False
    return False


def checked(cls: type, types: dict[str, object], table: dict[str, dict]) -> dict[str, object]:
    """``types`` without the fields transformers does not in fact refuse a wrong value of (a ``__post_init__``
    that overwrites it: Depth Pro's sub-configs' ``image_size``), each tried on its own; a nested
    configuration's fields that ``cls`` overwrites are listed third in its spec (``["cfg", name, [field]]``)."""
    import warnings

    from transformers import PreTrainedConfig

    from registry.sources.field_types import nested_part

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            default = cls()
        except Exception:  # noqa: BLE001 - not buildable alone: the annotations as they are
            return types
    kept: dict[str, object] = {}
    for field, spec in types.items():
        part = nested_part(spec)
        if part is not None:
            sub = getattr(default, field, None)
            name = part[1] or getattr(sub, "model_type", "")
            nested = table.get(name, {}) if isinstance(sub, PreTrainedConfig) else {}
            base = {"model_type": sub.model_type} if not part[1] and nested else {}
            overwritten = sorted(k for k, s in nested.items()
                                 if not refuses(cls, **{field: {**base, k: wrong_value(s)}}))  # fmt: skip
            if overwritten:
                part.append(overwritten)
            kept[field] = spec
        elif refuses(cls, **{field: wrong_value(spec)}):
            kept[field] = spec
    return kept


def field_type_table(model_types: list[str]) -> dict[str, dict]:
    """Each model type's fields and their types, and those of the nested configuration classes no model type
    names (``"qwen2_5_vl.vision_config"``), each field tried on transformers (:func:`checked`)."""
    from transformers import CONFIG_MAPPING

    classes: dict[str, type] = {}
    wanted = [(name, CONFIG_MAPPING[name]) for name in model_types if name in CONFIG_MAPPING]

    def name_of(sub: type, where: str) -> str:
        own = getattr(sub, "model_type", "")
        name = own if own and CONFIG_MAPPING.get(own) is sub else where
        if name not in classes:
            wanted.append((name, sub))
        return name

    table: dict[str, dict] = {}
    while wanted:  # the model types asked for, and their nested configurations
        name, cls = wanted.pop()
        if name not in classes:
            classes[name] = cls
            table[name] = types_of(cls, name_of, name)
    for name in sorted(table, key=lambda n: '"cfg"' in json.dumps(table[n])):  # nested ones first: parents try them
        table[name] = checked(classes[name], table[name], table)
    return table


def write_types(model_types: list[str]) -> None:
    """Write :data:`TYPES_OUT` (:func:`field_type_table`): one JSON text a configuration class, read only for
    the model type of the config at hand."""
    import transformers

    table = field_type_table(model_types)
    text = (
        '"""transformers\' types of each model type\'s configuration fields (GENERATED: do not edit).\n\n'
        f"Written by scripts/generate_defaults.py from transformers {transformers.__version__}, as its configuration\n"
        "classes annotate them and as it refuses them (huggingface_hub's strict dataclasses: a field is kept\n"
        "when transformers refuses a value of another type for it); :mod:`registry.sources.field_types` reads\n"
        'the JSON text of one model type when a config.json of it is read. Not a plugin: it registers nothing.\n"""\n\n'
        "from __future__ import annotations\n\n"
        f"TRANSFORMERS_VERSION = {transformers.__version__!r}\n\n"
        "#: model_type (or model_type.field, a nested configuration of its own class) -> its configuration's\n"
        "#: fields, as JSON (one a line).\n"
        "FIELD_TYPES: dict[str, str] = {\n"
        + "".join(f"    {t!r}: {json.dumps(table[t], separators=(',', ':'), sort_keys=True)!r},\n" for t in sorted(table))
        + "}  # fmt: skip\n"
    )
    TYPES_OUT.write_text(text)
    print(f"wrote {TYPES_OUT} ({len(table)} configuration classes)")


def existing() -> list[str]:
    """The model types the file already holds."""
    if not OUT.is_file():
        return []
    spec = importlib.util.spec_from_file_location("generated_defaults", OUT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sorted(module.DEFAULTS)


def main(argv: list[str]) -> int:
    import transformers

    types = sorted(set(existing()) | set(argv))
    table = {t: defaults_of(t) for t in types}
    text = (
        '"""transformers\' defaults of each model type\'s configuration fields (GENERATED: do not edit).\n\n'
        f"Written by scripts/generate_defaults.py from transformers {transformers.__version__}; rows take their\n"
        '``defaults`` from here. Not a plugin: it registers nothing.\n"""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import Any\n\n"
        f"TRANSFORMERS_VERSION = {transformers.__version__!r}\n\n"
        "#: model_type -> config field -> transformers' default (one model type a line).\n"
        "DEFAULTS: dict[str, dict[str, Any]] = {\n"
        + "".join(f"    {t!r}: {pprint.pformat(d, width=10**6, sort_dicts=True)},\n" for t, d in table.items())
        + "}  # fmt: skip\n"
    )
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(types)} model types)")
    write_types(types)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
