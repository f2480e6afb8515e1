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
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from registry.families import Family
    from registry.model_types import ModelType

#: Marks a function of this module as a hook specification.
hookspec = pluggy.HookspecMarker("registry")
#: Marks a plugin's function as the implementation of a hook.
hookimpl = pluggy.HookimplMarker("registry")


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
