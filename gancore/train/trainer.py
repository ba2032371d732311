"""A small, generic GAN trainer: it owns the optimizers and the loop, never the models' design.

One `step()` is one round: `d_steps` discriminator updates, then `g_steps` generator updates.
The trainer works for any models that follow the shared interface (see gancore/models/mlp.py)
and any data source with `next_batch(batch_size) -> (x, y_or_None)`, `state_dict()` and
`load_state_dict()`. Conditional models (num_classes > 0) get uniformly drawn fake labels.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from gancore.train import stabilizers
from gancore.train.losses import LOSSES, LossSpec, clip_weights, gradient_penalty
from gancore.train.optim import combine_grad_norms, grad_norm_parts, make_optimizer, set_hparams
from gancore.train.stabilizers import gradient_sq_norm

OPTIMIZERS = ("sgd", "adam", "rmsprop")
EVENTS = ("on_step_end", "on_run_end")

# A network whose parameter norm passes this has blown up even if every value is still finite
# (e.g. one Adam step at lr=1e9); healthy GANs sit orders of magnitude below it.
MAX_PARAM_NORM = 1e6


class DataSource(Protocol):
    def next_batch(self, batch_size: int) -> tuple[Tensor, Tensor | None]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


MAX_HISTORY = 20_000  # rounds of metrics kept (and saved with the training state)


class DivergedError(RuntimeError):
    """A step produced non-finite values; the trainer is back at the last good state."""

    def __init__(self, step: int, bad: list[str]) -> None:
        self.step = step
        self.bad = bad
        super().__init__(
            f"training diverged at step {step}: {', '.join(bad)} went non-finite or exploded. "
            f"Models and optimizers are restored to step {step - 1}; lower the learning rates "
            "or pick a more stable loss before continuing."
        )


def _check_number(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False) -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if ok:
        ok = (lo < value if lo_open else lo <= value) and value <= hi
    if not ok:
        interval = f"{'(' if lo_open else '['}{lo}, {hi}]"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")


def _check_betas(name: str, value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    for b in value:
        try:
            _check_number(name, b, 0.0, 0.9999)
        except ValueError:
            raise ValueError(f"{name} must be two numbers in [0, 0.9999], got {value!r}") from None
    return (float(value[0]), float(value[1]))


@dataclass
class TrainConfig:
    """Training hyperparameters; validated on construction, JSON-able via to_dict."""

    loss: str = "non_saturating"
    d_steps: int = 1  # k in Goodfellow et al. 2014, Algorithm 1
    g_steps: int = 1
    batch_size: int = 256
    optimizer_g: str = "adam"
    optimizer_d: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas_g: tuple[float, float] = (0.5, 0.999)  # adam only
    betas_d: tuple[float, float] = (0.5, 0.999)
    momentum: float = 0.0  # sgd and rmsprop only
    clip_value: float = 0.01  # wgan only
    gp_lambda: float = 10.0  # wgan_gp only
    ema_decay: float = 0.0  # generator EMA; 0 = off
    max_grad_norm: float = 0.0  # 0 = no clipping
    lr_decay_steps: int = 0  # 0 = constant learning rates
    lr_decay_factor: float = 0.1  # lr multiplier reached after lr_decay_steps rounds
    mixed_precision: bool = True  # bfloat16 autocast on CUDA (when supported); CPU: float32
    seed: int = 0
    # stabilizers (gancore/train/stabilizers.py: STABILIZERS says what each does and its range)
    r1_gamma: float = 0.0  # R1 penalty on real data; 0 = off
    r2_gamma: float = 0.0  # R2 penalty on fakes; 0 = off
    reg_every: int = 1  # lazy R1/R2: every N D steps, scaled by N
    spectral_norm: bool = False  # on every Linear / Conv of D (applied by the Trainer)
    instance_noise: float = 0.0  # std of the noise added to D's inputs; 0 = off
    instance_noise_steps: int = 0  # rounds to anneal it linearly to 0; 0 = constant
    pack: int = 1  # PacGAN: samples per D decision (D built with it); must divide batch_size
    minibatch_std: bool = False  # a minibatch std feature before D's last layer
    unroll_steps: int = 0  # unrolled D: look-ahead D steps behind each G update
    diffaugment: str = ""  # e.g. "translation,cutout,color"; images only

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {self.loss!r}")
        _check_int("d_steps", self.d_steps, 1, 100)
        _check_int("g_steps", self.g_steps, 1, 100)
        _check_int("batch_size", self.batch_size, 1, 65536)
        for name in ("optimizer_g", "optimizer_d"):
            if getattr(self, name) not in OPTIMIZERS:
                raise ValueError(
                    f"{name} must be one of {list(OPTIMIZERS)}, got {getattr(self, name)!r}"
                )
        _check_number("lr_g", self.lr_g, 0.0, 10.0, lo_open=True)
        _check_number("lr_d", self.lr_d, 0.0, 10.0, lo_open=True)
        self.betas_g = _check_betas("betas_g", self.betas_g)
        self.betas_d = _check_betas("betas_d", self.betas_d)
        _check_number("momentum", self.momentum, 0.0, 0.999)
        _check_number("clip_value", self.clip_value, 0.0, 100.0, lo_open=True)
        _check_number("gp_lambda", self.gp_lambda, 0.0, 1e4)
        _check_number("ema_decay", self.ema_decay, 0.0, 0.99999)
        _check_number("max_grad_norm", self.max_grad_norm, 0.0, 1e6)
        _check_int("lr_decay_steps", self.lr_decay_steps, 0, 10**9)
        _check_number("lr_decay_factor", self.lr_decay_factor, 0.0, 1.0, lo_open=True)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        if not isinstance(self.mixed_precision, bool):
            raise ValueError(f"mixed_precision must be true or false, got {self.mixed_precision!r}")
        stabilizers.check_stabilizers(self)

    def lr_scale(self, step: int) -> float:
        """The learning-rate multiplier for round ``step`` (0-based): geometric from 1 to
        lr_decay_factor over lr_decay_steps rounds, then constant; 1 without a decay."""
        if not self.lr_decay_steps:
            return 1.0
        return self.lr_decay_factor ** min(step / self.lr_decay_steps, 1.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas_g"], d["betas_d"] = list(self.betas_g), list(self.betas_d)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Build from a dict such as config.json; unknown keys raise ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig key(s) {unknown}; allowed: {sorted(known)}")
        return cls(**d)


class Trainer:
    """Trains `generator` against `discriminator` on batches from `data`."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        data: DataSource,
        config: TrainConfig,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        if generator.num_classes != discriminator.num_classes:
            raise ValueError(
                f"generator has {generator.num_classes} classes but discriminator has "
                f"{discriminator.num_classes}"
            )
        stabilizers.prepare_discriminator(discriminator, config)  # pack, mbstd, spectral norm
        self.device = torch.device(device)
        self._bf16_device = (
            self.device.type == "cuda"
            and torch.cuda.is_available()
            and torch.cuda.is_bf16_supported()
        )
        self.generator = generator.to(self.device).train()
        self.discriminator = discriminator.to(self.device).train()
        self.data = data
        self.config = config
        self.num_classes = generator.num_classes
        self.noise = torch.Generator(device=self.device).manual_seed(config.seed)
        self.stab = stabilizers.Stabilizers(self)
        self._g_params = list(self.generator.parameters())
        self._d_params = list(self.discriminator.parameters())
        self.opt_g = make_optimizer(
            config.optimizer_g, self._g_params, config.lr_g, config.betas_g, config.momentum
        )
        self.opt_d = make_optimizer(
            config.optimizer_d, self._d_params, config.lr_d, config.betas_d, config.momentum
        )
        self.ema_generator: nn.Module | None = None
        if config.ema_decay > 0:
            self._start_ema()
        self.step_count = 0
        self.history: list[dict[str, float]] = []
        self._callbacks: dict[str, list[Callable]] = {event: [] for event in EVENTS}
        self._stop_requested = False
        self._snapshot(force=True)

    @property
    def spec(self) -> LossSpec:
        return LOSSES[self.config.loss]

    # --- one round --------------------------------------------------------------------------

    def _real_batch(self, n: int) -> tuple[Tensor, Tensor | None]:
        x, y = self.data.next_batch(n)
        if self.num_classes and y is None:
            raise ValueError("a conditional model needs labelled data, but the batch has y=None")
        if not self.num_classes:
            y = None  # labelled data is fine for an unconditional model: it just ignores them
        x = x.to(self.device, non_blocking=True)
        return x, (None if y is None else y.to(self.device, non_blocking=True))

    def _fake_labels(self, n: int) -> Tensor | None:
        if not self.num_classes:
            return None
        return torch.randint(self.num_classes, (n,), generator=self.noise, device=self.device)

    def _apply_lr_decay(self) -> None:
        # a function of the step count alone, so a resumed run decays as an uninterrupted one
        cfg = self.config
        scale = cfg.lr_scale(self.step_count)
        for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * scale

    def _autocast(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast on CUDA (mixed_precision); a no-op elsewhere, so CPU runs stay
        float32 and bit-exact. Weights, optimizer state and losses stay float32."""
        if self.config.mixed_precision and self._bf16_device:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _grad_norm(self, params: list[Tensor]) -> Tensor:
        if self.config.max_grad_norm > 0:
            return nn.utils.clip_grad_norm_(params, self.config.max_grad_norm)
        return nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])

    def _g_update(self, g_loss: Tensor, grad_norm_g: Tensor) -> Tensor:
        """One G update from ``g_loss`` (then the EMA). Returns G's gradient norm, clipped,
        when max_grad_norm is set; else ``grad_norm_g`` (the norm is taken once, at the end)."""
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        if self.config.max_grad_norm > 0:
            grad_norm_g = self._grad_norm(self._g_params)
        self.opt_g.step()
        if self.ema_generator is not None:
            self._update_ema()
        return grad_norm_g

    def step(self, *, update_d: bool = True, update_g: bool = True) -> dict[str, float]:
        """One round: d_steps D updates then g_steps G updates. Returns the round's metrics.

        ``update_d=False`` or ``update_g=False`` trains only the other network (the labs' "step
        D" and "step G"); the frozen one's loss is still measured, and its gradient norm is 0.
        """
        if not (update_d or update_g):
            raise ValueError("a step must update D, G or both")
        cfg, spec, stab = self.config, self.spec, self.stab
        G, D, n = self.generator, self.discriminator, cfg.batch_size
        if cfg.lr_decay_steps:
            self._apply_lr_decay()
        zero = torch.zeros((), device=self.device)
        grad_norm_d = grad_norm_g = zero

        if not update_d:
            # measure D's objective on one batch without changing D
            real, y_real = self._real_batch(n)
            y_fake = self._fake_labels(n)
            with torch.no_grad():
                z = G.sample_latent(n, generator=self.noise, device=self.device)
                real_out, fake_out = D(real, y_real), D(G(z, y_fake), y_fake)
                d_loss = spec.d_loss(real_out, fake_out)
        for i in range(cfg.d_steps if update_d else 0):
            # D step: minimise spec.d_loss, e.g. maximise log D(x) + log(1 - D(G(z)))
            real, y_real = self._real_batch(n)
            z = G.sample_latent(n, generator=self.noise, device=self.device)
            y_fake = self._fake_labels(n)
            r1, r2 = stab.penalties_due(self.step_count * cfg.d_steps + i)
            with self._autocast():
                with torch.no_grad():
                    fake = G(z, y_fake)
                if stab.active:  # DiffAugment and instance noise: what D reads
                    real, fake = stab.d_inputs(real, fake)
                if r1 or r2:  # R1 / R2 differentiate D's output with respect to its input
                    real, fake = real.detach().requires_grad_(r1 > 0), fake.requires_grad_(r2 > 0)
                real_out, fake_out = D(real, y_real), D(fake, y_fake)
                # losses on float32 logits: the log-sigmoids must not round in bfloat16
                d_loss = spec.d_loss(real_out.float(), fake_out.float())
            if r1:  # + gamma/2 E||grad D(x)||^2 on real data (lazily: gamma * reg_every)
                d_loss = d_loss + 0.5 * r1 * gradient_sq_norm(real, real_out)
            if r2:  # the same on G's samples
                d_loss = d_loss + 0.5 * r2 * gradient_sq_norm(fake, fake_out)
            if spec.needs_gp:
                # real labels for the interpolates: a fake's own label is not defined between;
                # in float32 even under mixed precision (a gradient norm through a double backward)
                gp = gradient_penalty(D, real, fake.float(), y_real, generator=self.noise)
                d_loss = d_loss + cfg.gp_lambda * gp
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            if cfg.max_grad_norm > 0:  # clip before the step; else measured in _finish_step
                grad_norm_d = self._grad_norm(self._d_params)
            self.opt_d.step()
            if spec.needs_clipping:
                clip_weights(D, cfg.clip_value)

        if not update_g:  # G's objective on D's latest verdict on fakes, G unchanged
            g_loss = spec.g_loss(fake_out).detach()
        # G's update needs no gradient for D's weights: skip computing them
        for p in self._d_params:
            p.requires_grad_(False)
        try:
            for _ in range(cfg.g_steps if update_g else 0):
                # G step: minimise spec.g_loss, e.g. -log D(G(z)) (non-saturating)
                z = G.sample_latent(n, generator=self.noise, device=self.device)
                y_fake = self._fake_labels(n)
                with self._autocast():
                    fake = G(z, y_fake)
                    if stab.g_active:  # DiffAugment, instance noise, unrolled D
                        g_loss = spec.g_loss(stab.g_verdict(fake, y_fake).float())
                    else:
                        g_loss = spec.g_loss(D(fake, y_fake).float())
                grad_norm_g = self._g_update(g_loss, grad_norm_g)
        finally:
            for p in self._d_params:
                p.requires_grad_(True)

        if cfg.max_grad_norm == 0:
            # the last update's gradients (still in .grad) and both parameter norms, fused
            grads_d = [p.grad for p in self._d_params if p.grad is not None] if update_d else []
            grads_g = [p.grad for p in self._g_params if p.grad is not None] if update_g else []
            parts, sizes = grad_norm_parts([grads_d, grads_g, self._g_params, self._d_params])
        else:  # the clipped gradients' norms are already one tensor each
            parts, sizes = grad_norm_parts([self._g_params, self._d_params])
            parts, sizes = [grad_norm_d, grad_norm_g, *parts], [1, 1, *sizes]
        return self._finish_step(d_loss, g_loss, real_out, fake_out, parts, sizes)

    def _finish_step(self, d_loss, g_loss, real_out, fake_out, norm_parts, norm_sizes):
        spec = self.spec
        with torch.no_grad():
            if spec.probabilities:
                d_real, d_fake = torch.sigmoid(real_out).mean(), torch.sigmoid(fake_out).mean()
            else:
                d_real, d_fake = real_out.mean(), fake_out.mean()
            # the one host sync of the round: losses, D's verdicts, grad norms, param norms
            synced = torch.stack([d_loss, g_loss, d_real, d_fake, *norm_parts]).tolist()
        values = synced[:4] + combine_grad_norms(synced[4:], norm_sizes)
        names = ["d_loss", "g_loss", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"]
        bad = [k for k, v in zip(names, values, strict=False) if not math.isfinite(v)]
        for k, v in zip(("G parameters", "D parameters"), values[-2:], strict=True):
            if not math.isfinite(v) or v > MAX_PARAM_NORM:
                bad.append(k)
        if bad:
            self._restore()
            raise DivergedError(self.step_count + 1, bad)

        self.step_count += 1
        metrics = {"step": float(self.step_count), **dict(zip(names, values, strict=False))}
        if spec.wasserstein:
            metrics["wasserstein"] = metrics["d_real"] - metrics["d_fake"]
        self.history.append(metrics)
        if len(self.history) > MAX_HISTORY:  # a long run must not grow without end
            del self.history[: len(self.history) - MAX_HISTORY]
        self._snapshot()
        for fn in self._callbacks["on_step_end"]:
            fn(self, metrics)
        return metrics

    # --- EMA and last-good-state snapshots ----------------------------------------------------

    def _start_ema(self) -> None:
        self.ema_generator = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self._ema_params = list(self.ema_generator.parameters())
        self._ema_buffers = list(self.ema_generator.buffers())
        self._g_buffers = list(self.generator.buffers())

    @torch.no_grad()
    def _update_ema(self) -> None:
        # warm-up: early on the average forgets its random start fast, instead of lagging
        # ~1 / (1 - decay) steps behind the generator
        decay = min(self.config.ema_decay, (1 + self.step_count) / (10 + self.step_count))
        torch._foreach_lerp_(self._ema_params, self._g_params, 1 - decay)
        if self._ema_buffers:  # e.g. BatchNorm running statistics: copied, not averaged
            torch._foreach_copy_(self._ema_buffers, self._g_buffers)

    def _live_tensors(self) -> list[Tensor]:
        modules = [self.generator, self.discriminator]
        if self.ema_generator is not None:
            modules.append(self.ema_generator)
        tensors = [t for m in modules for t in (*m.parameters(), *m.buffers())]
        for opt in (self.opt_g, self.opt_d):
            for state in opt.state.values():
                tensors.extend(v for v in state.values() if torch.is_tensor(v))
        return tensors

    def _state_size(self) -> int:
        return len(self.opt_g.state) + len(self.opt_d.state)

    @torch.no_grad()
    def _snapshot(self, force: bool = False) -> None:
        # Optimizer state appears on the first update; until the layout changes again the
        # same tensors are updated in place, so refreshing the copies is one foreach_copy.
        if force or self._snap_size != self._state_size():
            self._snap_live = self._live_tensors()
            self._snap = [t.detach().clone() for t in self._snap_live]
            self._snap_size = self._state_size()
            self._snap_opt_keys = [set(opt.state) for opt in (self.opt_g, self.opt_d)]
        else:
            torch._foreach_copy_(self._snap, self._snap_live)
        self._snap_noise = self.noise.get_state()

    @torch.no_grad()
    def _restore(self) -> None:
        torch._foreach_copy_(self._snap_live, self._snap)
        for opt, keys in zip((self.opt_g, self.opt_d), self._snap_opt_keys, strict=True):
            for p in [p for p in opt.state if p not in keys]:
                del opt.state[p]  # state born in the failed step
        self.noise.set_state(self._snap_noise)

    # --- running ------------------------------------------------------------------------------

    def add_callback(self, event: str, fn: Callable[[Trainer, dict[str, float]], None]) -> None:
        """Call fn(trainer, metrics) on `event` ('on_step_end' or 'on_run_end')."""
        if event not in self._callbacks:
            raise ValueError(f"unknown callback event {event!r}; choose one of {list(EVENTS)}")
        self._callbacks[event].append(fn)

    def remove_callback(self, event: str, fn: Callable[[Trainer, dict[str, float]], None]) -> None:
        """Stop calling fn on `event` (a no-op if it was not registered)."""
        if fn in self._callbacks.get(event, []):
            self._callbacks[event].remove(fn)

    def request_stop(self) -> None:
        """Ask a running `run()` to return after the current step (e.g. from a callback)."""
        self._stop_requested = True

    def run(self, steps: int | None = None, seconds: float | None = None) -> list[dict[str, float]]:
        """Run steps until `steps` rounds or `seconds` of wall time, whichever comes first."""
        if steps is None and seconds is None:
            raise ValueError("run() needs steps=, seconds= or both")
        if steps is not None:
            _check_int("steps", steps, 0, 10**12)
        if seconds is not None:
            _check_number("seconds", seconds, 0.0, 1e9)
        self._stop_requested = False
        start, done = time.perf_counter(), []
        while not self._stop_requested:
            if steps is not None and len(done) >= steps:
                break
            if seconds is not None and time.perf_counter() - start >= seconds:
                break
            done.append(self.step())
        for fn in self._callbacks["on_run_end"]:
            fn(self, done[-1] if done else {})
        return done

    def update_config(self, **changes: Any) -> None:
        """Apply hyperparameter edits mid-run without touching the models' weights.

        Learning rates, betas and momentum are edited in the optimizers' param_groups; an
        optimizer is rebuilt (fresh state) only when its type changes. The seed is fixed.
        """
        unknown = sorted(set(changes) - {f.name for f in fields(TrainConfig)})
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {unknown}")
        if "seed" in changes and changes["seed"] != self.config.seed:
            raise ValueError(
                f"the seed is fixed for a run (is {self.config.seed}), got {changes['seed']!r}"
            )
        old, new = self.config, replace(self.config, **changes)  # replace() re-validates
        stabilizers.check_same_structure(old, new, "the edit")
        self.config = new
        self.stab.configure()
        self._configure_optimizers(old)
        if new.ema_decay == 0:
            self.ema_generator = None
        elif self.ema_generator is None:
            self._start_ema()
        self._snapshot(force=True)

    def _configure_optimizers(self, old: TrainConfig) -> None:
        new = self.config
        if new.optimizer_g != old.optimizer_g:
            self.opt_g = make_optimizer(
                new.optimizer_g, self._g_params, new.lr_g, new.betas_g, new.momentum
            )
        else:
            set_hparams(self.opt_g, new.lr_g, new.betas_g, new.momentum)
        if new.optimizer_d != old.optimizer_d:
            self.opt_d = make_optimizer(
                new.optimizer_d, self._d_params, new.lr_d, new.betas_d, new.momentum
            )
        else:
            set_hparams(self.opt_d, new.lr_d, new.betas_d, new.momentum)

    # --- sampling and checkpoints ---------------------------------------------------------------

    def sample(
        self, n: int, *, generator: torch.Generator | None = None, y: Tensor | None = None
    ) -> Tensor:
        """n samples on the CPU, from the EMA generator when enabled, in eval mode.

        Noise comes from `generator` (or torch's global RNG), never from the training stream,
        so drawing samples does not change the course of training.
        """
        model = self.ema_generator if self.ema_generator is not None else self.generator
        device = generator.device if generator is not None else self.device
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                z = model.sample_latent(n, generator=generator, device=device).to(self.device)
                if y is None and self.num_classes:
                    y = torch.randint(self.num_classes, (n,), generator=generator, device=device)
                if y is not None:
                    y = torch.as_tensor(y, dtype=torch.long).to(self.device)
                out = model(z, y)
        finally:
            model.train(was_training)
        return out.float().cpu()

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the run bit-exactly (tensors share live storage)."""
        return {
            "config": self.config.to_dict(),
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "ema": None if self.ema_generator is None else self.ema_generator.state_dict(),
            "noise": self.noise.get_state(),
            "data": self.data.state_dict(),
            "step": self.step_count,
            "history": [dict(h) for h in self.history],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a run saved with `state_dict()` (strict: the models must match)."""
        saved = TrainConfig.from_dict(state["config"])
        stabilizers.check_same_structure(self.config, saved, "the saved run")
        old, self.config = self.config, saved
        self.noise = torch.Generator(device=self.device).manual_seed(self.config.seed)
        self.generator.load_state_dict(state["generator"], strict=True)
        self.discriminator.load_state_dict(state["discriminator"], strict=True)
        self._configure_optimizers(old)
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if state["ema"] is None:
            self.ema_generator = None
        else:
            self._start_ema()
            self.ema_generator.load_state_dict(state["ema"], strict=True)
        self.noise.set_state(state["noise"])
        self.stab.configure()
        self.data.load_state_dict(state["data"])
        self.step_count = int(state["step"])
        self.history = [dict(h) for h in state["history"]]
        self._snapshot(force=True)
