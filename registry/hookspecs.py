"""The plugin hooks of `registry`, and the markers a plugin needs.

A plugin is a module with functions decorated by :data:`hookimpl`::

    from registry import Family, hookimpl

    @hookimpl
    def register_families(register):
        register(Family(name="my-family", params=MyParams, build=build_my_family))

    @hookimpl
    def register_model_types(register):
        register(ModelType(name="my_type", classes=("MyForCausalLM", "MyModel"), map=map_my_type))
"""

from __future__ import annotations

from collections.abc import Callable

from registry.contracts import Family, GgufArchitecture, ModelType, hookimpl, hookspec

__all__ = ["hookimpl", "hookspec", "register_families", "register_gguf_architectures", "register_model_types"]


@hookspec
def register_families(register: Callable[[Family], None]) -> None:
    """Register architecture families: call ``register(Family(...))`` once per family.

    The core validates what it is given, records which plugin provided it, and
    refuses a family name that another plugin already registered.
    """


@hookspec
def register_model_types(register: Callable[[ModelType], None]) -> None:
    """Map Hugging Face model types to families: call ``register(ModelType(...))`` once per ``model_type``.

    The core validates what it is given and records which plugin provided it. A
    third-party mapping replaces a built-in one of the same ``model_type``; two
    third-party mappings of one ``model_type`` are an error naming both plugins.
    """


@hookspec
def register_gguf_architectures(register: Callable[[GgufArchitecture], None]) -> None:
    """Map GGUF architectures to models: call ``register(GgufArchitecture(...))`` once per ``general.architecture``.

    Most are rows of data: ``GgufArchitecture(name, model_type=..., classes=..., keys=..., tensors=...)``
    (metadata key -> config field, GGUF tensor -> checkpoint module; see :class:`registry.GgufArchitecture`),
    read by one interpreter. Written as code, ``GgufArchitecture(name, config, tensor_name)``: ``config(meta)`` returns a
    config.json-like dict (with ``model_type``) built from the file's metadata, read
    through ``meta.int(key)``, ``meta.float(key)``, ``meta.has(key)``, ``meta.rows(tensor)``
    (see :class:`registry.GgufMetadata`); the model-type
    mapping of that dict builds the model. ``tensor_name(gguf_name)`` returns the
    checkpoint name of a GGUF tensor (None: not a parameter). A second mapping of one
    architecture is an error naming both plugins; the first stays.
    """
