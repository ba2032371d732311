"""Image datasets for the DCGAN side: MNIST, Fashion-MNIST, CIFAR-10, Stacked MNIST, a
folder, a zip.

Every dataset is held once per process as a uint8 tensor (N, C, H, W) and converted
per batch to the size and channel count a model asks for, scaled to [-1, 1]; so any
dataset fits any model (MNIST at 64 px RGB, CIFAR-10 at 28 px gray). Converting a
batch of 64 costs a few milliseconds, while a pre-resized float copy of MNIST at
64 px RGB would hold ~3 GB per (size, channels) variant in a long-lived app process.

Batches come from :class:`ImageSource`, a deterministic function of (seed, position)
that a resumed run can continue exactly.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

DATASETS = ("mnist", "fashion-mnist", "cifar10", "stacked-mnist", "folder")
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
# Well under PIL's own bomb limit (~179 MP) but above any phone photo (~50 MP): a GAN
# trains at <= 128 px, so bigger images are either mistakes or decompression bombs.
MAX_IMAGE_PIXELS = 64_000_000

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
_LUMA = torch.tensor([0.299, 0.587, 0.114])  # ITU-R 601-2, what PIL's convert("L") uses


class DatasetUnavailableError(RuntimeError):
    """A dataset's files are missing and could not be downloaded (or a folder is empty)."""


class UnsafeArchiveError(ValueError):
    """A zip was refused: unsafe paths, links, too many or too large members, huge images."""


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
                data = _load_folder(Path(key[1]), image_size, channels, max_images)
            elif key_name == "stacked-mnist":
                mnist = load_dataset("mnist", root=key[1], train=train, download=download)
                data = stack_mnist(mnist, seed=STACKED_MNIST_SEED)
            else:
                data = _load_torchvision(key_name, Path(key[1]), train, download)
            with _cache_lock:
                _cache[key] = data
        return _cache[key]


def _load_torchvision(name: str, root: Path, train: bool, download: bool) -> ImageData:
    import torchvision  # deferred: importing it costs about a second

    cls_name, sub, files = _TORCHVISION[name]
    split = "train" if train else "test"
    try:
        ds = getattr(torchvision.datasets, cls_name)(str(root), train=train, download=download)
    except (RuntimeError, OSError, EOFError, tarfile.TarError) as err:
        lines = str(err).strip().splitlines()
        reason = lines[0].rstrip(":") if lines else type(err).__name__
        where = root / sub if sub else root
        how = "the download failed" if download else "downloading was turned off"
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


# ----------------------------------------------------------------------------- folders


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


def _load_folder(path: Path, image_size: int, channels: int, max_images: int) -> ImageData:
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


# ----------------------------------------------------------------------------- zips


@dataclass
class ExtractedZip:
    """What :func:`extract_image_zip` wrote, and what it skipped (name, reason)."""

    root: Path
    files: list[Path]
    skipped: list[tuple[str, str]]


def _member_parts(info: zipfile.ZipInfo) -> list[str]:
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchiveError(f"zip member {info.filename!r} has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"zip member {info.filename!r} points outside the target folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"zip member {info.filename!r} is a symbolic link")
    return parts


