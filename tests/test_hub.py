"""Loading from (and pushing to) the Hub, against the local fake Hub in tests/fake_hub.py."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from huggingface_hub.errors import HfHubHTTPError
from safetensors.torch import load_file, save_file

import gancore.io.checkpoint as ck
import gancore.io.hub as hub
from gancore.io.checkpoint import save_checkpoint
from gancore.io.format import CheckpointError
from gancore.io.hub import load_checkpoint, push_checkpoint
from gancore.models.dcgan import DCGANConfig
from gancore.models.kinds import MODEL_KINDS
from tests.fake_hub import commit_sha
from tests.test_checkpoint import (
    Payload,
    clean,
    direct_sample,
    image_config,
    image_models,
    toy_config,
    toy_models,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def toy_folder(tmp_path):
    cfg = toy_config()
    g, d = toy_models(cfg, seed=1)
    return save_checkpoint(tmp_path / "toy", generator=g, discriminator=d, config=cfg), g


def files_of(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def refused(source, reason: str, **kwargs) -> str:
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(source, **kwargs)
    assert err.value.reason == reason, str(err.value)
    return clean(err)


def test_hub_load_downloads_config_first_then_works_offline_from_cache(fake_hub, toy_folder):
    folder, g = toy_folder
    sha = fake_hub.add_folder("owner/toy", folder)
    gan = load_checkpoint("owner/toy")
    assert gan.source == f"Hub repo owner/toy (revision main, commit {sha[:7]})"
    assert gan.path.name == sha and gan.path.is_relative_to(fake_hub.cache_dir)
    np.testing.assert_array_equal(gan.sample(32, seed=5), direct_sample(g, 32, 5))
    gets = fake_hub.paths("GET")
    assert gets == [
        "/owner/toy/resolve/main/config.json",
        "/owner/toy/resolve/main/model.safetensors",
    ]
    first_weights = next(i for i, p in enumerate(fake_hub.paths()) if "model.safetensors" in p)
    assert (
        fake_hub.paths()[:first_weights] == ["/owner/toy/resolve/main/config.json"] * 2
    )  # HEAD, GET
    assert fake_hub.other_requests() == []

    seen = len(fake_hub.requests)
    fake_hub.go_offline()
    again = load_checkpoint("owner/toy")
    np.testing.assert_array_equal(again.sample(32, seed=5), direct_sample(g, 32, 5))
    assert len(fake_hub.requests) == seen  # nothing went out
    msg = refused("owner/never-downloaded", "offline")
    assert "HF_HUB_OFFLINE" in msg and "cache" in msg


def test_mixin_from_pretrained_takes_the_same_safe_path(fake_hub, toy_folder, tmp_path):
    folder, g = toy_folder
    fake_hub.add_folder("owner/toy", folder)
    model = ck.GANModel.from_pretrained("owner/toy")
    np.testing.assert_array_equal(
        model.generator(
            model.generator.sample_latent(4, generator=torch.Generator().manual_seed(0))
        )
        .detach()
        .numpy(),
        direct_sample(g, 4, 0),
    )
    files = files_of(folder)
    state = load_file(folder / "model.safetensors")
    marker, payload = tmp_path / "pwned", tmp_path / "payload.bin"
    torch.save({**state, "generator.net.0.weight": Payload(marker)}, payload)
    fake_hub.add(
        "evil/pickle",
        {"config.json": files["config.json"], "pytorch_model.bin": payload.read_bytes()},
    )
    with pytest.raises(CheckpointError, match="refused"):
        ck.GANModel.from_pretrained("evil/pickle")
    assert not marker.exists()


def test_revisions_by_name_and_commit(fake_hub, tmp_path):
    cfg = image_config(num_classes=2)
    g1, d1 = image_models(cfg, seed=1)
    g2, d2 = image_models(cfg, seed=2)
    fake_hub.add_folder(
        "owner/img", save_checkpoint(tmp_path / "a", generator=g1, discriminator=d1, config=cfg)
    )
    sha = fake_hub.add_folder(
        "owner/img",
        save_checkpoint(tmp_path / "b", generator=g2, discriminator=d2, config=cfg),
        revision="v2",
    )
    y = torch.arange(6) % 2
    np.testing.assert_array_equal(
        load_checkpoint("owner/img").sample(6, seed=0), direct_sample(g1, 6, 0, y)
    )
    for rev in ("v2", sha):
        np.testing.assert_array_equal(
            load_checkpoint("owner/img", revision=rev).sample(6, seed=0), direct_sample(g2, 6, 0, y)
        )
    msg = refused("owner/img", "revision_not_found", revision="v9")
    assert "'v9'" in msg
    assert commit_sha("owner/img", "v2") == sha


def test_missing_repo_and_missing_files(fake_hub, toy_folder):
    folder, _ = toy_folder
    files = files_of(folder)
    assert "owner/name" in refused("owner/name", "repo_not_found")
    fake_hub.add("owner/no-weights", {"config.json": files["config.json"]})
    msg = refused("owner/no-weights", "file_missing")
    assert "model.safetensors" in msg and "pytorch_model.bin" in msg
    fake_hub.add("owner/no-config", {"model.safetensors": files["model.safetensors"]})
    assert "config.json" in refused("owner/no-config", "file_missing")
    fake_hub.add("owner/not-gancore", {"config.json": b'{"model_type": "bert"}'})
    assert "not a gancore checkpoint" in refused("owner/not-gancore", "bad_config")
    assert not any("not-gancore/resolve/main/model" in p for p in fake_hub.paths())
    assert fake_hub.other_requests() == []


def test_gated_repo_asks_for_a_token(fake_hub, toy_folder):
    folder, g = toy_folder
    fake_hub.add_folder("owner/gated", folder, gated=True, token="hf_secret")
    msg = refused("owner/gated", "gated")
    assert "token" in msg and "hf auth login" in msg and "huggingface-cli login" in msg
    assert refused("owner/gated", "gated", token="hf_wrong")
    gan = load_checkpoint("owner/gated", token="hf_secret")
    np.testing.assert_array_equal(gan.sample(4), direct_sample(g, 4, 0))


def test_invalid_repo_ids_make_no_requests(fake_hub):
    for source in ("not a repo!!", "owner/na--me", "a/b/c/"):
        msg = refused(source, "invalid_repo_id" if source != "a/b/c/" else "not_found")
        assert "repo id" in msg or "no checkpoint folder" in msg
    assert fake_hub.requests == []


def test_hostile_pickle_weights_are_refused_and_never_run(fake_hub, toy_folder, tmp_path):
    folder, _ = toy_folder
    files = files_of(folder)
    state = load_file(folder / "model.safetensors")
    marker = tmp_path / "pwned"
    payload = tmp_path / "payload.bin"
    torch.save({**state, "generator.net.0.weight": Payload(marker)}, payload)
    fake_hub.add(
        "evil/pickle",
        {"config.json": files["config.json"], "pytorch_model.bin": payload.read_bytes()},
    )
    msg = refused("evil/pickle", "pickle_refused")
    assert "nothing in it was executed" in msg
    assert not marker.exists()
    assert "/evil/pickle/resolve/main/pytorch_model.bin" in fake_hub.paths("GET")


def test_wrong_shapes_and_truncated_weights_from_the_hub(fake_hub, toy_folder, tmp_path):
    folder, _ = toy_folder
    files = files_of(folder)
    state = load_file(folder / "model.safetensors")
    state["discriminator.net.0.bias"] = torch.zeros(5)
    save_file(state, tmp_path / "bad.safetensors")
    fake_hub.add(
        "evil/shapes", {**files, "model.safetensors": (tmp_path / "bad.safetensors").read_bytes()}
    )
    msg = refused("evil/shapes", "shape_mismatch")
    assert "discriminator.net.0.bias" in msg and "[5]" in msg and "[8]" in msg
    fake_hub.add("evil/truncated", {**files, "model.safetensors": files["model.safetensors"][:100]})
    assert "corrupt or truncated" in refused("evil/truncated", "corrupt")
    fake_hub.add(
        "evil/bloated",
        {**files, "model.safetensors": files["model.safetensors"] + b"\0" * (4 << 20)},
    )
    assert "before downloading" in refused("evil/bloated", "too_large")
    assert "/evil/bloated/resolve/main/model.safetensors" not in fake_hub.paths("GET")


def test_enormous_config_is_refused_before_any_weights_are_requested(fake_hub, monkeypatch):
    huge = DCGANConfig(image_size=128, g_features=256, d_features=256, latent_dim=512)
    cfg = {"format": "gancore/1", "kind": "image", "model": huge.to_dict()}
    fake_hub.add("evil/huge", {"config.json": json.dumps(cfg), "model.safetensors": b"x" * 1000})
    spec = MODEL_KINDS["image"]
    allocated = dataclasses.replace(spec, build=lambda *a, **k: pytest.fail("allocated"))
    monkeypatch.setitem(MODEL_KINDS, "image", allocated)
    assert "over the limit" in refused("evil/huge", "too_large")
    assert fake_hub.paths() == ["/evil/huge/resolve/main/config.json"] * 2


def test_hub_load_from_a_subprocess_uses_hf_endpoint(fake_hub, toy_folder):
    folder, g = toy_folder
    fake_hub.add_folder("owner/toy", folder)
    code = "from gancore.io.hub import load_checkpoint as L; import json, sys; json.dump(L('owner/toy').sample(3).tolist(), sys.stdout)"
    env = {**os.environ, **fake_hub.env, "PYTHONPATH": ROOT}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    np.testing.assert_allclose(
        np.array(json.loads(out.stdout)), direct_sample(g, 3, 0), rtol=0, atol=0
    )


class RecordingApi:
    calls: list = []
    fail_with: Exception | None = None

    def __init__(self, token=None):
        self.calls.append(("init", token))

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))
        if self.fail_with is not None:
            raise self.fail_with
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, **kw):
        self.calls.append(("upload_folder", kw))
        return "commit-url"


def test_push_checks_the_folder_then_creates_and_uploads(monkeypatch, toy_folder, tmp_path):
    folder, _ = toy_folder
    RecordingApi.calls = []
    monkeypatch.setattr(hub, "HfApi", RecordingApi)
    url = push_checkpoint(folder, "me/toy-gan", private=True, token="hf_w")
    assert url == "https://huggingface.co/me/toy-gan"
    names = [c[0] for c in RecordingApi.calls]
    assert names == ["init", "create_repo", "upload_folder"]
    assert RecordingApi.calls[0] == ("init", "hf_w")
    assert RecordingApi.calls[1][2] == {"repo_type": "model", "private": True, "exist_ok": True}
    upload = RecordingApi.calls[2][1]
    assert upload["repo_id"] == "me/toy-gan" and upload["folder_path"] == str(folder)
    assert sorted(upload["allow_patterns"]) == ["README.md", "config.json", "model.safetensors"]

    RecordingApi.calls = []
    for bad_repo in ("no slash", "me/a/b"):
        with pytest.raises(CheckpointError) as err:
            push_checkpoint(folder, bad_repo)
        assert err.value.reason == "invalid_repo_id"
    (tmp_path / "broken").mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        push_checkpoint(tmp_path / "broken", "me/x")
    assert RecordingApi.calls == []  # nothing reached the Hub

    class Resp:
        status_code = 403
        headers: dict = {}
        request = None

    RecordingApi.fail_with = HfHubHTTPError("403 Forbidden", response=Resp())
    try:
        with pytest.raises(CheckpointError, match="write access") as err:
            push_checkpoint(folder, "me/toy-gan")
        assert err.value.reason == "auth" and clean(err)
    finally:
        RecordingApi.fail_with = None
