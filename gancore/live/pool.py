"""A pool of worker processes that own every live training run, and the handles pages hold.

The web server's Python process lays out pages; training, and the probes behind what is
drawn, run in ``workers`` processes (one per core by default), so live training no longer
shares one interpreter lock with Streamlit and with each other. A page holds a
:class:`LiveHandle`; each of its calls is one request over the worker's pipe, answered with
plain numbers and NumPy arrays.

- New runs go to the least-loaded worker (fewest running runs, then fewest runs).
- Inside a worker, running runs share the core by CPU time (gancore.live.worker).
- A worker that dies (killed, out of memory) is replaced; each of its runs carries on in
  another worker from its last saved state (saved every few seconds), and its page is told.
- A run that nobody asks about pauses after ``lease`` seconds and is freed after ``idle``.

Only the standard library is used: ``subprocess`` and ``multiprocessing.connection``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from typing import Any

from gancore.live.errors import LiveError, WorkerDied
from gancore.live.handle import LiveHandle
from gancore.live.process import CALL_TIMEOUT, OPEN_TIMEOUT, WorkerProcess
from gancore.live.worker import Settings


def _env() -> dict[str, str]:
    """The server's GANCORE_* settings as they are now (the data root, ...): a worker started
    earlier builds each run with the settings of the moment it is opened."""
    return {k: v for k, v in os.environ.items() if k.startswith("GANCORE_")}


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class WorkerPool:
    """``workers`` processes (default: one per core) holding every live run."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        lease: float = 45.0,
        idle: float = 900.0,
        save_every: float = 5.0,
        toy_threads: int = 1,
        image_threads: int = 1,
    ) -> None:
        n = default_workers() if workers is None else workers
        if not 1 <= n <= 256:
            raise ValueError(f"workers must be in [1, 256], got {n}")
        self._state_dir = tempfile.mkdtemp(prefix="gancore-live-")
        self.settings = Settings(
            lease=lease,
            idle=idle,
            save_every=save_every,
            state_dir=self._state_dir,
            toy_threads=toy_threads,
            image_threads=image_threads,
        )
        self._lock = threading.RLock()
        self._workers = [WorkerProcess(i, self.settings) for i in range(n)]
        self._where: dict[str, int] = {}  # session id -> worker index
        self._opened: dict[str, dict[str, Any]] = {}  # how each run was opened (to reopen it)
        self._running: dict[str, tuple[bool, int | None]] = {}  # last known (running, stop_at)
        self.restarts = 0
        self._closed = False
        atexit.register(self.shutdown)

    @property
    def size(self) -> int:
        return len(self._workers)

    def running(self) -> int:
        """Runs training now, as their last replies said."""
        with self._lock:
            return sum(on for on, _ in self._running.values())

    def pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    # --- placement ------------------------------------------------------------------------

    def _load(self, index: int) -> tuple[int, int]:
        mine = [sid for sid, i in self._where.items() if i == index]
        return sum(self._running.get(sid, (False, None))[0] for sid in mine), len(mine)

    def _least_loaded(self) -> WorkerProcess:
        self._replace_dead()
        return min(self._workers, key=lambda w: (*self._load(w.index), w.index))

    def _replace_dead(self) -> None:
        with self._lock:
            for i, w in enumerate(self._workers):
                if not w.is_alive():
                    w.alive = False
                    w.stop()
                    self._workers[i] = WorkerProcess(i, self.settings)
                    self.restarts += 1

    # --- runs -----------------------------------------------------------------------------

    def open(
        self, kind: str, preset: dict[str, Any], name: str, *, threads: int | None = None
    ) -> LiveHandle:
        """Build a run (``kind`` 'toy' or 'image') from a resolved preset in a worker."""
        if self._closed:
            raise LiveError("the worker pool is shut down")
        sid = uuid.uuid4().hex
        spec = {"kind": kind, "preset": preset, "name": name, "threads": threads, "env": _env()}
        with self._lock:
            worker = self._least_loaded()
            self._where[sid] = worker.index
            self._opened[sid] = spec
            self._running[sid] = (False, None)
        try:
            status = worker.request(sid, "open", spec, OPEN_TIMEOUT)
        except BaseException:
            self._forget(sid)
            raise
        return LiveHandle(self, sid, kind, status)

    def _forget(self, sid: str) -> None:
        with self._lock:
            self._where.pop(sid, None)
            self._opened.pop(sid, None)
            self._running.pop(sid, None)

    def call(self, sid: str, command: str, *, timeout: float = CALL_TIMEOUT, **kwargs) -> Any:
        """One request to the run's worker; reopens the run elsewhere if its worker died."""
        notice = None
        for attempt in range(3):
            with self._lock:
                if sid not in self._where:
                    raise LiveError("this run was closed")
                worker = self._workers[self._where[sid]]
            try:
                value = worker.request(sid, command, kwargs, timeout)
                break
            except WorkerDied:
                if attempt == 2:
                    raise
                notice = self._reopen(sid, resume=True)
            except LookupError:  # freed after a long idle spell: start it again
                if attempt == 2:
                    raise
                notice = self._reopen(sid, resume=False)
        if kwargs.get("which", "a") == "a":
            self._note_status(sid, value)
        if notice and isinstance(value, dict):
            value["pool_notice"] = notice
        return value

    def reopen_as(self, sid: str, preset: dict[str, Any]) -> None:
        """A run rebuilt from other settings is reopened from those if its worker dies."""
        with self._lock:
            if sid in self._opened:
                self._opened[sid] = {**self._opened[sid], "preset": preset}

    def _note_status(self, sid: str, value: Any) -> None:
        status = value.get("status", value) if isinstance(value, dict) else None
        if isinstance(status, dict) and "running" in status:
            with self._lock:
                if sid in self._running:
                    self._running[sid] = (bool(status["running"]), status.get("stop_at"))

    def _reopen(self, sid: str, *, resume: bool) -> str:
        with self._lock:
            self._replace_dead()
            spec = self._opened[sid]
            running, stop_at = self._running.get(sid, (False, None))
            old = self._where[sid]
            self._where.pop(sid)
            worker = self._least_loaded()
            self._where[sid] = worker.index
        path = os.path.join(self._state_dir, f"{sid}.pt")
        kwargs = dict(spec)
        if resume:
            kwargs.update(resume=path, running=running, stop_at=stop_at)
        status = worker.request(sid, "open", kwargs, OPEN_TIMEOUT)
        if not resume:
            return (
                "This run was freed after a long time without a visitor, and starts again "
                "from its settings."
            )
        where = "another" if worker.index != old else "a fresh"
        return (
            f"The training worker holding this run stopped; the run carries on in {where} "
            f"worker from its last saved state (step {status['step']:,})."
        )

    def close(self, sid: str) -> None:
        with self._lock:
            index = self._where.get(sid)
        if index is not None:
            with contextlib.suppress(LiveError):
                self._workers[index].request(sid, "close", {}, 10.0)
        self._forget(sid)

    def stats(self) -> list[dict[str, Any]]:
        """Per worker: pid, runs held and running, CPU seconds, resident memory."""
        out = []
        for w in list(self._workers):
            try:
                out.append({"index": w.index, **w.request("", "stats", {}, 10.0)})
            except LiveError:
                out.append({"index": w.index, "pid": w.pid, "dead": True})
        return out

    def kill_worker(self, index: int) -> int:
        """Kill one worker process (SIGKILL), as a crash would: for tests and drills."""
        w = self._workers[index]
        w.process.kill()
        w.process.wait(5)
        return w.pid

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in self._workers:
            w.stop()
        shutil.rmtree(self._state_dir, ignore_errors=True)
