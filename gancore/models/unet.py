"""pix2pix's generator (Isola et al. 2017): a size-adaptive U-Net (its config: models/pix2pix.py).

The encoder halves the image with stride-2 convolutions while the side stays even and
above 4 (28 -> 14 -> 7; 32 -> 16 -> 8 -> 4; 64 -> ... -> 4), a 3 x 3 convolution works at
the bottom, and the decoder doubles back with transposed convolutions, each reading the
previous decoder map concatenated with the encoder map of the same size (the skip
connections that carry the input's detail straight across). Dropout in the bottom and the
first decoder block is pix2pix's noise (there is no z): active while training, off in
``eval()``, so a translation is a deterministic function of the input.

Normalisation is GroupNorm (per sample), so an image translates the same alone or in a
batch. The discriminator is in gancore/models/patchgan.py; the pair is built by
gancore/models/pix2pix.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from gancore.models.dcgan import weights_init

if TYPE_CHECKING:  # the config module builds the models from here
    from gancore.models.pix2pix import Pix2PixConfig


def group_norm(ch: int) -> nn.GroupNorm:
    """Per-sample normalisation of ``ch`` channels (up to 8 groups), shared with the PatchGAN."""
    return nn.GroupNorm(min(8, ch), ch)


def _widths(cfg: Pix2PixConfig) -> list[int]:
    return [cfg.g_features * 2 ** min(i, 3) for i in range(cfg.depth)]


class UNetGenerator(nn.Module):
    """inputs (B, C, H, W) in [-1, 1] -> outputs (B, C, H, W) in [-1, 1]."""

    def __init__(self, config: Pix2PixConfig) -> None:
        super().__init__()
        self.config = config
        self.num_classes = 0  # the Trainer's interface: pix2pix is conditioned on an image
        self.image_size, self.channels = config.image_size, config.channels
        widths, p = _widths(config), float(config.dropout)
        self.down = nn.ModuleList()
        in_ch = config.channels
        for i, w in enumerate(widths):  # no norm on the first layer, as in pix2pix
            layers: list[nn.Module] = [nn.Conv2d(in_ch, w, 4, 2, 1, bias=i == 0)]
            self.down.append(
                nn.Sequential(*layers, *([] if i == 0 else [group_norm(w)]), nn.LeakyReLU(0.2))
            )
            in_ch = w
        self.dropout = p
        self.bottom = nn.Sequential(
            nn.Conv2d(in_ch, in_ch, 3, 1, 1, bias=False), group_norm(in_ch), nn.ReLU()
        )
        self.up = nn.ModuleList()
        for i in reversed(range(len(widths))):
            out_ch = widths[i - 1] if i > 0 else config.channels
            block: list[nn.Module] = [
                nn.ConvTranspose2d(in_ch + widths[i], out_ch, 4, 2, 1, bias=i == 0)
            ]
            if i > 0:
                block += [group_norm(out_ch), nn.ReLU()]
            else:
                block.append(nn.Tanh())
            self.up.append(nn.Sequential(*block))
            in_ch = out_ch
        self.apply(weights_init)

    def check_input(self, x: torch.Tensor) -> None:
        want = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(
                f"the U-Net translates (N, {want[0]}, {want[1]}, {want[2]}) inputs, got "
                f"{tuple(x.shape)}"
            )

    def _drop(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        # dropout drawn from the trainer's generator, so a resumed run is bit-exact
        if not self.training or self.dropout == 0:
            return x
        keep = torch.rand(x.shape, generator=generator, device=x.device) >= self.dropout
        return x * keep.to(x.dtype) / (1 - self.dropout)

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Translate x; in training mode dropout (the noise) is drawn from ``generator``."""
        if y is not None:
            raise ValueError("pix2pix's U-Net takes no labels")
        self.check_input(x)
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = self._drop(self.bottom(x), generator)  # noise at the bottom and the first up block
        for i, block in enumerate(self.up):
            x = block(torch.cat([x, skips.pop()], dim=1))
            if i == 0 and len(self.up) > 1:
                x = self._drop(x, generator)
        return x
