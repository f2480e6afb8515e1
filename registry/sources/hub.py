"""Hugging Face repo ids as a source: ``org/name[@revision][:file.gguf]``, read through the Hub.

The one module that talks to the Hub, through ``huggingface_hub`` (imported only when a
repo id is given: a spec file's count never imports it). It keeps the ecosystem's
conventions, all read by ``huggingface_hub`` itself: ``HF_TOKEN`` or the token ``hf auth
login`` stored (gated and private repos), ``HF_HOME`` / ``HF_HUB_CACHE`` (the cache, read
first and filled), ``HF_HUB_OFFLINE=1`` (the cache alone), ``HF_ENDPOINT`` (a mirror).

A repo is resolved once per run (:func:`snapshot`): one HEAD request on its
``config.json`` gives the commit its revision (branch, tag or commit) points at; then every
file is read at that commit, from the cache where it is there. Small files (config.json,
a sharded checkpoint's index) are downloaded into the cache as ``hf_hub_download`` does;
of a weights file only the first bytes are fetched by HTTP ``Range`` requests
(:func:`fetch_range`), and kept as a "head" in the repo's cache folder
(``models--org--name/registry-heads/<commit>/``), with the repo's file list, so that a
cached repo costs one revision check and, offline, none. Every failure is one
:class:`registry.errors.SpecError` naming the repo (:func:`hub_error`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.errors import SpecError
from registry.sources.hub_cache import HEADS, repo_folder_name

__all__ = ["RepoRef", "Snapshot", "cache_folder", "fetch_range", "hub_error", "is_repo_id", "parse_repo_id",
           "read_head", "repo_files", "repo_file", "save_head", "snapshot"]

#: ``org/name``, then optionally ``@revision`` and ``:file.gguf``. Each part of the id is
#: letters, digits, ``-``, ``_`` and ``.``, starting with a letter or digit (the Hub's rule).
_REPO_ID = re.compile(
    r"^(?P<repo>[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95})"
    r"(?:@(?P<revision>[A-Za-z0-9._/-]{1,200}))?(?::(?P<file>[A-Za-z0-9._-]{1,200}\.gguf))?$"
)
#: File suffixes that make an argument a file name, never a repo id (``specs/x.toml`` is a file).
_FILE_SUFFIXES = (".toml", ".json", ".safetensors", ".gguf", ".bin", ".pt", ".txt")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class RepoRef:
    """A repo id as typed: ``repo_id`` (``org/name``), ``revision`` (None: ``main``) and a
    GGUF ``file`` of the repo (None: its one checkpoint); ``text`` is what was typed."""

    text: str
    repo_id: str
    revision: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """A repo at one commit: the ``commit`` its revision named, its ``config.json`` in the
    local cache (None when the repo has none, as a GGUF-only repo) and whether the answer
    came from the cache alone (``offline``)."""

    ref: RepoRef
    commit: str
    config: Path | None
    offline: bool = False

    @property
    def where(self) -> str:
        """The repo as error lines name it: ``org/name`` (``@revision`` when one was given)."""
        return self.ref.repo_id + (f"@{self.ref.revision}" if self.ref.revision else "")


def parse_repo_id(text: str) -> RepoRef | None:
    """``text`` as a repo id, or None when it cannot be one (a path: it starts with ``.`` or
    ``/``, has two slashes before any ``@``, or ends in a file suffix the tool reads)."""
    match = _REPO_ID.match(text)
    if match is None or match["repo"].lower().endswith(_FILE_SUFFIXES) or ".." in match["repo"] or "--" in match["repo"]:
        return None
    return RepoRef(text, match["repo"], match["revision"], match["file"])


def is_repo_id(text: object) -> bool:
    """Whether a command-line argument is read as a repo id: no file or folder of that name
    exists (a path that exists always wins) and it has the form ``org/name[@revision][:file.gguf]``."""
    if not isinstance(text, str) or parse_repo_id(text) is None:
        return False
    try:
        return not Path(text).exists()
    except (OSError, ValueError):
        return False


def cache_folder(repo_id: str) -> Path:
    """The repo's folder in the Hugging Face cache (``$HF_HUB_CACHE/models--org--name``)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id)


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


#: Snapshots resolved in this process, by repo id as typed: a repo is resolved once per run.
_RESOLVED: dict[RepoRef, Snapshot] = {}


def snapshot(ref: RepoRef) -> Snapshot:
    """Resolve ``ref``'s revision to a commit and fetch its config.json into the cache: one
    HEAD request (none with ``HF_HUB_OFFLINE=1``, or for a commit already cached); the cache
    answers when the network does not. Resolved once per process."""
    if ref not in _RESOLVED:
        _RESOLVED[ref] = _snapshot(ref)
    return _RESOLVED[ref]


