"""Independent classifiers that judge generated 28x28 gray images (MNIST, Fashion-MNIST).

Inception weights cannot be downloaded everywhere, so gancore ships its own small CNN per
dataset, trained on the train split and never shown a GAN sample. Its penultimate layer is
the feature space of the Frechet distance and of precision/recall in
:mod:`gancore.eval.image`; its logits give label accuracy and class shares.

A classifier folder (``checkpoints/classifier-<dataset>/``) holds::

    model.safetensors   the weights (float32), loaded with strict key/shape checks
    config.json         {"format": "gancore-classifier/1", "arch": {...}, "dataset": "mnist",
                         "class_names": [...], "test_accuracy": 0.99.., "command": "...", ...}
    README.md           a card with the test accuracy and the command that trained it

Train one with ``python -m gancore.eval.classifier train --dataset mnist --out DIR``; load the
shipped one with :func:`load_classifier`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancore import __version__

FORMAT = "gancore-classifier/1"
DATASETS = ("mnist", "fashion-mnist")
IMAGE_SIZE = 28
CONFIG_NAME, WEIGHTS_NAME, CARD_NAME = "config.json", "model.safetensors", "README.md"
MAX_PARAMETERS = 2_000_000  # a config asking for more is not one of these small CNNs
DEFAULT_EPOCHS, BATCH_SIZE, LR, WEIGHT_DECAY = 8, 128, 3e-3, 1e-4


@dataclass(frozen=True)
class ClassifierConfig:
    """Three conv blocks (conv 3x3, BN, ReLU, 2x2 max-pool), then a linear feature layer."""

    channels: tuple[int, int, int] = (16, 32, 64)
    feature_dim: int = 128
    num_classes: int = 10
    dropout: float = 0.25

    def __post_init__(self) -> None:
        ch = tuple(self.channels)
        if len(ch) != 3 or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in ch):
            raise ValueError(f"channels must be three positive integers, got {self.channels!r}")
        object.__setattr__(self, "channels", ch)
        for name in ("feature_dim", "num_classes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 4096:
                raise ValueError(f"{name} must be an integer in [1, 4096], got {v!r}")
        if isinstance(self.dropout, bool) or not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": "SmallCNN", **asdict(self), "channels": list(self.channels)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassifierConfig:
        if not isinstance(d, dict):
            raise ValueError(f"arch must be a JSON object, got {type(d).__name__}")
        d = dict(d)
        if d.pop("name", "SmallCNN") != "SmallCNN":
            raise ValueError(f"unknown classifier architecture {d.get('name')!r}")
        if unknown := sorted(set(d) - {"channels", "feature_dim", "num_classes", "dropout"}):
            raise ValueError(f"unknown arch key(s) {unknown}")
        if "channels" in d:
            if not isinstance(d["channels"], list):
                raise ValueError(f"channels must be a list, got {d['channels']!r}")
            d["channels"] = tuple(d["channels"])
        return cls(**d)

    def num_parameters(self) -> int:
        c1, c2, c3 = self.channels
        convs = sum(
            9 * a * b + 2 * b for a, b in ((1, c1), (c1, c2), (c2, c3))
        )  # no bias; BN affine
        return convs + (c3 * 9 + 1) * self.feature_dim + (self.feature_dim + 1) * self.num_classes


class Classifier(nn.Module):
    """A small CNN for (B, 1, 28, 28) images in [-1, 1]: ``features`` (B, F) and logits (B, C)."""

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ClassifierConfig()
        c1, c2, c3 = config.channels

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]

        self.body = nn.Sequential(
            *block(1, c1),  # (B, c1, 14, 14)
            *block(c1, c2),  # (B, c2, 7, 7)
            *block(c2, c3),  # (B, c3, 3, 3)
            nn.Flatten(),
            nn.Linear(c3 * 9, config.feature_dim),
            nn.ReLU(inplace=True),  # (B, F): the feature space of the metrics
        )
        self.head = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.num_classes)
        )
        self.class_names: tuple[str, ...] = tuple(str(i) for i in range(config.num_classes))
        self.dataset = ""
        self.test_accuracy: float | None = None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (B, feature_dim) of images (B, 1, 28, 28) in [-1, 1]."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"expected images of shape (B, 1, 28, 28), got {tuple(x.shape)}; "
                "convert with gancore.eval.classifier.prepare_images"
            )
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ----- images in -------------------------------------------------------------------------------


_LUMA = torch.tensor([0.299, 0.587, 0.114])


def prepare_images(images: Any) -> torch.Tensor:
    """Images -> float32 (N, 1, 28, 28) in [-1, 1], what a classifier takes.

    Accepts a torch tensor or NumPy array of shape (N, C, H, W) with C in {1, 3}, or (N, H, W):
    uint8 (0..255) or float in [-1, 1] (a GAN's output range). RGB is reduced to luma and other
    sizes are resized (bilinear, antialiased) to 28x28. Floats outside [-1, 1] by more than
    1e-3, or non-finite values, are refused: they are not GAN samples in the expected range."""
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    x = x.detach().cpu()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0 or min(x.shape[2:]) < 1:
        raise ValueError(
            f"images must have shape (N, 1|3, H, W) or (N, H, W), N >= 1; got {tuple(x.shape)}"
        )
    if x.dtype == torch.uint8:
        x = x.float() / 127.5 - 1.0
    elif x.is_floating_point():
        x = x.float()
        if not torch.isfinite(x).all():
            raise ValueError("images contain NaN or infinite values")
        lo, hi = float(x.min()), float(x.max())
        if lo < -1.001 or hi > 1.001:
            raise ValueError(
                f"float images must be in [-1, 1] (a GAN's tanh output), got values in [{lo:.3g}, {hi:.3g}]"
            )
        x = x.clamp(-1.0, 1.0)
    else:
        raise ValueError(f"images must be uint8 or floating point, got {x.dtype}")
    if x.shape[1] == 3:
        x = (x * _LUMA.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    if tuple(x.shape[-2:]) != (IMAGE_SIZE, IMAGE_SIZE):
        x = F.interpolate(
            x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", antialias=True, align_corners=False
        )
        x = x.clamp(-1.0, 1.0)
    return x.contiguous()


@torch.inference_mode()
def predict_logits(classifier: Classifier, images: Any, *, batch_size: int = 1000) -> torch.Tensor:
    """Logits (N, num_classes) of images (anything :func:`prepare_images` takes), in batches."""
    x = prepare_images(images)
    was_training = classifier.training
    classifier.eval()
    try:
        return torch.cat([classifier(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    finally:
        classifier.train(was_training)


# ----- training ----------------------------------------------------------------------------------


def canonical_dataset(dataset: str) -> str:
    from gancore.data.images import dataset_name

    name = dataset_name(dataset)
    if name not in DATASETS:
        raise ValueError(f"classifiers exist for {DATASETS}, not for {dataset!r}")
    return name


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
    from gancore.data.images import convert_images, load_dataset
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


# ----- saving and loading ---------------------------------------------------------------------


def _card(cfg: dict[str, Any]) -> str:
    acc = cfg["test_accuracy"]
    names = ", ".join(f"`{c}`" for c in cfg["class_names"])
    return (
        "---\nlibrary_name: gancore\nlicense: mit\ntags:\n- gancore\n- image-classification\n"
        f"- {cfg['dataset']}\npipeline_tag: image-classification\n---\n\n"
        f"# gancore classifier for {cfg['dataset']}\n\n"
        "An independent small CNN that judges generated images in gancore's metrics (Frechet "
        "distance on its penultimate features, label accuracy, class shares, precision/recall): "
        "the offline substitute for Inception. It was trained on the train split only; it "
        "has never seen a GAN sample.\n\n"
        f"- Input: 1x28x28 gray images in [-1, 1]; output: logits for {len(cfg['class_names'])} "
        f"classes ({names}); features: {cfg['arch']['feature_dim']}-d (after the last ReLU)\n"
        f"- Architecture: 3 x (conv 3x3, BatchNorm, ReLU, max-pool 2) with channels "
        f"{cfg['arch']['channels']}, linear {cfg['arch']['feature_dim']} + ReLU, dropout, "
        f"linear; {cfg['num_parameters']:,} parameters\n"
        f"- Test accuracy (t10k, 10,000 images): **{acc:.2%}**\n\n"
        "## Training\n\n" + "".join(f"- {k}: {v}\n" for k, v in cfg["train"].items()) + "\n"
        f"```bash\n{cfg['command']}\n```\n\n"
        "(add `--data-root DIR` to read the dataset files from DIR; see `gancore.data.images`)\n\n"
        "## Use\n\n```python\nfrom gancore.eval.classifier import load_classifier\n"
        f"clf = load_classifier({cfg['dataset']!r})  # eval mode, cached per process\n"
        "logits = clf(images)            # (B, 1, 28, 28) in [-1, 1]\nfeats = clf.features(images)\n```\n"
    )


def save_classifier(
    directory: str | os.PathLike,
    model: Classifier,
    *,
    test_accuracy: float,
    command: str = "",
    train: dict[str, Any] | None = None,
) -> Path:
    """Write model.safetensors, config.json and README.md atomically (temp folder, then rename)."""
    from safetensors.torch import save_file

    from gancore.io.atomic import atomic_folder_write

    target = Path(directory).expanduser().absolute()
    _check_replaceable(target)
    cfg = {
        "format": FORMAT,
        "arch": model.config.to_dict(),
        "dataset": canonical_dataset(model.dataset),
        "class_names": list(model.class_names),
        "test_accuracy": float(test_accuracy),
        "num_parameters": num_parameters(model),
        "train": dict(train or {}),
        "command": command,
        "gancore_version": __version__,
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}

    def write(tmp: Path) -> None:
        save_file(state, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        os.chmod(tmp / WEIGHTS_NAME, 0o644)  # safetensors writes 0600
        (tmp / CONFIG_NAME).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
        (tmp / CARD_NAME).write_text(_card(cfg), encoding="utf-8")
        read_classifier(tmp)  # what landed on disk loads back

    return atomic_folder_write(target, write)


def _check_replaceable(target: Path) -> None:
    """Only an empty folder or an earlier classifier folder may be replaced."""
    if not target.exists():
        return
    if target.is_dir() and not any(target.iterdir()):
        return
    try:
        ours = json.loads((target / CONFIG_NAME).read_text())["format"] == FORMAT
    except (OSError, ValueError, KeyError, TypeError):
        ours = False
    if not ours:
        raise ValueError(
            f"refusing to replace {target}: it is not empty and not a gancore classifier "
            "folder; choose another --out or empty it first"
        )


def read_classifier(folder: str | os.PathLike) -> Classifier:
    """Load a classifier folder: config validated first, then safetensors with strict keys/shapes."""
    from gancore.io.format import CheckpointError, read_checkpoint_tensors, read_config

    folder = Path(folder)
    path = folder / CONFIG_NAME
    if not path.is_file() or not (folder / WEIGHTS_NAME).is_file():
        raise CheckpointError(
            f"{folder} is not a classifier folder: it needs {CONFIG_NAME} and {WEIGHTS_NAME} "
            "(train one with `python -m gancore.eval.classifier train --dataset mnist --out DIR`)",
            reason="file_missing",
        )
    cfg = read_config(path)

    def bad(msg: str) -> CheckpointError:
        return CheckpointError(f"{path}: {msg}", reason="bad_config")

    if not isinstance(cfg, dict) or cfg.get("format") != FORMAT:
        got = cfg.get("format") if isinstance(cfg, dict) else type(cfg).__name__
        raise bad(f"format is {got!r}, not {FORMAT!r}: not a gancore classifier")
    try:
        arch = ClassifierConfig.from_dict(cfg.get("arch"))
        dataset = canonical_dataset(cfg.get("dataset", ""))
    except (ValueError, TypeError) as err:
        raise bad(str(err)) from None
    names = cfg.get("class_names")
    if (
        not isinstance(names, list)
        or len(names) != arch.num_classes
        or not all(isinstance(n, str) for n in names)
    ):
        raise bad(f"class_names must be {arch.num_classes} strings")
    acc = cfg.get("test_accuracy")
    if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not 0 <= acc <= 1:
        raise bad(f"test_accuracy must be a number in [0, 1], got {acc!r}")
    if arch.num_parameters() > MAX_PARAMETERS:
        raise CheckpointError(
            f"{path} asks for {arch.num_parameters():,} parameters; refused", reason="too_large"
        )
    model = Classifier(arch)
    weights = folder / WEIGHTS_NAME
    if weights.stat().st_size > 8 * arch.num_parameters() + (1 << 20):
        raise CheckpointError(
            f"{weights} is far larger than its config needs; refused", reason="too_large"
        )
    model.load_state_dict(read_checkpoint_tensors(weights, model), strict=True)
    model.class_names, model.dataset, model.test_accuracy = tuple(names), dataset, float(acc)
    model.requires_grad_(False)
    return model.eval()


def classifier_dir(dataset: str) -> Path:
    """The shipped classifier folder: ``<shipped checkpoints>/classifier-<dataset>``."""
    from gancore.io.sources import shipped_checkpoints_dir

    return shipped_checkpoints_dir() / f"classifier-{canonical_dataset(dataset)}"


_loaded: dict[str, Classifier] = {}
_load_lock = threading.Lock()


def load_classifier(dataset: str) -> Classifier:
    """The shipped classifier for ``dataset`` (eval mode, frozen), loaded once per process per folder.

    Shared between callers: do not train or modify it."""
    folder = classifier_dir(dataset).resolve()
    with _load_lock:
        if str(folder) not in _loaded:
            _loaded[str(folder)] = read_classifier(folder)
        return _loaded[str(folder)]


# ----- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gancore.eval.classifier train --dataset D --out DIR [--data-root DIR] [--epochs N]``."""
    from gancore.data.images import DatasetUnavailableError
    from gancore.io.format import CheckpointError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m gancore.eval.classifier", description="Train gancore's image classifiers."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a classifier and write its folder")
    t.add_argument("--dataset", required=True, choices=DATASETS)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--data-root", type=Path, help="folder holding MNIST/ or FashionMNIST/")
    t.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--augment", choices=sorted(AUGMENTATIONS), help="default: per dataset")
    t.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (default 1; results depend on it)"
    )
    t.add_argument("--max-train-images", type=int, help="train on the first N images only")
    t.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    started = time.monotonic()
    augment = args.augment or DEFAULT_AUGMENTATION[args.dataset]
    try:
        _check_replaceable(args.out.expanduser().absolute())  # before minutes of training
        model, acc = train_classifier(
            args.dataset,
            root=args.data_root,
            epochs=args.epochs,
            seed=args.seed,
            augment=augment,
            max_train_images=args.max_train_images,
            log=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
        train = {
            "epochs": args.epochs,
            "seed": args.seed,
            "batch_size": BATCH_SIZE,
            "optimizer": f"AdamW(lr={LR}, weight_decay={WEIGHT_DECAY}), OneCycleLR",
            "augment": augment,
            "torch_threads": torch.get_num_threads(),
            "torch_version": torch.__version__.split("+")[0],
            "seconds": round(time.monotonic() - started, 1),
        }
        if args.max_train_images:
            train["max_train_images"] = args.max_train_images
        out = save_classifier(
            args.out, model, test_accuracy=acc, command=_shown_command(argv), train=train
        )
    except (DatasetUnavailableError, CheckpointError, ValueError, OSError) as err:
        if args.debug:
            raise
        print(f"python -m gancore.eval.classifier: error: {err}", file=sys.stderr)
        return 2
    params = num_parameters(model)
    print(json.dumps({"out": str(out), "test_accuracy": acc, "num_parameters": params}))
    return 0


def _shown_command(argv: list[str]) -> str:
    """The command for the model card, without the local --data-root path."""
    shown, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--data-root":
            skip = True
        elif not a.startswith("--data-root=") and a != "--debug":
            shown.append(a)
    return "python -m gancore.eval.classifier " + shlex.join(shown)


if __name__ == "__main__":
    raise SystemExit(main())
