"""What every community generator offers gancore: the interface of gancore's own generators.

``G(z)`` returns images in [-1, 1] (gancore's convention) with noise layers fed from
``noise_seed`` and shared across the batch, so a seed names one image and interpolation
frames do not flicker; ``G.raw(z, noise)`` returns exactly what the original module returns
(noise drawn per image in the original's order: from ``noise``, a torch.Generator, or from
torch's global generator as the original does when it is None).
"""

from __future__ import annotations

import contextlib
import math
import threading

import torch
import torch.nn.functional as F
from torch import nn


class NoiseSource:
    """Per-layer noise maps, drawn in call order; ``shared`` draws one map for the batch."""

    def __init__(self, generator: torch.Generator | None, shared: bool) -> None:
        self.generator, self.shared = generator, shared

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        shape = (1 if self.shared else b, 1, h, w)
        noise = torch.randn(shape, generator=self.generator, dtype=x.dtype)
        return noise.to(x.device).expand(b, 1, h, w)


class Noise(nn.Module):
    """x + weight * noise (one learned scalar): FastGAN's and lightweight-gan's noise layer."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        return x + self.weight * noise(x)


def glu(x: torch.Tensor) -> torch.Tensor:
    """First half of the channels times the sigmoid of the second half."""
    return F.glu(x, dim=1)


class CommunityGenerator(nn.Module):
    """Base class: subclasses set family, latent_dim, image_size, channels, define raw()."""

    family = "community"
    num_classes = 0

    def __init__(self, latent_dim: int, image_size: int, channels: int) -> None:
        super().__init__()
        self.latent_dim, self.image_size, self.channels = latent_dim, image_size, channels
        self.noise_seed = 0
        self._local = threading.local()

    @property
    def latent_shape(self) -> tuple[int, ...]:
        """One latent as the original module takes it (DCGAN: (latent_dim, 1, 1))."""
        return (self.latent_dim,)

    def sample_latent(self, n: int, *, generator=None, device="cpu") -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=generator).to(device)

    @contextlib.contextmanager
    def noise_from(self, seed: int):
        """Noise layers draw from ``seed`` in this thread while the block runs."""
        old = getattr(self._local, "seed", None)
        self._local.seed = seed
        try:
            yield self
        finally:
            self._local.seed = old

    def raw(self, z: torch.Tensor, noise: torch.Generator | None = None):
        raise NotImplementedError

    def to_images(self, out) -> torch.Tensor:
        """The original's output as images in [-1, 1]."""
        return out.clamp(-1, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            raise ValueError(f"a {self.family} generator is unconditional; it takes no labels")
        z = z.reshape(z.shape[0], *self.latent_shape)
        seed = getattr(self._local, "seed", None)
        gen = torch.Generator().manual_seed(self.noise_seed if seed is None else seed)
        return self.to_images(self._run(z, NoiseSource(gen, shared=True)))

    def _run(self, z: torch.Tensor, noise: NoiseSource):
        raise NotImplementedError

    def num_parameters(self) -> int:
        return sum(math.prod(t.shape) for t in self.state_dict().values())
