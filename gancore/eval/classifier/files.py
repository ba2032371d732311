"""A classifier's folder: writing it (atomically, with a card), reading it with strict checks,
and the shipped ones, loaded once per process."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from gancore import __version__
from gancore.eval.classifier.model import (
    Classifier,
    ClassifierConfig,
    canonical_dataset,
    num_parameters,
)

FORMAT = "gancore-classifier/1"
CONFIG_NAME, WEIGHTS_NAME, CARD_NAME = "config.json", "model.safetensors", "README.md"
MAX_PARAMETERS = 2_000_000  # a config asking for more is not one of these small CNNs


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
    check_replaceable(target)
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


def check_replaceable(target: Path) -> None:
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
