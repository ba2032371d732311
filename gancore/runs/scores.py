"""Quality numbers of a generator, per kind: for a run being trained (``run_report``, the model
card's metrics) and for a loaded checkpoint (``score_checkpoint``, the CLI's ``eval``).

Toy: mode coverage and grid divergences against fresh real samples. Image: pixel statistics
and, for datasets with a shipped classifier, its Frechet distance, label accuracy, coverage,
precision and recall (Stacked MNIST: modes of 1000 and KL to uniform); Inception on request.
pix2pix: gancore.presets.pix2pix's translation numbers. A community GAN (gancore.community)
names no dataset: ``score_community`` scores it as a generator of the set the caller names.
The seeds are fixed, so the same generator scores the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from gancore.data.images import ImageSource, dataset_name
from gancore.data.toy import ToyDistribution, get_toy
from gancore.eval import toy as toy_metrics
from gancore.eval.classifier import DATASETS as CLASSIFIED_DATASETS  # a classifier is shipped
from gancore.presets.image import open_preset_data
from gancore.presets.pix2pix import evaluate_checkpoint, pix2pix_report

if TYPE_CHECKING:
    from gancore.io.checkpoint import LoadedGAN
    from gancore.runs import Run

EVAL_SAMPLES = 2500
EVAL_SEED = 1234
PIXEL_SAMPLES = 256  # fakes and reals behind the cheap pixel statistics
LOSS_WINDOW = 50  # steps the reported losses are averaged over


# ----- the parts ----------------------------------------------------------------------------


def toy_quality(fakes: np.ndarray, dist: ToyDistribution) -> dict[str, float]:
    """gancore.eval.toy.toy_quality against fresh real samples (seeded), with their count."""
    real = dist.sample(len(fakes), torch.Generator().manual_seed(EVAL_SEED + 1)).numpy()
    return {"samples": float(len(fakes)), **toy_metrics.toy_quality(fakes, real, dist)}


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
    keep = (
        "modes_covered", "num_modes", "kl_to_uniform", "plane_kl", "dependence_kl",
        "largest_mode_share",
    )  # fmt: skip
    return {**{k: m[k] for k in keep}, "mode_samples": m["samples"]}


# ----- a run being trained ------------------------------------------------------------------


def run_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    """Numbers for the run's current generator (the EMA one when enabled).

    Toy runs: mode coverage and grid divergences. Image runs: images/s, the losses
    averaged over the last steps, pixel statistics of fakes vs reals, and whatever
    ``run.image_metrics`` adds (only when ``quality``: it may be slow)."""
    return _RUN_REPORTS[run.kind](run, quality=quality)


def _toy_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    g = torch.Generator().manual_seed(EVAL_SEED)
    fakes = run.trainer.sample(EVAL_SAMPLES, generator=g).numpy().astype(np.float64)
    return toy_quality(fakes, run.data)


def image_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    """Training speed, recent losses and pixel statistics of an image run (see run_report)."""
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


def _pix2pix_report(run: Run, *, quality: bool = True) -> dict[str, float]:
    return pix2pix_report(run, quality=quality)


_RUN_REPORTS: dict[str, Callable[..., dict[str, float]]] = {
    "toy": _toy_report,
    "image": image_report,
    "pix2pix": _pix2pix_report,
}


# ----- a loaded checkpoint ------------------------------------------------------------------


def score_checkpoint(
    loaded: LoadedGAN, *, n: int, data_root: str | None = None, inception: bool = False
) -> dict[str, Any]:
    """A loaded gancore checkpoint scored against its training data on ``n`` samples (seeded).

    Raises ValueError for what cannot be scored (Inception numbers of toy points), and
    gancore.eval.inception.InceptionUnavailable when those weights cannot be had."""
    data = {k: v for k, v in loaded.config["data"].items() if k != "class_names"}
    return _CHECKPOINT_SCORES[loaded.kind](loaded, data, n, data_root, inception)


def _score_toy(loaded: LoadedGAN, data: dict, n: int, root: str | None, inception: bool):
    if inception:
        raise ValueError("--inception applies to image checkpoints; this one draws toy points.")
    dist = get_toy(data.pop("name"), **data)
    fakes = loaded.sample(n, seed=EVAL_SEED).astype(np.float64)
    return {"source": loaded.source, **toy_quality(fakes, dist)}


def _score_image(loaded: LoadedGAN, data: dict, n: int, root: str | None, inception: bool):
    preset = {"data": data, "model": loaded.config["model"], "train": {"seed": 0}}
    source = open_preset_data(preset, root=root)
    labels = loaded.resolve_labels(n)  # conditional: every class in turn
    fakes = loaded.sample(n, seed=EVAL_SEED, labels=labels)
    report = {"source": loaded.source, "samples": n, **pixel_stats(fakes, source)}
    report.update(classifier_quality(fakes, labels, source.data.name, root))
    if inception:
        from gancore.eval.inception import inception_metrics

        reals, _ = source.take(list(range(min(n, len(source)))))
        report.update(inception_metrics(fakes, reals.numpy()))
    report["training_metrics"] = loaded.config.get("metrics", {})
    return report


def _score_pix2pix(loaded: LoadedGAN, data: dict, n: int, root: str | None, inception: bool):
    if inception:
        raise ValueError("--inception applies to generators that draw from noise, not pix2pix.")
    return evaluate_checkpoint(loaded, n=n, root=root)


MAX_SCORED_SIDE = 256  # a community model bigger than this is too slow to score on a CPU


def score_community(
    loaded: LoadedGAN, dataset: str, *, n: int, data_root: str | None = None
) -> dict[str, Any]:
    """A community GAN scored as a generator of ``dataset`` (one with a shipped classifier):
    its samples over white (if transparent), grey and area-resized to 28 x 28, read by the
    shipped classifier (Frechet distance, classes covered, precision, recall); ``n`` samples
    drawn in seeded chunks. ValueError for a dataset without a classifier or a model over
    MAX_SCORED_SIDE px."""
    from gancore.community.display import opaque

    with contextlib.suppress(ValueError):  # an unknown name: the message below names the choices
        dataset = dataset_name(dataset)
    if dataset not in CLASSIFIED_DATASETS:
        raise ValueError(
            f"--dataset must be one of {list(CLASSIFIED_DATASETS)} (a shipped classifier reads "
            f"it), got {dataset!r}"
        )
    m = loaded.config["model"]
    side, channels = m["image_size"], m["channels"]
    if side > MAX_SCORED_SIDE:
        raise ValueError(
            f"{loaded.source} draws {side} px images: scoring {n:,} of them is too slow on a "
            f"CPU (the limit is {MAX_SCORED_SIDE} px); `sample` still shows them"
        )
    chunks = []
    for i, start in enumerate(range(0, n, 250)):
        x = torch.from_numpy(opaque(loaded.sample(min(250, n - start), seed=EVAL_SEED + i)))
        grey = x.mean(dim=1, keepdim=True) if x.shape[1] > 1 else x
        chunks.append(torch.nn.functional.interpolate(grey, size=(28, 28), mode="area"))
    fakes = torch.cat(chunks).numpy()
    return {
        "source": loaded.source,
        "samples": n,
        "scored_as": f"{dataset}: {side}x{side}x{channels} samples made grey 28x28",
        **classifier_quality(fakes, None, dataset, data_root),
    }


_CHECKPOINT_SCORES: dict[str, Callable[..., dict[str, Any]]] = {
    "toy": _score_toy,
    "image": _score_image,
    "pix2pix": _score_pix2pix,
}
