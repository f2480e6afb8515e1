"""Verify: match a model's tensors to a checkpoint's by name and shape, as plain data.

:func:`compare` puts every tensor of a spec's block tree next to the tensors a
checkpoint stores (:mod:`registry.checkpoint` reads them from headers alone) and
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
* **checkpoint-only tensors a family declares** (:class:`registry.families.CheckpointOnly`,
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
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from registry.checkpoint import TensorInfo
from registry.families import CheckpointOnly
from registry.model import Model
from registry.report import iter_tensors
from registry.tensors import Tensor

__all__ = ["BUFFERS", "NOT_BUILT", "Comparison", "Entry", "Rename", "checkpoint_only", "compare"]

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
    """One tensor of a comparison.

    ``name`` is the spec's name (the checkpoint's, for extra and ignored tensors),
    ``checkpoint`` the name stored in the checkpoint (None when absent), ``expected``
    the spec's shape and ``found`` the checkpoint's (None on the side that lacks
    it), ``note`` a hint such as ``transposed`` or ``tied to wte.weight``.
    """

    name: str
    checkpoint: str | None
    expected: tuple[int, ...] | None
    found: tuple[int, ...] | None
    note: str = ""


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

    def summary(self) -> str:
        """One line: ``N matched, M missing, K extra, J shape mismatches``."""
        return (f"{len(self.matched)} matched, {len(self.missing)} missing, {len(self.extra)} extra, "
                f"{len(self.mismatched)} shape mismatches")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``identical``, ``counts`` per outcome, ``rename``, then the entries of each."""
        data = asdict(self)
        counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
        return {"identical": self.identical, "counts": counts, "rename": data.pop("rename"), **data}


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
    the model's family declares, :func:`checkpoint_only`).
    """
    known = checkpoint_only(model) if known is None else tuple(known)
    spec = {t.path: t for t in iter_tensors(model.architecture)}
    stored: list[TensorInfo] = []
    ignored: list[Entry] = []
    for info in tensors:
        if info.name not in spec and _is_buffer(info):
            ignored.append(Entry(info.name, info.name, None, info.shape, "buffer"))
        else:
            stored.append(info)
    rename = _choose_rename(spec, [_modern(t.name) for t in stored])
    found = _map_names(spec, stored, rename)
    result = Comparison(ignored=ignored, rename=rename)
    claimed: set[str] = set()
    for name, tensor in spec.items():
        info = found.get(name)
        if info is None:
            continue
        claimed.add(info.name)
        entry = Entry(name, info.name, tensor.shape, info.shape)
        if _same_shape(info, tensor.shape):
            result.matched.append(entry)
        else:
            transposed = len(info.shape) == 2 and info.shape == tensor.shape[::-1]
            result.mismatched.append(Entry(name, info.name, tensor.shape, info.shape, "transposed" if transposed else ""))
    stored_groups = _tie_groups_stored(spec, found.keys())
    for name, tensor in spec.items():
        if name in found:
            continue
        partner = stored_groups.get(_tie_root(spec, name))
        if partner is not None and spec[partner].shape == tensor.shape:
            result.tied.append(Entry(name, None, tensor.shape, None, f"tied to {partner}, stored once"))
            continue
        result.missing.append(Entry(name, None, tensor.shape, None, f"tied to {tensor.tied_to}" if tensor.tied_to else ""))
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


def _is_buffer(info: TensorInfo) -> bool:
    return any(info.name.endswith(suffix) and test(info) for suffix, test in BUFFERS)


def _modern(name: str) -> str:
    """A checkpoint name with old parameter names replaced."""
    for old, new in OLD_NAMES:
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


def _heads(names: Iterable[str]) -> list[str]:
    """The commonest first segments of dotted names (names of one segment excluded)."""
    counts = Counter(n.split(".", 1)[0] for n in names if "." in n)
    return [head for head, _ in counts.most_common(MAX_PREFIXES)]


def _choose_rename(spec: dict[str, Tensor], names: Sequence[str]) -> Rename | None:
    """The prefix rule under which the most checkpoint names are spec names (None: as stored)."""
    candidates = [Rename(h, add=False) for h in _heads(names)] + [Rename(h, add=True) for h in _heads(spec)]
    best, best_score = None, sum(n in spec for n in names)
    for rule in candidates:
        score = sum(n in spec or rule.apply(n) in spec for n in names)
        if score > best_score:
            best, best_score = rule, score
    return best


def _map_names(spec: dict[str, Tensor], stored: Sequence[TensorInfo], rename: Rename | None) -> dict[str, TensorInfo]:
    """Spec name -> the checkpoint tensor that provides it (names as stored win over renamed ones)."""
    found: dict[str, TensorInfo] = {}
    later: list[tuple[str, TensorInfo]] = []
    for info in stored:
        name = _modern(info.name)
        if name in spec and name not in found:
            found[name] = info
        elif rename is not None:
            later.append((rename.apply(name), info))
    for name, info in later:
        if name in spec and name not in found:
            found[name] = info
    return found


def _tie_root(spec: dict[str, Tensor], name: str) -> str:
    """The tensor at the end of a chain of ties (the one that owns the storage)."""
    seen = {name}
    while (target := spec[name].tied_to) in spec and target not in seen:
        seen.add(target)
        name = target
    return name


def _tie_groups_stored(spec: dict[str, Tensor], present: Collection[str]) -> dict[str, str]:
    """Tie root -> a member of its group that the checkpoint stores, for groups that have one."""
    stored: dict[str, str] = {}
    for name in spec:
        if name in present:
            stored.setdefault(_tie_root(spec, name), name)
    return stored
