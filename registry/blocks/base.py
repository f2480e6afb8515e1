"""What every block shares: the base class, path joining, role names and field errors."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.tally import Tally
from registry.tensors import Tensor

if TYPE_CHECKING:
    from registry.blocks import Block

Component = Literal[
    "embedding", "attention", "feed_forward", "experts", "shared_experts", "router", "norm", "head", "other"
]


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


class BlockBase(BaseModel):
    """What every block shares: frozen, unknown keys rejected, a ``name``."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field("", description="Path segment(s) this block adds under its parent (may contain dots).")

    def tensors(self) -> tuple[Tensor, ...]:
        """This block's own tensors, paths relative to the parent (leaves only)."""
        return ()

    def children(self) -> tuple[Block, ...]:
        """The blocks this block is made of (empty for a leaf)."""
        return ()

    @cached_property
    def own_tensors(self) -> tuple[Tensor, ...]:
        """:meth:`tensors`, computed once (blocks are immutable)."""
        return self.tensors()

    @cached_property
    def tally(self) -> Tally:
        """Exact sums over this block's tensors (computed once; blocks are immutable)."""
        tally = Tally()
        tally.add_tensors(self.own_tensors)
        add_children(tally, self.children())
        return tally


def add_children(tally: Tally, children: tuple[BlockBase, ...] | list[BlockBase]) -> None:
    """Add ``children`` to ``tally``: a leaf's tensors directly, any other block's own tally."""
    for child in children:
        if type(child).children is BlockBase.children:  # a leaf: no tally object of its own
            tally.add_tensors(child.own_tensors)
        else:
            tally.add(child.tally)


def role_names(defaults: dict[str, str], given: dict[str, str], owner: str) -> dict[str, str]:
    """The submodule name of each role: ``defaults`` overridden by ``given`` (unknown roles refused)."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise FieldError("names", f"unknown role(s) {', '.join(unknown)} for {owner}; known: {', '.join(defaults)}")
    return {**defaults, **given}
