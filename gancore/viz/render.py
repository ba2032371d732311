"""PNG pictures of samples without a plotting stack: image grids and 2D/1D scatter plots.

Used for model cards, `python -m gancore sample --out x.png` and downloads. Pillow only.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw

REAL_RGB = (27, 158, 119)
FAKE_RGB = (123, 75, 179)


def image_grid(images: np.ndarray, *, nrow: int | None = None, pad: int = 2) -> Image.Image:
    """Tile (N, C, H, W) images in [-1, 1] into one RGB picture, ``nrow`` per row (default √N)."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {images.shape}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    canvas = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, 3), 255, dtype=np.uint8)
    pixels = ((np.clip(images, -1, 1) + 1) * 127.5).round().astype(np.uint8)
    if c == 1:
        pixels = np.repeat(pixels, 3, axis=1)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        canvas[y : y + h, x : x + w] = pixels[i].transpose(1, 2, 0)
    return Image.fromarray(canvas)


def scatter(
    fake: np.ndarray,
    *,
    real: np.ndarray | None = None,
    bounds: tuple[tuple[float, float], ...] | None = None,
    size: int = 480,
) -> Image.Image:
    """Real (green) and generated (purple) points; 1D samples become a histogram."""
    fake = np.asarray(fake, dtype=np.float64)
    if fake.ndim == 1 or fake.shape[1] == 1:
        return _histogram(
            fake.reshape(-1), None if real is None else np.asarray(real).reshape(-1), bounds, size
        )
    if bounds is None:
        pts = fake if real is None else np.concatenate([fake, real])
        lo, hi = pts.min(0), pts.max(0)
        pad = 0.05 * (hi - lo + 1e-9)
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    (x0, x1), (y0, y1) = bounds
    for pts, color in ((real, REAL_RGB), (fake, FAKE_RGB)):
        if pts is None:
            continue
        px = (np.asarray(pts)[:, 0] - x0) / (x1 - x0) * (size - 1)
        py = (1 - (np.asarray(pts)[:, 1] - y0) / (y1 - y0)) * (size - 1)
        for u, v in zip(px, py, strict=True):
            draw.ellipse((u - 1.5, v - 1.5, u + 1.5, v + 1.5), fill=color)
    return img


def _histogram(fake, real, bounds, size) -> Image.Image:
    lo, hi = bounds[0] if bounds else (float(np.min(fake)), float(np.max(fake)))
    edges = np.linspace(lo, hi, 81)
    img = Image.new("RGB", (size, size // 2), "white")
    draw = ImageDraw.Draw(img)
    hists = [
        (np.histogram(s, edges, density=True)[0], c)
        for s, c in ((real, REAL_RGB), (fake, FAKE_RGB))
        if s is not None
    ]
    top = max(float(h.max()) for h, _ in hists) or 1.0
    width = size / (len(edges) - 1)
    for h, color in hists:
        for i, v in enumerate(h):
            y = size // 2 - 1 - v / top * (size // 2 - 10)
            draw.line((i * width, y, (i + 1) * width, y), fill=color, width=2)
    return img


def labelled(image: Image.Image, text: str) -> Image.Image:
    """A copy of ``image`` with ``text`` in its top-left corner (a frame of an animation)."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, 8 + 6 * len(text), 14), fill="white")
    draw.text((4, 2), text, fill=(40, 40, 40))
    return out


def to_gif(frames: list[Image.Image], *, duration_ms: int = 250) -> bytes:
    """Frames as an animated, looping GIF (each frame on its own adaptive palette)."""
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    images = [f.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    buf = io.BytesIO()
    images[0].save(
        buf, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0
    )
    return buf.getvalue()


def interpolation_gif(frames: np.ndarray, *, side: int = 112, duration_ms: int = 120) -> bytes:
    """Images (N, C, H, W) in [-1, 1] (an interpolation's frames) as a GIF that plays there and
    back again, each frame scaled to ``side`` px wide (nearest neighbour: pixels stay sharp)."""
    images = [
        image_grid(f[None], pad=0).resize(
            (side, side * f.shape[1] // f.shape[2]), Image.Resampling.NEAREST
        )
        for f in frames
    ]
    return to_gif(images + images[-2:0:-1], duration_ms=duration_ms)


def to_png(image: Image.Image) -> bytes:
    """The picture as PNG bytes."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
