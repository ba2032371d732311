"""A live image run (the image page) in a worker: its trainer, the sample grid, the classifier
quality numbers on a timer, and its export."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from gancore.explore.latent import fixed_noise_images
from gancore.live.runs import LiveRun
from gancore.models.modes import evaluating
from gancore.train.stabilizers import per_sample
from gancore.train.trainer import Trainer
from gancore.viz import render

GRID_COLUMNS = 8  # the fixed-noise grid: 8 x 8, or one row of 8 per label
QUALITY_EVERY_SECONDS = 10.0
QUALITY_SAMPLES = 500
# Stacked MNIST's modes need more samples (a perfect G covers ~632 of 1000 modes with 1,000);
# each is 3 classifier calls, ~0.3 s here on one core, every QUALITY_EVERY_SECONDS
STACKED_QUALITY_SAMPLES = 1000
CLASSIFIED = ("mnist", "fashion-mnist", "stacked-mnist")  # classifiers ship in checkpoints/


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

    def fixed_grid(self) -> np.ndarray:
        """Samples from the same noise every time (one row per label when conditional): the
        grid of gancore.explore.latent.fixed_noise_images, as on the checkpoint's card."""
        G = self.trainer.ema_generator or self.trainer.generator
        return fixed_noise_images(G, columns=GRID_COLUMNS)

    def grid_png(self) -> bytes:
        return render.to_png(render.image_grid(self.fixed_grid(), nrow=GRID_COLUMNS))

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

    def _replay_picture(self, snap: bytes) -> dict[str, Any]:
        return {"grid_png": snap}

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
