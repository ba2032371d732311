"""Stacked MNIST: the dataset (seeded triples of MNIST digits), its mode metrics, presets, eval."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gancore.data.images import (
    STACKED_MNIST_SEED,
    dataset_name,
    load_dataset,
    open_image_source,
    stack_mnist,
)
from gancore.eval import stacked as M
from gancore.presets.image import build_image_run, resolve_image_preset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stacked(mnist_root):
    return load_dataset("stacked-mnist", root=mnist_root)


@pytest.fixture(scope="module")
def mnist(mnist_root):
    return load_dataset("mnist", root=mnist_root)


def test_triples_are_three_seeded_permutations_of_mnist(stacked, mnist):
    assert stacked.images.shape == (60_000, 3, 28, 28) and stacked.images.dtype == torch.uint8
    assert stacked.num_classes == 1000 and stacked.class_names[237] == "237"
    perms = [np.random.default_rng([STACKED_MNIST_SEED, c]).permutation(60_000) for c in range(3)]
    for i in (0, 1, 59_999):
        for c in range(3):
            assert torch.equal(stacked.images[i, c], mnist.images[perms[c][i], 0])
        digits = [int(mnist.labels[perms[c][i]]) for c in range(3)]
        assert int(stacked.labels[i]) == 100 * digits[0] + 10 * digits[1] + digits[2]
    # every MNIST image once per plane: each plane's digit counts are MNIST's own
    mnist_counts = torch.bincount(mnist.labels, minlength=10)
    for plane in (stacked.labels // 100, stacked.labels // 10 % 10, stacked.labels % 10):
        assert torch.equal(torch.bincount(plane, minlength=10), mnist_counts)
    counts = torch.bincount(stacked.labels, minlength=1000)
    assert (counts > 0).all() and counts.sum() == 60_000  # every one of the 1000 modes is there


def test_stacking_is_deterministic_for_a_seed(mnist):
    a, b, c = stack_mnist(mnist, seed=5), stack_mnist(mnist, seed=5), stack_mnist(mnist, seed=6)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.labels, c.labels)
    with pytest.raises(ValueError, match="seed"):
        stack_mnist(mnist, seed=-1)
    with pytest.raises(ValueError, match="one-channel"):
        stack_mnist(a)


def test_name_aliases_and_the_test_split(mnist_root):
    assert dataset_name("Stacked_MNIST") == "stacked-mnist"
    test = load_dataset("stacked-mnist", root=mnist_root, train=False)
    assert test.images.shape == (10_000, 3, 28, 28)
    src = open_image_source("stacked-mnist", image_size=28, channels=3, seed=0, root=mnist_root)
    x, y = src.next_batch(8)
    assert x.shape == (8, 3, 28, 28) and -1 <= float(x.min()) < float(x.max()) <= 1
    assert y.max() < 1000


def test_real_samples_cover_every_mode_with_kl_near_zero(stacked):
    # a perfect "generator": real Stacked MNIST images. PacGAN counts 26,000 samples (what
    # eval and the benchmark use: 1000 modes, KL 0.023 there); 10,000 keep this test fast,
    # where a uniform G would still miss < 1 mode and read KL ~0.05 from sampling noise
    real = stacked.images[:10_000].float() / 127.5 - 1.0
    modes = M.stacked_modes(real)
    m = M.mode_metrics(modes)
    assert m["samples"] == 10_000 and m["num_modes"] == 1000
    assert m["modes_covered"] >= 995
    assert 0.0 < m["kl_to_uniform"] < 0.1  # MNIST's uneven digits + finite-sample noise
    # the classifier reads the planes as the labels say, nearly always
    assert (modes == stacked.labels[:10_000].numpy()).mean() > 0.97
    # deterministic: the same images read the same modes
    assert np.array_equal(M.stacked_modes(real[:500]), modes[:500])


def test_one_repeated_image_is_one_mode_with_kl_log_1000(stacked):
    one = (stacked.images[:1].float() / 127.5 - 1.0).expand(500, -1, -1, -1)
    m = M.stacked_mnist_metrics(one)
    assert m["modes_covered"] == 1 and m["largest_mode_share"] == 1.0
    assert m["kl_to_uniform"] == pytest.approx(math.log(1000), abs=1e-12)
    # uint8 and numpy inputs read the same
    assert M.stacked_mnist_metrics(stacked.images[:1].numpy().repeat(3, 0))["modes_covered"] == 1


def test_histogram_math_on_known_counts():
    assert M.kl_to_uniform(np.full(1000, 7)) == pytest.approx(0.0, abs=1e-12)
    half = np.zeros(1000)
    half[:500] = 1
    assert M.kl_to_uniform(half) == pytest.approx(math.log(2))
    m = M.mode_metrics(np.array([3, 3, 3, 999]))
    assert m["modes_covered"] == 2 and m["largest_mode_share"] == 0.75
    assert M.mode_metrics(np.array([3, 3, 3, 999]), min_count=2)["modes_covered"] == 1
    assert M.expected_modes_covered(26_000) == pytest.approx(1000, abs=1e-6)
    assert M.expected_modes_covered(1000) == pytest.approx(632.3, abs=0.1)
    with pytest.raises(ValueError, match=r"\[0, 1000\)"):
        M.mode_histogram(np.array([0, 1000]))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        M.stacked_mnist_metrics(torch.zeros(4, 1, 28, 28))
    with pytest.raises(ValueError, match="min_count"):
        M.mode_metrics(np.array([1]), min_count=0)


def test_kl_splits_into_the_planes_digits_and_what_they_share():
    rng = np.random.default_rng(0)
    # red always 3, green and blue independent and uniform: red's digit KL is log 10, the rest ~0
    skew = 300 + rng.integers(0, 100, 200_000)
    m = M.mode_metrics(skew)
    assert m["plane_kl"][0] == pytest.approx(math.log(10), abs=1e-12)
    assert m["plane_kl"][1] < 1e-3 and m["plane_kl"][2] < 1e-3 and m["dependence_kl"] < 1e-3
    assert m["kl_to_uniform"] == pytest.approx(sum(m["plane_kl"]) + m["dependence_kl"])
    # three copies of one uniform digit (r = g = b): each plane uniform, 990 modes never drawn,
    # so the whole KL, log 100, is what the planes share
    same = rng.integers(0, 10, 50_000) * 111
    m = M.mode_metrics(same)
    assert max(m["plane_kl"]) < 1e-3
    assert m["dependence_kl"] == pytest.approx(math.log(100), abs=2e-3)
    assert m["modes_covered"] == 10


def test_presets_build_three_channel_models(mnist_root):
    plain = resolve_image_preset("dcgan-stacked-mnist")
    best = resolve_image_preset("stacked-mnist")
    assert plain["data"] == best["data"] == {"name": "stacked-mnist"}
    assert plain["model"]["channels"] == 3 and plain["model"]["image_size"] == 28
    assert plain["train"]["pack"] == 1 and best["train"]["pack"] == 2
    assert plain["train"]["r1_gamma"] == 0.0
    assert (best["train"]["r1_gamma"], best["train"]["reg_every"]) == (1.0, 4)
    trainer, source = build_image_run(best, root=str(mnist_root))
    m = trainer.step()
    assert np.isfinite(m["d_loss"]) and source.sample_shape == (3, 28, 28)
    with pytest.raises(ValueError, match="1000 classes"):
        resolve_image_preset("stacked-mnist", overrides=["model.num_classes=10"])


def test_eval_reports_modes_and_kl_for_a_stacked_checkpoint(mnist_root, tmp_path):
    env = {**os.environ, "GANCORE_DATA": str(mnist_root), "GANCORE_TORCH_THREADS": "1"}

    def gancore(*args):
        return subprocess.run(
            [sys.executable, "-m", "gancore", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )

    out = tmp_path / "run"
    proc = gancore("train", "dcgan-stacked-mnist", "--max-steps", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["num_modes"] == 1000  # the run's own report at its save
    proc = gancore("eval", str(out), "--n", "300")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["mode_samples"] == 300 and report["num_modes"] == 1000
    assert 1 <= report["modes_covered"] <= 300
    assert report["kl_to_uniform"] >= math.log(1000 / 300) - 1e-9  # at most 300 modes filled
