"""What a page holds for its live run: a :class:`LiveHandle`, whose every call is one request
to the worker holding the run (through the :class:`~gancore.live.pool.WorkerPool`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gancore.live.process import OPEN_TIMEOUT

if TYPE_CHECKING:
    from gancore.live.pool import WorkerPool


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
