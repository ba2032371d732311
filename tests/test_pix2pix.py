"""pix2pix: tasks, U-Net and PatchGAN shapes, the trainer's round, checkpoints, translate CLI."""

from __future__ import annotations

import copy
import io
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gancore import cli, tasks
from gancore.data.images import ImageData, ImageSource
from gancore.data.paired import extract_pairs_zip, open_pair_source
from gancore.io.checkpoint import save_checkpoint
from gancore.io.hub import load_checkpoint
from gancore.models.patchgan import PatchGAN
from gancore.models.pix2pix import Pix2PixConfig
from gancore.models.unet import UNetGenerator
from gancore.presets.pix2pix import PIX2PIX_PRESETS, resolve_pix2pix_preset
from gancore.train.losses import LOSSES
from gancore.train.pix2pix import Pix2PixTrainer, TaskSource, psnr, translate
from gancore.train.trainer import TrainConfig
from tests.conftest import ROOT


def _blobs(n: int, size: int = 28, channels: int = 1, seed: int = 0) -> torch.Tensor:
    """uint8 (n, C, size, size): a bright rectangle per image, MNIST-like (ink on black)."""
    g = np.random.default_rng(seed)
    x = np.zeros((n, channels, size, size), np.uint8)
    for i in range(n):
        a, b = sorted(g.integers(2, size - 2, 2))
        c, d = sorted(g.integers(2, size - 2, 2))
        x[i, :, a : b + 2, c : d + 2] = 255
    return torch.from_numpy(x)


def _trainer(
    loss="non_saturating",
    *,
    adversarial=True,
    size=28,
    channels=1,
    task="edges",
    dropout=0.5,
    **train,
):
    model = Pix2PixConfig(
        image_size=size,
        channels=channels,
        task=task,
        g_features=8,
        d_features=8,
        dropout=dropout,
        adversarial=adversarial,
    )
    cfg = {"loss": loss, "batch_size": 4, "seed": 3, **train}
    if loss in ("wgan", "wgan_gp"):
        cfg.update(betas_g=(0.0, 0.9), betas_d=(0.0, 0.9))
    data = ImageData("blobs", _blobs(16, size, channels), None)
    source = TaskSource(ImageSource(data, image_size=size, channels=channels, seed=0), task)
    torch.manual_seed(0)
    return Pix2PixTrainer(
        UNetGenerator(model), PatchGAN(model), source, TrainConfig(**cfg), model
    ), model


# ----- tasks --------------------------------------------------------------------------------


def test_tasks_are_deterministic_and_keep_the_type():
    x = _blobs(5).float() / 127.5 - 1
    for task in tasks.MADE_TASKS:
        a, b = tasks.make_input(task, x), tasks.make_input(task, x.clone())
        assert torch.equal(a, b) and a.dtype == torch.float32 and a.shape == x.shape
        arr = tasks.make_input(task, x.numpy())
        assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
        np.testing.assert_array_equal(arr, a.numpy())
        assert a.min() >= -1 and a.max() <= 1


def test_task_values():
    flat = -torch.ones(1, 1, 28, 28)
    assert torch.equal(tasks.make_input("edges", flat), flat)  # no edges in a blank image
    step = flat.clone()
    step[..., 14:] = 1.0
    e = tasks.make_input("edges", step)
    assert (e[0, 0, :, 13:15] == 1).all() and (e[0, 0, :, :12] == -1).all()
    hidden = tasks.make_input("inpaint", step)
    assert (hidden[0, 0, 7:21, 7:21] == 0).all() and torch.equal(hidden[..., :7], step[..., :7])
    assert tasks.hidden_mask(28).sum() == 14 * 14
    up = tasks.make_input("superres4", step)  # a step on a block edge survives 4x4 averaging
    assert torch.allclose(up[..., :10], flat[..., :10]) and torch.allclose(
        up[..., 18:], step[..., 18:]
    )
    rgb = tasks.make_input("edges", step.expand(1, 3, 28, 28))
    assert torch.equal(rgb[:, 0], rgb[:, 2])


