"""Metrics on generated images, judged by gancore's own classifiers (:mod:`gancore.eval.classifier`).

- Frechet distance between Gaussians fitted to classifier features (the FID recipe, with a
  small MNIST / Fashion-MNIST CNN in place of Inception; its numbers are NOT comparable to
  published FIDs, only to each other for the same dataset, classifier and sample sizes);
- label accuracy of a conditional generator (share of samples recognised as the requested
  class), class shares and mode coverage over the classifier's classes;
- precision and recall after Kynkaanniemi et al. 2019 (k-NN radius manifolds in feature space).

:func:`evaluate_images` runs them all and returns JSON-able values for the CLI and the pages.
The math on features (Gaussian statistics, Frechet distance, precision and recall) is in
:mod:`gancore.eval.feature_metrics`; this module runs images through a classifier into it.
The math takes NumPy/torch arrays and validates loudly; only :func:`evaluate_images` touches
the disk (shipped classifier, t10k test images), caching what it reads per process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from gancore.eval.classifier import Classifier, load_classifier, prepare_images
from gancore.eval.feature_metrics import (
    DEFAULT_K,
    feature_statistics,
    frechet_distance,
    precision_recall,
)
from gancore.models.modes import evaluating

DEFAULT_N_REAL = 10_000
DEFAULT_MIN_SHARE = 0.01  # a class is covered when at least 1% of the samples fall in it


# ----- classifier features ------------------------------------------------------------------------


def _features_and_logits(
    classifier: Classifier, images: Any, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Classifier features (n, F) float64 and logits (n, C) float64, one pass, in batches."""
    x = prepare_images(images)
    feats, logits = [], []
    with evaluating(classifier), torch.inference_mode():
        for i in range(0, len(x), batch_size):
            f = classifier.features(x[i : i + batch_size])
            feats.append(f)
            logits.append(classifier.head(f))
    return torch.cat(feats).double().numpy(), torch.cat(logits).double().numpy()


def classifier_features(
    images: Any, classifier: Classifier, *, batch_size: int = 1000
) -> np.ndarray:
    """Penultimate classifier features (n, F), float64, of images in [-1, 1] (or uint8)."""
    return _features_and_logits(classifier, images, batch_size)[0]


def classifier_frechet_distance(
    fake_images: Any, real_images: Any, classifier: Classifier, *, batch_size: int = 1000
) -> float:
    """Frechet distance between Gaussians fitted to the classifier features of two image sets
    (each at least 2 images; use thousands for a stable number)."""
    mu1, s1 = feature_statistics(
        classifier_features(fake_images, classifier, batch_size=batch_size)
    )
    mu2, s2 = feature_statistics(
        classifier_features(real_images, classifier, batch_size=batch_size)
    )
    return frechet_distance(mu1, s1, mu2, s2)


# ----- classes ---------------------------------------------------------------------------------------


def predict_classes(images: Any, classifier: Classifier, *, batch_size: int = 1000) -> np.ndarray:
    """Arg-max class (n,) int64 of each image."""
    return _features_and_logits(classifier, images, batch_size)[1].argmax(axis=1)


def _labels(labels: Any, n: int, num_classes: int) -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"labels must have shape ({n},), one per image; got {y.shape}")
    if y.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}), got values in [{y.min()}, {y.max()}]"
        )
    return y.astype(np.int64)


def _label_accuracy(pred: np.ndarray, labels: Any, num_classes: int) -> float:
    return float((pred == _labels(labels, len(pred), num_classes)).mean())


def label_accuracy(images: Any, labels: Any, classifier: Classifier) -> float:
    """Share of images the classifier recognises as their requested label (conditional GANs)."""
    pred = predict_classes(images, classifier)
    return _label_accuracy(pred, labels, classifier.config.num_classes)


