"""registry: exact parameter counts of neural-network architectures.

The public API (imported lazily, so that ``import registry`` stays fast)::

    import registry
    models = registry.load("specs/gpt2-xl.toml")     # -> list[Model]
    report = registry.count(models[0])                # -> Report
    report.total_params                               # 1557611200
    registry.count("llama-3.1-8b")                    # a path or catalogue name works too
    registry.count_flops(models[0]), registry.estimate_memory(models[0], "bf16", train=True)
    registry.chinchilla(models[0])                    # rows of `registry chinchilla --format json`
    m = registry.build_model("gpt", d_model=768, n_layers=12, n_heads=12)

Plugins need only ``registry``'s own names (:mod:`registry.contracts`: ``Family``, ``ModelType``,
``Mapped``, ``ConfigReader``, ``GgufArchitecture``, ``hookimpl``, ...) and the block kinds of
:mod:`registry.blocks`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"


def _plugins_from_checkout() -> None:
    """In a checkout run without an install (``python -m registry`` in its root), make
    ``registry.plugins`` (and ``registry.specs``) the checkout's ``plugins/`` (and ``specs/``),
    as an install would: the checkout's root joins this package's path. Only then: an
    installed wheel has ``registry/plugins/`` inside the package, an editable install maps
    the name through its own finder, and both are left as they are."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    if os.path.isdir(os.path.join(here, "plugins")) or not os.path.isfile(os.path.join(root, "plugins", "__init__.py")):
        return
    from importlib.util import find_spec

    if find_spec("registry.plugins") is None:
        __path__.append(root)  # type: ignore[name-defined]  # noqa: F821


_plugins_from_checkout()

_EXPORTS = {
    "load": "registry.sources.loading",
    "count": "registry.api",
    "count_flops": "registry.api",
    "estimate_memory": "registry.api",
    "chinchilla": "registry.api",
    "html_report": "registry.api",
    "tree": "registry.analyses.report",
    "iter_tensors": "registry.analyses.report",
    "Report": "registry.analyses.report",
    "LayerRow": "registry.analyses.report",
    "Model": "registry.model",
    "build_model": "registry.model",
    "Family": "registry.contracts",
    "CheckpointOnly": "registry.contracts",
    "CheckpointNames": "registry.contracts",
    "ModelType": "registry.contracts",
    "Mapped": "registry.contracts",
    "Params": "registry.contracts",
    "ConfigReader": "registry.contracts",
    "REQUIRED": "registry.contracts",
    "COMMON_SHAPE_FREE": "registry.contracts",
    "short_value": "registry.contracts",
    "GgufArchitecture": "registry.contracts",
    "GgufMetadata": "registry.contracts",
    "GgufArray": "registry.contracts",
    "Row": "registry.sources.rows",
    "Composite": "registry.sources.composite",
    "Tower": "registry.sources.composite",
    "SubConfig": "registry.sources.composite",
    "ImageRule": "registry.sources.images",
    "AudioRule": "registry.sources.audio",
    "ImageTokens": "registry.sources.images",
    "select_part": "registry.model",
    "Rule": "registry.sources.rows",
    "families": "registry.sources.loading",
    "family": "registry.sources.loading",
    "hookimpl": "registry.contracts",
    "RegistryError": "registry.errors",
    "SpecError": "registry.errors",
    "UnknownFamilyError": "registry.errors",
    "PluginError": "registry.errors",
    "blocks": "registry.blocks",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from registry import blocks
    from registry.errors import PluginError, RegistryError, SpecError, UnknownFamilyError
    from registry.contracts import (
        COMMON_SHAPE_FREE, REQUIRED, CheckpointNames, CheckpointOnly, ConfigReader, Family, GgufArchitecture, GgufArray, GgufMetadata,
        Mapped, ModelType, Params, hookimpl, short_value,
    )  # fmt: skip
    from registry.sources.rows import Row, Rule
    from registry.sources.images import ImageRule, ImageTokens
    from registry.sources.audio import AudioRule
    from registry.sources.loading import families, family, load
    from registry.model import Model, build_model
    from registry.api import chinchilla, count, count_flops, estimate_memory, html_report
    from registry.analyses.report import LayerRow, Report, iter_tensors, tree


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registry' has no attribute {name!r}")
    value = import_module(module) if name == "blocks" else getattr(import_module(module), name)
    globals()[name] = value
    return value
