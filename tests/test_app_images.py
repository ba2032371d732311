"""AppTest of the image training page on the offline MNIST root, driven through its step buttons."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages/train_images.py")


@pytest.fixture
def at(mnist_root, monkeypatch) -> AppTest:
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "2")
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    (m,) = [m for m in at.metric if m.label == label]
    return m.value


def test_steps_train_and_redraw_the_grid(at):
    assert metric(at, "step") == "0"
    grid0 = at.get("image")[0].value[0]
    assert "step 0" in at.get("image")[0].captions[0]
    at.button(key="imglab_step10").click().run()
    assert not at.exception
    assert metric(at, "step") == "10"
    assert 0.0 < float(metric(at, "mean D(x)")) < 1.0
    assert at.get("image")[0].value[0] != grid0  # a new picture, not the cached one
    assert "step 10" in at.get("image")[0].captions[0]
    facts = at.session_state["imglab"].handle.describe()
    assert at.session_state["imglab"].step_count == 10 and facts["frames"] == 2


def test_conditional_preset_shows_the_label_check_and_wgan_shows_the_estimate(at):
    at.selectbox(key="imglab_preset").set_value("cgan-mnist").run()
    at.button(key="imglab_step").click().run()
    assert not at.exception
    assert any("Does D check the label?" in h.value for h in at.subheader)
    heat = [c for c in at.get("plotly_chart") if "D(x | y" in c.proto.spec]
    assert heat, "the D(x|y') heatmap should be drawn for a conditional model"
    at.selectbox(key="imglab_preset").set_value("wgan-gp-mnist").run()
    at.button(key="imglab_step").click().run()
    assert not at.exception
    assert "Wasserstein estimate" in [m.label for m in at.metric]


def test_package_a_checkpoint_that_loads_and_samples(at, tmp_path):
    import io
    import zipfile

    from gancore.io.hub import load_checkpoint

    at.button(key="imglab_step").click().run()
    at.button(key="imglab_package").click().run()
    step, data = at.session_state["imglab_zip"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path)
    loaded = load_checkpoint(tmp_path / "gancore-dcgan-mnist")
    x = loaded.sample(4, seed=0)
    assert x.shape == (4, 1, 28, 28) and np.all(np.abs(x) <= 1)


def test_push_the_packaged_checkpoint_to_the_hub(at, monkeypatch):
    """The training page's push goes through gancore.io.hub.push_checkpoint to huggingface_hub."""
    import gancore.io.hub as hub
    from tests.test_hub import RecordingApi

    RecordingApi.calls = []
    monkeypatch.setattr(hub, "HfApi", RecordingApi)
    at.button(key="imglab_step").click().run()
    at.button(key="imglab_package").click().run()
    assert at.button(key="imglab_push").disabled  # no repo id yet
    at.text_input(key="imglab_push_repo").input("not a repo id").run()
    at.button(key="imglab_push").click().run()
    assert "Not pushed" in at.error[0].value and "not a valid Hub repo id" in at.error[0].value
    assert RecordingApi.calls == []
    at.text_input(key="imglab_push_repo").input("me/my-dcgan").run()
    at.text_input(key="imglab_push_token").input("hf_write").run()
    at.checkbox(key="imglab_push_private").check().run()
    at.button(key="imglab_push").click().run()
    assert not at.exception and not at.error
    assert "https://huggingface.co/me/my-dcgan" in at.success[0].value
    names = [c[0] for c in RecordingApi.calls]
    assert names == ["init", "create_repo", "upload_folder"]
    assert RecordingApi.calls[0] == ("init", "hf_write")
    assert RecordingApi.calls[1][2]["private"] is True
    upload = RecordingApi.calls[2][1]
    assert sorted(upload["allow_patterns"]) == [
        "README.md", "config.json", "model.safetensors", "sample.png",
    ]  # fmt: skip


def _images_zip(classes: dict[str, int] | None, n: int = 12) -> bytes:
    """A zip of small RGB PNGs: in class sub-folders, or flat when ``classes`` is None."""
    import io
    import zipfile

    from PIL import Image

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for folder, count in (classes or {"": n}).items():
            for i in range(count):
                pixels = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
                png = io.BytesIO()
                Image.fromarray(pixels).save(png, format="PNG")
                zf.writestr(f"{folder}/{i}.png" if folder else f"{i}.png", png.getvalue())
        zf.writestr("notes.txt", "not an image")
    return buf.getvalue()


