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
import torch

from gancore.eval import toy as metrics
from gancore.explore import probes
from gancore.live.replay import Replay, compact
from gancore.models.modes import evaluating
from gancore.presets.run_config import RunConfig
from gancore.train.stabilizers import per_sample
from gancore.train.trainer import DivergedError, Trainer
from gancore.viz import render

N_SHOWN = 600  # samples drawn on the 2D figure
N_METRIC = 2000  # samples behind the toy metrics
N_ARROWS = 150  # gradient arrows on the 2D figure
N_MAPPING = 40  # z -> G(z) lines on the 1D figure
TIMELINE_ROWS = 2000  # rows kept of what the curves plot
TIMELINE_EVERY = 0.5  # seconds of training between two timeline rows when nobody looks
GRID_PER_CLASS = 8  # conditional grids: one row per label, this many columns
GRID_UNCONDITIONAL = 64
QUALITY_EVERY_SECONDS = 10.0
QUALITY_SAMPLES = 500
# Stacked MNIST's modes need more samples (a perfect G covers ~632 of 1000 modes with 1,000);
# each is 3 classifier calls, ~0.3 s here on one core, every QUALITY_EVERY_SECONDS
STACKED_QUALITY_SAMPLES = 1000
CLASSIFIED = ("mnist", "fashion-mnist", "stacked-mnist")  # classifiers ship in checkpoints/


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
        raise NotImplementedError

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


class ToyRun(LiveRun):
    """A 1D or 2D toy lab's run."""

    kind = "toy"

    def _build(self) -> Trainer:
        from gancore.presets.toy import build_from_preset

        trainer, self.dist = build_from_preset(self.preset)
        g = torch.Generator().manual_seed(2024)
        self.real_metric = self.dist.sample(N_METRIC, g).numpy().astype(np.float64)
        return trainer

    def fixed_fakes(self, n: int) -> np.ndarray:
        """G's samples from the same noise every time, so the picture moves smoothly.

        The live generator, not its EMA: D's field and the gradient arrows are about it."""
        g = torch.Generator().manual_seed(12345)
        G = self.trainer.generator
        with evaluating(G), torch.no_grad():
            return G(G.sample_latent(n, generator=g)).numpy().astype(np.float64)

    def metrics_of(self, fakes: np.ndarray) -> dict[str, float]:
        """The toy metrics (gancore.eval.toy.toy_quality) against the fixed real set."""
        return metrics.toy_quality(fakes, self.real_metric, self.dist)

    def extra_metrics(self) -> dict[str, float]:
        return self._scores(self.fixed_fakes(N_METRIC))[0]

    def _scores(self, fakes: np.ndarray) -> tuple[dict[str, float], dict[str, Any] | None]:
        """The numbers the page shows for these fakes, and (1D) the snapshot they come from."""
        if self.dist.dim == 1:
            snap = self._snapshot_1d(fakes)
            return {k: v for k, v in snap.items() if np.ndim(v) == 0}, snap
        return self.metrics_of(fakes), None

    def _snapshot_1d(self, fakes: np.ndarray) -> dict[str, Any]:
        lo, hi = self.dist.bounds[0]
        x = np.linspace(lo, hi, 500)
        G = self.trainer.generator
        span = 1.0 if G.config.noise == "uniform" else 2.5
        z = np.zeros((N_MAPPING, G.latent_dim))
        z[:, 0] = np.linspace(-span, span, N_MAPPING)
        D, spec = self.trainer.discriminator, self.trainer.spec
        return probes.snapshot_1d(G, D, self.dist, spec, x=x, fakes=fakes, mapping_z=z)

    def view(self, layers: tuple[str, ...] = ()) -> dict[str, Any]:
        """Everything the lab's picture and numbers panel show, as arrays and numbers."""
        spec = self.trainer.spec
        fakes = self.fixed_fakes(N_METRIC)
        out: dict[str, Any] = {"bounds": self.dist.bounds, "critic": spec.wasserstein}
        row, snap = self._scores(fakes)
        if snap is not None:
            out["snap"] = snap
        else:
            shown = fakes[:N_SHOWN]
            layers = tuple(layers)
            D = self.trainer.discriminator
            if "discriminator" in layers:
                out["field"] = probes.field_2d(D, self.dist.bounds, spec)
            if "gradients" in layers:
                grads = probes.fake_gradients(D, shown[:N_ARROWS], spec)
                out["arrows"] = (shown[:N_ARROWS], grads)
            if "manifold" in layers:
                G = self.trainer.ema_generator or self.trainer.generator
                out["mesh"] = probes.generator_mesh(G)
            if "fake" in layers:
                out["fake"] = shown
            if "real" in layers:
                out["real"] = self.real_metric[:N_SHOWN]
        out["metrics"] = row
        self.record(row)
        kept = {k: out[k] for k in ("snap", "field", "mesh") if k in out}
        self.replay.offer(
            self.trainer.step_count,
            lambda: compact({**kept, "fake": fakes[:N_SHOWN], "metrics": row}),
        )
        return out

    def _replay_picture(self, snap: dict[str, Any]) -> dict[str, Any]:
        real = self.real_metric[:N_SHOWN]
        return {
            **snap,
            "real": real,
            "bounds": self.dist.bounds,
            "critic": self.trainer.spec.wasserstein,
        }

    def _replay_image(self, snap: dict[str, Any]) -> Any:
        return render.scatter(
            snap["fake"], real=self.real_metric[:N_SHOWN], bounds=self.dist.bounds
        )

    def describe(self) -> dict[str, Any]:
        """Facts about the run for checks and tests: its data and the real set it is scored on."""
        return {
            "data": self.dist.name,
            "dim": self.dist.dim,
            "real_abs_max": float(np.max(np.abs(self.real_metric))),
            "timeline_steps": [row["step"] for row in self.timeline],
            "frames": len(self.replay.items),
            "replay_bytes": self.replay.nbytes(),
        }

    def samples(self, n: int = 2000) -> np.ndarray:
        return self.fixed_fakes(n)

    def export_zip(self) -> bytes:
        """The run saved with gancore.io.checkpoint (config.json, weights, card, sample) as a zip."""
        from gancore.io.zips import checkpoint_zip_bytes
        from gancore.train.runs import toy_quality

        trainer = self.trainer
        g = torch.Generator().manual_seed(1234)
        fakes = trainer.sample(2500, generator=g).numpy().astype(np.float64)
        config = self.config.checkpoint_config(
            metrics={"step": trainer.step_count, **toy_quality(fakes, self.dist)},
            command=f"trained in the gancore app's lab from preset {self.name!r}",
            train=trainer.config,
        )
        png = render.to_png(
            render.scatter(fakes[:1000], real=self.real_metric[:N_SHOWN], bounds=self.dist.bounds)
        )
        return checkpoint_zip_bytes(
            f"gancore-{self.name}",
            generator=trainer.ema_generator or trainer.generator,
            discriminator=trainer.discriminator,
            config=config,
            sample_png=png,
        )


