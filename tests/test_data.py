"""Image datasets: the offline MNIST root, conversions, CIFAR-10 and folder stand-ins,
zip extraction limits, and resumable deterministic batches.

CIFAR-10 is not on this machine. It is tested with a generated fake in torchvision's
on-disk format (``cifar-10-batches-py/`` pickles) read by the real torchvision
``CIFAR10`` class, with only its md5 check patched out (the fake cannot match the md5s);
the shape conversion it feeds is also tested directly through ``convert_images``.
"""

import io
import os
import pickle
import stat
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gancore.data.folders import scan_folder
from gancore.data.image_data import DatasetUnavailableError, ImageData, convert_images
from gancore.data.image_source import ImageSource
from gancore.data.image_zips import UnsafeArchiveError, extract_image_zip
from gancore.data.images import (
    dataset_name,
    load_dataset,
    open_image_source,
    resolve_data_root,
)

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_MEAN = 0.1307 * 2 - 1  # the usual 0.1307 pixel mean, in [-1, 1]


# ----------------------------------------------------------------------------- MNIST


def test_mnist_from_offline_root(mnist_root):
    data = load_dataset("mnist", root=mnist_root, download=True)
    assert len(data) == 60000
    assert data.images.dtype == torch.uint8 and data.images.shape == (60000, 1, 28, 28)
    assert data.labels.dtype == torch.int64
    assert torch.bincount(data.labels).tolist() == MNIST_TRAIN_COUNTS
    assert data.num_classes == 10 and data.class_names[3] == "3 - three"
    # torchvision extracted into the tmp root, never into the shared originals
    assert (mnist_root / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    shared = Path(
        os.environ.get("GANCORE_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")
    )
    assert all(p.suffix == ".gz" for p in (shared / "MNIST" / "raw").iterdir())
    assert load_dataset("mnist", root=mnist_root) is data  # cached per process
    assert len(load_dataset("mnist", root=mnist_root, train=False)) == 10000


def test_mnist_batches_native_and_resized(mnist_root):
    src = open_image_source("mnist", image_size=28, channels=1, root=mnist_root, seed=0)
    x, y = src.next_batch(1000)
    assert x.dtype == torch.float32 and x.shape == (1000, 1, 28, 28)
    assert x.min().item() == -1.0 and x.max().item() == 1.0
    assert x.mean().item() == pytest.approx(MNIST_MEAN, abs=0.02)
    assert y.dtype == torch.int64 and y.min() >= 0 and y.max() <= 9
    # at native size a batch is exactly the stored bytes, rescaled
    idx = torch.arange(5)
    raw = src.data.images[:5].float() / 127.5 - 1
    assert torch.equal(src.take(idx)[0], raw)

    for size, ch in [(32, 1), (64, 1), (64, 3), (128, 3)]:
        s = open_image_source("mnist", image_size=size, channels=ch, root=mnist_root, seed=0)
        xs, ys = s.next_batch(200)
        assert xs.shape == (200, ch, size, size)
        assert xs.min() >= -1.0 and xs.max() <= 1.0
        assert torch.equal(ys, y[:200])  # same seed, same examples, whatever the size
        assert xs.mean().item() == pytest.approx(x[:200].mean().item(), abs=0.02)
        if ch == 3:
            assert torch.equal(xs[:, 0], xs[:, 1]) and torch.equal(xs[:, 1], xs[:, 2])


def test_fashion_mnist(mnist_root):
    src = open_image_source("Fashion-MNIST", image_size=32, channels=3, root=mnist_root)
    assert len(src) == 60000 and src.num_classes == 10
    assert src.class_names[9] == "Ankle boot"
    assert torch.bincount(src.data.labels).tolist() == [6000] * 10
    x, _ = src.next_batch(8)
    assert x.shape == (8, 3, 32, 32)


def test_mnist_source_resumes_identically(mnist_root):
    a = open_image_source("mnist", image_size=32, channels=1, root=mnist_root, seed=7)
    b = open_image_source("mnist", image_size=32, channels=1, root=mnist_root, seed=7)
    for _ in range(3):
        xa, ya = a.next_batch(16)
        xb, yb = b.next_batch(16)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    state = a.state_dict()
    after = [a.next_batch(16) for _ in range(2)]
    c = open_image_source("mnist", image_size=32, channels=1, root=mnist_root, seed=0)
    c.load_state_dict(state)
    for x, y in after:
        xc, yc = c.next_batch(16)
        assert torch.equal(x, xc) and torch.equal(y, yc)


# ----------------------------------------------------------------------------- roots, errors


_LOADER = """
import sys
from pathlib import Path
import torchvision  # imported first, so the load starts right after the ready line
from gancore.data.images import load_dataset
root = Path(sys.argv[1])
(root / "ready").touch()
data = load_dataset("fashion-mnist", root=root, train=True)
print(len(data), data.labels[:5].tolist())
"""


def test_one_process_at_a_time_unpacks_a_fresh_root(mnist_root, tmp_path):
    """torchvision unpacks the .gz files and then reads what it unpacked; a hosted server's
    training workers (or two CLI runs) opening a never-unpacked root together would read each
    other's half-written files. While one process holds the root's lock, another waits and
    writes nothing; when it is released, the other reads the whole set."""
    from gancore.data.images import _unpack_lock

    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (mnist_root / "FashionMNIST" / "raw").glob("*.gz"):
        raw.joinpath(f.name).write_bytes(f.read_bytes())
    with _unpack_lock(tmp_path):
        loader = subprocess.Popen(
            [sys.executable, "-c", _LOADER, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3)  # unpacking the first file would have begun within milliseconds
        assert loader.poll() is None  # still waiting for the lock
        assert sorted(p.suffix for p in raw.iterdir()) == [".gz"] * 4  # nothing unpacked
    out, err = loader.communicate(timeout=120)
    assert loader.returncode == 0, err[-1500:]
    assert out.split(" ", 1) == ["60000", "[9, 0, 0, 3, 0]\n"]  # Fashion-MNIST's first labels
    assert (raw / "train-images-idx3-ubyte").stat().st_size == 47_040_016


def test_data_root_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("GANCORE_DATA", str(tmp_path / "env"))
    assert resolve_data_root(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_root() == tmp_path / "env"
    monkeypatch.delenv("GANCORE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data_root() == tmp_path / "home" / ".cache" / "gancore" / "data"


def test_missing_dataset_offline_is_a_clear_error(monkeypatch, tmp_path):
    attempts = []

    def offline(*args, **kwargs):
        attempts.append(args)
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DatasetUnavailableError) as err:
        load_dataset("mnist", root=tmp_path, download=True)
    msg = str(err.value)
    assert attempts, "download=True should have tried the network"
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert "train-images-idx3-ubyte.gz" in msg
    assert "--data-root" in msg and "GANCORE_DATA" in msg
    assert "\n" not in msg and err.value.__suppress_context__  # one paragraph, no chained traceback

    with pytest.raises(DatasetUnavailableError, match="cifar-10-python.tar.gz"):
        load_dataset("cifar10", root=tmp_path, download=False)


def test_corrupt_unpacked_files_are_a_clear_error(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images", "train-labels", "t10k-images", "t10k-labels"):
        (raw / f"{name}-idx{3 if 'images' in name else 1}-ubyte").write_bytes(b"")  # truncated
    with pytest.raises(DatasetUnavailableError) as err:
        load_dataset("mnist", root=tmp_path, download=False)
    msg = str(err.value)
    assert str(raw) in msg and "damaged" in msg and "invalid literal" in msg
    assert "GANCORE_DATA" in msg
    assert "\n" not in msg and err.value.__suppress_context__


def test_dataset_names():
    assert dataset_name("FASHION_MNIST") == "fashion-mnist"
    assert dataset_name("cifar-10") == "cifar10"
    with pytest.raises(ValueError, match="'svhn'"):
        dataset_name("svhn")
    with pytest.raises(ValueError, match="path="):
        load_dataset("folder")


def test_library_imports_neither_streamlit_nor_torchvision_eagerly():
    code = (
        "import sys, gancore.data.images, gancore.models.dcgan; "
        "assert 'streamlit' not in sys.modules; assert 'torchvision' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# ----------------------------------------------------------------------------- conversions


def test_convert_images_sizes_and_channels():
    red = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    red[:, 0] = 255
    gray = convert_images(red, image_size=28, channels=1)
    assert gray.shape == (2, 1, 28, 28)
    assert torch.allclose(gray, torch.full_like(gray, 0.299 * 255 / 127.5 - 1), atol=1e-5)
    big = convert_images(red, image_size=128, channels=3)
    assert big.shape == (2, 3, 128, 128)
    assert torch.allclose(big[:, 0], torch.ones(2, 128, 128)) and (big[:, 1:] == -1).all()
    ramp = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    up = convert_images(ramp, image_size=64, channels=3)
    assert up.shape == (1, 3, 64, 64) and up.min() >= -1 and up.max() <= 1
    with pytest.raises(ValueError, match="uint8"):
        convert_images(torch.zeros(1, 1, 8, 8), image_size=8, channels=1)


def _write_fake_cifar(root: Path, per_batch: int = 4) -> None:
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        data[0] = 0
        data[0, :1024] = 255  # first image of each batch: pure red (planes R, G, B)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        with open(d / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels}, f)
    names = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    with open(d / "batches.meta", "wb") as f:
        pickle.dump({"label_names": names}, f)


def test_cifar10_stand_in_through_torchvision(monkeypatch, tmp_path):
    import torchvision.datasets.cifar as tv_cifar

    _write_fake_cifar(tmp_path)
    # the fake cannot match the real md5s; existence is what we can honestly check
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda fpath, md5=None: os.path.isfile(fpath))
    data = load_dataset("cifar10", root=tmp_path, download=False)
    assert data.images.shape == (20, 3, 32, 32) and data.images.dtype == torch.uint8
    assert data.class_names[3] == "cat" and data.num_classes == 10
    assert (data.images[0, 0] == 255).all() and (data.images[0, 1:] == 0).all()
    src = ImageSource(data, image_size=28, channels=1, seed=0)
    x, _ = src.take([0])
    assert x.shape == (1, 1, 28, 28)
    assert torch.allclose(x, torch.full_like(x, 0.299 * 255 / 127.5 - 1), atol=1e-5)
    x64, y64 = ImageSource(data, image_size=64, channels=3).next_batch(20)
    assert x64.shape == (20, 3, 64, 64) and sorted(y64.tolist()) == sorted(data.labels.tolist())


# ----------------------------------------------------------------------------- folders


def _png(color, size=(40, 30), mode="RGB", fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, fmt)
    return buf.getvalue()


def _make_folder(root: Path) -> None:
    (root / "wrapper" / "cats").mkdir(parents=True)
    (root / "wrapper" / "dogs" / "sub").mkdir(parents=True)
    for i in range(3):
        (root / "wrapper" / "cats" / f"c{i}.png").write_bytes(_png((255, 0, 0)))
    (root / "wrapper" / "dogs" / "d0.jpg").write_bytes(_png((0, 0, 255), (50, 50), fmt="JPEG"))
    (root / "wrapper" / "dogs" / "sub" / "d1.png").write_bytes(_png(128, (20, 60), mode="L"))
    (root / "wrapper" / "dogs" / "d2.png").write_bytes(_png((0, 0, 255, 255), mode="RGBA"))
    pal = Image.new("P", (16, 16), 1)
    pal.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    pal.info["transparency"] = 0
    pal.save(root / "wrapper" / "dogs" / "d3.png")
    (root / "wrapper" / "dogs" / "broken.png").write_bytes(b"not a png at all")
    (root / "wrapper" / "dogs" / "notes.txt").write_text("hello")
    (root / "wrapper" / "cats" / ".hidden.png").write_bytes(_png((0, 255, 0)))


def test_folder_image_folder_style(tmp_path):
    _make_folder(tmp_path)
    files, labels, names = scan_folder(tmp_path)
    assert names == ("cats", "dogs")
    assert len(files) == 8 and labels.count(0) == 3  # the wrapper was descended, .hidden skipped
    src = open_image_source("folder", path=tmp_path, image_size=32, channels=3)
    assert src.num_classes == 2 and len(src) == 7  # broken.png skipped at decode
    assert any("broken.png" in s for s in src.data.skipped)
    x, y = src.take(torch.arange(len(src)))
    assert x.shape == (7, 3, 32, 32) and y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    red = torch.tensor([1.0, -1.0, -1.0]).view(3, 1, 1).expand(3, 32, 32)
    assert torch.equal(x[0], red)  # a 40x30 red PNG, centre-cropped and resized, still red
    gray = open_image_source("folder", path=tmp_path, image_size=28, channels=1)
    assert gray.take([0])[0].shape == (1, 1, 28, 28)


def test_folder_flat_unlabeled_cap_and_empty(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(10):
        (flat / f"{i:02d}.png").write_bytes(_png((i * 25, 0, 0), (8, 8)))
    src = open_image_source("folder", path=flat, image_size=16, channels=1, max_images=4)
    assert src.num_classes == 0 and src.class_names == () and len(src) == 4
    x, y = src.next_batch(3)
    assert y is None and x.shape == (3, 1, 16, 16)
    # the cap keeps an even spread (first and last included), not the first four
    reds = sorted(round(v) for v in (src.data.images[:, 0, 0, 0].float()).tolist())
    assert reds == [0, round(0.299 * 75), round(0.299 * 150), round(0.299 * 225)]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetUnavailableError, match="no images"):
        load_dataset("folder", path=empty)
    with pytest.raises(DatasetUnavailableError, match="does not exist"):
        load_dataset("folder", path=tmp_path / "nope")


# ----------------------------------------------------------------------------- zips


def _zip(members: dict[str, bytes], *, link: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that only declares its size: what a decompression bomb looks like to a header check."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk
        + struct.pack(">I", 0)
        + b"IEND"
        + struct.pack(">I", zlib.crc32(b"IEND"))
    )


def test_zip_extracts_images_and_skips_others(tmp_path):
    data = _zip(
        {
            "set/cats/a.png": _png((255, 0, 0)),
            "set/dogs/b.jpg": _png((0, 0, 255), fmt="JPEG"),
            "set/readme.txt": b"hi",
            "__MACOSX/set/._a.png": b"junk",
            "set/dogs/fake.png": b"not an image",
        }
    )
    out = extract_image_zip(data, tmp_path / "x")
    assert sorted(p.relative_to(tmp_path / "x").as_posix() for p in out.files) == [
        "set/cats/a.png",
        "set/dogs/b.jpg",
    ]
    reasons = dict(out.skipped)
    assert reasons["set/readme.txt"] == "not an image file"
    assert "readable" in reasons["set/dogs/fake.png"] and "__MACOSX/set/._a.png" in reasons
    assert not (tmp_path / "x" / "set" / "readme.txt").exists()
    src = open_image_source("folder", path=tmp_path / "x", image_size=32, channels=3)
    assert src.class_names == ("cats", "dogs")
    zpath = tmp_path / "up.zip"  # a path and a file object work as well as bytes
    zpath.write_bytes(data)
    assert len(extract_image_zip(zpath, tmp_path / "y").files) == 2
    assert len(extract_image_zip(io.BytesIO(data), tmp_path / "z").files) == 2


@pytest.mark.parametrize(
    "members,kwargs,match",
    [
        ({"ok.png": _png(1), "../evil.png": _png(1)}, {}, "outside"),
        ({"a/../../evil.png": _png(1)}, {}, "outside"),
        ({"/abs/evil.png": _png(1)}, {}, "absolute"),
        ({"C:\\evil.png": _png(1)}, {}, "absolute"),
        ({f"{i}.png": _png(1) for i in range(6)}, {"max_files": 5}, "6 files"),
        ({"big.png": _png(1) + b"\0" * 5000}, {"max_file_bytes": 4096}, "per-file limit"),
        (
            {f"{i}.bmp": b"\0" * 3000 for i in range(4)},
            {"max_total_bytes": 10_000},
            "declare 12,000",
        ),
        ({"bomb.png": _png_header(9000, 9000)}, {}, "9000x9000"),
        ({"bomb.png": _png_header(30000, 30000)}, {}, "bomb.png"),
        ({"small.png": _png(1, (64, 64))}, {"max_pixels": 1000}, "64x64"),
    ],
)
def test_zip_refusals(tmp_path, members, kwargs, match):
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match=match):
        extract_image_zip(_zip(members), dest, **kwargs)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))  # nothing written, nothing escaped


def test_zip_refuses_symlink_and_garbage(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_image_zip(_zip({"a.png": _png(1)}, link="link.png"), tmp_path / "d")
    with pytest.raises(UnsafeArchiveError, match="as a zip"):
        extract_image_zip(b"PK not really", tmp_path / "d")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_zip_lying_central_directory_is_refused(tmp_path):
    data = bytearray(_zip({"a.png": _png((1, 2, 3), (64, 64))}))
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)  # declare 10 uncompressed bytes
    with pytest.raises(UnsafeArchiveError):
        extract_image_zip(bytes(data), tmp_path / "d")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


# ----------------------------------------------------------------------------- batches


def _numbered(n: int = 10, labeled: bool = True) -> ImageData:
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 4, 4).contiguous()
    labels = torch.arange(n) % 3 if labeled else None
    return ImageData("numbers", images, labels, ("a", "b", "c") if labeled else ())


