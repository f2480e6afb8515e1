"""The model a Hugging Face repo describes: its config.json, else its GGUF file's metadata.

:func:`load_repo` is the reader :func:`registry.load` uses for a repo id. The model is named
after the repo (``org/name``); its source is the config.json's URL at the commit read. When
a catalogue entry describes the repo (its cited config.json is in that repo), the source
line says so and the entry's published figures (``reported_params``, ``training_tokens``)
come with the count.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from registry.errors import SpecError

if TYPE_CHECKING:
    from registry.model import Model
    from registry.sources.hub import RepoRef, Snapshot

__all__ = ["config_url", "load_repo", "load_snapshot"]


def config_url(snap: Snapshot, filename: str = "config.json") -> str:
    """The page of a file of the repo at the commit read (``{HF_ENDPOINT}/org/name/blob/<commit>/file``)."""
    from huggingface_hub import constants

    return f"{constants.ENDPOINT}/{snap.ref.repo_id}/blob/{snap.commit}/{filename}"


def load_repo(ref: RepoRef, *, strict: bool = False) -> list[Model]:
    """The model of a repo id (see :func:`load_snapshot`); raises SpecError with one line."""
    from registry.sources.hub import snapshot

    return load_snapshot(snapshot(ref), strict=strict)


def load_snapshot(snap: Snapshot, *, strict: bool = False) -> list[Model]:
    """The model of a repo at one commit: its config.json, mapped by the plugin of its
    ``model_type``; a repo without one (or with ``:file.gguf``) by its GGUF file's metadata."""
    ref = snap.ref
    if ref.file is None and snap.config is not None:
        from registry.sources.hf_config import load_config

        models = load_config(snap.config, strict=strict)
        url = config_url(snap)
        models = [replace(m, source=(m.source or "").replace(str(snap.config), url, 1)) for m in models]
    else:
        from registry.checkpoints.remote import read_repo_checkpoint, repo_checkpoint_name
        from registry.sources.gguf_config import gguf_model

        name = repo_checkpoint_name(snap, required=False)
        if name is None or not name.lower().endswith(".gguf"):
            what = f"its checkpoint is {name}" if name else "it has no checkpoint either"
            raise SpecError(ref.text, "", f"the repo has no config.json at revision {ref.revision or 'main'!r} and "
                                          f"{what}, not a GGUF file (registry inspect reads its headers)")  # fmt: skip
        models = [gguf_model(read_repo_checkpoint(snap, name), strict=strict)]
    return [_described(replace(m, name=ref.repo_id, path=ref.text)) for m in models]


def _described(model: Model) -> Model:
    """``model`` with what the catalogue entry describing its repo publishes, and a note saying which entry."""
    from registry.sources import catalogue

    entry = catalogue.describing(model.name)
    if entry is None:
        return model
    from registry.sources.spec import load as load_spec

    try:
        published = [m for m in load_spec(entry.path) if m.name in entry.names]
    except SpecError:
        published = []
    first = published[0] if len(published) == 1 else None
    return replace(
        model,
        source=f"{model.source}; the catalogue's {entry.stem} describes this repo (registry count {entry.stem})",
        reported_params=model.reported_params or (first.reported_params if first else None),
        training_tokens=model.training_tokens or (first.training_tokens if first else None),
    )
