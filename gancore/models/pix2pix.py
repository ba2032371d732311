"""The config of a pix2pix pair (U-Net generator, PatchGAN discriminator) and building it.

The U-Net is in gancore/models/unet.py, the PatchGAN in gancore/models/patchgan.py; both read
this config, and this module builds and counts them, so nothing imports in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gancore.checks import DictConfig, check_int
from gancore.models.patchgan import PatchGAN
from gancore.models.unet import UNetGenerator

P2P_SIZES = (28, 32, 64)
P2P_TASKS = ("edges", "superres4", "inpaint", "paired")


@dataclass
class Pix2PixConfig(DictConfig):
    """A pix2pix pair and its objective; validated on construction, JSON-serialisable.

    The objective is part of the model's identity here: ``l1_lambda`` weighs the L1 term
    and ``adversarial=False`` gives the L1-only baseline (no GAN term; D is not trained)."""

    image_size: int = 28
    channels: int = 1  # of the input and of the output
    task: str = "edges"  # what the input is (gancore.tasks)
    g_features: int = 32  # channels of the U-Net's first encoder map
    d_features: int = 32  # channels of the PatchGAN's first map
    dropout: float = 0.5
    l1_lambda: float = 100.0
    adversarial: bool = True

    def __post_init__(self) -> None:
        if type(self.image_size) is not int or self.image_size not in P2P_SIZES:
            raise ValueError(f"image_size must be one of {P2P_SIZES}, got {self.image_size!r}")
        if type(self.channels) is not int or self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels!r}")
        if self.task not in P2P_TASKS:
            raise ValueError(f"task must be one of {list(P2P_TASKS)}, got {self.task!r}")
        check_int("g_features", self.g_features, 8, 256)
        check_int("d_features", self.d_features, 8, 256)
        for name, hi in (("dropout", 0.9), ("l1_lambda", 1e4)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= hi:
                raise ValueError(f"{name} must be a number in [0, {hi}], got {v!r}")
        if not isinstance(self.adversarial, bool):
            raise ValueError(f"adversarial must be true or false, got {self.adversarial!r}")
        if not self.adversarial and self.l1_lambda == 0:
            raise ValueError("l1_lambda must be > 0 when adversarial is false: nothing to learn")

    @property
    def depth(self) -> int:
        """Stride-2 levels of the U-Net (2 at 28 px, 3 at 32, 4 at 64)."""
        size, n = self.image_size, 0
        while size % 2 == 0 and size > 4:
            size, n = size // 2, n + 1
        return n

    def num_parameters(self) -> dict[str, int]:
        with torch.device("meta"):  # counted without allocating
            g = sum(p.numel() for p in UNetGenerator(self).parameters())
            d = sum(p.numel() for p in PatchGAN(self).parameters())
        return {"generator": g, "discriminator": d, "total": g + d}


def build_models(model: Pix2PixConfig) -> tuple[UNetGenerator, PatchGAN]:
    """The generator and discriminator of a pix2pix config, freshly initialised."""
    return UNetGenerator(model), PatchGAN(model)
