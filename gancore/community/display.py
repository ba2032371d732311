"""Pictures of large community models at a size a page can show (pure functions)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

SHOW_SIDE = 256  # the grids on the Generate page show images at most this wide


def shrink(x: np.ndarray, max_side: int = SHOW_SIDE) -> np.ndarray:
    """(N, C, H, W) images averaged down by an integer factor until H, W <= max_side."""
    if x.ndim != 4 or max_side < 1:
        raise ValueError(
            f"expected (N, C, H, W) images and max_side >= 1, got {x.shape}, {max_side}"
        )
    factor = 1
    while max(x.shape[2:]) // factor > max_side:
        factor *= 2
    if factor == 1:
        return x
    return F.avg_pool2d(torch.from_numpy(np.ascontiguousarray(x)), factor).numpy()


def opaque(x: np.ndarray) -> np.ndarray:
    """RGBA images in [-1, 1] (a transparent lightweight-gan) composited over white as RGB,
    which is how a grid can show them; other images are returned as they are."""
    if x.ndim != 4 or x.shape[1] != 4:
        return x
    alpha = (x[:, 3:] + 1) / 2
    return (x[:, :3] * alpha + (1 - alpha)).astype(np.float32)


def grid_counts(image_size: int) -> tuple[list[int], int]:
    """How many images a grid may hold at this size (options, default): fewer as they grow."""
    if image_size >= 512:
        return [1, 4, 9, 16], 4
    if image_size >= 128:
        return [4, 9, 16, 25, 36], 16
    return [8, 16, 32, 64, 100], 64
