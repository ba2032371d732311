"""Stabilizers (issue 14, part 2): each one checked for what it does, not only that it runs."""

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from gancore.data.toy import ToySource, get_toy
from gancore.io.checkpoint import save_checkpoint
from gancore.io.hub import load_checkpoint
from gancore.models.dcgan import DCGANConfig, build_models
from gancore.models.layers import append_minibatch_std
from gancore.models.mlp import MLPConfig, MLPDiscriminator, MLPGenerator
from gancore.presets.image import IMAGE_PRESETS
from gancore.presets.toy import PRESETS, build_from_preset
from gancore.seeding import set_seed
from gancore.train import diffaugment
from gancore.train.stabilizers import (
    STABILIZERS,
    STRUCTURAL,
    noise_sigma,
    per_sample,
    zero_centred_penalty,
)
from gancore.train.trainer import TrainConfig, Trainer
from gancore.train.unroll import lookahead

ROOT = Path(__file__).resolve().parents[1]
TINY = MLPConfig(latent_dim=2, g_hidden_layers=1, g_width=16, d_hidden_layers=1, d_width=16)


def toy_trainer(seed=0, model=TINY, discriminator=None, **train):
    train.setdefault("batch_size", 32)
    cfg = TrainConfig(seed=seed, **train)
    set_seed(seed)
    G = MLPGenerator(model)
    D = discriminator or MLPDiscriminator(model, pack=cfg.pack, minibatch_std=cfg.minibatch_std)
    return Trainer(G, D, ToySource(get_toy("ring8"), seed=seed + 1), cfg)


class LinearD(nn.Module):
    """D(x) = w . x + b (+ e[y] when conditional): grad_x D = w everywhere."""

    def __init__(self, dim=2, num_classes=0):
        super().__init__()
        self.num_classes = num_classes
        self.w = nn.Parameter(torch.tensor([0.7, -1.3, 0.4][:dim]))
        self.b = nn.Parameter(torch.tensor(0.2))
        self.e = (
            nn.Parameter(torch.arange(num_classes, dtype=torch.float32)) if num_classes else None
        )

    def forward(self, x, y=None):
        out = x.flatten(1) @ self.w + self.b
        return out if y is None else out + self.e[y]


class Images:
    """Random labelled 28 px images in [-1, 1], seeded: a data source for image tests."""

    def __init__(self, channels=1, seed=0, labels=True):
        self.g = torch.Generator().manual_seed(seed)
        self.channels, self.labels = channels, labels

    def next_batch(self, n):
        x = torch.rand((n, self.channels, 28, 28), generator=self.g) * 2 - 1
        return x, (torch.randint(10, (n,), generator=self.g) if self.labels else None)

    def state_dict(self):
        return {"rng": self.g.get_state()}

    def load_state_dict(self, state):
        self.g.set_state(state["rng"])


def image_trainer(seed=0, conditional=True, cond_mode="projection", **train):
    train.setdefault("batch_size", 8)
    cfg = TrainConfig(seed=seed, **train)
    model = DCGANConfig(
        image_size=28,
        channels=1,
        latent_dim=8,
        g_features=8,
        d_features=8,
        embed_dim=4,
        num_classes=10 if conditional else 0,
        cond_mode=cond_mode,
    )
    set_seed(seed)
    G, D = build_models(model, pack=cfg.pack, minibatch_std=cfg.minibatch_std)
    return Trainer(G, D, Images(seed=seed + 1, labels=conditional), cfg)


def weights(*modules):
    return [p.detach().clone() for m in modules for p in m.parameters()]


# --- the knobs ------------------------------------------------------------------------------


