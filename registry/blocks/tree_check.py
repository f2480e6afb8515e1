"""Checks of a built block tree: every tensor path once, every tie to a tensor of the same shape.

A count is only right if its tensors are what they claim to be: two tensors under one
path would both be counted (a checkpoint holds one), and a tie (``tied_to``) that
names no tensor, the tensor itself, a tensor of another shape, or a cycle of ties
would make a weight vanish from the total. :func:`tree_problem` finds the first such
problem without expanding repeats: a repeat's copy numbers stay a range (``h.{0..47}``),
so that a model of 10**18 layers is checked as fast as one of two. A shared body
(:class:`~registry.blocks.Shared`) holds its tensors once, under one path: they are
checked once, like any other tensor.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Union

from registry.blocks import BlockBase, Module, Repeat
from registry.blocks.tensors import Tensor
from registry.blocks.tree_quick import clearly_sound

__all__ = ["TreeProblem", "tree_problem"]

#: A path segment: literal text, or the copy numbers of a repeat.
Segment = Union[str, range]

_NUMBER = re.compile(r"0|[1-9][0-9]*")  # a copy number as join() writes it


@dataclass(frozen=True)
class TreeProblem:
    """What is wrong (``message``) and where: ``loc`` is the key path of the block at fault
    under the root's ``blocks`` (``("blocks", 0, "blocks", 2, "tied_to")``)."""

    loc: tuple[str | int, ...]
    message: str


class _Placed:
    """A tensor at its place: path segments (a repeat's copy numbers as a range), block location."""

    __slots__ = ("segments", "tensor", "loc")

    def __init__(self, segments: tuple[Segment, ...], tensor: Tensor, loc: tuple[str | int, ...]):
        self.segments, self.tensor, self.loc = segments, tensor, loc

    @property
    def label(self) -> str:
        return ".".join(s if isinstance(s, str) else _range_text(s) for s in self.segments)


def _range_text(r: range) -> str:
    if len(r) == 1:
        return str(r[0])
    step = "" if r.step == 1 else f" step {r.step}"
    return f"{{{r[0]}..{r[-1]}{step}}}"


def _split(path: str) -> tuple[str, ...]:
    return tuple(path.split(".")) if path else ()


def _placed_tensors(root: BlockBase) -> list[_Placed]:
    """Every tensor of ``root`` with its path as segments (repeats as ranges), in tree order."""
    out: list[_Placed] = []
    stack: list[tuple[BlockBase, tuple[Segment, ...], tuple[str | int, ...]]] = [(root, (), ())]
    while stack:  # a loop, not recursion: a tree may be deep
        block, prefix, loc = stack.pop()
        for tensor in block.tensors():
            out.append(_Placed(prefix + _split(tensor.path), tensor, loc))
        if isinstance(block, Repeat):
            base = prefix + _split(block.name) + (block.indices,)
            kids = [(c, base, loc + ("blocks", j)) for j, c in enumerate(block.blocks)]
        elif isinstance(block, Module):
            base = prefix + _split(block.name)
            kids = [(c, base, loc + ("blocks", j)) for j, c in enumerate(block.blocks)]
        else:
            children = block.children()
            own = getattr(block, "blocks", None)  # a shared body: its children are its blocks, renamed
            same = isinstance(own, list) and len(own) == len(children)
            kids = [(c, prefix, loc + ("blocks", j) if same else loc) for j, c in enumerate(children)]
        stack.extend(reversed(kids))
    return out


def _key(segments: tuple[Segment, ...]) -> tuple[str | None, ...]:
    """The group of a path: its literal segments, with copy numbers and ranges as None."""
    return tuple(None if s.__class__ is range or (s[:1].isdigit() and _NUMBER.fullmatch(s)) else s for s in segments)  # type: ignore[union-attr]


def _meet(a: Segment, b: Segment) -> bool:
    """Whether two segments can be the same text (for some copy numbers)."""
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str):
        a, b = b, a
    if isinstance(b, str):
        return bool(_NUMBER.fullmatch(b)) and int(b) in a  # type: ignore[operator]
    return _ranges_meet(a, b)  # type: ignore[arg-type]


