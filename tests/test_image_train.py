"""Image runs end to end: presets, training steps on real MNIST, checkpoints, resume, CLI.

Models are tiny (g_features = d_features = 8, batch 16) so a step takes milliseconds; the
data is the real MNIST / Fashion-MNIST copied to a temporary root by the ``mnist_root``
fixture."""

import json
import math
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.numpy import load_file

from gancore import runs
from gancore.data.image_data import DatasetUnavailableError
from gancore.data.image_source import ImageSource
from gancore.io.hub import load_checkpoint
from gancore.io.training_state import load_training_state
from gancore.models.dcgan import DCGANConfig
from gancore.presets.image import (
    IMAGE_PRESETS,
    apply_image_overrides,
    build_image_run,
    open_preset_data,
    resolve_image_preset,
)
from gancore.train.losses import LOSSES

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "model.g_features=8",
    "model.d_features=8",
    "model.latent_dim=8",
    "model.embed_dim=4",
    "train.batch_size=16",
]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny convolutions are fastest on one thread, and a shared 2-core box collapses on two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny(name: str, *more: str) -> dict:
    return resolve_image_preset(name, overrides=[*TINY, *more])


def finite(metrics: dict) -> bool:
    return all(math.isfinite(v) for v in metrics.values())


# ----------------------------------------------------------------------------- presets


def test_image_presets_are_complete_and_sized_for_their_hardware():
    assert {
        "dcgan-mnist",
        "cgan-mnist",
        "cgan-fashion-mnist",
        "wgan-gp-mnist",
        "dcgan-cifar10",
        "dcgan-64",
    } <= set(IMAGE_PRESETS)
    for name, preset in IMAGE_PRESETS.items():
        again = resolve_image_preset(json.loads(json.dumps(preset)))
        assert again == resolve_image_preset(name) and preset["kind"] == "image"
        cfg = DCGANConfig.from_dict(preset["model"])
        if cfg.image_size == 28:  # CPU presets: well under a million parameters
            assert cfg.num_parameters()["total"] < 1_000_000, name
            assert preset["train"]["batch_size"] <= 128
    wgan = IMAGE_PRESETS["wgan-gp-mnist"]
    assert wgan["model"]["d_norm"] == "layer" and wgan["train"]["loss"] == "wgan_gp"
    assert (wgan["train"]["gp_lambda"], wgan["train"]["d_steps"]) == (10.0, 5)
    assert wgan["train"]["betas_d"] == [0.0, 0.9]
    big = DCGANConfig.from_dict(IMAGE_PRESETS["dcgan-64"]["model"])
    # the seeds' generator: 4x4x1024 first map (ngf * 8 with ngf = 128), 64x64x3 out
    assert (big.image_size, big.channels, big.g_features * 2 ** (big.num_upsamplings - 1)) == (
        64,
        3,
        1024,
    )
    assert IMAGE_PRESETS["cgan-fashion-mnist"]["data"]["name"] == "fashion-mnist"


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["model.g_features=4"], "g_features"),
        (["train.nope=1"], "nope"),
        (["data.colour=1"], "colour"),
        (["model.num_classes=7"], "num_classes is 7"),
        (["data.name=svhn"], "svhn"),
        (["data.name=folder"], "data.path"),
        (["data.path=/tmp"], "folder only"),
        (["model.image_size=30"], "image_size"),
        (["train.lr_g=abc"], "lr_g"),
    ],
)
def test_bad_overrides_name_the_bad_value(overrides, needle):
    with pytest.raises(ValueError, match=needle):
        apply_image_overrides(IMAGE_PRESETS["cgan-mnist"], overrides)


# ----------------------------------------------------------------------------- data


