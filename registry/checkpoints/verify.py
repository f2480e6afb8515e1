"""Verify: match a model's tensors to a checkpoint's by name and shape, as plain data.

:func:`compare` puts every tensor of a spec's block tree next to the tensors a
checkpoint stores (:mod:`registry.checkpoints` reads them from headers alone) and
sorts them into matched, missing (in the spec only), extra (in the checkpoint
only) and mismatched (same name, another shape). It smooths over how published
checkpoints differ from a family's own names, each rule stated once (the name rules in
:mod:`registry.checkpoints.names`; no architecture's names are written in the core):

* **one leading module prefix** on one side only: GPT-2 saved from
  ``GPT2LMHeadModel`` stores ``transformer.h.0…`` where ``GPT2Model`` (and the
  spec) say ``h.0…``; BERT with or without ``bert.``; LLaMA with or without
  ``model.``. The prefix to strip from (or add to) the checkpoint's names is chosen
  once per comparison, as the one that makes the most names match; names that
  already match as they are keep their name.
* **tied tensors stored once**: a tensor tied to another (an LM head sharing the
  token embedding) may be absent, or be the one copy stored in place of its
  partner (``safetensors.torch.save_model`` keeps ``lm_head.weight``); either way
  it is satisfied when some tensor of its tie group is stored, and a wrong shape
  is reported once, on the stored tensor.
* **old names** the model's family declares (:class:`registry.CheckpointNames`, e.g.
  early BERT checkpoints' ``LayerNorm.gamma`` / ``LayerNorm.beta``) read as the current
  ones (``LayerNorm.weight`` / ``LayerNorm.bias``).
* **renames and fused tensors** the family declares (:class:`registry.CheckpointNames`'s
  ``renames`` and ``splits``): checkpoints published under their authors' names
  (``layers.0.attn.wq_a.weight``) read as the spec's, and one stored tensor holding several
  of the spec's (a fused ``wqkv``) matched part by part: each part's entry notes the stored
  tensor; a stored shape that is not the parts' shapes one after another is a mismatch of
  every part, its note giving the shape expected.
* **buffers** the family declares (:class:`registry.CheckpointNames`): tensors that are
  not parameters but that its checkpoints carry (GPT-2's causal mask ``attn.bias``,
  BERT's ``position_ids``, a rotary ``inv_freq``) are set aside as ignored, not extra.
* **checkpoint-only tensors a family declares** (:class:`registry.CheckpointOnly`,
  from the family's ``checkpoint_only`` hook): a tensor that no spec tensor claims and
  whose name (as stored, or under the prefix rule) matches a declared pattern is set
  aside as ignored with the note "in the checkpoint, not built by transformers
  (<pattern>): <reason>", not counted as extra (the name as stored, with the family's
  old names and renames applied, or either under the prefix rule).

Quantized checkpoints are compared by their logical (dequantized) tensors
(:mod:`registry.checkpoints.quantization`); a tensor whose shape the header does not
give (bitsandbytes 4-bit stores it in the data) matches by its number of elements.

A weight stored with the two dimensions of the spec's shape swapped is a mismatch
with the note ``transposed`` (GPT-2's Conv1D weights are ``(in, out)`` in both the
spec and the checkpoint, so a swap means a real difference in layout).

The spec's repeats are never expanded (:class:`registry.checkpoints.runs.SpecTensors`): each
checkpoint name is read as a tensor of the block tree and the numbers of its layers, so
the time and memory taken grow with the checkpoint's tensors and the size of the block
tree, not with the number of layers (a spec of 10^18 layers against a small checkpoint
answers at once). The spec tensors a checkpoint lacks (missing, or tied and stored once)
are listed as runs: the copies of one tensor between two that the checkpoint holds are
one :class:`Entry` of ``count`` tensors, ``h.{8..9999}.attn.c_attn.weight``; a run of
fewer than :data:`MIN_RUN` is listed tensor by tensor.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any

from registry.checkpoints import TensorInfo
from registry.checkpoints.names import (NOT_BUILT, Rename, checkpoint_names, checkpoint_only, choose_rename, declared,
                                         is_buffer, modern, split_parts)  # fmt: skip
from registry.contracts import CheckpointNames, CheckpointOnly
from registry.model import Model
from registry.checkpoints.runs import SpecTensors, Template, boxes, length
from registry.blocks.tensors import Tensor

__all__ = ["MIN_RUN", "NOT_BUILT", "OUTCOMES", "Comparison", "Entry", "Rename", "checkpoint_only", "compare"]

@dataclass(frozen=True)
class Entry:
    """One tensor of a comparison, or a run of missing (or tied) tensors alike but for their layer numbers.

    ``name`` is the spec's name (the checkpoint's, for extra and ignored tensors),
    ``checkpoint`` the name stored in the checkpoint (None when absent), ``expected``
    the spec's shape and ``found`` the checkpoint's (None on the side that lacks
    it), ``note`` a hint such as ``transposed`` or ``tied to wte.weight``.

    A run (``count`` > 1: three or more tensors) is named with each run of numbers in braces,
    ``h.{0..9999}.attn.c_attn.weight`` (``{0..9998 step 2}``), and ``indices`` gives each braced
    run as ``(first, last, step)``; a run stands for every combination of its numbers.
    """

    name: str
    checkpoint: str | None
    expected: tuple[int, ...] | None
    found: tuple[int, ...] | None
    note: str = ""
    count: int = 1
    indices: tuple[tuple[int, int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``name``, ``checkpoint``, ``expected``, ``found``, ``note``, and for a run
        ``count`` and ``indices``."""
        data = {"name": self.name, "checkpoint": self.checkpoint, "expected": self.expected, "found": self.found,
                "note": self.note}  # fmt: skip
        if self.count != 1:
            data |= {"count": self.count, "indices": [list(i) for i in self.indices]}
        return data


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    ``matched`` tensors have the same name and shape on both sides; ``tied``
    spec tensors are not stored themselves but share a stored tensor's storage;
    ``missing`` are in the spec only, ``extra`` in the checkpoint only,
    ``mismatched`` on both sides with other shapes; ``ignored`` are the
    checkpoint's buffers and the tensors the family declares checkpoint-only (their
    note says which: ``buffer``, or :data:`NOT_BUILT` with the pattern and the
    reason); ``rename`` is the prefix rule applied (None: names as stored).
    """

    matched: list[Entry] = field(default_factory=list)
    tied: list[Entry] = field(default_factory=list)
    missing: list[Entry] = field(default_factory=list)
    extra: list[Entry] = field(default_factory=list)
    mismatched: list[Entry] = field(default_factory=list)
    ignored: list[Entry] = field(default_factory=list)
    rename: Rename | None = None

    @property
    def identical(self) -> bool:
        """True when nothing is missing, extra or of another shape."""
        return not (self.missing or self.extra or self.mismatched)

    @property
    def counts(self) -> dict[str, int]:
        """How many tensors each outcome holds (a run counts all its tensors)."""
        return {key: sum(e.count for e in getattr(self, key)) for key in OUTCOMES}

    def summary(self) -> str:
        """One line: ``N matched, M missing, K extra, J shape mismatches``."""
        counts = self.counts
        return (f"{counts['matched']} matched, {counts['missing']} missing, {counts['extra']} extra, "
                f"{counts['mismatched']} shape mismatches")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``identical``, ``counts`` per outcome, ``rename``, then the entries of each."""
        rename = None if self.rename is None else {"prefix": self.rename.prefix, "add": self.rename.add}
        entries = {key: [e.to_dict() for e in getattr(self, key)] for key in OUTCOMES}
        return {"identical": self.identical, "counts": self.counts, "rename": rename, **entries}


