"""Sampling from given latent vectors (``sample --latents FILE.npz``), for every model.

The file holds ``z``: float32, one row per image, each row shaped as the model takes a latent
((latent_dim,) for gancore's models and lightweight-gan / FastGAN; DCGAN also (latent_dim, 1, 1)).
Noise layers (FastGAN, lightweight-gan) draw from ``seed``, shared by the batch.
"""

from __future__ import annotations

import contextlib
import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from gancore.io.checkpoint import LoadedGAN
from gancore.io.format import MAX_SAMPLE_VALUES, one_line
from gancore.models.kinds import MODEL_KINDS
from gancore.models.modes import evaluating

MAX_LATENTS_BYTES = 512 << 20


def read_latents(path: str | Path) -> np.ndarray:
    """``z`` of an .npz file, checked: ValueError (one line) for anything a model cannot take."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--latents: there is no file at {path}")
    if path.stat().st_size > MAX_LATENTS_BYTES:
        raise ValueError(f"--latents: {path} is over {MAX_LATENTS_BYTES:,} bytes")
    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files"):
                raise ValueError("it is a single .npy array, not an .npz archive")
            if "z" not in f.files:
                raise KeyError(f"it has no array 'z' (it has {sorted(f.files)})")
            z = f["z"]
    except KeyError as err:
        raise ValueError(f"--latents: {path.name}: {err.args[0]}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"--latents: {path.name} is not a readable .npz file ({one_line(err, 120)})"
        ) from None
    if z.dtype != np.float32:
        raise ValueError(f"--latents: z must be float32, got {z.dtype}")
    if z.ndim < 2 or z.shape[0] < 1:
        raise ValueError(
            f"--latents: z must hold one row per image (shape (N, ...)), got shape {list(z.shape)}"
        )
    if not np.isfinite(z).all():
        bad = int((~np.isfinite(z)).reshape(len(z), -1).any(axis=1).argmax())
        raise ValueError(f"--latents: z holds NaN or infinite values (first in row {bad})")
    return z


def latent_shapes(generator) -> list[tuple[int, ...]]:
    shapes = [(int(generator.latent_dim),)]
    extra = tuple(getattr(generator, "latent_shape", shapes[0]))
    return shapes + ([extra] if extra != shapes[0] else [])


def sample_latents(loaded: LoadedGAN, z: np.ndarray, *, seed: int = 0, labels=None) -> np.ndarray:
    """G(z) as float32 (N, C, H, W) in [-1, 1] (toy models: (N, D)), batch by batch."""
    G = loaded.generator
    shapes = latent_shapes(G)
    if tuple(z.shape[1:]) not in shapes:
        want = " or ".join(str(list(s)) for s in shapes)
        raise ValueError(
            f"--latents: z has rows of shape {list(z.shape[1:])}; this model takes {want}"
        )
    n, m = len(z), loaded.config["model"]
    shape = MODEL_KINDS[loaded.kind].output_shape(m)
    if n * math.prod(shape) > MAX_SAMPLE_VALUES:
        raise ValueError(
            f"--latents: {n} images of shape {shape} exceed {MAX_SAMPLE_VALUES:,} values"
        )
    y = loaded.resolve_labels(n, labels)
    device = next(G.parameters()).device
    noise = G.noise_from(seed) if hasattr(G, "noise_from") else contextlib.nullcontext()
    out = []
    with noise, evaluating(G), torch.inference_mode():
        for s in range(0, n, 256):
            zz = torch.from_numpy(z[s : s + 256]).reshape(-1, G.latent_dim).to(device)
            yy = None if y is None else torch.from_numpy(y[s : s + 256]).to(device)
            out.append(G(zz, yy).float().cpu())
    return torch.cat(out).numpy()
