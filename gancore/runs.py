"""A training run from a preset to a checkpoint folder: build, resume, train, save, evaluate.

The Trainer owns the loop; this module owns what surrounds it on disk: periodic atomic
checkpoints (so a run killed with -9 resumes from the last one), the model card's metrics
and sample picture, and resuming bit-exactly from a folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gancore import metrics, render
from gancore.checkpoint import save_checkpoint
from gancore.hub import load_checkpoint
from gancore.presets import build_from_preset, resolve_preset
from gancore.toy import ToyDistribution
from gancore.train import Trainer
from gancore.training_state import load_training_state

EVAL_SAMPLES = 2500
EVAL_SEED = 1234


@dataclass
class Run:
    """A trainer with the preset it was built from and where it saves."""

    preset: dict[str, Any]
    trainer: Trainer
    data: Any  # the toy distribution (or, for images, the dataset description)
    out: Path
    command: str = ""


def start(
    preset: str | dict[str, Any],
    out: str | Path,
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
    device: str = "cpu",
    command: str = "",
) -> Run:
    """A fresh run from a preset name or dict, with overrides and seed applied."""
    resolved = resolve_preset(preset, seed=seed, overrides=overrides)
    trainer, data = build_from_preset(resolved, device=device)
    return Run(resolved, trainer, data, Path(out), command)


def resume(folder: str | Path, *, out: str | Path | None = None, device: str = "cpu") -> Run:
    """Continue the run saved in ``folder`` exactly where it stopped."""
    folder = Path(folder)
    loaded = load_checkpoint(folder)
    preset = {
        "kind": loaded.config["kind"],
        "description": loaded.config.get("description", ""),
        "data": {k: v for k, v in loaded.config["data"].items() if k != "class_names"},
        "model": loaded.config["model"],
        "train": loaded.config["train"],
    }
    trainer, data = build_from_preset(preset, device=device)
    trainer.load_state_dict(load_training_state(folder))
    return Run(
        preset, trainer, data, Path(out) if out else folder, loaded.config.get("command", "")
    )


def train(
    run: Run,
    *,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    save_every: float = 60.0,
    on_progress: Callable[[dict[str, float]], None] | None = None,
) -> None:
    """Train until ``max_steps`` (the total step count) or ``max_seconds`` of this call.

    Saves atomically every ``save_every`` seconds and at the end, whatever stopped it.
    """
    if max_steps is None and max_seconds is None:
        raise ValueError("give max_steps, max_seconds or both")
    trainer = run.trainer
    last_save = time.monotonic()

    def after_step(t: Trainer, m: dict[str, float]) -> None:
        nonlocal last_save
        if on_progress is not None:
            on_progress(m)
        if time.monotonic() - last_save >= save_every:
            save(run)
            last_save = time.monotonic()

    trainer.add_callback("on_step_end", after_step)
    remaining = None if max_steps is None else max(0, max_steps - trainer.step_count)
    try:
        trainer.run(steps=remaining, seconds=max_seconds)
    finally:
        trainer._callbacks["on_step_end"].remove(after_step)
        save(run)


def evaluate(run: Run) -> dict[str, float]:
    """Quality numbers of the run's current generator (the EMA one when enabled)."""
    g = torch.Generator().manual_seed(EVAL_SEED)
    fakes = run.trainer.sample(EVAL_SAMPLES, generator=g).numpy().astype(np.float64)
    return toy_quality(fakes, run.data)


def toy_quality(fakes: np.ndarray, dist: ToyDistribution) -> dict[str, float]:
    """Mode coverage (where the data has modes) and grid KL/JS against fresh real samples."""
    out: dict[str, float] = {"samples": float(len(fakes))}
    if dist.modes is not None and dist.mode_std is not None:
        m = metrics.mode_metrics(fakes, dist.modes, dist.mode_std)
        out.update(
            {k: m[k] for k in ("modes_captured", "num_modes", "high_quality_share", "reverse_kl")}
        )
    real = dist.sample(len(fakes), torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    g = metrics.grid_divergences(real, fakes, dist.bounds, bins=40 if dist.dim == 2 else 100)
    out.update(grid_kl_data_g=g["kl_data_g"], grid_kl_g_data=g["kl_g_data"], grid_js=g["js"])
    return out


def save(run: Run) -> Path:
    """Write the checkpoint, its card (metrics, sample picture) and the training state."""
    trainer, dist = run.trainer, run.data
    quality = evaluate(run)
    g = torch.Generator().manual_seed(EVAL_SEED)
    fakes = trainer.sample(1000, generator=g).numpy()
    real = dist.sample(1000, torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    png = render.to_png(render.scatter(fakes, real=real, bounds=dist.bounds))
    config = {
        "kind": run.preset["kind"],
        "description": run.preset.get("description", ""),
        "model": run.preset["model"],
        "train": trainer.config.to_dict(),
        "data": run.preset["data"],
        "metrics": {"step": trainer.step_count, **quality},
        "command": run.command,
    }
    return save_checkpoint(
        run.out,
        generator=trainer.ema_generator or trainer.generator,
        discriminator=trainer.discriminator,
        config=config,
        sample_png=png,
        training_state=trainer.state_dict(),
    )