class ImageRun(LiveRun):
    """An image GAN's run on the image page."""

    kind = "image"

    def __init__(self, preset: dict[str, Any], name: str) -> None:
        self.quality: list[dict[str, float]] = []
        self.quality_at = 0.0
        super().__init__(preset, name)

    def _build(self) -> Trainer:
        from gancore.presets.image import build_image_run

        trainer, self.source = build_image_run(self.preset)
        return trainer

    @property
    def nrow(self) -> int | None:
        return GRID_PER_CLASS if self.trainer.num_classes else None

    def fixed_grid(self) -> np.ndarray:
        """Samples from the same noise every time (one row per label when conditional)."""
        G = self.trainer.ema_generator or self.trainer.generator
        g = torch.Generator().manual_seed(7)
        if G.num_classes:
            n = G.num_classes * GRID_PER_CLASS
            y = torch.arange(G.num_classes).repeat_interleave(GRID_PER_CLASS)
        else:
            n, y = GRID_UNCONDITIONAL, None
        z = G.sample_latent(n, generator=g)
        with evaluating(G), torch.no_grad():
            return G(z, y).numpy()

    def grid_png(self) -> bytes:
        return render.to_png(render.image_grid(self.fixed_grid(), nrow=self.nrow))

    def view(self, quality: bool = True) -> dict[str, Any]:
        """The fixed-noise grid (a PNG), the latest numbers and the quality estimate."""
        png = self.grid_png()
        self.record()
        self.replay.offer(self.trainer.step_count, lambda: png)
        out: dict[str, Any] = {
            "grid_png": png,
            "classes": self.trainer.num_classes,
            "timeline": list(self.timeline),
            "frames": len(self.replay.items),
        }
        if quality:
            out["quality"] = self.estimate_quality()
            out["quality_history"] = list(self.quality)
        return out

    def estimate_quality(self, *, force: bool = False) -> dict[str, float] | None:
        """A fresh estimate every QUALITY_EVERY_SECONDS (or now, with ``force``): Frechet
        distance on the shipped classifier's features, label accuracy, smallest class; for
        Stacked MNIST, modes covered of 1000 and KL to uniform on STACKED_QUALITY_SAMPLES."""
        from gancore.eval import image as metrics_image

        dataset = self.preset["data"]["name"]
        if dataset not in CLASSIFIED:
            return None
        step = self.trainer.step_count
        due = time.monotonic() - self.quality_at >= QUALITY_EVERY_SECONDS
        if not self.quality or (step != self.quality[-1]["step"] and (force or due)):
            G = self.trainer.ema_generator or self.trainer.generator
            stacked = dataset == "stacked-mnist"
            n = STACKED_QUALITY_SAMPLES if stacked else QUALITY_SAMPLES
            y = torch.arange(n) % G.num_classes if G.num_classes else None
            z = G.sample_latent(n, generator=torch.Generator().manual_seed(99))
            with evaluating(G), torch.no_grad():
                fakes = G(z, y).numpy()
            if stacked:  # modes of 1000 and KL to uniform (gancore.eval.stacked)
                from gancore.eval.stacked import stacked_mnist_metrics

                m = stacked_mnist_metrics(fakes)
                q = {k: m[k] for k in ("modes_covered", "kl_to_uniform")}
            else:
                q = metrics_image.quick_quality(fakes, dataset=dataset, labels=y)
            self.quality.append(
                {"step": float(step), **{k: v for k, v in q.items() if v is not None}}
            )
            del self.quality[:-500]
            self.quality_at = time.monotonic()
        return self.quality[-1]

    def label_scores(self) -> dict[str, Any]:
        """D(x | y') for one real image of each class under every label y' (rows: real class)."""
        k = self.trainer.num_classes
        labels = np.asarray(self.source.data.labels)
        idx = [int(np.flatnonzero(labels == c)[0]) for c in range(k)]
        x, y = self.source.take(idx)
        D = self.trainer.discriminator
        with evaluating(D), torch.no_grad():
            scores = torch.stack([per_sample(D, x, torch.full((k,), j)) for j in range(k)], 1)
            values = torch.sigmoid(scores) if self.trainer.spec.probabilities else scores
        names = list(self.source.class_names) or [str(i) for i in range(k)]
        return {"values": values.numpy(), "names": names, "rows": y.tolist()}

    def describe(self) -> dict[str, Any]:
        """Facts about the run for checks and tests: data, model shape, frames, estimates."""
        grid = self.fixed_grid()
        return {
            "data": self.source.data.name,
            "images": len(self.source),
            "class_names": list(self.source.class_names),
            "num_classes": self.trainer.num_classes,
            "image_size": self.trainer.generator.config.image_size,
            "grid_shape": list(grid.shape),
            "frames": len(self.replay.items),
            "replay_bytes": self.replay.nbytes(),
            "quality_steps": [q["step"] for q in self.quality],
            "quality": list(self.quality),
            "timeline_steps": [row["step"] for row in self.timeline],
        }

    def gif(self) -> bytes:
        return self.replay_gif()

    def _replay_picture(self, snap: bytes) -> dict[str, Any]:
        return {"grid_png": snap}

    def _replay_image(self, snap: bytes) -> Any:
        from PIL import Image

        return Image.open(io.BytesIO(snap))

    def export_zip(self) -> bytes:
        from gancore.io.zips import checkpoint_zip_bytes

        trainer = self.trainer
        config = self.config.checkpoint_config(
            metrics={"step": trainer.step_count},
            command=f"trained in the gancore app from preset {self.name!r}",
            train=trainer.config,
            class_names=list(self.source.class_names) if trainer.num_classes else None,
        )
        return checkpoint_zip_bytes(
            f"gancore-{self.name}",
            generator=trainer.ema_generator or trainer.generator,
            discriminator=trainer.discriminator,
            config=config,
            sample_png=self.grid_png(),
        )

    def state(self) -> dict[str, Any]:
        out = super().state()
        out["frames"] = [
            (s, torch.frombuffer(bytearray(p), dtype=torch.uint8)) for s, p in self.replay.items
        ]
        out["replay_every"] = self.replay.every
        return out

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        frames = [(int(s), bytes(t.numpy().tobytes())) for s, t in state.get("frames", [])]
        self.replay.load_state({"every": state.get("replay_every", 1), "items": frames})