def _snapshot(ref: RepoRef) -> Snapshot:
    revision = ref.revision or "main"
    if _offline():
        return _from_cache(ref, revision, "HF_HUB_OFFLINE=1 is set")
    if _COMMIT.match(revision) and (cache_folder(ref.repo_id) / HEADS / revision / "files.json").is_file():
        return _from_cache(ref, revision, "")  # a commit never changes: nothing to ask
    import httpx2
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import RemoteEntryNotFoundError

    url = hf_hub_url(ref.repo_id, "config.json", revision=revision)
    try:
        try:
            commit, has_config = get_hf_file_metadata(url).commit_hash, True
        except RemoteEntryNotFoundError as exc:  # a repo without config.json (GGUF files only)
            commit, has_config = exc.response.headers.get("X-Repo-Commit"), False
        if not commit or not _COMMIT.match(commit):
            raise SpecError(ref.text, "", f"the Hub at {_endpoint()} sent no commit for revision {revision!r} "
                                          "(is HF_ENDPOINT a Hugging Face Hub?)")  # fmt: skip
        _remember_ref(ref.repo_id, revision, commit)
        config = Path(hf_hub_download(ref.repo_id, "config.json", revision=commit)) if has_config else None
    except (httpx2.ConnectError, httpx2.TimeoutException):
        return _from_cache(ref, revision, f"the Hub ({_endpoint()}) cannot be reached")
    except SpecError:
        raise
    except Exception as exc:
        raise hub_error(ref, exc) from None
    return Snapshot(ref, commit, config)


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _remember_ref(repo_id: str, revision: str, commit: str) -> None:
    """Write ``refs/<revision>`` as ``hf_hub_download`` does, so that the cache answers offline."""
    if revision == commit:
        return
    ref = cache_folder(repo_id) / "refs" / revision
    try:
        if not ref.is_file() or ref.read_text(encoding="utf-8") != commit:
            ref.parent.mkdir(parents=True, exist_ok=True)
            ref.write_text(commit, encoding="utf-8")
    except OSError:
        pass  # a read-only cache: the answer is still right, only not kept


def _from_cache(ref: RepoRef, revision: str, why: str) -> Snapshot:
    """The snapshot the cache holds for ``revision`` (``why``: the network is not asked)."""
    folder = cache_folder(ref.repo_id)
    commit = revision if _COMMIT.match(revision) else None
    ref_file = folder / "refs" / revision
    if commit is None and ref_file.is_file():
        commit = ref_file.read_text(encoding="utf-8", errors="replace").strip()
    if commit is None or not ((folder / "snapshots" / commit).is_dir() or (folder / HEADS / commit).is_dir()):
        raise SpecError(ref.text, "", f"{why} and the cache ({folder.parent}) holds nothing of this repo at "
                                      f"revision {revision!r}; count it once with the network to fill the cache")  # fmt: skip
    config = folder / "snapshots" / commit / "config.json"
    return Snapshot(ref, commit, config if config.is_file() else None, offline=True)


def repo_files(snap: Snapshot) -> list[str]:
    """The repo's file names at the snapshot's commit: from the cache, else the model-info API."""
    import json

    listing = cache_folder(snap.ref.repo_id) / HEADS / snap.commit / "files.json"
    if listing.is_file():
        try:
            names = json.loads(listing.read_text(encoding="utf-8"))["files"]
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return names
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged listing: asked again
    if snap.offline:
        folder = cache_folder(snap.ref.repo_id) / "snapshots" / snap.commit
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    from huggingface_hub import HfApi

    try:
        info = HfApi().model_info(snap.ref.repo_id, revision=snap.commit)
    except Exception as exc:
        raise hub_error(snap.ref, exc) from None
    names = sorted(s.rfilename for s in info.siblings or [])
    _write(listing, json.dumps({"files": names}).encode())
    return names


def repo_file(snap: Snapshot, filename: str) -> Path:
    """A small file of the repo (a shard index), from the cache or downloaded into it."""
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(snap.ref.repo_id, filename, revision=snap.commit, local_files_only=snap.offline))
    except Exception as exc:
        raise hub_error(snap.ref, exc, filename) from None


