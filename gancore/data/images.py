"""Image datasets for the DCGAN side: MNIST, Fashion-MNIST, CIFAR-10, Stacked MNIST, a
folder, a zip.

Every dataset is held once per process as a uint8 tensor (N, C, H, W) and converted
per batch to the size and channel count a model asks for, scaled to [-1, 1]; so any
dataset fits any model (MNIST at 64 px RGB, CIFAR-10 at 28 px gray). Converting a
batch of 64 costs a few milliseconds, while a pre-resized float copy of MNIST at
64 px RGB would hold ~3 GB per (size, channels) variant in a long-lived app process.

Batches come from :class:`ImageSource`, a deterministic function of (seed, position)
that a resumed run can continue exactly.

This module loads datasets by name; its parts: :mod:`gancore.data.image_data` (a dataset in
memory, per-batch conversion), :mod:`gancore.data.folders` (a folder of images),
:mod:`gancore.data.image_zips` (unpacking an uploaded zip) and
:mod:`gancore.data.image_source` (the batches).
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock

from gancore.data.folders import load_folder
from gancore.data.image_data import DatasetUnavailableError, ImageData
from gancore.data.image_source import ImageSource

DATASETS = ("mnist", "fashion-mnist", "cifar10", "stacked-mnist", "folder")

# torchvision class, sub-folder of the root it reads, what a user can put there
_MNIST_FILES = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
_TORCHVISION = {
    "mnist": ("MNIST", "MNIST/raw", _MNIST_FILES),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST/raw", _MNIST_FILES),
    "cifar10": (
        "CIFAR10",
        "",
        "cifar-10-python.tar.gz (or its extracted cifar-10-batches-py/ folder)",
    ),
}
_ALIASES = {
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "cifar-10": "cifar10",
    "stacked_mnist": "stacked-mnist",
    "stackedmnist": "stacked-mnist",
}
# Stacked MNIST (Srivastava et al. 2017; Lin et al. 2018): three MNIST digits as the R, G, B
# planes of one 28x28 image, 1000 modes (label r*100 + g*10 + b). Channel c of triple i is
# MNIST image perm_c[i], perm_c a permutation of the split drawn from STACKED_MNIST_SEED: every
# MNIST image appears exactly once in each channel, 60,000 triples (10,000 for t10k).
STACKED_MNIST_SEED = 2018


def resolve_data_root(root: str | os.PathLike | None = None) -> Path:
    """Data root: explicit argument > env GANCORE_DATA > ~/.cache/gancore/data."""
    if root is None:
        root = os.environ.get("GANCORE_DATA") or Path.home() / ".cache" / "gancore" / "data"
    return Path(root).expanduser()


def dataset_name(name: str) -> str:
    """Canonical dataset name; a ValueError naming the bad value otherwise."""
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")
    return key


_cache: dict[tuple, ImageData] = {}
_cache_lock = threading.Lock()
_key_locks: dict[tuple, threading.Lock] = {}  # one per dataset: loads of different sets overlap


def clear_cache() -> None:
    """Forget every dataset held in memory (e.g. after a folder's contents changed)."""
    with _cache_lock:
        _cache.clear()


def load_dataset(
    name: str,
    *,
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = True,
    path: str | os.PathLike | None = None,
    image_size: int = 64,
    channels: int = 3,
    max_images: int = 10_000,
) -> ImageData:
    """Load a dataset once per process (cached). torchvision sets keep their native
    size; a folder (``path``) is decoded to ``image_size`` and ``channels`` since its
    images differ in size, and capped at ``max_images`` (evenly subsampled)."""
    key_name = dataset_name(name)
    if key_name == "folder":
        if path is None:
            raise ValueError("dataset 'folder' needs path= (a directory of images)")
        key = ("folder", str(Path(path).expanduser().resolve()), image_size, channels, max_images)
    else:
        key = (key_name, str(resolve_data_root(root).resolve()), bool(train))
    with _cache_lock:
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        if key not in _cache:
            if key_name == "folder":
                data = load_folder(Path(key[1]), image_size, channels, max_images)
            elif key_name == "stacked-mnist":
                mnist = load_dataset("mnist", root=key[1], train=train, download=download)
                data = stack_mnist(mnist, seed=STACKED_MNIST_SEED)
            else:
                data = _load_torchvision(key_name, Path(key[1]), train, download)
            with _cache_lock:
                _cache[key] = data
        return _cache[key]


def _unpack_lock(root: Path) -> FileLock:
    """One process at a time reads (and, the first time, unpacks) the datasets under root.

    torchvision unpacks MNIST's .gz files beside them and then reads the unpacked files; a
    second process (a hosted server's training workers, two CLI runs) that starts meanwhile
    finds a half-written file and fails. The lock file lives in the temp folder, so a
    read-only data folder works too.
    """
    tag = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return FileLock(Path(tempfile.gettempdir()) / f"gancore-data-{tag}.lock")


def _load_torchvision(name: str, root: Path, train: bool, download: bool) -> ImageData:
    import torchvision  # deferred: importing it costs about a second

    cls_name, sub, files = _TORCHVISION[name]
    split = "train" if train else "test"
    try:
        with _unpack_lock(root):
            ds = getattr(torchvision.datasets, cls_name)(str(root), train=train, download=download)
    except (RuntimeError, OSError, EOFError, ValueError, tarfile.TarError) as err:
        lines = str(err).strip().splitlines()
        reason = lines[0].rstrip(":") if lines else type(err).__name__
        where = root / sub if sub else root
        how = "the download failed" if download else "downloading was turned off"
        if isinstance(err, ValueError):  # files there that are not what torchvision expects
            how = "the files there are damaged (delete the unpacked ones to unpack them again)"
        raise DatasetUnavailableError(
            f"{cls_name} ({split}) is not available: it was looked for in {where} and {how} "
            f"({reason}). To provide it, put {files} in {where}, or point --data-root (or the "
            f"GANCORE_DATA environment variable) at a folder that already holds "
            f"{sub + '/' if sub else 'them'}. On a machine with internet access the files "
            f"download there automatically."
        ) from None
    if isinstance(ds.data, torch.Tensor):  # MNIST family: (N, 28, 28)
        images = ds.data.to(torch.uint8).unsqueeze(1).contiguous()
    else:  # CIFAR: numpy (N, 32, 32, 3) HWC
        images = torch.from_numpy(np.ascontiguousarray(ds.data)).permute(0, 3, 1, 2).contiguous()
    labels = torch.as_tensor(ds.targets, dtype=torch.int64)
    return ImageData(name, images, labels, tuple(str(c) for c in ds.classes))


def stack_mnist(mnist: ImageData, *, seed: int = STACKED_MNIST_SEED) -> ImageData:
    """Stacked MNIST from MNIST: triple i stacks images perm_0[i], perm_1[i], perm_2[i] as its
    R, G, B planes, where perm_c are three permutations of the N images drawn from ``seed``
    (numpy's default_rng([seed, c])); its label is the 3-digit mode r*100 + g*10 + b.

    So there are as many triples as MNIST images and each image is used once per channel: the
    digit shares of every plane are MNIST's own, and the 1000 modes hold 60 images each on
    average (31 to 97 for the default seed) -- enough to train on without repeating a triple, and only 3x MNIST's memory (141 MB for the train
    split) where 128,000 fresh triples a la Metz et al. would cost 301 MB for no new digits."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if mnist.labels is None or mnist.images.dim() != 4 or mnist.images.shape[1] != 1:
        raise ValueError("stack_mnist needs labelled one-channel images (MNIST)")
    n = len(mnist)
    perms = [torch.from_numpy(np.random.default_rng([seed, c]).permutation(n)) for c in range(3)]
    images = torch.cat([mnist.images[p] for p in perms], dim=1).contiguous()
    labels = 100 * mnist.labels[perms[0]] + 10 * mnist.labels[perms[1]] + mnist.labels[perms[2]]
    names = tuple(f"{m:03d}" for m in range(1000))
    return ImageData("stacked-mnist", images, labels, names)


def open_image_source(
    name: str,
    *,
    image_size: int,
    channels: int,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    path: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = True,
    max_images: int = 10_000,
) -> ImageSource:
    """Load (cached) and wrap a dataset as batches of the requested shape."""
    data = load_dataset(
        name,
        root=root,
        train=train,
        download=download,
        path=path,
        image_size=image_size,
        channels=channels,
        max_images=max_images,
    )
    return ImageSource(data, image_size=image_size, channels=channels, seed=seed)
