"""Metrics on generated images, judged by gancore's own classifiers (:mod:`gancore.eval.classifier`).

- Frechet distance between Gaussians fitted to classifier features (the FID recipe, with a
  small MNIST / Fashion-MNIST CNN in place of Inception; its numbers are NOT comparable to
  published FIDs, only to each other for the same dataset, classifier and sample sizes);
- label accuracy of a conditional generator (share of samples recognised as the requested
  class), class shares and mode coverage over the classifier's classes;
- precision and recall after Kynkaanniemi et al. 2019 (k-NN radius manifolds in feature space).

:func:`evaluate_images` runs them all and returns JSON-able values for the CLI and the pages.
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
from gancore.models.modes import evaluating

DEFAULT_N_REAL = 10_000
DEFAULT_K = 3
DEFAULT_MIN_SHARE = 0.01  # a class is covered when at least 1% of the samples fall in it
_CHUNK = 1 << 22  # max elements of a pairwise-distance block (32 MiB in float64)


# ----- features and Gaussian statistics ----------------------------------------------------------


def _matrix(name: str, a: Any, *, min_rows: int = 1) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(
            f"{name} must be a 2D array (n, d) with n >= {min_rows}, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def feature_statistics(features: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) (unbiased, ddof=1) of features (n, d), n >= 2, float64."""
    x = _matrix("features", features, min_rows=2)
    mu = x.mean(axis=0)
    xc = x - mu
    sigma = xc.T @ xc / (len(x) - 1)
    return mu, (sigma + sigma.T) / 2


def _stats_pair(mu: Any, sigma: Any, which: str) -> tuple[np.ndarray, np.ndarray]:
    mu = np.asarray(mu.detach().cpu() if isinstance(mu, torch.Tensor) else mu, dtype=np.float64)
    sigma = _matrix(f"sigma{which}", sigma)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise ValueError(
            f"mu{which} must have shape (d,) and sigma{which} (d, d); got {mu.shape} and {sigma.shape}"
        )
    if not np.isfinite(mu).all():
        raise ValueError(f"mu{which} contains NaN or infinite values")
    scale = max(1.0, float(np.abs(sigma).max()))
    if np.abs(sigma - sigma.T).max() > 1e-6 * scale:
        raise ValueError(f"sigma{which} is not symmetric: not a covariance matrix")
    sigma = (sigma + sigma.T) / 2
    if np.linalg.eigvalsh(sigma)[0] < -1e-6 * scale:
        raise ValueError(f"sigma{which} has a clearly negative eigenvalue: not a covariance matrix")
    return mu, sigma


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix; tiny negative eigenvalues -> 0."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """Frechet (2-Wasserstein squared) distance between N(mu1, sigma1) and N(mu2, sigma2):

        ||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1^1/2 sigma2 sigma1^1/2)^1/2)

    Both square roots are of symmetric PSD matrices, taken by eigen-decomposition with
    negative round-off eigenvalues clipped to 0, so singular or near-singular covariances
    (fewer samples than dimensions, dead features) need no jitter. Returns a float >= 0."""
    m1, s1 = _stats_pair(mu1, sigma1, "1")
    m2, s2 = _stats_pair(mu2, sigma2, "2")
    if m1.shape != m2.shape:
        raise ValueError(f"the two Gaussians differ in dimension: {m1.size} vs {m2.size}")
    root1 = _sqrt_psd(s1)
    inner = root1 @ s2 @ root1
    tr_covmean = float(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0.0, None)).sum())
    diff = m1 - m2
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(value, 0.0)  # round-off can dip a hair below 0 for identical Gaussians


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


# ----- precision and recall (Kynkaanniemi et al. 2019) -------------------------------------------------


def _sq_dists(a: torch.Tensor, b: torch.Tensor, b_sq: torch.Tensor) -> torch.Tensor:
    d2 = (a * a).sum(1, keepdim=True) + b_sq[None, :] - 2.0 * (a @ b.T)
    return d2.clamp_min_(0.0)


def _knn_radii_sq(x: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance of every point to its k-th nearest other point of the same set."""
    x_sq = (x * x).sum(1)
    rows = max(1, _CHUNK // len(x))
    out = torch.empty(len(x), dtype=x.dtype)
    for i in range(0, len(x), rows):
        # the k+1-th smallest: the point itself is the first, at distance 0 (topk is much
        # faster than kthvalue here)
        d2 = _sq_dists(x[i : i + rows], x, x_sq)
        out[i : i + rows] = d2.topk(k + 1, dim=1, largest=False).values[:, -1]
    return out


def _share_inside(points: torch.Tensor, centres: torch.Tensor, radii_sq: torch.Tensor) -> float:
    """Share of ``points`` inside at least one ball (centre, radius) of the other set."""
    c_sq = (centres * centres).sum(1)
    # round-off of the expanded square: a point equal to a centre must count as inside
    tol = 1e-9 * float(c_sq.mean()) + 1e-12
    rows = max(1, _CHUNK // len(centres))
    inside = 0
    for i in range(0, len(points), rows):
        d2 = _sq_dists(points[i : i + rows], centres, c_sq)
        inside += int((d2 <= radii_sq[None, :] + tol).any(1).sum())
    return inside / len(points)


def precision_recall(
    real_features: Any, fake_features: Any, *, k: int = DEFAULT_K
) -> dict[str, float]:
    """Improved precision and recall (Kynkaanniemi et al., NeurIPS 2019).

    Each set's manifold is the union of balls around its points with radius the distance to
    the point's k-th nearest neighbour in the same set. Precision is the share of fake points
    inside the real manifold (quality), recall the share of real points inside the fake
    manifold (coverage). Pairwise distances are computed in blocks (float64), so 10k x 10k
    sets need tens of MB, not GB. Use equally sized sets: the radii shrink as n grows."""
    real = torch.from_numpy(_matrix("real_features", real_features))
    fake = torch.from_numpy(_matrix("fake_features", fake_features))
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature dimensions differ: real {real.shape[1]}, fake {fake.shape[1]}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if min(len(real), len(fake)) <= k:
        raise ValueError(
            f"each set needs more than k={k} points; got {len(real)} real, {len(fake)} fake"
        )
    centre = real.mean(0)  # centring cuts the round-off of the expanded squares
    real, fake = real - centre, fake - centre
    return {
        "precision": _share_inside(fake, real, _knn_radii_sq(real, k)),
        "recall": _share_inside(real, fake, _knn_radii_sq(fake, k)),
    }


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