def test_every_knob_is_a_config_field_with_its_default_and_one_line_help():
    defaults = TrainConfig()
    assert set(STABILIZERS) <= {f.name for f in dataclasses.fields(TrainConfig)}
    for name, knob in STABILIZERS.items():
        assert getattr(defaults, name) == knob.default, name
        assert knob.what and "\n" not in knob.what and knob.paper
    assert set(STRUCTURAL) == {"spectral_norm", "pack", "minibatch_std"}
    # JSON round trip keeps them
    cfg = TrainConfig(r1_gamma=2.0, pack=4, diffaugment="cutout,color", batch_size=64)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"r1_gamma": -1.0}, "r1_gamma must be a number in [0.0, 10000.0]"),
        ({"r2_gamma": float("nan")}, "r2_gamma"),
        ({"reg_every": 0}, "reg_every must be an integer in [1, 1000]"),
        ({"instance_noise": 11.0}, "instance_noise must be a number in [0.0, 10.0]"),
        ({"instance_noise_steps": -1}, "instance_noise_steps"),
        ({"pack": 0}, "pack must be an integer in [1, 16]"),
        ({"pack": 3}, "pack must divide batch_size"),
        ({"unroll_steps": 21}, "unroll_steps must be an integer in [0, 20]"),
        ({"spectral_norm": 1}, "spectral_norm must be true or false"),
        ({"minibatch_std": "yes"}, "minibatch_std must be true or false"),
        ({"diffaugment": "blur"}, "diffaugment must be '' or a comma-separated subset"),
        ({"diffaugment": "color,color"}, "without repeats"),
    ],
)
def test_bad_values_name_the_field_and_its_range(change, needle):
    with pytest.raises(ValueError) as err:
        TrainConfig(batch_size=32, **change)
    assert needle in str(err.value)


def test_a_discriminator_built_without_packing_is_refused_for_a_packing_config():
    with pytest.raises(ValueError, match="built with pack=1"):
        toy_trainer(pack=2, discriminator=MLPDiscriminator(TINY))
    with pytest.raises(ValueError, match="built with minibatch_std=False"):
        toy_trainer(minibatch_std=True, discriminator=MLPDiscriminator(TINY))


# --- R1 / R2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("num_classes", [0, 3])
def test_r1_is_half_gamma_times_squared_gradient_norm_on_a_linear_d(num_classes):
    D = LinearD(num_classes=num_classes)
    x = torch.randn(16, 2)
    y = torch.arange(16) % 3 if num_classes else None
    penalty = zero_centred_penalty(D, x, y, gamma=3.0)
    w2 = float((D.w.detach() ** 2).sum())  # ||grad_x (w.x + b)||^2 = ||w||^2 for every sample
    assert penalty.item() == pytest.approx(1.5 * w2, rel=1e-6)
    (grad_w,) = torch.autograd.grad(penalty, D.w)
    assert torch.allclose(grad_w, 3.0 * D.w)  # d/dw gamma/2 ||w||^2


@pytest.mark.parametrize("which", ["r1_gamma", "r2_gamma"])
def test_the_trainer_adds_the_penalty_gradient_lazily(which):
    # one SGD D step: the penalty adds gamma * reg_every * w to D's gradient on due steps only;
    # the WGAN loss's own gradient (mean fake - mean real) does not depend on w
    lr, gamma = 0.1, 0.5

    def d_step(**extra):
        tr = toy_trainer(
            discriminator=LinearD(),
            optimizer_d="sgd",
            lr_d=lr,
            loss="wgan",
            clip_value=100.0,
            **extra,
        )
        w0 = tr.discriminator.w.detach().clone()
        out = []
        for _ in range(2):
            tr.step(update_g=False)
            out.append(tr.discriminator.w.detach().clone())
        return w0, out

    w0, plain = d_step()
    _, every = d_step(**{which: gamma})
    _, lazy = d_step(**{which: gamma, "reg_every": 2})
    assert torch.allclose(every[0] - plain[0], -lr * gamma * w0, atol=1e-6)
    assert torch.allclose(lazy[0] - plain[0], -lr * gamma * 2 * w0, atol=1e-6)
    # round 2 (D step 1) is not due: the lazy run's step matches the plain one's from there
    assert torch.allclose(lazy[1] - lazy[0], plain[1] - plain[0], atol=1e-6)


def test_r1_trains_a_conditional_image_gan():
    tr = image_trainer(r1_gamma=1.0, r2_gamma=0.5, reg_every=2)
    for h in tr.run(steps=3):
        assert all(math.isfinite(v) for v in h.values())


# --- spectral norm -------------------------------------------------------------------------------


def _sigma_max(weight):
    return torch.linalg.matrix_norm(weight.detach().reshape(weight.shape[0], -1), ord=2).item()


