"""GAN stabilizers the Trainer can switch on: what each does, its range, and the math.

Every knob is a TrainConfig field, described in ``STABILIZERS`` (one line for a page's help
text, its range, whether a live run can change it, and the paper). The pieces here are pure
functions on tensors and modules; the Trainer (gancore/train/trainer.py) calls them from its D and G
steps through :class:`Stabilizers`.

- R1 / R2 (Mescheder et al. 2018): gamma/2 * E||grad_x D(x)||^2 on real (R1) or fake (R2)
  inputs, lazily every ``reg_every`` D steps and then scaled by ``reg_every`` (Karras et al.
  2020, StyleGAN2). The gradient is taken with respect to the tensor D reads (after DiffAugment
  and instance noise), per D decision: with packing, one decision's gradient spans its m samples.
- Spectral normalization (Miyato et al. 2018) of every Linear / Conv layer of D.
- Instance noise (Sønderby et al. 2017): N(0, sigma^2) added to every input of D, real and
  fake, in D's and G's updates; sigma falls linearly to 0 over ``instance_noise_steps`` rounds,
  but never below ``instance_noise_floor``: a little noise that never goes
  away keeps damping G's late swings around each mode, as the Dirac-GAN analysis predicts
  (Mescheder et al. 2018: with noise the game converges, without it it circles).
- PacGAN (Lin et al. 2018): D decides on m samples at once (the D constructors' ``pack``).
- Minibatch standard deviation (Karras et al. 2018): one extra feature before D's last layer.
- Unrolled D (Metz et al. 2017): G's update sees D after k look-ahead steps (gancore/train/unroll.py).
- DiffAugment (Zhao et al. 2020): gancore/train/diffaugment.py.
- TTUR (Heusel et al. 2017): lr_d != lr_g, the preset ``dcgan-mnist-ttur``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call

from gancore.models.layers import MAX_PACK
from gancore.train import diffaugment
from gancore.train.unroll import lookahead


@dataclass(frozen=True)
class Knob:
    """One stabilizer setting: what it does (one line), its range and default, and whether a
    running Trainer can change it (``update_config``) or it changes D's architecture."""

    what: str
    low: float
    high: float
    default: Any
    live: bool = True
    paper: str = ""


STABILIZERS: dict[str, Knob] = {
    "r1_gamma": Knob(
        "R1 penalty: gamma/2 * E||grad D(x)||^2 on real data; D stays flat at the data, so "
        "training converges instead of circling (0 = off).",
        0.0,
        1e4,
        0.0,
        paper="Mescheder, Geiger & Nowozin 2018",
    ),
    "r2_gamma": Knob(
        "R2 penalty: the same zero-centred gradient penalty on G's samples (0 = off).",
        0.0,
        1e4,
        0.0,
        paper="Mescheder, Geiger & Nowozin 2018",
    ),
    "reg_every": Knob(
        "Lazy regularization: apply R1/R2 every N D steps, scaled by N (1 = every step).",
        1,
        1000,
        1,
        paper="Karras et al. 2020 (StyleGAN2)",
    ),
    "spectral_norm": Knob(
        "Spectral normalization: every D layer's largest singular value is held at 1, so D "
        "is 1-Lipschitz per layer and cannot become arbitrarily sharp.",
        0,
        1,
        False,
        live=False,
        paper="Miyato et al. 2018",
    ),
    "instance_noise": Knob(
        "Instance noise: Gaussian noise of this std added to everything D sees, real and "
        "fake, so the two distributions overlap early on (0 = off).",
        0.0,
        10.0,
        0.0,
        paper="Sønderby et al. 2017",
    ),
    "instance_noise_steps": Knob(
        "Rounds over which the instance noise falls linearly to 0 (0 = constant noise).",
        0,
        10**9,
        0,
        paper="Sønderby et al. 2017",
    ),
    "instance_noise_floor": Knob(
        "Noise floor: the instance noise never falls below this std, so late training keeps "
        "a little of its damping (0 = no floor; above the starting std it is constant noise).",
        0.0,
        10.0,
        0.0,
        paper="Sønderby et al. 2017; Mescheder et al. 2018",
    ),
    "pack": Knob(
        "PacGAN: D judges m samples at once, so a G that repeats itself is easy to spot "
        "(1 = off; the batch size must be a multiple of m).",
        1,
        MAX_PACK,
        1,
        live=False,
        paper="Lin et al. 2018",
    ),
    "minibatch_std": Knob(
        "Minibatch standard deviation: D's last layer also sees how varied the batch is, "
        "so a collapsed G is easy to spot.",
        0,
        1,
        False,
        live=False,
        paper="Karras et al. 2018",
    ),
    "unroll_steps": Knob(
        "Unrolled D: G's update is computed against D after k look-ahead D steps, so G "
        "anticipates D's reply instead of chasing it (0 = off).",
        0,
        20,
        0,
        paper="Metz et al. 2017",
    ),
    "diffaugment": Knob(
        "DiffAugment (images): the same random translation / cutout / colour change applied "
        "to real and fake images before D, differentiably ('' = off).",
        0,
        0,
        "",
        paper="Zhao et al. 2020",
    ),
}
STRUCTURAL = tuple(k for k, knob in STABILIZERS.items() if not knob.live)


