"""Image metrics with known answers: Frechet distance (closed forms), precision/recall on
constructed sets, class metrics on a stub classifier, and real MNIST / Fashion-MNIST through
the shipped classifiers."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from gancore.data.images import load_dataset
from gancore.eval.classifier import load_classifier
from gancore.eval.feature_metrics import feature_statistics, frechet_distance, precision_recall
from gancore.eval.image import (
    class_histogram,
    classifier_frechet_distance,
    evaluate_images,
    label_accuracy,
    mode_coverage_from_counts,
    mode_coverage_images,
    predict_classes,
    real_reference,
)

# ----- Frechet distance ------------------------------------------------------------------------


def test_identical_feature_sets_have_zero_distance():
    x = np.random.default_rng(0).normal(size=(400, 32))
    mu, sigma = feature_statistics(x)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)


def test_feature_statistics_match_numpy():
    x = np.random.default_rng(1).normal(size=(50, 6)) * [1, 2, 3, 4, 5, 6]
    mu, sigma = feature_statistics(torch.from_numpy(x))
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False))
    with pytest.raises(ValueError, match="n >= 2"):
        feature_statistics(x[:1])
    with pytest.raises(ValueError, match="NaN"):
        feature_statistics(np.full((3, 2), np.nan))


def test_diagonal_gaussians_match_the_closed_form():
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    s1, s2 = rng.uniform(0.1, 3, 8), rng.uniform(0.1, 3, 8)
    want = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(want, rel=1e-10)
    # 1D: (m1 - m2)^2 + (std1 - std2)^2
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9 + 1)


def test_rotated_commuting_covariances_match_the_closed_form():
    # same eigenvectors, eigenvalues a and b: sum(a + b - 2 sqrt(ab)) + ||dmu||^2
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    a, b = rng.uniform(0.01, 5, 10), rng.uniform(0.01, 5, 10)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    mu1, mu2 = np.zeros(10), np.full(10, 0.5)
    want = 10 * 0.25 + np.sum(a + b - 2 * np.sqrt(a * b))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(want, rel=1e-9)


def test_frechet_is_symmetric_and_non_negative_on_random_sets():
    rng = np.random.default_rng(4)
    for n1, n2, d in [(300, 200, 16), (20, 30, 64), (5, 5, 40)]:  # the last two: singular
        a = rng.normal(size=(n1, d))
        b = rng.normal(size=(n2, d)) * rng.uniform(0.5, 2) + rng.normal(scale=0.3)
        sa, sb = feature_statistics(a), feature_statistics(b)
        ab, ba = frechet_distance(*sa, *sb), frechet_distance(*sb, *sa)
        assert ab >= 0 and math.isfinite(ab)
        assert ab == pytest.approx(ba, rel=1e-7, abs=1e-9)
    # degenerate: both covariances zero -> only the means count
    z = np.zeros((3, 3))
    assert frechet_distance([0, 0, 0], z, [1, 2, 2], z) == pytest.approx(9.0)


def test_frechet_validates_its_inputs():
    eye = np.eye(3)
    with pytest.raises(ValueError, match="differ in dimension"):
        frechet_distance(np.zeros(3), eye, np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match=r"shape \(d,\)"):
        frechet_distance(np.zeros(4), eye, np.zeros(3), eye)
    with pytest.raises(ValueError, match="not symmetric"):
        frechet_distance(np.zeros(3), np.triu(np.ones((3, 3))), np.zeros(3), eye)
    with pytest.raises(ValueError, match="negative eigenvalue"):
        frechet_distance(np.zeros(3), -eye, np.zeros(3), eye)
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.array([np.nan, 0, 0]), eye, np.zeros(3), eye)


# ----- precision / recall ----------------------------------------------------------------------


def _brute_precision_recall(real, fake, k):
    def radii(x):
        d = np.linalg.norm(x[:, None] - x[None], axis=-1)
        return np.sort(d, axis=1)[:, k]

    def inside(p, c, r):
        d = np.linalg.norm(p[:, None] - c[None], axis=-1)
        return float((d <= r[None]).any(1).mean())

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


def test_precision_recall_identical_sets_are_one_one():
    x = np.random.default_rng(5).normal(size=(500, 16)) * 10 + 100  # far from 0: round-off
    assert precision_recall(x, x.copy(), k=3) == {"precision": 1.0, "recall": 1.0}


def test_precision_recall_fake_in_a_corner_of_real():
    rng = np.random.default_rng(6)
    real = rng.normal(size=(1000, 8))
    fake = real[np.argsort(np.linalg.norm(real - real[0], axis=1))[:200]]  # a real cluster
    pr = precision_recall(real, fake, k=3)
    assert pr["precision"] == 1.0  # every fake point is a real point
    assert pr["recall"] < 0.5  # most of the real set is far from the fakes


def test_precision_recall_disjoint_far_sets_are_zero_zero():
    rng = np.random.default_rng(7)
    real, fake = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) + 100
    assert precision_recall(real, fake) == {"precision": 0.0, "recall": 0.0}


def test_precision_recall_matches_brute_force_and_chunks(monkeypatch):
    import gancore.eval.feature_metrics as fm

    rng = np.random.default_rng(8)
    real, fake = rng.normal(size=(300, 5)), rng.normal(size=(250, 5)) * 1.3 + 0.4
    want = _brute_precision_recall(real, fake, 3)
    got = precision_recall(real, fake, k=3)
    assert (got["precision"], got["recall"]) == pytest.approx(want, abs=1e-12)
    assert 0.2 < got["precision"] < 1 and 0.2 < got["recall"] < 1
    monkeypatch.setattr(fm, "_CHUNK", 1000)  # a few rows per block: same answer
    assert precision_recall(real, fake, k=3) == got


def test_precision_recall_validates():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match="dimensions differ"):
        precision_recall(x, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="more than k=3"):
        precision_recall(x, x[:3])
    with pytest.raises(ValueError, match="k must be"):
        precision_recall(x, x, k=0)


# ----- class metrics on a stub classifier --------------------------------------------------------


class Stub(nn.Module):
    """Class = brightness bucket of the top-left pixel: < -0.5 -> 0, < 0.5 -> 1, else 2."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(num_classes=3)
        self.class_names = ("dark", "grey", "light")
        self.test_accuracy = None
        self.head = nn.Identity()

    def features(self, x):
        v = x[:, 0, 0, 0]
        cls = (v >= -0.5).long() + (v >= 0.5).long()
        return nn.functional.one_hot(cls, 3).float() * 5 + v[:, None]


