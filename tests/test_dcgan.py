"""DCGAN family: shapes at every size, init, critic variant, conditioning, config checks."""

import itertools
import json

import pytest
import torch
from torch import nn

from gancore.models.dcgan import (
    DCGANConfig,
    Discriminator,
    Generator,
    build_models,
    weights_init,
)

SIZES = (28, 32, 64, 128)
CONDITIONS = ("none", "channel", "projection")


def tiny(**kw) -> DCGANConfig:
    base = dict(latent_dim=8, g_features=8, d_features=8, embed_dim=4)
    base.update(kw)
    return DCGANConfig(**base)


def labels_for(cfg: DCGANConfig, n: int) -> torch.Tensor | None:
    return torch.arange(n) % cfg.num_classes if cfg.num_classes else None


@pytest.mark.parametrize("size,channels,cond", list(itertools.product(SIZES, (1, 3), CONDITIONS)))
def test_shapes_every_size_channel_condition(size, channels, cond):
    kw = {} if cond == "none" else dict(num_classes=5, cond_mode=cond)
    cfg = tiny(image_size=size, channels=channels, **kw)
    torch.manual_seed(0)
    G, D = build_models(cfg)
    y = labels_for(cfg, 3)
    x = G(G.sample_latent(3), y)
    assert x.shape == (3, channels, size, size)
    assert x.dtype == torch.float32
    assert x.abs().max() <= 1.0  # tanh output
    logits = D(x, y)
    assert logits.shape == (3,)
    assert torch.isfinite(logits).all()
    p = D.prob(x, y)
    assert ((p > 0) & (p < 1)).all()
    feats = D.features(x, y)
    assert feats.shape == (3, D.feature_dim)
    # features are the (ndf * 2^(k-1)) x base x base map that the head convolves
    base = 7 if size == 28 else 4
    assert D.feature_dim == D.head.in_channels * base * base
    n = cfg.num_parameters()
    assert n["generator"] == sum(p.numel() for p in G.parameters())
    assert n["discriminator"] == sum(p.numel() for p in D.parameters())
    assert n["total"] == n["generator"] + n["discriminator"]