def fetch_range(snap: Snapshot, filename: str, start: int, end: int) -> tuple[bytes, int]:
    """Bytes ``[start, end)`` of a file of the repo and the file's size, by one HTTP Range
    request (redirects followed, the token sent to the Hub only). At most ``end - start``
    bytes are read, even from a server that ignores the range."""
    if snap.offline:
        raise SpecError(f"{snap.where}:{filename}", "", "not in the cache, and the network is not to be used "
                                                        "(HF_HUB_OFFLINE=1 or the Hub cannot be reached)")  # fmt: skip
    from huggingface_hub import hf_hub_url
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    headers = {**build_hf_headers(), "Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"}
    url = hf_hub_url(snap.ref.repo_id, filename, revision=snap.commit)
    try:
        with get_session().stream("GET", url, headers=headers, follow_redirects=True, timeout=30) as response:
            if response.status_code >= 400:
                response.read()
                hf_raise_for_status(response)
            size = _total_size(response.headers, response.status_code)
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) >= end - start:
                    break
    except SpecError:
        raise
    except Exception as exc:
        raise hub_error(snap.ref, exc, filename) from None
    if response.status_code != 206 and start:
        raise SpecError(f"{snap.where}:{filename}", "", f"the Hub ignored a Range request (HTTP {response.status_code})")
    if size is None:
        raise SpecError(f"{snap.where}:{filename}", "", "the Hub did not say the file's size (no Content-Range)")
    return bytes(data[: end - start]), size


def _total_size(headers: Any, status: int) -> int | None:
    """The whole file's size: ``Content-Range: bytes a-b/SIZE`` (206), else ``Content-Length`` (200)."""
    content_range = headers.get("Content-Range", "")
    match = re.match(r"bytes \d+-\d+/(\d+)$", content_range.strip())
    if match:
        return int(match[1])
    length = headers.get("Content-Length")
    return int(length) if status == 200 and length and length.isdigit() else None


def _head_path(snap: Snapshot, filename: str) -> Path:
    return cache_folder(snap.ref.repo_id) / HEADS / snap.commit / (filename.replace("/", "%2F") + ".head")


def read_head(snap: Snapshot, filename: str) -> tuple[bytes, int] | None:
    """The first bytes of a weights file kept in the cache, and the file's size (None: not kept)."""
    try:
        raw = _head_path(snap, filename).read_bytes()
    except OSError:
        return None
    size, sep, data = raw.partition(b"\n")
    return (data, int(size)) if sep and size.isdigit() else None


def save_head(snap: Snapshot, filename: str, data: bytes, size: int) -> None:
    """Keep the first bytes of a weights file (its header) in the cache."""
    _write(_head_path(snap, filename), str(size).encode() + b"\n" + data)


def _write(path: Path, data: bytes) -> None:
    """Write a cache file whole (a temporary file renamed), or not at all (a read-only cache)."""
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(name, path)
    except OSError:
        pass


def hub_error(ref: RepoRef, exc: BaseException, filename: str = "config.json") -> SpecError:
    """One line for what the Hub (or the cache) answered: repo, revision or file not found, a gated
    repo without a token, rate limited, no network with nothing cached, or another HTTP error."""
    from huggingface_hub import errors

    where = ref.text
    revision = ref.revision or "main"
    cause = exc
    while cause is not None and not isinstance(cause, errors.HfHubHTTPError):  # the HEAD error behind a cache miss
        cause = cause.__cause__
    status = getattr(getattr(cause, "response", None), "status_code", None)
    if isinstance(exc, errors.GatedRepoError):
        return SpecError(where, "", "is a gated repo: accept its terms on its page on the Hub, then log in with "
                                    "`hf auth login` or set HF_TOKEN to a token of that account")  # fmt: skip
    if isinstance(exc, errors.RepositoryNotFoundError):
        return SpecError(where, "", f"repo not found on {_endpoint()} (a private repo needs `hf auth login` or "
                                    f"HF_TOKEN){_resembles(ref.repo_id)}")  # fmt: skip
    if isinstance(exc, errors.RevisionNotFoundError):
        return SpecError(where, "", f"revision {revision!r} not found (a branch, a tag or a commit of the repo)")
    if isinstance(exc, errors.RemoteEntryNotFoundError):
        return SpecError(where, "", f"the repo has no file {filename} at revision {revision!r}")
    if status == 429:
        return SpecError(where, "", "rate-limited by the Hub (HTTP 429); wait and try again, or log in "
                                    "(`hf auth login`, HF_TOKEN) for a higher limit")  # fmt: skip
    if isinstance(exc, (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled)):
        return SpecError(where, "", f"the Hub cannot be reached (or HF_HUB_OFFLINE=1) and the cache holds no "
                                    f"{filename} of this repo at revision {revision!r}")  # fmt: skip
    if status is not None:
        return SpecError(where, "", f"the Hub answered HTTP {status} for {filename}")
    name = type(exc).__name__
    return SpecError(where, "", f"cannot read {filename} from the Hub ({_endpoint()}): {name}: {str(exc)[:200]}")


def _resembles(repo_id: str) -> str:
    """``; the catalogue has ...`` naming entries like ``repo_id`` (by repo id or name), or ''."""
    from registry.sources import catalogue

    close = catalogue.resembling(repo_id)
    return f"; the catalogue has {', '.join(close)}" if close else ""
