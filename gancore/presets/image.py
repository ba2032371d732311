"""Named image presets: DCGAN-family runs on MNIST, Fashion-MNIST, CIFAR-10 or a folder.

An image preset is a JSON-able dict, the image twin of the toy presets in presets.py:
  {"kind": "image", "description": str,
   "data": {"name": "mnist" | "fashion-mnist" | "cifar10" | "stacked-mnist" | "folder", ["path": DIR,
            "max_images": N]},
   "model": DCGANConfig dict, "train": TrainConfig dict}
Any dataset fits any model size: gancore.data.images resizes and converts channels per batch.
Overrides look like the toy ones: "model.g_features=16", "train.lr_d=1e-4", "data.name=cifar10".

The 28 px presets are sized for a 2-core CPU (a few hundred images per second); the
32 and 64 px ones are the classic DCGAN shapes and want a GPU.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gancore.data.folders import scan_folder
from gancore.data.images import DATASETS, ImageSource, dataset_name, open_image_source
from gancore.models.dcgan import DCGANConfig, build_models
from gancore.presets import common
from gancore.presets.common import check_sections
from gancore.seeding import set_seed
from gancore.train.trainer import TrainConfig, Trainer

# torchvision sets and their class counts; a folder's classes are known only once it is read
DATASET_CLASSES = {"mnist": 10, "fashion-mnist": 10, "cifar10": 10, "stacked-mnist": 1000}
DATA_KEYS = {"name", "path", "max_images"}
CHANNELS = {"mnist": 1, "fashion-mnist": 1, "cifar10": 3, "stacked-mnist": 3, "folder": 3}


def _image(description: str, data: dict, model: dict, train: dict) -> dict[str, Any]:
    return common.full_preset("image", DCGANConfig, description, data, model, train)


# 28 px on a CPU: G starts at (2*32) x 7 x 7; D is two strided convs and a 7x7 head.
_MNIST_MODEL = dict(image_size=28, channels=1, latent_dim=64, g_features=32, d_features=32)
# D reads the label as an extra input plane. In 5-minute CPU runs of cgan-mnist the
# projection D (cond_mode="projection") let G ignore z and draw one image per class, with
# weak label adherence; with the label plane every row was its digit, in varied styles.
_CGAN_MODEL = {**_MNIST_MODEL, "num_classes": 10, "cond_mode": "channel"}
_STACKED_MODEL = {**_MNIST_MODEL, "channels": 3}
_DCGAN_TRAIN = dict(
    loss="non_saturating",
    batch_size=64,
    lr_g=2e-4,
    lr_d=2e-4,
    betas_g=(0.5, 0.999),
    betas_d=(0.5, 0.999),
)

IMAGE_PRESETS: dict[str, dict[str, Any]] = {
    # Unconditional G drifts between digits from step to step; sampling from an average of
    # its weights (EMA, Yazici et al. 2019) is steadier: without it, 15,000 CPU rounds gave a
    # classifier Frechet distance of 98.5 and one digit at 4.3% of samples.
    "dcgan-mnist": _image(
        "DCGAN on MNIST at 28 px: small enough to train on a laptop CPU.",
        {"name": "mnist"},
        _MNIST_MODEL,
        {**_DCGAN_TRAIN, "ema_decay": 0.999},
    ),
    # TTUR (Heusel et al. 2017): D learns 4x faster than G, the learning rates of the paper's
    # DCGAN runs; with its own rate D keeps up with G without extra D steps.
    "dcgan-mnist-ttur": _image(
        "DCGAN on MNIST with TTUR (Heusel et al. 2017): D learns at 4e-4, G at 1e-4.",
        {"name": "mnist"},
        _MNIST_MODEL,
        {**_DCGAN_TRAIN, "lr_g": 1e-4, "lr_d": 4e-4, "ema_decay": 0.999},
    ),
    # Stacked MNIST (1000 modes, three digits as R, G, B planes): the mode-collapse benchmark
    # of VEEGAN and PacGAN (Lin et al. 2018, Table 2). The plain DCGAN, shaped as dcgan-mnist
    # with 3 channels; benchmarks/stacked_mnist.py compares it with each stabilizer.
    "dcgan-stacked-mnist": _image(
        "Plain DCGAN on Stacked MNIST (3 digits as R, G, B: 1000 modes), 28 px, CPU-sized.",
        {"name": "stacked-mnist"},
        _STACKED_MODEL,
        {**_DCGAN_TRAIN, "ema_decay": 0.999},
    ),
    # Its KL to uniform is nearly all uneven digits within each plane (eval's plane_kl): half-
    # formed strokes read as 3, 5 or 8. Learning rates 5x DCGAN's sharpen them faster: in 300 s
    # on one thread (seed 0, 26,000 samples) KL 0.587 at 2e-4, 0.226 at 5e-4, 0.178 at 1e-3
    # (1000 modes), where a G twice as wide (g_features 64) ran half the rounds and read 0.855;
    # batch 32 (twice the rounds, noisier) read 0.158 against 0.178 at 64, and 0.140 against
    # 0.145 in the 900 s target run. An R1 penalty on D (gamma 1, lazily every 4th D step)
    # brought the 900 s run at seed 0 from 0.140 to 0.084-0.102 (gamma 2: 0.133; EMA 0.9999
    # instead: 0.137) on one thread beside another job; alone on both cores (~35,000 rounds)
    # seeds 0, 1 and 2 read 0.083, 0.101 and 0.096 (BENCHMARKS.md, stacked_mnist).
    "stacked-mnist": _image(
        "Stacked MNIST (1000 modes) with PacGAN packing: D judges 2 samples at once, so G must "
        "vary; R1 penalty on D (gamma 1, every 4th step); learning rates 1e-3, batch 32.",
        {"name": "stacked-mnist"},
        _STACKED_MODEL,
        {
            **_DCGAN_TRAIN,
            "batch_size": 32,
            "lr_g": 1e-3,
            "lr_d": 1e-3,
            "ema_decay": 0.999,
            "pack": 2,
            "r1_gamma": 1.0,
            "reg_every": 4,
        },
    ),
    "cgan-mnist": _image(
        "Class-conditional DCGAN on MNIST (label as a learned input plane of D): pick the digit.",
        {"name": "mnist"},
        _CGAN_MODEL,
        _DCGAN_TRAIN,
    ),
    "cgan-fashion-mnist": _image(
        "Class-conditional DCGAN on Fashion-MNIST: pick the garment.",
        {"name": "fashion-mnist"},
        _CGAN_MODEL,
        _DCGAN_TRAIN,
    ),
    "wgan-gp-mnist": _image(
        "WGAN-GP on MNIST (Gulrajani et al. 2017): layer-norm critic, 5 critic steps, lambda 10.",
        {"name": "mnist"},
        {**_MNIST_MODEL, "d_norm": "layer"},
        dict(
            loss="wgan_gp",
            d_steps=5,
            gp_lambda=10.0,
            batch_size=64,
            lr_g=1e-4,
            lr_d=1e-4,
            betas_g=(0.0, 0.9),
            betas_d=(0.0, 0.9),
            ema_decay=0.999,
        ),
    ),
    "dcgan-cifar10": _image(
        "DCGAN on CIFAR-10 at 32 px RGB (Radford et al. shapes, ngf = ndf = 64); wants a GPU.",
        {"name": "cifar10"},
        dict(image_size=32, channels=3, latent_dim=100, g_features=64, d_features=64),
        _DCGAN_TRAIN,
    ),
    "dcgan-64": _image(
        "The classic 64 px RGB DCGAN (4x4x1024 start, ngf 128) on CIFAR-10 upscaled; "
        "--set data.name=folder --set data.path=DIR for your own images. Slow on a CPU.",
        {"name": "cifar10"},
        dict(image_size=64, channels=3, latent_dim=100, g_features=128, d_features=64),
        {**_DCGAN_TRAIN, "batch_size": 128},
    ),
}


def validate_image_preset(preset: dict[str, Any]) -> None:
    """Raise ValueError unless ``preset`` is a complete, consistent image preset."""
    check_sections(preset, "image")
    model = DCGANConfig.from_dict(preset["model"])
    TrainConfig.from_dict(preset["train"])
    data = preset["data"]
    common.check_data_keys(data, DATA_KEYS)
    if "name" not in data:
        raise ValueError(f"data.name is missing; expected one of {DATASETS}")
    name = dataset_name(data["name"])
    common.check_image_data(data, name, own="folder", own_what="a directory of images")
    classes = DATASET_CLASSES.get(name)
    if classes is not None and model.num_classes not in (0, classes):
        raise ValueError(
            f"model.num_classes is {model.num_classes} but {name} has {classes} classes; "
            f"use {classes} (conditional) or 0"
        )


IMAGES = common.PresetFamily(
    IMAGE_PRESETS,
    DCGANConfig,
    validate_image_preset,
    what="image ",
    data_keys=DATA_KEYS,
    canonical=common.canonical_data_name,
)
list_image_presets = IMAGES.describe
get_image_preset = IMAGES.get
apply_image_overrides = IMAGES.apply
resolve_image_preset = IMAGES.resolve


def retarget_image_preset(
    preset: dict[str, Any], data: str, size: int, *, folder: str | None = None
) -> dict[str, Any]:
    """The image preset on another dataset and / or at another image size, validated.

    The model takes the dataset's channels; ``data="folder"`` needs the ``folder`` of images,
    and a conditional preset then needs at least two class sub-folders (their count becomes
    model.num_classes)."""
    if data == preset["data"]["name"] and size == preset["model"]["image_size"]:
        return resolve_image_preset(preset)
    if data not in CHANNELS:
        raise ValueError(f"data must be one of {sorted(CHANNELS)}, got {data!r}")
    out = {**preset, "data": {"name": data}, "model": dict(preset["model"])}
    out["model"].update(image_size=size, channels=CHANNELS[data])
    if data == "folder":
        if folder is None:
            raise ValueError("data=folder needs the folder of images")
        out["data"]["path"] = str(folder)
        if out["model"]["num_classes"]:
            _, _, classes = scan_folder(folder)
            if len(classes) < 2:
                raise ValueError(
                    "a conditional preset needs labels: put each class's images in its own "
                    "sub-folder of the zip, or pick an unconditional preset (dcgan-mnist)"
                )
            out["model"]["num_classes"] = len(classes)
    return resolve_image_preset(out)


def open_preset_data(
    preset: dict[str, Any], *, root: str | None = None, download: bool = True
) -> ImageSource:
    """The preset's dataset as batches of its model's shape, seeded by train.seed."""
    model = DCGANConfig.from_dict(preset["model"])
    data = preset["data"]
    source = open_image_source(
        data["name"],
        image_size=model.image_size,
        channels=model.channels,
        seed=preset["train"]["seed"],
        root=root,
        path=data.get("path"),
        download=download,
        max_images=data.get("max_images", 10_000),
    )
    if model.num_classes and source.num_classes != model.num_classes:
        have = f"{source.num_classes} classes" if source.num_classes else "no labels"
        raise ValueError(
            f"model.num_classes is {model.num_classes} but dataset {data['name']!r} has {have}; "
            f"set model.num_classes={source.num_classes}"
        )
    return source


class _Unlabeled:
    """An ImageSource whose labels an unconditional model must not see (its D refuses them)."""

    def __init__(self, source: ImageSource) -> None:
        self.source = source

    @property
    def position(self) -> int:
        return self.source.position

    @position.setter
    def position(self, value: int) -> None:
        self.source.position = value

    def next_batch(self, batch_size: int) -> tuple[Any, None]:
        return self.source.next_batch(batch_size)[0], None

    def state_dict(self) -> dict[str, Any]:
        return self.source.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.source.load_state_dict(state)


def build_image_run(
    preset: dict[str, Any],
    *,
    device: str = "cpu",
    root: str | None = None,
    download: bool = True,
    rank: int = 0,
    world_size: int = 1,
) -> tuple[Trainer, ImageSource]:
    """A ready Trainer (models seeded by train.seed) and the dataset it draws from.

    With ``world_size > 1`` (see gancore.train.distributed) every rank builds the same models,
    draws its own slice of each global batch and its own latent noise (seed + rank)."""
    preset = resolve_image_preset(preset)
    model_cfg = DCGANConfig.from_dict(preset["model"])
    train_cfg = TrainConfig.from_dict(preset["train"])
    source = open_preset_data(preset, root=root, download=download)
    set_seed(train_cfg.seed)  # weight init follows the seed, identically on every rank
    generator, discriminator = build_models(
        model_cfg, pack=train_cfg.pack, minibatch_std=train_cfg.minibatch_std
    )
    batches: Any = source if model_cfg.conditional else _Unlabeled(source)
    if world_size > 1:
        from gancore.train.distributed import ShardedSource

        batches = ShardedSource(batches, rank=rank, world_size=world_size)
        train_cfg = replace(train_cfg, seed=(train_cfg.seed + rank) % 2**32)
    return Trainer(generator, discriminator, batches, train_cfg, device=device), source
