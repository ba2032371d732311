"""DiffAugment (Zhao et al. 2020): random, differentiable image transforms in front of D.

D is trained on augmented real *and* fake images, and G's gradient flows back through the
same kind of transform, so D cannot memorise a small dataset and G is not taught to draw the
augmentations. Written for gancore from the paper's description.

A policy is a comma-separated subset of ``translation``, ``cutout`` and ``color`` (``""`` is
off). The transforms are drawn once per batch with :func:`draw` -- one set of random numbers
per sample -- and applied with :func:`apply`, which is differentiable with respect to the
images. "The same transform for real and fake" means: in one D step the Trainer draws once
and applies that draw to both batches, so real sample i and fake sample i get the identical
colour change, shift and cut-out square (apply(x, p) == apply(x', p) whenever x == x').
Given the same torch.Generator state, the draw is the same.

The transforms, always in this order whatever the order in the policy:
  color: brightness + U(-0.5, 0.5); saturation (x - channel mean) * U(0, 2); contrast
         (x - image mean) * U(0.5, 1.5)
  translation: an integer shift of up to 1/8 of the side in each direction, zero padded
  cutout: a square of half the side, centred anywhere in the image, set to zero
"""

from __future__ import annotations

import torch
from torch import Tensor

POLICIES = ("color", "translation", "cutout")
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def parse_policy(text: object) -> tuple[str, ...]:
    """The policy's transforms in their fixed order; ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError(
            f"diffaugment must be a string such as 'translation,cutout,color', got {text!r}"
        )
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in POLICIES]
    if bad or len(set(names)) != len(names):
        raise ValueError(
            f"diffaugment must be '' or a comma-separated subset of {list(POLICIES)} "
            f"without repeats, got {text!r}"
        )
    return tuple(p for p in POLICIES if p in names)


def draw(
    policy: tuple[str, ...], x: Tensor, *, generator: torch.Generator | None = None
) -> dict[str, Tensor]:
    """Random parameters for a batch shaped like ``x`` (B, C, H, W): one draw per sample."""
    if x.dim() != 4:
        raise ValueError(
            f"diffaugment applies to image batches (B, C, H, W), got shape {tuple(x.shape)}"
        )
    b, _, h, w = x.shape
    dev = x.device

    def uniform(*shape: int) -> Tensor:
        return torch.rand(shape, generator=generator, device=dev)

    params: dict[str, Tensor] = {}
    if "color" in policy:
        params["brightness"] = uniform(b) - 0.5
        params["saturation"] = uniform(b) * 2
        params["contrast"] = uniform(b) + 0.5
    if "translation" in policy:
        limit = torch.tensor([int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)])
        limit = limit.to(dev)
        # integers in [-limit, limit] per axis
        params["shift"] = torch.floor(uniform(b, 2) * (2 * limit + 1)).long() - limit
    if "cutout" in policy:
        size = torch.tensor([int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)]).to(dev)
        centre = torch.floor(uniform(b, 2) * torch.tensor([h, w], device=dev)).long()
        params["cut_from"] = centre - size // 2
        params["cut_size"] = size.expand(b, 2)
    return params


def apply(x: Tensor, params: dict[str, Tensor]) -> Tensor:
    """``x`` transformed by ``params`` from :func:`draw`; differentiable in ``x``."""
    if "brightness" in params:
        x = x + params["brightness"].to(x.dtype)[:, None, None, None]
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * params["saturation"].to(x.dtype)[:, None, None, None] + mean
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * params["contrast"].to(x.dtype)[:, None, None, None] + mean
    if "shift" in params:
        x = _translate(x, params["shift"])
    if "cut_from" in params:
        x = x * _cutout_mask(x, params["cut_from"], params["cut_size"])
    return x


def augment(
    x: Tensor, policy: str | tuple[str, ...], *, generator: torch.Generator | None = None
) -> Tensor:
    """One fresh draw applied to ``x`` (a convenience; the Trainer uses draw + apply)."""
    names = parse_policy(policy) if isinstance(policy, str) else policy
    return apply(x, draw(names, x, generator=generator)) if names else x


def _translate(x: Tensor, shift: Tensor) -> Tensor:
    # output pixel (i, j) reads input pixel (i - dy, j - dx); outside the image reads zero
    b, c, h, w = x.shape
    rows = torch.arange(h, device=x.device)[None, :] - shift[:, :1]  # (B, H)
    cols = torch.arange(w, device=x.device)[None, :] - shift[:, 1:]  # (B, W)
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    index = rows.clamp(0, h - 1)[:, :, None] * w + cols.clamp(0, w - 1)[:, None, :]  # (B, H, W)
    index = index.reshape(b, 1, h * w).expand(b, c, h * w)
    out = x.reshape(b, c, h * w).gather(2, index).reshape(b, c, h, w)
    return out * valid[:, None].to(x.dtype)


def _cutout_mask(x: Tensor, start: Tensor, size: Tensor) -> Tensor:
    _, _, h, w = x.shape
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    in_rows = (rows >= start[:, :1]) & (rows < start[:, :1] + size[:, :1])  # (B, H)
    in_cols = (cols >= start[:, 1:]) & (cols < start[:, 1:] + size[:, 1:])  # (B, W)
    inside = in_rows[:, :, None] & in_cols[:, None, :]
    return (~inside)[:, None].to(x.dtype)
