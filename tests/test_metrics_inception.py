"""The optional Inception metrics: the real torchmetrics path with a stand-in feature extractor,
and clear messages when the extra or the weights are missing (they are, on this machine)."""

import builtins
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gancore.eval.inception import InceptionUnavailable, inception_metrics

ROOT = Path(__file__).resolve().parents[1]


class MeanColour(nn.Module):
    """A 6-feature stand-in for Inception: per-channel mean and std of the images (torchmetrics
    probes it with uint8, then feeds the [0, 1] floats it was given)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        return torch.cat([x.mean(dim=(2, 3)), x.std(dim=(2, 3))], dim=1).double()


def _images(n: int, shift: float, seed: int, channels: int = 1) -> np.ndarray:
    g = np.random.default_rng(seed)
    return np.clip(g.normal(shift, 0.3, (n, channels, 16, 16)), -1, 1).astype(np.float32)


def test_fid_and_kid_through_torchmetrics_are_zero_alike_and_grow_apart():
    pytest.importorskip("torchmetrics")
    real = _images(200, 0.0, 0)
    same = inception_metrics(_images(200, 0.0, 1), real, kid_subset_size=50, feature=MeanColour())
    far = inception_metrics(_images(200, 0.6, 2), real, kid_subset_size=50, feature=MeanColour())
    assert same["inception_fid"] < 0.01 and abs(same["inception_kid"]) < 0.01
    assert far["inception_fid"] > 100 * max(same["inception_fid"], 1e-6)
    assert far["inception_kid"] > 10 * abs(same["inception_kid"])
    assert same["inception_samples"] == 200 and "inception_score" not in same  # stand-in: no IS


def _no_network(monkeypatch, tmp_path) -> dict[str, str]:
    """No cached weights (an empty torch hub) and no route out, on any machine."""
    import urllib.error
    import urllib.request

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    env = {"TORCH_HOME": str(tmp_path / "torch"), "HTTPS_PROXY": "http://127.0.0.1:9"}
    env["https_proxy"] = env["HTTPS_PROXY"]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def test_missing_weights_offline_is_a_clear_message(monkeypatch, tmp_path):
    pytest.importorskip("torchmetrics")
    _no_network(monkeypatch, tmp_path)
    with pytest.raises(InceptionUnavailable, match="Inception weights could not be fetched"):
        inception_metrics(_images(10, 0, 0), _images(10, 0, 1))


def test_missing_extra_is_a_clear_message(monkeypatch):
    real_import = builtins.__import__

    def no_torchmetrics(name, *args, **kwargs):
        if name.startswith("torchmetrics"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchmetrics)
    with pytest.raises(InceptionUnavailable, match=r"pip install 'gancore\[inception\]'"):
        inception_metrics(_images(4, 0, 0), _images(4, 0, 1))


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="shape"):
        inception_metrics(np.zeros((4, 2, 8, 8)), _images(4, 0, 0), feature=MeanColour())
    bad = _images(4, 0, 0)
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        inception_metrics(bad, _images(4, 0, 0), feature=MeanColour())


def test_eval_inception_on_the_cli_says_why_it_cannot(mnist_root, monkeypatch, tmp_path):
    pytest.importorskip("torchmetrics")
    _no_network(monkeypatch, tmp_path)  # the subprocess inherits the empty hub and the proxy
    proc = subprocess.run(
        [sys.executable, "-m", "gancore", "eval", "dcgan-mnist", "--n", "50", "--inception",
         "--data-root", str(mnist_root)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "--inception: the Inception weights could not be fetched" in proc.stderr
    toy = subprocess.run(
        [sys.executable, "-m", "gancore", "eval", "ring8", "--inception"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert toy.returncode == 1 and "applies to image checkpoints" in toy.stderr
