"""What a worker process holds for one live run: the trainer and what its page draws.

A page in the web server never touches these objects; it asks a worker (gancore.live.pool)
for a *view*, a dict of plain numbers and NumPy arrays, and draws that. Everything here runs
in the worker: building the models, training rounds, the probes behind the pictures (D's
field, G's manifold, the gradient arrows), metrics, the image grid, and exports.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from gancore.live.replay import Replay
from gancore.presets.run_config import RunConfig
from gancore.train.trainer import DivergedError, Trainer
from gancore.viz import render

TIMELINE_ROWS = 2000  # rows kept of what the curves plot
TIMELINE_EVERY = 0.5  # seconds of training between two timeline rows when nobody looks


class LiveRun:
    """A trainer plus the state of its live page: running flag, error, timeline."""

    kind = "?"

    def __init__(self, preset: dict[str, Any], name: str) -> None:
        self.config = RunConfig.from_dict(preset, name=name)  # validated here, once
        self.preset = preset
        self.name = name
        self.running = False
        self.stop_at: int | None = None  # the step a running run pauses at (caps, targets)
        self.error: str | None = None
        self.notice: str | None = None
        self.rounds_per_second = 0.0
        self.timeline: list[dict[str, float]] = []
        self._last_row_time = 0.0
        self.max_rate: float | None = None  # rounds per second while running; None: no cap
        self._credit, self._credit_time = 0.0, time.monotonic()
        self._rate_mark = (time.monotonic(), 0)  # (when, step) the rate is measured from
        self.replay = Replay()  # what the page drew, to scrub back through (replay.py)
        self.trainer: Trainer = self._build()

    def _build(self) -> Trainer:
        raise NotImplementedError

    # --- training -------------------------------------------------------------------------

    def allowance(self) -> int | None:
        """Rounds this run may train now under its ``max_rate`` (None: no cap)."""
        if not self.max_rate:
            return None
        now = time.monotonic()
        burst = max(1.0, self.max_rate * 0.25)
        self._credit = min(self._credit + (now - self._credit_time) * self.max_rate, burst)
        self._credit_time = now
        return int(self._credit)

    def advance(
        self, *, seconds: float | None = None, steps: int | None = None, only: str | None = None
    ) -> int:
        """Train a slice (or ``steps`` rounds, or one round of ``only`` 'd' or 'g'); a diverged
        run stops, keeps its last good state and says so. Returns the rounds done."""
        if self.stop_at is not None:
            room = self.stop_at - self.trainer.step_count
            steps = room if steps is None else min(steps, room)
            if steps <= 0:
                self.running = False
                return 0
        try:
            if only is not None:
                self.trainer.step(update_d=only == "d", update_g=only == "g")
                done = 1
            else:
                done = len(self.trainer.run(steps=steps, seconds=seconds))
        except DivergedError as err:
            self.running = False
            self.error = (
                f"Training diverged at step {self.trainer.step_count}: {err} The last good "
                "state is kept. Lower the learning rates (or switch loss) and press Resume."
            )
            return 0
        if self.stop_at is not None and self.trainer.step_count >= self.stop_at:
            self.running = False
        if only is not None or (steps is not None and seconds is None):
            self.record()  # a step button: the curves show it at once
        elif time.monotonic() - self._last_row_time >= TIMELINE_EVERY:
            self.record()
        return done

    def record(self, extra: dict[str, float] | None = None) -> dict[str, float]:
        """Append a row of what the curves plot: the last round's numbers, plus ``extra``
        (the page's own numbers; computed afresh when not given)."""
        self._last_row_time = time.monotonic()
        last = self.trainer.history[-1] if self.trainer.history else {}
        if extra is None:
            extra = self.extra_metrics()
        row = {
            "step": float(self.trainer.step_count),
            **{k: float(v) for k, v in last.items() if k != "step"},
            **{k: float(v) for k, v in extra.items()},
        }
        if self.timeline and self.timeline[-1]["step"] == row["step"]:
            self.timeline[-1] = row
        else:
            self.timeline.append(row)
            del self.timeline[:-TIMELINE_ROWS]
        return row

    def extra_metrics(self) -> dict[str, float]:
        return {}

    def replay_view(self, step: int | None = None) -> dict[str, Any]:
        """The replay's snapshot nearest ``step`` (the newest by default), and every kept step."""
        step, snap = self.replay.at(-1) if step is None else self.replay.nearest(step)
        return {"step": step, "steps": self.replay.steps(), **self._replay_picture(snap)}

    def _replay_picture(self, snap: Any) -> dict[str, Any]:
        return dict(snap)

    def replay_gif(self) -> bytes:
        """The replay as an animated GIF, one frame per snapshot, each labelled with its step."""
        if not self.replay.items:
            raise ValueError("no snapshots yet: train the run (and watch it) first")
        frames = [
            render.labelled(self._replay_image(snap), f"step {s:,}")
            for s, snap in self.replay.items
        ]
        return render.to_gif(frames)

    def _replay_image(self, snap: Any) -> Any:
        """A snapshot as a PIL image: the image kinds keep PNG bytes (toy runs draw theirs)."""
        from PIL import Image

        return Image.open(io.BytesIO(snap))

    def _measure_rate(self) -> None:
        """Rounds per second of wall-clock time while running, over the last second or more:
        what the page shows, and what its time left is reckoned from."""
        now, step = time.monotonic(), self.trainer.step_count
        then, before = self._rate_mark
        if not self.running:
            self._rate_mark = (now, step)
        elif now - then >= 1.0:
            self.rounds_per_second = (step - before) / (now - then)
            self._rate_mark = (now, step)

    def status(self) -> dict[str, Any]:
        """What every reply carries: where the run is and what to tell the user."""
        self._measure_rate()
        cfg = self.trainer.config
        return {
            "step": self.trainer.step_count,
            "running": self.running,
            "stop_at": self.stop_at,
            "error": self.error,
            "notice": self.notice,
            "rounds_per_second": self.rounds_per_second,
            "config": cfg.to_dict(),
            "last": dict(self.trainer.history[-1]) if self.trainer.history else {},
        }

    def weights(self) -> dict[str, dict[str, np.ndarray]]:
        """Copies of G's and D's weights (for checks that a step left one network alone)."""
        nets = {"generator": self.trainer.generator, "discriminator": self.trainer.discriminator}
        return {
            name: {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
            for name, net in nets.items()
        }

    # --- recovery state -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Tensors and plain containers only (read back with weights_only=True)."""
        state = self.trainer.state_dict()
        state["history"] = state["history"][-TIMELINE_ROWS:]
        return {"trainer": state, "timeline": [dict(r) for r in self.timeline]}

    def load_state(self, state: dict[str, Any]) -> None:
        self.trainer.load_state_dict(state["trainer"])
        self.timeline = [dict(r) for r in state["timeline"]]
        self._rate_mark = (time.monotonic(), self.trainer.step_count)
