"""How a checkpoint's names are read as a spec's, for :mod:`registry.checkpoints.verify`.

Each rule stated once:

* **a leading module prefix** on one side only (:class:`Rename`, chosen by
  :func:`choose_rename`): GPT-2 saved from ``GPT2LMHeadModel`` stores ``transformer.h.0…``
  where the spec says ``h.0…``;
* **buffers and old names** that the model's family declares (:func:`checkpoint_names`,
  :class:`registry.CheckpointNames` on the family: GPT-2's causal mask, BERT's
  ``position_ids`` and ``LayerNorm.gamma``, BART's ``final_logits_bias``, the rotary
  ``inv_freq`` of early LLaMA checkpoints; the regular-expression renames of checkpoints
  published under their authors' names), read by :func:`is_buffer` and :func:`modern`;
* **fused tensors** the family declares (``CheckpointNames.splits``): one stored tensor
  holding several spec tensors along its first dimension, named by :func:`split_parts`;
* **checkpoint-only tensors** the family declares (:func:`checkpoint_only`,
  :class:`registry.CheckpointOnly`), found by :func:`declared`.

No architecture's names are written here: they come from the plugins that map it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from registry.checkpoints import TensorInfo
from registry.checkpoints.runs import SpecTensors, length
from registry.contracts import CheckpointNames, CheckpointOnly
from registry.model import Model

__all__ = ["MAX_PREFIXES", "NOT_BUILT", "Rename", "checkpoint_names", "checkpoint_only", "choose_rename", "declared",
           "is_buffer", "modern", "split_parts"]  # fmt: skip

#: The start of the note of an ignored tensor that the model's family declares checkpoint-only.
NOT_BUILT = "in the checkpoint, not built by transformers"

#: How many of the commonest leading prefixes of each side are tried.
MAX_PREFIXES = 8


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


def checkpoint_only(model: Model) -> tuple[CheckpointOnly, ...]:
    """The checkpoint-only tensors ``model``'s family declares for its hyper-parameters (none without a family)."""
    if model.family is None or model.params is None:
        return ()
    from registry.contracts.families import declared_checkpoint_only
    from registry.plugin_manager import find_family, verified

    return declared_checkpoint_only(verified(find_family(model.family)), model.params)


def checkpoint_names(model: Model) -> CheckpointNames:
    """The buffers and old names ``model``'s family declares its checkpoints store (none without a family)."""
    if model.family is None:
        return CheckpointNames()
    from registry.plugin_manager import find_family

    return find_family(model.family).checkpoint_names or CheckpointNames()


def is_buffer(info: TensorInfo, names: CheckpointNames) -> bool:
    """Whether ``info`` is one of the buffers of ``names`` (by its name's suffix, dtype and shape)."""
    return any(info.name.endswith(suffix) and test(info.dtype, info.shape) for suffix, test in names.buffers)


def modern(name: str, names: CheckpointNames) -> str:
    """A checkpoint name with the old names of ``names`` replaced by the current ones (the renames in order,
    then the prefixes, then the suffixes)."""
    for pattern, new in names.renames:
        name = re.sub(pattern, new, name, count=1)
    for old, new in names.old_prefixes:
        if name.startswith(old):
            name = new + name[len(old):]
            break
    for old, new in names.old_names:
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


def split_parts(name: str, names: CheckpointNames) -> tuple[str, ...]:
    """The names of the spec tensors that the stored tensor ``name`` (as :func:`modern` reads it) holds one after
    another along its first dimension, by the first split of ``names`` whose pattern is in it (none: not fused)."""
    for pattern, parts in names.splits:
        if re.search(pattern, name):
            return tuple(re.sub(pattern, part, name) for part in parts)
    return ()


def declared(known: Sequence[CheckpointOnly], name: str, rename: Rename | None,
             current: str | None = None) -> CheckpointOnly | None:  # fmt: skip
    """The first declaration whose pattern matches ``name`` as stored, or ``current`` (the name with the family's old
    names replaced, :func:`modern`), each also under the prefix rule."""
    forms = (name,) if current is None or current == name else (name, current)
    names = forms if rename is None else (*forms, *(rename.apply(n) for n in forms))
    return next((k for k in known if any(fnmatchcase(n, k.pattern) for n in names)), None)


def heads(names: Iterable[str]) -> list[str]:
    """The commonest first segments of dotted names (names of one segment excluded)."""
    counts = Counter(n.split(".", 1)[0] for n in names if "." in n)
    return [head for head, _ in counts.most_common(MAX_PREFIXES)]


def _specheads(tensors: SpecTensors) -> list[str]:
    """:func:`heads` of the spec's names, each template weighed by its copies (not expanded).

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


def choose_rename(spec: Any, names: Sequence[str]) -> Rename | None:
    """The prefix rule under which the most checkpoint names are spec names (None: as stored)."""
    candidates = [Rename(h, add=False) for h in heads(names)] + [Rename(h, add=True) for h in _specheads(spec.tensors)]
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
