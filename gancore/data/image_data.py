"""A dataset held in memory (uint8 images, labels) and its per-batch conversion to the size,
channel count and [-1, 1] range a model asks for."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

_LUMA = torch.tensor([0.299, 0.587, 0.114])  # ITU-R 601-2, what PIL's convert("L") uses


class DatasetUnavailableError(RuntimeError):
    """A dataset's files are missing and could not be downloaded (or a folder is empty)."""


@dataclass(frozen=True)
class ImageData:
    """A whole dataset in memory: uint8 images (N, C, H, W), int64 labels (N,) or None."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor | None
    class_names: tuple[str, ...] = ()
    skipped: tuple[str, ...] = field(default=(), repr=False)  # folder files that did not decode

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.labels is not None else 0

    def __len__(self) -> int:
        return self.images.shape[0]


def convert_images(x: torch.Tensor, *, image_size: int, channels: int) -> torch.Tensor:
    """uint8 (B, C, H, W) -> float32 (B, channels, image_size, image_size) in [-1, 1]."""
    if x.dtype != torch.uint8 or x.dim() != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"expected uint8 (B, 1|3, H, W), got {x.dtype} {tuple(x.shape)}")
    out = x.float()
    if out.shape[1] == 3 and channels == 1:  # reduce first: less to resize
        out = (out * _LUMA.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    if tuple(out.shape[-2:]) != (image_size, image_size):
        # antialias: downsizing CIFAR to 28 px without it aliases fine texture
        out = F.interpolate(
            out, size=(image_size, image_size), mode="bilinear", antialias=True, align_corners=False
        ).clamp_(0.0, 255.0)
    if out.shape[1] == 1 and channels == 3:  # expand last: resize one plane, not three
        out = out.expand(-1, 3, -1, -1)
    return (out / 127.5 - 1.0).contiguous()
