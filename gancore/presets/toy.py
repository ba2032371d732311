"""Named presets: tuned, good defaults that build a ready Trainer in one call.

A preset is a JSON-able dict:
  {"kind": "toy", "description": str, "data": {"name": ..., **params},
   "model": MLPConfig dict, "train": TrainConfig dict}
Command-line style overrides ("train.lr_g=0.001", "model.g_width=64", "data.std=0.05") are
applied with `apply_overrides`, which rejects unknown keys and bad values loudly.
"""

from __future__ import annotations

import inspect
from typing import Any

from gancore.data.toy import TOY_DATASETS, ToyDistribution, ToySource, get_toy
from gancore.models.mlp import MLPConfig, build_models
from gancore.presets import common
from gancore.presets.common import check_sections
from gancore.seeding import set_seed
from gancore.train.trainer import TrainConfig, Trainer


def _toy(description: str, data: dict, model: dict, train: dict) -> dict[str, Any]:
    return common.full_preset("toy", MLPConfig, description, data, model, train)


_RING_MODEL = dict(
    data_dim=2,
    latent_dim=2,  # the data is a 2D manifold: a 2D latent leaves G nothing to waste
    g_hidden_layers=3,
    g_width=64,
    d_hidden_layers=3,
    d_width=64,
    activation="tanh",  # smooth maps bend the latent plane onto the ring without tearing
    spectral_norm=False,
)
# Tuned on ring8 and grid25 (seeds 0-4, one CPU thread): hinge loss, batch 512 and an EMA of G.
# Width 64 rather than 128: 150-230 rounds a second here against about 80, and in a fixed time
# the extra rounds matter more than the width.
# Spectral norm stalled the 2D latent; an R1 penalty (γ 0.1-1) cost 3x per round and did worse
# per round. BENCHMARKS.md has every seed at 60 s (ring8) and 120 s (grid25).
_RING_TRAIN = dict(
    loss="hinge",
    batch_size=512,
    lr_g=1e-3,
    lr_d=1e-3,
    betas_g=(0.5, 0.999),
    betas_d=(0.5, 0.999),
    ema_decay=0.999,
)

# With Adam's β1 = 0.5, G oscillates: late in a run its own samples swing between 26% and 96%
# high quality, and the EMA, though far better, still dipped to 88% on one ring8 seed at 10,600
# rounds. β1 = 0 (no momentum, as in SAGAN and StyleGAN) reaches 97-98% by 6,000 rounds but
# drifts later; a learning rate decaying to 0.3x over 12,000 rounds holds it there: 97.0-98.3%
# on seeds 0-4 at every check from 7,875 to 10,500 rounds (seed 4 was at 96.3% at 5,250). (A
# decay with β1 = 0.5 plateaued at 95.5-96.7%: it stops the sharpening the bridges need.)
_NO_MOMENTUM = dict(betas_g=(0.0, 0.99), betas_d=(0.0, 0.99))

