"""A training run from a preset to a checkpoint folder: build, resume, train, save, evaluate.

The Trainer owns the loop; this module owns what surrounds it on disk: periodic atomic
checkpoints (so a run killed with -9 resumes from the last one), the model card's metrics
and sample picture, and resuming bit-exactly from a folder. Every kind of run (toy, image, pix2pix: the
registry in gancore.presets.run_config) shares the flow; image runs may span several
processes started by torchrun (see gancore.train.distributed), in which case only rank 0
writes. The numbers saved with a checkpoint come from gancore.runs.scores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gancore.data.images import ImageSource
from gancore.data.toy import ToyDistribution
from gancore.explore.latent import fixed_noise_images
from gancore.io.checkpoint import save_checkpoint
from gancore.io.hub import load_checkpoint
from gancore.io.training_state import load_training_state
from gancore.models.kinds import MODEL_KINDS
from gancore.presets.run_config import KINDS, RunConfig, from_checkpoint, resolve_run
from gancore.runs import scores
from gancore.train import distributed
from gancore.train.distributed import DistContext
from gancore.train.trainer import Trainer
from gancore.viz import render

GRID_COLUMNS = 8  # sample picture: 8 x 8, or one row of 8 per class (at most MAX_GRID_ROWS)
MAX_GRID_ROWS = 20

# The hook for image quality metrics (FID-like scores, label accuracy, ...):
# fn(fakes (N, C, H, W) float32 in [-1, 1], their labels (N,) int64 or None, the run's data)
ImageMetrics = Callable[[np.ndarray, np.ndarray | None, ImageSource], dict[str, Any]]


@dataclass
class Run:
    """A trainer with the run configuration it was built from and where it saves."""

    config: RunConfig
    trainer: Trainer
    data: Any  # ToyDistribution (toy runs) or ImageSource (image runs)
    out: Path
    command: str = ""
    dist: DistContext | None = None  # set when this process is one rank of a torchrun job
    image_metrics: ImageMetrics | None = None  # image runs: extra quality numbers at save
    speed: dict[str, float] = field(default_factory=dict)  # measured by train()
    report: dict[str, float] = field(default_factory=dict)  # the metrics of the last save
    _stop: bool = field(default=False, repr=False)

    @property
    def kind(self) -> str:
        return self.config.kind

    @property
    def preset(self) -> dict[str, Any]:
        """The run configuration as a JSON preset."""
        return self.config.to_dict()

    @property
    def is_main(self) -> bool:
        """True on the process that prints and writes (rank 0, or the only one)."""
        return self.dist is None or self.dist.is_main

    @property
    def images_per_step(self) -> int:
        """Real images one round consumes, over all ranks (batch x D steps x world size)."""
        cfg = self.trainer.config
        return cfg.batch_size * cfg.d_steps * (self.dist.world_size if self.dist else 1)

    def request_stop(self) -> None:
        """Stop after the current step (every rank stops at the same step); safe in a signal handler."""
        self._stop = True
        if self.dist is None:
            self.trainer.request_stop()


def _build(
    cfg: RunConfig, device: str, data_root: str | Path | None, dist: DistContext | None
) -> tuple[Any, Any]:
    kind = KINDS[cfg.kind]
    if dist is not None and not kind.distributed:
        raise ValueError(
            f"several processes (torchrun) train image runs only; run {kind.what} runs in one "
            "process, without torchrun"
        )
    # each node's local rank 0 loads (and if need be downloads) the dataset before the others
    with distributed.local_rank_zero_first(dist):
        return kind.build(
            cfg.to_dict(),
            device=str(dist.device) if dist else device,
            root=None if data_root is None else str(data_root),
            rank=dist.rank if dist else 0,
            world_size=dist.world_size if dist else 1,
        )


def start(
    preset: str | dict[str, Any],
    out: str | Path,
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
    device: str = "cpu",
    command: str = "",
    data_root: str | Path | None = None,
    dist: DistContext | None = None,
) -> Run:
    """A fresh run from a preset name or dict (any kind), with overrides and seed applied.

    ``data_root``: where image datasets live (default: $GANCORE_DATA, else ~/.cache/gancore/data).
    ``dist``: this process's place in a torchrun job (image runs only)."""
    cfg = resolve_run(preset, seed=seed, overrides=overrides)
    trainer, data = _build(cfg, device, data_root, dist)
    if dist is not None:
        distributed.prepare(trainer, dist)
    return _with_metrics(Run(cfg, trainer, data, Path(out), command, dist), data_root)


def resume(
    folder: str | Path,
    *,
    out: str | Path | None = None,
    device: str = "cpu",
    data_root: str | Path | None = None,
    dist: DistContext | None = None,
) -> Run:
    """Continue the run saved in ``folder`` exactly where it stopped.

    In one process the continuation is bit-exact on the CPU. Across ranks, rank 0 continues
    exactly and the others draw fresh noise derived from (seed, rank, step)."""
    folder = Path(folder)
    loaded = load_checkpoint(folder)
    cfg = from_checkpoint(loaded.config)
    state = load_training_state(folder)
    trainer, data = _build(cfg, device, data_root, dist)
    if dist is not None and not dist.is_main:
        noise = distributed.rank_noise_state(
            dist, int(state["config"]["seed"]), int(state["step"]), trainer.device
        )
        state = {**state, "noise": noise}
    trainer.load_state_dict(state)
    if dist is not None:
        distributed.prepare(trainer, dist)
    command = loaded.config.get("command", "")
    run = Run(cfg, trainer, data, Path(out) if out else folder, command, dist)
    return _with_metrics(run, data_root)


