"""A small, generic GAN trainer: it owns the optimizers and the loop, never the models' design.

One `step()` is one round: `d_steps` discriminator updates, then `g_steps` generator updates.
The trainer works for any models that follow the shared interface (see gancore/models/mlp.py)
and any data source with `next_batch(batch_size) -> (x, y_or_None)`, `state_dict()` and
`load_state_dict()`. Conditional models (num_classes > 0) get uniformly drawn fake labels.
Its hyperparameters are a :class:`~gancore.train.config.TrainConfig`; a step that diverges is
undone from a :class:`~gancore.train.divergence.RestorePoint`; the generator's moving average
is a :class:`~gancore.train.ema.GeneratorEMA`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from gancore.models.modes import evaluating
from gancore.train import stabilizers
from gancore.train.config import TrainConfig, check_int, check_number
from gancore.train.divergence import DivergedError, RestorePoint, diverged
from gancore.train.ema import GeneratorEMA
from gancore.train.losses import LOSSES, LossSpec, clip_weights, gradient_penalty
from gancore.train.optim import combine_grad_norms, grad_norm_parts, make_optimizer, set_hparams
from gancore.train.stabilizers import gradient_sq_norm

EVENTS = ("on_step_end", "on_run_end")


class DataSource(Protocol):
    def next_batch(self, batch_size: int) -> tuple[Tensor, Tensor | None]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


MAX_HISTORY = 20_000  # rounds of metrics kept (and saved with the training state)


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
        self._ema = GeneratorEMA(self.generator) if config.ema_decay > 0 else None
        self.step_count = 0
        self.history: list[dict[str, float]] = []
        self._callbacks: dict[str, list[Callable]] = {event: [] for event in EVENTS}
        self._stop_requested = False
        self._last_good = RestorePoint(self)

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
        if self._ema is not None:
            self._ema.update(self.config.ema_decay, self.step_count)
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
        if bad := diverged(names, values):
            self._last_good.restore()
            raise DivergedError(self.step_count + 1, bad)

        self.step_count += 1
        metrics = {"step": float(self.step_count), **dict(zip(names, values, strict=False))}
        if spec.wasserstein:
            metrics["wasserstein"] = metrics["d_real"] - metrics["d_fake"]
        self.history.append(metrics)
        if len(self.history) > MAX_HISTORY:  # a long run must not grow without end
            del self.history[: len(self.history) - MAX_HISTORY]
        self._last_good.take()
        for fn in self._callbacks["on_step_end"]:
            fn(self, metrics)
        return metrics

    @property
    def ema_generator(self) -> nn.Module | None:
        """The generator's moving average (ema_decay > 0), else None."""
        return None if self._ema is None else self._ema.model

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
            check_int("steps", steps, 0, 10**12)
        if seconds is not None:
            check_number("seconds", seconds, 0.0, 1e9)
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
            self._ema = None
        elif self._ema is None:
            self._ema = GeneratorEMA(self.generator)
        self._last_good.take(force=True)

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
        with evaluating(model), torch.inference_mode():
            z = model.sample_latent(n, generator=generator, device=device).to(self.device)
            if y is None and self.num_classes:
                y = torch.randint(self.num_classes, (n,), generator=generator, device=device)
            if y is not None:
                y = torch.as_tensor(y, dtype=torch.long).to(self.device)
            out = model(z, y)
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
        self._ema = None if state["ema"] is None else GeneratorEMA(self.generator)
        if self._ema is not None:
            self._ema.model.load_state_dict(state["ema"], strict=True)
        self.noise.set_state(state["noise"])
        self.stab.configure()
        self.data.load_state_dict(state["data"])
        self.step_count = int(state["step"])
        self.history = [dict(h) for h in state["history"]]
        self._last_good.take(force=True)