PRESETS: dict[str, dict[str, Any]] = {
    "ring8": _toy(
        "8 Gaussians on a ring: hinge loss, tanh MLPs, 2D latent, generator EMA.",
        {"name": "ring8"},
        _RING_MODEL,
        {**_RING_TRAIN, **_NO_MOMENTUM, "lr_decay_steps": 12000, "lr_decay_factor": 0.3},
    ),
    "grid25": _toy(
        "25 Gaussians on a 5x5 grid: the hard mode-collapse benchmark.",
        {"name": "grid25"},
        # D with 2 hidden layers: rounds ~1.3x faster; in 120 s through the CLI 23, 24, 25, 25
        # and 24 modes (95.7-97.0% high quality) on seeds 0-4, against 20, 25, 22, 25 and 25
        # (57-97%) with 3 layers.
        {**_RING_MODEL, "d_hidden_layers": 2},
        # batch 512: 256 ran up to 1.7x more rounds but kept fewer modes (20-21 of 25 at 15,000
        # rounds against 24-25 at 13,500). Tried and worse: β1 = 0 (seed 0: 23 modes at 23,400
        # rounds), uniform noise (seed 4: 21 at 24,000) and PacGAN packing of 4 (unstable).
        # A learning rate decaying to 0.3x over 27,500 rounds (~120 s here) keeps the modes G
        # has found: seeds 0-4 held 24-25 at every check from 15,000 to 27,500 rounds, where
        # without it seed 0 kept 23 at 25,000.
        {**_RING_TRAIN, "lr_decay_steps": 27500, "lr_decay_factor": 0.3},
    ),
    # grid25 plus a stabilizer (issue 14): seed 0 of the plain preset leaves the centre mode
    # empty for good. Instance noise of std 1 (half the grid spacing) blurs the 25 modes into
    # one square early on, so G spreads over all of it; falling linearly by round 10,000, it
    # leaves G to sharpen into every mode, and β1 = 0 sharpens faster than 0.5 (as on ring8).
    # Late in a run the high-quality share swings (seed 0: 91-98% between checks 2,500 rounds
    # apart) and the dips are G's modes widening (samples 3-6 std from their mode rose from 1%
    # to 6.5%), not bridges between modes: the circling of the Dirac-GAN page, in each mode's
    # width. So the noise stops falling at std 0.05 (the data's own std) and stays, which damps
    # it, and the learning rate stays constant: the grid25 decay to 0.3x slowed the sharpening
    # (seed 1 at 82-93% from 20,000 to 45,000 rounds with it, 94-97% without). In-process checks
    # every 2,500 rounds (EMA G, 2,500 samples), seeds 0/1/3, 35,000-45,000 rounds: 97.4-98.9 /
    # 95.3-96.6 / 95.0-96.5% (seed 0 dipped to 94.2% at 32,500). Tried and worse: R1 γ 0.1 or 1,
    # a slower EMA (0.9995, 0.9999), a decay to 0.1x or to 0.5x over 40,000 rounds, pack 2, mini-
    # batch std (BENCHMARKS.md, toy_stabilized, has each).
    "grid25-stable": _toy(
        "grid25 with a stabilizer: instance noise (std 1, falling by round 10,000 to a floor of "
        "0.05 that stays) so G reaches all 25 modes and then holds them sharp (Adam β1 = 0).",
        {"name": "grid25"},
        {**_RING_MODEL, "d_hidden_layers": 2},
        {
            **_RING_TRAIN,
            **_NO_MOMENTUM,
            "instance_noise": 1.0,
            "instance_noise_steps": 10000,
            "instance_noise_floor": 0.05,
        },
    ),
    "1d-classic": _toy(
        "Goodfellow et al. 2014, Fig. 1: uniform noise mapped onto a 1D Gaussian, minimax loss.",
        {"name": "gaussian", "mean": 2.0, "std": 0.5},
        dict(
            data_dim=1,
            latent_dim=1,
            g_hidden_layers=2,
            g_width=32,
            d_hidden_layers=2,
            d_width=32,
            activation="tanh",
            noise="uniform",
        ),
        # The learning rates decay to 5% over 5,000 rounds: at a constant rate G reached JS
        # 0.05-0.09 by 4,000-6,000 rounds, then swung back to 0.4-0.46 by 8,000 (seeds 0, 1);
        # with the decay it stayed at 0.03-0.07 from 6,000 to 15,000 rounds. The lab, training
        # in a worker at ~700 rounds a second, passes 5,000 rounds in seconds.
        dict(
            loss="minimax",
            batch_size=128,
            lr_g=1e-3,
            lr_d=1e-3,
            lr_decay_steps=5000,
            lr_decay_factor=0.05,
        ),
    ),
    "toy-minimax": _toy(
        "Ring of 8 with the original saturating minimax loss: watch G stall early on.",
        {"name": "ring8"},
        _RING_MODEL,
        {**_RING_TRAIN, "loss": "minimax"},
    ),
    "toy-lsgan": _toy(
        "Ring of 8 with the least-squares loss (LSGAN).",
        {"name": "ring8"},
        _RING_MODEL,
        {**_RING_TRAIN, "loss": "least_squares"},
    ),
    "toy-nonsaturating": _toy(
        "Ring of 8 with the non-saturating loss -log D(G(z)) of Goodfellow et al.",
        {"name": "ring8"},
        _RING_MODEL,
        {**_RING_TRAIN, "loss": "non_saturating"},
    ),
    "toy-wgan": _toy(
        "Ring of 8 with the original WGAN: weight clipping, RMSprop, 5 critic steps.",
        {"name": "ring8"},
        {**_RING_MODEL, "spectral_norm": False},
        dict(
            loss="wgan",
            d_steps=5,
            batch_size=256,
            optimizer_g="rmsprop",
            optimizer_d="rmsprop",
            lr_g=5e-5 * 10,
            lr_d=5e-5 * 10,
            clip_value=0.05,
        ),
    ),
    "toy-wgan-gp": _toy(
        "Ring of 8 with WGAN-GP: gradient penalty, Adam (0.5, 0.9), 5 critic steps.",
        {"name": "ring8"},
        {**_RING_MODEL, "spectral_norm": False},
        dict(
            loss="wgan_gp",
            d_steps=5,
            batch_size=256,
            lr_g=1e-3,
            lr_d=1e-3,
            betas_g=(0.5, 0.9),
            betas_d=(0.5, 0.9),
            gp_lambda=0.1,
        ),
    ),
}


