"""Runs of layers: a spec's tensors as templates over runs of layer numbers, and listings by run.

``registry verify`` compares a spec with a checkpoint without expanding the spec's repeats:
:class:`SpecTensors` holds each tensor of the block tree once, as a :class:`Template` whose
path has a slot for the number of each repeat above it (``h.{0..9999}.attn.c_attn.weight``),
reads a checkpoint's name as a template and its numbers, and :func:`boxes` splits a
template's copies that a checkpoint lacks into runs. A spec of 10^18 layers is as quick to
compare as one of 12.

:func:`collapse_runs` shows rows that differ only in a layer number as one row,
``h.{0..9999}.attn.c_attn.weight (×10000)``, as the counts show runs of layers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from math import prod
from typing import Any

from registry.blocks import BlockBase, Module, Repeat
from registry.blocks.tensors import Tensor

__all__ = ["SpecTensors", "Template", "boxes", "collapse_runs"]

_RUN_ROW = re.compile(r"\{[^{}]*\}.* \(×[0-9]+\)\Z")
_NUMBER = re.compile(r"(?<=\.)(?:0|[1-9][0-9]*)(?=\.|$)|^(?:0|[1-9][0-9]*)(?=\.)")


def collapse_runs(rows: Sequence[dict[str, Any]], key: str = "name", fields: Sequence[str] = ("checkpoint",)) -> list[dict[str, Any]]:
    """``rows`` with those alike but for the first number in ``row[key]`` merged into one row
    whose ``key`` reads ``prefix.{first..last}.rest`` (or ``{a..b step k}``) and ``count`` says how
    many. Only rows whose other values are equal and whose ``fields`` are empty merge, and only
    when the numbers are an arithmetic progression of three or more; the first row's place is kept.
    A row that reads as a run already (``… (×N)``, as :func:`registry.checkpoints.verify.compare` gives them) is kept as it is."""
    groups: dict[tuple, list[int]] = {}
    order: list[tuple | int] = []
    for i, row in enumerate(rows):
        name = row.get(key)
        match = _NUMBER.search(name) if isinstance(name, str) and not _RUN_ROW.search(name) else None
        if match is None or any(row.get(f) for f in fields):
            order.append(i)
            continue
        template = (name[: match.start()], name[match.end():])
        group = (template, tuple((k, v) for k, v in row.items() if k != key))
        if group not in groups:
            groups[group] = []
            order.append(group)
        groups[group].append(i)
    out: list[dict[str, Any]] = []
    for item in order:
        if isinstance(item, int):
            out.append(dict(rows[item]))
            continue
        members = groups[item]
        numbers = [int(_NUMBER.search(rows[i][key]).group()) for i in members]  # type: ignore[union-attr]
        step = numbers[1] - numbers[0] if len(numbers) > 1 else 0
        progression = len(numbers) >= 3 and step > 0 and all(b - a == step for a, b in zip(numbers, numbers[1:]))
        if not progression:
            out.extend(dict(rows[i]) for i in members)
            continue
        (head, tail) = item[0]
        span = f"{{{numbers[0]}..{numbers[-1]}{'' if step == 1 else f' step {step}'}}}"
        out.append({**rows[members[0]], key: f"{head}{span}{tail} (×{len(numbers)})"})
    return out


# --------------------------------------------------------------------------- a spec's tensors as runs


class Template:
    """The tensors of one leaf tensor of the block tree under every copy of the repeats above it.

    ``pieces`` are the literal parts of the path between its numbers, ``slots`` the layer numbers
    each number runs over (a repeat's ``indices``, or a one-number range for a number written in a
    name such as ``net.0``), ``tensor`` the leaf's tensor (its ``path`` relative to its block) and
    ``order`` the template's place in the spec (spec order of the first copy).
    """

    __slots__ = ("pieces", "slots", "tensor", "order", "_key", "_holes")

    def __init__(self, pieces: tuple[str, ...], slots: tuple[range, ...], tensor: Tensor, order: int,
                 key: tuple[int, ...], holes: tuple[tuple[int, int], ...]):  # fmt: skip
        self.pieces = pieces
        self.slots = slots
        self.tensor = tensor
        self.order = order
        self._key = key
        self._holes = holes

    @property
    def instances(self) -> int:
        """How many tensors the template stands for."""
        return prod(length(r) for r in self.slots)

    @property
    def dotted(self) -> bool:
        """Whether its names have more than one dotted segment."""
        return any("." in p for p in self.pieces)

    def name(self, numbers: Sequence[int]) -> str:
        """The full path of the copy with these numbers."""
        pieces = self.pieces
        parts = [pieces[0]]
        for i, n in enumerate(numbers):
            parts += (str(n), pieces[i + 1])
        return "".join(parts)

    def spec_key(self, numbers: Sequence[int]) -> tuple[int, ...]:
        """The sort key of a copy: copies sort as :func:`registry.analyses.report.iter_tensors` yields them."""
        key = list(self._key)
        for at, slot in self._holes:
            key[at] = numbers[slot]
        return tuple(key)

    def run_name(self, ranges: Sequence[range]) -> str:
        """The name of a run: ``h.{0..9999}.attn.c_attn.weight`` (``{a..b step k}``, one number as itself)."""
        parts = [self.pieces[0]]
        for i, r in enumerate(ranges):
            parts += (_span(r), self.pieces[i + 1])
        return "".join(parts)


def length(r: range) -> int:
    """``len(r)``, also for a range of more than ``sys.maxsize`` numbers (``len`` raises
    OverflowError there: 2**64 - 1 layers, from a GGUF's ``block_count``)."""
    if r.step > 0:
        return max(0, (r.stop - r.start + r.step - 1) // r.step)
    return max(0, (r.start - r.stop - r.step - 1) // -r.step)


def _span(r: range) -> str:
    if length(r) == 1:
        return str(r[0])
    return f"{{{r[0]}..{r[-1]}{'' if r.step == 1 else f' step {r.step}'}}}"


class _Slot:
    """A repeat's numbers while its body is walked (identity marks the repeat)."""

    __slots__ = ("indices",)

    def __init__(self, indices: range):
        self.indices = indices


#: A whole dotted segment that reads as a layer number (no leading zeros; at most 4,000 digits, so that
#: ``int()`` reads it): the same rule splits a spec's names and a checkpoint's.
_NUMBER_SEGMENT = re.compile(r"(?<![^.])(0|[1-9][0-9]{0,3999})(?![^.])")
#: The same rule, quicker (tried at dots only), on a name with a dot put before it.
_DOT_NUMBER = re.compile(r"\.(0|[1-9][0-9]{0,3999})(?=\.|\Z)")
_MARK = "\x00"  # where a number stood, in a skeleton (names holding it are filed by a tuple instead)


def _parse(name: str) -> tuple[object, list[str]]:
    """The skeleton of ``name`` (its text with each number marked) and its numbers, as written."""
    split = _DOT_NUMBER.split("." + name)
    if len(split) == 1:
        return split[0], []
    literal = split[::2]
    return (tuple(literal) if _MARK in name else _MARK.join(literal)), split[1::2]


#: A first-number value of at most this many copies is indexed by value; longer runs are tried in turn.
_SMALL_RUN = 64


class SpecTensors:
    """A model's tensors as :class:`Template` s, and checkpoint names matched to them.

    Built in time proportional to the block tree (a repeat's body is walked once, whatever
    its count); :meth:`find` reads a name as a template and its numbers in time proportional
    to the name. Nothing here depends on the number of layers.
    """

    def __init__(self, root: BlockBase):
        self.templates: list[Template] = []
        self._by_skeleton: dict[object, list[Template]] = {}
        self._by_first: dict[object, tuple[dict[int, list[Template]], list[Template]]] = {}
        self._walk(root, (), ())
        for skeleton, found in self._by_skeleton.items():
            if len(found) > 8 and all(t.slots for t in found):
                small: dict[int, list[Template]] = {}
                large: list[Template] = []
                for t in found:
                    if len(t.slots[0]) <= _SMALL_RUN:
                        for n in t.slots[0]:
                            small.setdefault(n, []).append(t)
                    else:
                        large.append(t)
                self._by_first[skeleton] = (small, large)

    def _walk(self, block: BlockBase, prefix: tuple, key: tuple) -> None:
        for j, tensor in enumerate(block.tensors()):
            self._add((*prefix, tensor.path) if tensor.path else prefix, tensor, (*key, 0, j))
        if isinstance(block, Repeat):
            slot = _Slot(block.indices)
            base = (*prefix, block.name, slot) if block.name else (*prefix, slot)
            for k, child in enumerate(block.blocks):
                self._walk(child, base, (*key, 1, slot, k))
        elif isinstance(block, Module):
            base = (*prefix, block.name) if block.name else prefix
            for k, child in enumerate(block.blocks):
                self._walk(child, base, (*key, 1, k))
        else:
            for k, child in enumerate(block.children()):
                self._walk(child, prefix, (*key, 1, k))

    def _add(self, parts: tuple, tensor: Tensor, key: tuple) -> None:
        pieces: list[str] = [""]
        slots: list[range] = []
        where: dict[int, int] = {}  # id of a repeat's slot -> its number's position among slots
        for i, part in enumerate(parts):
            if i:
                pieces[-1] += "."
            if isinstance(part, _Slot):
                where[id(part)] = len(slots)
                slots.append(part.indices)
                pieces.append("")
                continue
            split = _NUMBER_SEGMENT.split(part)
            pieces[-1] += split[0]
            for n, literal in zip(split[1::2], split[2::2]):
                slots.append(range(int(n), int(n) + 1))
                pieces.append(literal)
        holes = tuple((at, where[id(k)]) for at, k in enumerate(key) if isinstance(k, _Slot))
        plain = tuple(0 if isinstance(k, _Slot) else k for k in key)
        template = Template(tuple(pieces), tuple(slots), tensor, len(self.templates), plain, holes)
        self.templates.append(template)
        skeleton, numbers = _parse(template.name([r[0] for r in slots]))
        assert len(numbers) == len(slots), template.pieces
        self._by_skeleton.setdefault(skeleton, []).append(template)

    def find(self, name: str) -> tuple[Template, tuple[int, ...]] | None:
        """The template that ``name`` is a copy of, with the copy's numbers (None: not a spec tensor)."""
        skeleton, written = _parse(name)
        found = self._by_skeleton.get(skeleton)
        if found is None:
            return None
        if not written:
            return found[0], ()
        numbers = tuple(map(int, written))
        indexed = self._by_first.get(skeleton)
        if indexed is not None:
            small, large = indexed
            found = [*small.get(numbers[0], ()), *large]
        if len(numbers) == 1:
            n = numbers[0]
            for template in found:
                if n in template.slots[0]:
                    return template, numbers
            return None
        for template in found:
            if all(n in r for n, r in zip(numbers, template.slots)):
                return template, numbers
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None


def boxes(slots: Sequence[range], points: Iterable[tuple[int, ...]]) -> Iterator[tuple[range, ...]]:
    """The numbers of ``slots`` (every combination) but ``points``, as disjoint boxes of ranges, in order.

    There are at most ``len(points) * len(slots) + 1`` boxes, whatever the ranges' lengths."""
    points = set(points)
    if len(slots) == 1 and points:  # one run of numbers (layers): no recursion
        r = slots[0]
        step, at = r.step, r.start
        for (n,) in sorted(points):
            if n > at:
                yield (range(at, n, step),)
            at = n + step
        if at < r.stop:
            yield (range(at, r.stop, step),)
        return
    if not slots:
        if not points:
            yield ()
        return
    if not points:
        yield tuple(slots)
        return
    first, rest = slots[0], slots[1:]
    by_first: dict[int, set[tuple[int, ...]]] = {}
    for p in points:
        by_first.setdefault(p[0], set()).add(p[1:])
    step = first.step
    at = first.start
    for n in sorted(by_first):
        if n > at:
            yield (range(at, n, step), *rest)
        for box in boxes(rest, by_first[n]):
            yield (range(n, n + 1), *box)
        at = n + step
    if at < first.stop:
        yield (range(at, first.stop, step), *rest)