@pytest.mark.parametrize(
    ("task", "images", "words"),
    [
        ("blur", np.zeros((1, 1, 28, 28), np.float32), "task must be one of"),
        ("paired", np.zeros((1, 1, 28, 28), np.float32), "folder of pairs"),
        ("edges", np.zeros((1, 28, 28), np.float32), "(N, C, H, W)"),
        ("edges", np.zeros((1, 2, 28, 28), np.float32), "C 1 or 3"),
        ("edges", np.full((1, 1, 28, 28), 3.0, np.float32), "[-1, 1]"),
        ("edges", np.zeros((1, 1, 28, 28), np.uint8), "float32"),
        ("edges", [[0.0]], "tensor or a NumPy array"),
        ("superres4", np.zeros((1, 1, 30, 30), np.float32), "divisible by 4"),
    ],
)
def test_make_input_refuses_bad_input(task, images, words):
    with pytest.raises(ValueError, match=None) as err:
        tasks.make_input(task, images)
    assert words in str(err.value)


# ----- models ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_for_every_size_and_channels(size, channels):
    cfg = Pix2PixConfig(image_size=size, channels=channels, g_features=8, d_features=8)
    G, D = UNetGenerator(cfg), PatchGAN(cfg)
    x = torch.rand(2, channels, size, size) * 2 - 1
    y = G(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    patches = {28: 7, 32: 8, 64: 8}[size]
    assert D.judge(x, y).shape == (2, 1, patches, patches) == (2, 1, D.patches, D.patches)
    counts = cfg.num_parameters()
    assert counts["generator"] == sum(p.numel() for p in G.parameters())
    assert counts["discriminator"] == sum(p.numel() for p in D.parameters())
    with pytest.raises(ValueError, match="translates"):
        G(torch.zeros(1, channels, size + 4, size + 4))


def test_config_refuses_bad_values():
    for bad in (
        {"image_size": 48},
        {"channels": 2},
        {"task": "colorize"},
        {"dropout": 1.5},
        {"adversarial": "yes"},
        {"adversarial": False, "l1_lambda": 0.0},
    ):
        with pytest.raises(ValueError):
            Pix2PixConfig(**bad)


# ----- the trainer --------------------------------------------------------------------------


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_one_finite_step_per_loss(loss):
    t, _ = _trainer(loss)
    before = [p.detach().clone() for p in t.discriminator.parameters()]
    m = t.step()
    assert all(np.isfinite(v) for v in m.values())
    assert m["l1"] > 0 and m["g_loss"] == pytest.approx(m["g_gan"] + 100 * m["l1"], rel=1e-5)
    assert t.history[-1]["l1"] == m["l1"]
    assert any(
        not torch.equal(a, b) for a, b in zip(before, t.discriminator.parameters(), strict=True)
    )


@pytest.mark.parametrize(("d_steps", "g_steps"), [(1, 1), (2, 1), (1, 3)])
def test_g_runs_forward_once_for_d_and_g_on_the_shared_batch(d_steps, g_steps):
    t, _ = _trainer(d_steps=d_steps, g_steps=g_steps)
    calls = []
    t.generator.register_forward_hook(lambda *a: calls.append(1))
    t.step()
    assert len(calls) == d_steps + g_steps - 1


def test_the_shared_forward_is_the_two_forward_round():
    """D's last update and G's first share G(x); without dropout that is exactly the round of
    two forwards (D on G(x) without a graph, then G(x) again for G's update after D's)."""
    t, _ = _trainer(dropout=0.0)
    ref, _ = _trainer(dropout=0.0)
    ref.load_state_dict(copy.deepcopy(t.state_dict()))
    t.step()
    G, D, spec = ref.generator, ref.discriminator, ref.spec
    x, y = ref.data.next_batch(4)
    with torch.no_grad():
        fake = G(x)
    d_loss = spec.d_loss(D(torch.cat([x, y], 1)), D(torch.cat([x, fake], 1)))
    ref.opt_d.zero_grad()
    d_loss.backward()
    ref.opt_d.step()
    fake = G(x)
    g_loss = spec.g_loss(D(torch.cat([x, fake], 1))) + 100 * (fake - y).abs().mean()
    ref.opt_g.zero_grad()
    g_loss.backward()
    ref.opt_g.step()
    for a, b in zip(t.generator.parameters(), G.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    for a, b in zip(t.discriminator.parameters(), D.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    fresh = _trainer(dropout=0.0)[0].generator.parameters()
    assert any(not torch.equal(a, b) for a, b in zip(G.parameters(), fresh, strict=True))


def test_l1_only_baseline_never_touches_d():
    t, _ = _trainer(adversarial=False)
    before = [p.detach().clone() for p in t.discriminator.parameters()]
    for _ in range(3):
        m = t.step()
    assert m["d_loss"] == 0 and m["g_gan"] == 0
    assert m["g_loss"] == pytest.approx(100 * m["l1"], rel=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(before, t.discriminator.parameters(), strict=True))


def test_training_lowers_l1_and_resumes_bit_exactly():
    t, _ = _trainer(adversarial=False)
    first = t.step()["l1"]
    for _ in range(15):
        last = t.step()["l1"]
    assert last < first
    t2, _ = _trainer()
    t2.step()
    state = {k: v for k, v in t2.state_dict().items()}
    import copy

    state = copy.deepcopy(state)
    a = t2.step()
    t3, _ = _trainer()
    t3.load_state_dict(state)
    b = t3.step()
    assert a == b


def test_lambda_is_edited_live_and_kept_by_the_state():
    t, model = _trainer()
    m = t.step()
    assert m["g_loss"] == pytest.approx(m["g_gan"] + 100.0 * m["l1"], rel=1e-5)
    t.update_config(l1_lambda=7.5, lr_g=1e-3)
    assert t.model_config.l1_lambda == 7.5 and t.config.lr_g == 1e-3
    assert model.l1_lambda == 100.0  # the run's own copy changed, not the config it was given
    m = t.step()
    assert m["g_loss"] == pytest.approx(m["g_gan"] + 7.5 * m["l1"], rel=1e-5)
    with pytest.raises(ValueError, match=r"l1_lambda must be a number in \[0, 10000.0\]"):
        t.update_config(l1_lambda=-1.0, lr_g=5e-4)
    assert t.model_config.l1_lambda == 7.5 and t.config.lr_g == 1e-3  # nothing applied
    t2, _ = _trainer()
    t2.load_state_dict(copy.deepcopy(t.state_dict()))
    assert t2.model_config.l1_lambda == 7.5 and t2.step() == t.step()


def test_patch_map_and_sample():
    t, _ = _trainer()
    x, y = t.data.take([0, 1])
    scores = t.patch_map(x, t.translate(x))
    assert scores.shape == (2, 7, 7) and (scores >= 0).all() and (scores <= 1).all()
    with pytest.raises(ValueError, match="translate"):
        t.sample(2)


def test_unsupported_stabilizer_is_named():
    with pytest.raises(ValueError, match="diffaugment"):
        _trainer(diffaugment="translation")


# ----- checkpoints -----------------------------------------------------------------------------


def _save(t, model, out):
    config = {
        "kind": "pix2pix",
        "model": model.to_dict(),
        "train": t.config.to_dict(),
        "data": {"name": "mnist"},
        "command": "test",
    }
    return save_checkpoint(out, generator=t.generator, discriminator=t.discriminator, config=config)


def test_save_load_gives_identical_translation(tmp_path):
    t, model = _trainer()
    for _ in range(2):
        t.step()
    folder = _save(t, model, tmp_path / "ck")
    loaded = load_checkpoint(folder)
    assert loaded.kind == "pix2pix"
    x = tasks.make_input("edges", (_blobs(6, seed=9).float() / 127.5 - 1).numpy())
    out = translate(loaded.generator, x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, t.translate(torch.from_numpy(x)).numpy())
    # alone as in a batch (per-sample GroupNorm; only float summation order differs)
    np.testing.assert_allclose(out[:1], translate(loaded.generator, x[:1]), atol=1e-6)
    assert "pix2pix (edges)" in (folder / "README.md").read_text()
    with pytest.raises(ValueError, match="translates inputs"):
        loaded.sample(2)
    assert psnr(out, out) == float("inf") and 0 < psnr(out, -out) < 60


# ----- translate CLI ---------------------------------------------------------------------------


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "gancore", *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )


def test_translate_cli(tmp_path, capsys):
    t, model = _trainer()
    folder = _save(t, model, tmp_path / "ck")
    x = tasks.make_input("edges", (_blobs(3).float() / 127.5 - 1).numpy())
    np.savez(tmp_path / "in.npz", inputs=x)
    r = _cli("translate", folder, "--input", tmp_path / "in.npz", "--out", tmp_path / "out.npz")
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "out.npz")["samples"]  # threads change only float summation order
    np.testing.assert_allclose(out, translate(t.generator, x), atol=1e-6)
    Image.fromarray(((x[0, 0] + 1) * 127.5).astype(np.uint8)).save(tmp_path / "one.png")
    r = _cli("translate", folder, "--input", tmp_path / "one.png", "--out", tmp_path / "o.png")
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "o.png").size[0] > 28

    Image.new("L", (32, 32)).save(tmp_path / "big.png")
    Image.new("RGB", (28, 28)).save(tmp_path / "rgb.png")
    (tmp_path / "text.png").write_text("not an image")
    np.savez(tmp_path / "three.npz", inputs=np.zeros((2, 3, 28, 28), np.float32))
    np.savez(tmp_path / "nokey.npz", x=np.zeros((2, 1, 28, 28), np.float32))
    (tmp_path / "in.txt").write_text("1 2 3")
    cases = {
        "big.png": "28x28",
        "rgb.png": "grey",
        "text.png": "not a readable image",
        "three.npz": "(N, 1, 28, 28)",
        "nokey.npz": "no array 'inputs'",
        "in.txt": "must be an .npz",
    }
    for name, words in cases.items():  # in process: the same main() the command runs
        args = ["translate", str(folder), "--input", str(tmp_path / name), "--out", "x.npz"]
        assert cli.main(args) == 2, name
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and err.startswith("gancore translate: ")
    assert cli.main(["sample", str(folder), "-n", "2", "--out", str(tmp_path / "s.npz")]) == 1
    assert "translate" in capsys.readouterr().err


