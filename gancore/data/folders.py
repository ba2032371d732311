"""A folder of images as a dataset: ImageFolder-style class sub-folders or a flat folder,
decoded to one size, hidden files and oversized images left out."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from gancore.data.image_data import DatasetUnavailableError, ImageData

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# Well under PIL's own bomb limit (~179 MP) but above any phone photo (~50 MP): a GAN
# trains at <= 128 px, so bigger images are either mistakes or decompression bombs.
MAX_IMAGE_PIXELS = 64_000_000


def is_hidden(p: Path) -> bool:
    return p.name.startswith(".") or p.name == "__MACOSX"


def images_in(d: Path, recursive: bool) -> list[Path]:
    it = d.rglob("*") if recursive else d.iterdir()
    return sorted(
        p
        for p in it
        if p.is_file()
        and p.suffix.lower() in IMAGE_EXTENSIONS
        and not any(is_hidden(q) for q in p.relative_to(d).parents if q.name)
        and not is_hidden(p)
    )


def scan_folder(path: str | os.PathLike) -> tuple[list[Path], list[int] | None, tuple[str, ...]]:
    """(files, labels or None, class_names) for an ImageFolder-style or flat directory.

    Sub-directories holding images are classes (loose top-level images are then ignored,
    as torchvision's ImageFolder does); otherwise the images directly inside are an
    unlabeled set. Lone wrapper folders (``myzip/cats/...``) are descended into."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetUnavailableError(f"image folder {root} does not exist or is not a directory")
    while True:
        subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p))
        if images_in(root, recursive=False) or len(subdirs) != 1:
            break
        root = subdirs[0]
    classes = [d for d in subdirs if images_in(d, recursive=True)]
    if classes:
        files, labels = [], []
        for i, d in enumerate(classes):
            found = images_in(d, recursive=True)
            files += found
            labels += [i] * len(found)
        return files, labels, tuple(d.name for d in classes)
    files = images_in(root, recursive=False)
    if not files:
        exts = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise DatasetUnavailableError(f"no images ({exts}) found in {Path(path).expanduser()}")
    return files, None, ()


def decode_image(p: Path, image_size: int, channels: int) -> np.ndarray:
    with Image.open(p) as im:
        if im.width * im.height > MAX_IMAGE_PIXELS:
            raise ValueError(f"{im.width}x{im.height} is over {MAX_IMAGE_PIXELS:,} pixels")
        mode = "L" if channels == 1 else "RGB"
        im.draft(mode, (2 * image_size, 2 * image_size))  # JPEG: decode at reduced scale
        im = ImageOps.exif_transpose(im)
        if im.mode == "P":  # palette transparency must go through RGBA to convert cleanly
            im = im.convert("RGBA")
        im = ImageOps.fit(im.convert(mode), (image_size, image_size), Image.Resampling.BILINEAR)
        arr = np.asarray(im, dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def load_folder(path: Path, image_size: int, channels: int, max_images: int) -> ImageData:
    """The images of a folder (see :func:`scan_folder`), at most ``max_images`` evenly spread,
    decoded to ``image_size`` and ``channels``; files that do not decode are listed as skipped."""
    if channels not in (1, 3) or not 1 <= image_size <= 1024 or max_images < 1:
        raise ValueError(
            f"bad folder load: image_size={image_size!r}, channels={channels!r}, max_images={max_images!r}"
        )
    files, labels, class_names = scan_folder(path)
    if len(files) > max_images:  # even subsample keeps every class represented
        keep = np.linspace(0, len(files) - 1, max_images).round().astype(int)
        files = [files[i] for i in keep]
        labels = [labels[i] for i in keep] if labels is not None else None
    arrays, kept, skipped = [], [], []
    for i, p in enumerate(files):
        try:
            arrays.append(decode_image(p, image_size, channels))
            kept.append(i)
        except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as err:
            skipped.append(f"{p.name}: {err}")
    if not arrays:
        raise DatasetUnavailableError(
            f"none of the {len(files)} image files in {path} could be decoded"
        )
    images = torch.from_numpy(np.stack(arrays))
    y = torch.tensor([labels[i] for i in kept], dtype=torch.int64) if labels is not None else None
    return ImageData("folder", images, y, class_names, tuple(skipped))
