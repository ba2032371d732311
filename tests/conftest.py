"""Shared fixtures: a real `streamlit run` server and a headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

# The suite's models are tiny: one thread is fastest, and on a 2-core box two threads per
# process thrash as soon as anything else runs (a browser, a server, a subprocess).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, mnist_root):
    """Start the app with `streamlit run` on a free loopback port; yield its URL.

    Image datasets come from the offline root, as a user's download would put them."""
    from tests.browser_helpers import streamlit_server

    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(log, env={"GANCORE_DATA": str(mnist_root)}) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (which cannot download its own browsers here)."""
    from tests.browser_helpers import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = context.new_page()
    yield p
    context.close()


# ----- offline image datasets (tests/test_data.py) -----

SHARED_DATA = Path(os.environ.get("GANCORE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory) -> Path:
    """A writable data root with COPIES of the original MNIST and Fashion-MNIST .gz files.

    torchvision opened there with download=True finds the md5s right and only extracts;
    the shared originals are never extracted in place."""
    root = tmp_path_factory.mktemp("data")
    for name in ("MNIST", "FashionMNIST"):
        src = SHARED_DATA / name / "raw"
        gz = sorted(src.glob("*.gz"))
        if len(gz) != 4:
            msg = f"offline {name} files not found in {src} (set GANCORE_SHARED_DATA)"
            if os.environ.get("CI"):  # CI always has shared/ beside the clone: never skip there
                pytest.fail(msg)
            pytest.skip(msg)
        dst = root / name / "raw"
        dst.mkdir(parents=True)
        for f in gz:
            shutil.copy2(f, dst / f.name)
    return root


# ----- a local fake Hugging Face Hub (tests/test_hub.py; tests/fake_hub.py) -----


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """A started FakeHub that huggingface_hub talks to, with a fresh cache per test.

    In-process: the huggingface_hub constants read at call time (endpoint, URL template,
    cache, token paths, offline flag) are monkeypatched. Subprocesses: the same settings are
    in os.environ (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE=0). `hub.go_offline()`
    switches both to HF_HUB_OFFLINE=1."""
    from huggingface_hub import constants

    from tests.fake_hub import FakeHub

    hub = FakeHub().start()
    home = tmp_path / "hf_home"
    cache = home / "hub"
    cache.mkdir(parents=True)
    settings = {
        "ENDPOINT": hub.url,
        "HUGGINGFACE_CO_URL_TEMPLATE": hub.url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(cache),
        "HUGGINGFACE_HUB_CACHE": str(cache),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(home / ".check_for_update_done"),
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_TELEMETRY": True,
    }
    for name, value in settings.items():
        monkeypatch.setattr(constants, name, value, raising=False)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(cache),
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    hub.env = env
    hub.cache_dir = cache

    def go_offline() -> None:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        hub.env["HF_HUB_OFFLINE"] = "1"

    hub.go_offline = go_offline
    try:
        yield hub
    finally:
        hub.stop()