def test_data_and_size_pickers_rebuild_the_run(at):
    at.selectbox(key="imglab_data_dcgan-mnist").set_value("fashion-mnist").run()
    assert not at.exception and not at.error
    lab = at.session_state["imglab"]
    assert lab.handle.describe()["data"] == "fashion-mnist" and lab.preset["data"] == {
        "name": "fashion-mnist"
    }
    at.selectbox(key="imglab_size_dcgan-mnist").set_value(32).run()
    lab = at.session_state["imglab"]
    assert lab.handle.describe()["image_size"] == 32
    at.button(key="imglab_step").click().run()
    assert not at.exception
    assert lab.handle.describe()["grid_shape"][1:] == [1, 32, 32]


def test_train_on_your_own_images_from_a_zip(at):
    at.selectbox(key="imglab_data_dcgan-mnist").set_value("folder").run()
    assert "Upload a zip of images" in at.info[0].value
    at.file_uploader(key="imglab_images_zip").set_value(
        ("mine.zip", _images_zip(None), "application/zip")
    ).run()
    assert not at.exception and not at.error
    assert "12 images, 1 other files skipped" in " ".join(c.value for c in at.caption)
    lab = at.session_state["imglab"]
    assert lab.preset["model"]["channels"] == 3 and lab.handle.describe()["images"] == 12
    at.button(key="imglab_step").click().run()
    facts = lab.handle.describe()
    assert lab.step_count == 1 and facts["grid_shape"][1:] == [3, 28, 28]
    # a conditional preset takes its labels from the zip's sub-folders
    at.selectbox(key="imglab_preset").set_value("cgan-mnist").run()
    at.selectbox(key="imglab_data_cgan-mnist").set_value("folder").run()
    at.file_uploader(key="imglab_images_zip").set_value(
        ("flat.zip", _images_zip(None), "application/zip")
    ).run()
    assert not at.exception and "needs labels" in at.error[0].value
    at.file_uploader(key="imglab_images_zip").set_value(
        ("pets.zip", _images_zip({"cats": 5, "dogs": 6, "owls": 4}), "application/zip")
    ).run()
    assert not at.exception and not at.error
    facts = at.session_state["imglab"].handle.describe()
    assert facts["num_classes"] == 3 and facts["class_names"] == ["cats", "dogs", "owls"]


def test_hostile_image_zips_are_refused(at):
    import io
    import zipfile

    at.selectbox(key="imglab_data_dcgan-mnist").set_value("folder").run()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escape.png", b"x")
    at.file_uploader(key="imglab_images_zip").set_value(
        ("evil.zip", buf.getvalue(), "application/zip")
    ).run()
    assert not at.exception and "points outside the target folder" in at.error[0].value
    at.file_uploader(key="imglab_images_zip").set_value(
        ("junk.zip", b"PK\x03\x04 nope", "application/zip")
    ).run()
    assert not at.exception and "cannot be used" in at.error[0].value


def test_quality_estimate_tracks_training(at):
    fd0 = float(metric(at, "Frechet distance"))  # estimated at step 0
    lab = at.session_state["imglab"]
    facts = lab.handle.describe()
    assert abs(fd0 - facts["quality"][0]["frechet_distance"]) <= 0.05
    at.button(key="imglab_step10").click().run()
    assert not at.exception
    # within 10 s of the last estimate: none new; the worker estimates again once it is due
    assert lab.handle.describe()["quality_steps"] == [0.0]
    lab.handle.quality()  # due now (as if the 10 s had passed)
    at.run()
    assert lab.handle.describe()["quality_steps"] == [0.0, 10.0]
    assert float(metric(at, "Frechet distance")) != fd0
    assert 0.0 <= float(metric(at, "smallest class share").rstrip("%")) <= 100.0


def test_a_dataset_missing_offline_is_a_clear_message(at):
    # CIFAR-10 is not in the offline root and this machine cannot download it
    at.selectbox(key="imglab_data_dcgan-mnist").set_value("cifar10").run()
    assert not at.exception
    message = at.error[0].value
    assert "cannot be trained here" in message and "cifar" in message.lower()
    assert at.session_state["imglab"].handle.describe()["data"] == "mnist"  # the last good run
