"""The server's end of one worker process: starting it, sending it requests, reading answers."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict
from multiprocessing.connection import Listener
from pathlib import Path
from typing import Any

from gancore.live.errors import LiveError, WorkerDied, rebuild_error
from gancore.live.worker import Settings

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding gancore/
START_TIMEOUT = 120.0

OPEN_TIMEOUT = 900.0  # building an image run may download its dataset first
CALL_TIMEOUT = 120.0


class WorkerProcess:
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
                future.set_exception(rebuild_error(*value))
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