@pytest.mark.parametrize("kind", ["mlp", "dcgan"])
def test_spectral_norm_holds_every_d_weight_at_singular_value_one(kind):
    tr = toy_trainer(spectral_norm=True) if kind == "mlp" else image_trainer(spectral_norm=True)
    D = tr.discriminator
    layers = [m for m in D.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    # raw weights are far from norm 1 (the DCGAN init is N(0, 0.02), the MLP's is not either)
    assert all(abs(_sigma_max(m.parametrizations.weight.original) - 1) > 0.1 for m in layers)
    tr.run(steps=2)
    x = tr.data.next_batch(8)
    with torch.no_grad():
        for _ in range(30):  # power iterations: one per training-mode forward
            D(*x) if kind == "dcgan" else D(x[0])
    for m in layers:
        assert _sigma_max(m.weight) == pytest.approx(1.0, abs=0.02)


def test_spectral_norm_is_not_applied_twice_with_the_model_flag():
    model = dataclasses.replace(TINY, spectral_norm=True)
    tr = toy_trainer(model=model, spectral_norm=True)
    names = [n for n, _ in tr.discriminator.named_parameters()]
    assert all(n.count("parametrizations") == 1 for n in names if "weight" in n)


def test_checkpoint_round_trip_with_spectral_norm(tmp_path):
    trainer, _ = build_from_preset(
        "ring8", overrides=["train.spectral_norm=true", "train.batch_size=64"]
    )
    trainer.run(steps=5)
    preset = PRESETS["ring8"]
    config = {
        "kind": "toy",
        "model": preset["model"],
        "train": trainer.config.to_dict(),
        "data": preset["data"],
    }
    save_checkpoint(
        tmp_path / "ck",
        generator=trainer.generator,
        discriminator=trainer.discriminator,
        config=config,
    )
    loaded = load_checkpoint(str(tmp_path / "ck"))
    x = torch.randn(64, 2)
    D, D2 = trainer.discriminator.eval(), loaded.discriminator.eval()
    with torch.no_grad():
        assert torch.equal(D(x), D2(x))
    assert any("parametrizations" in k for k in D2.state_dict())


# --- instance noise --------------------------------------------------------------------------------


def test_instance_noise_sigma_falls_linearly_to_zero():
    assert [noise_sigma(0.4, 100, s) for s in (0, 25, 50, 100, 150)] == pytest.approx(
        [0.4, 0.3, 0.2, 0.0, 0.0]
    )
    assert noise_sigma(0.4, 0, 10**6) == 0.4  # no anneal: constant
    # a floor: it falls as before until it reaches the floor, then stays there
    assert [noise_sigma(0.4, 100, s, 0.1) for s in (0, 25, 50, 75, 100, 10**6)] == pytest.approx(
        [0.4, 0.3, 0.2, 0.1, 0.1, 0.1]
    )


def test_instance_noise_floor_is_what_d_reads_late_and_is_checked():
    tr = toy_trainer(instance_noise=0.4, instance_noise_steps=100, instance_noise_floor=0.05)
    zeros = torch.zeros(20000, 2)
    tr.step_count = 10_000
    real, fake = tr.stab.d_inputs(zeros, zeros)
    for t in (real, fake, tr.stab.g_input(zeros)):
        assert t.std().item() == pytest.approx(0.05, rel=0.03)
    # without an annealed noise, the floor is constant noise
    assert noise_sigma(0.0, 0, 10**6, 0.2) == 0.2 and noise_sigma(0.0, 100, 50, 0.2) == 0.2
    plain = toy_trainer(instance_noise_floor=0.2)
    assert plain.stab.active
    assert plain.stab.g_input(zeros).std().item() == pytest.approx(0.2, rel=0.03)
    with pytest.raises(ValueError, match=r"instance_noise_floor must be a number in \[0.0, 10.0\]"):
        TrainConfig(instance_noise=0.1, instance_noise_floor=-1.0)


def test_instance_noise_added_to_real_and_fake_has_the_annealed_std():
    tr = toy_trainer(instance_noise=0.4, instance_noise_steps=100)
    zeros = torch.zeros(20000, 2)
    for step, want in ((0, 0.4), (50, 0.2), (100, 0.0)):
        tr.step_count = step
        real, fake = tr.stab.d_inputs(zeros, zeros)
        for t in (real, fake, tr.stab.g_input(zeros)):
            assert t.std().item() == pytest.approx(want, rel=0.03, abs=1e-9)
        if want:
            assert not torch.equal(real, fake)  # independent noise for real and fake


# --- packing ------------------------------------------------------------------------------------


def test_packing_shapes_and_what_d_reads():
    D = MLPDiscriminator(TINY, pack=4)
    assert D.net[0].in_features == 4 * 2
    x = torch.randn(32, 2)
    assert D(x).shape == (8,)
    # pack i is samples 4i .. 4i+3 side by side
    assert torch.allclose(D(x)[1], D.net(x[4:8].reshape(1, 8)).squeeze())
    assert per_sample(D, x).shape == (32,)
    with pytest.raises(ValueError, match="multiple of 4"):
        D(torch.randn(30, 2))

    cfg = DCGANConfig(image_size=28, channels=1, latent_dim=8, g_features=8, d_features=8)
    for cond in ({}, {"num_classes": 10, "cond_mode": "channel"}, {"num_classes": 10}):
        c = dataclasses.replace(cfg, **cond)
        _, D = build_models(c, pack=2)
        first = D.main[0]
        assert first.in_channels == 2 * (1 + (cond.get("cond_mode") == "channel"))
        y = torch.arange(6) % 10 if cond else None
        assert D(torch.randn(6, 1, 28, 28), y).shape == (3,)
        assert D.features(torch.randn(5, 1, 28, 28), None if not cond else y[:5]).shape[0] == 5


def test_a_packed_toy_run_trains_and_its_probes_work():
    tr = toy_trainer(pack=2, batch_size=64)
    h = tr.run(steps=3)[-1]
    assert all(math.isfinite(v) for v in h.values())
    from gancore.explore.probes import discriminator_values, fake_gradients

    pts = np.random.default_rng(0).normal(size=(7, 2))
    assert discriminator_values(tr.discriminator, pts, tr.spec).shape == (7,)
    assert fake_gradients(tr.discriminator, pts, tr.spec).shape == (7, 2)


# --- minibatch standard deviation ---------------------------------------------------------------


def test_minibatch_std_feature_is_the_batch_std():
    h = torch.randn(10, 5, dtype=torch.float64) * torch.arange(1, 6)
    out = append_minibatch_std(h)
    want = np.std(h.numpy(), axis=0, ddof=0).mean()
    assert out.shape == (10, 6) and torch.equal(out[:, :5], h)
    assert np.allclose(out[:, 5].numpy(), want, rtol=1e-6)
    maps = torch.randn(6, 3, 4, 4, dtype=torch.float64)
    out = append_minibatch_std(maps)
    assert out.shape == (6, 4, 4, 4)
    assert np.allclose(out[:, 3].numpy(), np.std(maps.numpy(), axis=0).mean(), rtol=1e-6)


def test_minibatch_std_makes_d_see_the_whole_batch():
    x = torch.randn(16, 2)
    moved = x.clone()
    moved[0] += 5.0
    for mbstd, coupled in ((False, False), (True, True)):
        set_seed(0)
        D = MLPDiscriminator(TINY, minibatch_std=mbstd)
        assert D.net[-1].in_features == 16 + mbstd
        with torch.no_grad():
            changed = not torch.allclose(D(x)[1:], D(moved)[1:])
        assert changed == coupled
    _, D = build_models(
        DCGANConfig(image_size=28, channels=1, latent_dim=8, g_features=8, d_features=8),
        minibatch_std=True,
    )
    assert D.head.in_channels == 16 + 1 and D(torch.randn(4, 1, 28, 28)).shape == (4,)


# --- DiffAugment --------------------------------------------------------------------------------


def test_diffaugment_gives_real_and_fake_the_same_transform():
    tr = image_trainer(diffaugment="translation,cutout,color")
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    real, fake = tr.stab.d_inputs(x, x.clone())
    assert torch.equal(real, fake)  # the same draw for sample i of either batch
    assert not torch.equal(real, x)  # and something was done
    again, _ = tr.stab.d_inputs(x, x)
    assert not torch.equal(again, real)  # a fresh draw every D step
    # the same generator state gives the same draw
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    p1 = diffaugment.draw(diffaugment.POLICIES, x, generator=g1)
    p2 = diffaugment.draw(diffaugment.POLICIES, x, generator=g2)
    assert all(torch.equal(p1[k], p2[k]) for k in p1)


def test_translation_moves_a_pixel_and_cutout_blanks_half_the_side():
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 3, 4] = 1.0
    out = diffaugment.apply(x, {"shift": torch.tensor([[1, -2]])})
    assert out[0, 0, 4, 2] == 1.0 and out.sum() == 1.0
    off = diffaugment.apply(x, {"shift": torch.tensor([[5, 0]])})  # shifted out of the image
    assert off.sum() == 0.0
    ones = torch.ones(1, 1, 8, 8)
    cut = diffaugment.apply(
        ones, {"cut_from": torch.tensor([[2, 2]]), "cut_size": torch.tensor([[4, 4]])}
    )
    assert cut.sum() == 64 - 16 and cut[0, 0, 2:6, 2:6].sum() == 0
    drawn = diffaugment.draw(("translation", "cutout"), torch.zeros(1000, 1, 32, 32))
    assert drawn["shift"].abs().max() == 4 and drawn["shift"].min() == -4  # 1/8 of 32
    assert (drawn["cut_size"] == 16).all()


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "translation,cutout,color"])
def test_diffaugment_is_differentiable(policy):
    x = (torch.rand(2, 3, 6, 6, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    params = diffaugment.draw(
        diffaugment.parse_policy(policy), x, generator=torch.Generator().manual_seed(1)
    )
    assert torch.autograd.gradcheck(lambda t: diffaugment.apply(t, params), (x,))
    (grad,) = torch.autograd.grad(diffaugment.apply(x, params).square().sum(), x)
    assert grad.abs().sum() > 0


def test_diffaugment_needs_images():
    tr = toy_trainer()
    with pytest.raises(ValueError, match="image batches"):
        diffaugment.augment(torch.zeros(4, 2), "color")
    with pytest.raises(ValueError, match="applies to images"):
        build_from_preset("ring8", overrides=["train.diffaugment=color"])
    tr.update_config(r1_gamma=0.1)  # the toy trainer itself is fine


# --- unrolled D ------------------------------------------------------------------------------------


def _g_grads(tr, unrolled_params=None):
    G, D = tr.generator, tr.discriminator
    z = G.sample_latent(32, generator=torch.Generator().manual_seed(3))
    fake = G(z)
    out = D(fake) if unrolled_params is None else functional_call(D, unrolled_params, (fake,))
    G.zero_grad()
    tr.spec.g_loss(out).backward()
    return [p.grad.clone() for p in G.parameters()], fake


def test_unrolled_g_gradient_equals_plain_at_k0_and_differs_at_k2():
    tr = toy_trainer()
    tr.run(steps=3)  # D's Adam has moments to continue from
    plain, _ = _g_grads(tr)
    real = tr.data.next_batch(32)[0]

    def unrolled(k, second_order=True):
        G = tr.generator
        fake = G(G.sample_latent(32, generator=torch.Generator().manual_seed(3)))
        lookahead_fake = fake if second_order else fake.detach()
        params = lookahead(
            tr.discriminator,
            tr.spec.d_loss,
            [(real, None, lookahead_fake, None)] * k,
            lr=1e-2,
            adam=(0.5, 0.999, 1e-8),
            state={n: tr.opt_d.state[p] for n, p in tr.discriminator.named_parameters()},
        )
        return _g_grads(tr, params)[0]

    k0, k2, first_order = unrolled(0), unrolled(2), unrolled(2, second_order=False)
    assert all(torch.equal(a, b) for a, b in zip(plain, k0, strict=True))
    assert any((a - b).abs().max() > 1e-4 for a, b in zip(plain, k2, strict=True))
    # differentiating through the look-ahead adds G's influence on D's reply
    assert any((a - b).abs().max() > 1e-6 for a, b in zip(first_order, k2, strict=True))


def test_the_trainer_unrolls_g_updates_only_when_asked():
    def g_update(**extra):
        tr = toy_trainer(optimizer_g="sgd", lr_g=0.1, **extra)
        tr.run(steps=2)
        before = weights(tr.generator)
        tr.step(update_d=False)
        return [a - b for a, b in zip(weights(tr.generator), before, strict=True)]

    plain, k0, k3 = g_update(), g_update(unroll_steps=0), g_update(unroll_steps=3)
    assert all(torch.equal(a, b) for a, b in zip(plain, k0, strict=True))
    assert any((a - b).abs().max() > 1e-6 for a, b in zip(plain, k3, strict=True))


# --- the Trainer with stabilizers on ------------------------------------------------------------

ALL_TOY = dict(
    r1_gamma=0.5,
    r2_gamma=0.1,
    reg_every=2,
    spectral_norm=True,
    instance_noise=0.1,
    instance_noise_steps=50,
    pack=2,
    minibatch_std=True,
    unroll_steps=1,
)


def test_same_seed_same_run_with_every_stabilizer_on():
    a, b = toy_trainer(seed=3, **ALL_TOY), toy_trainer(seed=3, **ALL_TOY)
    assert a.run(steps=6) == b.run(steps=6)
    assert all(
        torch.equal(x, y)
        for x, y in zip(
            weights(a.generator, a.discriminator),
            weights(b.generator, b.discriminator),
            strict=True,
        )
    )
    c = toy_trainer(seed=4, **ALL_TOY)
    assert c.run(steps=6) != toy_trainer(seed=3, **ALL_TOY).run(steps=6)
    imgs = [
        image_trainer(seed=1, diffaugment="translation,cutout,color", pack=2, r1_gamma=1.0)
        for _ in range(2)
    ]
    assert imgs[0].run(steps=2) == imgs[1].run(steps=2)


def test_resume_is_bit_exact_with_stabilizers_on():
    straight = toy_trainer(**ALL_TOY)
    straight.run(steps=6)
    first = toy_trainer(**ALL_TOY)
    first.run(steps=3)
    state = first.state_dict()
    second = toy_trainer(**ALL_TOY)
    second.load_state_dict(state)
    second.run(steps=3)
    assert second.history == straight.history


def test_live_edits_change_penalties_and_noise_but_not_d_shape():
    tr = toy_trainer()
    tr.run(steps=1)
    tr.update_config(r1_gamma=1.0, instance_noise=0.2, instance_noise_steps=10, unroll_steps=1)
    assert tr.config.r1_gamma == 1.0 and tr.stab.active
    tr.run(steps=2)
    for change in ({"pack": 2}, {"spectral_norm": True}, {"minibatch_std": True}):
        with pytest.raises(ValueError, match="shapes the discriminator"):
            tr.update_config(**change)
    other = toy_trainer(pack=2)
    with pytest.raises(ValueError, match="saved run has pack=1"):
        other.load_state_dict(tr.state_dict())


def test_ttur_preset_has_a_faster_discriminator():
    for preset in (IMAGE_PRESETS["dcgan-mnist-ttur"],):
        train = preset["train"]
        assert train["lr_d"] > train["lr_g"] and "TTUR" in preset["description"]
    assert IMAGE_PRESETS["dcgan-mnist-ttur"]["train"]["lr_d"] == 4e-4
    assert IMAGE_PRESETS["dcgan-mnist-ttur"]["train"]["lr_g"] == 1e-4


# --- the command line ---------------------------------------------------------------------------


def gancore(*args):
    return subprocess.run(
        [sys.executable, "-m", "gancore", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_trains_with_stabilizers_and_rejects_a_bad_value(tmp_path):
    sets = [
        "train.r1_gamma=1",
        "train.pack=2",
        "train.spectral_norm=true",
        "train.instance_noise=0.05",
    ]
    args = ["train", "grid25", "--max-steps", "20", "--out", str(tmp_path / "run")]
    proc = gancore(*args, *[a for s in sets for a in ("--set", s)])
    assert proc.returncode == 0, proc.stderr
    assert '"step": 20' in proc.stdout
    sample = gancore("sample", str(tmp_path / "run"), "-n", "10", "--out", str(tmp_path / "s.npz"))
    assert sample.returncode == 0, sample.stderr  # the checkpoint loads with its packed, SN D
    for bad, needle in (
        ("train.r1_gamma=-1", "r1_gamma must be a number in [0.0, 10000.0]"),
        ("train.pack=3", "pack must divide batch_size"),
    ):
        proc = gancore(
            "train", "grid25", "--max-steps", "5", "--set", bad, "--out", str(tmp_path / "x")
        )
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and needle in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
