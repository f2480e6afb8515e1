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

import copy

from typing import TYPE_CHECKING, Any

from registry.checkpoints.tensors import Checkpoint, TensorInfo
from registry.contracts import GgufArchitecture, GgufMetadata, short_value
from registry.contracts.guard import call, guarded
from registry.errors import PluginError, SpecError
from registry.sources.gguf_rows import merge_fields, row_config, row_tensors
from registry.plugin_manager import find_family, find_gguf_architecture, gguf_architecture_errors, load_gguf_architectures, verified

if TYPE_CHECKING:
    from registry.model import Model

__all__ = ["gguf_model", "gguf_pair_model", "gguf_tensors_as_checkpoint", "metadata_of"]


def metadata_of(checkpoint: Checkpoint) -> GgufMetadata:
    """The metadata reader a GGUF architecture's ``config`` is handed, for ``checkpoint``."""
    return GgufMetadata(checkpoint.path, checkpoint.metadata, {t.name: t.shape for t in checkpoint.tensors})


def _architecture(checkpoint: Checkpoint) -> tuple[GgufArchitecture, GgufMetadata]:
    meta = metadata_of(checkpoint)
    if not meta.arch:
        raise meta.error("general.architecture", "missing: which architecture the file holds is unknown")
    found = find_gguf_architecture(meta.arch)
    if found is not None:
        return verified(found), meta
    known = load_gguf_architectures().items
    rows = {name.split("/", 1)[1]: a for name, a in known.items()
            if a.architecture == meta.arch and "/" in name and a.selected_by}  # fmt: skip
    if not rows:
        mapped = sorted({a.architecture for a in known.values()})
        raise meta.error("general.architecture", f"{short_value(meta.arch)} is not mapped by any installed plugin; "
                                                 f"mapped: {', '.join(mapped) or 'none'}")  # fmt: skip
    keys = next(iter(rows.values())).selected_by
    key = next((k for k in keys if k in meta.data), keys[0])
    value = meta.data.get(key)
    if not isinstance(value, str) or value not in rows:
        said = "missing" if value is None else f"{short_value(value)} is not mapped by any installed plugin"
        raise meta.error(key, f"{said}; mapped {meta.arch} types: {', '.join(sorted(rows))}")
    return verified(rows[value]), meta


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
    """The model a GGUF file's metadata describes, built by its architecture's mapping (of an mmproj file:
    the parts it holds, its vision tower and projector)."""
    arch, meta = _architecture(checkpoint)
    data = _config(arch, meta)
    name = meta.data.get("general.name")
    name = name if isinstance(name, str) and name.strip() else checkpoint.path.rsplit("/", 1)[-1].removesuffix(".gguf")
    return _model(data, checkpoint.path, name, f"GGUF architecture {arch.name}", arch.parts, strict, meta.notes)


def _model(data: dict[str, Any], path: str, name: str, source: str, parts: tuple[str, ...], strict: bool,
           notes: list[str]) -> Model:  # fmt: skip
    """The model of config ``data`` (only ``parts`` of a composite, when given); ``notes``: the rules' lines."""
    from registry.model import Model, build_architecture
    from registry.sources.hf_config import map_config, source_of

    imported = map_config(data, path, strict=strict)
    values = dict(imported.params)
    if parts:
        values["parts"] = [p for p in values["parts"] if p["part"] in parts]
        source += f" (the {' and '.join(parts)} part{'s' if len(parts) > 1 else ''}: the file holds no other)"
    params = find_family(imported.family).params.model_validate(values)
    return Model(
        name=name,
        architecture=build_architecture(imported.family, params),
        family=imported.family,
        params=params,
        source=source_of(path, imported) + f", from {source}",
        path=path,
        warnings=(
            *(str(e) for e in gguf_architecture_errors()),  # a faulty GGUF mapping plugin, named
            *(n for n in imported.notes if "architectures: not given" not in n),
            *(f"{path}: {line}" for line in notes),
        ),
    )


