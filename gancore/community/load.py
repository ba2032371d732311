"""Loading a community GAN from a Hub repo or a folder: find its weights, read them safely,
match a family, build our module for it, load with strict=True.

Order: config.json (already read by ``gancore.io.hub``; a config that names no supported family
is refused before any weights are fetched), then the weights file (pytorch_model.bin,
model.pt; model.safetensors where a config.json named the family), size-checked before it
is downloaded and again before it is read, then the generator's tensors (from the
safetensors cache when this file was read before), the family's module, README.md's
``license:``. A repo's own code (models.py, ...) is never fetched, imported or run.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from huggingface_hub import constants
from torch import nn

from gancore.community import safe_load
from gancore.community.families import BY_KEY, SUPPORTED, by_config, pick
from gancore.io.checkpoint import LoadedGAN
from gancore.io.format import CheckpointError, one_line
from gancore.io.sources import first_hub_file, hub_file

PICKLES = ("pytorch_model.bin", "model.pt")
SAFETENSORS = "model.safetensors"
CARD = "README.md"


class CommunityModel(nn.Module):
    """What LoadedGAN.model is for a community repo: the generator only (no discriminator)."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = None


@dataclass
class LoadedCommunity(LoadedGAN):
    """A loaded community generator; samples like a gancore image checkpoint."""

    family: str = ""
    license: str | None = None
    url: str | None = None
    parameters: int = 0
    weights_file: str = ""
    extra: dict = field(default_factory=dict)

    def small_output(self) -> LoadedCommunity:
        """A FastGAN through its 128 px output (the same latents and noise); others: itself."""
        from gancore.community.fastgan import FastGAN, SmallOutput

        if not isinstance(self.generator, FastGAN) or self.generator.image_size == 128:
            return self
        view = SmallOutput(self.generator)
        model = {**self.config["model"], "image_size": 128}
        config = {
            **self.config,
            "model": model,
            "description": f"{self.family}, its 128×128 px output",
        }
        return dataclasses.replace(self, model=CommunityModel(view), config=config)

    def sample(self, n, *, seed=0, labels=None, truncation=None):
        """As LoadedGAN.sample; the noise layers draw from ``seed`` too (shared by the batch)."""
        with self.generator.noise_from(seed):
            return super().sample(n, seed=seed, labels=labels, truncation=truncation)


def not_supported(config: dict, where: str) -> CheckpointError:
    fmt = config.get("format") if isinstance(config, dict) else None
    return CheckpointError(
        f"{where}: config.json is not a gancore checkpoint (format {fmt!r}) and names none of "
        f"the community GAN families gancore reads: {SUPPORTED}. Nothing else was downloaded.",
        reason="bad_config",
    )


def license_of(card: Path | None) -> str | None:
    """``license:`` from a model card's YAML front matter (the first block between ---)."""
    if card is None or not card.is_file() or card.stat().st_size > 1 << 20:
        return None
    text = card.read_text(encoding="utf-8", errors="replace")
    m = re.match(r"\A---\s*\n(.*?)\n---", text, re.S)
    hit = m and re.search(r"^license:\s*['\"]?([^'\"\n#]+?)['\"]?\s*$", m[1], re.M)
    return hit[1].strip() if hit else None


def hub_weights(repo: str, revision, token, names, cap: int) -> Path:
    why = f"over the {cap:,} bytes the parameter limit allows"
    path = first_hub_file(repo, names, revision, token, cap=cap, why=why)
    if path is None:
        raise _no_weights(f"Hub repo {repo} (revision {revision or 'main'})", names)
    return path


def _no_weights(where: str, names) -> CheckpointError:
    return CheckpointError(
        f"{where} has neither a gancore checkpoint (config.json + model.safetensors) nor a "
        f"community weights file ({', '.join(names)}). gancore never imports or runs a repo's "
        "own code (models.py and the like), so a repo holding only code cannot load.",
        reason="file_missing",
    )


