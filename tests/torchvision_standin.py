"""A stand-in for torchvision while timm is imported, for a machine whose torchvision does not load.

timm imports torchvision's image transforms when it is imported (``timm.data``), but building a model
(``timm.create_model``, what transformers' ``TimmWrapperModel`` does for Gemma 3n's vision tower) calls none of
them. The package index's torchvision 0.28.0 is built against CUDA torch and fails to load beside the CPU torch
2.13.0 these tests pin (``operator torchvision::nms does not exist``), and once installed it also breaks
transformers' own imports (``Gemma3nConfig``); so timm is installed without it (``pip install --no-deps
timm==1.0.31``: the ``reference`` extra cannot, as timm requires torchvision). Where torchvision is missing or
does not load, :func:`import_timm` imports timm with
every ``torchvision`` module replaced by an empty stand-in whose attributes are distinct placeholder classes
(``InterpolationMode.BILINEAR`` and ``.BICUBIC`` stay distinct, as timm's tables need), and takes the stand-in
away again afterwards: the counts come from timm's own model code, which never reaches torchvision.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterator
from typing import Any


class _PlaceholderMeta(type):
    """Placeholder classes: any attribute is a new placeholder of that name, calling one returns it."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        sub = _PlaceholderMeta(name, (cls,), {})
        setattr(cls, name, sub)
        return sub

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls

    def __iter__(cls) -> Any:
        return iter(())


class _Placeholder(metaclass=_PlaceholderMeta):
    """The root placeholder."""


class _StandInModule(types.ModuleType):
    """A torchvision module whose every public attribute is a placeholder."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        sub = _PlaceholderMeta(name, (_Placeholder,), {})
        setattr(self, name, sub)
        return sub


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds every ``torchvision`` module as a stand-in package."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name == "torchvision" or name.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module is its placeholders."""


def _forget(prefix: str) -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]


def import_timm() -> Any:
    """timm, imported as it is or, when its torchvision fails to load, with the stand-in; raises what
    ``import timm`` raises when timm itself is missing."""
    try:
        import timm

        return timm
    except ModuleNotFoundError as exc:
        if exc.name == "timm":
            raise
        failure: Exception = exc
    except (ImportError, RuntimeError, OSError) as exc:
        failure = exc
    missing = isinstance(failure, ModuleNotFoundError) and (failure.name or "").split(".")[0] == "torchvision"
    if not missing and not any("torchvision" in (frame.f_code.co_filename or "") for frame in _frames(failure)):
        raise failure
    _forget("timm")
    _forget("torchvision")
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    try:
        import timm

        return timm
    finally:
        sys.meta_path.remove(finder)
        _forget("torchvision")


@contextlib.contextmanager
def timm_backend() -> Iterator[None]:
    """transformers' ``requires_backends(..., "timm")`` satisfied while the block runs, once :func:`import_timm`
    has imported timm, and ``timm`` in transformers' ``modeling_timm_wrapper`` and ``modeling_timm_backbone``
    (DETR's timm backbones; transformers' own check, ``is_timm_available``, also asks for a torchvision it can
    load)."""
    from transformers.models.timm_backbone import modeling_timm_backbone as backbone
    from transformers.models.timm_wrapper import modeling_timm_wrapper as wrapper
    from transformers.utils import import_utils

    mapping = import_utils.BACKENDS_MAPPING
    saved = mapping["timm"]
    patched = [module for module in (wrapper, backbone) if not hasattr(module, "timm")]
    mapping["timm"] = (lambda: True, saved[1])
    for module in patched:  # each imports timm only where transformers' check passed when it was loaded
        module.timm = import_timm()
    try:
        yield
    finally:
        mapping["timm"] = saved
        for module in patched:
            del module.timm


def _frames(exc: BaseException) -> list[Any]:
    """The frames of ``exc``'s traceback."""
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


__all__ = ["import_timm", "timm_backend"]
