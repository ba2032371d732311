"""Training a classifier: light augmentation, AdamW with a one-cycle rate, test accuracy."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from gancore.eval.classifier.model import (
    IMAGE_SIZE,
    Classifier,
    ClassifierConfig,
    canonical_dataset,
    predict_logits,
)

DEFAULT_EPOCHS, BATCH_SIZE, LR, WEIGHT_DECAY = 8, 128, 3e-3, 1e-4


AUGMENTATIONS = {
    # name: (max rotation in degrees, max relative scale change, max shift in pixels)
    "affine": (10.0, 0.1, 2.0),
    "shift": (0.0, 0.0, 2.0),
    "none": (0.0, 0.0, 0.0),
}
DEFAULT_AUGMENTATION = {"mnist": "affine", "fashion-mnist": "shift"}  # clothes are upright


def _augment(x: torch.Tensor, gen: torch.Generator, how: str) -> torch.Tensor:
    """Random affine per image (see AUGMENTATIONS) on [-1, 1] images, black outside."""
    deg, rel, px = AUGMENTATIONS[how]
    if deg == rel == px == 0:
        return x
    b = x.shape[0]
    angle = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(deg)
    scale = 1 + (torch.rand(b, generator=gen) * 2 - 1) * rel
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * (2 * px / IMAGE_SIZE)  # normalised coords
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # shift to [0, 2] so grid_sample's zero padding is the black background (-1)
    return (
        F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1
    )


@torch.inference_mode()
def evaluate_accuracy(
    classifier: Classifier, images: Any, labels: Any, *, batch_size: int = 1000
) -> float:
    """Share of images whose arg-max class equals the label."""
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64).reshape(-1)
    pred = predict_logits(classifier, images, batch_size=batch_size).argmax(1)
    if len(y) != len(pred):
        raise ValueError(f"{len(pred)} images but {len(y)} labels")
    return float((pred == y).double().mean())


def train_classifier(
    dataset: str,
    *,
    root: str | os.PathLike | None = None,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    augment: str | None = None,
    config: ClassifierConfig | None = None,
    max_train_images: int | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[Classifier, float]:
    """Train a classifier on the train split of ``dataset``; return it (eval mode) and its
    accuracy on the t10k test split.

    AdamW with a one-cycle learning rate and light augmentation (``augment``: a key of
    AUGMENTATIONS; default per dataset, DEFAULT_AUGMENTATION). Deterministic per
    ``seed`` (shuffling and augmentation draw from one seeded generator) on a given machine
    and torch thread count. ``max_train_images`` trains on the first N images (tests)."""
    from gancore.data.image_data import convert_images
    from gancore.data.images import load_dataset
    from gancore.seeding import set_seed

    name = canonical_dataset(dataset)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not (isinstance(lr, (int, float)) and 0 < lr < 1):
        raise ValueError(f"lr must be in (0, 1), got {lr!r}")
    augment = DEFAULT_AUGMENTATION[name] if augment is None else augment
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {sorted(AUGMENTATIONS)}, got {augment!r}")
    train = load_dataset(name, root=root, train=True)
    test = load_dataset(name, root=root, train=False)
    images, labels = train.images, train.labels
    if max_train_images is not None:
        if (
            isinstance(max_train_images, bool)
            or not isinstance(max_train_images, int)
            or max_train_images < 1
        ):
            raise ValueError(
                f"max_train_images must be a positive integer, got {max_train_images!r}"
            )
        images, labels = images[:max_train_images], labels[:max_train_images]
    gen = set_seed(seed)
    config = config or ClassifierConfig(num_classes=len(train.class_names))
    if config.num_classes != len(train.class_names):
        raise ValueError(
            f"config.num_classes is {config.num_classes} but {name} has {len(train.class_names)} classes"
        )
    model = Classifier(config)
    model.class_names, model.dataset = tuple(train.class_names), name
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.2
    )
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=gen)
        start, total = time.monotonic(), 0.0
        for i in range(0, len(images), batch_size):
            idx = order[i : i + batch_size]
            x = convert_images(images[idx], image_size=IMAGE_SIZE, channels=1)
            x = _augment(x, gen, augment)
            # minimise cross-entropy of the true class
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if log is not None:
            acc = evaluate_accuracy(model, test.images, test.labels)
            log(
                f"epoch {epoch + 1}/{epochs}: train loss {total / len(images):.4f}, "
                f"test accuracy {acc:.4f} ({time.monotonic() - start:.0f} s)"
            )
    model.eval()
    accuracy = evaluate_accuracy(model, test.images, test.labels)
    model.test_accuracy = accuracy
    return model, accuracy
