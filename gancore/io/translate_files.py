"""Files in and out of ``python -m gancore translate``: .npz (``inputs`` -> ``samples``) or .png.

An ``.npz`` input holds ``inputs``: float32 (N, C, H, W) in [-1, 1], as gancore.tasks.make_input
returns them. A ``.png`` (or .jpg, ...) input is one image of the model's size: it is read in
the model's channels (grey or RGB) and mapped from [0, 255] to [-1, 1], nothing resized (a
sketch drawn at another size would not mean the same thing). An ``.npz`` output holds
``samples`` in the same layout, as ``sample`` writes; a ``.png`` output is a picture with
one row of inputs above one row of outputs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from gancore.data.folders import IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS
from gancore.tasks import check_images
from gancore.viz import render

MAX_INPUTS = 100_000
MAX_INPUT_BYTES = 512 * 2**20


class TranslateInputError(ValueError):
    """The input file cannot be translated by this model; the message says why and what fits."""


def _expect(channels: int, size: int) -> str:
    return f"float32 (N, {channels}, {size}, {size}) in [-1, 1]"


def read_inputs(path: str | Path, *, channels: int, image_size: int) -> np.ndarray:
    """The inputs in ``path`` as float32 (N, channels, image_size, image_size) in [-1, 1]."""
    path = Path(path)
    want = _expect(channels, image_size)
    if not path.is_file():
        raise TranslateInputError(f"--input {path} does not exist or is not a file")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise TranslateInputError(f"--input {path} is over {MAX_INPUT_BYTES:,} bytes")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                if "inputs" not in f.files:
                    raise TranslateInputError(
                        f"{path.name} has no array 'inputs' (it has {f.files}); save the output of "
                        f"gancore.tasks.make_input as inputs=..., {want}"
                    )
                x = f["inputs"]
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            if isinstance(err, TranslateInputError):
                raise
            raise TranslateInputError(f"{path.name} is not a readable .npz file ({err})") from None
    elif suffix in IMAGE_EXTENSIONS:
        x = _read_image(path, channels, image_size)
    else:
        raise TranslateInputError(
            f"--input must be an .npz (array 'inputs', {want}) or an image "
            f"({', '.join(sorted(IMAGE_EXTENSIONS))}), got {path.name!r}"
        )
    if x.ndim != 4 or x.shape[1:] != (channels, image_size, image_size):
        raise TranslateInputError(
            f"this model translates {want}; {path.name} holds shape {tuple(x.shape)}"
        )
    if len(x) > MAX_INPUTS:
        raise TranslateInputError(f"{len(x):,} inputs is over the limit of {MAX_INPUTS:,} per call")
    try:
        return check_images(x, "inputs").numpy()
    except ValueError as err:
        raise TranslateInputError(f"{path.name}: {err}") from None


def _read_image(path: Path, channels: int, image_size: int) -> np.ndarray:
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise TranslateInputError(f"{path.name} is {im.width}x{im.height}: far too large")
            if im.size != (image_size, image_size):
                raise TranslateInputError(
                    f"this model translates {image_size}x{image_size} images; {path.name} is "
                    f"{im.width}x{im.height}. Resize it first, or pass an .npz of inputs"
                )
            if channels == 1 and im.mode not in ("L", "LA", "1", "I", "I;16"):
                raise TranslateInputError(
                    f"this model translates grey (1-channel) images; {path.name} is {im.mode}. "
                    "Convert it to greyscale first"
                )
            arr = np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.float32)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise TranslateInputError(f"{path.name} is not a readable image ({err})") from None
    arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return (arr / 127.5 - 1.0)[None].astype(np.float32)


def write_outputs(path: str | Path, inputs: np.ndarray, outputs: np.ndarray) -> None:
    """``samples`` in an .npz, or a two-row picture (inputs above outputs) in a .png."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".npz":
        np.savez(path, samples=outputs.astype(np.float32))
    else:
        n = min(len(inputs), 16)
        render.image_grid(np.concatenate([inputs[:n], outputs[:n]]), nrow=n).save(path)
