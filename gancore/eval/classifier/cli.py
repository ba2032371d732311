"""``python -m gancore.eval.classifier train``: train a classifier and write its folder."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from gancore.eval.classifier.files import check_replaceable, save_classifier
from gancore.eval.classifier.model import DATASETS, num_parameters
from gancore.eval.classifier.training import (
    AUGMENTATIONS,
    BATCH_SIZE,
    DEFAULT_AUGMENTATION,
    DEFAULT_EPOCHS,
    LR,
    WEIGHT_DECAY,
    train_classifier,
)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gancore.eval.classifier train --dataset D --out DIR [--data-root DIR] [--epochs N]``."""
    from gancore.data.image_data import DatasetUnavailableError
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
        check_replaceable(args.out.expanduser().absolute())  # before minutes of training
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
