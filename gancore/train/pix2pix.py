"""pix2pix training (Isola et al. 2017): the Trainer's loop with a conditional GAN + L1 round.

``Pix2PixTrainer`` is a Trainer whose round reads (input, target) pairs instead of noise:

- D step: minimise ``spec.d_loss(D(x, y), D(x, G(x)))`` over D's patch logits, for any loss
  of gancore.train.losses (WGAN's clipping and WGAN-GP's penalty on interpolated pairs included);
- G step: minimise ``spec.g_loss(D(x, G(x))) + l1_lambda * |G(x) - y|_1``.

G runs forward once for D's last update and G's first, on the same batch (as pix2pix does):
D learns from the output detached, G's update backpropagates through the same output after D's
update. That saves one forward pass of G per round (measured on one CPU thread at 28 px,
super-resolution: about 4%, 111 -> 106 ms a round; D's passes are most of a round's cost).

With ``adversarial=False`` (the L1-only baseline) D is never trained or read: G minimises
``l1_lambda * L1`` alone, and D's metrics are 0. Everything else is the Trainer's: the
optimizers, learning-rate decay, EMA of G, the divergence check and last-good restore,
callbacks, ``run()`` and a bit-exact ``state_dict()``. Every round's metrics add ``l1``
(the mean absolute error on the batch) and ``g_gan`` (G's adversarial term).

Data sources yield ``(inputs, targets)``: :class:`TaskSource` computes the inputs from an
image set with gancore.tasks; :class:`PairSource` reads a folder of pairs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from gancore import tasks
from gancore.data.images import ImageSource
from gancore.models.pix2pix import Pix2PixConfig
from gancore.train.losses import clip_weights, gradient_penalty
from gancore.train.optim import grad_norm_parts
from gancore.train.trainer import TrainConfig, Trainer

# Trainer features that transform what D reads, or reshape D; pix2pix's D reads pairs
_UNSUPPORTED = {
    "pack": 1, "minibatch_std": False, "diffaugment": "", "instance_noise": 0.0,
    "instance_noise_floor": 0.0, "unroll_steps": 0, "r1_gamma": 0.0, "r2_gamma": 0.0,
}  # fmt: skip


class TaskSource:
    """(inputs, targets) batches: targets from an ImageSource, inputs = make_input(task, targets)."""

    def __init__(self, source: ImageSource, task: str) -> None:
        if task not in tasks.MADE_TASKS:
            raise ValueError(f"task must be one of {list(tasks.MADE_TASKS)}, got {task!r}")
        self.source, self.task = source, task

    def __len__(self) -> int:
        return len(self.source)

    def take(self, indices: Any) -> tuple[Tensor, Tensor]:
        y, _ = self.source.take(indices)
        return tasks.make_input(self.task, y), y

    def next_batch(self, batch_size: int) -> tuple[Tensor, Tensor]:
        y, _ = self.source.next_batch(batch_size)
        return tasks.make_input(self.task, y), y

    def state_dict(self) -> dict[str, Any]:
        return self.source.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.source.load_state_dict(state)


def check_train_config(config: TrainConfig) -> None:
    """ValueError naming a Trainer setting pix2pix does not use (it would be silently ignored)."""
    for name, default in _UNSUPPORTED.items():
        if getattr(config, name) != default:
            raise ValueError(
                f"train.{name}={getattr(config, name)!r} is not supported by pix2pix runs "
                f"(D reads (input, output) pairs); leave it at {default!r}"
            )


class Pix2PixTrainer(Trainer):
    """A Trainer for U-Net G and PatchGAN D on (input, target) pairs (see the module docstring)."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        data: Any,
        config: TrainConfig,
        model: Pix2PixConfig,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        check_train_config(config)
        self.model_config = model
        self._extra: dict[str, Tensor] = {}
        super().__init__(generator, discriminator, data, config, device=device)
        # first callback: the round's extra metrics join the dict every later one sees
        self.add_callback("on_step_end", self._add_extra)

    def _add_extra(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        metrics.update({k: float(v) for k, v in self._extra.items()})

    def remove_callback(self, event, fn) -> None:  # keep our own: it fills in l1 and g_gan
        if fn != self._add_extra:
            super().remove_callback(event, fn)

    def update_config(self, **changes: Any) -> None:
        """Trainer.update_config, refusing settings pix2pix would silently ignore; also takes
        ``l1_lambda``, the L1 term's weight in G's objective (from the next round on)."""
        model = self.model_config
        if "l1_lambda" in changes:  # Pix2PixConfig validates it (a number in [0, 1e4])
            model = replace(model, l1_lambda=changes.pop("l1_lambda"))
        check_train_config(replace(self.config, **changes))
        super().update_config(**changes)
        self.model_config = model

    def state_dict(self) -> dict[str, Any]:
        """Trainer.state_dict with the L1 weight (edited live, it may differ from the model's)."""
        return {**super().state_dict(), "l1_lambda": float(self.model_config.l1_lambda)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        if "l1_lambda" in state:
            self.model_config = replace(self.model_config, l1_lambda=float(state["l1_lambda"]))

    def _pair(self, n: int) -> tuple[Tensor, Tensor]:
        x, y = self.data.next_batch(n)
        return x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    def _g_terms(self, x: Tensor, y: Tensor, fake: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(total, gan, l1) of G's objective on one batch."""
        l1 = (fake - y).abs().mean()
        gan = torch.zeros((), device=self.device)
        if self.model_config.adversarial:
            gan = self.spec.g_loss(self.discriminator(torch.cat([x, fake], 1)).float())
        return gan + self.model_config.l1_lambda * l1, gan, l1

    def step(self, *, update_d: bool = True, update_g: bool = True) -> dict[str, float]:
        """One round: d_steps D updates then g_steps G updates on (input, target) pairs."""
        if not (update_d or update_g):
            raise ValueError("a step must update D, G or both")
        cfg, spec, adv = self.config, self.spec, self.model_config.adversarial
        G, D, n = self.generator, self.discriminator, cfg.batch_size
        if cfg.lr_decay_steps:
            self._apply_lr_decay()
        zero = torch.zeros((), device=self.device)
        d_loss, grad_norm_d, grad_norm_g = zero, zero, zero
        real_out = fake_out = torch.zeros(1, device=self.device)
        x, y = self._pair(n)
        train_d = adv and update_d
        shared = None  # G(x) of D's last update, with its graph: G's first update reuses it
        for i in range(cfg.d_steps if train_d else 0):
            if i:
                x, y = self._pair(n)
            last = i == cfg.d_steps - 1 and update_g
            with self._autocast():
                with torch.set_grad_enabled(last):
                    fake = G(x, generator=self.noise)
                if last:
                    shared, fake = fake, fake.detach()
                real_pair, fake_pair = torch.cat([x, y], 1), torch.cat([x, fake], 1)
                real_out, fake_out = D(real_pair), D(fake_pair)
                d_loss = spec.d_loss(real_out.float(), fake_out.float())
            if spec.needs_gp:  # on pairs mixed in their output half (the inputs are equal)
                gp = gradient_penalty(D, real_pair, fake_pair.float(), generator=self.noise)
                d_loss = d_loss + cfg.gp_lambda * gp
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            if cfg.max_grad_norm > 0:
                grad_norm_d = self._grad_norm(self._d_params)
            self.opt_d.step()
            if spec.needs_clipping:
                clip_weights(D, cfg.clip_value)
        if adv and not update_d:  # D's objective measured on this batch, D unchanged
            with torch.no_grad():
                fake = G(x, generator=self.noise)
                real_out = D(torch.cat([x, y], 1))
                fake_out = D(torch.cat([x, fake], 1))
                d_loss = spec.d_loss(real_out, fake_out)

        for p in self._d_params:
            p.requires_grad_(False)
        try:
            if not update_g:
                with torch.no_grad():
                    g_loss, gan, l1 = self._g_terms(x, y, G(x, generator=self.noise))
            for j in range(cfg.g_steps if update_g else 0):
                if j:
                    x, y = self._pair(n)
                with self._autocast():
                    fake = shared if j == 0 and shared is not None else G(x, generator=self.noise)
                    g_loss, gan, l1 = self._g_terms(x, y, fake.float())
                grad_norm_g = self._g_update(g_loss, grad_norm_g)
        finally:
            for p in self._d_params:
                p.requires_grad_(True)

        self._extra = {"l1": l1.detach(), "g_gan": gan.detach()}
        if cfg.max_grad_norm == 0:
            grads_d = [p.grad for p in self._d_params if p.grad is not None] if train_d else []
            grads_g = [p.grad for p in self._g_params if p.grad is not None] if update_g else []
            parts, sizes = grad_norm_parts([grads_d, grads_g, self._g_params, self._d_params])
        else:
            parts, sizes = grad_norm_parts([self._g_params, self._d_params])
            parts, sizes = [grad_norm_d, grad_norm_g, *parts], [1, 1, *sizes]
        return self._finish_step(d_loss, g_loss.detach(), real_out, fake_out, parts, sizes)

    # --- translating ----------------------------------------------------------------------------

    def sample(self, n: int, **kwargs: Any) -> Tensor:
        raise ValueError("a pix2pix model translates inputs; call translate(inputs)")

    @property
    def translator(self) -> nn.Module:
        """The generator translations come from: the EMA one when enabled."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def translate(self, inputs: Any) -> Tensor:
        """Outputs (N, C, H, W) on the CPU for inputs in [-1, 1], in eval mode (no dropout)."""
        return translate(self.translator, inputs)

    def patch_map(self, inputs: Any, outputs: Any) -> Tensor:
        """D's belief (sigmoid of its logits; raw scores for a critic) that each patch of each
        output is real, (N, P, P) on the CPU."""
        D = self.discriminator
        x = tasks.check_images(inputs, "inputs").to(self.device)
        out = tasks.check_images(outputs, "outputs").to(self.device)
        was = D.training
        D.eval()
        try:
            with torch.inference_mode():
                logits = D(torch.cat([x, out], 1)).float()
        finally:
            D.train(was)
        scores = torch.sigmoid(logits) if self.spec.probabilities else logits
        return scores[:, 0].cpu()


def translate(generator: nn.Module, inputs: Any, *, batch: int = 512) -> Any:
    """G's outputs for ``inputs`` (float32 (N, C, H, W) in [-1, 1], tensor or array; the result
    has the same type), in eval mode: dropout off, so the translation is deterministic.
    ValueError names what is wrong with inputs of the wrong shape, dtype or range."""
    x = tasks.check_images(inputs, "inputs")
    generator.check_input(x)
    device = next(generator.parameters()).device
    was, out = generator.training, []
    generator.eval()
    try:
        with torch.inference_mode():
            for s in range(0, len(x), batch):
                out.append(generator(x[s : s + batch].to(device)).float().cpu())
    finally:
        generator.train(was)
    y = torch.cat(out) if out else torch.zeros_like(x)
    return y.numpy() if isinstance(inputs, np.ndarray) else y


def psnr(outputs: Any, targets: Any) -> float:
    """Peak signal-to-noise ratio in dB of images in [-1, 1] (peak-to-peak 2), over the set."""
    a = np.asarray(outputs, dtype=np.float64)
    b = np.asarray(targets, dtype=np.float64)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(4.0 / mse)