def _card(repo: str | None, folder: Path | None, revision, token) -> Path | None:
    if folder is not None:
        return folder / CARD
    try:
        return hub_file(repo, CARD, revision, token)
    except CheckpointError:
        return None  # a card is optional; its absence is no reason to refuse the weights


def load_community(
    *,
    repo: str | None = None,
    folder: Path | None = None,
    config: dict | None,
    revision: str | None = None,
    token: str | None = None,
    max_parameters: int,
    device="cpu",
    desc: str,
) -> LoadedCommunity:
    """Load from a Hub ``repo`` or a local ``folder``; ``config`` is its config.json or None."""
    family = None
    if config is not None and (
        not isinstance(config, dict) or (family := by_config(config)) is None
    ):
        raise not_supported(config, desc)
    names = (*PICKLES, SAFETENSORS) if config is not None else PICKLES
    cap = safe_load.max_file_bytes(max_parameters)
    if repo is not None:
        weights = hub_weights(repo, revision, token, names, cap)
    else:
        found = [folder / n for n in names if (folder / n).is_file()]
        if not found:
            raise _no_weights(f"folder {folder}", names)
        weights = found[0]
    state, fam = _generator_state(weights, family, cap, 4 * max_parameters)
    count = sum(t.numel() for t in state.values())
    if count > max_parameters:
        raise CheckpointError(
            f"the {fam.name} generator in {weights.name} has {count:,} parameters, over the "
            f"limit of {max_parameters:,}; refused before building it.",
            reason="too_large",
        )
    try:
        generator, converted = fam.module.build(state, config)
        generator.load_state_dict(converted, strict=True)
    except (ValueError, RuntimeError, KeyError, TypeError) as err:
        raise CheckpointError(
            f"{weights.name} does not fit the {fam.name} layout: {one_line(err, 300)}",
            reason="shape_mismatch",
        ) from None
    # channels_last: oneDNN's convolutions run about twice as fast on CPU in this layout
    generator.to(device, memory_format=torch.channels_last)
    generator.eval().requires_grad_(False)  # sampled, never trained here
    size, ch = generator.image_size, generator.channels
    cfg = {
        "format": "community",
        "kind": "image",
        "model": {"image_size": size, "channels": ch, "latent_dim": generator.latent_dim},
        "train": {},
        "data": {},
        "metrics": {},
        "description": f"{fam.name}, {size}×{size} px",
    }
    return LoadedCommunity(
        model=CommunityModel(generator),
        config=cfg,
        kind="image",
        class_names=[],
        source=desc,
        path=weights.parent,
        family=fam.name,
        license=license_of(_card(repo, folder, revision, token)),
        url=f"{constants.ENDPOINT.rstrip('/')}/{repo}" if repo else None,
        parameters=sum(p.numel() for p in generator.parameters()),
        weights_file=weights.name,
    )


def _generator_state(weights: Path, family, cap: int, max_elements: int):
    """The generator's tensors (keys without prefix) and its family; the pickle is read at
    most once: afterwards the safetensors cache answers."""
    if weights.suffix == ".safetensors":
        state = safe_load.read_safetensors(weights, max_bytes=cap)
        fam, prefix = pick(state, family, weights.name)
        return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}, fam
    cache = safe_load.cache_path(weights)
    hit = safe_load.read_cache(cache)
    if hit is not None and hit[1].get("family") in BY_KEY:
        fam = BY_KEY[hit[1]["family"]]
        if family is None or family is fam:
            return hit[0], fam
    size = weights.stat().st_size
    if size > cap:
        msg = f"{weights.name} is {size:,} bytes, over the {cap:,} bytes the parameter limit allows; refused before reading."
        raise CheckpointError(msg, reason="too_large")
    state = safe_load.read_pickle(weights, max_bytes=cap, max_elements=max_elements)
    fam, prefix = pick(state, family, weights.name)
    gen = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    safe_load.write_cache(cache, gen, {"family": fam.key, "source": weights.name})
    return gen, fam