#: The outcomes of a comparison, in the order of :class:`Comparison`'s fields.
OUTCOMES: tuple[str, ...] = ("matched", "tied", "missing", "extra", "mismatched", "ignored")

#: A run of fewer tensors than this is listed tensor by tensor.
MIN_RUN = 3


def compare(model: Model, tensors: Iterable[TensorInfo], known: Sequence[CheckpointOnly] | None = None,
            names: CheckpointNames | None = None) -> Comparison:  # fmt: skip
    """Match the tensors of ``model`` to a checkpoint's ``tensors`` by name, then shape.

    ``known`` are the tensors the checkpoint may hold beyond the model's (default: what
    the model's family declares, :func:`checkpoint_only`), ``names`` the buffers and old
    names its checkpoints store (default: the family's, :func:`checkpoint_names`). The spec's tensors are read as
    runs (:class:`registry.checkpoints.runs.SpecTensors`), never expanded: the time taken grows with the
    checkpoint's tensors and the spec's block tree, not with its number of layers, and the
    spec tensors the checkpoint lacks are listed as runs (``h.{0..9999}.ln_1.weight``).
    """
    known = checkpoint_only(model) if known is None else tuple(known)
    names = checkpoint_names(model) if names is None else names
    spec = _Lookup(SpecTensors(model.architecture))
    stored: list[TensorInfo] = []
    ignored: list[Entry] = []
    for info in tensors:
        if is_buffer(info, names) and info.name not in spec:
            ignored.append(Entry(info.name, info.name, None, info.shape, "buffer"))
        else:
            stored.append(info)
    rename = choose_rename(spec, [_current(spec, t.name, names) for t in stored])
    notes: dict[str, str] = {}
    found = _map_names(spec, stored, rename, names, notes)
    result = Comparison(ignored=ignored, rename=rename)
    claimed: set[str] = set()
    for name, (info, template, _numbers) in found.items():
        claimed.add(info.name)
        shape = template.tensor.shape
        note = notes.get(name, "")
        if _same_shape(info, shape):
            result.matched.append(Entry(name, info.name, shape, info.shape, note))
        else:
            transposed = len(info.shape) == 2 and info.shape == shape[::-1] and not note
            result.mismatched.append(Entry(name, info.name, shape, info.shape, "transposed" if transposed else note))
    _absent(spec, found, result)
    for info in stored:
        if info.name in claimed:
            continue
        declaration = declared(known, info.name, rename, modern(info.name, names))
        if declaration is None:
            result.extra.append(Entry(info.name, info.name, None, info.shape))
        else:
            note = f"{NOT_BUILT} ({declaration.pattern}): {declaration.reason}"
            result.ignored.append(Entry(info.name, info.name, None, info.shape, note))
    return result


