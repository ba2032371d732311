"""A step that diverges: what counts as diverged, the error it raises, and the trainer's last
good state (weights, EMA and optimizer state, noise stream) that it is undone from."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from gancore.train.trainer import Trainer

# A network whose parameter norm passes this has blown up even if every value is still finite
# (e.g. one Adam step at lr=1e9); healthy GANs sit orders of magnitude below it.
MAX_PARAM_NORM = 1e6


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


def diverged(names: list[str], values: list[float]) -> list[str]:
    """What went wrong in a round: the ``names`` whose ``values`` are not finite, then "G
    parameters" / "D parameters" when the last two values (their norms) are not finite or
    pass MAX_PARAM_NORM. Empty for a good round."""
    bad = [k for k, v in zip(names, values, strict=False) if not math.isfinite(v)]
    for k, v in zip(("G parameters", "D parameters"), values[-2:], strict=True):
        if not math.isfinite(v) or v > MAX_PARAM_NORM:
            bad.append(k)
    return bad


class RestorePoint:
    """The state of ``trainer`` after its last good step: :meth:`take` it, :meth:`restore` it."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.take(force=True)

    def _live_tensors(self) -> list[Tensor]:
        tr = self.trainer
        modules = [tr.generator, tr.discriminator]
        if tr.ema_generator is not None:
            modules.append(tr.ema_generator)
        tensors = [t for m in modules for t in (*m.parameters(), *m.buffers())]
        for opt in (tr.opt_g, tr.opt_d):
            for state in opt.state.values():
                tensors.extend(v for v in state.values() if torch.is_tensor(v))
        return tensors

    def _state_size(self) -> int:
        return len(self.trainer.opt_g.state) + len(self.trainer.opt_d.state)

    @torch.no_grad()
    def take(self, force: bool = False) -> None:
        """Copy the trainer's state now (after a good step)."""
        tr = self.trainer
        # Optimizer state appears on the first update; until the layout changes again the
        # same tensors are updated in place, so refreshing the copies is one foreach_copy.
        if force or self._snap_size != self._state_size():
            self._snap_live = self._live_tensors()
            self._snap = [t.detach().clone() for t in self._snap_live]
            self._snap_size = self._state_size()
            self._snap_opt_keys = [set(opt.state) for opt in (tr.opt_g, tr.opt_d)]
        else:
            torch._foreach_copy_(self._snap, self._snap_live)
        self._snap_noise = tr.noise.get_state()

    @torch.no_grad()
    def restore(self) -> None:
        """Put the trainer back where :meth:`take` last saw it."""
        tr = self.trainer
        torch._foreach_copy_(self._snap_live, self._snap)
        for opt, keys in zip((tr.opt_g, tr.opt_d), self._snap_opt_keys, strict=True):
            for p in [p for p in opt.state if p not in keys]:
                del opt.state[p]  # state born in the failed step
        tr.noise.set_state(self._snap_noise)