def _images(values):
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)


def test_class_metrics_on_a_stub_classifier():
    stub = Stub()
    imgs = _images([-0.9] * 5 + [0.0] * 3 + [0.9] * 2)  # classes 0 x5, 1 x3, 2 x2
    assert predict_classes(imgs, stub).tolist() == [0] * 5 + [1] * 3 + [2] * 2
    assert class_histogram(imgs, stub) == {"counts": [5, 3, 2], "shares": [0.5, 0.3, 0.2]}
    assert label_accuracy(imgs, [0] * 5 + [1] * 3 + [0] * 2, stub) == pytest.approx(0.8)
    assert label_accuracy(imgs, torch.zeros(10, dtype=torch.int64), stub) == pytest.approx(0.5)
    cov = mode_coverage_images(imgs, stub, min_share=0.25)
    assert cov == {
        "classes_covered": 2,
        "num_classes": 3,
        "min_class_share": 0.2,
        "min_share": 0.25,
    }
    assert mode_coverage_from_counts([10, 0, 5])["min_class_share"] == 0.0
    with pytest.raises(ValueError, match="shape \\(10,\\)"):
        label_accuracy(imgs, [0, 1], stub)
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        label_accuracy(imgs, [3] * 10, stub)
    with pytest.raises(ValueError, match="integers"):
        label_accuracy(imgs, np.zeros(10), stub)
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        class_histogram(imgs * 3, stub)


