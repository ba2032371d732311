import math

import pytest
import torch
from torch import nn

from gancore.train import losses as L
from gancore.train.losses import LOSSES, clip_weights, gradient_penalty

LOG2 = math.log(2.0)


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_minimax_at_zero_logits_is_two_log_two():
    assert L.d_minimax(t(0.0, 0.0), t(0.0)).item() == pytest.approx(2 * LOG2)
    assert L.g_minimax(t(0.0)).item() == pytest.approx(-LOG2)  # log(1 - 1/2)
    assert L.g_non_saturating(t(0.0)).item() == pytest.approx(LOG2)  # -log(1/2)


def test_probability_losses_match_closed_form():
    real, fake = t(1.5, -0.3), t(-2.0, 0.7)
    dr, df = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -(torch.log(dr).mean() + torch.log(1 - df).mean())
    assert L.d_minimax(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-12)
    assert L.d_non_saturating(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-12)
    assert L.g_minimax(fake).item() == pytest.approx(torch.log(1 - df).mean().item(), rel=1e-12)
    assert L.g_non_saturating(fake).item() == pytest.approx(-torch.log(df).mean().item(), rel=1e-12)


def test_probability_losses_are_stable_at_extreme_logits():
    assert torch.isfinite(L.d_minimax(t(-200.0), t(200.0)))
    assert L.d_minimax(t(-200.0), t(200.0)).item() == pytest.approx(400.0)
    assert L.g_non_saturating(t(-100.0)).item() == pytest.approx(100.0)
    # the saturating loss is flat exactly where G is losing: its gradient vanishes
    x = t(-20.0).requires_grad_()
    L.g_minimax(x).backward()
    assert abs(x.grad.item()) < 1e-8


def test_least_squares_hand_computed():
    real, fake = t(1.0, 0.0), t(0.0, 2.0)
    # ½·mean((r-1)²) + ½·mean(f²) = ½·(0+1)/2 + ½·(0+4)/2
    assert L.d_least_squares(real, fake).item() == pytest.approx(0.25 + 1.0)
    assert L.g_least_squares(fake).item() == pytest.approx(0.5 * (1 + 1) / 2)


def test_hinge_hand_computed():
    real, fake = t(2.0, 0.5), t(-3.0, 0.0)
    # relu(1-r): 0, 0.5 -> 0.25 ; relu(1+f): 0, 1 -> 0.5
    assert L.d_hinge(real, fake).item() == pytest.approx(0.75)
    assert L.g_hinge(fake).item() == pytest.approx(1.5)


def test_wasserstein_hand_computed():
    real, fake = t(3.0, 1.0), t(-1.0, 0.0)
    assert L.d_wasserstein(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert L.g_wasserstein(fake).item() == pytest.approx(0.5)


def test_registry_flags():
    assert set(LOSSES) == {"minimax", "non_saturating", "least_squares", "hinge", "wgan", "wgan_gp"}
    assert LOSSES["wgan"].needs_clipping and not LOSSES["wgan"].needs_gp
    assert LOSSES["wgan_gp"].needs_gp and not LOSSES["wgan_gp"].needs_clipping
    assert LOSSES["wgan"].wasserstein and LOSSES["wgan_gp"].wasserstein
    assert not any(
        LOSSES[k].wasserstein for k in ("minimax", "non_saturating", "least_squares", "hinge")
    )
    for spec in LOSSES.values():
        assert spec.d_objective and spec.g_objective


def test_clip_weights():
    lin = nn.Linear(3, 3)
    with torch.no_grad():
        lin.weight.mul_(100)
    clip_weights(lin, 0.05)
    assert lin.weight.abs().max().item() == pytest.approx(0.05)
    assert lin.bias.abs().max().item() <= 0.05 + 1e-7  # float32 0.05


class Linear(nn.Module):
    """f(x) = <w, x> over all non-batch dimensions."""

    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, x, y=None):
        return (x * self.w).flatten(1).sum(1)


@pytest.mark.parametrize("shape", [(8, 2), (4, 1, 5, 5), (4, 3, 6, 6)])
def test_gradient_penalty_zero_for_unit_norm_linear_critic(shape):
    w = torch.randn(shape[1:], generator=torch.Generator().manual_seed(0))
    w = w / w.norm()
    real, fake = torch.randn(shape), torch.randn(shape)
    gp = gradient_penalty(Linear(w), real, fake)
    assert gp.item() == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("shape", [(8, 2), (4, 3, 6, 6)])
def test_gradient_penalty_known_linear_critic(shape):
    w = torch.full(shape[1:], 1.0)
    norm = w.norm().item()  # the gradient of <w, x> everywhere
    gp = gradient_penalty(Linear(w), torch.randn(shape), torch.randn(shape))
    assert gp.item() == pytest.approx((norm - 1) ** 2, rel=1e-5)


def test_gradient_penalty_interpolates_per_sample_and_is_differentiable():
    seen = {}

    class Quadratic(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.tensor(2.0))

        def forward(self, x, y=None):
            seen["x"], seen["y"] = x.detach().clone(), y
            return self.a * (x**2).flatten(1).sum(1)

    real = torch.zeros(6, 1, 2, 2)
    fake = torch.ones(6, 1, 2, 2)
    labels = torch.arange(6)
    critic = Quadratic()
    g = torch.Generator().manual_seed(0)
    gp = gradient_penalty(critic, real, fake, labels, generator=g)
    x = seen["x"]
    assert torch.equal(seen["y"], labels)
    # each sample is one alpha broadcast over C, H, W: all pixels equal, alpha differs by sample
    assert torch.all(x.flatten(1) == x.flatten(1)[:, :1])
    assert x.flatten(1)[:, 0].unique().numel() == 6
    gp.backward()
    assert critic.a.grad is not None and critic.a.grad.abs().item() > 0
    # same generator seed, same penalty
    gp2 = gradient_penalty(critic, real, fake, labels, generator=torch.Generator().manual_seed(0))
    assert gp2.item() == gp.item()
