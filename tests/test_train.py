import contextlib
import io
import json
import math

import pytest
import torch
from torch import nn

from gancore.data.toy import ToySource, get_toy
from gancore.models.mlp import MLPConfig, MLPDiscriminator, MLPGenerator
from gancore.seeding import set_seed
from gancore.train.losses import LOSSES
from gancore.train.trainer import DivergedError, TrainConfig, Trainer

TINY = MLPConfig(latent_dim=2, g_hidden_layers=1, g_width=16, d_hidden_layers=1, d_width=16)


def make(seed=0, model=TINY, model_seed=None, **train):
    train.setdefault("batch_size", 32)
    cfg = TrainConfig(seed=seed, **train)
    set_seed(seed if model_seed is None else model_seed)
    G, D = MLPGenerator(model), MLPDiscriminator(model)
    return Trainer(G, D, ToySource(get_toy("ring8"), seed=seed + 1), cfg)


def params(trainer):
    return [
        p.detach().clone()
        for m in (trainer.generator, trainer.discriminator)
        for p in m.parameters()
    ]


def assert_same_params(a, b):
    assert len(a) == len(b)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_each_loss_trains_five_finite_steps(loss):
    tr = make(loss=loss, d_steps=2)
    before = params(tr)
    hist = tr.run(steps=5)
    assert [h["step"] for h in hist] == [1, 2, 3, 4, 5] and tr.step_count == 5
    for h in hist:
        assert all(math.isfinite(v) for v in h.values())
        assert h["grad_norm_d"] > 0 and h["grad_norm_g"] > 0
    assert ("wasserstein" in hist[-1]) == LOSSES[loss].wasserstein
    if LOSSES[loss].probabilities:
        assert 0 < hist[-1]["d_real"] < 1 and 0 < hist[-1]["d_fake"] < 1
    # every weight matrix moved (a last-layer bias may not: hinge/WGAN gradients cancel there)
    moved = [not torch.equal(x, y) for x, y in zip(before, params(tr), strict=True) if x.dim() == 2]
    assert all(moved)


def test_gradient_norms_match_torch():
    # the norms combined on the host equal torch's total norm of the last update's gradients
    tr = make(loss="non_saturating")
    h = tr.run(steps=3)[-1]
    for key, net in (("grad_norm_d", tr.discriminator), ("grad_norm_g", tr.generator)):
        expected = nn.utils.get_total_norm([p.grad for p in net.parameters()]).item()
        assert h[key] == pytest.approx(expected, rel=1e-5) and expected > 0


def test_reported_metrics_are_consistent():
    tr = make(loss="non_saturating")
    h = tr.step()
    assert h["d_loss"] == pytest.approx(2 * math.log(2), abs=0.2)  # D starts near chance
    assert h["g_loss"] == pytest.approx(math.log(2), abs=0.2)
    assert "wasserstein" not in h
    tr = make(loss="wgan", clip_value=0.01)
    h = tr.step()
    assert h["wasserstein"] == pytest.approx(h["d_real"] - h["d_fake"])
    assert h["d_loss"] == pytest.approx(h["d_fake"] - h["d_real"], abs=1e-6)


def test_wgan_clips_critic_weights():
    tr = make(loss="wgan", clip_value=0.003, lr_d=0.1)
    tr.run(steps=2)
    assert max(p.abs().max().item() for p in tr.discriminator.parameters()) <= 0.003 + 1e-9


def test_same_seed_same_history_and_params():
    a, b = (
        make(seed=3, loss="wgan_gp", d_steps=2, ema_decay=0.9),
        make(seed=3, loss="wgan_gp", d_steps=2, ema_decay=0.9),
    )
    a.run(steps=6)
    b.run(steps=6)
    assert a.history == b.history
    assert_same_params(params(a), params(b))
    c = make(seed=4, loss="wgan_gp", d_steps=2, ema_decay=0.9)
    c.run(steps=6)
    assert c.history != a.history


