"""HugGAN DCGAN (huggingface/community-events, huggan/pytorch/dcgan): 64x64 images.

``Generator(num_channels, latent_dim, hidden_size)`` is one nn.Sequential ``model``: five
transposed convolutions without bias (4x4; the first stride 1 from a 1x1 latent, then
stride 2), a BatchNorm2d and a ReLU after each but the last, a Tanh at the end. Latents are
(N, latent_dim, 1, 1). Written here from that layout; sizes come from config.json when the
repo has one, else from the tensors' shapes.
"""

from __future__ import annotations

import torch
from torch import nn

from gancore.community.base import CommunityGenerator

CONFIG_KEYS = {"num_channels", "latent_dim", "hidden_size"}
FIRST, LAST = "model.0.weight", "model.12.weight"


class HugGANDCGAN(CommunityGenerator):
    family = "HugGAN DCGAN"

    def __init__(self, num_channels: int = 3, latent_dim: int = 100, hidden_size: int = 64):
        super().__init__(latent_dim, 64, num_channels)
        h = hidden_size
        widths = [latent_dim, 8 * h, 4 * h, 2 * h, h]
        layers: list[nn.Module] = []
        for i, (cin, cout) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            stride, pad = (1, 0) if i == 0 else (2, 1)
            layers += [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False)]
            layers += [nn.BatchNorm2d(cout), nn.ReLU()]
        layers += [nn.ConvTranspose2d(h, num_channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    @property
    def latent_shape(self) -> tuple[int, ...]:
        return (self.latent_dim, 1, 1)

    def raw(self, z: torch.Tensor, noise: torch.Generator | None = None) -> torch.Tensor:
        return self.model(z.reshape(z.shape[0], self.latent_dim, 1, 1))

    def _run(self, z, noise):
        return self.model(z)


def matches_config(config: dict) -> bool:
    return set(config) >= CONFIG_KEYS and "image_size" not in config


def find(state: dict[str, torch.Tensor]) -> str | None:
    """The key prefix of a DCGAN generator in ``state`` (the file is the generator alone)."""
    for prefix in ("", "generator.", "module."):
        found = prefix + FIRST in state and prefix + LAST in state
        if found and prefix + "model.15.weight" not in state:
            return prefix
    return None


def build(state: dict[str, torch.Tensor], config: dict | None) -> tuple[HugGANDCGAN, dict]:
    first, last = state[FIRST], state[LAST]
    if first.dim() != 4 or last.dim() != 4:
        raise ValueError(f"{FIRST} and {LAST} must be 4-d convolution weights")
    sizes = {
        "latent_dim": int(first.shape[0]),
        "hidden_size": int(last.shape[0]),
        "num_channels": int(last.shape[1]),
    }
    for key, value in (config or {}).items():
        if key in sizes and value != sizes[key]:
            raise ValueError(f"config.json says {key}={value!r} but the weights have {sizes[key]}")
    return HugGANDCGAN(**sizes), state