# ----- data and presets -----------------------------------------------------------------------


def _pair_folder(root, names_a, names_b):
    for sub, names in (("A", names_a), ("B", names_b)):
        (root / sub).mkdir(parents=True)
        for i, n in enumerate(names):
            Image.new("L", (40, 40), color=30 * i + (0 if sub == "A" else 100)).save(root / sub / n)


def test_pair_folder_and_zip(tmp_path):
    _pair_folder(tmp_path / "set", ["a.png", "b.png", "c.png"], ["a.jpg", "b.png", "c.png"])
    src = open_pair_source(tmp_path / "set", image_size=28, channels=1, seed=0)
    x, y = src.next_batch(3)
    assert x.shape == y.shape == (3, 1, 28, 28)
    assert torch.allclose(y - x, torch.full_like(x, 100 / 127.5), atol=0.02)  # pairs stay pairs
    _pair_folder(tmp_path / "bad", ["a.png", "b.png"], ["a.png", "z.png"])
    with pytest.raises(ValueError, match="only in A/"):
        open_pair_source(tmp_path / "bad", image_size=28, channels=1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in (tmp_path / "set").rglob("*.*"):
            zf.write(p, f"wrapper/{p.relative_to(tmp_path / 'set')}")
    root = extract_pairs_zip(buf.getvalue(), tmp_path / "up")
    assert (root / "A").is_dir() and len(open_pair_source(root, image_size=28, channels=1)) == 3


def test_presets_resolve_and_refuse():
    for name in PIX2PIX_PRESETS:
        p = resolve_pix2pix_preset(name)
        assert p["kind"] == "pix2pix" and p["model"]["l1_lambda"] == 100.0
    base = resolve_pix2pix_preset("pix2pix-edges-mnist", overrides=["model.adversarial=false"])
    assert base["model"]["adversarial"] is False
    with pytest.raises(ValueError, match="data.name=pairs goes with model.task=paired"):
        resolve_pix2pix_preset("pix2pix-edges-mnist", overrides=["data.name=pairs"])
    with pytest.raises(ValueError, match="not supported by pix2pix"):
        resolve_pix2pix_preset("pix2pix-edges-mnist", overrides=["train.pack=2"])


def test_cli_trains_a_preset(tmp_path, mnist_root):
    out = tmp_path / "run"
    r = _cli(
        "train", "pix2pix-superres-mnist", "--max-steps", "2", "--out", out,
        "--data-root", mnist_root, "--set", "model.g_features=8", "--set", "model.d_features=8",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    loaded = load_checkpoint(out)
    m = loaded.config["metrics"]
    assert loaded.config["model"]["task"] == "superres4" and m["step"] == 2
    assert {"test_l1", "test_psnr", "frechet_distance", "label_accuracy"} <= set(m)
    assert (out / "sample.png").is_file() and (out / "training_state.json").is_file()


# ----- shipped translators ----------------------------------------------------------------------

SHIPPED_P2P = ["pix2pix-edges-mnist", "pix2pix-superres-mnist", "pix2pix-inpaint-fashion"]


def test_shipped_translators_are_listed_apart():
    from gancore.io.sources import list_shipped_checkpoints

    found = list_shipped_checkpoints(kinds=("pix2pix",))
    assert set(SHIPPED_P2P) <= set(found)
    assert not set(found) & set(list_shipped_checkpoints())  # the sampling ones


@pytest.mark.parametrize("name", SHIPPED_P2P)
def test_shipped_translator_is_as_good_as_its_card(name, mnist_root, monkeypatch):
    """Measured afresh on 500 test images through the shipped classifier of their data, not
    read from the card; the card's own numbers are those of 2,000."""
    from gancore.data.images import open_image_source
    from gancore.eval.classifier import load_classifier
    from gancore.eval.image import label_accuracy

    monkeypatch.delenv("GANCORE_CHECKPOINTS", raising=False)
    folder = ROOT / "checkpoints" / name
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "config.json", "model.safetensors", "sample.png",
    ]  # fmt: skip
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 2_000_000
    loaded = load_checkpoint(name)
    card = (folder / "README.md").read_text()
    metrics = loaded.config["metrics"]
    assert loaded.config["command"] in card
    for key in ("label_accuracy", "frechet_distance", "test_psnr", "step"):
        assert f"| {key} |" in card and key in metrics
    data = loaded.config["data"]["name"]
    src = open_image_source(data, image_size=28, channels=1, root=mnist_root, train=False)
    y, labels = src.take(list(range(500)))
    task = loaded.config["model"]["task"]
    x = tasks.make_input(task, y)
    out = translate(loaded.generator, x)
    classifier = load_classifier(data)
    acc = label_accuracy(out.numpy(), labels.numpy(), classifier)
    # the cards: 97.8% (edges), 94.0% (superres), 87.8% (inpaint, Fashion-MNIST) on 2,000
    assert acc >= metrics["label_accuracy"] - 0.04, (acc, metrics["label_accuracy"])
    assert acc >= label_accuracy(x.numpy(), labels.numpy(), classifier) + 0.2  # than its input
    # beats its input; inpainting leaves three quarters of the picture as they were
    gain = 2.0 if task == "inpaint" else 3.0
    assert psnr(out.numpy(), y.numpy()) > psnr(x.numpy(), y.numpy()) + gain
