"""Latent interpolation and inversion on tiny DCGANs: exact ends, and recovered targets."""

import numpy as np
import pytest
import torch
from PIL import Image

from gancore.explore import latent
from gancore.explore.inversion import invert, prepare_image
from gancore.models.dcgan import DCGANConfig, build_models
from gancore.seeding import set_seed


def tiny(num_classes: int = 0):
    set_seed(0)
    cfg = DCGANConfig(
        image_size=28, channels=1, latent_dim=8, g_features=8, d_features=8, num_classes=num_classes
    )
    return build_models(cfg)


def test_interpolation_ends_exactly_and_slerp_keeps_the_norm():
    z0, z1 = torch.randn(16), torch.randn(16)
    for mode in ("lerp", "slerp"):
        path = latent.interpolate(z0, z1, 9, mode)
        assert path.shape == (9, 16)
        torch.testing.assert_close(path[0], z0)
        torch.testing.assert_close(path[-1], z1)
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = latent.slerp(a, b, torch.tensor([0.5]))[0]
    assert float(mid.norm()) == pytest.approx(1.0)  # lerp would give 0.707
    with pytest.raises(ValueError, match="steps"):
        latent.interpolate(z0, z1, 1)


def test_walk_and_label_blend():
    G, _ = tiny(num_classes=10)
    z = latent.seeded_latent(G, 3)
    torch.testing.assert_close(z, G.sample_latent(1, generator=torch.Generator().manual_seed(3))[0])
    zs = latent.walk(z, 2, np.array([-1.0, 0.0, 1.0]))
    assert zs[:, 2].tolist() == [-1.0, 0.0, 1.0] and torch.equal(zs[0, :2], z[:2])
    emb = latent.label_embeddings(G, 1, 7, 5)
    images = latent.generate_images(G, z.repeat(5, 1), embeddings=emb)
    ends = latent.generate_images(G, z.repeat(2, 1), labels=torch.tensor([1, 7]))
    np.testing.assert_allclose(images[0], ends[0], atol=1e-6)  # the blend starts at label 1
    np.testing.assert_allclose(images[-1], ends[1], atol=1e-6)  # and ends at label 7
    with pytest.raises(ValueError, match="label b=12"):
        latent.label_embeddings(G, 1, 12, 3)


def test_inversion_recovers_an_image_the_generator_can_draw():
    G, D = tiny()
    z_true = G.sample_latent(1, generator=torch.Generator().manual_seed(42))
    with torch.no_grad():
        G.eval()
        target = G(z_true)[0].numpy()
    result = invert(G, D, target, steps=150, restarts=4)
    assert result.history[-1] < result.history[0] / 5
    assert result.pixel_error < 0.01
    assert result.reconstruction.shape == (1, 28, 28)
    noise = np.random.default_rng(0).uniform(-1, 1, target.shape).astype(np.float32)
    assert invert(G, D, noise, steps=150, restarts=4).anomaly_score > 5 * result.anomaly_score


def test_inversion_finds_the_label_of_a_conditional_sample():
    G, D = tiny(num_classes=10)
    z_true = G.sample_latent(1, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        G.eval()
        target = G(z_true, torch.tensor([6]))[0].numpy()
    result = invert(G, D, target, steps=150, restarts=2)
    assert result.label == 6
    assert set(result.label_errors) == set(range(10))
    assert min(result.label_errors, key=result.label_errors.get) == 6


def test_prepare_image_fits_scales_and_inverts_paper_drawings():
    paper = Image.new("L", (200, 100), 255)  # white paper, a black stroke
    paper.paste(0, (90, 20, 110, 80))
    x = prepare_image(paper, size=28, channels=1)
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    assert x.min() >= -1 and x.max() <= 1
    assert x.mean() < 0  # mostly background, now dark as in MNIST
    rgb = prepare_image(Image.new("RGB", (40, 40), (255, 0, 0)), size=32, channels=3, invert="no")
    assert rgb.shape == (3, 32, 32) and rgb[0].mean() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="limit"):
        prepare_image(Image.new("L", (6000, 6000)), size=28, channels=1)
