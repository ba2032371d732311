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

The parts: :mod:`~gancore.eval.classifier.model` (the CNN, its config, image conversion),
:mod:`~gancore.eval.classifier.training`, :mod:`~gancore.eval.classifier.files` (save, read,
the shipped ones) and :mod:`~gancore.eval.classifier.cli`; their public names are importable
from ``gancore.eval.classifier`` itself.
"""

from gancore.eval.classifier.cli import main
from gancore.eval.classifier.files import (
    CARD_NAME,
    CONFIG_NAME,
    FORMAT,
    MAX_PARAMETERS,
    WEIGHTS_NAME,
    check_replaceable,
    classifier_dir,
    load_classifier,
    read_classifier,
    save_classifier,
)
from gancore.eval.classifier.model import (
    DATASETS,
    IMAGE_SIZE,
    Classifier,
    ClassifierConfig,
    canonical_dataset,
    num_parameters,
    predict_logits,
    prepare_images,
)
from gancore.eval.classifier.training import (
    AUGMENTATIONS,
    BATCH_SIZE,
    DEFAULT_AUGMENTATION,
    DEFAULT_EPOCHS,
    LR,
    WEIGHT_DECAY,
    evaluate_accuracy,
    train_classifier,
)

__all__ = [
    "AUGMENTATIONS",
    "BATCH_SIZE",
    "CARD_NAME",
    "CONFIG_NAME",
    "DATASETS",
    "DEFAULT_AUGMENTATION",
    "DEFAULT_EPOCHS",
    "FORMAT",
    "IMAGE_SIZE",
    "LR",
    "MAX_PARAMETERS",
    "WEIGHTS_NAME",
    "WEIGHT_DECAY",
    "Classifier",
    "ClassifierConfig",
    "canonical_dataset",
    "check_replaceable",
    "classifier_dir",
    "evaluate_accuracy",
    "load_classifier",
    "main",
    "num_parameters",
    "predict_logits",
    "prepare_images",
    "read_classifier",
    "save_classifier",
    "train_classifier",
]
