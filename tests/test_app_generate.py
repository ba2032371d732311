"""AppTest of the Generate page against tiny checkpoints shipped in a temporary folder."""

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from gancore.io.checkpoint import save_checkpoint
from gancore.models.dcgan import DCGANConfig, build_models
from gancore.presets.toy import build_from_preset, resolve_preset
from gancore.seeding import set_seed

PAGE = str(Path(__file__).resolve().parents[1] / "pages/generate.py")
DIGITS = [str(i) for i in range(10)]


def _image_checkpoint(folder: Path, num_classes: int) -> None:
    set_seed(0)
    cfg = DCGANConfig(
        image_size=28, channels=1, latent_dim=8, g_features=8, d_features=8, num_classes=num_classes
    )
    G, D = build_models(cfg)
    save_checkpoint(
        folder,
        generator=G,
        discriminator=D,
        config={
            "kind": "image",
            "description": "a tiny test model",
            "model": cfg.to_dict(),
            "train": {},
            "data": {"name": "mnist", **({"class_names": DIGITS} if num_classes else {})},
            "metrics": {"step": 3},
            "command": "test",
        },
    )


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checkpoints")
    _image_checkpoint(root / "tiny-cgan", 10)
    _image_checkpoint(root / "tiny-dcgan", 0)
    trainer, _ = build_from_preset("ring8", seed=0)
    preset = resolve_preset("ring8")
    save_checkpoint(
        root / "ring8",
        generator=trainer.generator,
        discriminator=trainer.discriminator,
        config={
            **{k: preset[k] for k in ("kind", "model", "train", "data")},
            "metrics": {},
            "command": "test",
        },
    )
    (root / "classifier-mnist").mkdir()  # not a GAN: must not be offered
    (root / "classifier-mnist" / "config.json").write_text('{"arch": "cnn"}')
    return root


@pytest.fixture
def at(shipped, monkeypatch) -> AppTest:
    monkeypatch.setenv("GANCORE_CHECKPOINTS", str(shipped))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_opens_on_a_shipped_image_model_with_samples(at):
    assert at.selectbox(key="gen_shipped").options == ["tiny-cgan", "tiny-dcgan", "ring8"]
    images = at.get("image")  # a conditional model opens on a label x noise grid
    assert images and "100 samples, seed 0, every label" in images[0].captions[0]


def test_seed_label_and_truncation_change_the_grid(at):
    first = at.get("image")[0].value[0]
    at.number_input(key="gen_seed").set_value(5).run()
    assert at.get("image")[0].value[0] != first
    at.selectbox(key="gen_label").set_value("7").run()
    assert "7" in at.get("image")[0].captions[0]
    at.toggle(key="gen_trunc_on").set_value(True).run()
    at.slider(key="gen_trunc").set_value(0.5).run()
    assert not at.exception


def test_interpolate_walk_and_invert_views(at):
    at.segmented_control(key="gen_tab").set_value("Interpolate").run()
    assert not at.exception and "seed 1 → seed 2" in at.get("image")[0].captions[0]
    at.segmented_control(key="gen_tab").set_value("Walk").run()
    assert not at.exception and "coordinate 0" in at.get("image")[0].captions[0]
    at.segmented_control(key="gen_tab").set_value("Invert your image").run()
    picture = Image.new("L", (64, 64), 255)
    picture.paste(0, (28, 8, 36, 56))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    at.file_uploader(key="gen_inv_file").set_value(("one.png", buf.getvalue(), "image/png")).run()
    at.slider(key="gen_inv_steps").set_value(50)
    at.button(key="gen_inv_go").click().run()
    assert not at.exception
    labels = [m.value for m in at.metric if m.label == "nearest label"]
    assert labels and labels[0] in DIGITS
    score = float(next(m.value for m in at.metric if m.label == "anomaly score"))
    assert score > 0


