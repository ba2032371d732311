"""AppTest of the Image to image page on the offline MNIST root, driven through its buttons."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages/image_to_image.py")


@pytest.fixture
def at(mnist_root, monkeypatch) -> AppTest:
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "2")
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _examples(at: AppTest) -> str:
    (img,) = [i for i in at.get("image") if "Rows: input" in i.captions[0]]
    return img.value[0]


def test_steps_train_both_models_and_redraw(at):
    lab = at.session_state["p2plab"]
    assert lab.step_count == 0 and lab.preset["model"]["task"] == "edges"
    before, picture = lab.handle.describe(), _examples(at)
    at.button(key="p2plab_step10").click().run()
    assert not at.exception, [e.value for e in at.exception]
    facts = at.session_state["p2plab"].handle.describe()
    assert facts["step"] == 10 and facts["baseline_step"] == 10  # a step button: same rounds
    assert _examples(at) != picture
    assert facts["example_l1_gan"] < before["example_l1_gan"]
    assert facts["example_l1_baseline"] < before["example_l1_baseline"]
    labels = [m.label for m in at.metric]
    assert "L1 (pix2pix, batch)" in labels and "L1 (L1-only twin, batch)" in labels
    patch = [c for c in at.get("plotly_chart") if "D: real?" in c.proto.spec]
    assert patch, "D's patch map is drawn"
    assert any("step 10 of" in p.proto.text for p in at.get("progress"))


def _pads(at: AppTest) -> list[dict]:
    """The arguments the page gave its drawing pads (a custom component: AppTest only holds
    what the page sent it)."""
    return [
        json.loads(e.proto.json_args)
        for e in at.get("component_instance")
        if "draw_canvas" in e.proto.component_name
    ]


def test_drawing_is_translated_by_both_models(at):
    at.button(key="p2plab_from_example").click().run()
    assert not at.exception, [e.value for e in at.exception]
    lab = at.session_state["p2plab"]
    painted = at.session_state["p2plab_painted"]
    assert 20 < len(painted) < 28 * 28
    first = lab.extra["drawn_gan"].copy()
    assert first.shape == (1, 28, 28)
    (pad,) = _pads(at)  # the pad shows the example and the translations of both models
    assert pad["bits"].count("1") == len(painted) and pad["caption"].startswith(
        f"{len(painted)} pixels painted"
    )
    assert [o["label"] for o in pad["outputs"]] == ["model input", "pix2pix", "L1 only"]
    gan = np.frombuffer(base64.b64decode(pad["outputs"][1]["data"]), np.uint8)
    assert np.abs(gan / 127.5 - 1 - first.ravel()).max() <= 1 / 127.5 + 1e-6
    at.button(key="p2plab_step10").click().run()
    assert not at.exception
    assert not np.array_equal(at.session_state["p2plab"].extra["drawn_gan"], first)
    at.button(key="p2plab_clear_drawing").click().run()
    assert len(at.session_state["p2plab_painted"]) == 0
    assert _pads(at)[0]["bits"] == "0" * 28 * 28


def test_a_drawing_from_the_pad_is_translated(at):
    """What the pad sends (its widget value: the bits, a sequence number, the version of the
    drawing it drew on) becomes the painted set, and the answer echoes its number."""
    from pages._draw_canvas import bits_of

    stroke = {(r, 14) for r in range(5, 23)}
    version = _pads(at)[0]["version"]
    at.session_state["p2plab_pad"] = {"bits": bits_of(stroke, 28), "seq": 7, "version": version}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["p2plab_painted"] == stroke
    (pad,) = _pads(at)
    assert pad["seq"] == 7 and pad["caption"].startswith("18 pixels painted")
    # a drawing sent before Clear (an older version) cannot paint again
    at.button(key="p2plab_clear_drawing").click().run()
    at.session_state["p2plab_pad"] = {"bits": bits_of(stroke, 28), "seq": 8, "version": version}
    at.run()
    assert at.session_state["p2plab_painted"] == set()


def test_lambda_edited_on_the_page_reaches_the_run(at):
    def objective_weight(at) -> float:  # G's loss = GAN term + lambda * L1, as trained
        last = at.session_state["p2plab"].handle.status["last"]
        return (last["g_loss"] - last["g_gan"]) / last["l1"]

    at.button(key="p2plab_step").click().run()
    assert objective_weight(at) == pytest.approx(100.0, rel=1e-4)
    at.number_input(key="p2plab_l1_lambda").set_value(10.0).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["p2plab"].handle.status["l1_lambda"] == 10.0
    at.button(key="p2plab_step").click().run()
    assert objective_weight(at) == pytest.approx(10.0, rel=1e-4)


def test_package_a_checkpoint_that_translates(at, tmp_path):
    from gancore import tasks
    from gancore.io.hub import load_checkpoint
    from gancore.train.pix2pix import translate

    at.number_input(key="p2plab_l1_lambda").set_value(10.0).run()  # edited live: recorded
    at.button(key="p2plab_step").click().run()
    at.button(key="p2plab_package").click().run()
    assert not at.exception, [e.value for e in at.exception]
    step, data = at.session_state["p2plab_zip"]
    assert step == 1
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    loaded = load_checkpoint(folder)
    assert loaded.kind == "pix2pix" and loaded.config["metrics"]["step"] == 1
    assert loaded.config["model"]["l1_lambda"] == 10.0
    assert loaded.config["data"]["name"] == "mnist" and "example_l1" in loaded.config["metrics"]
    x = tasks.make_input("edges", -np.ones((2, 1, 28, 28), np.float32))
    assert translate(loaded.generator, x).shape == (2, 1, 28, 28)


def test_switching_task_builds_a_new_run(at):
    at.selectbox(key="p2plab_task").set_value("superres4").run()
    assert not at.exception, [e.value for e in at.exception]
    lab = at.session_state["p2plab"]
    assert lab.preset["model"]["task"] == "superres4" and lab.step_count == 0
    at.button(key="p2plab_step").click().run()
    assert not at.exception
    assert at.session_state["p2plab"].handle.describe()["baseline_step"] == 1


def test_a_shipped_translator_can_translate_the_drawing(mnist_root, monkeypatch, tmp_path):
    import torch

    from gancore.io.checkpoint import save_checkpoint
    from gancore.models.patchgan import PatchGAN
    from gancore.models.pix2pix import Pix2PixConfig
    from gancore.models.unet import UNetGenerator

    cfg = Pix2PixConfig(task="edges", g_features=8, d_features=8)
    torch.manual_seed(0)
    save_checkpoint(
        tmp_path / "ships" / "p2p-edges-demo",
        generator=UNetGenerator(cfg),
        discriminator=PatchGAN(cfg),
        config={"kind": "pix2pix", "model": cfg.to_dict(), "data": {"name": "mnist"}},
    )
    monkeypatch.setenv("GANCORE_CHECKPOINTS", str(tmp_path / "ships"))
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "2")
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.button(key="p2plab_from_example").click().run()
    radio = at.radio(key="p2plab_draw_model")
    assert radio.options == ["the models training above", "p2p-edges-demo"]
    radio.set_value("p2p-edges-demo").run()
    assert not at.exception, [e.value for e in at.exception]
    (pad,) = _pads(at)
    assert [o["label"] for o in pad["outputs"]] == ["model input", "p2p-edges-demo"]


def test_timed_turns_alternate_and_wait_for_a_drawing(mnist_root, monkeypatch):
    """The worker's side of the pad: a timed turn trains the GAN or, while it is behind, the
    L1-only twin (a request waits one round at most), and none for a moment after a drawing."""
    import time

    from gancore.live.pix2pix_run import DRAWING_HOLD_SECONDS, Pix2PixRun
    from gancore.presets.pix2pix import resolve_pix2pix_preset

    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    small = ["model.g_features=8", "model.d_features=8", "train.batch_size=8"]
    run = Pix2PixRun(resolve_pix2pix_preset("pix2pix-edges-mnist", overrides=small), "p2p")
    steps = lambda: (run.trainer.step_count, run.baseline.step_count)  # noqa: E731
    assert run.advance(seconds=0.001) == 1 and steps() == (1, 0)  # the GAN's turn: one round
    assert run.advance(seconds=0.001) == 0 and steps()[0] == 1 and steps()[1] >= 1  # the twin's
    while run._twin_behind > 0:
        run.advance(seconds=0.001)
    before = steps()
    assert run.advance(seconds=0.001) == 1 and steps()[0] == before[0] + 1
    run.view(drawn=-np.ones((28, 28), np.float32), pictures=False)
    held = steps()
    t0 = time.monotonic()
    while time.monotonic() - t0 < DRAWING_HOLD_SECONDS - 0.15:
        assert run.advance(seconds=0.02) == 0
    assert steps() == held  # neither trained while the drawing was fresh
    time.sleep(0.2)
    run.advance(seconds=0.001)
    assert steps() != held
    g, t = steps()
    assert run.advance(steps=3) == 3 and steps() == (g + 3, t + 3)  # a step button: both


def _pairs_zip(n: int = 6, *, shift: int = 100) -> bytes:
    """A/ and B/ of matching names: B is A brightened by ``shift`` grey levels."""
    from PIL import Image

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            a = rng.integers(0, 120, (28, 28), dtype=np.uint8)
            for folder, img in (("A", a), ("B", a + shift)):
                out = io.BytesIO()
                Image.fromarray(img).save(out, format="PNG")
                zf.writestr(f"pairs/{folder}/{i}.png", out.getvalue())
    return buf.getvalue()


def test_a_zip_of_your_own_pairs_trains_and_a_bad_one_is_a_message(at):
    at.selectbox(key="p2plab_task").set_value("paired").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Upload a zip of pairs" in i.value for i in at.info)
    at.file_uploader(key="p2plab_pairs_zip").set_value(
        ("mine.zip", _pairs_zip(), "application/zip")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lab = at.session_state["p2plab"]
    assert lab.preset["data"]["name"] == "pairs" and lab.preset["model"]["task"] == "paired"
    folder = lab.preset["data"]["path"]
    assert (Path(folder) / "A").is_dir() and len(list((Path(folder) / "B").iterdir())) == 6
    at.button(key="p2plab_step10").click().run()
    assert not at.exception and at.session_state["p2plab"].handle.describe()["step"] == 10
    at.file_uploader(key="p2plab_pairs_zip").set_value(("bad.zip", b"not a zip", "application/zip"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("That zip cannot be used" in e.value for e in at.error)
    # the replaced upload's folder is gone, and the bad one left no folder behind
    assert not Path(folder).exists()