#: A spec tensor a checkpoint provides: the checkpoint's tensor, the spec's template and the copy's numbers.
_Found = tuple[TensorInfo, Template, tuple[int, ...]]


class _Lookup:
    """:class:`SpecTensors` with each name's answer kept (a name is looked up several times)."""

    def __init__(self, tensors: SpecTensors):
        self.tensors = tensors
        self._seen: dict[str, tuple[Template, tuple[int, ...]] | None] = {}

    def find(self, name: str) -> tuple[Template, tuple[int, ...]] | None:
        seen = self._seen
        if name in seen:
            return seen[name]
        hit = seen[name] = self.tensors.find(name)
        return hit

    def __contains__(self, name: str) -> bool:
        return self.find(name) is not None


def _absent(spec: _Lookup, found: dict[str, _Found], result: Comparison) -> None:
    """Add the spec tensors the checkpoint lacks to ``result``: tied (a tensor of its tie group is stored)
    or missing, each run of alike copies as one entry, in spec order."""
    stored_groups: dict[str, str] = {}  # tie root -> the first member of its group the checkpoint stores
    for name, (_info, template, _numbers) in found.items():
        stored_groups.setdefault(_tie_root(spec, name, template), name)
    skip: dict[int, set[tuple[int, ...]]] = {}  # template's order -> copies not to list as one of a run
    for _info, template, numbers in found.values():
        skip.setdefault(template.order, set()).add(numbers)
    single: dict[int, set[tuple[int, ...]]] = {}  # copies whose tie root is not their template's
    for root in stored_groups:
        hit = spec.find(root)
        if hit is not None:
            single.setdefault(hit[0].order, set()).add(hit[1])
    chains: dict[str, tuple[str, set[str]]] = {}
    entries: list[tuple[tuple[int, ...], bool, Entry]] = []
    for template in spec.tensors.templates:
        tensor = template.tensor
        target = tensor.tied_to
        exceptions = set(single.get(template.order, ()))
        root: str | None = None
        if target is not None and target in spec:
            if target not in chains:
                chains[target] = _tie_chain(spec, target)
            root, visited = chains[target]
            for name in visited:
                hit = spec.find(name)
                if hit is not None and hit[0] is template:
                    exceptions.add(hit[1])
        taken = skip.get(template.order, set())
        exceptions -= taken
        for numbers in sorted(exceptions):
            name = template.name(numbers)
            entries.append((template.spec_key(numbers), *_tied_or_missing(spec, found, stored_groups, name, tensor,
                                                                           _tie_root(spec, name, template))))  # fmt: skip
        for box in boxes(template.slots, taken | exceptions):
            count = prod(length(r) for r in box)
            first = tuple(r[0] for r in box)
            if count < MIN_RUN:
                for numbers in itertools.product(*box):
                    name = template.name(numbers)
                    entries.append((template.spec_key(numbers),
                                    *_tied_or_missing(spec, found, stored_groups, name, tensor, root or name)))  # fmt: skip
                continue
            name = template.run_name(box)
            tied, entry = _tied_or_missing(spec, found, stored_groups, name, tensor, root)
            runs = tuple((r[0], r[-1], r.step) for r in box if length(r) > 1)
            entries.append((template.spec_key(first), tied, replace(entry, count=count, indices=runs)))
    entries.sort(key=lambda e: e[0])
    for _key, tied, entry in entries:
        (result.tied if tied else result.missing).append(entry)