def validate_preset(preset: dict[str, Any]) -> None:
    """Raise ValueError unless `preset` is a complete, consistent toy preset."""
    check_sections(preset, "toy")
    model = MLPConfig.from_dict(preset["model"])
    if TrainConfig.from_dict(preset["train"]).diffaugment:
        raise ValueError("train.diffaugment applies to images; toy presets take ''")
    data = dict(preset["data"])
    name = data.pop("name", None)
    if name not in TOY_DATASETS:
        raise ValueError(f"data.name must be one of {sorted(TOY_DATASETS)}, got {name!r}")
    allowed = list(inspect.signature(TOY_DATASETS[name].factory).parameters)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f"unknown data key(s) {unknown} for dataset {name!r}; allowed: {allowed}")
    if TOY_DATASETS[name].dim != model.data_dim:
        raise ValueError(
            f"dataset {name!r} is {TOY_DATASETS[name].dim}D but model.data_dim is {model.data_dim}"
        )
    if name != "points":  # cheap: the parameters' own checks (std > 0, finite numbers)
        try:
            get_toy(name, **data)
        except TypeError as err:
            raise ValueError(f"data for {name!r}: {err}") from None


TOYS = common.PresetFamily(PRESETS, MLPConfig, validate_preset)
list_presets = TOYS.describe
get_preset = TOYS.get
apply_overrides = TOYS.apply
resolve_preset = TOYS.resolve


def build_from_preset(
    name_or_dict: str | dict[str, Any],
    seed: int | None = None,
    overrides: list[str] | None = None,
    *,
    device: str = "cpu",
) -> tuple[Trainer, ToyDistribution]:
    """A ready Trainer (models seeded by train.seed) and its toy distribution."""
    preset = resolve_preset(name_or_dict, seed, overrides)
    model_cfg = MLPConfig.from_dict(preset["model"])
    train_cfg = TrainConfig.from_dict(preset["train"])
    data = dict(preset["data"])
    dist = get_toy(data.pop("name"), **data)
    set_seed(train_cfg.seed)  # weight init (and spectral-norm vectors) follow the seed
    generator, discriminator = build_models(
        model_cfg, pack=train_cfg.pack, minibatch_std=train_cfg.minibatch_std
    )
    # seed + 1: the data stream must not replay the trainer's latent-noise stream
    source = ToySource(dist, seed=train_cfg.seed + 1)
    return Trainer(generator, discriminator, source, train_cfg, device=device), dist