def _pair_config(checkpoint: Checkpoint) -> tuple[dict[str, Any], str, list[str]]:
    """The composite config of a folder's language-model GGUF and the mmproj GGUF that completes it
    (``checkpoint.files``), where it comes from and the rules' notes; refused when the mmproj does not complete
    that model."""
    text, mmproj = checkpoint.files
    text_arch, text_meta = _architecture(text)
    arch, meta = _architecture(mmproj)
    if text_arch.architecture not in arch.completes:
        goes = f"it completes {', '.join(arch.completes)}" if arch.completes else "it completes no language model"
        raise SpecError(checkpoint.path, "", f"{_name(mmproj)} ({arch.name}) does not go with {_name(text)} "
                        f"(general.architecture {short_value(text_meta.arch)}): {goes}")  # fmt: skip
    data = _config(arch, meta)
    text_config = _config(text_arch, text_meta)
    text_config.pop("architectures", None)
    width, own = data.get("text_config", {}).get("hidden_size"), text_config.get("hidden_size")
    if width is not None and own is not None and width != own:  # the projector maps to another model's width
        raise SpecError(checkpoint.path, "", f"{_name(mmproj)} ({arch.name}) projects to width {width} "
                        f"(clip.vision.projection_dim), {_name(text)} is {own} wide: they are not one model's")  # fmt: skip
    for ignored in arch.text_ignores.get(text_arch.architecture, ()):  # fields the composite's text type has not
        if ignored != "tie_word_embeddings":  # that one moves to the top level (below)
            text_config.pop(ignored, None)
    if arch.text_model_type:  # read as the composite's own language-model type (shapes the same)
        text_config["model_type"] = arch.text_model_type
    data["text_config"] = text_config
    if "tie_word_embeddings" in text_config:  # the composite's top-level field ties the language model's head
        data["tie_word_embeddings"] = text_config["tie_word_embeddings"]
        if "tie_word_embeddings" in arch.text_ignores.get(text_arch.architecture, ()):
            del text_config["tie_word_embeddings"]
    # the composite this pair makes, when not the row's own (a deep copy: the row's data stays as registered)
    merge_fields(data, copy.deepcopy(dict(arch.completes_as.get(text_arch.architecture, {}))))
    notes = [f"{_name(text)}: {n}" for n in text_meta.notes] + [f"{_name(mmproj)}: {n}" for n in meta.notes]
    return data, f"GGUF architectures {text_arch.name} ({_name(text)}) and {arch.name} ({_name(mmproj)})", notes


def _name(checkpoint: Checkpoint) -> str:
    return checkpoint.path.replace("\\", "/").rsplit("/", 1)[-1]


def gguf_pair_model(checkpoint: Checkpoint, *, strict: bool = False) -> Model:
    """The whole composite model of a folder holding a language-model GGUF and its mmproj GGUF
    (``checkpoint.files``: the two, as :func:`registry.checkpoints.gguf.read_gguf_pair` reads them)."""
    data, source, notes = _pair_config(checkpoint)
    name = checkpoint.files[0].metadata.get("general.name")
    name = name if isinstance(name, str) and name.strip() else checkpoint.path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return _model(data, checkpoint.path, name, source, (), strict, notes)


def gguf_tensors_as_checkpoint(checkpoint: Checkpoint) -> tuple[list[TensorInfo], list[str]]:
    """The tensors of a GGUF file under their checkpoint names, and the names of those that are not parameters.

    A folder's pair of files (``checkpoint.files``): the mmproj's tensors under the composite's names, the
    language model's placed where the composite puts its text part (``model.language_model.``)."""
    if checkpoint.files:
        return _pair_tensors(checkpoint)
    arch, meta = _architecture(checkpoint)
    if arch.is_row:
        return row_tensors(arch, list(checkpoint.tensors), checkpoint.path, meta)
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


def _pair_tensors(checkpoint: Checkpoint) -> tuple[list[TensorInfo], list[str]]:
    """The tensors of a folder's pair of GGUF files under the composite model's names."""
    from registry.sources.hf_config import map_config

    data, _, _ = _pair_config(checkpoint)
    text_part = next(p for p in map_config(data, checkpoint.path).params["parts"] if p["part"] == "text")
    path, moves = text_part.get("path", ""), text_part.get("moves", {})

    def place(name: str) -> str:
        head, _, rest = name.partition(".")
        return f"{moves[head]}.{rest}" if head in moves and rest else f"{path}.{name}" if path else name

    text, mmproj = checkpoint.files
    tensors, skipped = gguf_tensors_as_checkpoint(text)
    placed = [TensorInfo(place(t.name), t.dtype, t.shape, t.nbytes, t.overhead, t.parts, t.flat) for t in tensors]
    more, more_skipped = gguf_tensors_as_checkpoint(mmproj)
    return placed + more, skipped + more_skipped
