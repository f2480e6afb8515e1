"""Hyper-parameters given on the command line: ``--set key=value`` over a family or a spec.

``registry count --family llama --set d_model=4096 --set n_layers=32 ...`` builds a
model from the assignments alone; ``registry count llama-3.1-8b --set n_layers=40``
changes a spec's hyper-parameters (every size of a multi-size spec) and counts the
result: the "what if" question. On a model read from a Hugging Face ``config.json``, a name
of the config's own fields (``--set num_hidden_layers=48``: any field the model type's mapping
knows) changes the config, which is then mapped again; any other name is a hyper-parameter of
the family, as over a spec. A value is written as in a spec (TOML: ``40``,
``true``, ``[1, 2]``, ``"text"``; a bare word such as ``rmsnorm`` is text) and is
validated by the family as strictly as a spec's: ``--set d_model=4096.0`` is refused.
Every problem is a :class:`~registry.errors.SpecError` whose location names the option
(``--set n_layer``) and whose message says what is wrong, one per problem.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from registry.errors import RegistryError, SpecError
from registry.model import Model, build_architecture

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class OverrideErrors(RegistryError):
    """Several problems with ``--set`` / ``--family``, one :class:`SpecError` each (``errors``)."""

    def __init__(self, errors: Sequence[SpecError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def parse_value(text: str) -> Any:
    """A command-line value as TOML reads it (``40``, ``true``, ``[1, 2]``, ``"x"``); a bare word is text.

    Raises ValueError for a value of more than one line (``12\nfoo=1`` would set a second
    key TOML reads and we would drop) and for a whole number of more than
    :data:`~registry.io.MAX_DIGITS` digits."""
    from registry.io import MAX_DIGITS, find_huge_int

    if any(c in text for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise ValueError("a value is one line (give one --set per hyper-parameter)")
    try:
        data = tomllib.loads(f"v = {text}")
    except ValueError as exc:  # TOMLDecodeError is one; int() refuses more than 4,300 digits
        if not isinstance(exc, tomllib.TOMLDecodeError) and any(c.isdigit() for c in text):
            raise ValueError(f"a whole number may have at most {MAX_DIGITS} digits") from None
        return text
    except RecursionError:
        return text
    if list(data) != ["v"]:  # pragma: no cover - one line holds one key
        raise ValueError("one value per --set")
    if find_huge_int(data) is not None:
        raise ValueError(f"a whole number may have at most {MAX_DIGITS} digits")
    return data["v"]


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``["d_model=4096", "norm=rmsnorm"]`` as ``{"d_model": 4096, "norm": "rmsnorm"}``.

    Raises :class:`OverrideErrors` for an item without ``=`` or with an empty key, or a key given twice.
    """
    out: dict[str, Any] = {}
    errors = []
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            errors.append(SpecError("--set", "", f"{item!r} is not key=value (e.g. --set n_layers=40)"))
        elif key in out:
            errors.append(SpecError(f"--set {key}", "", "given twice"))
        else:
            try:
                out[key] = parse_value(value.strip())
            except ValueError as exc:
                errors.append(SpecError(f"--set {key}", "", str(exc)))
    if errors:
        raise OverrideErrors(errors)
    return out


def validate(family_name: str, values: dict[str, Any], given: Iterable[str] = ()) -> BaseModel:
    """``values`` validated (strictly) as ``family_name``'s hyper-parameters.

    ``given`` are the keys that came from ``--set`` (the rest from a spec); every problem
    becomes one :class:`SpecError` naming the option, with a suggestion for a misspelt key.
    """
    from registry.plugin_manager import load_families

    family = load_families().family(family_name)
    known = list(family.params.model_fields)
    errors = []
    for key in values:
        if key not in known:
            import difflib  # an error path: imported when needed (start-up time)

            close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else f"; known: {', '.join(known)}"
            errors.append(SpecError(f"--set {key}", "", f"family {family_name!r} has no such hyper-parameter{hint}"))
    values = {k: v for k, v in values.items() if k in known}
    try:
        from registry.sources.strict_values import arrays_as_tuples
    except ImportError:  # pragma: no cover - older core
        def arrays_as_tuples(_model: Any, data: dict[str, Any]) -> dict[str, Any]:
            return data
    try:
        params = family.params.model_validate(arrays_as_tuples(family.params, dict(values)), strict=True)
    except ValidationError as exc:
        from registry.sources.spec_messages import error_message

        given = set(given)
        for error in exc.errors(include_url=False):
            key = str(error["loc"][0]) if error["loc"] else ""
            cause = (error.get("ctx") or {}).get("error")
            if not key and getattr(cause, "field", None):
                key = cause.field
            message = error_message(error, family.params)
            if error["type"] == "missing":
                message = f"family {family_name!r} needs it: give --set {key}=..."
            where = f"--set {key}" if key in given or error["type"] == "missing" else f"params.{key}" if key else "--set"
            if not (error["type"] == "missing" and any(f"did you mean {key}" in str(e) for e in errors)):
                errors.append(SpecError(where, "", message))
        raise OverrideErrors(errors) from None
    if errors:
        raise OverrideErrors(errors)
    return params


