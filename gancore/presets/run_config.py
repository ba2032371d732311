"""One run configuration for every kind of run, and the registry of kinds.

A run is configured by ``RunConfig``: its kind, the data section, the kind's model config
(MLPConfig, DCGANConfig or Pix2PixConfig), the TrainConfig and a description. It is
validated once, when it is made (``RunConfig.from_dict`` or ``resolve_run``), by its kind's
checks; its ``to_dict()`` is the JSON preset the CLI, the links and the live workers pass
around, and ``checkpoint_config`` is the one place a checkpoint's config.json is built.

The kinds live in ``KINDS``: each names its model config, its named presets and the
function that resolves a preset (named or given, with ``section.key=value`` overrides and a
seed). Code that used to branch on the kind's string asks the registry instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gancore.io.format import canonical_metrics
from gancore.models.dcgan import DCGANConfig
from gancore.models.mlp import MLPConfig
from gancore.models.pix2pix import Pix2PixConfig
from gancore.presets import image, pix2pix, toy
from gancore.train.trainer import TrainConfig


@dataclass(frozen=True)
class RunKind:
    """A kind of run: its model config class, its named presets, its resolver and its builder.

    ``resolve(name_or_dict, seed=None, overrides=None) -> dict``: the validated preset.
    ``build(preset, *, device, root, rank, world_size) -> (trainer, data)``: a ready trainer
    seeded by train.seed and what it draws from. ``distributed``: several torchrun processes
    may train it."""

    name: str
    model: type
    presets: Mapping[str, dict[str, Any]]
    resolve: Callable[..., dict[str, Any]]
    build: Callable[..., tuple[Any, Any]]
    what: str  # in messages
    distributed: bool = False


def _build_toy(preset: dict[str, Any], *, device: str, **_: Any) -> tuple[Any, Any]:
    return toy.build_from_preset(preset, device=device)


def _build_pix2pix(preset: dict[str, Any], *, device: str, root: str | None, **_: Any):
    return pix2pix.build_pix2pix_run(preset, device=device, root=root)


KINDS: dict[str, RunKind] = {
    "toy": RunKind("toy", MLPConfig, toy.PRESETS, toy.resolve_preset, _build_toy, "toy (1D / 2D)"),
    "image": RunKind(
        "image",
        DCGANConfig,
        image.IMAGE_PRESETS,
        image.resolve_image_preset,
        image.build_image_run,
        "image",
        distributed=True,
    ),
    "pix2pix": RunKind(
        "pix2pix",
        Pix2PixConfig,
        pix2pix.PIX2PIX_PRESETS,
        pix2pix.resolve_pix2pix_preset,
        _build_pix2pix,
        "pix2pix",
    ),
}


def all_presets() -> dict[str, str]:
    """Every named preset of every kind and its description, in the CLI's order."""
    return {n: p["description"] for kind in KINDS.values() for n, p in kind.presets.items()}


def run_kind(preset: str | Mapping[str, Any]) -> str:
    """The kind of a preset name or dict; ValueError naming the choices otherwise."""
    if isinstance(preset, Mapping):
        kind = preset.get("kind")
        if kind not in KINDS:
            raise ValueError(f"a preset's kind must be one of {list(KINDS)}, got {kind!r}")
        return kind
    for kind in KINDS.values():
        if preset in kind.presets:
            return kind.name
    raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(all_presets())}")


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration (see the module docstring)."""

    kind: str
    data: dict[str, Any]
    model: Any  # KINDS[kind].model
    train: TrainConfig
    description: str = ""
    name: str = field(default="", compare=False)  # the preset it came from, if named

    @classmethod
    def from_dict(cls, preset: Mapping[str, Any], *, name: str = "") -> RunConfig:
        """Validate a preset dict (its kind's checks) and hold it typed."""
        return _typed(KINDS[run_kind(preset)].resolve(dict(preset)), name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON preset: {"kind", "description", "data", "model", "train"}."""
        return {
            "kind": self.kind,
            "description": self.description,
            "data": dict(self.data),
            "model": self.model.to_dict(),
            "train": self.train.to_dict(),
        }

    def checkpoint_config(
        self,
        *,
        metrics: Mapping[str, Any],
        command: str,
        train: TrainConfig | None = None,
        model: Any = None,
        class_names: list[str] | None = None,
    ) -> dict[str, Any]:
        """The config.json of a checkpoint of this run (gancore.io.format's schema).

        ``train`` / ``model``: the configs as they are now, when edited live; ``class_names``
        for a conditional image model."""
        data = {k: v for k, v in self.data.items() if k != "class_names"}
        if class_names:
            data["class_names"] = list(class_names)
        return {
            "kind": self.kind,
            "description": self.description,
            "model": (model or self.model).to_dict(),
            "train": (train or self.train).to_dict(),
            "data": data,
            "metrics": canonical_metrics(metrics),
            "command": command,
        }


def _typed(preset: dict[str, Any], name: str) -> RunConfig:
    kind = KINDS[preset["kind"]]
    return RunConfig(
        kind=kind.name,
        data=dict(preset["data"]),
        model=kind.model.from_dict(preset["model"]),
        train=TrainConfig.from_dict(preset["train"]),
        description=preset.get("description", ""),
        name=name,
    )


def resolve_run(
    preset: str | Mapping[str, Any],
    *,
    seed: int | None = None,
    overrides: list[str] | None = None,
) -> RunConfig:
    """A named or given preset of any kind, with ``section.key=value`` overrides and a seed,
    validated once; ValueError names the bad key and its range."""
    kind = KINDS[run_kind(preset)]
    source = preset if isinstance(preset, str) else dict(preset)
    resolved = kind.resolve(source, seed=seed, overrides=overrides)
    return _typed(resolved, preset if isinstance(preset, str) else "")


def from_checkpoint(config: Mapping[str, Any]) -> RunConfig:
    """The run configuration a checkpoint's config.json was trained from."""
    preset = {k: config[k] for k in ("kind", "model", "train") if k in config}
    preset["data"] = {k: v for k, v in config.get("data", {}).items() if k != "class_names"}
    preset["description"] = config.get("description", "")
    return RunConfig.from_dict(preset)
