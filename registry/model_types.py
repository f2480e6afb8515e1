"""Model types: how a Hugging Face ``config.json`` of one ``model_type`` maps to a family.

A plugin hands :class:`ModelType` objects to the core through the
``register_model_types(register)`` hook, beside the families it registers. The core
owns the reading (:mod:`registry.sources.hf_config`): it resolves the class named in
``architectures``, gives the mapping a :class:`~registry.hf_reader.ConfigReader`, and
checks what the mapping returns with the family's own rules. The core names no model
type: every one comes from a plugin, built-in or third-party.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from registry.errors import PluginError

if TYPE_CHECKING:
    from registry.hf_reader import ConfigReader

#: A family hyper-parameter -> (the config field it comes from, its value; None: the family's default).
Params = dict[str, tuple[str, Any]]


@dataclass(frozen=True)
class Mapped:
    """What a mapping makes of one config: a family and its hyper-parameters.

    ``params`` maps each hyper-parameter to the config field it was read from and its
    value (None: the family's default), so that a family's validation error names the
    config's field. ``notes`` are lines worth telling the user (printed as warnings).
    """

    family: str
    params: Params
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelType:
    """The mapping of one Hugging Face ``model_type`` to a family.

    ``name`` is the ``model_type`` string of config.json. ``classes`` are the model
    classes the mapping handles (the names ``architectures`` may hold); the first is the
    usual language-model class, taken when a config has no ``architectures``.
    ``map(cfg, cls)`` reads the config through ``cfg`` (each read is recorded) for the
    class ``cls`` and returns a :class:`Mapped`. ``shape_free`` lists the fields of
    transformers' configuration class for this model type that change no shape;
    together with the fields ``map`` reads and the fields every configuration has
    (:data:`registry.sources.hf_config.COMMON_SHAPE_FREE`), they are every field transformers knows
    for it. Any other field of a config is not a field of this model type: it is
    ignored with a warning, or refused under ``--strict``. ``origin`` is set by the core
    to the plugin that registered it.
    """

    name: str
    classes: tuple[str, ...]
    map: Callable[[ConfigReader, str], Mapped]
    shape_free: frozenset[str] = frozenset()
    description: str = ""
    origin: str = field(default="", compare=False)


class ModelTypeRegistry:
    """The model types the loaded plugins registered, and the problems met while loading.

    A built-in mapping may be replaced by a third-party plugin's (the user installed it
    to be used; the report's source names it). Two third-party plugins mapping the same
    model type is an error naming both; the first stays. A mapping that fails other than by
    refusing a field (a plugin's bug) raises a :class:`PluginError` naming its plugin.
    """

    def __init__(self) -> None:
        self.model_types: dict[str, ModelType] = {}
        self.errors: list[PluginError] = []

    def register_from(self, plugin: str, model_type: object, built_in: bool = False) -> None:
        """Record ``model_type`` as provided by ``plugin``; invalid or duplicate ones become errors."""
        problem = _problem(model_type)
        if problem:
            self.errors.append(PluginError(plugin, problem))
            return
        model_type = cast(ModelType, model_type)
        existing = self.model_types.get(model_type.name)
        if existing is not None and (built_in or not existing.origin.startswith("built-in")):
            self.errors.append(
                PluginError(plugin, f"model type {model_type.name!r} is already mapped by {existing.origin}; ignored")
            )
            return
        self.model_types[model_type.name] = replace(
            model_type, origin=plugin, classes=tuple(model_type.classes), shape_free=frozenset(model_type.shape_free),
            map=_guarded(model_type.map, plugin, model_type.name),
        )  # fmt: skip

    def get(self, name: str) -> ModelType | None:
        """The mapping of ``name``, or None."""
        return self.model_types.get(name)

    def close(self, name: str) -> list[str]:
        """The registered model types closest to ``name`` (for a refusal's hint)."""
        import difflib  # imported when needed (start-up time)

        return difflib.get_close_matches(name, list(self.model_types), n=3, cutoff=0.6)


def _guarded(mapping: Callable[[ConfigReader, str], Mapped], plugin: str, name: str) -> Callable[[ConfigReader, str], Mapped]:
    """``mapping``, with any failure other than a registry error (a refusal naming a field)
    turned into a :class:`PluginError` naming ``plugin``: a broken mapping is one line, not a crash."""

    def guarded(cfg: ConfigReader, cls: str) -> Mapped:
        from registry.errors import RegistryError

        try:
            mapped = mapping(cfg, cls)
        except RegistryError:
            raise
        except BaseException as exc:  # a plugin's bug (sys.exit included), reported as the plugin's
            raise PluginError(plugin, f"the mapping of model_type {name!r} raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(mapped, Mapped):
            raise PluginError(plugin, f"the mapping of model_type {name!r} returned {type(mapped).__name__}, not a Mapped")
        return mapped

    guarded.__doc__ = mapping.__doc__
    return guarded


def _problem(model_type: object) -> str:
    if not isinstance(model_type, ModelType):
        return f"register() was given {type(model_type).__name__}, not a registry.ModelType"
    if not isinstance(model_type.name, str) or not model_type.name.strip():
        return "register() was given a model type with an empty name"
    classes = model_type.classes
    if isinstance(classes, str) or not classes or not all(isinstance(c, str) and c for c in classes):
        return f"model type {model_type.name!r}: classes must be a non-empty sequence of class names"
    if not callable(model_type.map):
        return f"model type {model_type.name!r}: map must be callable"
    shape_free = model_type.shape_free
    if isinstance(shape_free, str) or not all(isinstance(f, str) for f in shape_free):
        return f"model type {model_type.name!r}: shape_free must be a set of field names"
    return ""
