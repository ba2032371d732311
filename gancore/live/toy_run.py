"""A live toy run (1D and 2D labs) in a worker: its trainer, D's field, G's manifold, the
gradient arrows, the toy metrics and its export."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gancore.eval import toy as metrics
from gancore.explore import probes
from gancore.live.replay import compact
from gancore.live.runs import LiveRun
from gancore.models.modes import evaluating
from gancore.train.trainer import Trainer
from gancore.viz import render

N_SHOWN = 600  # samples drawn on the 2D figure
N_METRIC = 2000  # samples behind the toy metrics
N_ARROWS = 150  # gradient arrows on the 2D figure
N_MAPPING = 40  # z -> G(z) lines on the 1D figure


class ToyRun(LiveRun):
    """A 1D or 2D toy lab's run."""

    kind = "toy"

    def _build(self) -> Trainer:
        from gancore.presets.toy import build_from_preset

        trainer, self.toy = build_from_preset(self.preset)
        g = torch.Generator().manual_seed(2024)
        self.real_metric = self.toy.sample(N_METRIC, g).numpy().astype(np.float64)
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
        return metrics.toy_quality(fakes, self.real_metric, self.toy)

    def extra_metrics(self) -> dict[str, float]:
        return self._scores(self.fixed_fakes(N_METRIC))[0]

    def _scores(self, fakes: np.ndarray) -> tuple[dict[str, float], dict[str, Any] | None]:
        """The numbers the page shows for these fakes, and (1D) the snapshot they come from."""
        if self.toy.dim == 1:
            snap = self._snapshot_1d(fakes)
            return {k: v for k, v in snap.items() if np.ndim(v) == 0}, snap
        return self.metrics_of(fakes), None

    def _snapshot_1d(self, fakes: np.ndarray) -> dict[str, Any]:
        lo, hi = self.toy.bounds[0]
        x = np.linspace(lo, hi, 500)
        G = self.trainer.generator
        span = 1.0 if G.config.noise == "uniform" else 2.5
        z = np.zeros((N_MAPPING, G.latent_dim))
        z[:, 0] = np.linspace(-span, span, N_MAPPING)
        D, spec = self.trainer.discriminator, self.trainer.spec
        return probes.snapshot_1d(G, D, self.toy, spec, x=x, fakes=fakes, mapping_z=z)

    def view(self, layers: tuple[str, ...] = ()) -> dict[str, Any]:
        """Everything the lab's picture and numbers panel show, as arrays and numbers."""
        spec = self.trainer.spec
        fakes = self.fixed_fakes(N_METRIC)
        out: dict[str, Any] = {"bounds": self.toy.bounds, "critic": spec.wasserstein}
        row, snap = self._scores(fakes)
        if snap is not None:
            out["snap"] = snap
        else:
            shown = fakes[:N_SHOWN]
            layers = tuple(layers)
            D = self.trainer.discriminator
            if "discriminator" in layers:
                out["field"] = probes.field_2d(D, self.toy.bounds, spec)
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
            "bounds": self.toy.bounds,
            "critic": self.trainer.spec.wasserstein,
        }

    def _replay_image(self, snap: dict[str, Any]) -> Any:
        return render.scatter(snap["fake"], real=self.real_metric[:N_SHOWN], bounds=self.toy.bounds)

    def describe(self) -> dict[str, Any]:
        """Facts about the run for checks and tests: its data and the real set it is scored on."""
        return {
            "data": self.toy.name,
            "dim": self.toy.dim,
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
        from gancore.runs.scores import toy_quality

        trainer = self.trainer
        g = torch.Generator().manual_seed(1234)
        fakes = trainer.sample(2500, generator=g).numpy().astype(np.float64)
        config = self.config.checkpoint_config(
            metrics={"step": trainer.step_count, **toy_quality(fakes, self.toy)},
            command=f"trained in the gancore app's lab from preset {self.name!r}",
            train=trainer.config,
        )
        png = render.to_png(
            render.scatter(fakes[:1000], real=self.real_metric[:N_SHOWN], bounds=self.toy.bounds)
        )
        return checkpoint_zip_bytes(
            f"gancore-{self.name}",
            generator=trainer.ema_generator or trainer.generator,
            discriminator=trainer.discriminator,
            config=config,
            sample_png=png,
        )
