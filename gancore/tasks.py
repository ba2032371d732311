"""Image-to-image tasks made from any image set on the fly: the input a pix2pix model reads.

``make_input(task, images)`` turns targets into inputs. Images and inputs are float32
(N, C, H, W) in [-1, 1] (ink / light at +1, as gancore.data.images returns them), torch tensors or
NumPy arrays (the result has the type of the argument). Every task is a fixed function of
its images: no randomness, so the same images always give the same inputs.

- ``edges``: the sketch. The Sobel gradient magnitude of the image's luma (replicate
  padding; a step from -1 to +1 gives magnitude 8), thresholded at ``EDGE_THRESHOLD``:
  edges +1, the rest -1, one value copied to every channel. A drawn outline reads the same.
- ``superres4``: 4x super-resolution. The image is averaged over 4 x 4 blocks (28 -> 7,
  32 -> 8, 64 -> 16) and upsampled back with bicubic interpolation (clamped to [-1, 1]),
  so the input has the target's size and the bicubic baseline is the input itself.
- ``inpaint``: a centre square of side H // 2 is hidden (set to 0, mid grey).
- ``paired``: a folder of pairs (``A/`` inputs, ``B/`` targets); there is no function
  from B to A, so make_input refuses it (see gancore.data.paired).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

TASKS = {
    "edges": "Sobel edges of the image (the sketch) -> the image",
    "superres4": "4 x 4 block averages, bicubic back to full size -> the image",
    "inpaint": "the image with its centre square hidden -> the image",
    "paired": "your own pairs: a folder with A/ (inputs) and B/ (targets)",
}
MADE_TASKS = ("edges", "superres4", "inpaint")  # the ones make_input computes
EDGE_THRESHOLD = 2.0  # Sobel magnitude on [-1, 1] images; a full step gives 8
SUPERRES_FACTOR = 4
_LUMA = torch.tensor([0.299, 0.587, 0.114])
_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_RANGE_SLACK = 1e-4  # float rounding of a [-1, 1] conversion


def check_task(task: Any) -> str:
    """The task name, or ValueError naming the allowed ones."""
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    return task


def check_images(images: Any, what: str = "images") -> torch.Tensor:
    """A float32 (N, C, H, W) tensor in [-1, 1] with C in (1, 3) and H == W, from a tensor or
    an array; ValueError saying which of those rules the argument breaks."""
    if isinstance(images, np.ndarray):
        if images.dtype.kind != "f":
            raise ValueError(f"{what} must be float32 in [-1, 1], got dtype {images.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    elif isinstance(images, torch.Tensor):
        if not images.is_floating_point():
            raise ValueError(f"{what} must be float32 in [-1, 1], got dtype {images.dtype}")
        x = images.detach().float()
    else:
        raise ValueError(
            f"{what} must be a torch tensor or a NumPy array, got {type(images).__name__}"
        )
    if x.dim() != 4 or x.shape[1] not in (1, 3) or x.shape[2] != x.shape[3]:
        raise ValueError(
            f"{what} must have shape (N, C, H, W) with C 1 or 3 and H == W, got {tuple(x.shape)}"
        )
    if x.shape[2] < 8:
        raise ValueError(f"{what} must be at least 8 x 8 pixels, got {tuple(x.shape[2:])}")
    if x.numel() and not torch.isfinite(x).all():
        raise ValueError(f"{what} hold NaN or infinite values; expected [-1, 1]")
    if x.numel() and (x.min() < -1 - _RANGE_SLACK or x.max() > 1 + _RANGE_SLACK):
        raise ValueError(
            f"{what} must lie in [-1, 1], got values in [{x.min():.3g}, {x.max():.3g}]"
        )
    return x.clamp(-1.0, 1.0)


def edges(x: torch.Tensor) -> torch.Tensor:
    luma = x if x.shape[1] == 1 else (x * _LUMA.view(1, 3, 1, 1)).sum(1, keepdim=True)
    kernels = torch.stack([_SOBEL_X, _SOBEL_X.T]).unsqueeze(1)  # (2, 1, 3, 3): d/dx, d/dy
    grad = F.conv2d(F.pad(luma, (1, 1, 1, 1), mode="replicate"), kernels)
    magnitude = grad.pow(2).sum(1, keepdim=True).sqrt()
    sketch = torch.where(magnitude > EDGE_THRESHOLD, 1.0, -1.0)
    return sketch.expand(-1, x.shape[1], -1, -1).contiguous()


def superres(x: torch.Tensor, factor: int = SUPERRES_FACTOR) -> torch.Tensor:
    size = x.shape[-1]
    if size % factor:
        raise ValueError(f"superres4 needs a size divisible by {factor}, got {size}")
    small = F.avg_pool2d(x, factor)
    return F.interpolate(small, size=(size, size), mode="bicubic", align_corners=False).clamp(-1, 1)


def inpaint(x: torch.Tensor) -> torch.Tensor:
    size = x.shape[-1]
    side = size // 2
    lo = (size - side) // 2
    out = x.clone()
    out[:, :, lo : lo + side, lo : lo + side] = 0.0
    return out


def hidden_mask(size: int) -> torch.Tensor:
    """(size, size) bool: the square ``inpaint`` hides."""
    side, mask = size // 2, torch.zeros(size, size, dtype=torch.bool)
    lo = (size - side) // 2
    mask[lo : lo + side, lo : lo + side] = True
    return mask


def make_input(task: str, images: Any) -> Any:
    """The input of ``task`` for each image: float32 (N, C, H, W) in [-1, 1], the same type
    (torch tensor or NumPy array) as ``images``. Deterministic. See the module docstring."""
    check_task(task)
    if task not in MADE_TASKS:
        raise ValueError(
            f"task {task!r} has no input function: its inputs come from a folder of pairs "
            f"(A/ and B/); make_input computes {list(MADE_TASKS)}"
        )
    x = check_images(images)
    with torch.no_grad():
        out = {"edges": edges, "superres4": superres, "inpaint": inpaint}[task](x)
    return out.numpy() if isinstance(images, np.ndarray) else out.to(images.device)
