"""A worker process: it owns live runs (gancore.live.runs) and trains them, fairly.

The web server (gancore.live.pool) talks to a worker over one ``multiprocessing`` pipe:
requests ``(request_id, session_id, command, kwargs)``, replies ``(request_id, ok, value)``.
Between requests the worker trains the running sessions in short slices, always the one
that has had the least CPU time so far (``time.thread_time``, not wall time: a session
whose rounds cost more gets fewer of them, and everyone gets the same share of the core).
Views (the pictures a page draws) are computed here too and charged to their session.

Leases: a running session nobody has asked about for ``lease`` seconds (its tab closed or
hidden) pauses; one not asked about for ``idle`` seconds is dropped, freeing its memory.
Every ``save_every`` seconds each changed session's full state goes to ``state_dir`` so that
the pool can carry it on in another worker if this one dies.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gancore.live import ab

SLICE_SECONDS = 0.025  # one turn of a toy session at most; an image round may take longer
# Every running session gets a turn within this long, so each refresh of its page shows
# progress: with 16 runs on a worker, 25 ms turns came round every ~0.7 s, and half of the
# refreshes (every 0.56 s) found nothing new to draw.
ROTATION_SECONDS = 0.2
MIN_SLICE_SECONDS = 0.004


@dataclass
class Settings:
    lease: float = 45.0
    idle: float = 900.0
    save_every: float = 5.0
    state_dir: str = ""
    toy_threads: int = 1
    image_threads: int = 1


@dataclass
class Session:
    run: Any
    threads: int
    twin: Any = None  # B of an A / B comparison (gancore.live.ab): trains in lockstep with A
    cpu: float = 0.0  # CPU seconds spent on this session (training and views)
    seen: float = field(default_factory=time.monotonic)
    saved_step: int = -1
    saved_at: float = 0.0


class Worker:
    def __init__(self, conn: Connection, settings: Settings) -> None:
        self.conn = conn
        self.settings = settings
        self.sessions: dict[str, Session] = {}
        self.cpu_start = time.process_time()

    # --- commands ---------------------------------------------------------------------------

    def handle(self, sid: str, command: str, kwargs: dict[str, Any]) -> Any:
        if command == "stats":
            return self.stats()
        if command == "open":
            return self.open(sid, **kwargs)
        if command == "close":
            self.sessions.pop(sid, None)
            self._forget_state(sid)
            return None
        session = self.sessions.get(sid)
        if session is None:
            raise LookupError(f"no live run {sid!r} in this worker")
        session.seen = time.monotonic()
        which = kwargs.pop("which", "a")
        run = ab.pick(session, which)
        t0 = time.thread_time()
        try:
            if command in ab.COMMANDS:
                value = ab.command(session, command, kwargs)
            else:
                value = self._run_command(session, run, command, kwargs)
                if which == "a":
                    value = ab.also_b(session, command, value, kwargs)
            return value
        finally:
            session.cpu += time.thread_time() - t0

    def _run_command(self, session: Session, run: Any, command: str, kw: dict[str, Any]) -> Any:
        import torch

        torch.set_num_threads(session.threads)
        if command == "status":
            return run.status()
        if command == "view":
            out = run.view(**kw)
            out["status"] = run.status()
            return out
        if command == "timeline":
            return {"timeline": list(run.timeline), "status": run.status()}
        if command == "step":
            run.error = None
            run.advance(steps=kw.get("steps"), only=kw.get("only"))
            return run.status()
        if command == "speed":
            run.max_rate = kw["rate"]
            return run.status()
        if command == "train":
            if kw["on"]:
                run.error, run.notice = None, None
                run.stop_at = kw.get("stop_at")
                run.running = run.stop_at is None or run.trainer.step_count < run.stop_at
                # a session that starts (again) joins level with the running ones: no credit
                # for the time it sat out, and no debt for the views it had while paused
                # (which left one of 32 sessions waiting more than 15 s for its first round)
                running = [
                    s.cpu for s in self.sessions.values() if s.run.running and s is not session
                ]
                session.cpu = min(running, default=session.cpu)
            else:
                run.running = False
            return run.status()
        if command == "configure":
            run.trainer.update_config(**kw["changes"])
            return run.status()
        if command == "reset":  # with ``preset``: a new run of other settings (D's shape)
            fresh = type(run)(kw.get("preset") or run.preset, run.name)
            fresh.max_rate = run.max_rate
            if run is session.twin:
                session.twin = fresh
            else:
                session.run = fresh
            return fresh.status()
        if command in (
            "export_zip",
            "label_scores",
            "samples",
            "weights",
            "describe",
            "replay_gif",
        ):
            return getattr(run, command)()
        if command == "replay":
            return run.replay_view(kw.get("step"))
        if command == "quality":
            return run.estimate_quality(force=True)
        raise ValueError(f"unknown command {command!r}")

    def open(
        self,
        sid: str,
        *,
        kind: str,
        preset: dict[str, Any],
        name: str,
        threads: int | None = None,
        resume: str | None = None,
        running: bool = False,
        stop_at: int | None = None,
        env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        import torch

        from gancore.live.kinds import run_class
        from gancore.models.kinds import MODEL_KINDS

        if env is not None:  # the server's GANCORE_* settings now (its data root, ...)
            for k in [k for k in os.environ if k.startswith("GANCORE_") and k not in env]:
                del os.environ[k]
            os.environ.update(env)

        if threads is None:
            images = MODEL_KINDS[kind].images
            threads = self.settings.image_threads if images else self.settings.toy_threads
        torch.set_num_threads(threads)
        t0 = time.thread_time()
        run = run_class(kind)(preset, name)
        if resume and os.path.exists(resume):
            run.load_state(torch.load(resume, weights_only=True))
            run.running, run.stop_at = running, stop_at
        cpu = [s.cpu for s in self.sessions.values() if s.run.running]
        session = Session(run=run, threads=threads, cpu=min(cpu, default=0.0))
        session.cpu += time.thread_time() - t0
        session.saved_step = run.trainer.step_count
        self.sessions[sid] = session
        return run.status()

    def stats(self) -> dict[str, Any]:
        rss = 0
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        except OSError:
            pass
        return {
            "pid": os.getpid(),
            "sessions": len(self.sessions),
            "running": sum(s.run.running for s in self.sessions.values()),
            "cpu_seconds": time.process_time() - self.cpu_start,
            "rss_bytes": rss,
            "session_cpu": {sid: s.cpu for sid, s in self.sessions.items()},
        }

    # --- housekeeping -----------------------------------------------------------------------

    def _state_path(self, sid: str) -> Path:
        return Path(self.settings.state_dir) / f"{sid}.pt"

    def _forget_state(self, sid: str) -> None:
        if self.settings.state_dir:
            self._state_path(sid).unlink(missing_ok=True)

    def housekeeping(self) -> None:
        now = time.monotonic()
        for sid, s in list(self.sessions.items()):
            if now - s.seen > self.settings.idle:
                del self.sessions[sid]
                self._forget_state(sid)
                continue
            if s.run.running and now - s.seen > self.settings.lease:
                s.run.running = False
                if s.twin is not None:
                    s.twin.running = False
                s.run.notice = (
                    f"Paused: nobody watched this run for {self.settings.lease:.0f} s (the tab "
                    "was closed or hidden). Press Resume to go on."
                )
            step = s.run.trainer.step_count
            due = now - s.saved_at >= self.settings.save_every
            if self.settings.state_dir and due and step != s.saved_step:
                self._save(sid, s)

    def _save(self, sid: str, s: Session) -> None:
        import torch

        path = self._state_path(sid)
        tmp = path.with_suffix(".tmp")
        t0 = time.thread_time()
        torch.save(s.run.state(), tmp)
        os.replace(tmp, path)
        s.cpu += time.thread_time() - t0
        s.saved_step, s.saved_at = s.run.trainer.step_count, time.monotonic()

    def train_once(self) -> bool:
        """One slice for the running session with the least CPU time; False if none runs."""
        import torch

        due = []
        for s in self.sessions.values():
            if s.run.running:
                allowed = s.run.allowance()  # a run slowed down to watch it may wait its turn
                if allowed is None or allowed >= 1:
                    due.append((s, allowed))
        if not due:
            return False
        s, allowed = min(due, key=lambda item: item[0].cpu)
        torch.set_num_threads(s.threads)
        t0 = time.thread_time()
        try:
            turn = max(MIN_SLICE_SECONDS, min(SLICE_SECONDS, ROTATION_SECONDS / len(due)))
            if s.twin is None:
                done = s.run.advance(seconds=turn, steps=allowed)
            else:
                done = ab.advance_pair(s.run, s.twin, seconds=turn, steps=allowed)
            if allowed is not None:
                s.run._credit -= done
        except Exception as err:  # noqa: BLE001 - one broken run must not stop the others
            traceback.print_exc()
            s.run.running = False
            s.run.error = f"Training stopped: {type(err).__name__}: {err}"
        s.cpu += time.thread_time() - t0
        return True

    # --- the loop ---------------------------------------------------------------------------

    def serve(self) -> None:
        last_house, trained = 0.0, False
        while True:
            busy = any(s.run.running for s in self.sessions.values())
            try:
                waiting = self.conn.poll(0 if trained else 0.01 if busy else 0.5)
                while waiting:
                    self._answer(self.conn.recv())
                    waiting = self.conn.poll(0)
            except (EOFError, OSError):
                return  # the server went away: so do we
            if time.monotonic() - last_house >= 0.5:
                self.housekeeping()
                last_house = time.monotonic()
            trained = self.train_once()

    def _answer(self, message: tuple) -> None:
        request_id, sid, command, kwargs = message
        try:
            reply = (request_id, True, self.handle(sid, command, kwargs))
        except Exception as err:  # noqa: BLE001 - raised again in the server (pool.py)
            if not isinstance(err, (ValueError, LookupError, RuntimeError)):
                traceback.print_exc()
            kind = type(err)
            reply = (request_id, False, (kind.__module__, kind.__qualname__, str(err)))
        self.conn.send(reply)


def main(address: str) -> None:
    """``python -m gancore.live ADDRESS``: connect back to the pool and serve it."""
    import json
    from multiprocessing.connection import Client

    import torch

    torch.set_num_threads(1)
    key = bytes.fromhex(os.environ.pop("GANCORE_WORKER_AUTHKEY"))
    settings = Settings(**json.loads(os.environ["GANCORE_WORKER_SETTINGS"]))
    conn = Client(address, family="AF_UNIX", authkey=key)
    try:
        Worker(conn, settings).serve()
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()
