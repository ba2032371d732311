"""The two discriminator pieces the stabilizers switch on, shared by the MLP and DCGAN
discriminators: PacGAN packing (Lin et al. 2018: D decides on m samples at once) and the
minibatch standard-deviation feature (Karras et al. 2018). What they are for, and the other
stabilizers, are in gancore.train.stabilizers."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

MAX_PACK = 16


def check_pack(pack: Any) -> int:
    if isinstance(pack, bool) or not isinstance(pack, int) or not 1 <= pack <= MAX_PACK:
        raise ValueError(f"pack must be an integer in [1, {MAX_PACK}], got {pack!r}")
    return pack


def pack_samples(x: Tensor, pack: int) -> Tensor:
    """(B, F) -> (B/m, m*F) or (B, C, H, W) -> (B/m, m*C, H, W): m consecutive samples become
    one input of D (features or channels side by side, sample 0 first)."""
    if pack == 1:
        return x
    if x.shape[0] % pack:
        raise ValueError(
            f"a discriminator with pack={pack} needs a batch that is a multiple of {pack}, "
            f"got {x.shape[0]} samples"
        )
    return x.reshape(x.shape[0] // pack, pack * x.shape[1], *x.shape[2:])


def append_minibatch_std(h: Tensor, eps: float = 1e-8) -> Tensor:
    """Append one feature (or channel) holding the batch's mean standard deviation.

    The std is the population one (divide by N) of every feature (and position) over the
    batch, then averaged to a single number, broadcast to every sample: (N, F) -> (N, F + 1),
    (N, C, H, W) -> (N, C + 1, H, W). Karras et al. 2018 use groups of 4; here the group is the
    whole batch D sees at once."""
    std = torch.sqrt(h.float().var(dim=0, unbiased=False) + eps).mean().to(h.dtype)
    return torch.cat([h, std.expand(h.shape[0], 1, *h.shape[2:])], dim=1)
