"""A local HTTP server that speaks the Hugging Face Hub's protocol, for tests without a network.

It answers as ``huggingface_hub`` expects (read from its ``file_download.py``,
``utils/_http.py`` and ``hf_api.py``):

* ``HEAD|GET /{org}/{name}/resolve/{revision}/{file}``: ``X-Repo-Commit`` and ``ETag`` (a
  small file's git sha1) on every answer; a weights file (LFS) is a 302 redirect to the
  "CDN" (``127.0.0.1`` where the endpoint is ``localhost``: another origin, so the client
  stops at the redirect for metadata and drops the token) with ``X-Linked-Etag`` and
  ``X-Linked-Size``;
* ``GET /cdn/{repo}/{commit}/{file}``: the bytes, honouring ``Range`` (206 and
  ``Content-Range``); a weights file is its real header and then zeros, generated, never
  stored, and every byte served is counted (:attr:`HubState.served`);
* ``GET /api/models/{org}/{name}[/revision/{revision}]``: the model-info API (``sha``, ``siblings``);
* errors with ``X-Error-Code``: ``RepoNotFound`` (401), ``GatedRepo`` (401 without the
  repo's token), ``RevisionNotFound`` and ``EntryNotFound`` (404), and 429 for a repo
  marked rate-limited.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


@dataclass
class WeightsFile:
    """A safetensors (or GGUF) file as the Hub holds it: its real ``head`` bytes, then zeros up to ``size``."""

    head: bytes
    size: int

    def slice(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``."""
        data = self.head[start:end]
        return data + bytes(max(0, min(end, self.size) - max(start, len(self.head))))


