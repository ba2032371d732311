"""pix2pix's discriminator: a PatchGAN that judges (input, output) pairs patch by patch.

D reads the input and a candidate output stacked along channels, (B, 2C, H, W), and
returns one logit per patch, (B, 1, P, P): stride-2 convolutions as deep as the U-Net's
encoder stops one level short (28 -> 14 -> 7: a 7 x 7 map at 28 px; 8 x 8 at 32; 8 x 8 at
64), then a 3 x 3 convolution to the logits. Each logit sees a patch of the pair, not the
whole image (Isola et al. 2017, section 3.2.2), so D models local texture and sharpness
and the L1 term takes care of the low frequencies. The losses of gancore.train.losses average
over the patches. No BatchNorm: GroupNorm per sample, so WGAN-GP's per-sample penalty
keeps its meaning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from gancore.models.dcgan import weights_init
from gancore.models.unet import group_norm

if TYPE_CHECKING:  # the config module builds the models from here
    from gancore.models.pix2pix import Pix2PixConfig


def patch_levels(cfg: Pix2PixConfig) -> int:
    """Stride-2 layers of D: the U-Net's depth, less one past 28 px (patches of 8 x 8)."""
    return cfg.depth if cfg.image_size == 28 else cfg.depth - 1


class PatchGAN(nn.Module):
    """pairs (B, 2C, H, W) = cat(input, output) -> patch logits (B, 1, P, P)."""

    def __init__(self, config: Pix2PixConfig) -> None:
        super().__init__()
        self.config = config
        self.num_classes = 0
        self.image_size, self.channels = config.image_size, 2 * config.channels
        layers: list[nn.Module] = []
        in_ch, size = self.channels, config.image_size
        for i in range(patch_levels(config)):
            out_ch = config.d_features * 2 ** min(i, 3)
            layers.append(nn.Conv2d(in_ch, out_ch, 4, 2, 1, bias=i == 0))
            if i:
                layers.append(group_norm(out_ch))
            layers.append(nn.LeakyReLU(0.2))
            in_ch, size = out_ch, size // 2
        layers.append(nn.Conv2d(in_ch, 1, 3, 1, 1))
        self.main = nn.Sequential(*layers)
        self.patches = size
        self.apply(weights_init)

    def forward(self, pair: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            raise ValueError("the PatchGAN takes no labels: it reads (input, output) pairs")
        want = (self.channels, self.image_size, self.image_size)
        if pair.dim() != 4 or tuple(pair.shape[1:]) != want:
            raise ValueError(
                f"the PatchGAN reads (B, {want[0]}, {want[1]}, {want[2]}) pairs "
                f"(input and output along channels), got {tuple(pair.shape)}"
            )
        return self.main(pair)

    def judge(self, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        """Patch logits (B, 1, P, P) for outputs given their inputs."""
        return self.forward(torch.cat([inputs, outputs], dim=1))