@pytest.mark.parametrize(
    "train",
    [
        dict(loss="non_saturating", ema_decay=0.9),
        dict(loss="wgan_gp", d_steps=3, optimizer_g="rmsprop", optimizer_d="sgd", momentum=0.9),
    ],
)
def test_resume_is_bit_exact(train):
    straight = make(seed=1, **train)
    straight.run(steps=20)

    first = make(seed=1, **train)
    first.run(steps=10)
    buf = io.BytesIO()
    torch.save(first.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)

    fresh = make(seed=99, model_seed=12345, **{**train, "lr_g": 0.5})  # different everything
    fresh.load_state_dict(state)
    fresh.run(steps=10)

    assert_same_params(params(straight), params(fresh))
    assert straight.history == fresh.history
    assert fresh.config == straight.config
    if straight.ema_generator is not None:
        for x, y in zip(
            straight.ema_generator.parameters(), fresh.ema_generator.parameters(), strict=True
        ):
            assert torch.equal(x, y)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(
        straight.sample(16, generator=g),
        fresh.sample(16, generator=torch.Generator().manual_seed(0)),
    )


def test_sampling_does_not_perturb_training():
    a, b = make(seed=2), make(seed=2)
    for _ in range(3):
        a.step()
        a.sample(10)
        a.sample(10, generator=torch.Generator().manual_seed(0))
        b.step()
    assert_same_params(params(a), params(b))


def test_update_config_mid_run():
    tr = make(lr_g=1e-3, lr_d=1e-3)
    tr.run(steps=3)
    opt_d = tr.opt_d
    state_before = {k: v["exp_avg"].clone() for k, v in tr.opt_d.state.items()}
    tr.update_config(
        lr_g=5e-4, lr_d=2e-3, betas_d=(0.0, 0.9), d_steps=2, batch_size=16, loss="hinge"
    )
    assert tr.opt_d is opt_d  # same optimizer: state kept
    assert tr.opt_g.param_groups[0]["lr"] == 5e-4
    assert tr.opt_d.param_groups[0]["lr"] == 2e-3 and tr.opt_d.param_groups[0]["betas"] == (
        0.0,
        0.9,
    )
    assert all(torch.equal(tr.opt_d.state[k]["exp_avg"], v) for k, v in state_before.items())
    batches = []
    orig = tr.data.next_batch
    tr.data.next_batch = lambda n: (batches.append(n), orig(n))[1]
    h = tr.step()
    assert batches == [16, 16] and h["step"] == 4  # two D steps of the new batch size
    tr.update_config(optimizer_g="sgd")
    assert isinstance(tr.opt_g, torch.optim.SGD) and tr.opt_g.param_groups[0]["lr"] == 5e-4
    tr.update_config(ema_decay=0.5)
    assert tr.ema_generator is not None
    tr.run(steps=2)
    with pytest.raises(ValueError, match="lr_g"):
        tr.update_config(lr_g=-1.0)
    assert tr.config.lr_g == 5e-4  # a rejected edit changes nothing
    with pytest.raises(ValueError, match="lr_gg"):
        tr.update_config(lr_gg=1.0)
    with pytest.raises(ValueError, match="seed"):
        tr.update_config(seed=5)


def test_divergence_from_huge_lr_restores_last_good_state():
    tr = make()
    tr.run(steps=3)
    good = params(tr)
    good_opt = [v.clone() for s in tr.opt_g.state.values() for v in s.values()]
    for opt in (tr.opt_g, tr.opt_d):
        opt.param_groups[0]["lr"] = 1e9  # bypasses TrainConfig's validation on purpose
    with pytest.raises(DivergedError) as err:
        tr.run(steps=5)
    assert err.value.step == 4 and "step 3" in str(err.value)
    assert tr.step_count == 3 and len(tr.history) == 3
    assert_same_params(good, params(tr))
    after_opt = [v for s in tr.opt_g.state.values() for v in s.values()]
    assert all(torch.equal(x, y) for x, y in zip(good_opt, after_opt, strict=True))
    # lower the rate and carry on from the good state
    tr.update_config(lr_g=1e-3, lr_d=1e-3)
    tr.run(steps=2)
    assert tr.step_count == 5


def test_injected_nan_is_caught_and_rolled_back():
    tr = make()
    tr.run(steps=2)
    good = params(tr)
    with torch.no_grad():
        next(tr.generator.parameters())[0, 0] = float("nan")
    with pytest.raises(DivergedError, match="g_loss|d_fake|G parameters"):
        tr.step()
    assert_same_params(good, params(tr))
    assert all(torch.isfinite(p).all() for p in params(tr))


