"""GGUF metadata to a model, through the GGUF architectures that plugins supply.

A plugin registers a :class:`~registry.contracts.GgufArchitecture` per ``general.architecture`` value
through the ``register_gguf_architectures(register)`` hook. Its ``config`` builds a
Hugging Face ``config.json``-like dict from the file's metadata (read through a
:class:`~registry.contracts.GgufMetadata`, which names the key at fault), so that the model-type mapping
of that config builds the model; its ``tensor_name`` gives the checkpoint name
(``model.layers.0.self_attn.q_proj.weight``) of a GGUF tensor name
(``blk.0.attn_q.weight``), None for a tensor that is not a parameter. The core names
no architecture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.checkpoints.tensors import Checkpoint, TensorInfo
from registry.contracts import GgufArchitecture, GgufMetadata, short_value
from registry.plugin_manager import find_family, load_gguf_architectures

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
    return known[meta.arch], meta


def gguf_model(checkpoint: Checkpoint, *, strict: bool = False) -> Model:
    """The model a GGUF file's metadata describes, built by its architecture's mapping."""
    from registry.model import Model, build_architecture
    from registry.sources.hf_config import map_config, source_of

    arch, meta = _architecture(checkpoint)
    data = arch.config(meta)
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
    renamed: list[TensorInfo] = []
    skipped: list[str] = []
    for t in checkpoint.tensors:
        name = arch.tensor_name(t.name)
        if name is None:
            skipped.append(t.name)
        else:
            renamed.append(TensorInfo(name, t.dtype, t.shape, t.nbytes, t.overhead, (t.name,), t.flat))
    return renamed, skipped
