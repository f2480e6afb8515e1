"""One generic registry of what plugins register (families, model types, GGUF architectures).

:class:`Registrations` writes the rules once for every kind: what a plugin hands over is
checked and recorded under the plugin that provided it, and a duplicate name is an error
naming both plugins. :mod:`registry.plugin_manager` loads the plugins and fills one
:class:`Registrations` per kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from registry.contracts import Family, GgufArchitecture, ModelType
from registry.errors import PluginError, UnknownFamilyError

__all__ = ["Registrations"]


T = TypeVar("T", Family, ModelType, GgufArchitecture)


class Registrations(Generic[T]):
    """What the loaded plugins registered of one kind (families, model types or GGUF
    architectures), by name, and the problems met while registering them.

    What a plugin hands over is checked (its class, then its own ``problem()``) and recorded
    as provided by that plugin (``registered_by``). A second registration of a name is an
    error naming both plugins, and the first stays; where ``built_ins_replaceable`` (model
    types: a user installs a plugin to be used), a third-party registration replaces a
    built-in one instead.
    """

    def __init__(self, kind: type[T], *, built_ins_replaceable: bool = False,
                 also: dict[type, Callable[[Any], T]] | None = None) -> None:  # fmt: skip
        self.kind = kind
        self.built_ins_replaceable = built_ins_replaceable
        self.also = also or {}  # other classes a plugin may hand over, each with its conversion to ``kind``
        self.items: dict[str, T] = {}
        self.errors: list[PluginError] = []
        self.fingerprints: dict[str, tuple[object, ...]] = {}  # the plugin code of each, as registered

    def register_from(self, plugin: str, item: object) -> None:
        """Record ``item`` as provided by ``plugin``; an invalid or duplicate one becomes an error."""
        convert = next((c for cls, c in self.also.items() if isinstance(item, cls)), None)
        if convert is not None:
            problem = item.problem()  # type: ignore[attr-defined]
            if problem:
                self.errors.append(PluginError(plugin, problem))
                return
            item = convert(item)
        if not isinstance(item, self.kind):
            self.errors.append(PluginError(plugin, f"register() was given {type(item).__name__}, not a registry.{self.kind.__name__}"))
            return
        item = cast(T, item)
        problem = item.problem()
        if problem:
            self.errors.append(PluginError(plugin, problem))
            return
        existing = self.items.get(item.name)
        if existing is not None:
            replaces = self.built_ins_replaceable and not _built_in(plugin) and _built_in(existing.origin)
            if not replaces:
                self.errors.append(PluginError(plugin, f"{item.what} {item.name!r} is already registered by "
                                                       f"{existing.origin}; ignored"))  # fmt: skip
                return
        recorded = self.items[item.name] = item.registered_by(plugin)
        self.fingerprints[item.name] = _fingerprint(recorded)

    def tampered(self, item: T) -> str | None:
        """What changed in ``item`` since it was registered (None: nothing): another object
        under its name, or its plugin code swapped (``Family.fingerprint``). A plugin cannot
        replace another's family, or its ``build``, silently."""
        if self.items.get(item.name) is not item:
            return f"{item.what} {item.name!r} is not the one registered by {item.origin}; refused"
        now, then = _fingerprint(item), self.fingerprints.get(item.name, ())
        if len(now) != len(then) or any(a is not b for a, b in zip(now, then)):
            return f"the code of {item.what} {item.name!r} was replaced after {item.origin} registered it; refused"
        return None

    def get(self, name: str) -> T | None:
        """What was registered as ``name``, or None."""
        return self.items.get(name)

    def close(self, name: str, cutoff: float = 0.6) -> list[str]:
        """The registered names closest to ``name`` (for a refusal's hint)."""
        import difflib  # imported when needed (start-up time)

        # difflib's ratio is at most 2 * len(a) / (len(a) + len(b)): a name far longer than every
        # registered one (a hostile 5 MB string) is close to none, and costs difflib seconds
        if len(name) > max(map(len, self.items), default=0) * (2 / cutoff - 1):
            return []
        return difflib.get_close_matches(name, list(self.items), n=3, cutoff=cutoff)

    def family(self, name: str) -> T:
        """The family called ``name``, or :class:`UnknownFamilyError` with the closest names."""
        found = self.items.get(name)
        if found is None:
            raise UnknownFamilyError(name, self.close(name, cutoff=0.5))
        return found


def _fingerprint(item: object) -> tuple[object, ...]:
    fingerprint = getattr(item, "fingerprint", None)
    return fingerprint() if fingerprint is not None else ()


def _built_in(origin: str) -> bool:
    return origin.startswith("built-in")
