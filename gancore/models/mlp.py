"""Small MLP generator and discriminator for 1D / 2D toy data.

Both follow the shared model interface the Trainer drives:
  Generator:     latent_dim, num_classes, sample_latent(n, *, generator, device), forward(z, y=None)
  Discriminator: num_classes, forward(x, y=None) -> logits of shape (B,)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gancore.checks import DictConfig, check_int
from gancore.models.layers import append_minibatch_std, check_pack, pack_samples

ACTIVATIONS = ("relu", "leaky_relu", "tanh")
NOISES = ("normal", "uniform")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


@dataclass
class MLPConfig(DictConfig):
    """Architecture of the toy MLP GAN; validated on construction, JSON-able via to_dict."""

    data_dim: int = 2
    latent_dim: int = 2
    g_hidden_layers: int = 3
    g_width: int = 128
    d_hidden_layers: int = 3
    d_width: int = 128
    activation: str = "relu"
    noise: str = "normal"
    spectral_norm: bool = False

    def __post_init__(self) -> None:
        check_int("data_dim", self.data_dim, 1, 2)
        check_int("latent_dim", self.latent_dim, 1, 16)
        check_int("g_hidden_layers", self.g_hidden_layers, 0, 6)
        check_int("d_hidden_layers", self.d_hidden_layers, 0, 6)
        check_int("g_width", self.g_width, 2, 512)
        check_int("d_width", self.d_width, 2, 512)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("noise", self.noise, NOISES)
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"spectral_norm must be true or false, got {self.spectral_norm!r}")

    def num_parameters(self) -> dict[str, int]:
        """Parameter counts {'generator', 'discriminator', 'total'}, without allocating."""

        def mlp(dims: list[int]) -> int:
            return sum(a * b + b for a, b in zip(dims[:-1], dims[1:], strict=False))

        g = mlp([self.latent_dim] + [self.g_width] * self.g_hidden_layers + [self.data_dim])
        d = mlp([self.data_dim] + [self.d_width] * self.d_hidden_layers + [1])
        return {"generator": g, "discriminator": d, "total": g + d}


class SigmoidTanh(nn.Module):
    """tanh(x) computed as 2·sigmoid(2x) - 1.

    Same function (to ~1e-7), but on some AVX-512 CPU builds torch.tanh is ~10x slower
    than torch.sigmoid, and the toy MLPs spend most of their step time in activations.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * torch.sigmoid(2 * x) - 1


def _activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2)
    return SigmoidTanh()


def _mlp(
    in_dim: int,
    width: int,
    hidden: int,
    out_dim: int,
    act: str,
    sn: bool = False,
    last_extra: int = 0,
) -> nn.Sequential:
    dims = [in_dim] + [width] * hidden + [out_dim]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        # last_extra: inputs the last layer reads besides the previous one's (minibatch std)
        linear = nn.Linear(a + (last_extra if i == len(dims) - 2 else 0), b)
        layers.append(nn.utils.parametrizations.spectral_norm(linear) if sn else linear)
        if i < len(dims) - 2:
            layers.append(_activation(act))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (B, latent_dim) -> x (B, data_dim). Unconditional."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.data_dim = config.data_dim
        self.num_classes = 0
        self.net = _mlp(
            config.latent_dim,
            config.g_width,
            config.g_hidden_layers,
            config.data_dim,
            config.activation,
        )

    def sample_latent(
        self, n: int, *, generator: torch.Generator | None = None, device: Any = None
    ) -> torch.Tensor:
        """Latent noise (n, latent_dim): standard normal, or uniform on [-1, 1]."""
        shape = (n, self.latent_dim)
        if self.config.noise == "normal":
            return torch.randn(shape, generator=generator, device=device)
        return 2 * torch.rand(shape, generator=generator, device=device) - 1

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            raise ValueError("MLPGenerator is unconditional; got labels y")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x (B, data_dim) -> logits (B / pack,). Spectral norm on every layer when configured.

    ``pack`` m (PacGAN): D reads m consecutive samples side by side, (B, d) -> (B/m, m*d), and
    gives one logit per pack; B must be a multiple of m. ``minibatch_std``: the last layer also
    reads the batch's mean standard deviation of the previous layer's features (one input more).
    """

    def __init__(self, config: MLPConfig, *, pack: int = 1, minibatch_std: bool = False) -> None:
        super().__init__()
        self.config = config
        self.num_classes = 0
        self.pack = check_pack(pack)
        if not isinstance(minibatch_std, bool):
            raise ValueError(f"minibatch_std must be true or false, got {minibatch_std!r}")
        self.minibatch_std = minibatch_std
        self.net = _mlp(
            config.data_dim * pack,
            config.d_width,
            config.d_hidden_layers,
            1,
            config.activation,
            sn=config.spectral_norm,
            last_extra=int(minibatch_std),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            raise ValueError("MLPDiscriminator is unconditional; got labels y")
        x = pack_samples(x, self.pack)  # (B, d) -> (B/m, m*d)
        if not self.minibatch_std:
            return self.net(x).squeeze(-1)
        *body, head = self.net
        for layer in body:
            x = layer(x)
        return head(append_minibatch_std(x)).squeeze(-1)


def build_models(
    config: MLPConfig, *, pack: int = 1, minibatch_std: bool = False
) -> tuple[MLPGenerator, MLPDiscriminator]:
    """An initialised (G, D) pair; ``pack`` and ``minibatch_std`` shape D for those stabilizers."""
    return MLPGenerator(config), MLPDiscriminator(config, pack=pack, minibatch_std=minibatch_std)
