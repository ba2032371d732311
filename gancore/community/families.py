"""The supported families and how a repo is matched to one: config.json first, then keys."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import torch

from gancore.community import dcgan, fastgan, lightweight
from gancore.io.format import CheckpointError


@dataclass(frozen=True)
class Family:
    key: str
    name: str
    module: ModuleType
    hint: str  # what identifies it, for messages


FAMILIES = (
    Family("huggan-dcgan", "HugGAN DCGAN", dcgan, "nn.Sequential model.0 ... model.12"),
    Family(
        "lightweight-gan",
        "lightweight-gan",
        lightweight,
        "{'GAN': {'GE.': ...}} + config.json with image_size",
    ),
    Family("fastgan", "FastGAN", fastgan, "init.init.0.weight_orig ... to_big.weight_orig"),
)
BY_KEY = {f.key: f for f in FAMILIES}
SUPPORTED = ", ".join(f"{f.name} ({f.hint})" for f in FAMILIES)


def by_config(config: dict) -> Family | None:
    """The family a (non-gancore) config.json names, or None when it names none."""
    hits = [f for f in FAMILIES if f.module.matches_config(config)]
    return hits[0] if len(hits) == 1 else None


def pick(state: dict[str, torch.Tensor], family: Family | None, what: str) -> tuple[Family, str]:
    """(family, key prefix of its generator) by key patterns; ``family`` from config.json wins."""
    for f in [family] if family else FAMILIES:
        prefix = f.module.find(state)
        if prefix is not None:
            return f, prefix
    sample = sorted(state)[:4]
    expected = (
        f"a {family.name} generator ({family.hint})"
        if family
        else f"any supported family: {SUPPORTED}"
    )
    raise CheckpointError(
        f"{what} holds tensors {sample}... that match none of {expected}; gancore loads "
        "gancore checkpoints and these community GAN families only.",
        reason="shape_mismatch",
    )
