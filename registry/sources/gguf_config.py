"""GGUF architectures: how a GGUF file's metadata becomes a model, supplied by plugins.

A plugin registers a :class:`GgufArchitecture` per ``general.architecture`` value
through the ``register_gguf_architectures(register)`` hook. Its ``config`` builds a
Hugging Face ``config.json``-like dict from the file's metadata (read through a
:class:`GgufMetadata`, which names the key at fault), so that the model-type mapping
of that config builds the model; its ``tensor_name`` gives the checkpoint name
(``model.layers.0.self_attn.q_proj.weight``) of a GGUF tensor name
(``blk.0.attn_q.weight``), None for a tensor that is not a parameter. The core names
no architecture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry.checkpoints.files import short
from registry.checkpoints.gguf import GgufArray
from registry.checkpoints.tensors import Checkpoint, TensorInfo
from registry.errors import PluginError, SpecError

if TYPE_CHECKING:
    from registry.model import Model

__all__ = ["GgufArchitecture", "GgufMetadata", "gguf_architectures", "gguf_model", "gguf_tensors_as_checkpoint"]

REQUIRED = object()


class GgufMetadata:
    """A GGUF file's metadata and tensors, read by key; a missing or wrong value is a SpecError naming the key."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        self.path = checkpoint.path
        self.data = checkpoint.metadata
        self.tensors: dict[str, TensorInfo] = {t.name: t for t in checkpoint.tensors}
        arch = self.data.get("general.architecture")
        self.arch: str = arch if isinstance(arch, str) else ""

    def error(self, key: str, message: str) -> SpecError:
        """The SpecError for ``key``."""
        return SpecError(self.path, key, message)

    def has(self, key: str) -> bool:
        """Whether the file has ``key``."""
        return key in self.data

    def int(self, key: str, default: Any = REQUIRED, minimum: int = 1) -> Any:
        """An integer value of at least ``minimum`` (``default`` when absent; required without one)."""
        if key not in self.data:
            if default is REQUIRED:
                raise self.error(key, "required metadata key is missing")
            return default
        value = self.data[key]
        if isinstance(value, GgufArray):
            raise self.error(key, f"an array of {value.count} values (one per layer?) cannot be mapped to one "
                                  "hyper-parameter")  # fmt: skip
        if type(value) is not int or value < minimum:
            raise self.error(key, f"must be an integer of at least {minimum}, got {short(value)}")
        return value

    def float(self, key: str, default: Any = None) -> Any:
        """A number value (``default`` when absent)."""
        value = self.data.get(key, default)
        if value is not default and not isinstance(value, (int, float)):
            raise self.error(key, f"must be a number, got {short(value)}")
        return value

    def rows(self, tensor: str) -> int | None:
        """The outermost dimension of ``tensor`` (a vocabulary from ``token_embd.weight``), None if absent."""
        info = self.tensors.get(tensor)
        return info.shape[0] if info is not None and info.shape else None


@dataclass(frozen=True)
class GgufArchitecture:
    """The mapping of one GGUF ``general.architecture`` to a config.json-like dict and checkpoint names."""

    name: str
    config: Callable[[GgufMetadata], dict[str, Any]]
    tensor_name: Callable[[str], str | None]
    description: str = ""
    origin: str = field(default="", compare=False)


_cache: tuple[object, dict[str, GgufArchitecture], list[PluginError]] | None = None


def gguf_architectures() -> tuple[dict[str, GgufArchitecture], list[PluginError]]:
    """Every registered GGUF architecture by name, and the problems met registering them."""
    global _cache
    from registry.plugin_manager import _call_hook, get_plugin_manager

    pm = get_plugin_manager()
    key = (pm, len(pm.get_plugins()))  # a plugin registered in-process since: read the hook again
    if _cache is None or _cache[0] != key:
        found: dict[str, GgufArchitecture] = {}
        errors: list[PluginError] = []

        def record(label: str, item: object) -> None:
            if not isinstance(item, GgufArchitecture) or not callable(item.config) or not callable(item.tensor_name):
                errors.append(PluginError(label, f"register() was given {type(item).__name__}, not a GgufArchitecture"))
            elif item.name in found:
                errors.append(PluginError(label, f"GGUF architecture {item.name!r} is already mapped by "
                                                 f"{found[item.name].origin}; ignored"))  # fmt: skip
            else:
                found[item.name] = GgufArchitecture(item.name, item.config, item.tensor_name, item.description, label)

        _call_hook("register_gguf_architectures", record, errors)
        _cache = (key, found, errors)
    return _cache[1], _cache[2]


def _architecture(checkpoint: Checkpoint) -> tuple[GgufArchitecture, GgufMetadata]:
    meta = GgufMetadata(checkpoint)
    if not meta.arch:
        raise meta.error("general.architecture", "missing: which architecture the file holds is unknown")
    known, _ = gguf_architectures()
    if meta.arch not in known:
        raise meta.error("general.architecture", f"{short(meta.arch)} is not mapped by any installed plugin; mapped: "
                                                 f"{', '.join(sorted(known)) or 'none'}")  # fmt: skip
    return known[meta.arch], meta


def gguf_model(checkpoint: Checkpoint, *, strict: bool = False) -> Model:
    """The model a GGUF file's metadata describes, built by its architecture's mapping."""
    from registry.sources.hf_config import map_config, source_of
    from registry.model import Model, build_architecture
    from registry.plugin_manager import load_families

    arch, meta = _architecture(checkpoint)
    data = arch.config(meta)
    imported = map_config(data, checkpoint.path, strict=strict)
    params = load_families().get(imported.family).params.model_validate(imported.params)
    name = meta.data.get("general.name")
    return Model(
        name=name if isinstance(name, str) and name.strip() else checkpoint.path.rsplit("/", 1)[-1].removesuffix(".gguf"),
        architecture=build_architecture(imported.family, params),
        family=imported.family,
        params=params,
        source=source_of(checkpoint.path, imported) + f", from GGUF architecture {arch.name}",
        path=checkpoint.path,
        warnings=(
            *(str(e) for e in gguf_architectures()[1]),  # a faulty GGUF mapping plugin, named
            *(n for n in imported.notes if "architectures: not given" not in n),
        ),
    )


def gguf_tensors_as_checkpoint(checkpoint: Checkpoint) -> tuple[list[TensorInfo], list[str]]:
    """The tensors of a GGUF file under their checkpoint names, and the names of those that are not parameters."""
    arch, _ = _architecture(checkpoint)
    renamed: list[TensorInfo] = []
    skipped: list[str] = []
    for t in checkpoint.tensors:
        name = arch.tensor_name(t.name)
        if name is None:
            skipped.append(t.name)
        else:
            renamed.append(TensorInfo(name, t.dtype, t.shape, t.nbytes, t.overhead, (t.name,), t.flat))
    return renamed, skipped