def _ids(x: torch.Tensor) -> list[int]:
    return ((x[:, 0, 0, 0] + 1) * 127.5).round().long().tolist()


def test_source_epochs_are_permutations_and_seeded():
    src = ImageSource(_numbered(), image_size=4, channels=1, seed=3)
    seen = [i for _ in range(5) for i in _ids(src.next_batch(4)[0])]  # 20 = two epochs, straddled
    assert sorted(seen[:10]) == list(range(10)) and sorted(seen[10:]) == list(range(10))
    assert seen[:10] != seen[10:]  # a fresh order each epoch
    again = ImageSource(_numbered(), image_size=4, channels=1, seed=3)
    assert _ids(again.next_batch(20)[0]) == seen  # batching does not change the stream
    other = ImageSource(_numbered(), image_size=4, channels=1, seed=4)
    assert _ids(other.next_batch(10)[0]) != seen[:10]
    x, y = ImageSource(_numbered(), image_size=4, channels=1).next_batch(25)  # B > N
    assert x.shape == (25, 1, 4, 4) and torch.equal(y, torch.tensor(_ids(x)) % 3)


def test_source_state_round_trip():
    a = ImageSource(_numbered(), image_size=4, channels=1, seed=11)
    for _ in range(3):
        a.next_batch(4)
    state = a.state_dict()
    assert state == {"seed": 11, "position": 12, "num_examples": 10}
    expected = [_ids(a.next_batch(4)[0]) for _ in range(4)]
    b = ImageSource(_numbered(), image_size=4, channels=1, seed=0)
    b.load_state_dict(state)
    assert [_ids(b.next_batch(4)[0]) for _ in range(4)] == expected
    with pytest.raises(ValueError, match="10 examples"):
        ImageSource(_numbered(12), image_size=4, channels=1).load_state_dict(state)


def test_source_validation_and_unlabeled():
    src = ImageSource(_numbered(labeled=False), image_size=8, channels=3)
    x, y = src.next_batch(2)
    assert y is None and x.shape == (2, 3, 8, 8) and src.num_classes == 0
    with pytest.raises(ValueError, match="batch_size"):
        src.next_batch(0)
    with pytest.raises(ValueError, match="channels"):
        ImageSource(_numbered(), image_size=8, channels=2)
    with pytest.raises(ValueError, match="-1"):
        ImageSource(_numbered(), image_size=8, channels=1, seed=-1)
