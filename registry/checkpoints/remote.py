"""Checkpoints of Hugging Face repos, read from their headers over HTTP, never their weights.

A :class:`RemoteFile` is a file of a repo opened as the header readers open a local one
(:func:`registry.checkpoints.files.open_binary`): reads become HTTP ``Range`` requests of
at least :data:`MIN_FETCH` bytes, growing as a long header (a GGUF vocabulary) is read, so
that a safetensors header costs one request (two when it is over 100 kB) and no weight is
fetched. What was fetched is kept in the cache (:func:`registry.sources.hub.save_head`), so
a cached repo is read again without the network. A sharded checkpoint's index is
downloaded (it is small), then every shard's header is fetched concurrently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.errors import SpecError

if TYPE_CHECKING:
    from registry.checkpoints.tensors import Checkpoint, TensorInfo
    from registry.sources.hub import RepoRef, Snapshot

__all__ = ["MIN_FETCH", "RemoteFile", "open_repo_checkpoint", "repo_checkpoint_name"]

#: Fewest bytes one Range request asks for (the Hub's own safetensors-metadata reader asks 100 kB).
MIN_FETCH = 100_000
#: Most bytes one Range request asks for, however long the header being read.
MAX_FETCH = 8 << 20
#: Shard headers fetched at once.
CONCURRENCY = 8


class RemoteFile:
    """A file of a repo at one commit, readable (``read``, ``seek``) from its first bytes.

    Bytes already in the cache are served from there; the rest is fetched by ``Range``
    requests, contiguous from byte 0 (what a header reader reads). ``size`` is the whole
    file's; :meth:`keep` writes what was read to the cache.
    """

    def __init__(self, snap: Snapshot, filename: str) -> None:
        from registry.sources.hub import read_head

        self.snap, self.filename = snap, filename
        cached = read_head(snap, filename)
        self.data, self.size = cached if cached is not None else (b"", -1)
        self.pos = 0
        self.fetched = 0  # bytes fetched over the network by this object
        self._kept = len(self.data)

    def __str__(self) -> str:
        return f"{self.snap.where}:{self.filename}"

    def open_binary(self) -> RemoteFile:
        """Open for reading (the first Range request, which also tells the file's size)."""
        if self.size < 0:
            self._fetch(MIN_FETCH)
        return self

    def __enter__(self) -> RemoteFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.keep()

    def _fetch(self, end: int) -> None:
        """Extend the bytes held to ``end`` (at least :data:`MIN_FETCH` more, at most :data:`MAX_FETCH` at once)."""
        from registry.sources.hub import fetch_range

        while len(self.data) < end and (self.size < 0 or len(self.data) < self.size):
            start = len(self.data)
            want = min(max(end - start, MIN_FETCH, start), MAX_FETCH)
            if self.size >= 0:
                want = min(want, self.size - start)
            chunk, size = fetch_range(self.snap, self.filename, start, start + want)
            if self.size >= 0 and size != self.size:
                raise SpecError(str(self), "", f"changed size while being read ({self.size:,} then {size:,} bytes)")
            self.size, self.data, self.fetched = size, self.data + chunk, self.fetched + len(chunk)
            if not chunk:
                break

    def seek(self, pos: int, whence: int = 0) -> int:
        """Move to ``pos`` (from the start only)."""
        if whence != 0:
            raise ValueError("a remote file seeks from its start only")
        self.pos = pos
        return pos

    def tell(self) -> int:
        """The position of the next read."""
        return self.pos

    def read(self, n: int = -1) -> bytes:
        """At most ``n`` bytes from the position (fewer at the end of the file)."""
        end = self.size if n < 0 else min(self.pos + n, max(self.size, 0))
        if end > len(self.data):
            self._fetch(end)
        out = self.data[self.pos : end]
        self.pos += len(out)
        return out

    def close(self) -> None:
        """Keep what was read in the cache."""
        self.keep()

    def keep(self) -> None:
        """Write the bytes read so far to the cache (once; nothing when nothing new was fetched)."""
        if len(self.data) > self._kept and self.size >= 0:
            from registry.sources.hub import save_head

            save_head(self.snap, self.filename, self.data, self.size)
            self._kept = len(self.data)


def repo_checkpoint_name(snap: Snapshot, required: bool = True) -> str | None:
    """The repo's checkpoint file: the GGUF file named after ``:``, else as a folder's is chosen
    (``model.safetensors``, its index, its one ``*.safetensors``, its one ``*.gguf``)."""
    from registry.checkpoints.folder import choose_checkpoint
    from registry.sources.hub import repo_files

    names = repo_files(snap)
    if snap.ref.file is not None:
        if snap.ref.file not in names and not snap.offline:
            ggufs = [n for n in names if n.endswith(".gguf")]
            hint = f" (its GGUF files: {', '.join(ggufs[:6])})" if ggufs else " (it has no GGUF file)"
            raise SpecError(snap.ref.text, "", f"the repo has no file {snap.ref.file}{hint}")
        return snap.ref.file
    top = [n for n in names if "/" not in n]
    return choose_checkpoint(top, snap.ref.text, required)


def open_repo_checkpoint(ref: RepoRef | Snapshot) -> Checkpoint:
    """A repo's checkpoint read from its headers (see :func:`registry.checkpoints.open_checkpoint`)."""
    from registry.sources.hub import Snapshot, snapshot

    snap = ref if isinstance(ref, Snapshot) else snapshot(ref)
    return read_repo_checkpoint(snap, str(repo_checkpoint_name(snap)))  # required: a SpecError when it has none


def read_repo_checkpoint(snap: Snapshot, name: str) -> Checkpoint:
    """Read the checkpoint file ``name`` of a repo: GGUF, one safetensors file, or an index and its shards."""
    from registry.checkpoints.tensors import Checkpoint

    where = f"{snap.where}:{name}"
    if name.lower().endswith(".gguf"):
        from registry.checkpoints.gguf import read_gguf

        with RemoteFile(snap, name) as f:
            return read_gguf(f)
    notes: tuple[str, ...] = ()
    if name.endswith(".json"):
        stored, metadata, notes = _read_index(snap, name)
    else:
        from registry.checkpoints.safetensors import read_safetensors

        with RemoteFile(snap, name) as f:
            stored, metadata = read_safetensors(f)
    from registry.checkpoints.quant_config import quantization_config
    from registry.checkpoints.quantization import dequantize

    config, source, key = quantization_config(snap.config)
    tensors, quantization = dequantize(stored, config, metadata, where, source, key)
    return Checkpoint(where, "safetensors", stored, tensors, quantization, dict(metadata), notes)


def _read_index(snap: Snapshot, name: str) -> tuple[list[TensorInfo], dict[str, str], tuple[str, ...]]:
    """An index from the cache (or downloaded into it) and each shard's header, fetched concurrently."""
    from concurrent.futures import ThreadPoolExecutor

    from registry.checkpoints.files import read_json_file
    from registry.checkpoints.safetensors import read_safetensors
    from registry.checkpoints.sharded import check_index, shard_names
    from registry.sources.hub import repo_file

    where = f"{snap.where}:{name}"
    data = read_json_file(repo_file(snap, name), "index")
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""

    def header(shard: str) -> tuple[list[TensorInfo], dict[str, str]]:
        with RemoteFile(snap, folder + shard) as f:
            return read_safetensors(f)

    shards = shard_names(where, data)
    with ThreadPoolExecutor(max_workers=min(CONCURRENCY, max(len(shards), 1))) as pool:
        headers = dict(zip(shards, pool.map(header, shards)))
    return check_index(where, data, headers.__getitem__)