# --- checks (TrainConfig calls these) -----------------------------------------------------------


def check_stabilizers(cfg: Any) -> None:
    """Raise ValueError naming the field and its range for any bad stabilizer setting."""
    for name in ("r1_gamma", "r2_gamma", "instance_noise", "instance_noise_floor"):
        value, knob = getattr(cfg, name), STABILIZERS[name]
        ok = not isinstance(value, bool) and isinstance(value, (int, float))
        if not ok or not knob.low <= value <= knob.high:  # NaN fails the comparison too
            raise ValueError(f"{name} must be a number in [{knob.low}, {knob.high}], got {value!r}")
    for name in ("reg_every", "instance_noise_steps", "pack", "unroll_steps"):
        value, knob = getattr(cfg, name), STABILIZERS[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"{name} must be an integer in [{knob.low}, {knob.high}], got {value!r}"
            )
        if not knob.low <= value <= knob.high:
            raise ValueError(
                f"{name} must be an integer in [{knob.low}, {knob.high}], got {value!r}"
            )
    for name in ("spectral_norm", "minibatch_std"):
        if not isinstance(getattr(cfg, name), bool):
            raise ValueError(f"{name} must be true or false, got {getattr(cfg, name)!r}")
    if cfg.batch_size % cfg.pack:
        raise ValueError(
            f"pack must divide batch_size (D judges batch_size / pack packs of {cfg.pack}), "
            f"got batch_size={cfg.batch_size}, pack={cfg.pack}"
        )
    diffaugment.parse_policy(cfg.diffaugment)


def per_sample(discriminator: nn.Module, x: Tensor, y: Tensor | None = None) -> Tensor:
    """D's verdict on each sample alone: with pack m, each sample is packed with m - 1 copies
    of itself (for probes that score single points, such as the 2D lab's field)."""
    m = getattr(discriminator, "pack", 1)
    if m > 1:
        x = x.repeat_interleave(m, dim=0)
        y = None if y is None else y.repeat_interleave(m, dim=0)
    return discriminator(x) if y is None else discriminator(x, y)


def prepare_discriminator(discriminator: nn.Module, config: Any) -> None:
    """Check D was built for ``config``'s pack and minibatch_std; spectral-normalize it when
    ``config.spectral_norm`` (the Trainer calls this before its optimizer sees D)."""
    for name in ("pack", "minibatch_std"):
        have = getattr(discriminator, name, STABILIZERS[name].default)
        want = getattr(config, name)
        if have != want:
            raise ValueError(
                f"config {name}={want!r} but the discriminator was built with {name}={have!r}; "
                f"build it with {name}={want!r} (build_from_preset and build_image_run do)"
            )
    if config.spectral_norm:
        apply_spectral_norm(discriminator)


def check_same_structure(old: Any, new: Any, who: str) -> None:
    """ValueError when ``new`` changes a setting that shapes D (spectral_norm, pack,
    minibatch_std): those need a new run (a page's reset), not a live edit."""
    for name in STRUCTURAL:
        if getattr(old, name) != getattr(new, name):
            raise ValueError(
                f"{name} shapes the discriminator: it was built with {name}="
                f"{getattr(old, name)!r}, but {who} has {name}={getattr(new, name)!r}; set it in "
                "the preset and start a new run (a reset)"
            )


def apply_spectral_norm(module: nn.Module) -> int:
    """Spectral-normalize every Linear / Conv layer not already parametrized; returns how many.

    Uses torch.nn.utils.parametrizations.spectral_norm (one power iteration per training-mode
    forward); its state dict keys become ``*.parametrizations.weight.original`` plus ``_u``/``_v``."""
    from torch.nn.utils import parametrize

    count = 0
    for layer in list(module.modules()):
        layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
        if isinstance(layer, layers) and not parametrize.is_parametrized(layer, "weight"):
            nn.utils.parametrizations.spectral_norm(layer)
            count += 1
    return count


# --- penalties ---------------------------------------------------------------------------------


def gradient_sq_norm(inputs: Tensor, outputs: Tensor) -> Tensor:
    """E over D's decisions of ||grad_x D||^2, differentiable (for a penalty in D's loss)."""
    (grad,) = torch.autograd.grad(outputs.float().sum(), inputs, create_graph=True)
    return grad.float().pow(2).sum() / outputs.numel()


def zero_centred_penalty(
    discriminator: nn.Module, x: Tensor, y: Tensor | None, gamma: float
) -> Tensor:
    """R1 (x real) or R2 (x fake): gamma/2 * E||grad_x D(x)||^2 (a fresh forward pass)."""
    x = x.detach().requires_grad_(True)
    out = discriminator(x) if y is None else discriminator(x, y)
    return 0.5 * gamma * gradient_sq_norm(x, out)


