"""Your own image pairs: a folder with ``A/`` (inputs) and ``B/`` (targets) of matching names.

``A/cat1.png`` pairs with ``B/cat1.jpg``: names match by stem, the extension may differ.
Images are decoded, fitted to the model's size and converted to its channels as
gancore.data.folders does for any folder. A zip upload goes through gancore.data.image_zips's safe
extraction (no paths outside the target, no links, size and pixel limits) first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from torch import Tensor

from gancore.data.folders import decode_image, images_in, is_hidden
from gancore.data.image_data import DatasetUnavailableError, ImageData
from gancore.data.image_source import ImageSource
from gancore.data.image_zips import extract_image_zip

MAX_PAIRS = 20_000


class PairSource:
    """(inputs, targets) batches from two ImageSources over the same names (A/ and B/) and seed:
    their shuffles are the same permutation, so pair i stays pair i."""

    def __init__(self, a: ImageSource, b: ImageSource) -> None:
        if len(a) != len(b) or a.seed != b.seed:
            raise ValueError(f"A has {len(a)} images and B {len(b)}: pairs must match one to one")
        self.a, self.b = a, b

    def __len__(self) -> int:
        return len(self.a)

    def take(self, indices: Any) -> tuple[Tensor, Tensor]:
        return self.a.take(indices)[0], self.b.take(indices)[0]

    def next_batch(self, batch_size: int) -> tuple[Tensor, Tensor]:
        return self.a.next_batch(batch_size)[0], self.b.next_batch(batch_size)[0]

    def state_dict(self) -> dict[str, Any]:
        return self.a.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.a.load_state_dict(state)
        self.b.load_state_dict(state)


def find_pair_root(path: str | os.PathLike) -> Path:
    """The folder holding A/ and B/: ``path`` itself or a lone wrapper folder inside it."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetUnavailableError(f"pair folder {root} does not exist or is not a directory")
    while not ((root / "A").is_dir() and (root / "B").is_dir()):
        subdirs = [p for p in root.iterdir() if p.is_dir() and not is_hidden(p)]
        if len(subdirs) != 1:
            raise DatasetUnavailableError(
                f"{path} must hold two folders A/ (inputs) and B/ (targets) with images of "
                "matching names"
            )
        root = subdirs[0]
    return root


def pair_files(path: str | os.PathLike) -> list[tuple[Path, Path]]:
    """(A file, B file) pairs matched by file stem, sorted; ValueError listing unmatched names."""
    root = find_pair_root(path)
    a = {p.stem: p for p in images_in(root / "A", recursive=False)}
    b = {p.stem: p for p in images_in(root / "B", recursive=False)}
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        raise ValueError(
            f"A/ and B/ must hold the same names: only in A/ {only_a[:5]}, only in B/ {only_b[:5]}"
        )
    if not a:
        raise DatasetUnavailableError(f"no images found in {root / 'A'} and {root / 'B'}")
    if len(a) > MAX_PAIRS:
        raise ValueError(f"{len(a):,} pairs is over the limit of {MAX_PAIRS:,}")
    return [(a[k], b[k]) for k in sorted(a)]


def load_pairs(
    path: str | os.PathLike, *, image_size: int, channels: int, max_images: int = 10_000
) -> tuple[ImageData, ImageData]:
    """(A, B) as uint8 ImageData of equal length; a pair with an undecodable side is skipped."""
    pairs = pair_files(path)
    if len(pairs) > max_images:
        keep = np.linspace(0, len(pairs) - 1, max_images).round().astype(int)
        pairs = [pairs[i] for i in keep]
    a_arr, b_arr, skipped = [], [], []
    for pa, pb in pairs:
        try:
            a, b = decode_image(pa, image_size, channels), decode_image(pb, image_size, channels)
        except (OSError, ValueError) as err:
            skipped.append(f"{pa.stem}: {err}")
            continue
        a_arr.append(a)
        b_arr.append(b)
    if not a_arr:
        raise DatasetUnavailableError(f"none of the {len(pairs)} pairs in {path} could be decoded")
    a_data = ImageData("pairs", torch.from_numpy(np.stack(a_arr)), None, (), tuple(skipped))
    b_data = ImageData("pairs", torch.from_numpy(np.stack(b_arr)), None, (), tuple(skipped))
    return a_data, b_data


def open_pair_source(
    path: str | os.PathLike,
    *,
    image_size: int,
    channels: int,
    seed: int = 0,
    max_images: int = 10_000,
) -> PairSource:
    """(inputs, targets) batches from a pair folder, shuffled by ``seed``."""
    a, b = load_pairs(path, image_size=image_size, channels=channels, max_images=max_images)
    shape = {"image_size": image_size, "channels": channels, "seed": seed}
    return PairSource(ImageSource(a, **shape), ImageSource(b, **shape))


def extract_pairs_zip(data: bytes | IO[bytes], dest: str | os.PathLike) -> Path:
    """Safely extract a zip of A/ and B/ into ``dest``; the folder holding A/ and B/."""
    extract_image_zip(data, dest)
    root = find_pair_root(dest)
    pair_files(root)  # names must match now, not at the first batch
    return root