def _ranges_meet(a: range, b: range) -> bool:
    """Whether two arithmetic progressions share a number (Chinese remainder theorem)."""
    if not a or not b:
        return False
    lo, hi = max(a[0], b[0]), min(a[-1], b[-1])
    if lo > hi:
        return False
    g = math.gcd(a.step, b.step)
    if (b[0] - a[0]) % g:
        return False
    # x = a0 + a.step * k with a.step * k = b0 - a0 (mod b.step)
    m = b.step // g
    k = ((b[0] - a[0]) // g * pow(a.step // g, -1, m)) % m if m > 1 else 0
    lcm = a.step // g * b.step
    x = a[0] + a.step * k  # the least common number >= a0 (then every lcm)
    if x < lo:
        x += (lo - x + lcm - 1) // lcm * lcm
    return x <= hi


def _same(a: tuple[Segment, ...], b: tuple[Segment, ...]) -> bool:
    return len(a) == len(b) and all(_meet(x, y) for x, y in zip(a, b))


class _Index:
    """The placed tensors by path: exact text for literal paths, groups for the rest."""

    def __init__(self) -> None:
        self.exact: dict[str, _Placed] = {}
        self.ranged: dict[tuple[str | None, ...], list[_Placed]] = {}
        self.literal_groups: dict[tuple[str | None, ...], list[_Placed]] = {}

    def clash(self, item: _Placed) -> _Placed | None:
        """An earlier tensor that can have ``item``'s path, or None; then ``item`` is added."""
        key = _key(item.segments)
        literal = None not in key or all(s.__class__ is str for s in item.segments)
        found: _Placed | None = None
        if literal:
            found = self.exact.get(item.label)
            if found is None:
                found = next((p for p in self.ranged.get(key, ()) if _same(p.segments, item.segments)), None)
            self.exact.setdefault(item.label, item)
            if None in key:
                self.literal_groups.setdefault(key, []).append(item)
        else:
            group = [*self.ranged.get(key, ()), *self.literal_groups.get(key, ())]
            found = next((p for p in group if _same(p.segments, item.segments)), None)
            self.ranged.setdefault(key, []).append(item)
        return found

    def find(self, path: str) -> _Placed | None:
        """The tensor whose path (for some copy number) is ``path``."""
        found = self.exact.get(path)
        if found is not None:
            return found
        segments = _split(path)
        return next((p for p in self.ranged.get(_key(segments), ()) if _same(p.segments, segments)), None)


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "scalar"


def tree_problem(root: BlockBase) -> TreeProblem | None:
    """The first problem of ``root``'s tensor paths and ties, or None when there is none.

    Refused: two tensors that can have the same path (siblings of one name, repeats whose
    copy numbers overlap, a module named like a repeat's copy); a tie to no tensor of the
    model, to the tensor itself, to a tensor of another shape, or round a cycle of ties.
    """
    if clearly_sound(root):  # the common case, in one pass (registry.blocks.tree_quick)
        return None
    placed = _placed_tensors(root)
    index = _Index()
    for item in placed:
        earlier = index.clash(item)
        if earlier is not None:
            field = "names" if earlier.loc == item.loc else "name"
            where = "" if earlier.loc == item.loc else f" (also {_loc_text(earlier.loc)})"
            literal = [p.label for p in (item, earlier) if all(s.__class__ is str for s in p.segments)]
            if item.label == earlier.label:
                what = f"tensor path {item.label} occurs twice{where}"
            elif literal:  # a name that is one of a repeat's copies
                other = earlier.label if literal[0] == item.label else item.label
                what = f"tensor path {literal[0]} occurs twice{where[:-1]}, as {other})" if where else \
                    f"tensor path {literal[0]} occurs twice (as {other})"
            else:  # a repeat's copy numbers: the two ranges overlap
                what = f"tensor paths {item.label} and {earlier.label}{where} overlap"
            return TreeProblem(item.loc + (field,), f"{what}; tensor paths must be unique in a model")
    for item in placed:
        target = item.tensor.tied_to
        if target is None:
            continue
        problem = _tie_problem(item, index)
        if problem:
            return TreeProblem(item.loc + ("tied_to",), problem)
    return None


def _tie_problem(item: _Placed, index: _Index) -> str:
    target = item.tensor.tied_to or ""
    found = index.find(target)
    name = item.label
    if found is None:
        return f"{name} is tied to {target}, which is no tensor of the model"
    if found is item:
        return f"{name} is tied to itself"
    if found.tensor.shape != item.tensor.shape:
        return (f"{name} ({_shape(item.tensor.shape)}) is tied to {target} ({_shape(found.tensor.shape)}); "
                "a tie needs a tensor of the same shape")  # fmt: skip
    seen = [item]
    while found.tensor.tied_to is not None:  # a chain of ties must end at a tensor that holds storage
        if found in seen:
            chain = " -> ".join(p.label for p in seen[seen.index(found):]) + f" -> {found.label}"
            return f"ties form a cycle ({chain}); a tie must end at a tensor that is not tied"
        seen.append(found)
        nxt = index.find(found.tensor.tied_to)
        if nxt is None or nxt.tensor.shape != found.tensor.shape or nxt is found:
            return ""  # reported at that tensor
        found = nxt
    return ""


def _loc_text(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the root"


#: A model's counts may have at most this many digits (four whole numbers at the spec limit
#: multiplied, e.g. experts × layers × width × hidden width): every figure derived from a count
#: (FLOPs, bytes, ratios) then stays within what can be printed exactly.
MAX_COUNT_DIGITS = 2400


def count_problem(root: BlockBase) -> str:
    """Why ``root``'s counts are too large to report (nested repeats of huge counts), or ''."""
    largest = max(root.tally.params_with_ties, root.tally.params)
    if largest >= 10**MAX_COUNT_DIGITS:
        digits = int(largest.bit_length() * 0.30103) + 1
        return (f"the model's parameter count has about {digits:,} digits; at most {MAX_COUNT_DIGITS:,} "
                "can be reported (nested repeats multiply their counts)")  # fmt: skip
    return ""