def test_evaluate_images_with_a_stub_classifier_is_json_able():
    stub = Stub()
    fake = _images([-0.9] * 6 + [0.0] * 4)
    real = _images(list(np.linspace(-0.9, 0.9, 12)))
    out = evaluate_images(
        fake, dataset="mnist", labels=[0] * 10, real_images=real, classifier=stub, k=2
    )
    json.dumps(out, allow_nan=False)
    assert out["label_accuracy"] == pytest.approx(0.6)
    assert out["class_shares"] == [0.6, 0.4, 0.0]
    assert out["classes_covered"] == 2 and out["min_class_share"] == 0.0
    assert out["n_fake"] == 10 and out["n_real"] == 12 and out["pr_samples"] == 10
    assert out["frechet_distance"] > 0 and 0 <= out["precision"] <= 1
    assert (
        evaluate_images(fake, dataset="mnist", real_images=real, classifier=stub, k=2)[
            "label_accuracy"
        ]
        is None
    )


# ----- real data through the shipped classifiers -------------------------------------------------


def test_real_mnist_half_vs_half_is_close_and_fashion_is_far(mnist_root):
    clf = load_classifier("mnist")
    mnist = load_dataset("mnist", root=mnist_root, train=False).images
    fashion = load_dataset("fashion-mnist", root=mnist_root, train=False).images
    # random halves: t10k's first and last 5000 come from different writers (and differ)
    idx = torch.randperm(10_000, generator=torch.Generator().manual_seed(0))
    a, b = mnist[idx[:5000]], mnist[idx[5000:]]
    same = classifier_frechet_distance(a, b, clf)
    other = classifier_frechet_distance(fashion[:5000], b, clf)
    print(
        f"\nFrechet on MNIST-classifier features: MNIST half vs half {same:.2f}, "
        f"Fashion-MNIST vs MNIST {other:.1f}"
    )
    assert 0 < same < 5.0  # measured 1.9
    assert other > 100 * same and other > 200  # measured 508


def test_evaluate_images_on_real_mnist_train_images(mnist_root):
    train = load_dataset("mnist", root=mnist_root, train=True)
    fake, labels = train.images[:1000], train.labels[:1000]  # uint8: accepted as-is
    out = evaluate_images(fake, dataset="mnist", labels=labels, data_root=mnist_root, n_real=2000)
    json.dumps(out, allow_nan=False)
    assert out["label_accuracy"] > 0.97
    assert out["classes_covered"] == 10 and out["min_class_share"] > 0.05
    assert out["precision"] > 0.7 and out["recall"] > 0.7
    assert out["frechet_distance"] < 15.0  # measured 8.3; finite-sample bias at 1000 vs 2000
    assert out["n_real"] == 2000 and out["pr_samples"] == 1000
    # the real reference is computed once per (dataset, n, root)
    ref = real_reference("mnist", n=2000, root=mnist_root)
    assert real_reference("mnist", n=2000, root=mnist_root) is ref
    # a collapsed generator: one image repeated, converted from float in [-1, 1]
    ones = (train.images[:1].float() / 127.5 - 1).repeat(500, 1, 1, 1)
    bad = evaluate_images(ones, dataset="mnist", data_root=mnist_root, n_real=2000)
    assert bad["classes_covered"] == 1 and bad["min_class_share"] == 0.0
    assert bad["recall"] < 0.01  # precision stays high: that one image is a real digit
    assert bad["frechet_distance"] > 50 * out["frechet_distance"]  # measured 1333


def test_quick_quality_agrees_with_the_full_evaluation(mnist_root):
    from gancore.eval.image import quick_quality

    train = load_dataset("mnist", root=mnist_root, train=True)
    real, labels = train.images[:1000], train.labels[:1000]
    quick = quick_quality(real, dataset="mnist", labels=labels, data_root=mnist_root)
    full = evaluate_images(real, dataset="mnist", labels=labels, data_root=mnist_root, n_real=2000)
    assert quick["frechet_distance"] == pytest.approx(full["frechet_distance"], rel=1e-9)
    assert quick["label_accuracy"] == full["label_accuracy"] > 0.97
    assert quick["min_class_share"] == pytest.approx(full["min_class_share"])
    wrong = quick_quality(real, dataset="mnist", labels=(labels + 1) % 10, data_root=mnist_root)
    assert wrong["label_accuracy"] < 0.03  # shifted labels: almost all wrong
    noise = torch.randint(0, 256, (500, 1, 28, 28), dtype=torch.uint8)
    assert (
        quick_quality(noise, dataset="mnist", data_root=mnist_root)["frechet_distance"]
        > 20 * quick["frechet_distance"]
    )