def _histogram(pred: np.ndarray, num_classes: int) -> dict[str, list]:
    counts = np.bincount(pred, minlength=num_classes)
    return {"counts": counts.tolist(), "shares": (counts / max(len(pred), 1)).tolist()}


def class_histogram(images: Any, classifier: Classifier) -> dict[str, list]:
    """{'counts': [int] * C, 'shares': [float] * C} of the classifier's predicted classes."""
    return _histogram(predict_classes(images, classifier), classifier.config.num_classes)


def mode_coverage_from_counts(
    counts: Any, *, min_share: float = DEFAULT_MIN_SHARE
) -> dict[str, Any]:
    """Coverage of classes from per-class counts: a class is covered when its share of all
    samples is at least ``min_share``. Returns classes_covered, num_classes, min_class_share
    (the smallest share of any class: 0 when one is missing, 1/C when perfectly balanced)."""
    c = np.asarray(counts)
    if c.ndim != 1 or c.size == 0 or c.dtype.kind not in "iu" or (c < 0).any() or c.sum() == 0:
        raise ValueError(f"counts must be non-negative integers, not all zero; got {counts!r}")
    if isinstance(min_share, bool) or not 0 <= min_share <= 1:
        raise ValueError(f"min_share must be in [0, 1], got {min_share!r}")
    shares = c / c.sum()
    return {
        "classes_covered": int((shares >= min_share).sum()),
        "num_classes": int(c.size),
        "min_class_share": float(shares.min()),
        "min_share": float(min_share),
    }


def mode_coverage_images(
    images: Any, classifier: Classifier, *, min_share: float = DEFAULT_MIN_SHARE
) -> dict[str, Any]:
    """Mode coverage over the classifier's classes (see :func:`mode_coverage_from_counts`)."""
    counts = class_histogram(images, classifier)["counts"]
    return mode_coverage_from_counts(counts, min_share=min_share)


# ----- everything at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class RealReference:
    """Classifier features of real test images and their Gaussian statistics."""

    features: np.ndarray  # (n, F), rows in a fixed random order
    mu: np.ndarray
    sigma: np.ndarray


_real_cache: dict[tuple, RealReference] = {}
_real_lock = threading.Lock()


def real_reference(
    dataset: str,
    *,
    n: int = DEFAULT_N_REAL,
    root: str | os.PathLike | None = None,
    classifier: Classifier | None = None,
) -> RealReference:
    """Features and statistics of ``n`` real t10k test images (a fixed random subset; all
    10,000 by default), through the shipped classifier unless one is given. Cached per
    (dataset, n, data root) in this process for the shipped classifier."""
    from gancore.data.images import load_dataset, resolve_data_root
    from gancore.eval.classifier import canonical_dataset, classifier_dir

    name = canonical_dataset(dataset)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 10_000:
        raise ValueError(f"n_real must be an integer in [2, 10000] (the t10k split), got {n!r}")
    key = (name, n, str(resolve_data_root(root).resolve()), str(classifier_dir(name).resolve()))
    if classifier is None:
        with _real_lock:
            if key in _real_cache:
                return _real_cache[key]
    clf = classifier if classifier is not None else load_classifier(name)
    test = load_dataset(name, root=root, train=False)
    order = torch.randperm(len(test.images), generator=torch.Generator().manual_seed(0))[:n]
    feats = classifier_features(test.images[order], clf)
    ref = RealReference(feats, *feature_statistics(feats))
    if classifier is None:
        with _real_lock:
            _real_cache[key] = ref
    return ref