def test_bad_uploads_get_a_clear_message(at):
    at.segmented_control(key="gen_tab").set_value("Invert your image").run()
    at.file_uploader(key="gen_inv_file").set_value(
        ("x.png", b"not an image at all", "image/png")
    ).run()
    assert not at.exception and "cannot be read as an image" in at.error[0].value
    at.radio(key="gen_kind").set_value("upload a checkpoint zip").run()
    at.file_uploader(key="gen_zip").set_value(("x.zip", b"PK nope", "application/zip")).run()
    assert not at.exception and "not a zip file" in at.error[0].value
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil/config.json", "[]")
    at.file_uploader(key="gen_zip").set_value(("evil.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception and at.error


def test_uploaded_checkpoint_zip_loads(at, shipped):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in (shipped / "tiny-dcgan").iterdir():
            zf.write(p, f"tiny-dcgan/{p.name}")
    at.radio(key="gen_kind").set_value("upload a checkpoint zip").run()
    at.file_uploader(key="gen_zip").set_value(("tiny.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception and not at.error
    assert at.get("image") and "100 samples" in at.get("image")[0].captions[0]


def test_hub_source_reports_a_missing_repo(at, fake_hub):
    at.radio(key="gen_kind").set_value("Hugging Face Hub").run()
    at.text_input(key="gen_repo").input("owner/missing").run()
    assert not at.exception
    assert "owner/missing" in at.error[0].value


def test_a_pix2pix_checkpoint_is_sent_to_the_image_to_image_page(at, fake_hub):
    """A translator draws nothing from noise: a message names its page, the last model stays."""
    folder = Path(__file__).resolve().parents[1] / "checkpoints" / "pix2pix-edges-mnist"
    fake_hub.add("owner/p2p", {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()})
    _hub_source(at, "owner/p2p")
    assert "Image to image page" in at.error[0].value and "owner/p2p" in at.error[0].value
    assert "tiny-cgan" in at.info[0].value and at.get("image")


def test_toy_checkpoint_shows_points(at):
    at.selectbox(key="gen_shipped").set_value("ring8").run()
    assert not at.exception
    assert at.get("plotly_chart"), "toy samples are drawn as a scatter plot"


def _hub_source(at: AppTest, repo: str, token: str = "") -> AppTest:
    at.radio(key="gen_kind").set_value("Hugging Face Hub").run()
    at.text_input(key="gen_token").input(token).run()
    at.text_input(key="gen_repo").input(repo).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_hub_failure_is_a_message_in_the_page(at, fake_hub, shipped, tmp_path, monkeypatch):
    """End to end in the UI: each way a Hub load fails says why, and nothing half-loads."""
    import json

    import torch
    from safetensors.torch import load_file

    from tests.test_checkpoint import Payload

    folder = shipped / "tiny-dcgan"
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    fake_hub.add("owner/gated", files, gated=True, token="hf_secret")
    fake_hub.add("evil/truncated", {**files, "model.safetensors": files["model.safetensors"][:100]})
    marker, payload = tmp_path / "pwned", tmp_path / "payload.bin"
    state = load_file(folder / "model.safetensors")
    torch.save({**state, "generator.net.0.0.weight": Payload(marker)}, payload)
    fake_hub.add(
        "evil/pickle",
        {"config.json": files["config.json"], "pytorch_model.bin": payload.read_bytes()},
    )
    huge = DCGANConfig(image_size=128, g_features=256, d_features=256, latent_dim=512)
    fake_hub.add(
        "evil/huge",
        {
            "config.json": json.dumps(
                {"format": "gancore/1", "kind": "image", "model": huge.to_dict()}
            )
        },
    )
    fake_hub.add("owner/bert", {"config.json": '{"model_type": "bert"}'})
    cases = [
        ("not a repo!!", "", "repo id"),
        ("owner/missing", "", "owner/missing"),
        ("owner/gated", "", "token"),
        ("evil/truncated", "", "corrupt or truncated"),
        ("evil/pickle", "", "nothing in it was executed"),
        ("evil/huge", "", "over the limit"),
        ("owner/bert", "", "not a gancore checkpoint"),
    ]
    last = at.session_state["gen_last"]  # the model that loaded when the page opened
    for repo, token, needle in cases:
        _hub_source(at, repo, token)
        assert at.error and needle in at.error[0].value, (repo, [e.value for e in at.error])
        # nothing half-loads: the last model that loaded stays on the page, and says so
        assert at.session_state["gen_last"] is last, repo
        notes = [i.value for i in at.info if "Still showing" in i.value]
        assert notes == [f"Still showing the last model that loaded: {last.source}."], repo
    assert not marker.exists()
    _hub_source(at, "owner/gated", "hf_secret")  # the right token opens it
    assert not at.error and "100 samples" in at.get("image")[0].captions[0]
    # the network goes away (nothing listens at the endpoint): a repo never cached cannot load
    from huggingface_hub import constants

    from tests.browser_helpers import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(constants, "ENDPOINT", dead)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", dead + "/{repo_id}/resolve/{revision}/{filename}"
    )
    _hub_source(at, "owner/never-seen")
    assert "could not reach the Hub" in at.error[0].value


def _png_header_claiming(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR chunk for a huge image, with a token of pixel data:
    decoding it whole would need width x height x 3 bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_huge_picture_is_refused_before_decoding(at):
    import tracemalloc

    at.segmented_control(key="gen_tab").set_value("Invert your image").run()
    tracemalloc.start()
    at.file_uploader(key="gen_inv_file").set_value(
        ("huge.png", _png_header_claiming(60_000, 60_000), "image/png")
    ).run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not at.exception
    assert "60000×60000" in at.error[0].value or "decompression bomb" in at.error[0].value.lower()
    assert peak < 200_000_000  # the 10.8 GB of pixels were never allocated


def test_sessions_are_isolated(shipped, monkeypatch):
    """Two browser sessions on one server: one's choices never show in the other's page."""
    monkeypatch.setenv("GANCORE_CHECKPOINTS", str(shipped))
    a = AppTest.from_file(PAGE, default_timeout=120).run()
    b = AppTest.from_file(PAGE, default_timeout=120).run()
    a.number_input(key="gen_seed").set_value(9).run()
    a.selectbox(key="gen_label").set_value("3").run()
    b.run()
    assert "seed 9, 3" in a.get("image")[0].captions[0]
    assert "seed 0, every label" in b.get("image")[0].captions[0]
    assert b.number_input(key="gen_seed").value == 0
