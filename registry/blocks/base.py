"""What every block shares: the base class, trusted construction, path joining, role names and field errors.

Validation happens once, at the boundary. Blocks a user writes in ``[[blocks]]``, or creates
in Python, are validated by pydantic (types, bounds, unknown keys, cross-field rules). Blocks
created inside :func:`trusted_blocks` (the core wraps every family's ``build`` in it; blocks
use it for the parts they expand into) come from values validated already (a family's
hyper-parameters, a validated parent block), so they are constructed directly: no pydantic
validation, but every block kind's cross-field rules (its ``mode="after"`` model validators)
still run, unknown keyword arguments and missing required fields still go through full
validation (and so fail as they would), and defaults are filled in as pydantic fills them.
What a trusted constructor does not check is the type and bounds of each value: a family is
trusted to pass a block the values its fields declare (its tests, against the reference
implementation, check it does). Equal trusted blocks share one state, caches included
(:mod:`registry.blocks.interning`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.blocks.interning import keep_state, register_block_class, shared_state, sharing_key
from registry.blocks.tally import Tally
from registry.blocks.tensors import Tensor

if TYPE_CHECKING:
    from registry.blocks import Block

Component = Literal[
    "embedding", "attention", "feed_forward", "experts", "shared_experts", "router", "norm", "head", "other"
]

_TRUSTED: ContextVar[bool] = ContextVar("registry_trusted_blocks", default=False)


@contextmanager
def trusted_blocks() -> Iterator[None]:
    """Within this context, blocks are constructed without pydantic validation (see the module's docstring)."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def join(*parts: str) -> str:
    """Join path segments with dots, skipping empty ones."""
    if len(parts) == 2:  # the common case, kept fast
        a, b = parts
        return f"{a}.{b}" if a and b else (a or b)
    return ".".join([p for p in parts if p])


class FieldError(ValueError):
    """A cross-field validation error that names the field at fault.

    Raised inside pydantic validators; the spec loader reads ``field`` to point at
    the right key and line of the spec file.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class _Construction:
    """How to construct one block class without validation: its fields in order, with defaults."""

    __slots__ = ("template", "names", "required", "factories", "checks")

    def __init__(self, cls: type[BaseModel]):
        fields = cls.__pydantic_fields__
        self.template: dict[str, Any] = {}
        self.factories: list[tuple[str, Callable[[], Any]]] = []
        required = []
        for name, info in fields.items():
            if info.is_required():
                required.append(name)
                self.template[name] = None
            elif info.default_factory is not None:
                self.factories.append((name, info.default_factory))  # type: ignore[arg-type]
                self.template[name] = None
            else:
                self.template[name] = info.default
        self.names = frozenset(fields)
        self.required = frozenset(required)
        validators = cls.__pydantic_decorators__.model_validators.values()
        self.checks = tuple(v.func for v in validators if v.info.mode == "after")
        if any(v.info.mode != "after" for v in validators) or cls.__pydantic_decorators__.field_validators:
            self.names = frozenset()  # validators we cannot run by hand: always validate


_CONSTRUCTIONS: dict[type, _Construction] = {}
_set = object.__setattr__


class BlockBase(BaseModel):
    """What every block shares: frozen, unknown keys rejected, a ``name``.

    ``tally`` (exact sums) is computed once per block from its leaves' shape fields; the
    parts a composite block expands into (``children()``) are computed once and kept.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field("", description="Path segment(s) this block adds under its parent (may contain dots).")

    def __init__(self, /, **data: Any) -> None:
        if _TRUSTED.get():
            cls = type(self)
            key = sharing_key(cls, data)
            values = None if key is None else shared_state(key)
            if values is not None:  # an equal block was built (and checked) before: share its state
                _set(self, "__dict__", values)
                _set(self, "__pydantic_fields_set__", set(data))
                _set(self, "__pydantic_extra__", None)
                _set(self, "__pydantic_private__", None)
                return
            how = _CONSTRUCTIONS.get(cls) or _CONSTRUCTIONS.setdefault(cls, _Construction(cls))
            if how.names >= data.keys() >= how.required:
                values = {**how.template, **data}
                for name, value in data.items():
                    kind = value.__class__
                    if kind is list or kind is dict:  # the caller's list or dict is not the block's
                        values[name] = kind(value)
                if how.factories:
                    for name, factory in how.factories:
                        if name not in data:
                            values[name] = factory()
                _set(self, "__dict__", values)
                _set(self, "__pydantic_fields_set__", set(data))
                _set(self, "__pydantic_extra__", None)
                _set(self, "__pydantic_private__", None)
                for check in how.checks:
                    check(self)
                if key is not None:
                    keep_state(key, values)
                return
        self.__pydantic_validator__.validate_python(data, self_instance=self)

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # pydantic validates nested blocks itself

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_block_class(cls)
        children = cls.__dict__.get("children")
        if children is not None and not getattr(children, "_kept", False):
            cls.children = _kept_children(children)  # type: ignore[method-assign]

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """pydantic's copy, without the caches kept in ``__dict__`` (keys starting ``_``):
        they hold what the original's field values give, not the copy's."""
        copy = super().model_copy(update=update, deep=deep)
        state = copy.__dict__
        for key in [k for k in state if k.startswith("_")]:
            del state[key]
        return copy

    def tensors(self) -> tuple[Tensor, ...]:
        """This block's own tensors, paths relative to the parent (leaves only)."""
        return ()

    def children(self) -> tuple[Block, ...]:
        """The blocks this block is made of (empty for a leaf); computed once per block."""
        return ()

    @property
    def own_tensors(self) -> tuple[Tensor, ...]:
        """:meth:`tensors`, computed once (blocks are immutable)."""
        cache = self.__dict__
        found = cache.get("_own_tensors")
        if found is None:
            found = cache["_own_tensors"] = self.tensors()
        return found

    @property
    def tally(self) -> Tally:
        """Exact sums over this block's tensors (computed once; blocks are immutable)."""
        cache = self.__dict__
        found = cache.get("_tally")
        if found is None:
            found = cache["_tally"] = self.compute_tally()
        return found

    def compute_tally(self) -> Tally:
        """The sums behind :attr:`tally`: own tensors, then each child (override for repeats and the like)."""
        tally = Tally()
        if type(self).tensors is not BlockBase.tensors:
            tally.add_tensors(self.tensors())
        for child in self.children():
            child.add_to(tally)
        return tally

    def add_to(self, tally: Tally) -> None:
        """Add this block to ``tally``: a leaf's tensors directly, any other block's own tally.

        Leaf kinds override it to add their shapes by arithmetic, without tensor objects.
        """
        if type(self).children is BlockBase.children:
            tally.add_tensors(self.tensors())
        else:
            tally.add(self.tally)


def _kept_children(children: Callable[[Any], tuple]) -> Callable[[Any], tuple]:
    """``children`` computed once per block, its parts constructed as trusted blocks."""

    def kept(self: Any) -> tuple:
        cache = self.__dict__
        found = cache.get("_children")
        if found is None:
            token = _TRUSTED.set(True)
            try:
                found = cache["_children"] = children(self)
            finally:
                _TRUSTED.reset(token)
        return found

    kept._kept = True  # type: ignore[attr-defined]
    kept.__doc__ = children.__doc__ or BlockBase.children.__doc__
    kept.__name__ = kept.__qualname__ = "children"
    return kept


def add_children(tally: Tally, children: tuple[BlockBase, ...] | list[BlockBase]) -> None:
    """Add ``children`` to ``tally``: a leaf's tensors directly, any other block's own tally."""
    for child in children:
        child.add_to(tally)


def role_names(defaults: dict[str, str], given: dict[str, str], owner: str) -> dict[str, str]:
    """The submodule name of each role: ``defaults`` overridden by ``given`` (unknown roles refused)."""
    if not given:
        return defaults
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise FieldError("names", f"unknown role(s) {', '.join(unknown)} for {owner}; known: {', '.join(defaults)}")
    return {**defaults, **given}
