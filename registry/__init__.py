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

Plugins need only ``from registry import Family, Mapped, ModelType, hookimpl``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "registry.sources.loading",
    "count": "registry.api",
    "count_flops": "registry.api",
    "estimate_memory": "registry.api",
    "chinchilla": "registry.api",
    "html_report": "registry.output.html_page",
    "tree": "registry.analyses.report",
    "iter_tensors": "registry.analyses.report",
    "Report": "registry.analyses.report",
    "LayerRow": "registry.analyses.report",
    "Model": "registry.model",
    "build_model": "registry.model",
    "Family": "registry.family",
    "CheckpointOnly": "registry.family",
    "ModelType": "registry.model_types",
    "Mapped": "registry.model_types",
    "families": "registry.sources.loading",
    "hookimpl": "registry.hookspecs",
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
    from registry.family import CheckpointOnly, Family
    from registry.model_types import Mapped, ModelType
    from registry.hookspecs import hookimpl
    from registry.sources.loading import families, load
    from registry.model import Model, build_model
    from registry.api import chinchilla, count, count_flops, estimate_memory
    from registry.output.html_page import html_report
    from registry.analyses.report import LayerRow, Report, iter_tensors, tree


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registry' has no attribute {name!r}")
    value = import_module(module) if name == "blocks" else getattr(import_module(module), name)
    globals()[name] = value
    return value
