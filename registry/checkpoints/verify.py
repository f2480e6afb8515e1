"""Verify: match a model's tensors to a checkpoint's by name and shape, as plain data.

:func:`compare` puts every tensor of a spec's block tree next to the tensors a
checkpoint stores (:mod:`registry.checkpoints` reads them from headers alone) and
sorts them into matched, missing (in the spec only), extra (in the checkpoint
only) and mismatched (same name, another shape). It smooths over how published
checkpoints differ from a family's own names, each rule stated once:

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
* **old names**: ``LayerNorm.gamma`` / ``LayerNorm.beta`` (early BERT checkpoints)
  read as ``LayerNorm.weight`` / ``LayerNorm.bias``.
* **buffers**: tensors that are not parameters but that some checkpoints carry
  (GPT-2's causal mask ``attn.bias`` and ``attn.masked_bias``, BERT's
  ``position_ids``, rotary ``inv_freq``) are set aside as ignored, not extra.
* **checkpoint-only tensors a family declares** (:class:`registry.family.CheckpointOnly`,
  from the family's ``checkpoint_only`` hook): a tensor that no spec tensor claims and
  whose name (as stored, or under the prefix rule) matches a declared pattern is set
  aside as ignored with the note "in the checkpoint, not built by transformers
  (<pattern>): <reason>", not counted as extra.

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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from math import prod
from fnmatch import fnmatchcase
from typing import Any

from registry.checkpoints import TensorInfo
from registry.family import CheckpointOnly
from registry.model import Model
from registry.checkpoints.runs import SpecTensors, Template, boxes, length
from registry.blocks.tensors import Tensor

__all__ = ["BUFFERS", "MIN_RUN", "NOT_BUILT", "OUTCOMES", "Comparison", "Entry", "Rename", "checkpoint_only", "compare"]

#: Checkpoint tensors that are buffers, not parameters: (name suffix, test of dtype and shape).
BUFFERS: tuple[tuple[str, Callable[[TensorInfo], bool]], ...] = (
    (".attn.bias", lambda t: len(t.shape) == 4),  # GPT-2's causal mask, (1, 1, n_positions, n_positions)
    (".attn.masked_bias", lambda t: t.shape == ()),  # GPT-2's mask fill value
    (".position_ids", lambda t: t.dtype.startswith(("I", "U"))),  # BERT's arange(n_positions)
    (".rotary_emb.inv_freq", lambda t: len(t.shape) == 1),  # rotary frequencies of early LLaMA checkpoints
    ("final_logits_bias", lambda t: len(t.shape) == 2 and t.shape[0] == 1),  # BART's (1, vocab) logits offset
)

#: The start of the note of an ignored tensor that the model's family declares checkpoint-only.
NOT_BUILT = "in the checkpoint, not built by transformers"

#: Old parameter names, read as their current names.
OLD_NAMES: tuple[tuple[str, str], ...] = ((".LayerNorm.gamma", ".LayerNorm.weight"), (".LayerNorm.beta", ".LayerNorm.bias"))

#: How many of the commonest leading prefixes of each side are tried.
MAX_PREFIXES = 8


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
class Rename:
    """The prefix rule applied to the checkpoint's names: strip ``prefix`` (or add it)."""

    prefix: str
    add: bool

    def apply(self, name: str) -> str:
        """``name`` as the spec would say it."""
        if self.add:
            return f"{self.prefix}.{name}"
        head = f"{self.prefix}."
        return name[len(head):] if name.startswith(head) else name

    def describe(self) -> str:
        """The rule in words."""
        how = "with" if self.add else "without"
        return f"checkpoint names read {how} the prefix '{self.prefix}.'"


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


def checkpoint_only(model: Model) -> tuple[CheckpointOnly, ...]:
    """The checkpoint-only tensors ``model``'s family declares for its hyper-parameters (none without a family)."""
    if model.family is None or model.params is None:
        return ()
    from registry.plugin_manager import load_families

    declare = load_families().get(model.family).checkpoint_only
    return tuple(declare(model.params)) if declare is not None else ()


