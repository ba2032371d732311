"""A local stand-in for the Hugging Face Hub's file endpoints, for offline tests.

It answers what ``huggingface_hub.hf_hub_download`` (2.x) asks for a plain (non-Xet, non-LFS)
file: ``HEAD`` then ``GET /{owner}/{name}/resolve/{revision}/{filename}``, with the headers
the client reads (``X-Repo-Commit``, ``ETag``, ``Content-Length``) and the ``X-Error-Code``
header it turns into ``RepositoryNotFoundError`` / ``RevisionNotFoundError`` /
``RemoteEntryNotFoundError`` / ``GatedRepoError``. Every request is logged in
``FakeHub.requests`` so a test can check the order of downloads and that nothing else was hit.

    hub = FakeHub().start()
    hub.add("owner/name", {"config.json": b"{}"}, revision="main")
    # HF_ENDPOINT=hub.url ...
    hub.stop()
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<filename>.+)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def commit_sha(repo_id: str, revision: str) -> str:
    """The fixed 40-hex commit id the fake Hub reports for a repo's revision."""
    return hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()


@dataclass
class _Repo:
    revisions: dict[str, dict[str, bytes]] = field(default_factory=dict)
    gated: bool = False
    token: str | None = None  # the bearer token that opens a gated repo


class FakeHub:
    """In-memory repos ``{repo_id: {revision: {filename: bytes}}}`` served over loopback HTTP."""

    def __init__(self) -> None:
        self.repos: dict[str, _Repo] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) in arrival order
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # filled in by the `fake_hub` fixture (tests/conftest.py)
        self.env: dict[str, str] = {}  # HF_* variables for subprocesses
        self.cache_dir = None  # the per-test HF_HUB_CACHE

    # --- content ---------------------------------------------------------------------------

    def add(
        self,
        repo_id: str,
        files: dict[str, bytes | str],
        *,
        revision: str = "main",
        gated: bool = False,
        token: str | None = None,
    ) -> str:
        """Add (or replace) the files of one revision; return its commit sha."""
        repo = self.repos.setdefault(repo_id, _Repo())
        repo.gated = repo.gated or gated
        repo.token = token or repo.token
        repo.revisions[revision] = {
            name: data.encode() if isinstance(data, str) else bytes(data)
            for name, data in files.items()
        }
        return commit_sha(repo_id, revision)

    def add_folder(self, repo_id: str, folder, *, revision: str = "main", **kwargs) -> str:
        """Add every file directly inside ``folder`` as one revision."""
        from pathlib import Path

        files = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}
        return self.add(repo_id, files, revision=revision, **kwargs)

    def paths(self, method: str | None = None) -> list[str]:
        """Logged file requests (``/resolve/`` paths; optionally of one method), in order."""
        with self._lock:
            return [
                p for m, p in self.requests if "/resolve/" in p and (method is None or m == method)
            ]

    def other_requests(self) -> list[tuple[str, str]]:
        """Logged requests to anything but a file or the agent registry (should stay empty)."""
        with self._lock:
            return [
                (m, p)
                for m, p in self.requests
                if "/resolve/" not in p and p != "/api/agent-harnesses"
            ]

    # --- server ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeHub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    # --- request handling (called from the server threads) ---------------------------------

    def _lookup(self, method: str, raw_path: str, auth: str | None):
        """(status, headers, body) for one request."""
        path = urlsplit(raw_path).path
        with self._lock:
            self.requests.append((method, path))
        if path == "/api/agent-harnesses":
            # huggingface_hub's user-agent builder fetches this registry once per process
            body = json.dumps({"standardEnvVars": [], "harnesses": {}}).encode()
            return 200, {"Content-Type": "application/json"}, body
        m = _RESOLVE.match(path)
        if m is None:
            return _error(404, "NotFound", f"the fake Hub does not serve {path}")
        repo_id, revision = m["repo"], unquote(m["revision"])
        filename = unquote(m["filename"])
        repo = self.repos.get(repo_id)
        if repo is None:
            return _error(404, "RepoNotFound", f"Repository {repo_id} not found")
        if repo.gated and (repo.token is None or auth != f"Bearer {repo.token}"):
            status = 401 if auth is None else 403
            return _error(
                status,
                "GatedRepo",
                f"Access to model {repo_id} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in.",
            )
        # a commit sha addresses its revision too
        by_sha = {commit_sha(repo_id, r): r for r in repo.revisions}
        revision = by_sha.get(revision, revision)
        files = repo.revisions.get(revision)
        if files is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        sha = commit_sha(repo_id, revision)
        if filename not in files:
            status, headers, body = _error(404, "EntryNotFound", f"{filename} does not exist")
            headers["X-Repo-Commit"] = sha  # the real Hub sends it; the client caches .no_exist
            return status, headers, body
        data = files[filename]
        headers = {
            "X-Repo-Commit": sha,
            "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
            "Content-Type": _content_type(filename),
            "Accept-Ranges": "bytes",
        }
        return 200, headers, data


def _content_type(filename: str) -> str:
    if filename.endswith(".json"):
        return "application/json"
    if filename.endswith(".md"):
        return "text/markdown; charset=utf-8"
    if filename.endswith(".png"):
        return "image/png"
    return "application/octet-stream"


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": message}).encode()
    headers = {"X-Error-Code": code, "X-Error-Message": message, "Content-Type": "application/json"}
    return status, headers, body


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def _answer(self, with_body: bool) -> None:
        status, headers, body = self.fake._lookup(
            self.command, self.path, self.headers.get("Authorization")
        )
        start, end = 0, len(body)
        wanted = self.headers.get("Range")
        if status == 200 and wanted and (m := _RANGE.match(wanted.strip())):
            start = int(m[1])
            end = min(int(m[2]) + 1, len(body)) if m[2] else len(body)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
        chunk = body[start:end]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        if with_body:
            self.wfile.write(chunk)

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(with_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(with_body=True)

    def do_POST(self) -> None:  # noqa: N802
        # nothing here takes uploads; answer (and log) rather than hang the client
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._answer(with_body=True)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # keep test output clean
