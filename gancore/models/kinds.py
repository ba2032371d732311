"""The kinds of model a checkpoint can hold, and what differs between them.

Code that used to branch on ``kind == "toy"`` / ``"image"`` / ``"pix2pix"`` reads the kind's
entry here instead: its config class, how to build its (G, D) pair, the shape of one output,
whether G draws from noise or translates an input, and its names on a model card. Run-level
differences (presets, data, training) are in ``gancore.presets.run_config.KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from gancore.models import dcgan, mlp, pix2pix


@dataclass(frozen=True)
class ModelKind:
    """One kind of model (see the module docstring).

    ``build(config, *, pack, minibatch_std) -> (G, D)``, freshly initialised; ``draws``: G maps
    noise to samples (False: it translates inputs); ``images``: its outputs are images."""

    name: str
    config: type
    build: Callable[..., tuple[nn.Module, nn.Module]]
    arch: str  # on model cards
    hub_tags: tuple[str, ...]  # beside gancore's own
    pipeline: str | None  # the Hub's pipeline tag
    draws: bool
    images: bool

    def output_shape(self, model: dict[str, Any]) -> tuple[int, ...]:
        """The shape of one output of a (validated) model section."""
        if self.images:
            return (model["channels"], model["image_size"], model["image_size"])
        return (model["data_dim"],)


def _pix2pix_pair(config: pix2pix.Pix2PixConfig, **_: Any):
    return pix2pix.build_models(config)  # the PatchGAN takes no packing or minibatch std


MODEL_KINDS: dict[str, ModelKind] = {
    "toy": ModelKind(
        "toy", mlp.MLPConfig, mlp.build_models, "MLP GAN", ("toy-data",), None, True, False
    ),
    "image": ModelKind(
        "image",
        dcgan.DCGANConfig,
        dcgan.build_models,
        "DCGAN",
        ("dcgan",),
        "unconditional-image-generation",
        True,
        True,
    ),
    "pix2pix": ModelKind(
        "pix2pix",
        pix2pix.Pix2PixConfig,
        _pix2pix_pair,
        "pix2pix",
        ("pix2pix", "image-to-image"),
        "image-to-image",
        False,
        True,
    ),
}
