"""A gancore checkpoint in memory and on disk: GANModel (what the Hub mixin saves),
save_checkpoint (atomic), and LoadedGAN (what loading returns). The format itself (names,
schema, strict reading of weights) is gancore.io.format; loading from a source is
gancore.io.hub.load_checkpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from huggingface_hub import ModelCard, PyTorchModelHubMixin
from torch import nn

from gancore import __version__
from gancore.io.atomic import write_checkpoint_folder
from gancore.io.format import (
    DEFAULT_MAX_PARAMETERS,
    FORMAT,
    HUB_LIBRARY,
    HUB_LICENSE,
    HUB_TAGS,
    MAX_SAMPLE_VALUES,
    SAMPLE_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    check_module_keys,
    describe_state,
    load_weights,
    read_checkpoint_tensors,
    validate_config,
)
from gancore.io.model_card import card_text
from gancore.io.sources import hub_weights, local_weights
from gancore.models.kinds import MODEL_KINDS
from gancore.models.modes import evaluating
from gancore.train.stabilizers import apply_spectral_norm
from gancore.train.trainer import TrainConfig

# ----- the module the mixin saves ------------------------------------------------------------


class GANModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name=HUB_LIBRARY,
    license=HUB_LICENSE,
    tags=list(HUB_TAGS),
):
    """Generator + discriminator built from a validated checkpoint config (see module docstring)."""

    def __init__(self, config: dict, max_parameters: int | None = None) -> None:
        super().__init__()
        limit = DEFAULT_MAX_PARAMETERS if max_parameters is None else max_parameters
        cfg = validate_config(config, max_parameters=limit)
        self.config, self.kind = cfg, cfg["kind"]
        spec = MODEL_KINDS[self.kind]
        # D as the Trainer shaped it: packing, minibatch std, spectral norm (train section)
        train = TrainConfig.from_dict(cfg["train"])
        self.generator, self.discriminator = spec.build(
            spec.config.from_dict(cfg["model"]), pack=train.pack, minibatch_std=train.minibatch_std
        )
        if train.spectral_norm:
            apply_spectral_norm(self.discriminator)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, y)

    def save_pretrained(self, save_directory, *, config: dict | None = None, **kwargs):
        """The mixin's save_pretrained, writing the validated config (not the raw one given to
        __init__) unless another is passed."""
        return super().save_pretrained(save_directory, config=config or self.config, **kwargs)

    def generate_model_card(self, *args, **kwargs) -> ModelCard:
        return ModelCard(card_text(self.config, **kwargs))

    @classmethod
    def _from_pretrained(cls, *, model_id, revision, token, config=None, max_parameters=None, **kw):
        # GANModel.from_pretrained(...) takes the same safe path as load_checkpoint
        if config is None:
            raise CheckpointError(f"{model_id} has no readable config.json", reason="file_missing")
        model = cls(config, max_parameters)
        is_dir = Path(model_id).is_dir()
        load_weights(
            model,
            local_weights(Path(model_id))
            if is_dir
            else hub_weights(model_id, revision, token, model),
        )
        return model.eval()


# ----- save ----------------------------------------------------------------------------------


def save_checkpoint(
    directory: str | Path,
    *,
    generator: nn.Module,
    discriminator: nn.Module,
    config: dict,
    sample_png: bytes | None = None,
    card_extra: str = "",
    training_state: dict | None = None,
    max_parameters: int = DEFAULT_MAX_PARAMETERS,
) -> Path:
    """Write config.json, model.safetensors, README.md [, sample.png, training state] atomically.

    ``config`` is the checkpoint config (``format`` may be left out); the modules must match its
    model section exactly. ``training_state=trainer.state_dict()`` lands in the same atomic
    swap. An existing checkpoint in ``directory`` is replaced whole."""
    model = GANModel({"format": FORMAT, **config, "gancore_version": __version__}, max_parameters)
    for dst, src, who in (
        (model.generator, generator, "generator"),
        (model.discriminator, discriminator, "discriminator"),
    ):
        state = {k: v.detach() for k, v in src.state_dict().items()}
        check_module_keys(dst, describe_state(state), f"the {who} passed to save_checkpoint")
        dst.load_state_dict(state, strict=True)
    if sample_png is not None and bytes(sample_png[:8]) != b"\x89PNG\r\n\x1a\n":
        raise ValueError("sample_png must be the bytes of a PNG image")
    card = {"has_sample": sample_png is not None, "card_extra": card_extra}

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp, config=model.config, model_card_kwargs=card)
        if sample_png is not None:
            (tmp / SAMPLE_NAME).write_bytes(bytes(sample_png))
        if training_state is not None:
            from gancore.io.training_state import (
                write_training_state,  # lazy: it imports this module
            )

            write_training_state(tmp, training_state)
        read_checkpoint_tensors(tmp / WEIGHTS_NAME, model)  # what landed on disk loads back

    return write_checkpoint_folder(directory, write, keep=lambda name: False)


# ----- the loaded result ---------------------------------------------------------------------


@dataclass
class LoadedGAN:
    """A loaded checkpoint: eval-mode models on one device plus what config.json says."""

    model: GANModel
    config: dict
    kind: str
    class_names: list[str]  # empty for unconditional models
    source: str
    path: Path  # the folder holding config.json (a Hub snapshot folder for Hub repos)

    @property
    def generator(self) -> nn.Module:
        return self.model.generator

    @property
    def discriminator(self) -> nn.Module:
        return self.model.discriminator

    @property
    def num_classes(self) -> int:
        return self.generator.num_classes

    def resolve_labels(self, n: int, labels: Any = None) -> np.ndarray | None:
        """The int64 labels ``sample`` uses: None -> 0..C-1 cycled; an int -> all that class."""
        classes = self.num_classes
        if not classes:
            if labels is not None:
                raise ValueError("this generator is unconditional; do not pass labels")
            return None
        if labels is None:
            return np.arange(n, dtype=np.int64) % classes
        arr = np.full(n, labels) if isinstance(labels, (int, np.integer)) else np.asarray(labels)
        if arr.shape != (n,) or arr.dtype.kind not in "iu" or isinstance(labels, bool):
            raise ValueError(f"labels must be an int or {n} integers, got {labels!r}")
        if n and (arr.min() < 0 or arr.max() >= classes):
            raise ValueError(
                f"labels must lie in [0, {classes - 1}], got {sorted(set(arr.tolist()))[:10]}"
            )
        return arr.astype(np.int64)

    def sample(
        self, n: int, *, seed: int = 0, labels: Any = None, truncation: float | None = None
    ) -> np.ndarray:
        """n samples as float32: toy (n, D) in data coordinates; images (n, C, H, W) in [-1, 1].

        Deterministic per seed (noise from a CPU generator). ``truncation=t`` draws each latent
        coordinate from the standard normal restricted to [-t, t] -- what resampling |z| > t
        converges to, computed exactly by inverse CDF (uniform noise is scaled to [-t, t])."""
        if not MODEL_KINDS[self.kind].draws:
            raise ValueError(
                f"{self.source} is a pix2pix model: it translates inputs rather than drawing "
                "samples; use `python -m gancore translate SOURCE --input IN.npz|IN.png --out "
                "OUT.npz|OUT.png` (gancore.train.pix2pix.translate)"
            )
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")
        G, m = self.generator, self.config["model"]
        shape = MODEL_KINDS[self.kind].output_shape(m)
        if n * math.prod(shape) > MAX_SAMPLE_VALUES:
            raise ValueError(
                f"{n} samples of shape {shape} exceed {MAX_SAMPLE_VALUES:,} values per call"
            )
        y, gen = self.resolve_labels(n, labels), torch.Generator().manual_seed(seed)
        if truncation is None:
            z = G.sample_latent(n, generator=gen, device="cpu")
        elif (
            isinstance(truncation, bool)
            or not isinstance(truncation, (int, float))
            or not 0 < truncation <= 100
        ):
            raise ValueError(f"truncation must be a number in (0, 100], got {truncation!r}")
        elif m.get("noise", "normal") == "uniform":
            z = (2 * torch.rand((n, m["latent_dim"]), generator=gen) - 1) * min(
                float(truncation), 1.0
            )
        else:
            lo = 0.5 * math.erfc(truncation / math.sqrt(2))  # Phi(-t)
            u = lo + (1 - 2 * lo) * torch.rand(
                (n, m["latent_dim"]), generator=gen, dtype=torch.float64
            )
            z = (math.sqrt(2) * torch.erfinv(2 * u - 1)).clamp_(-truncation, truncation).float()
        device, out = next(G.parameters()).device, []
        with evaluating(G), torch.inference_mode():
            for s in range(0, n, 512):  # bounded activation memory for large n
                yy = None if y is None else torch.from_numpy(y[s : s + 512]).to(device)
                out.append(G(z[s : s + 512].to(device), yy).float().cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, *shape), dtype=np.float32)