def noise_sigma(initial: float, anneal_steps: int, step: int, floor: float = 0.0) -> float:
    """Instance noise std at round ``step`` (0-based): linear from ``initial`` towards 0 over
    ``anneal_steps`` rounds (constant when ``anneal_steps`` is 0), never below ``floor``."""
    left = 1.0 if not anneal_steps else max(0.0, 1.0 - step / anneal_steps)
    return max(float(initial) * left, float(floor))


# --- what the Trainer calls ------------------------------------------------------------------------


class Stabilizers:
    """The per-step side of the stabilizers for one Trainer: D's inputs, penalties, look-ahead."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.policy = diffaugment.parse_policy(trainer.config.diffaugment)

    def configure(self) -> None:
        self.policy = diffaugment.parse_policy(self.trainer.config.diffaugment)

    @property
    def active(self) -> bool:
        """D's inputs are transformed (DiffAugment or instance noise)."""
        cfg = self.trainer.config
        return bool(cfg.instance_noise or cfg.instance_noise_floor or self.policy)

    @property
    def g_active(self) -> bool:
        """G's step needs :meth:`g_verdict` rather than a plain D(G(z))."""
        return self.active or self.trainer.config.unroll_steps > 0

    def _noise(self, x: Tensor, sigma: float) -> Tensor:
        t = self.trainer
        e = torch.randn(x.shape, generator=t.noise, device=t.device, dtype=torch.float32)
        return x + sigma * e.to(x.dtype)

    def d_inputs(self, real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
        """What D reads in a D step: both batches through the same DiffAugment draw (sample i
        of the real batch and sample i of the fake batch get the same transform), then
        independent instance noise."""
        t, cfg = self.trainer, self.trainer.config
        if self.policy:
            params = diffaugment.draw(self.policy, real, generator=t.noise)
            real, fake = diffaugment.apply(real, params), diffaugment.apply(fake, params)
        sigma = noise_sigma(
            cfg.instance_noise, cfg.instance_noise_steps, t.step_count, cfg.instance_noise_floor
        )
        if sigma > 0:
            real, fake = self._noise(real, sigma), self._noise(fake, sigma)
        return real, fake

    def g_input(self, fake: Tensor) -> Tensor:
        """What D reads in a G step: the fakes through a fresh DiffAugment draw, plus noise."""
        t, cfg = self.trainer, self.trainer.config
        if self.policy:
            fake = diffaugment.apply(fake, diffaugment.draw(self.policy, fake, generator=t.noise))
        sigma = noise_sigma(
            cfg.instance_noise, cfg.instance_noise_steps, t.step_count, cfg.instance_noise_floor
        )
        return self._noise(fake, sigma) if sigma > 0 else fake

    def g_verdict(self, fake: Tensor, y_fake: Tensor | None) -> Tensor:
        """D's output on G's samples in a G step: transformed as D's inputs are, and against
        the unrolled D when ``unroll_steps`` > 0 (the look-ahead draws after the verdict's own
        noise, so the verdict sees the same transforms as without unrolling)."""
        t = self.trainer
        seen = self.g_input(fake)
        args = (seen,) if y_fake is None else (seen, y_fake)
        if t.config.unroll_steps == 0:
            return t.discriminator(*args)
        return functional_call(t.discriminator, self.unrolled(fake, y_fake), args)

    def penalties_due(self, d_index: int) -> tuple[float, float]:
        """(R1 weight, R2 weight) for D step number ``d_index`` (0-based, over the whole run):
        gamma * reg_every on every reg_every-th step, else 0."""
        cfg = self.trainer.config
        if not (cfg.r1_gamma or cfg.r2_gamma) or d_index % cfg.reg_every:
            return 0.0, 0.0
        return cfg.r1_gamma * cfg.reg_every, cfg.r2_gamma * cfg.reg_every

    def unrolled(self, fake: Tensor, y_fake: Tensor | None) -> dict[str, Tensor]:
        """D's parameters (and buffers) after ``unroll_steps`` look-ahead steps against ``fake``
        (G's current samples, with their graph) and fresh real batches."""
        t, cfg = self.trainer, self.trainer.config
        batches = []
        for _ in range(cfg.unroll_steps):
            real, y_real = t._real_batch(fake.shape[0])
            real_in, fake_in = self.d_inputs(real, fake)
            batches.append((real_in, y_real, fake_in, y_fake))
        D, opt = t.discriminator, t.opt_d
        adam = None
        state: dict[str, dict[str, Tensor]] = {}
        if cfg.optimizer_d == "adam":
            adam = (*cfg.betas_d, opt.param_groups[0].get("eps", 1e-8))
            for name, p in D.named_parameters():
                if p in opt.state:
                    state[name] = opt.state[p]
        lr = opt.param_groups[0]["lr"]
        with torch.enable_grad():
            return lookahead(D, t.spec.d_loss, batches, lr=lr, adam=adam, state=state)
