"""Named pix2pix presets, building a run from one, and the numbers a pix2pix checkpoint carries.

A pix2pix preset is a JSON-able dict (kind "pix2pix"), the twin of an image preset:
  {"kind": "pix2pix", "description": str,
   "data": {"name": "mnist" | "fashion-mnist" | "cifar10" | "pairs", ["path": DIR,
            "max_images": N]},
   "model": Pix2PixConfig dict (task, sizes, dropout, l1_lambda, adversarial),
   "train": TrainConfig dict}
``data.name=pairs`` reads a folder of A/ and B/ (gancore.data.paired) and needs model.task=paired;
the other sets make their inputs with gancore.tasks. ``--set model.adversarial=false`` is
the L1-only baseline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gancore import tasks
from gancore.data.images import dataset_name, open_image_source
from gancore.eval import image as metrics_image
from gancore.eval.classifier import DATASETS as CLASSIFIED
from gancore.models.pix2pix import Pix2PixConfig, build_models
from gancore.presets import common
from gancore.presets.common import check_sections
from gancore.seeding import set_seed
from gancore.train.pix2pix import Pix2PixTrainer, TaskSource, psnr, translate
from gancore.train.trainer import TrainConfig
from gancore.viz import render

DATA_KEYS = {"name", "path", "max_images"}
SETS = ("mnist", "fashion-mnist", "cifar10", "pairs")
EVAL_N = 2000  # test images translated for a checkpoint's numbers
EXAMPLES = 8  # fixed test examples in the sample picture (input | output | target rows)

# 28 px on a CPU: a 2-level U-Net (32, 64 channels) and a 7 x 7 PatchGAN, batch 64.
_MODEL = dict(image_size=28, channels=1, g_features=32, d_features=32)
_TRAIN = dict(
    loss="non_saturating",
    batch_size=64,
    lr_g=2e-4,
    lr_d=2e-4,
    betas_g=(0.5, 0.999),
    betas_d=(0.5, 0.999),
)


def _preset(description: str, data: dict, model: dict, train: dict) -> dict[str, Any]:
    return common.full_preset("pix2pix", Pix2PixConfig, description, data, model, train)


# No dropout for the MNIST tasks: in 300 s probes on one thread (benchmarks/pix2pix_probes.py,
# 2026-12-03) dropout 0 lowered the classifier Frechet distance on all 10,000 test digits from
# 16.9 to 10.5 (superres) and from 2.7 to 1.7 (edges), with L1 x 100 (L1 x 10 or x 30: worse).
# The U-Net keeps pix2pix's dropout noise as an option (model.dropout); inpainting, the most
# ambiguous task, keeps 0.5 (and the 32-feature D at 2e-4: its GAN beats L1-only there).
# A small, slow D for the MNIST tasks (8 features, lr 5e-5): a GAN round costs ~1.2 L1-only
# rounds, not ~1.9, and the GAN term pushes without outweighing L1. Paired 300 s probes on one
# thread (2026-12-04), GAN / L1-only Frechet on all 10,000 test digits: superres 4.73 / 5.77
# (lr_d 2e-5) and 5.37 / 5.56, against 10.03 / 6.74 with the 32-feature D at 2e-4; edges
# 0.90 / 0.74, against 1.27 / 0.91. Past 5 minutes the GAN leads on superres (2.95 / 4.00 at
# 600 s, 2.09 / 2.67 at 1200 s; the 32-feature D fell behind: 12.2 / 4.3 at 600 s).
# benchmarks/pix2pix_probes.py and pix2pix_trend.py.
_SMALL_D = dict(d_features=8)
_SLOW_D = {**_TRAIN, "lr_d": 5e-5}
PIX2PIX_PRESETS: dict[str, dict[str, Any]] = {
    "pix2pix-edges-mnist": _preset(
        "pix2pix on MNIST: Sobel edges (a sketch) -> the digit; U-Net G, 7x7 PatchGAN, L1 x 100.",
        {"name": "mnist"},
        {**_MODEL, **_SMALL_D, "task": "edges", "dropout": 0.0},
        _SLOW_D,
    ),
    "pix2pix-superres-mnist": _preset(
        "pix2pix on MNIST: 4x super-resolution (4x4 block means: 7x7, bicubic back to 28x28) -> the digit.",
        {"name": "mnist"},
        {**_MODEL, **_SMALL_D, "task": "superres4", "dropout": 0.0},
        _SLOW_D,
    ),
    "pix2pix-inpaint-fashion": _preset(
        "pix2pix on Fashion-MNIST: fill in the hidden centre square (14x14) of a garment.",
        {"name": "fashion-mnist"},
        {**_MODEL, "task": "inpaint"},
        _TRAIN,
    ),
}


def validate_pix2pix_preset(preset: dict[str, Any]) -> None:
    """Raise ValueError unless ``preset`` is a complete, consistent pix2pix preset."""
    check_sections(preset, "pix2pix")
    model = Pix2PixConfig.from_dict(preset["model"])
    from gancore.train.pix2pix import check_train_config

    check_train_config(TrainConfig.from_dict(preset["train"]))
    data = preset["data"]
    common.check_data_keys(data, DATA_KEYS)
    name = data.get("name")
    if name != "pairs":
        try:
            name = dataset_name(str(name))
        except ValueError:
            name = None
    if name not in SETS:
        raise ValueError(f"data.name must be one of {list(SETS)}, got {data.get('name')!r}")
    if (name == "pairs") != (model.task == "paired"):
        raise ValueError(
            "data.name=pairs goes with model.task=paired (a folder of A/ and B/); the other sets "
            f"make their inputs with model.task in {list(tasks.MADE_TASKS)}"
        )
    common.check_image_data(data, name, own="pairs", own_what="a folder holding A/ and B/")


PIX2PIX = common.PresetFamily(
    PIX2PIX_PRESETS,
    Pix2PixConfig,
    validate_pix2pix_preset,
    what="pix2pix ",
    data_keys=DATA_KEYS,
    canonical=lambda preset: common.canonical_data_name(preset, keep=("pairs",)),
)
list_pix2pix_presets = PIX2PIX.describe
resolve_pix2pix_preset = PIX2PIX.resolve


def open_pix2pix_data(
    preset: dict[str, Any], *, root: str | None = None, download: bool = True, train: bool = True
) -> Any:
    """The preset's (inputs, targets) source: a TaskSource, or a PairSource for data.name=pairs."""
    model = Pix2PixConfig.from_dict(preset["model"])
    data, seed = preset["data"], preset["train"]["seed"]
    shape = {"image_size": model.image_size, "channels": model.channels, "seed": seed}
    if data["name"] == "pairs":
        from gancore.data.paired import open_pair_source

        return open_pair_source(data["path"], max_images=data.get("max_images", 10_000), **shape)
    source = open_image_source(data["name"], root=root, download=download, train=train, **shape)
    return TaskSource(source, model.task)


