"""Hugging Face ``config.json`` → a family and its hyper-parameters, exactly as transformers builds it.

The core reads; plugins map. Each ``model_type`` is mapped by the plugin that registered
it (:class:`~registry.contracts.ModelType`, through the ``register_model_types``
hook). This module finds the mapping, resolves the class named in ``architectures``
(the usual language-model class when there is none, said in a note), lets the mapping
read the fields it needs through a :class:`~registry.contracts.ConfigReader`, and checks
the result with the family's own rules, naming the config's field at fault. A field that
is neither read nor known to change no shape is not a field of transformers'
configuration for that model type: it is listed as ignored, with a warning, and
``strict`` refuses it. Nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.contracts import COMMON_SHAPE_FREE, ConfigReader, short_value as short
from registry.sources.config_file import read_config
from registry.sources.field_types import check_field_types

if TYPE_CHECKING:
    from registry.model import Model
    from registry.contracts import ModelType

#: Fields the core itself reads or checks, whatever the model type.
CORE_FIELDS = frozenset(("model_type", "architectures", "quantization_config", "pruned_heads", "add_cross_attention"))

#: Docs pages a user who holds an unmapped model type can turn to.
ROUTE_DOCS = "docs/spec-format.md (a spec for an existing family, or [[blocks]]) and docs/plugins.md"


@dataclass(frozen=True)
class Imported:
    """What a config.json maps to: a family, its hyper-parameters, and where each came from.

    ``origins`` maps each hyper-parameter to the config field it was read from, so
    that a family's validation error can name the field of the config. ``ignored`` are
    the config's fields that transformers does not know for this model type (its model
    never reads them); ``notes`` are lines worth telling the user; ``mapped_by`` names
    the plugin whose mapping was used; ``fields`` the config fields the mapping knows for this
    model type (those it read, every spelling, and those it declares shape-free): the names
    ``--set`` takes on a config.json; ``images`` how its images become tokens (composites only); ``audio`` how its audio becomes positions.
    """

    model_type: str
    architecture: str
    family: str
    params: dict[str, Any]
    origins: dict[str, str]
    ignored: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    mapped_by: str = ""
    fields: frozenset[str] = frozenset()
    images: Any = None
    audio: Any = None


def _refusal(cfg: ConfigReader, model_type: Any) -> Exception:
    from registry.plugin_manager import load_model_types

    registry = load_model_types()
    known = sorted(registry.items)
    close = registry.close(model_type) if isinstance(model_type, str) else []
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    error = cfg.error(
        "model_type",
        f"{short(model_type)} is not mapped by any installed plugin{hint}; {len(known)} model types are mapped "
        "(registry families --model-types lists them). "
        f"To count it, write its [[blocks]] with `registry import-hf --via transformers CONFIG` (needs torch and "
        f"transformers), or a spec with the nearest family (registry families lists them), or add a plugin that "
        f"maps it: see {ROUTE_DOCS}",
    )
    from registry.errors import UnmappedModelTypeError

    unmapped = UnmappedModelTypeError(error.path, error.location, error.message, error.line)
    unmapped.model_type = model_type
    return unmapped


def _model_class(cfg: ConfigReader, model_type: ModelType) -> tuple[str, tuple[str, ...]]:
    """The class named in ``architectures`` (one of the mapping's), and any note about it."""
    value = cfg.raw("architectures")
    known = model_type.classes
    if value is None:
        note = (
            f"{cfg.path}: architectures: not given; counted as {known[0]}, the usual class of "
            f"model_type {model_type.name!r} (set architectures to choose another: {', '.join(known)})"
        )
        return known[0], (note,)
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], str):
        raise cfg.error("architectures", f"must name exactly one model class (got {short(value)})")
    if value[0] not in known:
        raise cfg.error("architectures", f"{short(value[0])} is not supported; supported: {', '.join(known)}")
    return value[0], ()


