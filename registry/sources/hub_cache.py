"""Folders of the Hugging Face cache, read as model folders without the Hub's client.

The cache (``$HF_HUB_CACHE``, by default ``~/.cache/huggingface/hub``) keeps one folder per
repo, ``models--org--name``, holding ``refs/<branch or tag>`` (a file naming a commit),
``snapshots/<commit>/`` (the repo's files as symbolic links into ``blobs/``) and ``blobs/``.
:func:`snapshot_of` turns a repo folder into its snapshot of ``main`` (as ``refs/main``
names it); :func:`repo_of_snapshot` names a snapshot folder after its repo (``org/name``),
not after the commit hash, nor ``blobs``, where its symbolic links point. Only paths are
looked at here: nothing is imported from ``huggingface_hub``.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["HEADS", "REPO_PREFIX", "repo_folder_name", "repo_of_snapshot", "snapshot_of"]

#: The prefix of a model repo's folder in the cache (``models--org--name``).
REPO_PREFIX = "models--"

#: Subfolder of a repo's cache folder where registry keeps the headers of weight files it
#: fetched (``registry-heads/<commit>/``), and the repo's file list.
HEADS = "registry-heads"

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def repo_folder_name(repo_id: str) -> str:
    """The cache folder of a model repo: ``org/name`` -> ``models--org--name`` (as huggingface_hub names it)."""
    return REPO_PREFIX + repo_id.replace("/", "--")


def _repo_id(folder_name: str) -> str | None:
    """``models--org--name`` -> ``org/name`` (None for another name)."""
    if not folder_name.startswith(REPO_PREFIX):
        return None
    parts = folder_name[len(REPO_PREFIX) :].split("--")
    return "/".join(parts) if all(parts) else None


def snapshot_of(folder: Path, revision: str = "main") -> Path | None:
    """The snapshot a cache repo folder's ``refs/<revision>`` names (None when ``folder`` is no
    cache repo folder). Raises ValueError, with the reason, when it is one whose ref or snapshot
    is missing."""
    if _repo_id(folder.name) is None or not (folder / "snapshots").is_dir():
        return None
    ref = folder / "refs" / revision
    if not ref.is_file():
        snapshots = sorted(p.name for p in (folder / "snapshots").iterdir() if p.is_dir())
        hint = f" (its snapshots: {', '.join(s[:12] for s in snapshots[:4])}; name one)" if snapshots else ""
        raise ValueError(f"cache folder has no refs/{revision}{hint}")
    commit = ref.read_text(encoding="utf-8", errors="replace").strip()
    snapshot = folder / "snapshots" / commit
    if not _COMMIT.match(commit) or not snapshot.is_dir():
        raise ValueError(f"refs/{revision} names {commit[:40]!r}, which has no snapshot folder")
    return snapshot


def repo_of_snapshot(folder: Path) -> str | None:
    """``org/name`` when ``folder`` is ``models--org--name/snapshots/<commit>`` of a cache, else None."""
    folder = Path(folder).absolute()
    if folder.parent.name != "snapshots":
        return None
    return _repo_id(folder.parent.parent.name)