def safetensors_file(tensors: dict[str, tuple[str, tuple[int, ...]]], metadata: dict | None = None) -> WeightsFile:
    """A safetensors file of ``tensors`` (name -> (dtype, shape)), as save_pretrained writes its header."""
    itemsize = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8, "U8": 1, "I8": 1, "F8_E4M3": 1}
    header: dict = {"__metadata__": metadata or {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = itemsize[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the safetensors library pads the header to 8 bytes
    return WeightsFile(struct.pack("<Q", len(raw)) + raw, 8 + len(raw) + offset)


def sharded(tensors: dict[str, tuple[str, tuple[int, ...]]], shards: int) -> dict[str, bytes | WeightsFile]:
    """The files of a sharded checkpoint: ``model-0000i-of-0000n.safetensors`` and its index."""
    names = list(tensors)
    per = -(-len(names) // shards)
    files: dict[str, bytes | WeightsFile] = {}
    weight_map, total = {}, 0
    for i in range(shards):
        shard = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[i * per : (i + 1) * per]}
        file = safetensors_file(part)
        files[shard] = file
        weight_map.update(dict.fromkeys(part, shard))
        total += file.size - len(file.head)
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    files["model.safetensors.index.json"] = json.dumps(index, indent=2, sort_keys=True).encode()
    return files


@dataclass
class Repo:
    """A repo: its commits (commit -> file name -> content), refs (branch or tag -> commit),
    whether it is gated (and the token that may read it), and whether it is rate-limited."""

    commits: dict[str, dict[str, bytes | WeightsFile]]
    refs: dict[str, str]
    gated_token: str | None = None
    rate_limited: bool = False


def commit_of(text: str) -> str:
    """A made-up commit hash (40 hex digits) for a label."""
    return hashlib.sha1(text.encode()).hexdigest()


@dataclass
class HubState:
    """The repos served, and what was served: weight bytes per file name, and every request's method and path."""

    repos: dict[str, Repo] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Forget what was served."""
        with self.lock:
            self.served.clear()
            self.requests.clear()


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+?)(?:/revision/(?P<rev>[^/]+))?$")
_CDN = re.compile(r"^/cdn/(?P<repo>[^/]+/[^/]+)/(?P<commit>[0-9a-f]{40})/(?P<file>.+)$")


class _Handler(BaseHTTPRequestHandler):
    state: HubState
    port: int

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"", head: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def _error(self, status: int, code: str | None, head: bool, extra: dict[str, str] | None = None) -> None:
        headers = {"X-Error-Message": code or "error", **(extra or {})}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, headers, json.dumps({"error": code}).encode(), head)

    def _answer(self, head: bool) -> None:
        path = unquote(self.path.split("?", 1)[0])
        with self.state.lock:
            self.state.requests.append((self.command, path))
        for pattern, handle in ((_CDN, self._cdn), (_RESOLVE, self._resolve), (_INFO, self._info)):
            match = pattern.match(path)
            if match:
                return handle(match, head)
        self._error(404, None, head)

    def _repo(self, repo_id: str, head: bool) -> Repo | None:
        repo = self.state.repos.get(repo_id)
        if repo is None:
            self._error(401, "RepoNotFound", head)
            return None
        if repo.rate_limited:
            self._error(429, None, head, {"Retry-After": "3600"})
            return None
        return repo

    def _commit(self, repo: Repo, revision: str, head: bool) -> str | None:
        commit = revision if revision in repo.commits else repo.refs.get(revision)
        if commit is None:
            self._error(404, "RevisionNotFound", head)
        return commit

    def _resolve(self, match: re.Match, head: bool) -> None:
        repo = self._repo(match["repo"], head)
        if repo is None:
            return
        if repo.gated_token is not None and self.headers.get("Authorization") != f"Bearer {repo.gated_token}":
            return self._error(401, "GatedRepo", head)
        commit = self._commit(repo, match["rev"], head)
        if commit is None:
            return
        content = repo.commits[commit].get(match["file"])
        if content is None:
            return self._error(404, "EntryNotFound", head, {"X-Repo-Commit": commit})
        if isinstance(content, WeightsFile):
            etag = f'"{hashlib.sha256(content.head).hexdigest()}"'
            location = f"http://127.0.0.1:{self.port}/cdn/{match['repo']}/{commit}/{match['file']}"
            return self._send(302, {"Location": location, "X-Repo-Commit": commit, "X-Linked-Etag": etag,
                                    "X-Linked-Size": str(content.size), "ETag": etag}, b"", head)  # fmt: skip
        blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # git's id of the file
        etag = f'"{blob}"'
        self._send(200, {"X-Repo-Commit": commit, "ETag": etag, "Content-Type": "application/octet-stream"},
                   content, head)  # fmt: skip

    def _cdn(self, match: re.Match, head: bool) -> None:
        repo = self.state.repos.get(match["repo"])
        content = repo.commits.get(match["commit"], {}).get(match["file"]) if repo else None
        if not isinstance(content, WeightsFile):
            return self._error(404, None, head)
        start, end = 0, content.size
        ranged = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if ranged:
            start = int(ranged[1])
            end = min(content.size, int(ranged[2]) + 1) if ranged[2] else content.size
        body = b"" if head else content.slice(start, end)
        with self.state.lock:
            self.state.served[match["file"]] = self.state.served.get(match["file"], 0) + len(body)
        headers = {"Content-Length": str(end - start), "ETag": f'"{hashlib.sha256(content.head).hexdigest()}"'}
        if ranged:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{content.size}"
        self._send(206 if ranged else 200, headers, body, head)

    def _info(self, match: re.Match, head: bool) -> None:
        repo = self._repo(match["repo"], head)
        if repo is None:
            return
        commit = self._commit(repo, match["rev"] or "main", head)
        if commit is None:
            return
        info = {"id": match["repo"], "modelId": match["repo"], "sha": commit, "private": False,
                "gated": "manual" if repo.gated_token else False,
                "siblings": [{"rfilename": name} for name in sorted(repo.commits[commit])]}  # fmt: skip
        self._send(200, {"Content-Type": "application/json"}, json.dumps(info).encode(), head)


def serve(state: HubState) -> tuple[ThreadingHTTPServer, str]:
    """Start a server of ``state`` on a free port in a daemon thread; returns it and its endpoint."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    handler = type("Handler", (_Handler,), {"state": state, "port": port})
    server.RequestHandlerClass = handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://localhost:{port}"