def map_config(
    data: dict[str, Any], path: str = "<config>", lines: dict[str, int] | None = None, *, strict: bool = False
) -> Imported:
    """Map a parsed config.json to a family and its validated hyper-parameters.

    ``strict`` refuses a field that transformers does not know for the model type
    (otherwise it is listed in :attr:`Imported.ignored`).
    """
    from registry.plugin_manager import find_model_type

    cfg = ConfigReader(data, path, lines)
    model_type = cfg.raw("model_type")
    if model_type is None:
        hint = " (this looks like a safetensors index, not a config.json)" if "weight_map" in data else ""
        raise cfg.error("model_type", f"missing{hint}")
    mapping = find_model_type(model_type)
    if mapping is None:
        raise _refusal(cfg, model_type)
    cfg.raw("quantization_config"), cfg.raw("quantization")  # packing changes no architecture: registry.checkpoints reads it
    cfg.expect("pruned_heads", ({},), "registry's families cannot describe pruned heads")
    architecture, notes = _model_class(cfg, mapping)
    mapped = mapping.map(cfg, architecture)
    check_field_types(cfg, model_type)  # what no shape depends on must still be what transformers accepts
    if "add_cross_attention" not in cfg.read:
        cfg.expect("add_cross_attention", (False,), f"the mapping of {model_type!r} builds no cross-attention")
    ignored = cfg.finish(COMMON_SHAPE_FREE | mapping.shape_free, model_type, strict)
    params = {name: value for name, (_, value) in mapped.params.items() if value is not None}
    origins = {name: key for name, (key, _) in mapped.params.items()}
    _validate(cfg, mapped.family, params, origins)
    params = _in_family_order(mapped.family, params)
    if ignored:
        notes += (
            f"{path}: ignored field(s) that transformers does not know for model_type {model_type!r}, so its "
            f"model never reads them: {', '.join(ignored)} (--strict refuses them)",
        )
    return Imported(
        model_type, architecture, mapped.family, params, origins, tuple(ignored), (*notes, *mapped.notes),
        mapping.origin, frozenset(cfg.read | mapping.shape_free) - CORE_FIELDS, mapped.images, mapped.audio,
    )  # fmt: skip


def _validate(cfg: ConfigReader, family: str, params: dict[str, Any], origins: dict[str, str]) -> None:
    """Check the hyper-parameters with the family's own rules, naming the config field at fault."""
    from registry.plugin_manager import find_family
    from registry.sources.validation import check_params

    check_params(cfg, find_family(family).params, params, origins)


def _in_family_order(family: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` in the order the family declares its hyper-parameters (a written spec reads as the reference does)."""
    from registry.plugin_manager import find_family

    order = {name: i for i, name in enumerate(find_family(family).params.model_fields)}
    return dict(sorted(params.items(), key=lambda item: order.get(item[0], len(order))))


def import_config(path: str | Path, *, strict: bool = False) -> Imported:
    """Read and map a config.json file."""
    data, lines = read_config(path)
    return map_config(data, str(path), lines, strict=strict)


def model_name(path: str | Path, data_name: Any = None) -> str:
    """A name for the model: its repo (``org/name``) for a snapshot folder of the Hugging Face cache,
    else the config's ``_name_or_path``, else its folder (or file) name."""
    import os

    from registry.sources.hub_cache import repo_of_snapshot

    path = Path(path)
    folder = Path(os.path.abspath(path)).parent  # not resolved: a snapshot's files link into blobs/
    repo = repo_of_snapshot(folder) if path.stem == "config" else None
    if repo:
        return repo
    if isinstance(data_name, str) and data_name.strip("/"):
        return data_name.rstrip("/").rsplit("/", 1)[-1]
    if path.stem == "config":
        return folder.name or path.resolve().parent.name or path.stem
    return path.stem


def source_of(path: str | Path, imported: Imported) -> str:
    """The report's source line for an imported config: the file, the model type and class, the mapper."""
    by = "" if imported.mapped_by.startswith("built-in") else f", mapped by {imported.mapped_by}"
    return f"{path} (model_type {imported.model_type}, {imported.architecture}{by})"


def load_config(path: Path, *, strict: bool = False, text: str | None = None) -> list[Model]:
    """The reader of ``.json`` files for :func:`registry.load`: one model from a config.json
    (``text``: its text, already read, e.g. from stdin; ``path`` then names it)."""
    data, lines = read_config(path, text)
    return config_models(data, lines, path, strict=strict)


def config_models(data: dict[str, Any], lines: dict[str, int], path: Path, *, strict: bool = False) -> list[Model]:
    """The model a parsed config.json describes (``path`` names it)."""
    from registry.model import Model, build_architecture
    from registry.plugin_manager import find_family

    imported = map_config(data, str(path), lines, strict=strict)
    params = find_family(imported.family).params.model_validate(imported.params)
    return [
        Model(
            name=model_name(path, data.get("_name_or_path")),
            architecture=build_architecture(imported.family, params),
            family=imported.family,
            params=params,
            source=source_of(path, imported),
            path=str(path),
            ignored_fields=imported.ignored,
            warnings=imported.notes,
            images=imported.images,
            audio=imported.audio,
        )
    ]


__all__ = ["CORE_FIELDS", "Imported", "config_models", "import_config", "load_config", "map_config", "model_name", "source_of"]
