"""Families: named architectures with validated hyper-parameters and a builder.

A family is what a spec's ``family = "gpt"`` refers to. Plugins hand families to the
core through the ``register_families(register)`` hook; the core checks each one,
records which plugin provided it, and keeps the first of two with the same name
(the second is reported as an error naming both plugins).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from pydantic import BaseModel

from registry.errors import PluginError, UnknownFamilyError


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
class Family:
    """An architecture family.

    ``name`` is what specs write in ``family = ...``; ``params`` the pydantic model of
    its hyper-parameters (frozen, unknown keys forbidden, each field documented);
    ``build`` turns validated hyper-parameters into a block tree (a
    :class:`registry.blocks.Module`); ``description`` one line for ``registry
    families``; ``checkpoint_only`` (optional) maps validated hyper-parameters to the
    :class:`CheckpointOnly` tensors that the family's published checkpoints hold but
    the reference implementation does not build (a multi-token-prediction layer, a
    router buffer), for ``registry verify``; ``origin`` is set by the core to the
    plugin that registered it.
    """

    name: str
    params: type[BaseModel]
    build: Callable[[Any], Any]
    description: str = ""
    checkpoint_only: Callable[[Any], Sequence[CheckpointOnly]] | None = None
    origin: str = field(default="", compare=False)


class FamilyRegistry:
    """The families the loaded plugins registered, and the problems met while loading."""

    def __init__(self) -> None:
        self.families: dict[str, Family] = {}
        self.errors: list[PluginError] = []

    def register_from(self, plugin: str, family: object) -> None:
        """Record ``family`` as provided by ``plugin``; invalid or duplicate ones become errors."""
        problem = _problem(family)
        if problem:
            self.errors.append(PluginError(plugin, problem))
            return
        family = cast(Family, family)  # _problem() checked the type
        existing = self.families.get(family.name)
        if existing is not None:
            self.errors.append(
                PluginError(plugin, f"family {family.name!r} is already registered by {existing.origin}; ignored")
            )
            return
        self.families[family.name] = replace(family, origin=plugin)

    def get(self, name: str) -> Family:
        """The family called ``name``, or :class:`UnknownFamilyError` with the closest names."""
        try:
            return self.families[name]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(name, list(self.families), n=3, cutoff=0.5)
            raise UnknownFamilyError(name, close) from None


def _problem(family: object) -> str:
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
    return ""
