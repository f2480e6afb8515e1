"""What a plugin hands over for an architecture family: :class:`Family`, with the tensors
its published checkpoints hold beyond the model (:class:`CheckpointOnly`) and the names
they store some of the model's under (:class:`CheckpointNames`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from pydantic import BaseModel

__all__ = ["CheckpointNames", "CheckpointOnly", "Family", "code_of", "declared_checkpoint_only"]


@dataclass(frozen=True)
class CheckpointOnly:
    """Tensors a family's published checkpoints hold that the reference implementation does not build.

    ``pattern`` is a shell-style pattern (``fnmatch``: ``*`` matches any characters,
    dots included) over full tensor names as the family's specs name them, e.g.
    ``model.layers.61.*`` for a checkpoint's extra layer; ``reason`` says in a few
    words why the tensors are there and are not counted. ``registry verify`` lists a
    checkpoint tensor that matches as "in the checkpoint, not built by transformers:
    <reason>" instead of as an unexplained extra. ``mtp_block`` (optional) is the
    multi-token-prediction module those tensors form, as a block tree (a
    :class:`registry.blocks.Module`): the report counts it as ``mtp_params`` and
    ``count --include-mtp`` adds it to the totals, as published figures that include
    it do (DeepSeek-V3's 685B).
    """

    pattern: str
    reason: str
    mtp_block: Any = None


@dataclass(frozen=True)
class CheckpointNames:
    """Names under which a family's published checkpoints store what is not, or not quite, a
    tensor of its specs, for ``registry verify`` and ``registry count DIR``.

    ``buffers``: ``(suffix, test)`` pairs for tensors that are buffers, not parameters
    (GPT-2's causal mask ``.attn.bias``): a stored tensor no spec tensor is named as, whose
    name ends in ``suffix`` and for which ``test(dtype, shape)`` is true (``dtype`` as the
    header spells it, ``"F32"``, ``"I64"``), is listed as an ignored "buffer", not as extra.
    ``old_names``: ``(old, current)`` name suffixes; a stored name ending in ``old`` is read
    as ending in ``current`` (early BERT's ``.LayerNorm.gamma`` for ``.LayerNorm.weight``).
    ``old_prefixes``: ``(old, current)`` name prefixes, the first that matches applied before
    the suffixes (checkpoints saved by transformers 4's vision-language classes:
    ``language_model.model.`` for transformers 5's ``model.language_model.``).
    ``renames``: ``(pattern, replacement)`` regular expressions applied in order to every stored
    name (each with :func:`re.sub` at its first match, every rule to the result of the one before, as transformers'
    ``WeightRenaming`` does on loading), before the prefixes and suffixes: checkpoints published
    under their authors' own names (``layers.0.attn.wq_a.weight`` for ``layers.0.self_attn.q_a_proj.weight``).
    ``splits``: ``(pattern, parts)``: a stored name (after the renames and prefixes) in which
    ``pattern`` is found is one tensor holding several of the spec's, concatenated along the first
    dimension in the order of ``parts``, each part named by :func:`re.sub` of ``pattern`` by it
    (a fused ``wqkv.weight`` of ``(3 × d, d)`` for ``q_proj``, ``k_proj``, ``v_proj`` of ``(d, d)``,
    transformers' ``Chunk(dim=0)``).
    """

    buffers: tuple[tuple[str, Callable[[str, tuple[int, ...]], bool]], ...] = ()
    old_names: tuple[tuple[str, str], ...] = ()
    old_prefixes: tuple[tuple[str, str], ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    splits: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Family:
    """An architecture family.

    ``name`` is what specs write in ``family = ...``; ``params`` the pydantic model of
    its hyper-parameters (frozen, unknown keys forbidden, each field documented);
    ``build`` turns validated hyper-parameters into a block tree (a
    :class:`registry.blocks.Module`); ``description`` one line for ``registry
    families``; ``checkpoint_only`` (optional) maps validated hyper-parameters to the
    :class:`CheckpointOnly` tensors that the family's published checkpoints hold but
    the reference implementation does not build (a multi-token-prediction layer, a
    router buffer), for ``registry verify``; ``checkpoint_names`` (optional) the buffers
    and old names its checkpoints store (:class:`CheckpointNames`); ``origin`` is set by
    the core to the plugin that registered it.
    """

    name: str
    params: type[BaseModel]
    build: Callable[[Any], Any]
    description: str = ""
    checkpoint_only: Callable[[Any], Sequence[CheckpointOnly]] | None = None
    checkpoint_names: CheckpointNames | None = None
    origin: str = field(default="", compare=False)

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "family"

    def problem(self) -> str:
        """What is wrong with this family as a registration ("" when nothing)."""
        return _family_problem(self)

    def registered_by(self, plugin: str) -> Family:
        """This family, recorded as provided by ``plugin``."""
        return replace(self, origin=plugin)

    def fingerprint(self) -> tuple[object, ...]:
        """The plugin code this family runs, each function with its code object: the registry
        records it at registration and checks it at use (a build swapped afterwards is refused)."""
        return code_of(self.build, self.checkpoint_only)


def code_of(*functions: object) -> tuple[object, ...]:
    """Each of ``functions`` with its code object (None for a callable without one)."""
    return tuple(x for f in functions for x in (f, getattr(f, "__code__", None)))


def _family_problem(family: object) -> str:
    if not isinstance(family, Family):
        return f"register() was given {type(family).__name__}, not a registry.Family"
    if not isinstance(family.name, str) or not family.name.strip():
        return "register() was given a family with an empty name"
    if not (isinstance(family.params, type) and issubclass(family.params, BaseModel)):
        return f"family {family.name!r}: params must be a pydantic model class"
    if not callable(family.build):
        return f"family {family.name!r}: build must be callable"
    if family.checkpoint_only is not None and not callable(family.checkpoint_only):
        return f"family {family.name!r}: checkpoint_only must be callable (or None)"
    if family.checkpoint_names is not None and not isinstance(family.checkpoint_names, CheckpointNames):
        return f"family {family.name!r}: checkpoint_names must be a registry.CheckpointNames (or None)"
    if family.checkpoint_names is not None:
        return _names_problem(family.name, family.checkpoint_names)
    return ""


def _names_problem(name: str, names: CheckpointNames) -> str:
    """What is wrong with the regular expressions of ``names`` ("" when nothing)."""
    try:
        rules = [(pattern, (new,)) for pattern, new in names.renames] + [(p, tuple(parts)) for p, parts in names.splits]
    except (TypeError, ValueError):
        return f"family {name!r}: checkpoint_names: renames are (pattern, replacement) pairs, splits (pattern, parts)"
    for pattern, replacements in rules:
        try:
            compiled = re.compile(pattern)
            groups = ["()"] * compiled.groups
            for group, index in compiled.groupindex.items():
                groups[index - 1] = f"(?P<{group}>)"
            empty = re.compile("".join(groups)).match("")
            assert empty is not None
            for new in replacements:
                empty.expand(new)  # a reference to a group the pattern lacks is refused here, not at use
        except (re.error, TypeError, IndexError) as error:
            return f"family {name!r}: checkpoint_names: the rule {pattern!r} is refused: {error}"
    for pattern, parts in rules[len(names.renames):]:
        if not parts:
            return f"family {name!r}: checkpoint_names: the split {pattern!r} names no parts"
    return ""


def declared_checkpoint_only(family: Family, params: Any) -> tuple[CheckpointOnly, ...]:
    """What ``family``'s ``checkpoint_only`` declares for ``params`` (none without one), run as
    plugin code (:mod:`registry.contracts.guard`) and checked: CheckpointOnly items with text
    patterns and reasons, else a PluginError naming the plugin."""
    declare = family.checkpoint_only
    if declare is None:
        return ()
    from registry.contracts.guard import call
    from registry.errors import PluginError

    what = f"family {family.name!r} checkpoint_only()"
    found = call(family.origin, what, lambda: tuple(declare(params)))
    for item in found:
        if not isinstance(item, CheckpointOnly) or not isinstance(item.pattern, str) or not isinstance(item.reason, str):
            raise PluginError(family.origin, f"{what} returned {type(item).__name__}, not a CheckpointOnly with "
                                             "a text pattern and reason")  # fmt: skip
    return found