def test_datasets_open_from_the_offline_root(mnist_root):
    mnist = open_preset_data(tiny("cgan-mnist"), root=mnist_root)
    x, y = mnist.next_batch(64)
    assert x.shape == (64, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1 and x.min() == -1
    assert y.dtype == torch.int64 and y.min() >= 0 and y.max() <= 9
    fashion = open_preset_data(tiny("cgan-fashion-mnist"), root=mnist_root)
    assert fashion.class_names[0] == "T-shirt/top" and len(fashion) == 60000
    # any dataset fits any model: MNIST as 32 px RGB for the CIFAR-shaped preset
    rgb = open_preset_data(tiny("dcgan-cifar10", "data.name=mnist"), root=mnist_root)
    x, _ = rgb.next_batch(4)
    assert x.shape == (4, 3, 32, 32) and torch.equal(x[:, 0], x[:, 2])


def test_missing_dataset_offline_names_the_data_root(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DatasetUnavailableError) as err:
        runs.start(tiny("dcgan-mnist"), tmp_path / "out", data_root=tmp_path / "empty")
    assert str(tmp_path / "empty" / "MNIST" / "raw") in str(err.value)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- training


@pytest.mark.parametrize("loss", list(LOSSES))
def test_one_finite_step_per_loss(mnist_root, loss):
    extra = ["model.d_norm=layer"] if loss.startswith("wgan") else []
    trainer, _ = build_image_run(tiny("dcgan-mnist", f"train.loss={loss}", *extra), root=mnist_root)
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    m = trainer.step()
    assert finite(m) and m["grad_norm_d"] > 0 and m["grad_norm_g"] > 0
    assert all(
        not torch.equal(a, b) for a, b in zip(before, trainer.generator.parameters(), strict=True)
    )
    if LOSSES[loss].probabilities:
        assert 0 < m["d_fake"] < 1 and 0 < m["d_real"] < 1


@pytest.mark.parametrize("loss", ["non_saturating", "hinge", "wgan_gp"])
@pytest.mark.parametrize("conditional", [False, True])
def test_a_mixed_precision_step_runs_in_bfloat16(mnist_root, loss, conditional):
    # The CUDA path's bfloat16 autocast, exercised on the CPU (autocast has a CPU bf16
    # backend): the forward passes run in bf16, the losses, the gradient penalty, the
    # optimizer state and the reported numbers stay float32.
    extra = ["model.d_norm=layer"] if loss.startswith("wgan") else []
    name = "cgan-mnist" if conditional else "dcgan-mnist"
    trainer, _ = build_image_run(tiny(name, f"train.loss={loss}", *extra), root=mnist_root)
    seen = []
    trainer.discriminator.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    trainer._autocast = lambda: torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    hist = trainer.run(steps=2)
    assert torch.bfloat16 in seen  # the autocast did apply
    assert all(finite(m) for m in hist) and hist[-1]["grad_norm_g"] > 0
    assert all(p.dtype == torch.float32 for p in trainer.generator.parameters())
    state = [v for s in trainer.opt_d.state.values() for v in s.values() if v.dim() > 0]
    assert state and all(v.dtype == torch.float32 for v in state)


@pytest.mark.parametrize("channels", [1, 3])
def test_gradient_penalty_through_the_trainer(mnist_root, channels):
    preset = tiny("wgan-gp-mnist", f"model.channels={channels}", "train.d_steps=1")
    trainer, _ = build_image_run(preset, root=mnist_root)
    for _ in range(2):
        m = trainer.step()
        # d_loss = E[f(G(z))] - E[f(x)] + lambda * GP, and the metrics carry both means
        gp = (m["d_loss"] - (m["d_fake"] - m["d_real"])) / 10.0
        assert finite(m) and gp > 1e-3, m
        assert m["wasserstein"] == pytest.approx(m["d_real"] - m["d_fake"])


def test_conditional_training_sees_real_labels_and_g_follows_them(mnist_root):
    trainer, source = build_image_run(tiny("cgan-mnist"), root=mnist_root)
    seen = []
    trainer.discriminator.register_forward_pre_hook(lambda mod, args: seen.append(args[1]))
    trainer.run(steps=3)
    assert len(seen) == 9  # per step: real and fake batch for D, fake batch for G
    assert all(y is not None and y.shape == (16,) and y.min() >= 0 and y.max() < 10 for y in seen)
    # the real labels are the dataset's own, in the source's seeded order
    fresh = ImageSource(source.data, image_size=28, channels=1, seed=0)
    for step in range(3):
        assert torch.equal(seen[3 * step], fresh.next_batch(16)[1])
    G = trainer.generator.eval()
    z = G.sample_latent(4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = G(z, torch.zeros(4, dtype=torch.long)), G(z, torch.ones(4, dtype=torch.long))
    # the label moves the output by a sizeable share of its own scale (tiny G: outputs ~1e-3)
    assert (a - b).abs().mean() > 0.1 * a.abs().mean() > 0


def test_unconditional_model_on_labelled_data_ignores_labels(mnist_root):
    trainer, source = build_image_run(tiny("dcgan-mnist"), root=mnist_root)
    assert source.num_classes == 10 and trainer.num_classes == 0
    assert finite(trainer.step())


# ----------------------------------------------------------------------------- runs


def test_checkpoint_round_trip_gives_identical_samples(mnist_root, tmp_path):
    run = runs.start(
        tiny("cgan-mnist"), tmp_path / "run", data_root=mnist_root, command="python -m x"
    )
    runs.train(run, max_steps=3)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["kind"] == "image" and config["data"]["name"] == "mnist"
    assert config["data"]["class_names"][3] == "3 - three"
    m = config["metrics"]
    assert m["step"] == 3 and m["images_seen"] == 3 * 16 and m["images_per_second"] > 0
    assert all(k in m for k in ("d_loss", "g_loss", "pixel_mean_fake", "pixel_std_real"))
    assert m["pixel_mean_real"] == pytest.approx(0.1307 * 2 - 1, abs=0.05)  # MNIST's mean
    grid = Image.open(tmp_path / "run" / "sample.png")
    assert grid.size == (8 * 30 + 2, 10 * 30 + 2)  # one row of 8 per class, 28 px + 2 px pad
    assert "sample.png" in (tmp_path / "run" / "README.md").read_text()

    loaded = load_checkpoint(tmp_path / "run")
    assert loaded.class_names[9] == "9 - nine"
    labels = np.arange(12) % 10
    got = loaded.sample(12, seed=5, labels=labels)
    G = run.trainer.generator.eval()
    with torch.no_grad():
        z = G.sample_latent(12, generator=torch.Generator().manual_seed(5), device="cpu")
        want = G(z, torch.from_numpy(labels)).numpy()
    np.testing.assert_array_equal(got, want)
    assert got.shape == (12, 1, 28, 28) and np.abs(got).max() <= 1


@pytest.mark.parametrize("name", ["cgan-mnist", "wgan-gp-mnist"])
def test_resume_continues_bit_exactly(mnist_root, tmp_path, name):
    preset = tiny(name, "train.d_steps=2")
    straight = runs.start(preset, tmp_path / "a", data_root=mnist_root)
    runs.train(straight, max_steps=6)
    half = runs.start(preset, tmp_path / "b", data_root=mnist_root)
    runs.train(half, max_steps=3)
    again = runs.resume(tmp_path / "b", data_root=mnist_root)
    assert again.trainer.step_count == 3 and again.kind == "image"
    runs.train(again, max_steps=6)
    a = load_file(tmp_path / "a" / "training_state.safetensors")
    b = load_file(tmp_path / "b" / "training_state.safetensors")
    assert a.keys() == b.keys() and len(a) > 10
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    sa, sb = load_training_state(tmp_path / "a"), load_training_state(tmp_path / "b")
    assert sa["data"] == sb["data"] == {"seed": 0, "position": 6 * 2 * 16, "num_examples": 60000}


# ----------------------------------------------------------------------------- CLI


def gancore(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gancore", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "GANCORE_TORCH_THREADS": "1", **(env or {})},
    )


def test_cli_trains_resumes_and_samples_an_image_run(mnist_root, tmp_path):
    out = tmp_path / "cgan"
    sets = [a for s in TINY for a in ("--set", s)]
    proc = gancore(
        "train", "cgan-mnist", "--out", str(out), "--max-steps", "3", "--data-root",
        str(mnist_root), *sets,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["images_per_second"] > 0
    proc = gancore(
        "train", "--resume", str(out), "--max-steps", "5", "--data-root", str(mnist_root)
    )
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stderr and json.loads(proc.stdout)["step"] == 5

    npz = tmp_path / "s.npz"
    proc = gancore("sample", str(out), "-n", "25", "--out", str(npz), "--labels", "all")
    assert proc.returncode == 0, proc.stderr
    with np.load(npz) as d:
        assert d["samples"].shape == (25, 1, 28, 28) and d["samples"].dtype == np.float32
        assert np.abs(d["samples"]).max() <= 1
        assert d["labels"].dtype == np.int64 and d["labels"].tolist() == [i % 10 for i in range(25)]


def test_cli_missing_dataset_is_one_clear_paragraph(monkeypatch, tmp_path, capsys):
    from gancore import cli

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path))  # restored after: the CLI sets it
    argv = ["train", "dcgan-mnist", "--max-steps", "1", "--out", str(tmp_path / "o")]
    assert cli.main([*argv, "--data-root", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gancore train: MNIST (train) is not available") and err.count("\n") == 1
    assert str(tmp_path / "nothing" / "MNIST" / "raw") in err and "Traceback" not in err


def test_cli_eval_and_single_label_sample_in_process(mnist_root, tmp_path, capsys):
    from gancore import cli

    run = runs.start(tiny("cgan-mnist"), tmp_path / "run", data_root=mnist_root)
    runs.train(run, max_steps=2)
    capsys.readouterr()
    assert (
        cli.main(["eval", str(tmp_path / "run"), "--n", "40", "--data-root", str(mnist_root)]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 40 and report["training_metrics"]["step"] == 2
    assert report["pixel_mean_real"] == pytest.approx(0.1307 * 2 - 1, abs=0.05)
    assert -1 <= report["pixel_mean_fake"] <= 1 and report["pixel_std_fake"] > 0
    # quality on the shipped MNIST classifier's features: an untrained G is far from the data
    assert report["frechet_distance"] > 50 and 0 <= report["label_accuracy"] <= 1
    assert report["num_classes"] == 10 and 0 <= report["recall"] <= 1
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["metrics"]
    assert saved["frechet_distance"] > 50 and "label_accuracy" in saved
    npz = tmp_path / "three.npz"
    assert (
        cli.main(["sample", str(tmp_path / "run"), "-n", "9", "--label", "3", "--out", str(npz)])
        == 0
    )
    with np.load(npz) as d:
        assert d["labels"].tolist() == [3] * 9 and d["samples"].shape == (9, 1, 28, 28)
    grid = tmp_path / "all.png"
    assert (
        cli.main(
            ["sample", str(tmp_path / "run"), "-n", "25", "--out", str(grid), "--labels", "all"]
        )
        == 0
    )
    assert Image.open(grid).size == (3 * 30 + 2, 10 * 30 + 2)  # a row per class, 3 wide
    png = tmp_path / "three.png"
    assert (
        cli.main(["sample", str(tmp_path / "run"), "-n", "9", "--label", "3", "--out", str(png)])
        == 0
    )
    assert Image.open(png).size == (3 * 30 + 2, 3 * 30 + 2)  # a square grid for one label
