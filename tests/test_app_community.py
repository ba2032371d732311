"""AppTest: community GANs on the Generate page, served by the local fake Hub."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests import community_reference as R
from tests.test_checkpoint import Payload

PAGE = str(Path(__file__).resolve().parents[1] / "pages/generate.py")


def pickled(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def weights():
    z = torch.randn(64, 16, generator=torch.Generator().manual_seed(0))
    dcgan = R.randomize(R.DCGANGenerator(num_channels=3, latent_dim=16, hidden_size=8), 0)
    dcgan = R.calibrate(dcgan, z[:, :, None, None])  # so that z decides the image
    fast = R.calibrate(R.randomize(R.FastGANGenerator(ngf=8, nz=16, nc=3, im_size=1024), 1), z[:8])
    return pickled(dcgan.state_dict()), pickled(fast.state_dict())


@pytest.fixture
def at(fake_hub, weights, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("GANCORE_CHECKPOINTS", str(tmp_path / "none"))
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    card = "---\nlicense: mit\n---\n# tiny\n"
    fake_hub.add("huggan/dcgan-tiny", {"pytorch_model.bin": weights[0], "README.md": card})
    fake_hub.add("huggan/fastgan-tiny", {"pytorch_model.bin": weights[1]})
    page = AppTest.from_file(PAGE, default_timeout=120).run()
    page.radio(key="gen_kind").set_value("Hugging Face Hub").run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def _load(at: AppTest, repo: str) -> AppTest:
    at.text_input(key="gen_repo").input(repo).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_suggestions_and_a_dcgan_from_the_hub_work_like_ours(at):
    hint = " ".join(c.value for c in at.caption)
    assert "FastGAN" in hint and "no code" in hint
    _load(at, "huggan/dcgan-tiny")
    assert not at.error
    about = " ".join(c.value for c in at.caption)
    assert "HugGAN DCGAN" in about and "64×64×3" in about and "license: mit" in about
    assert "/huggan/dcgan-tiny" in about and "parameters" in about
    first = at.get("image")[0]
    assert "64 samples, seed 0" in first.captions[0]
    at.number_input(key="gen_seed").set_value(3).run()
    assert at.get("image")[0].value[0] != first.value[0]
    at.toggle(key="gen_trunc_on").set_value(True).run()
    assert not at.exception
    at.segmented_control(key="gen_tab").set_value("Interpolate").run()
    assert not at.exception and "seed 1 → seed 2" in at.get("image")[0].captions[0]
    at.segmented_control(key="gen_tab").set_value("Walk").run()
    assert not at.exception and "coordinate 0" in at.get("image")[0].captions[0]


def test_a_suggested_repo_loads_with_one_click(at, fake_hub, weights):
    """The suggestions are buttons: a click fills the repo id and loads that repo."""
    from gancore.community import SUGGESTED_REPOS

    fake_hub.add(SUGGESTED_REPOS[0], {"pytorch_model.bin": weights[0]})
    buttons = [b for b in at.button if b.label in SUGGESTED_REPOS]
    assert [b.label for b in buttons] == list(SUGGESTED_REPOS)
    buttons[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.text_input(key="gen_repo").value == SUGGESTED_REPOS[0]
    about = " ".join(c.value for c in at.caption)
    assert "HugGAN DCGAN" in about and f"/{SUGGESTED_REPOS[0]}" in about
    assert "64 samples, seed 0" in at.get("image")[0].captions[0]
    # the other one is not on this fake Hub: a message, and the loaded model stays
    next(b for b in at.button if b.label == SUGGESTED_REPOS[1]).click().run()
    assert at.text_input(key="gen_repo").value == SUGGESTED_REPOS[1]
    assert at.error and f"/{SUGGESTED_REPOS[0]}" in " ".join(c.value for c in at.caption)


def _metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def test_a_dcgan_inverts_one_of_its_samples(at):
    _load(at, "huggan/dcgan-tiny")
    at.segmented_control(key="gen_tab").set_value("Invert your image").run()
    at.radio(key="gen_inv_src").set_value("a sample of this model").run()
    at.number_input(key="gen_inv_seed").set_value(7).run()
    assert (
        not at.exception and "what the generator will try to draw" in at.get("image")[0].captions[0]
    )
    at.slider(key="gen_inv_steps").set_value(100)
    at.button(key="gen_inv_go").click().run()
    assert not at.exception and not at.error
    assert not [m for m in at.metric if m.label == "anomaly score"]  # no D in a community repo
    error = _metric(at, "pixel error")
    start, end = re.search(
        r"best error ([\d.]+) at the start, ([\d.]+) after 100 steps",
        " ".join(c.value for c in at.caption),
    ).groups()
    assert float(end) == pytest.approx(error, abs=1e-4)
    assert float(start) > 0.05 and error < float(start) / 50  # the sample is found again
    at.button(key="gen_inv_go").click().run()  # noise and starts from fixed seeds: it repeats
    assert _metric(at, "pixel error") == error


def test_a_1024_px_fastgan_is_inverted_through_its_128_px_output(at):
    _load(at, "huggan/fastgan-tiny")
    at.segmented_control(key="gen_tab").set_value("Invert your image").run()
    message = at.info[0].value
    assert "up to 256 px" in message and "1024 px" in message and "128 px output" in message
    assert "gen_inv_go" not in [b.key for b in at.button]  # nothing to press
    at.toggle(key="gen_small").set_value(True).run()
    at.radio(key="gen_inv_src").set_value("a sample of this model").run()
    at.slider(key="gen_inv_steps200").set_value(30)
    at.button(key="gen_inv_go").click().run()
    assert not at.exception and not at.error
    caption = " ".join(c.value for c in at.caption)
    start, end = map(
        float, re.search(r"best error ([\d.]+) at the start, ([\d.]+) after 30", caption).groups()
    )
    assert end < start / 10


def test_a_1024_px_fastgan_shows_a_small_grid_at_256_px(at):
    _load(at, "huggan/fastgan-tiny")
    assert not at.error
    assert at.select_slider(key="gen_n16").value == 4
    assert "4 samples" in at.get("image")[0].captions[0]
    assert any("256 px" in c.value for c in at.caption)
    at.toggle(key="gen_small").set_value(True).run()
    assert not at.exception and at.select_slider(key="gen_n36").value == 16
    assert "16 samples" in at.get("image")[0].captions[0]


def test_bad_community_repos_are_messages_and_nothing_runs(at, fake_hub, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    fake_hub.add("evil/pickle", {"pytorch_model.bin": pickled({"model.0.weight": Payload(marker)})})
    fake_hub.add("owner/code-only", {"models.py": "import os\n"})
    fake_hub.add("owner/bert", {"config.json": json.dumps({"model_type": "bert"})})
    cases = [
        ("evil/pickle", "nothing in it was executed"),
        ("owner/code-only", "models.py"),
        ("owner/bert", "not a gancore checkpoint"),
        ("owner/missing", "owner/missing"),
    ]
    for repo, needle in cases:
        _load(at, repo)
        assert at.error and needle in at.error[0].value, (repo, [e.value for e in at.error])
    assert not marker.exists()
    monkeypatch.setenv("GANCORE_MAX_PARAMETERS", "10000")  # a small server: 1.6 MB is too much
    _load(at, "huggan/fastgan-tiny")
    assert "before downloading" in at.error[0].value and not at.get("image")


def test_a_transparent_lightweight_gan_shows_over_white(at, fake_hub):
    ref = R.randomize(
        R.LightweightGAN(image_size=64, latent_dim=16, fmap_max=16, transparent=True), 2
    )
    fake_hub.add("someone/lw-rgba", {"model.pt": pickled({"GAN": ref.state_dict()})})
    _load(at, "someone/lw-rgba")
    assert not at.error and "64×64×4" in " ".join(c.value for c in at.caption)
    assert "64 samples, seed 0" in at.get("image")[0].captions[0]
    for tab in ("Interpolate", "Walk"):
        at.segmented_control(key="gen_tab").set_value(tab).run()
        assert not at.exception and at.get("image")
    at.segmented_control(key="gen_tab").set_value("Invert your image").run()
    assert not at.exception and "RGBA" in at.info[0].value
