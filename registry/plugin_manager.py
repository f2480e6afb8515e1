"""The plugin manager: built-in families and third-party plugins, loaded once, lazily.

Built-in families are ordinary plugin modules named in :data:`DEFAULT_PLUGINS`.
Plugins register families (``register_families``) and Hugging Face model-type mappings
(``register_model_types``). Third-party plugins come from the entry-point group ``registry``; the environment
variable ``REGISTRY_PLUGINS`` limits which of them load (a comma-separated list of
entry-point names; empty loads none). A plugin that fails to import, raises in its
hook, or registers something invalid is reported as one :class:`PluginError` and
the others still load.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata

import pluggy

from registry import hookspecs
from registry.errors import PluginError
from registry.families import FamilyRegistry
from registry.model_types import ModelTypeRegistry

#: Dotted names of the built-in family plugins.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "registry.plugins.bert",
    "registry.plugins.gpt",
    "registry.plugins.chinchilla",
    "registry.plugins.moe_gpt",
    "registry.plugins.llama",
    "registry.plugins.deepseek",
    "registry.plugins.dbrx",
    "registry.plugins.arctic",
    "registry.plugins.nemotron",
    "registry.plugins.gguf_decoders",
    "registry.plugins.encoder_decoder",
    "registry.plugins.encoder_decoder_types",
    "registry.plugins.gpt_style",
    "registry.plugins.gpt_style_model_types",
    "registry.plugins.ssm",
    "registry.plugins.rwkv",
    "registry.plugins.encoder",
    "registry.plugins.encoder_types",
)

#: The entry-point group third-party plugins register under.
ENTRY_POINT_GROUP = "registry"

_pm: pluggy.PluginManager | None = None
_origins: dict[str, str] = {}
_load_errors: list[PluginError] = []
_registry: FamilyRegistry | None = None
_model_types: ModelTypeRegistry | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with every plugin loaded (built on first use)."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager("registry")
        pm.add_hookspecs(hookspecs)
        for dotted in DEFAULT_PLUGINS:
            module = importlib.import_module(dotted)
            pm.register(module, name=dotted)
            _origins[dotted] = "built-in"
        _load_entry_points(pm)
        _drop_misspelt_hooks(pm)
        _pm = pm
    return _pm


def _drop_misspelt_hooks(pm: pluggy.PluginManager) -> None:
    """pluggy ignores a hook implementation with no specification; report and unregister its plugin."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or repr(exc.plugin)
            hooks = [n for n, v in vars(exc.plugin).items() if hasattr(v, "registry_impl")] if hasattr(exc.plugin, "__dict__") else []
            unknown = [h for h in hooks if not hasattr(pm.hook, h) or h not in hookspecs.__dict__]
            _load_errors.append(PluginError(name, f"implements unknown hook(s) {', '.join(unknown) or '?'}; not loaded"))
            pm.unregister(exc.plugin)


def _allowed() -> set[str] | None:
    value = os.environ.get("REGISTRY_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    allowed = _allowed()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        dist = getattr(ep, "dist", None)
        origin = f"{dist.name} {dist.version}" if dist is not None else f"entry point {ep.name}"
        name = f"{ep.name} ({origin})"
        if pm.has_plugin(name):
            continue
        try:
            with isolated(name, _load_errors):
                plugin = ep.load()
                pm.register(plugin, name=name)
        except _PluginFailed as failed:  # a broken third-party plugin must not break the tool
            _load_errors.append(PluginError(name, f"failed to load: {failed.reason}"))
            continue
        _origins[name] = origin


class _PluginFailed(Exception):
    """Raised by :func:`isolated` in place of whatever a plugin raised; ``reason`` says what."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def isolated(plugin: str, errors: list[PluginError]) -> Iterator[None]:
    """Run plugin code so that nothing it does escapes into the tool's own output or control flow.

    Any exception, ``SystemExit`` and ``KeyboardInterrupt`` included, becomes
    :class:`_PluginFailed`; what the plugin prints on stdout is kept from the command's
    output (``--format json`` stays valid) and reported in one line, and each warning it
    issues becomes one :class:`PluginError` line instead of Python's multi-line warning.
    """
    captured = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stdout(captured):
                yield
        except BaseException as exc:  # noqa: BLE001 - a plugin's sys.exit() must not end the tool
            raise _PluginFailed(f"{type(exc).__name__}: {exc}") from None
        finally:
            printed = captured.getvalue()
            if printed:
                errors.append(PluginError(plugin, f"printed {len(printed):,} characters on stdout (not shown): {printed[:80]!r}"))
            for warning in caught:
                errors.append(PluginError(plugin, f"{warning.category.__name__}: {warning.message}"))


def load_families() -> FamilyRegistry:
    """Every registered family, with the errors met while loading plugins (cached)."""
    global _registry
    if _registry is None:
        get_plugin_manager()  # loads the plugins, recording their load errors first
        registry = FamilyRegistry()
        registry.errors.extend(_load_errors)
        _call_hook("register_families", registry.register_from, registry.errors)
        _registry = registry
    return _registry


def load_model_types() -> ModelTypeRegistry:
    """Every registered Hugging Face model type mapping, with the errors met (cached)."""
    global _model_types
    if _model_types is None:
        registry = ModelTypeRegistry()
        _call_hook(
            "register_model_types",
            lambda label, item: registry.register_from(label, item, built_in=label.startswith("built-in")),
            registry.errors,
        )
        _model_types = registry
    return _model_types


def plugin_errors() -> list[PluginError]:
    """Every problem met while loading plugins and running their hooks."""
    return [*load_families().errors, *load_model_types().errors]


def _call_hook(hook: str, record: Callable[[str, object], None], errors: list[PluginError]) -> None:
    """Call ``hook`` of every plugin in registration order with a ``register`` callback that
    hands each item to ``record(plugin label, item)``; a raising plugin becomes an error."""
    pm = get_plugin_manager()
    for impl in getattr(pm.hook, hook).get_hookimpls():
        plugin = impl.plugin_name
        origin = _origins.get(plugin, plugin)
        label = f"built-in ({plugin})" if origin == "built-in" else plugin

        def register(item: object, _label: str = label) -> None:
            record(_label, item)

        try:
            with isolated(label, errors):
                impl.function(register=register)
        except _PluginFailed as failed:  # reported, never fatal to other plugins
            errors.append(PluginError(label, f"{hook} raised {failed.reason}"))


def reset() -> None:
    """Forget loaded plugins (for tests that install or remove one)."""
    global _pm, _registry, _model_types
    _pm = None
    _registry = None
    _model_types = None
    _origins.clear()
    _load_errors.clear()


def register_plugin(plugin: object, name: str) -> None:
    """Register a plugin object (a module or class with hook implementations) in-process.

    For notebooks and tests: the families it registers are available at once, with
    ``name`` as their origin.
    """
    global _registry, _model_types
    pm = get_plugin_manager()
    pm.register(plugin, name=name)
    _origins[name] = name
    _registry = None
    _model_types = None
