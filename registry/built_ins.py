"""Built-in plugin modules loaded one at a time: start-up time.

Loading every plugin imports every family and every model type's row (about a hundred
modules). A spec names one family and a ``config.json`` one model type, so when no
third-party plugin is installed (nothing else could register that name or report an error)
:mod:`registry.plugin_manager` asks this module for the one built-in module that registers
it, from two maps kept in ``registry.plugins`` (beside ``BUILT_IN_MODULES``, every built-in module, which
:func:`built_in_modules` reads for loading them all):

- ``FAMILY_MODULES`` (``registry/plugins/__init__.py``): family -> module;
- ``MODEL_TYPE_MODULES`` and ``GGUF_MODULES`` (``registry/plugins/plugin_index.py``, written
  by ``scripts/generate_plugin_index.py``): Hugging Face model type or GGUF architecture -> module.

tests/test_cold_path.py keeps each map equal to what loading every plugin registers; a name
missing from a map (or a module that fails) makes the caller load every plugin instead, which
reports why. Only the item asked for is converted (a row becomes a model type when first
asked for), so one module's other rows cost nothing.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from registry.contracts import Family, GgufArchitecture, ModelType
from registry.contracts.guard import guarded
from registry.errors import PluginError, RegistryError
from registry.registrations import Registrations

__all__ = ["OneAtATime", "PluginFailed", "built_in_modules", "isolated", "index"]

#: The package holding the built-in plugins and their maps.
PLUGINS = "registry.plugins"
#: The generated module of the model-type and GGUF maps.
PLUGIN_INDEX = "registry.plugins.plugin_index"

T = TypeVar("T", Family, ModelType, GgufArchitecture)


class PluginFailed(Exception):
    """Raised by :func:`isolated` in place of whatever a plugin raised; ``reason`` says what."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def isolated(plugin: str, errors: list[PluginError]) -> Iterator[None]:
    """Run plugin code so that nothing it does escapes into the tool's own output or control flow
    (:func:`registry.contracts.guard.guarded`: stdout captured, a time limit, each warning one
    :class:`PluginError` line in ``errors``). Any exception, ``SystemExit`` and
    ``KeyboardInterrupt`` included, becomes :class:`PluginFailed`."""
    try:
        with guarded(plugin, "", errors):
            yield
    except PluginError as exc:
        raise PluginFailed(exc.message) from None
    except RegistryError as exc:  # a hook has no field to name: its refusal is its failure
        raise PluginFailed(f"raised {type(exc).__name__}: {exc}") from None


_indexes: dict[str, dict[str, str]] = {}  # the maps as first read (they are generated data: fixed for a process)


def index(name: str) -> dict[str, str]:
    """The map ``name`` (``FAMILY_MODULES``, ``MODEL_TYPE_MODULES`` or ``GGUF_MODULES``) of
    registered name -> built-in module; empty when the plugins ship without it."""
    found = _indexes.get(name)
    if found is None:
        try:
            module = importlib.import_module(PLUGINS if name == "FAMILY_MODULES" else PLUGIN_INDEX)
        except ImportError:
            return {}
        found = getattr(module, name, {})
        found = _indexes[name] = found if isinstance(found, dict) else {}
    return found


def built_in_modules() -> tuple[str, ...]:
    """The dotted names of every built-in plugin module (``BUILT_IN_MODULES`` of ``registry.plugins``), in the order
    they are registered; empty when the plugins are not installed."""
    try:
        module = importlib.import_module(PLUGINS)
    except ImportError:
        return ()
    found = getattr(module, "BUILT_IN_MODULES", ())
    return found if isinstance(found, tuple) else ()


class OneAtATime(Generic[T]):
    """What built-in modules imported one at a time registered through ``hook``, converted on
    request: :meth:`find` imports the module a map names for a name, runs its hook once, and
    converts only the item asked for (a :class:`~registry.Row` becomes a model type then)."""

    def __init__(self, hook: str, registrations: Callable[[], Registrations[T]]) -> None:
        self.hook = hook
        self.registrations = registrations()  # converted items and every problem met
        self.modules: set[str] = set()
        self.raw: dict[str, tuple[str, Any]] = {}  # name -> (plugin label, item as handed over)

    def find(self, dotted: str, name: str) -> T | None:
        """``name`` as the built-in module ``dotted`` registers it; None if it does not, or if
        anything failed (loading every plugin then reports why)."""
        if dotted not in self.modules:
            self.modules.add(dotted)
            self._run(dotted)
        if self.registrations.errors:
            return None
        found = self.registrations.get(name)
        if found is None and name in self.raw:
            label, item = self.raw.pop(name)
            self.registrations.register_from(label, item)
            found = None if self.registrations.errors else self.registrations.get(name)
        return found

    def _run(self, dotted: str) -> None:
        label = f"built-in ({dotted})"
        errors = self.registrations.errors
        try:
            hook = getattr(importlib.import_module(dotted), self.hook, None)
            if hook is None or not hasattr(hook, "registry_impl"):
                return
            with isolated(label, errors):
                hook(register=lambda item: self._keep(label, item))
        except Exception:  # noqa: BLE001 - reported by the full load
            errors.append(PluginError(label, "failed to load"))

    def _keep(self, label: str, item: object) -> None:
        name = getattr(item, "name", None)
        if isinstance(name, str) and name not in self.raw:
            self.raw[name] = (label, item)
        else:  # unnamed or twice: let the full load say what is wrong
            self.registrations.errors.append(PluginError(label, f"registered {name!r} twice or unnamed"))
