"""A training run from a preset to a checkpoint folder: build, resume, train, save, evaluate.

The Trainer owns the loop; this module owns what surrounds it on disk: periodic atomic
checkpoints (so a run killed with -9 resumes from the last one), the model card's metrics
and sample picture, and resuming bit-exactly from a folder. Toy runs (kind "toy") and image
runs (kind "image", DCGAN family) share the flow; image runs may span several processes
started by torchrun (see gancore.train.distributed), in which case only rank 0 writes.
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
from gancore.eval import toy as metrics
from gancore.eval.classifier import DATASETS as CLASSIFIED_DATASETS  # a classifier is shipped
from gancore.explore.latent import fixed_noise_images
from gancore.io.checkpoint import save_checkpoint
from gancore.io.hub import load_checkpoint
from gancore.io.training_state import load_training_state
from gancore.models.kinds import MODEL_KINDS
from gancore.presets.run_config import KINDS, RunConfig, from_checkpoint, resolve_run
from gancore.train import distributed
from gancore.train.distributed import DistContext
from gancore.train.trainer import Trainer
from gancore.viz import render

EVAL_SAMPLES = 2500
EVAL_SEED = 1234
GRID_COLUMNS = 8  # sample picture: 8 x 8, or one row of 8 per class (at most MAX_GRID_ROWS)
MAX_GRID_ROWS = 20
PIXEL_SAMPLES = 256  # fakes and reals behind the cheap pixel statistics
LOSS_WINDOW = 50  # steps the reported losses are averaged over

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


def _with_metrics(run: Run, data_root: str | Path | None) -> Run:
    """Image runs on a dataset with a shipped classifier get its quality numbers at each save."""
    if run.kind == "image" and run.image_metrics is None:
        root = None if data_root is None else str(data_root)
        run.image_metrics = lambda f, y, s: classifier_quality(f, y, s.data.name, root)
    return run


def classifier_quality(
    fakes: np.ndarray, labels: np.ndarray | None, dataset: str, data_root: str | None = None
) -> dict[str, Any]:
    """Frechet distance on the shipped classifier's features, label accuracy, class coverage,
    precision and recall (gancore.eval.image); {} for datasets without a classifier."""
    from gancore.eval import image as metrics_image

    if dataset == "stacked-mnist":  # modes of 1000 and KL to uniform, each plane read as a digit
        return stacked_quality(fakes)
    if dataset not in CLASSIFIED_DATASETS:
        return {}
    m = metrics_image.evaluate_images(fakes, dataset=dataset, labels=labels, data_root=data_root)
    keep = (
        "frechet_distance", "label_accuracy", "classes_covered", "num_classes",
        "min_class_share", "precision", "recall", "n_real",
    )  # fmt: skip
    return {k: m[k] for k in keep if m.get(k) is not None}


def stacked_quality(fakes: np.ndarray) -> dict[str, Any]:
    """Stacked MNIST's modes covered of 1000 and KL(mode histogram || uniform) (PacGAN counts
    on 26,000 samples: fewer read fewer modes and a larger KL for the same G)."""
    from gancore.eval import stacked as metrics_stacked

    m = metrics_stacked.stacked_mnist_metrics(fakes)
    keep = ("modes_covered", "num_modes", "kl_to_uniform", "largest_mode_share")
    return {**{k: m[k] for k in keep}, "mode_samples": m["samples"]}


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


def evaluate(run: Run, *, quality: bool = True) -> dict[str, float]:
    """Numbers for the run's current generator (the EMA one when enabled).

    Toy runs: mode coverage and grid divergences. Image runs: images/s, the losses
    averaged over the last steps, pixel statistics of fakes vs reals, and whatever
    ``run.image_metrics`` adds (only when ``quality``: it may be slow)."""
    return _REPORTS[run.kind](run, quality=quality)


def _toy_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    g = torch.Generator().manual_seed(EVAL_SEED)
    fakes = run.trainer.sample(EVAL_SAMPLES, generator=g).numpy().astype(np.float64)
    return toy_quality(fakes, run.data)


def _pix2pix_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    from gancore.presets.pix2pix import pix2pix_report  # it builds on this module

    return pix2pix_report(run, quality=quality)


def toy_quality(fakes: np.ndarray, dist: ToyDistribution) -> dict[str, float]:
    """gancore.eval.toy.toy_quality against fresh real samples (seeded), with their count."""
    real = dist.sample(len(fakes), torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    return {"samples": float(len(fakes)), **metrics.toy_quality(fakes, real, dist)}


def image_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    """Training speed, recent losses and pixel statistics of an image run (see evaluate)."""
    t = run.trainer
    out: dict[str, float] = {"images_seen": float(t.step_count * run.images_per_step)}
    out.update(run.speed)
    recent = t.history[-LOSS_WINDOW:]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "wasserstein"):
        values = [h[key] for h in recent if key in h]
        if values:
            out[key] = float(np.mean(values))
    source: ImageSource = run.data
    g = torch.Generator().manual_seed(EVAL_SEED)
    out.update(pixel_stats(t.sample(PIXEL_SAMPLES, generator=g).numpy(), source))
    if quality and run.image_metrics is not None:
        g = torch.Generator().manual_seed(EVAL_SEED)
        y = None
        if t.num_classes:
            y = torch.arange(EVAL_SAMPLES) % t.num_classes
        fakes = t.sample(EVAL_SAMPLES, generator=g, y=y).numpy()
        labels = None if y is None else y.numpy().astype(np.int64)
        out.update(run.image_metrics(fakes, labels, source))
    return out


_REPORTS = {"toy": _toy_report, "image": image_report, "pix2pix": _pix2pix_report}


def pixel_stats(fakes: np.ndarray, source: ImageSource) -> dict[str, float]:
    """Mean and std of fake vs real pixels in [-1, 1]: a cheap check for blank or saturated G."""
    n = min(len(fakes), len(source))
    pick = np.sort(np.random.default_rng(EVAL_SEED).choice(len(source), n, replace=False))
    real, _ = source.take(torch.from_numpy(pick))
    return {
        "pixel_mean_fake": float(fakes.mean()),
        "pixel_mean_real": float(real.mean()),
        "pixel_std_fake": float(fakes.std()),
        "pixel_std_real": float(real.std()),
    }


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
    fakes = trainer.sample(1000, generator=torch.Generator().manual_seed(EVAL_SEED)).numpy()
    real = dist.sample(1000, torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    return render.to_png(render.scatter(fakes, real=real, bounds=dist.bounds))
