"""The contract between the core and its plugins: what a plugin hands over, and what it is handed.

A plugin, built-in or third-party, imports these names from :mod:`registry` (and block
kinds from :mod:`registry.blocks`), never a core module:

* :data:`hookimpl` marks its hook implementations (the hooks: :mod:`registry.hookspecs`);
* :class:`Family` (with :class:`CheckpointOnly`, :class:`CheckpointNames`): an architecture family, handed to
  ``register_families``;
* :class:`ModelType` and :class:`Mapped`: a Hugging Face ``model_type`` mapped to a family,
  handed to ``register_model_types``; the mapping reads the config through a
  :class:`ConfigReader` (:data:`REQUIRED`, :data:`COMMON_SHAPE_FREE`, :func:`short_value`);
* :class:`GgufArchitecture`: a GGUF ``general.architecture`` mapped to a config, handed to
  ``register_gguf_architectures``; it reads the file through a :class:`GgufMetadata`
  (arrays come as :class:`GgufArray`).

Each registrable class knows how to check itself (``problem()``: what is wrong, or "")
and how to be recorded under the plugin that registered it (``registered_by()``); the
plugin manager keeps one registry for all of them. The package imports nothing of
``registry`` but the errors and :mod:`registry.text`: it is the bottom of the house. Its
modules: :mod:`~registry.contracts.families`, :mod:`~registry.contracts.model_types`,
:mod:`~registry.contracts.gguf`; this one re-exports them and holds the hook markers.
"""

from __future__ import annotations

import pluggy

from registry.contracts.families import CheckpointNames, CheckpointOnly, Family
from registry.contracts.gguf import GgufArchitecture, GgufArray, GgufMetadata
from registry.contracts.model_types import COMMON_SHAPE_FREE, REQUIRED, ConfigReader, Mapped, ModelType, Params
from registry.text import short_value

__all__ = [
    "COMMON_SHAPE_FREE", "CheckpointNames", "CheckpointOnly", "ConfigReader", "Family", "GgufArchitecture", "GgufArray", "GgufMetadata",
    "Mapped", "ModelType", "Params", "REQUIRED", "hookimpl", "hookspec", "short_value",
]  # fmt: skip

#: Marks a function of :mod:`registry.hookspecs` as a hook specification.
hookspec = pluggy.HookspecMarker("registry")
#: Marks a plugin's function as the implementation of a hook.
hookimpl = pluggy.HookimplMarker("registry")