def evaluate_images(
    fake_images: Any,
    *,
    dataset: str,
    labels: Any = None,
    real_images: Any = None,
    n_real: int = DEFAULT_N_REAL,
    data_root: str | os.PathLike | None = None,
    classifier: Classifier | None = None,
    k: int = DEFAULT_K,
    min_share: float = DEFAULT_MIN_SHARE,
) -> dict[str, Any]:
    """All image metrics of generated images (N, C, H, W) in [-1, 1] against real ones.

    Real images are ``real_images`` if given, else ``n_real`` t10k test images of ``dataset``
    (read through gancore.data.images from ``data_root``; their features are cached per process).
    ``labels`` (N,) are the classes a conditional generator was asked for. Returns plain
    JSON-able values::

        frechet_distance   on classifier features (lower is better; not comparable to FID)
        precision, recall  k-NN manifolds on the first min(N, n_real) of each set, so sizes match
        label_accuracy     share recognised as the requested label, or None without labels
        class_shares       predicted class shares, in the order of class_names
        min_class_share, classes_covered (share >= min_share), num_classes
        n_fake, n_real, pr_samples, k, dataset, class_names, classifier_test_accuracy
    """
    from gancore.eval.classifier import canonical_dataset

    name = canonical_dataset(dataset)
    clf = classifier if classifier is not None else load_classifier(name)
    fake = prepare_images(fake_images)
    if len(fake) < max(2, k + 1):
        raise ValueError(f"need at least {max(2, k + 1)} generated images, got {len(fake)}")
    num_classes = clf.config.num_classes
    y = None if labels is None else _labels(labels, len(fake), num_classes)
    fake_feats, fake_logits = _features_and_logits(clf, fake, 1000)
    if real_images is not None:
        real_feats = classifier_features(real_images, clf)
        if len(real_feats) < max(2, k + 1):
            raise ValueError(f"need at least {max(2, k + 1)} real images, got {len(real_feats)}")
        order = np.random.default_rng(0).permutation(len(real_feats))
        ref = RealReference(real_feats[order], *feature_statistics(real_feats))
    else:
        ref = real_reference(name, n=n_real, root=data_root, classifier=classifier)
    pred = fake_logits.argmax(axis=1)
    hist = _histogram(pred, num_classes)
    m = min(len(fake_feats), len(ref.features))
    pr = precision_recall(ref.features[:m], fake_feats[:m], k=k)
    return {
        "dataset": name,
        "n_fake": len(fake_feats),
        "n_real": len(ref.features),
        "frechet_distance": frechet_distance(*feature_statistics(fake_feats), ref.mu, ref.sigma),
        "precision": pr["precision"],
        "recall": pr["recall"],
        "pr_samples": m,
        "k": k,
        "label_accuracy": None if y is None else float((pred == y).mean()),
        "class_shares": hist["shares"],
        **mode_coverage_from_counts(hist["counts"], min_share=min_share),
        "class_names": list(clf.class_names),
        "classifier_test_accuracy": clf.test_accuracy,
    }


def quick_quality(
    fake_images: Any,
    *,
    dataset: str,
    labels: Any = None,
    n_real: int = 2000,
    data_root: str | os.PathLike | None = None,
) -> dict[str, float | None]:
    """A cheap progress estimate for live training: Frechet distance on the shipped
    classifier's features against ``n_real`` test images (cached per process), label
    accuracy (conditional models) and the smallest predicted class share; no k-NN.

    Same scale as :func:`evaluate_images`, noisier with few samples: compare it with
    itself over a run, not with numbers measured on more samples."""
    from gancore.eval.classifier import canonical_dataset

    name = canonical_dataset(dataset)
    clf = load_classifier(name)
    feats, logits = _features_and_logits(clf, prepare_images(fake_images), 1000)
    if len(feats) < 2:
        raise ValueError(f"need at least 2 generated images, got {len(feats)}")
    ref = real_reference(name, n=n_real, root=data_root)
    pred = logits.argmax(axis=1)
    k = clf.config.num_classes
    y = None if labels is None else _labels(labels, len(feats), k)
    return {
        "frechet_distance": frechet_distance(*feature_statistics(feats), ref.mu, ref.sigma),
        "label_accuracy": None if y is None else float((pred == y).mean()),
        "min_class_share": float(np.bincount(pred, minlength=k).min() / len(pred)),
    }
