"""The generator's exponential moving average: weights averaged (with a warm-up), buffers copied."""

from __future__ import annotations

import copy

import torch
from torch import nn


class GeneratorEMA:
    """A frozen, eval-mode copy of ``generator`` (``model``) that :meth:`update` averages into."""

    def __init__(self, generator: nn.Module) -> None:
        self.model = copy.deepcopy(generator).eval().requires_grad_(False)
        self._params = list(self.model.parameters())
        self._buffers = list(self.model.buffers())
        self._g_params = list(generator.parameters())
        self._g_buffers = list(generator.buffers())

    @torch.no_grad()
    def update(self, decay: float, step: int) -> None:
        """Move the average toward the generator after round ``step`` (0-based)."""
        # warm-up: early on the average forgets its random start fast, instead of lagging
        # ~1 / (1 - decay) steps behind the generator
        decay = min(decay, (1 + step) / (10 + step))
        torch._foreach_lerp_(self._params, self._g_params, 1 - decay)
        if self._buffers:  # e.g. BatchNorm running statistics: copied, not averaged
            torch._foreach_copy_(self._buffers, self._g_buffers)
