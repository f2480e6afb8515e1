"""Model types as rows of data: one :class:`Row` per Hugging Face ``model_type``, one interpreter for all.

A row says which config field feeds each hyper-parameter of a family, with
transformers' defaults, the switches the model type sets whatever the config says, and
the fields that change no shape; a rule of a few lines (``rules``) covers what is
really logic (a head width derived from two fields, which layers slide). A plugin hands
rows to ``register_model_types`` as it would a :class:`~registry.contracts.ModelType`;
the plugin manager turns each into one (:meth:`Row.to_model_type`), so that every model type
is read by :func:`read_row` and the alias rule below is written once.

Field names in ``reads``:

* ``"hidden_size"``: the field; absent, it takes ``defaults["hidden_size"]`` (no default:
  the field is required, as transformers cannot build the model without it);
* ``"n_embd|hidden_size"``: a field with another spelling (transformers' ``attribute_map``);
  a config may give either, and one that gives both with different values is refused,
  naming both;
* ``"num_key_value_heads?"``: null is allowed, and means the family's default.

A value is read as the family's hyper-parameter is typed (a whole number, true/false, a
list of whole numbers, a number, a string); its range is then checked by the family's
own rules, which name the config's field.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from registry.contracts import REQUIRED, ConfigReader, Mapped, ModelType, Params, short_value

#: A rule: reads what the row's data cannot say, and adds to (or changes) the hyper-parameters;
#: it may return the name of another family to build (a MoE config without experts: the dense family).
Rule = Callable[[ConfigReader, str, Params], "str | None"]
#: The hyper-parameters of a family, by the family's name (pydantic's ``model_fields``).
FieldsOf = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class Row:
    """One Hugging Face ``model_type`` mapped to a family, as data.

    ``name`` is the ``model_type``; ``family`` the family it builds; ``classes`` the model
    classes ``architectures`` may name (the first is the usual one). ``reads`` maps each
    hyper-parameter to the config field it comes from (see the module's docstring for
    ``|`` and ``?``); ``defaults`` gives transformers' default of each config field (as
    its configuration class has it); ``fixed`` the hyper-parameters the model type sets
    whatever the config says; ``rules`` run in order after the reads, for what is logic;
    ``shape_free`` the configuration's fields that change no shape. ``description`` is
    one line for ``registry families --model-types``.
    """

    name: str
    family: str
    classes: tuple[str, ...]
    reads: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    shape_free: frozenset[str] = frozenset()
    description: str = ""

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "model type"

    def to_model_type(self, fields_of: FieldsOf) -> ModelType:
        """The :class:`~registry.contracts.ModelType` that reads configs through this row
        (``fields_of(family)``: the family's hyper-parameters, pydantic's ``model_fields``)."""
        row = self

        def read(cfg: ConfigReader, cls: str) -> Mapped:
            return read_row(row, cfg, cls, fields_of(row.family))

        read.__doc__ = f"Read a {self.name} config.json as its row says."
        return ModelType(self.name, tuple(self.classes), read, frozenset(self.shape_free), self.description)

    def problem(self) -> str:
        """What is wrong with this row as a registration ("" when nothing)."""
        for what, value in (("reads", self.reads), ("defaults", self.defaults), ("fixed", self.fixed)):
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                return f"model type {self.name!r}: {what} must map names to values"
        if not all(isinstance(v, str) and v.strip("|?") for v in self.reads.values()):
            return f"model type {self.name!r}: reads must map hyper-parameters to config field names"
        if not all(callable(r) for r in self.rules):
            return f"model type {self.name!r}: rules must be callables"
        if not isinstance(self.family, str) or not self.family:
            return f"model type {self.name!r}: family must be a family's name"
        return self.to_model_type(lambda family: {}).problem()


def read_row(row: Row, cfg: ConfigReader, cls: str, fields: Mapping[str, Any]) -> Mapped:
    """The family and hyper-parameters a config means, read as ``row`` says (``fields``: the
    family's hyper-parameters, each with its ``annotation``)."""
    params: Params = {}
    for name, spec in row.reads.items():
        info = fields.get(name)
        if info is None:
            raise cfg.error("model_type", f"the row of {row.name!r} reads {spec!r} into {name!r}, which is not a "
                                          f"hyper-parameter of family {row.family!r}")  # fmt: skip
        params[name] = read_field(cfg, spec, row.defaults, info)
    for name, value in row.fixed.items():
        params[name] = ("model_type", value)
    family = row.family
    for rule in row.rules:
        family = rule(cfg, cls, params) or family
    return Mapped(family, params)


def read_field(cfg: ConfigReader, spec: str, defaults: Mapping[str, Any], info: Any) -> tuple[str, Any]:
    """(the config field a value came from, the value) for one ``reads`` entry (``spec``), typed as the
    hyper-parameter ``info`` (pydantic's FieldInfo); its range is the family's to check."""
    nullable = spec.endswith("?")
    names = spec.rstrip("?").split("|")
    given = [n for n in names if cfg.has(n)]
    for other in given[1:]:
        if cfg.data[other] != cfg.data[given[0]]:
            raise cfg.error(other, f"disagrees with {given[0]} ({short_value(cfg.data[given[0]])}): the two "
                                   "spellings of one field must agree")  # fmt: skip
    key = given[0] if given else names[0]
    for other in names:
        cfg.read.add(other)  # every spelling is a field of the configuration
    default = next((defaults[n] for n in names if n in defaults), REQUIRED)
    return key, _typed(cfg, key, default, info, nullable)


def _typed(cfg: ConfigReader, key: str, default: Any, info: Any, nullable: bool) -> Any:
    kind = _kind(info.annotation)
    if not cfg.has(key):
        value = cfg.raw(key, default)  # the default (REQUIRED raises), as transformers has it
        return value
    value = cfg.raw(key)
    if value is None:
        if nullable:
            return None
        raise cfg.error(key, "must not be null (transformers cannot build the model with null)")
    if kind is bool and not isinstance(value, bool):
        raise cfg.error(key, f"must be true or false (got {short_value(value)})")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise cfg.error(key, f"must be a whole number (got {short_value(value)})")

    if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise cfg.error(key, f"must be a number (got {short_value(value)})")
    if kind is list and (not isinstance(value, list) or any(isinstance(v, bool) for v in value)):
        raise cfg.error(key, f"must be a list (got {short_value(value)})")
    if kind is str and not isinstance(value, str):
        raise cfg.error(key, f"must be a string (got {short_value(value)})")
    return value


def _kind(annotation: Any) -> type | None:
    """The plain type a hyper-parameter's annotation asks for (``int | None`` -> int), None if mixed."""
    kinds: set[type] = set()
    stack = [annotation]
    while stack:
        a = stack.pop()
        origin = typing.get_origin(a)
        if origin is typing.Annotated:
            stack.append(typing.get_args(a)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(a))
        elif origin in (list, tuple) or a in (list, tuple):
            kinds.add(list)
        elif origin is typing.Literal:
            kinds.update(type(v) for v in typing.get_args(a))
        elif a is type(None):
            continue
        elif isinstance(a, type):
            kinds.add(bool if issubclass(a, bool) else int if issubclass(a, int) else a)
    if kinds == {int, float}:
        return float
    return kinds.pop() if len(kinds) == 1 else None


__all__ = ["FieldsOf", "Row", "Rule", "read_field", "read_row"]