def evaluate(run: Run, *, quality: bool = True) -> dict[str, float]:
    """Numbers for the run's current generator (gancore.runs.scores.run_report)."""
    return scores.run_report(run, quality=quality)


def _with_metrics(run: Run, data_root: str | Path | None) -> Run:
    """Image runs on a dataset with a shipped classifier get its quality numbers at each save."""
    if run.kind == "image" and run.image_metrics is None:
        root = None if data_root is None else str(data_root)
        run.image_metrics = lambda f, y, s: scores.classifier_quality(f, y, s.data.name, root)
    return run


def train(
    run: Run,
    *,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    save_every: float = 60.0,
    on_progress: Callable[[dict[str, float]], None] | None = None,
) -> None:
    """Train until ``max_steps`` (the total step count) or ``max_seconds`` of this call.

    Saves atomically every ``save_every`` seconds and at the end, whatever stopped it. Under
    torchrun every rank stops at the same step (the stop decision is agreed each step) and
    only rank 0 reports progress and saves."""
    if max_steps is None and max_seconds is None:
        raise ValueError("give max_steps, max_seconds or both")
    trainer = run.trainer
    began = last_save = time.monotonic()
    first_step, saving = trainer.step_count, 0.0

    def measure() -> None:
        elapsed = time.monotonic() - began - saving
        steps = trainer.step_count - first_step
        if steps and elapsed > 0:
            run.speed = {
                "steps_per_second": steps / elapsed,
                "images_per_second": steps * run.images_per_step / elapsed,
            }

    def save_now(*, quality: bool) -> None:
        nonlocal saving, last_save
        t0 = time.monotonic()
        measure()
        save(run, quality=quality)
        saving += time.monotonic() - t0
        last_save = time.monotonic()

    def after_step(t: Trainer, m: dict[str, float]) -> None:
        if on_progress is not None and run.is_main:
            on_progress(m)
        if run.dist is not None:
            late = max_seconds is not None and time.monotonic() - began >= max_seconds
            if distributed.any_rank(run._stop or late, run.dist):
                t.request_stop()
        if run.is_main and time.monotonic() - last_save >= save_every:
            save_now(quality=False)

    trainer.add_callback("on_step_end", after_step)
    remaining = None if max_steps is None else max(0, max_steps - trainer.step_count)
    try:
        if run.dist is None:
            trainer.run(steps=remaining, seconds=max_seconds)
        else:  # the time limit is agreed in after_step: each rank's own clock would disagree
            trainer.run(steps=10**12 if remaining is None else remaining)
    finally:
        trainer.remove_callback("on_step_end", after_step)
        save_now(quality=True)


def sample_grid(trainer: Trainer, *, columns: int = GRID_COLUMNS):
    """A PIL picture of the fixed-noise grid (gancore.explore.latent.fixed_noise_images) of the
    run's generator (its EMA when enabled)."""
    model = trainer.ema_generator or trainer.generator
    x = fixed_noise_images(model, columns=columns, max_rows=MAX_GRID_ROWS, device=trainer.device)
    return render.image_grid(x, nrow=columns)


def save(run: Run, *, quality: bool = True) -> Path | None:
    """Write the checkpoint, its card (metrics, sample picture) and the training state.

    Only rank 0 of a torchrun job writes (the others return None)."""
    if not run.is_main:
        return None
    if not MODEL_KINDS[run.kind].draws:
        from gancore.presets.pix2pix import save_pix2pix  # examples, not samples, on its card

        return save_pix2pix(run, quality=quality)
    trainer = run.trainer
    run.report = {"step": trainer.step_count, **evaluate(run, quality=quality)}
    class_names = list(run.data.class_names) if trainer.num_classes else None
    config = run.config.checkpoint_config(
        metrics=run.report, command=run.command, train=trainer.config, class_names=class_names
    )
    return save_checkpoint(
        run.out,
        generator=trainer.ema_generator or trainer.generator,
        discriminator=trainer.discriminator,
        config=config,
        sample_png=_card_picture(run),
        training_state=trainer.state_dict(),
    )


def _card_picture(run: Run) -> bytes:
    """The card's PNG: the fixed-noise grid of an image run, or 1,000 toy samples over reals."""
    trainer = run.trainer
    if MODEL_KINDS[run.kind].images:
        return render.to_png(sample_grid(trainer))
    dist: ToyDistribution = run.data
    fakes = trainer.sample(1000, generator=torch.Generator().manual_seed(scores.EVAL_SEED)).numpy()
    real = dist.sample(1000, torch.Generator().manual_seed(scores.EVAL_SEED + 1)).numpy()
    return render.to_png(render.scatter(fakes, real=real, bounds=dist.bounds))