def compare(model: Model, tensors: Iterable[TensorInfo], known: Sequence[CheckpointOnly] | None = None) -> Comparison:
    """Match the tensors of ``model`` to a checkpoint's ``tensors`` by name, then shape.

    ``known`` are the tensors the checkpoint may hold beyond the model's (default: what
    the model's family declares, :func:`checkpoint_only`). The spec's tensors are read as
    runs (:class:`registry.checkpoints.runs.SpecTensors`), never expanded: the time taken grows with the
    checkpoint's tensors and the spec's block tree, not with its number of layers, and the
    spec tensors the checkpoint lacks are listed as runs (``h.{0..9999}.ln_1.weight``).
    """
    known = checkpoint_only(model) if known is None else tuple(known)
    spec = _Lookup(SpecTensors(model.architecture))
    stored: list[TensorInfo] = []
    ignored: list[Entry] = []
    for info in tensors:
        if _is_buffer(info) and info.name not in spec:
            ignored.append(Entry(info.name, info.name, None, info.shape, "buffer"))
        else:
            stored.append(info)
    rename = _choose_rename(spec, [_modern(t.name) for t in stored])
    found = _map_names(spec, stored, rename)
    result = Comparison(ignored=ignored, rename=rename)
    claimed: set[str] = set()
    for name, (info, template, _numbers) in found.items():
        claimed.add(info.name)
        shape = template.tensor.shape
        entry = Entry(name, info.name, shape, info.shape)
        if _same_shape(info, shape):
            result.matched.append(entry)
        else:
            transposed = len(info.shape) == 2 and info.shape == shape[::-1]
            result.mismatched.append(Entry(name, info.name, shape, info.shape, "transposed" if transposed else ""))
    _absent(spec, found, result)
    for info in stored:
        if info.name in claimed:
            continue
        declared = _declared(known, info.name, rename)
        if declared is None:
            result.extra.append(Entry(info.name, info.name, None, info.shape))
        else:
            note = f"{NOT_BUILT} ({declared.pattern}): {declared.reason}"
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


def _declared(known: Sequence[CheckpointOnly], name: str, rename: Rename | None) -> CheckpointOnly | None:
    """The first declaration whose pattern matches ``name`` as stored or under the prefix rule."""
    names = (name,) if rename is None else (name, rename.apply(name))
    return next((k for k in known if any(fnmatchcase(n, k.pattern) for n in names)), None)


def _same_shape(info: TensorInfo, shape: tuple[int, ...]) -> bool:
    """Whether a checkpoint tensor has ``shape``; one whose shape the header does not give
    (``info.flat``: bitsandbytes 4-bit) matches by its number of elements."""
    if info.flat:
        return info.numel == math.prod(shape)
    return info.shape == shape


_BUFFER_SUFFIXES = tuple(suffix for suffix, _ in BUFFERS)
_OLD_SUFFIXES = tuple(old for old, _ in OLD_NAMES)


def _is_buffer(info: TensorInfo) -> bool:
    if not info.name.endswith(_BUFFER_SUFFIXES):
        return False
    return any(info.name.endswith(suffix) and test(info) for suffix, test in BUFFERS)


def _modern(name: str) -> str:
    """A checkpoint name with old parameter names replaced."""
    if not name.endswith(_OLD_SUFFIXES):
        return name
    for old, new in OLD_NAMES:
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


def _heads(names: Iterable[str]) -> list[str]:
    """The commonest first segments of dotted names (names of one segment excluded)."""
    counts = Counter(n.split(".", 1)[0] for n in names if "." in n)
    return [head for head, _ in counts.most_common(MAX_PREFIXES)]


def _spec_heads(tensors: SpecTensors) -> list[str]:
    """:func:`_heads` of the spec's names, each template weighed by its copies (not expanded).

    Where the names start with a run's numbers (a repeat without a name at the top), the run's
    first numbers stand for all of it: they are as common as any other of the run's."""
    counts: Counter[str] = Counter()
    for template in tensors.templates:
        if not template.dotted:
            continue
        head = template.pieces[0]
        copies = template.instances
        if "." in head:
            counts[head.split(".", 1)[0]] += copies
            continue
        first = template.slots[0]
        for n in first[:MAX_PREFIXES]:
            counts[str(n)] += copies // length(first)
    return [head for head, _ in counts.most_common(MAX_PREFIXES)]


def _choose_rename(spec: _Lookup, names: Sequence[str]) -> Rename | None:
    """The prefix rule under which the most checkpoint names are spec names (None: as stored)."""
    candidates = [Rename(h, add=False) for h in _heads(names)] + [Rename(h, add=True) for h in _spec_heads(spec.tensors)]
    inside = [n in spec for n in names]
    best, best_score = None, sum(inside)
    as_stored = best_score
    find = spec.tensors.find  # renamed names are looked up once each: not kept
    for rule in candidates:
        if rule.add:
            score = as_stored + sum(1 for n, hit in zip(names, inside) if not hit and find(rule.apply(n)) is not None)
        else:  # only names with the prefix change
            head = f"{rule.prefix}."
            score = as_stored + sum(1 for n, hit in zip(names, inside)
                                    if not hit and n.startswith(head) and find(n[len(head):]) is not None)  # fmt: skip
        if score > best_score:
            best, best_score = rule, score
    return best


def _map_names(spec: _Lookup, stored: Sequence[TensorInfo], rename: Rename | None) -> dict[str, _Found]:
    """Spec name -> the checkpoint tensor that provides it (names as stored win over renamed ones), in spec order."""
    found: dict[str, _Found] = {}
    later: list[tuple[str, TensorInfo]] = []
    for info in stored:
        name = _modern(info.name)
        hit = spec.find(name)
        if hit is not None and name not in found:
            found[name] = (info, *hit)
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
