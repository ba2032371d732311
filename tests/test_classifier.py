"""The independent MNIST / Fashion-MNIST classifiers: shipped weights, input conversion,
deterministic training, the training CLI and strict loading."""

import json
import re

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from gancore.data.images import load_dataset
from gancore.eval import classifier as C
from gancore.eval.classifier import (
    Classifier,
    ClassifierConfig,
    classifier_dir,
    evaluate_accuracy,
    load_classifier,
    num_parameters,
    prepare_images,
    read_classifier,
    train_classifier,
)
from gancore.io.format import CheckpointError

SHIPPED = {"mnist": 0.99, "fashion-mnist": 0.90}  # documented minimum test accuracy
FEW = {"mnist": 0.95, "fashion-mnist": 0.85}  # on the first 200 test images (91.7% can't do 95%)


# ----- the shipped classifiers -----------------------------------------------------------------


@pytest.mark.parametrize("dataset", sorted(SHIPPED))
def test_shipped_classifier_loads_and_matches_its_card(dataset, mnist_root):
    folder = classifier_dir(dataset)
    assert folder.name == f"classifier-{dataset}"
    for name in ("model.safetensors", "config.json", "README.md"):
        assert (folder / name).is_file()
        assert (folder / name).stat().st_size < 1_000_000
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["format"] == "gancore-classifier/1" and cfg["dataset"] == dataset
    assert cfg["test_accuracy"] >= SHIPPED[dataset]
    # trained as `python -m gancore.classifier`, the module's path before issue 18's layers
    assert re.match(
        rf"python -m gancore(\.eval)?\.classifier train --dataset {dataset}\b", cfg["command"]
    )
    assert f"{cfg['test_accuracy']:.2%}" in (folder / "README.md").read_text()

    clf = load_classifier(dataset)
    assert load_classifier(dataset) is clf  # cached per process
    assert not clf.training and not any(p.requires_grad for p in clf.parameters())
    assert 50_000 <= num_parameters(clf) == cfg["num_parameters"] <= 300_000
    assert clf.test_accuracy == cfg["test_accuracy"] and len(clf.class_names) == 10

    test = load_dataset(dataset, root=mnist_root, train=False)
    # a handful of real test images (uint8 and float in [-1, 1] give the same answer)
    few = test.images[:200]
    logits = clf(prepare_images(few))
    assert torch.equal(prepare_images(few), prepare_images(few.float() / 127.5 - 1))
    assert logits.shape == (200, 10) and clf.features(prepare_images(few)).shape == (200, 128)
    assert float((logits.argmax(1) == test.labels[:200]).float().mean()) >= FEW[dataset]
    # and the whole test split reproduces the documented accuracy
    assert evaluate_accuracy(clf, test.images, test.labels) == pytest.approx(
        cfg["test_accuracy"], abs=0.002
    )


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="classifiers exist for"):
        load_classifier("cifar10")
    with pytest.raises(ValueError, match="unknown dataset"):
        load_classifier("svhn")


# ----- the model and its input -------------------------------------------------------------------


def test_shapes_and_parameter_count():
    cfg = ClassifierConfig()
    model = Classifier(cfg)
    assert num_parameters(model) == cfg.num_parameters()
    x = torch.zeros(4, 1, 28, 28)
    assert model.features(x).shape == (4, cfg.feature_dim) and model(x).shape == (4, 10)
    with pytest.raises(ValueError, match=r"\(B, 1, 28, 28\)"):
        model(torch.zeros(4, 3, 28, 28))
    for bad in [dict(channels=(8, 8)), dict(feature_dim=0), dict(dropout=1.0)]:
        with pytest.raises(ValueError):
            ClassifierConfig(**bad)
    assert ClassifierConfig.from_dict(cfg.to_dict()) == cfg


def test_prepare_images_converts_and_refuses():
    u8 = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1).expand(2, 1, 28, 28)
    out = prepare_images(u8)
    assert out.shape == (2, 1, 28, 28) and out.dtype == torch.float32
    assert out[0].max() == -1 and out[1].min() == 1
    rgb64 = np.full((3, 3, 64, 64), 0.5, dtype=np.float32)  # a 64 px RGB GAN's output
    np.testing.assert_allclose(prepare_images(rgb64).numpy(), 0.5, atol=1e-5)
    assert prepare_images(np.zeros((2, 28, 28), np.float32)).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        prepare_images(torch.full((1, 1, 28, 28), 2.0))
    with pytest.raises(ValueError, match="NaN"):
        prepare_images(torch.full((1, 1, 28, 28), float("nan")))
    with pytest.raises(ValueError, match="shape"):
        prepare_images(torch.zeros(1, 2, 28, 28))
    with pytest.raises(ValueError, match="uint8 or floating"):
        prepare_images(torch.zeros(1, 1, 28, 28, dtype=torch.int32))


# ----- training, saving and strict loading ----------------------------------------------------------


def test_training_is_deterministic_per_seed(mnist_root):
    torch.set_num_threads(1)
    kw = dict(root=mnist_root, epochs=1, max_train_images=1024, batch_size=32)
    a, acc_a = train_classifier("mnist", seed=3, **kw)
    b, acc_b = train_classifier("mnist", seed=3, **kw)
    c, _ = train_classifier("mnist", seed=4, **kw)
    assert acc_a == acc_b and acc_a > 0.5  # 32 small steps already learn something
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    with pytest.raises(ValueError, match="epochs"):
        train_classifier("mnist", root=mnist_root, epochs=0)
    with pytest.raises(ValueError, match="augment"):
        train_classifier("mnist", root=mnist_root, augment="flip")


def test_cli_writes_a_folder_that_loads_strictly(mnist_root, tmp_path, monkeypatch, capsys):
    out = tmp_path / "classifier-mnist"
    argv = ["train", "--dataset", "mnist", "--out", str(out), "--data-root", str(mnist_root)]
    argv += ["--epochs", "1", "--max-train-images", "512"]
    assert C.main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
    ]
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary folder was renamed or removed
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["command"] == (
        "python -m gancore.eval.classifier train --dataset mnist --out "
        f"{out} --epochs 1 --max-train-images 512"
    )
    assert cfg["test_accuracy"] == printed["test_accuracy"]
    assert cfg["train"]["augment"] == "affine" and cfg["train"]["max_train_images"] == 512

    monkeypatch.setenv("GANCORE_CHECKPOINTS", str(tmp_path))
    assert classifier_dir("mnist") == out
    clf = load_classifier("mnist")
    assert clf.test_accuracy == cfg["test_accuracy"] and clf.dataset == "mnist"

    # strict: a tensor of the wrong shape, a missing key, a foreign config
    state = load_file(out / "model.safetensors")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps(cfg))
    save_file({**state, "head.1.bias": torch.zeros(11)}, bad / "model.safetensors")
    with pytest.raises(CheckpointError, match=r"head.1.bias has shape \[11\]") as err:
        read_classifier(bad)
    assert err.value.reason == "shape_mismatch"
    save_file({k: v for k, v in state.items() if k != "head.1.bias"}, bad / "model.safetensors")
    with pytest.raises(CheckpointError, match="missing keys"):
        read_classifier(bad)
    (bad / "config.json").write_text(json.dumps({**cfg, "format": "gancore/1"}))
    with pytest.raises(CheckpointError, match="not a gancore classifier"):
        read_classifier(bad)
    with pytest.raises(CheckpointError, match="needs config.json"):
        read_classifier(tmp_path / "nowhere")
    # and the CLI will not replace a folder that is not a classifier
    argv[4] = str(bad)
    assert C.main(argv) == 2
    assert "refusing to replace" in capsys.readouterr().err