def extract_image_zip(
    zip_path_or_bytes: str | os.PathLike | bytes | IO[bytes],
    dest: str | os.PathLike,
    *,
    max_files: int = 20_000,
    max_total_bytes: int = 512 * 2**20,
    max_file_bytes: int = 32 * 2**20,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> ExtractedZip:
    """Safely extract the images of a zip into ``dest`` (keeping class sub-folders).

    Refuses (:class:`UnsafeArchiveError`, nothing written) paths that escape ``dest``,
    absolute paths, symlinks, more than ``max_files`` members, and declared sizes over
    the limits; refuses while extracting if the bytes actually read exceed them or an
    image is over ``max_pixels`` (checked from its header, before decoding). Non-image
    members, hidden files and unreadable images are skipped and reported."""
    src: Any = (
        io.BytesIO(zip_path_or_bytes)
        if isinstance(zip_path_or_bytes, (bytes, bytearray))
        else zip_path_or_bytes
    )
    dest_dir = Path(dest).expanduser()
    dest_dir.mkdir(parents=True, exist_ok=True)
    base = dest_dir.resolve()
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as err:
        what = (
            zip_path_or_bytes if isinstance(zip_path_or_bytes, (str, os.PathLike)) else "the upload"
        )
        raise UnsafeArchiveError(f"cannot read {what} as a zip file ({err})") from None
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        if len(members) > max_files:
            raise UnsafeArchiveError(
                f"zip has {len(members):,} files, over the limit of {max_files:,}"
            )
        # Validate everything before writing anything: a refused zip leaves no files.
        plan: list[tuple[zipfile.ZipInfo, Path]] = []
        skipped: list[tuple[str, str]] = []
        for info in members:
            parts = _member_parts(info)
            target = base.joinpath(*parts).resolve()  # resolve: catches links already in dest
            if not parts or not target.is_relative_to(base):
                raise UnsafeArchiveError(
                    f"zip member {info.filename!r} points outside the target folder"
                )
            if any(p.startswith(".") or p == "__MACOSX" for p in parts):
                skipped.append((info.filename, "hidden or macOS metadata"))
            elif Path(parts[-1]).suffix.lower() not in IMAGE_EXTENSIONS:
                skipped.append((info.filename, "not an image file"))
            elif info.file_size > max_file_bytes:
                raise UnsafeArchiveError(
                    f"zip member {info.filename!r} declares {info.file_size:,} bytes, over the per-file limit of {max_file_bytes:,}"
                )
            else:
                plan.append((info, target))
        declared = sum(info.file_size for info, _ in plan)
        if declared > max_total_bytes:
            raise UnsafeArchiveError(
                f"zip images declare {declared:,} bytes, over the limit of {max_total_bytes:,}"
            )

        written: list[Path] = []
        total = 0
        try:
            for info, target in plan:
                # count real bytes: declared sizes in the directory can lie
                buf = bytearray()
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        buf += chunk
                        total += len(chunk)
                        if (
                            len(buf) > min(max_file_bytes, info.file_size)
                            or total > max_total_bytes
                        ):
                            raise UnsafeArchiveError(
                                f"zip member {info.filename!r} inflates past its declared size or the limits"
                            )
                try:
                    with Image.open(io.BytesIO(buf)) as im:  # parses the header, decodes nothing
                        width, height = im.size
                        if width * height <= max_pixels:
                            im.verify()
                except Image.DecompressionBombError as err:
                    raise UnsafeArchiveError(f"image {info.filename!r} refused: {err}") from None
                except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
                    skipped.append((info.filename, f"not a readable image ({err})"))
                    continue
                if width * height > max_pixels:
                    raise UnsafeArchiveError(
                        f"image {info.filename!r} is {width}x{height}, over the limit of {max_pixels:,} pixels"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(bytes(buf))
                written.append(target)
        except (UnsafeArchiveError, zipfile.BadZipFile, EOFError) as err:
            for p in written:  # all or nothing, so a refused upload leaves no half set
                p.unlink(missing_ok=True)
            if isinstance(err, UnsafeArchiveError):
                raise
            raise UnsafeArchiveError(f"the zip file is corrupt ({err})") from None
    return ExtractedZip(dest_dir, written, skipped)


# ----------------------------------------------------------------------------- batches


class ImageSource:
    """Deterministic batches over an :class:`ImageData`, converted to a model's shape.

    Epoch ``e`` visits the examples in the order of a permutation seeded by
    (seed, e); the state is just the global position, so a resumed run sees exactly
    the batches it would have seen."""

    def __init__(self, data: ImageData, *, image_size: int, channels: int, seed: int = 0) -> None:
        if (
            isinstance(image_size, bool)
            or not isinstance(image_size, int)
            or not 1 <= image_size <= 1024
        ):
            raise ValueError(f"image_size must be an int in [1, 1024], got {image_size!r}")
        if channels not in (1, 3) or isinstance(channels, bool):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        if len(data) == 0:
            raise ValueError(f"dataset {data.name!r} is empty")
        self.data = data
        self.image_size = image_size
        self.channels = channels
        self.seed = seed
        self.position = 0
        self._perm: tuple[int, torch.Tensor] | None = None

    @property
    def num_classes(self) -> int:
        return self.data.num_classes

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.data.class_names

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)

    def __len__(self) -> int:
        return len(self.data)

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        if self._perm is None or self._perm[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._perm = (epoch, torch.from_numpy(rng.permutation(len(self.data))))
        return self._perm[1]

    def take(self, indices: torch.Tensor | list[int]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Examples at ``indices`` (e.g. a fixed real batch for display or metrics)."""
        idx = torch.as_tensor(indices, dtype=torch.int64)
        x = convert_images(
            self.data.images.index_select(0, idx),
            image_size=self.image_size,
            channels=self.channels,
        )
        y = self.data.labels.index_select(0, idx) if self.data.labels is not None else None
        return x, y

    def next_batch(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(x float32 (B, C, H, W) in [-1, 1], y int64 (B,) or None), on the CPU; advances."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        n = len(self.data)
        chunks = []
        pos, left = self.position, batch_size
        while left > 0:  # a batch may straddle epochs (or span several, if B > N)
            epoch, offset = divmod(pos, n)
            take = min(left, n - offset)
            chunks.append(self._epoch_order(epoch)[offset : offset + take])
            pos, left = pos + take, left - take
        self.position = pos
        return self.take(torch.cat(chunks))

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "position": self.position, "num_examples": len(self.data)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("num_examples") != len(self.data):
            raise ValueError(
                f"data source state is for {state.get('num_examples')!r} examples but this dataset has "
                f"{len(self.data)}; the data changed since the run was saved"
            )
        self.seed = int(state["seed"])
        self.position = int(state["position"])
        self._perm = None


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