def build_pix2pix_run(
    preset: dict[str, Any], *, device: str = "cpu", root: str | None = None, download: bool = True
) -> tuple[Pix2PixTrainer, Any]:
    """A ready Pix2PixTrainer (weights seeded by train.seed) and its (inputs, targets) source."""
    preset = resolve_pix2pix_preset(preset)
    model = Pix2PixConfig.from_dict(preset["model"])
    train = TrainConfig.from_dict(preset["train"])
    source = open_pix2pix_data(preset, root=root, download=download)
    set_seed(train.seed)
    G, D = build_models(model)
    return Pix2PixTrainer(G, D, source, train, model, device=device), source


def test_pairs(
    preset: dict[str, Any], n: int = EVAL_N, *, root: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(inputs, targets, labels or None) of the first ``n`` test images (the t10k split; a pair
    folder has no split, so its first n pairs)."""
    src = open_pix2pix_data(preset, root=root, train=False)
    n = min(n, len(src))
    x, y = src.take(list(range(n)))
    labels = None
    if isinstance(src, TaskSource) and src.source.data.labels is not None:
        labels = src.source.data.labels[:n].numpy().astype(np.int64)
    return x.numpy(), y.numpy(), labels


def translation_quality(
    outputs: np.ndarray,
    targets: np.ndarray,
    labels: np.ndarray | None,
    dataset: str,
    root: str | None = None,
) -> dict[str, float]:
    """L1 and PSNR to the targets; on MNIST-like sets also the shipped classifier's Frechet
    distance to real test images and the share it reads as the target's label."""
    out = {"l1": float(np.abs(outputs - targets).mean()), "psnr": psnr(outputs, targets)}
    if dataset in CLASSIFIED and outputs.shape[1] == 1 and outputs.shape[-1] == 28:
        m = metrics_image.evaluate_images(outputs, dataset=dataset, labels=labels, data_root=root)
        out["frechet_distance"] = m["frechet_distance"]
        if m.get("label_accuracy") is not None:
            out["label_accuracy"] = m["label_accuracy"]
    return out


def example_picture(generator: torch.nn.Module, inputs: np.ndarray, targets: np.ndarray):
    """A PIL picture: three rows (inputs, outputs, targets) of the same examples."""
    outputs = translate(generator, inputs)
    return render.image_grid(np.concatenate([inputs, outputs, targets]), nrow=len(inputs))


def pix2pix_report(run: Any, *, quality: bool = True, root: str | None = None) -> dict[str, float]:
    """Recent losses and, with ``quality``, translation numbers on the test split."""
    t: Pix2PixTrainer = run.trainer
    out: dict[str, float] = {"images_seen": float(t.step_count * t.config.batch_size)}
    out.update(run.speed)
    recent = t.history[-50:]
    for key in ("d_loss", "g_loss", "l1", "g_gan", "d_real", "d_fake"):
        values = [h[key] for h in recent if key in h]
        if values:
            out[key if key != "l1" else "train_l1"] = float(np.mean(values))
    if quality:
        x, y, labels = test_pairs(run.preset, root=root)
        outputs = translate(t.translator, x)
        test = translation_quality(outputs, y, labels, run.preset["data"]["name"], root)
        out.update({f"test_{k}" if k in ("l1", "psnr") else k: v for k, v in test.items()})
    return out


def save_pix2pix(run: Any, *, quality: bool = True):
    """Write the checkpoint (kind pix2pix), its card with the numbers and an example picture."""
    from gancore.io.checkpoint import save_checkpoint

    t: Pix2PixTrainer = run.trainer
    report = pix2pix_report(run, quality=quality)
    x, y, _ = test_pairs(run.preset, EXAMPLES)
    png = render.to_png(example_picture(t.translator, x, y))
    run.report = {"step": t.step_count, **report}
    config = run.config.checkpoint_config(metrics=run.report, command=run.command, train=t.config)
    return save_checkpoint(
        run.out,
        generator=t.translator,
        discriminator=t.discriminator,
        config=config,
        sample_png=png,
        training_state=t.state_dict(),
    )


def evaluate_checkpoint(loaded: Any, *, n: int = EVAL_N, root: str | None = None) -> dict[str, Any]:
    """Translation numbers of a loaded pix2pix checkpoint on its data's first n test images,
    beside the input itself as a baseline (for superres4, the input is bicubic upsampling)."""
    data = {k: v for k, v in loaded.config["data"].items() if k != "class_names"}
    preset = {"data": data, "model": loaded.config["model"], "train": {"seed": 0}}
    x, y, labels = test_pairs(preset, n, root=root)
    outputs = translate(loaded.generator, x)
    name = data.get("name", "")
    report: dict[str, Any] = {"source": loaded.source, "task": preset["model"]["task"]}
    report["samples"] = len(x)
    report.update(translation_quality(outputs, y, labels, name, root))
    report["input_as_output"] = translation_quality(x, y, labels, name, root)
    report["training_metrics"] = loaded.config.get("metrics", {})
    return report
