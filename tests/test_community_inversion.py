"""Inversion of community GANs (gancore.explore.inversion on a generator without a
discriminator), their noise layers on the caller's seed, and the search budget by size."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from gancore.community import inversion as budgets
from gancore.explore.inversion import invert
from gancore.io.hub import load_checkpoint
from tests import community_reference as R


@pytest.fixture
def noisy_gan(fake_hub, tmp_path, monkeypatch):
    """lucidrains' current lightweight-gan layout (noise layers after every convolution),
    128 px, BatchNorm statistics from a batch so that z decides the image."""
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    ref = R.randomize(R.LightweightGAN(image_size=128, latent_dim=16, fmap_max=16, modern=True), 7)
    torch.manual_seed(0)  # the reference draws its noise from the global generator
    R.calibrate(ref.GE, torch.randn(32, 16))
    buf = io.BytesIO()
    torch.save({"GAN": ref.state_dict()}, buf)
    fake_hub.add("lucid/noisy", {"model.pt": buf.getvalue()})
    return load_checkpoint("lucid/noisy")


def test_a_community_sample_is_found_again_deterministically(noisy_gan):
    G = noisy_gan.generator
    assert any(name.endswith("weight") and p.numel() == 1 for name, p in G.named_parameters())
    target = noisy_gan.sample(1, seed=3)[0]  # noise maps from seed 3 as well
    z = torch.randn(2, 16, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        before = G(z)
    kwargs = {"steps": 60, "restarts": 2, "seed": 0, "noise_seed": 3}
    result = invert(G, None, target, **kwargs)
    assert result.feature_error is None and result.anomaly_score is None
    assert result.history[0] > 0.002  # a random start is off (clamped to [0, 1] as the original)
    assert result.pixel_error < result.history[0] / 50  # found again
    assert result.reconstruction.shape == (3, 128, 128) and result.z.shape == (16,)
    again = invert(G, None, target, **kwargs)
    assert again.pixel_error == result.pixel_error and np.array_equal(again.z, result.z)
    # other noise maps: a different search (the seed reaches the noise layers)
    other = invert(G, None, target, **{**kwargs, "noise_seed": 4})
    assert other.history[0] != result.history[0]
    # afterwards G draws its default noise again (seed 0), not the inversion's
    with torch.no_grad():
        after = G(z)
    torch.testing.assert_close(after, before, atol=0, rtol=0)
    with torch.no_grad(), G.noise_from(3):
        assert (G(z) - before).abs().max() > 1e-3


def test_progress_is_reported_each_step(noisy_gan):
    seen = []
    result = invert(
        noisy_gan.generator,
        None,
        noisy_gan.sample(1, seed=1)[0],
        steps=5,
        restarts=1,
        progress=lambda step, err: seen.append((step, err)),
    )
    assert [s for s, _ in seen] == [0, 1, 2, 3, 4]
    assert [e for _, e in seen] == result.history and result.seconds > 0


def test_the_budget_shrinks_with_the_size_and_stops_above_256_px():
    small, mid, big = budgets.budget(64), budgets.budget(128), budgets.budget(256)
    assert small.steps[2] * small.restarts > mid.steps[2] * mid.restarts
    assert mid.steps[1] > big.steps[1] and big.max_restarts <= mid.max_restarts
    assert budgets.budget(512) is None and budgets.budget(1024) is None
    text = budgets.refusal("FastGAN", 1024, has_small_output=True)
    assert "1024 px" in text and "up to 256 px" in text and "128 px output" in text
    assert "128 px output" not in budgets.refusal("lightweight-gan", 512, has_small_output=False)
