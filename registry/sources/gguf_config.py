"""GGUF metadata to a model, through the GGUF architectures that plugins supply.

A plugin registers a :class:`~registry.contracts.GgufArchitecture` per ``general.architecture`` value
through the ``register_gguf_architectures(register)`` hook: most are rows of data, read by
:mod:`registry.sources.gguf_rows`; one written as code has a ``config`` that builds a
Hugging Face ``config.json``-like dict from the file's metadata (read through a
:class:`~registry.contracts.GgufMetadata`, which names the key at fault), so that the model-type mapping
of that config builds the model; its ``tensor_name`` gives the checkpoint name
(``model.layers.0.self_attn.q_proj.weight``) of a GGUF tensor name
(``blk.0.attn_q.weight``), None for a tensor that is not a parameter. The core names
no architecture. Both run as plugin code (:mod:`registry.contracts.guard`), and what they
return is checked: a dict with text keys, text or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.checkpoints.tensors import Checkpoint, TensorInfo
from registry.contracts import GgufArchitecture, GgufMetadata, short_value
from registry.contracts.guard import call, guarded
from registry.errors import PluginError
from registry.sources.gguf_rows import row_config, row_tensors
from registry.plugin_manager import find_family, load_gguf_architectures, verified

if TYPE_CHECKING:
    from registry.model import Model

__all__ = ["gguf_model", "gguf_tensors_as_checkpoint", "metadata_of"]


def metadata_of(checkpoint: Checkpoint) -> GgufMetadata:
    """The metadata reader a GGUF architecture's ``config`` is handed, for ``checkpoint``."""
    return GgufMetadata(checkpoint.path, checkpoint.metadata, {t.name: t.shape for t in checkpoint.tensors})


def _architecture(checkpoint: Checkpoint) -> tuple[GgufArchitecture, GgufMetadata]:
    meta = metadata_of(checkpoint)
    if not meta.arch:
        raise meta.error("general.architecture", "missing: which architecture the file holds is unknown")
    known = load_gguf_architectures().items
    if meta.arch not in known:
        raise meta.error("general.architecture", f"{short_value(meta.arch)} is not mapped by any installed plugin; "
                                                 f"mapped: {', '.join(sorted(known)) or 'none'}")  # fmt: skip
    return verified(known[meta.arch]), meta


def _config(arch: GgufArchitecture, meta: GgufMetadata) -> dict[str, Any]:
    """``arch.config(meta)`` run as plugin code, its result checked like a config.json: an object with text keys."""
    if arch.is_row:
        data = call(arch.origin, f"GGUF architecture {arch.name!r} rule()", row_config, arch, meta)
    else:
        data = call(arch.origin, f"GGUF architecture {arch.name!r} config()", arch.config, meta)
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise PluginError(arch.origin, f"GGUF architecture {arch.name!r} config() returned {type(data).__name__}, "
                                       "not a dict with text keys")  # fmt: skip
    return data


def gguf_model(checkpoint: Checkpoint, *, strict: bool = False) -> Model:
    """The model a GGUF file's metadata describes, built by its architecture's mapping."""
    from registry.model import Model, build_architecture
    from registry.sources.hf_config import map_config, source_of

    arch, meta = _architecture(checkpoint)
    data = _config(arch, meta)
    imported = map_config(data, checkpoint.path, strict=strict)
    params = find_family(imported.family).params.model_validate(imported.params)
    name = meta.data.get("general.name")
    return Model(
        name=name if isinstance(name, str) and name.strip() else checkpoint.path.rsplit("/", 1)[-1].removesuffix(".gguf"),
        architecture=build_architecture(imported.family, params),
        family=imported.family,
        params=params,
        source=source_of(checkpoint.path, imported) + f", from GGUF architecture {arch.name}",
        path=checkpoint.path,
        warnings=(
            *(str(e) for e in load_gguf_architectures().errors),  # a faulty GGUF mapping plugin, named
            *(n for n in imported.notes if "architectures: not given" not in n),
        ),
    )


def gguf_tensors_as_checkpoint(checkpoint: Checkpoint) -> tuple[list[TensorInfo], list[str]]:
    """The tensors of a GGUF file under their checkpoint names, and the names of those that are not parameters."""
    arch, _ = _architecture(checkpoint)
    if arch.is_row:
        return row_tensors(arch, list(checkpoint.tensors), checkpoint.path)
    renamed: list[TensorInfo] = []
    skipped: list[str] = []
    what = f"GGUF architecture {arch.name!r} tensor_name()"
    with guarded(arch.origin, what):  # once for all tensors: a file may hold thousands
        names = [arch.tensor_name(t.name) for t in checkpoint.tensors]
    for t, name in zip(checkpoint.tensors, names):
        if name is not None and not isinstance(name, str):
            raise PluginError(arch.origin, f"{what} returned {type(name).__name__} for {short_value(t.name)}, not text or None")
        if name is None:
            skipped.append(t.name)
        else:
            renamed.append(TensorInfo(name, t.dtype, t.shape, t.nbytes, t.overhead, (t.name,), t.flat))
    return renamed, skipped