def from_family(family_name: str, assignments: dict[str, Any], name: str | None = None) -> Model:
    """A model of ``family_name`` built from the ``--set`` assignments alone."""
    params = validate(family_name, assignments, assignments)
    label = name or family_name
    return Model(name=label, architecture=build_architecture(family_name, params), family=family_name, params=params,
                 source=f"--family {family_name} --set {_label(assignments, ' --set ')}")  # fmt: skip


def apply(model: Model, assignments: dict[str, Any]) -> Model:
    """``model`` with its hyper-parameters changed by ``assignments`` (a new, renamed model).

    The published figure (``reported_params``) is dropped: it describes the unchanged model.
    Raises :class:`OverrideErrors` for a model composed of blocks (it has no hyper-parameters).
    """
    if not assignments:
        return model
    if model.path and model.path.lower().endswith(".json") and model.family is not None:
        model, assignments = _apply_to_config(model, assignments)
        if not assignments:
            return model
    if model.family is None or model.params is None:
        raise OverrideErrors([SpecError(model.path or model.name, "", "--set needs a spec with a family; this one composes [[blocks]]")])
    given = {k: getattr(model.params, k) for k in model.params.model_fields_set}
    params = validate(model.family, {**given, **assignments}, assignments)
    change = _label(assignments)
    note = f"hyper-parameters changed with --set: {change}"
    return dataclasses.replace(
        model,
        name=f"{model.name}[{change}]",
        architecture=build_architecture(model.family, params),
        params=params,
        reported_params=None,
        notes=f"{model.notes}; {note}" if model.notes else note,
    )


def _apply_to_config(model: Model, assignments: dict[str, Any]) -> tuple[Model, dict[str, Any]]:
    """``model``, read from a config.json, with the assignments that name the config's own fields
    applied to the config and mapped again; and the assignments left (family hyper-parameters).

    A name that is neither refuses with the closest names of both kinds.
    """
    from pathlib import Path

    from registry.plugin_manager import find_family, find_model_type
    from registry.sources.config_file import read_config
    from registry.sources.hf_config import config_models, map_config

    path = Path(model.path or "")
    data, lines = read_config(path)
    fields = map_config(data, str(path), lines).fields
    hyper = list(find_family(model.family or "").params.model_fields)
    unknown = [k for k in assignments if k not in fields and k not in hyper]
    if unknown:
        raise OverrideErrors([_unknown(key, sorted(fields), hyper, data.get("model_type"), model.family) for key in unknown])
    changes = {k: v for k, v in assignments.items() if k in fields}
    if not changes:
        return model, assignments
    mapping = find_model_type(data.get("model_type"))  # type: ignore[arg-type]
    spellings = mapping.spellings if mapping is not None else {}
    others = {other for key in changes for other in spellings.get(key, ()) if other != key}  # n_embd for hidden_size
    data = {k: v for k, v in data.items() if k not in others}
    try:
        (changed,) = config_models({**data, **changes}, {k: n for k, n in lines.items() if k not in changes}, path)
    except SpecError as exc:
        where = f"--set {exc.location}" if exc.location.split(".")[0] in changes else str(path)
        raise OverrideErrors([SpecError(where, "" if where != str(path) else exc.location, exc.message)]) from None
    change = _label(changes)
    note = f"config fields changed with --set: {change}"
    changed = dataclasses.replace(changed, name=f"{model.name}[{change}]", notes=f"{changed.notes}; {note}" if changed.notes else note)
    return changed, {k: v for k, v in assignments.items() if k not in changes}


def _unknown(key: str, fields: list[str], hyper: list[str], model_type: Any, family: str | None) -> SpecError:
    """The refusal of a ``--set`` name that is neither a field of the config nor a hyper-parameter."""
    import difflib  # an error path: imported when needed (start-up time)

    close = [*difflib.get_close_matches(key, fields, n=2, cutoff=0.6), *difflib.get_close_matches(key, hyper, n=2, cutoff=0.6)]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return SpecError(f"--set {key}", "", f"neither a field of model_type {model_type!r} that registry reads nor a "
                                         f"hyper-parameter of family {family!r}{hint}")  # fmt: skip


def _label(assignments: dict[str, Any], sep: str = ",") -> str:
    return sep.join(f"{k}={_toml(v)}" for k, v in assignments.items())


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


__all__ = ["OverrideErrors", "apply", "from_family", "parse_assignments", "parse_value", "validate"]
