"""AppTest: Stacked MNIST on the image page (data picker, modes-of-1000 quality estimate)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages/train_images.py")


@pytest.fixture
def at(mnist_root, monkeypatch) -> AppTest:
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "1")
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_stacked_preset_shows_modes_of_1000_and_kl(at):
    at.selectbox(key="imglab_preset").set_value("stacked-mnist").run()
    assert not at.exception and not at.error
    lab = at.session_state["imglab"]
    facts = lab.handle.describe()
    assert facts["data"] == "stacked-mnist" and facts["grid_shape"][1:] == [3, 28, 28]
    (modes,) = [m for m in at.metric if m.label == "modes covered"]
    covered, of = modes.value.split(" / ")
    assert of == "1000" and 1 <= int(covered) <= 1000
    assert "1,000 samples" in modes.help and "26,000" in modes.help
    (kl,) = [m for m in at.metric if m.label == "KL to uniform"]
    q0 = facts["quality"][0]
    assert int(covered) == q0["modes_covered"]
    assert float(kl.value) == pytest.approx(q0["kl_to_uniform"], abs=0.005)
    assert 0.0 <= q0["kl_to_uniform"] <= 6.91
    assert not [m for m in at.metric if m.label == "Frechet distance"]


def test_data_picker_offers_stacked_mnist_in_three_channels(at):
    at.selectbox(key="imglab_data_dcgan-mnist").set_value("stacked-mnist").run()
    assert not at.exception and not at.error
    lab = at.session_state["imglab"]
    assert lab.preset["data"] == {"name": "stacked-mnist"} and lab.preset["model"]["channels"] == 3
    assert lab.handle.describe()["grid_shape"][1:] == [3, 28, 28]