def test_seed_preset_64px_rgb_starts_at_4x4x1024():
    cfg = DCGANConfig(image_size=64, channels=3, latent_dim=100, g_features=128, d_features=64)
    G = Generator(cfg)
    first = G.main[0]
    assert isinstance(first, nn.ConvTranspose2d)
    assert (first.in_channels, first.out_channels, first.kernel_size) == (100, 1024, (4, 4))
    out = G.main[:3](torch.randn(2, 100, 1, 1))
    assert out.shape == (2, 1024, 4, 4)
    convs = [m for m in G.main if isinstance(m, nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [1024, 512, 256, 128, 3]
    assert G(G.sample_latent(2)).shape == (2, 3, 64, 64)


def test_28px_path_is_7_14_28():
    cfg = tiny(image_size=28, channels=1)
    G, D = build_models(cfg)
    h = torch.randn(2, 8, 1, 1)
    sizes = []
    for m in G.main:
        h = m(h)
        if isinstance(m, nn.ConvTranspose2d):
            sizes.append(h.shape[-1])
    assert sizes == [7, 14, 28]
    assert D.head.kernel_size == (7, 7)


def test_no_linear_layers_and_sequential_blocks():
    cfg = tiny(image_size=64, channels=3, num_classes=10, cond_mode="projection")
    G, D = build_models(cfg)
    for model in (G, D):
        assert not any(isinstance(m, nn.Linear) for m in model.modules())
        assert isinstance(model.main, nn.Sequential)
    # hidden G blocks: ConvT -> BN -> ReLU; the last ConvT -> Tanh
    assert isinstance(G.main[-1], nn.Tanh)
    assert isinstance(G.main[1], nn.BatchNorm2d) and isinstance(G.main[2], nn.ReLU)
    # D: no norm on the first layer, LeakyReLU(0.2) everywhere
    assert isinstance(D.main[1], nn.LeakyReLU) and D.main[1].negative_slope == 0.2
    assert isinstance(D.main[2], nn.Conv2d) and isinstance(D.main[3], nn.BatchNorm2d)


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_critic_has_no_batchnorm(norm):
    cfg = tiny(image_size=32, channels=3, d_norm=norm)
    assert cfg.critic
    D = Discriminator(cfg)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    has_gn = any(isinstance(m, nn.GroupNorm) and m.num_groups == 1 for m in D.modules())
    assert has_gn == (norm == "layer")
    # per-sample: a critic's score for one image does not depend on the rest of the batch
    D.train()
    x = torch.randn(4, 3, 32, 32)
    assert torch.allclose(D(x)[:1], D(x[:1]), atol=1e-5)
    assert not DCGANConfig(d_norm="batch").critic


def test_init_statistics():
    torch.manual_seed(0)
    cfg = DCGANConfig(image_size=64, channels=3, g_features=64, d_features=64)
    G, D = build_models(cfg)
    for model in (G, D):
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.weight.numel() > 10_000:
                assert m.weight.mean().abs() < 0.002
                assert m.weight.std().item() == pytest.approx(0.02, rel=0.05)
                if m.bias is not None:
                    assert (m.bias == 0).all()
            if isinstance(m, nn.BatchNorm2d) and m.num_features >= 256:
                assert m.weight.mean().item() == pytest.approx(1.0, abs=0.005)
                assert m.weight.std().item() == pytest.approx(0.02, rel=0.2)
                assert (m.bias == 0).all()


def test_weights_init_applies_with_apply():
    conv = nn.Conv2d(64, 64, 4)
    nn.init.constant_(conv.weight, 5.0)
    nn.Sequential(conv).apply(weights_init)
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert (conv.bias == 0).all()


@pytest.mark.parametrize("mode", ["channel", "projection"])
def test_conditional_d_depends_on_label(mode):
    torch.manual_seed(0)
    cfg = tiny(image_size=32, channels=1, num_classes=10, cond_mode=mode)
    D = Discriminator(cfg).eval()
    x = torch.randn(4, 1, 32, 32)
    a = D(x, torch.zeros(4, dtype=torch.long))
    b = D(x, torch.full((4,), 7, dtype=torch.long))
    assert (a - b).abs().min() > 1e-6
    if mode == "projection":  # phi(x) does not see the label; only the projection term does
        assert torch.equal(D.features(x, torch.zeros(4, dtype=torch.long)), D.features(x))


def test_conditional_g_depends_on_label():
    torch.manual_seed(0)
    G = Generator(tiny(image_size=28, channels=1, num_classes=10)).eval()
    z = G.sample_latent(3, generator=torch.Generator().manual_seed(1))
    a = G(z, torch.tensor([0, 0, 0]))
    b = G(z, torch.tensor([5, 5, 5]))
    assert (a - b).abs().max() > 1e-4


def test_label_misuse_is_loud():
    G, D = build_models(tiny(image_size=32, channels=3, num_classes=3))
    z = G.sample_latent(2)
    with pytest.raises(ValueError, match="conditional"):
        G(z)
    with pytest.raises(ValueError, match="labels must have shape"):
        G(z, torch.tensor([0, 1, 2]))
    G0, D0 = build_models(tiny(image_size=32, channels=3))
    with pytest.raises(ValueError, match="unconditional"):
        G0(z, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"\(B, 3, 32, 32\)"):
        D0(torch.zeros(2, 3, 64, 64))


def test_sample_latent_is_seeded_and_standard_normal():
    G = Generator(tiny(image_size=32, channels=3, latent_dim=64))
    a = G.sample_latent(4, generator=torch.Generator().manual_seed(3))
    b = G.sample_latent(4, generator=torch.Generator().manual_seed(3))
    assert a.shape == (4, 64) and torch.equal(a, b)
    big = G.sample_latent(4000, generator=torch.Generator().manual_seed(0))
    assert big.mean().abs() < 0.01 and big.std().item() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    "kw,bad",
    [
        (dict(image_size=48), "48"),
        (dict(image_size=64.0), "64.0"),
        (dict(channels=2), "channels"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(latent_dim=513), "513"),
        (dict(g_features=4), "g_features"),
        (dict(d_features=512), "d_features"),
        (dict(num_classes=-1), "num_classes"),
        (dict(num_classes=1001), "1001"),
        (dict(embed_dim=0), "embed_dim"),
        (dict(d_norm="spectral"), "spectral"),
        (dict(cond_mode="concat"), "concat"),
        (dict(channels=True), "True"),
    ],
)
def test_validation_names_bad_value(kw, bad):
    with pytest.raises(ValueError, match=bad):
        DCGANConfig(**kw)


def test_dict_round_trip_and_unknown_keys():
    cfg = DCGANConfig(
        image_size=28, channels=1, num_classes=10, cond_mode="channel", d_norm="layer"
    )
    d = json.loads(json.dumps(cfg.to_dict()))
    assert DCGANConfig.from_dict(d) == cfg
    with pytest.raises(ValueError, match="ngf"):
        DCGANConfig.from_dict({**d, "ngf": 64})
    with pytest.raises(ValueError, match="1000000"):
        DCGANConfig.from_dict({**d, "num_classes": 1_000_000})


def test_num_parameters_known_values_and_refusal():
    # pytorch/examples dcgan at 64 px RGB, nz=100, ngf=ndf=64: G 3,576,704 + our last-layer
    # bias (3); D 2,765,568 + first-conv bias (64) + head bias (1)
    n = DCGANConfig(image_size=64, channels=3, latent_dim=100, g_features=64, d_features=64)
    assert n.num_parameters()["generator"] == 3_576_704 + 3
    assert n.num_parameters()["discriminator"] == 2_765_568 + 64 + 1
    huge = DCGANConfig(image_size=128, channels=3, latent_dim=512, g_features=256, d_features=256)
    assert huge.num_parameters()["total"] > 300_000_000
    with pytest.raises(ValueError, match="over the limit"):
        build_models(huge, max_parameters=50_000_000)  # refused before allocating ~1.3 GB


def test_one_training_step_changes_both():
    torch.manual_seed(0)
    cfg = tiny(image_size=28, channels=1, num_classes=10, d_norm="layer")
    G, D = build_models(cfg)
    y = torch.arange(8) % 10
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    before = [p.detach().clone() for p in D.parameters()]
    loss = D(G(G.sample_latent(8), y).detach(), y).mean() - D(real, y).mean()
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    assert all(p.grad is not None for p in D.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, D.parameters(), strict=True))
