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
* ``"num_key_value_heads?"``: null is allowed, and means the family's default;
* ``"attn_config.kv_n_heads"``: a field of a nested object (DBRX's ``attn_config``); its
  default is ``defaults["attn_config.kv_n_heads"]``, an error names the dotted field at its
  parent's line, and the nested object's other fields, unless ``shape_free`` names them
  (``"attn_config.clip_qkv"``), are listed in a note as ignored.

A value is read as the family's hyper-parameter is typed (a whole number, true/false, a
list of whole numbers, a number, a string); its range is then checked by the family's
own rules, which name the config's field. Each spelling given is typed before two are
compared. A rule may return another family's name, or a tuple of notes for the user.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from registry.sources.audio import AudioFieldError, AudioRule
from registry.contracts import COMMON_SHAPE_FREE, REQUIRED, ConfigReader, Mapped, ModelType, Params, short_value

#: A rule: reads what the row's data cannot say, and adds to (or changes) the hyper-parameters;
#: it may return the name of another family to build (a MoE config without experts: the dense family),
#: or a tuple of notes for the user (lines printed as warnings).
Rule = Callable[[ConfigReader, str, Params], "str | tuple[str, ...] | None"]
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
    one line for ``registry families --model-types``. ``audio``: how the model's audio becomes encoder
    positions (:class:`registry.sources.audio.AudioRule`; None: the model takes no audio).
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
    audio: AudioRule | None = None

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "model type"

    def to_model_type(self, fields_of: FieldsOf) -> ModelType:
        """The :class:`~registry.contracts.ModelType` that reads configs through this row
        (``fields_of(family)``: the family's hyper-parameters, pydantic's ``model_fields``)."""
        row = self

        def read(cfg: ConfigReader, cls: str) -> Mapped:
            return read_row(row, cfg, cls, fields_of(row.family))

        read.__doc__ = f"Read a {self.name} config.json as its row says."
        names = [spec.rstrip("?").split("|") for spec in self.reads.values()]
        spellings = {n: tuple(group) for group in names if len(group) > 1 for n in group}
        return ModelType(self.name, tuple(self.classes), read, frozenset(self.shape_free), self.description,
                         spellings=spellings, family=self.family, audio=self.audio)  # fmt: skip

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
    family, notes = row.family, ()
    for rule in row.rules:
        said = rule(cfg, cls, params)
        if isinstance(said, tuple):
            notes += said
        elif said:
            family = said
    if "per_layer_config" not in cfg.read:  # transformers 5.25's heterogeneous configs: a row's rule may read them
        cfg.expect("per_layer_config", ({},), f"per-layer overrides are not modelled for model_type {row.name!r} "
                                             "(transformers' model of it reads one value for every layer)")  # fmt: skip
    try:
        audio = row.audio.read({k: v for k, (_, v) in params.items()}, cfg.data, row.defaults) if row.audio else None
    except AudioFieldError as exc:  # a field it reads that changes no shape: a stride, a kernel
        raise cfg.error(*exc.args) from None
    return Mapped(family, params, notes + _nested_ignored(row, cfg), audio=audio)


def _nested_ignored(row: Row, cfg: ConfigReader) -> tuple[str, ...]:
    """A note listing the fields of the nested objects the row reads (``attn_config``) that it neither
    reads nor declares shape-free (as ``"attn_config.clip_qkv"`` in ``shape_free``)."""
    dotted = {n for spec in row.reads.values() for n in spec.rstrip("?").split("|") if "." in n}
    known = dotted | row.shape_free
    ignored = [f"{parent}.{key}" for parent in sorted({n.split(".")[0] for n in dotted})
               for key in _parent(cfg, parent + ".") if f"{parent}.{key}" not in known and key not in COMMON_SHAPE_FREE]
    if not ignored:
        return ()
    return (f"{cfg.path}: ignored nested field(s) that transformers does not know: {', '.join(ignored)}",)


def read_field(cfg: ConfigReader, spec: str, defaults: Mapping[str, Any], info: Any) -> tuple[str, Any]:
    """(the config field a value came from, the value) for one ``reads`` entry (``spec``), typed as the
    hyper-parameter ``info`` (pydantic's FieldInfo); its range is the family's to check."""
    nullable = spec.endswith("?")
    names = spec.rstrip("?").split("|")
    for other in names:
        cfg.read.add(other.split(".")[0])  # every spelling is a field of the configuration
    given = [n for n in names if _has(cfg, n)]
    if not given:
        return names[0], _typed(cfg, names[0], next((defaults[n] for n in names if n in defaults), REQUIRED), info, nullable)
    values = [_typed(cfg, n, REQUIRED, info, nullable) for n in given]  # each spelling checked
    for other, value in zip(given[1:], values[1:]):
        if value != values[0]:
            raise cfg.error(other, f"disagrees with {given[0]} ({short_value(values[0])}): the two "
                                   "spellings of one field must agree")  # fmt: skip
    return given[0], values[0]


def _parent(cfg: ConfigReader, key: str) -> Mapping[str, Any]:
    """The nested object holding a dotted ``key`` (``{}`` when the config leaves it out or null)."""
    parent = key.split(".")[0]
    value = cfg.data.get(parent)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise cfg.error(parent, f"must be an object (got {short_value(value)})")
    return value


def _has(cfg: ConfigReader, key: str) -> bool:
    return cfg.has(key) if "." not in key else key.split(".", 1)[1] in _parent(cfg, key)


def _value(cfg: ConfigReader, key: str) -> Any:
    return cfg.data[key] if "." not in key else _parent(cfg, key)[key.split(".", 1)[1]]


def _typed(cfg: ConfigReader, key: str, default: Any, info: Any, nullable: bool) -> Any:
    kind = _kind(info.annotation)
    if not _has(cfg, key):
        if default is REQUIRED:
            raise cfg.error(key, "required field is missing (transformers cannot build the model without it)")
        return default  # as transformers has it
    value = _value(cfg, key)
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