def test_divergence_on_first_step_drops_new_optimizer_state():
    tr = make()
    with torch.no_grad():
        next(tr.discriminator.parameters())[0, 0] = float("inf")
    with pytest.raises(DivergedError):
        tr.step()
    assert len(tr.opt_d.state) == 0 and len(tr.opt_g.state) == 0


def test_run_bounds_and_callbacks():
    tr = make()
    seen = []
    tr.add_callback("on_step_end", lambda t, m: seen.append(m["step"]))
    tr.run(steps=4)
    assert seen == [1, 2, 3, 4]
    out = tr.run(seconds=0.2)
    assert len(out) >= 1 and tr.step_count == 4 + len(out)
    stop_at = tr.step_count + 3
    tr.add_callback("on_step_end", lambda t, m: t.request_stop() if m["step"] >= stop_at else None)
    tr.run(steps=100)
    assert tr.step_count == stop_at
    with pytest.raises(ValueError, match="steps=, seconds="):
        tr.run()
    with pytest.raises(ValueError, match="on_stepend"):
        tr.add_callback("on_stepend", print)


def test_sample_uses_ema_in_eval_mode_and_restores_mode():
    tr = make(ema_decay=0.5)
    tr.run(steps=3)
    g = torch.Generator().manual_seed(0)
    out = tr.sample(8, generator=g)
    z = tr.generator.sample_latent(8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(out, tr.ema_generator(z))
        assert not torch.equal(out, tr.generator(z))
    assert tr.generator.training


class CondG(nn.Module):
    """A tiny conditional image generator: (B, 4) + label -> (B, 1, 4, 4)."""

    def __init__(self, k=3):
        super().__init__()
        self.latent_dim, self.num_classes = 4, k
        self.emb = nn.Embedding(k, 4)
        self.net = nn.Linear(4, 16)

    def sample_latent(self, n, *, generator=None, device=None):
        return torch.randn(n, 4, generator=generator, device=device)

    def forward(self, z, y=None):
        return torch.tanh(self.net(z + self.emb(y))).view(-1, 1, 4, 4)


class CondD(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.num_classes = k
        self.emb = nn.Embedding(k, 16)
        self.net = nn.Linear(16, 1)
        self.labels_seen = []

    def forward(self, x, y=None):
        self.labels_seen.append(y)
        h = x.flatten(1) + self.emb(y)
        return self.net(h).squeeze(-1)


class LabelledImages:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def next_batch(self, n):
        y = torch.randint(3, (n,), generator=self.g)
        return torch.rand(n, 1, 4, 4, generator=self.g) * 2 - 1, y

    def state_dict(self):
        return {"g": self.g.get_state()}

    def load_state_dict(self, s):
        self.g.set_state(s["g"])


@pytest.mark.parametrize("loss", ["hinge", "wgan_gp"])
def test_conditional_image_models_use_the_same_trainer(loss):
    torch.manual_seed(0)
    D = CondD()
    tr = Trainer(CondG(), D, LabelledImages(0), TrainConfig(loss=loss, batch_size=8))
    h = tr.run(steps=3)
    assert all(math.isfinite(v) for v in h[-1].values())
    assert all(y is not None and y.shape == (8,) and y.max() < 3 for y in D.labels_seen)
    x = tr.sample(6, y=torch.tensor([0, 1, 2, 0, 1, 2]))
    assert x.shape == (6, 1, 4, 4)
    assert tr.sample(5).shape == (5, 1, 4, 4)  # labels drawn when not given


def test_conditional_model_needs_labels():
    tr = Trainer(CondG(), CondD(), ToySource(get_toy("ring8"), 0), TrainConfig(batch_size=4))
    with pytest.raises(ValueError, match="labelled"):
        tr.step()
    with pytest.raises(ValueError, match="classes"):
        Trainer(CondG(3), CondD(4), LabelledImages(0), TrainConfig())


def test_train_config_json_roundtrip():
    cfg = TrainConfig(loss="wgan_gp", d_steps=5, betas_g=(0.0, 0.9), ema_decay=0.99, seed=7)
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.betas_g == (0.0, 0.9)


@pytest.mark.parametrize(
    "field, value",
    [
        ("lr_g", 0.0),
        ("lr_d", -1e-3),
        ("lr_g", 11.0),
        ("lr_d", float("nan")),
        ("batch_size", 0),
        ("batch_size", 65537),
        ("d_steps", 101),
        ("d_steps", 0),
        ("g_steps", 1.5),
        ("loss", "vanilla"),
        ("optimizer_g", "adamw"),
        ("betas_d", (0.5, 1.0)),
        ("betas_g", (0.5,)),
        ("ema_decay", 1.0),
        ("clip_value", 0.0),
        ("gp_lambda", -1.0),
        ("seed", -3),
    ],
)
def test_train_config_validation_names_the_value(field, value):
    with pytest.raises(ValueError, match=field) as err:
        TrainConfig(**{field: value})
    assert repr(value) in str(err.value)


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig.from_dict({"learning_rate": 0.1})


def test_lr_decay_is_geometric_and_resumable():
    tr = make(lr_g=1e-2, lr_d=2e-2, lr_decay_steps=4, lr_decay_factor=0.01)
    seen = []
    tr.add_callback("on_step_end", lambda t, m: seen.append(t.opt_g.param_groups[0]["lr"]))
    tr.run(steps=6)
    # the lr used in round r (1-based) is lr * factor ** min((r - 1) / 4, 1)
    expected = [1e-2 * 0.01 ** min(r / 4, 1) for r in range(6)]
    assert seen == pytest.approx(expected, rel=1e-12)
    assert tr.opt_d.param_groups[0]["lr"] == pytest.approx(2e-2 * 0.01)


def test_ema_warms_up_then_averages():
    tr = make(ema_decay=0.999)
    tr.step()  # first update uses decay min(0.999, 1/10): EMA is 90% the new generator
    g = list(tr.generator.parameters())
    e = list(tr.ema_generator.parameters())
    assert not torch.equal(g[0], e[0])
    tr2 = make(ema_decay=0.999)
    start = [p.detach().clone() for p in tr2.generator.parameters()]
    tr2.step()
    for s, gp, ep in zip(
        start, tr2.generator.parameters(), tr2.ema_generator.parameters(), strict=True
    ):
        torch.testing.assert_close(ep, s + 0.9 * (gp - s))


def test_step_d_only_and_g_only_update_just_that_network():
    from gancore.presets.toy import build_from_preset

    trainer, _ = build_from_preset("ring8", seed=0)
    trainer.run(steps=3)
    g0 = [p.detach().clone() for p in trainer.generator.parameters()]
    d0 = [p.detach().clone() for p in trainer.discriminator.parameters()]
    m = trainer.step(update_g=False)
    assert all(torch.equal(a, b) for a, b in zip(g0, trainer.generator.parameters(), strict=True))
    assert not all(
        torch.equal(a, b) for a, b in zip(d0, trainer.discriminator.parameters(), strict=True)
    )
    assert m["grad_norm_g"] == 0.0 and m["grad_norm_d"] > 0 and math.isfinite(m["g_loss"])
    d1 = [p.detach().clone() for p in trainer.discriminator.parameters()]
    m = trainer.step(update_d=False)
    assert all(
        torch.equal(a, b) for a, b in zip(d1, trainer.discriminator.parameters(), strict=True)
    )
    assert not all(
        torch.equal(a, b) for a, b in zip(g0, trainer.generator.parameters(), strict=True)
    )
    assert m["grad_norm_d"] == 0.0 and m["grad_norm_g"] > 0 and math.isfinite(m["d_loss"])
    assert trainer.step_count == 5
    with pytest.raises(ValueError, match="D, G or both"):
        trainer.step(update_d=False, update_g=False)


def test_mixed_precision_is_bf16_autocast_on_cuda_only():
    tr = make()
    assert tr.config.mixed_precision  # on by default: it applies where it can
    assert isinstance(tr._autocast(), contextlib.nullcontext)  # the CPU stays float32
    tr._bf16_device = True  # as on a bf16-capable GPU
    ctx = tr._autocast()
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.bfloat16
    tr.update_config(mixed_precision=False)
    assert isinstance(tr._autocast(), contextlib.nullcontext)
    with pytest.raises(ValueError, match="mixed_precision must be true or false"):
        TrainConfig(mixed_precision="yes")
    # configs saved before the field existed still load (it defaults on)
    old = TrainConfig().to_dict()
    del old["mixed_precision"]
    assert TrainConfig.from_dict(old).mixed_precision is True
