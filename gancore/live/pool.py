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
import importlib
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict
from multiprocessing.connection import Listener
from pathlib import Path
from typing import Any

from gancore.live.worker import Settings

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding gancore/
START_TIMEOUT = 120.0

OPEN_TIMEOUT = 900.0  # building an image run may download its dataset first
CALL_TIMEOUT = 120.0


class LiveError(RuntimeError):
    """A live run could not do what was asked (the message says why, for the page)."""


class WorkerDied(LiveError):
    """The worker process holding a run went away mid-request."""


def _rebuild_error(module: str, qualname: str, message: str) -> Exception:
    """The worker's exception, raised again here when it is one of ours or a builtin
    (ValueError for bad settings, DatasetUnavailableError, ...); LiveError otherwise."""
    if module == "builtins" or module.startswith("gancore."):
        try:
            kind = getattr(importlib.import_module(module), qualname)
            if isinstance(kind, type) and issubclass(kind, Exception):
                return kind(message)
        except Exception:  # noqa: BLE001 - an exception that cannot be rebuilt from a message
            pass
    return LiveError(message)


class _Worker:
    """The server's end of one worker process: a connection, pending requests, a reader thread.

    The worker is a fresh interpreter (``python -m gancore.live``) that connects back
    over a ``multiprocessing.connection`` socket with an auth key: unlike multiprocessing's
    spawn, it never re-imports the parent's ``__main__``, which in Streamlit is a page script."""

    def __init__(self, index: int, settings: Settings) -> None:
        self.index = index
        key = secrets.token_bytes(32)
        listener = Listener(family="AF_UNIX", authkey=key)
        env = {
            **os.environ,
            "GANCORE_WORKER_AUTHKEY": key.hex(),
            "GANCORE_WORKER_SETTINGS": json.dumps(asdict(settings)),
            "PYTHONPATH": os.pathsep.join(
                p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gancore.live", str(listener.address)],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        self.pid = self.process.pid
        accepted: list[Any] = []
        waiter = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
        waiter.start()
        waiter.join(START_TIMEOUT)
        listener.close()
        if not accepted:
            self.process.kill()
            raise LiveError(f"a training worker did not start within {START_TIMEOUT:.0f} s")
        self.conn = accepted[0]
        self.alive = True
        self._pending: dict[int, Future] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._reader = threading.Thread(
            target=self._read, name=f"gancore-worker-{index}-reader", daemon=True
        )
        self._reader.start()

    def is_alive(self) -> bool:
        return self.alive and self.process.poll() is None

    def _read(self) -> None:
        while True:
            try:
                request_id, ok, value = self.conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._pending.pop(request_id, None)
            if future is None:
                continue  # its caller gave up waiting
            if ok:
                future.set_result(value)
            else:
                future.set_exception(_rebuild_error(*value))
        with self._lock:
            self.alive = False
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(WorkerDied("the training worker stopped"))

    def request(self, sid: str, command: str, kwargs: dict[str, Any], timeout: float) -> Any:
        future: Future = Future()
        with self._lock:
            if not self.alive:
                raise WorkerDied("the training worker stopped")
            request_id = next(self._ids)
            self._pending[request_id] = future
            try:
                self.conn.send((request_id, sid, command, kwargs))
            except (OSError, ValueError, BrokenPipeError):
                self._pending.pop(request_id, None)
                raise WorkerDied("the training worker stopped") from None
        try:
            return future.result(timeout)
        except FutureTimeout:
            with self._lock:
                self._pending.pop(request_id, None)
            raise LiveError(
                f"the training worker did not answer within {timeout:.0f} s (the server is "
                "overloaded); try again in a moment"
            ) from None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()  # the worker sees end-of-file and exits
        try:
            self.process.wait(3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(3)


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
        self._workers = [_Worker(i, self.settings) for i in range(n)]
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

    def _least_loaded(self) -> _Worker:
        self._replace_dead()
        return min(self._workers, key=lambda w: (*self._load(w.index), w.index))

    def _replace_dead(self) -> None:
        with self._lock:
            for i, w in enumerate(self._workers):
                if not w.is_alive():
                    w.alive = False
                    w.stop()
                    self._workers[i] = _Worker(i, self.settings)
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


class LiveHandle:
    """What a page holds for its run: every call is answered by the run's worker."""

    def __init__(self, pool: WorkerPool, sid: str, kind: str, status: dict[str, Any]) -> None:
        self.pool, self.sid, self.kind = pool, sid, kind
        self.status = status
        self.notice: str | None = None  # set when the pool moved or restarted the run

    def _call(self, command: str, **kwargs) -> Any:
        value = self.pool.call(self.sid, command, **kwargs)
        if isinstance(value, dict):
            if "pool_notice" in value:
                self.notice = value.pop("pool_notice")
            status = value.get("status", value)
            if isinstance(status, dict) and "step" in status and "running" in status:
                if kwargs.get("which", "a") == "a":
                    self.status = status
                else:  # a reply about B (gancore.live.ab) updates what the handle says of B
                    self.status = {**self.status, "b": status}
        return value

    @property
    def step_count(self) -> int:
        return int(self.status["step"])

    @property
    def running(self) -> bool:
        return bool(self.status["running"])

    def refresh(self) -> dict[str, Any]:
        return self._call("status")

    def view(self, **options) -> dict[str, Any]:
        return self._call("view", **options)

    def timeline(self) -> list[dict[str, float]]:
        return self._call("timeline")["timeline"]

    def timelines(self) -> tuple[list[dict[str, float]], list[dict[str, float]] | None]:
        """The run's curves, and its B's while there is one."""
        reply = self._call("timeline")
        return reply["timeline"], reply.get("b_timeline")

    def step(self, steps: int | None = 1, *, only: str | None = None) -> dict[str, Any]:
        return self._call("step", steps=steps, only=only, timeout=600.0)

    def train(self, on: bool, *, stop_at: int | None = None) -> dict[str, Any]:
        return self._call("train", on=on, stop_at=stop_at)

    def speed(self, rate: float | None) -> dict[str, Any]:
        """At most ``rate`` rounds a second while running (None: as fast as it goes)."""
        return self._call("speed", rate=rate)

    # ``which="b"``: the same on the run's B while there is one (gancore.live.ab)

    def configure(self, which: str = "a", **changes) -> dict[str, Any]:
        """Live hyperparameter edits (ValueError naming a bad value)."""
        return self._call("configure", changes=changes, which=which)

    def reset(self, which: str = "a", preset: dict[str, Any] | None = None) -> dict[str, Any]:
        """Fresh models from the seed (a pair's A: both A and B); with ``preset``, built from
        that one instead (settings that shape D, such as PacGAN's pack, need this)."""
        reply = self._call("reset", which=which, preset=preset, timeout=OPEN_TIMEOUT)
        if preset is not None and which == "a":
            self.pool.reopen_as(self.sid, preset)
        return reply

    def export_zip(self, which: str = "a") -> bytes:
        return self._call("export_zip", which=which, timeout=600.0)

    def gif(self, which: str = "a") -> bytes:
        return self._call("gif", which=which, timeout=600.0)

    def replay(self, step: int | None = None, which: str = "a") -> dict[str, Any]:
        """The run's replay snapshot nearest ``step`` (None: the newest), with ``steps``, every
        step kept (ValueError before the first snapshot)."""
        return self._call("replay", step=step, which=which)

    def replay_gif(self, which: str = "a") -> bytes:
        return self._call("replay_gif", which=which, timeout=600.0)

    def label_scores(self) -> dict[str, Any]:
        return self._call("label_scores")

    def samples(self, which: str = "a") -> Any:
        return self._call("samples", which=which)

    def describe(self, which: str = "a") -> dict[str, Any]:
        """Facts about the run (its data, model shape, frames kept, quality estimates)."""
        return self._call("describe", which=which)

    def weights(self, which: str = "a") -> dict[str, dict[str, Any]]:
        return self._call("weights", which=which)

    def quality(self) -> dict[str, float] | None:
        return self._call("quality", timeout=600.0)

    def fork(self, *, fresh: bool = False, **changes) -> dict[str, Any]:
        """A / B: B a copy of this run now (weights, optimizer state, noise), or A and B
        afresh from the seed (``fresh``), with B's ``changes``. See gancore.live.ab."""
        return self._call("fork", fresh=fresh, changes=changes, timeout=OPEN_TIMEOUT)

    def unfork(self, keep: str = "a") -> dict[str, Any]:
        """End an A / B comparison, keeping run ``keep`` ('a' or 'b') as this handle's run."""
        return self._call("unfork", keep=keep)

    def hold(self, on: bool = True) -> dict[str, Any]:
        """B sits out (A trains alone) while ``on``; released, B catches up and goes on."""
        return self._call("hold", on=on)

    @property
    def b(self) -> dict[str, Any] | None:
        """B's status while there is a B (from the latest reply), else None."""
        return self.status.get("b")

    def close(self) -> None:
        self.pool.close(self.sid)