def _tied_or_missing(spec: _Lookup, found: dict[str, _Found], stored_groups: dict[str, str], name: str,
                     tensor: Tensor, root: str | None) -> tuple[bool, Entry]:  # fmt: skip
    """Whether a spec tensor the checkpoint lacks is tied (its group's stored tensor has its shape), and its entry.

    ``root`` is its tie root (None: the tensor itself, for a run of untied copies: no stored group has
    such a root)."""
    partner = None if root is None else stored_groups.get(root)
    if partner is not None and found[partner][1].tensor.shape == tensor.shape:
        return True, Entry(name, None, tensor.shape, None, f"tied to {partner}, stored once")
    return False, Entry(name, None, tensor.shape, None, f"tied to {tensor.tied_to}" if tensor.tied_to else "")


def _same_shape(info: TensorInfo, shape: tuple[int, ...]) -> bool:
    """Whether a checkpoint tensor has ``shape``; one whose shape the header does not give
    (``info.flat``: bitsandbytes 4-bit) matches by its number of elements."""
    if info.flat:
        return info.numel == math.prod(shape)
    return info.shape == shape


def _current(spec: _Lookup, name: str, names: CheckpointNames) -> str:
    """A stored name as the spec names it: as stored when the spec has it (Llama 4's ``language_model.model.`` is
    current, though older classes' checkpoints used it too), else with the family's old names replaced."""
    return name if spec.find(name) is not None else modern(name, names)


def _map_names(spec: _Lookup, stored: Sequence[TensorInfo], rename: Rename | None,
               names: CheckpointNames, notes: dict[str, str]) -> dict[str, _Found]:  # fmt: skip
    """Spec name -> the checkpoint tensor that provides it (names as stored win over renamed ones), in spec order;
    the spec names a fused tensor provides get a note in ``notes``."""
    found: dict[str, _Found] = {}
    later: list[tuple[str, TensorInfo]] = []
    for info in stored:
        name = _current(spec, info.name, names)
        hit = spec.find(name)
        if hit is not None and name not in found:
            found[name] = (info, *hit)
        elif hit is None and _fused(spec, info, split_parts(name, names), rename, found, notes):
            continue
        elif rename is not None:
            later.append((rename.apply(name), info))
    for name, info in later:
        if name in found:
            continue
        hit = spec.find(name)
        if hit is not None:
            found[name] = (info, *hit)
    ordered = sorted(found.items(), key=lambda item: item[1][1].spec_key(item[1][2]))
    return dict(ordered)


def _fused(spec: _Lookup, info: TensorInfo, parts: Sequence[str], rename: Rename | None, found: dict[str, _Found],
           notes: dict[str, str]) -> bool:  # fmt: skip
    """Whether the stored tensor ``info`` provides the spec tensors ``parts`` (each as named or under the prefix
    rule, none yet provided), then entered in ``found``: each part with its share of the stored shape, or with
    the whole stored shape (a mismatch) when that is not the parts' shapes one after another on the first axis."""
    if not parts:
        return False
    hits = []
    for part in parts:
        name = part if part in spec or rename is None else rename.apply(part)
        hit = spec.find(name)
        if hit is None or name in found:
            return False
        hits.append((name, hit))
    shapes = [hit[0].tensor.shape for _name, hit in hits]
    whole = (sum(s[0] for s in shapes), *shapes[0][1:]) if all(s and s[1:] == shapes[0][1:] for s in shapes) else None
    fits = whole is not None and (info.numel == prod(whole) if info.flat else info.shape == whole)
    for k, (name, hit) in enumerate(hits):
        share = replace(info, shape=shapes[k], flat=False) if fits else info
        found[name] = (share, *hit)
        notes[name] = (f"part {k + 1} of {len(hits)} of {info.name}" if fits else
                       f"part {k + 1} of {len(hits)} of {info.name}, which should be {whole or 'the parts joined'}")
    return True


def _tie_root(spec: _Lookup, name: str, template: Template) -> str:
    """The tensor at the end of a chain of ties (the one that owns the storage)."""
    seen = {name}
    tensor = template.tensor
    while (target := tensor.tied_to) is not None and target not in seen and (hit := spec.find(target)) is not None:
        seen.add(target)
        name, tensor = target, hit[0].tensor
    return name


def _tie_chain(spec: _Lookup, start: str) -> tuple[str, set[str]]:
    """The tie root of the spec tensor ``start`` and the names its chain of ties visits."""
    hit = spec.find(start)
    assert hit is not None
    seen = {start}
    name, tensor = start, hit[0].tensor
    while (target := tensor.tied_to) is not None and target not in seen and (hit := spec.find(target)) is not None:
        seen.add(target)
        name, tensor = target, hit[0].tensor
    return name, seen
