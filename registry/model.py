"""Model: one architecture ready to count: its block tree and what a spec says of it.

Build one in code with :func:`build_model` (a family and its hyper-parameters), or
from a spec file with :func:`registry.load`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from registry.blocks import BlockBase, Module
from registry.blocks.base import trusted_blocks
from registry.errors import PluginError, SpecError
from registry.plugin_manager import find_family
from registry.blocks.tree_check import tree_problem


@dataclass(frozen=True)
class Model:
    """A named architecture: its block tree (``architecture``) and its provenance.

    ``family`` and ``params`` (the validated hyper-parameters) are None for a spec
    that composes blocks directly. ``reported_params`` is the published figure the
    spec cites, ``training_tokens`` the published training-set size, ``path`` the
    spec file the model came from. ``ignored_fields`` are fields of a config.json that
    transformers does not know for its model type (its model never reads them);
    ``warnings`` are lines the command line prints on stderr. ``images``: how the model's images
    become tokens (:class:`registry.sources.images.ImageInputs`, from a composite config; None: none known);
    ``audio``: how its audio becomes encoder positions (:class:`registry.sources.audio.AudioInputs`; None: none known).
    """

    name: str
    architecture: Module
    family: str | None = None
    params: BaseModel | None = None
    source: str | None = None
    reported_params: int | None = None
    training_tokens: int | None = None
    notes: str | None = None
    path: str | None = None
    ignored_fields: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    images: Any = None
    audio: Any = None


def build_architecture(family_name: str, params: BaseModel) -> Module:
    """Run a family's builder on validated hyper-parameters and check what it returns.

    The builder runs as plugin code (:mod:`registry.contracts.guard`: output captured, a time
    limit, a failure one :class:`PluginError` naming the plugin), once the family is checked
    to be the one registered, its code unchanged (:func:`registry.plugin_manager.verified`).
    A tree from a third-party family is checked like user input
    (:func:`registry.blocks.strict.untrusted_problem`); the built-in families' are tested
    against their reference implementations and trusted.
    """
    from registry.contracts.guard import guarded
    from registry.plugin_manager import verified

    family = verified(find_family(family_name))
    what = f"family {family_name!r} build()"
    third_party = not family.origin.startswith("built-in")
    with guarded(family.origin, what):
        try:
            with trusted_blocks():  # built from validated hyper-parameters: not validated again
                tree = family.build(params)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
            raise PluginError(family.origin, f"family {family_name!r} built an invalid block ({where}): {first['msg']}") from None
        if isinstance(tree, BlockBase) and not isinstance(tree, Module):
            tree = Module(blocks=[tree])
        if not isinstance(tree, Module):
            raise PluginError(family.origin, f"{what} returned {type(tree).__name__}, not a block")
        if third_party:
            from registry.blocks.strict import untrusted_problem

            found = untrusted_problem(tree)
            if found is not None:
                raise PluginError(family.origin, f"family {family_name!r} built a bad model: {found}")
    problem = tree_problem(tree)
    if problem is not None:
        raise PluginError(family.origin, f"family {family_name!r} built a bad model: {problem.message}")
    return tree


def build_model(family: str, name: str | None = None, **hyper_parameters: Any) -> Model:
    """Validate ``hyper_parameters`` for ``family`` and build the model.

    >>> build_model("gpt", d_model=768, n_layers=12, n_heads=12).name
    'gpt'

    Raises :class:`registry.errors.UnknownFamilyError` for an unknown family and
    :class:`registry.errors.SpecError` (location ``params.<field>``) for invalid values.
    """
    fam = find_family(family)
    try:
        params = fam.params.model_validate(hyper_parameters)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in ("params", *first["loc"]))
        raise SpecError(f"<{family} hyper-parameters>", field, first["msg"]) from None
    return Model(name=name or family, architecture=build_architecture(family, params), family=family, params=params)


def select_part(model: Model, part: str) -> Model:
    """One part of a composite model alone (``"text"``, ``"vision"``, ``"audio"``, ``"projector"``): its
    block tree keeps only that part's groups, their tensors named as in the whole model.

    Raises :class:`registry.errors.SpecError` when ``model`` has no such part (naming those it has).
    """
    from dataclasses import replace

    from registry.blocks.parts import only_part, part_names

    names = part_names(model.architecture)
    if part not in names:
        has = f"its parts are {', '.join(names)}" if names else "it is not a composite model (it has no parts)"
        raise SpecError(model.path or model.name, "part", f"{model.name} has no part {part!r}: {has}")
    tree = only_part(model.architecture, part)
    return replace(model, name=f"{model.name} ({part})", architecture=tree, reported_params=None)
