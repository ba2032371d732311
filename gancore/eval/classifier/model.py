"""The classifier's model: a small CNN for 28x28 gray images, its config, and the conversion of
any batch of images (uint8 or [-1, 1], gray or RGB, any size) into what it takes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancore.models.modes import evaluating

DATASETS = ("mnist", "fashion-mnist")
IMAGE_SIZE = 28


@dataclass(frozen=True)
class ClassifierConfig:
    """Three conv blocks (conv 3x3, BN, ReLU, 2x2 max-pool), then a linear feature layer."""

    channels: tuple[int, int, int] = (16, 32, 64)
    feature_dim: int = 128
    num_classes: int = 10
    dropout: float = 0.25

    def __post_init__(self) -> None:
        ch = tuple(self.channels)
        if len(ch) != 3 or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in ch):
            raise ValueError(f"channels must be three positive integers, got {self.channels!r}")
        object.__setattr__(self, "channels", ch)
        for name in ("feature_dim", "num_classes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 4096:
                raise ValueError(f"{name} must be an integer in [1, 4096], got {v!r}")
        if isinstance(self.dropout, bool) or not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": "SmallCNN", **asdict(self), "channels": list(self.channels)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClassifierConfig:
        if not isinstance(d, dict):
            raise ValueError(f"arch must be a JSON object, got {type(d).__name__}")
        d = dict(d)
        if d.pop("name", "SmallCNN") != "SmallCNN":
            raise ValueError(f"unknown classifier architecture {d.get('name')!r}")
        if unknown := sorted(set(d) - {"channels", "feature_dim", "num_classes", "dropout"}):
            raise ValueError(f"unknown arch key(s) {unknown}")
        if "channels" in d:
            if not isinstance(d["channels"], list):
                raise ValueError(f"channels must be a list, got {d['channels']!r}")
            d["channels"] = tuple(d["channels"])
        return cls(**d)

    def num_parameters(self) -> int:
        c1, c2, c3 = self.channels
        convs = sum(
            9 * a * b + 2 * b for a, b in ((1, c1), (c1, c2), (c2, c3))
        )  # no bias; BN affine
        return convs + (c3 * 9 + 1) * self.feature_dim + (self.feature_dim + 1) * self.num_classes


class Classifier(nn.Module):
    """A small CNN for (B, 1, 28, 28) images in [-1, 1]: ``features`` (B, F) and logits (B, C)."""

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ClassifierConfig()
        c1, c2, c3 = config.channels

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]

        self.body = nn.Sequential(
            *block(1, c1),  # (B, c1, 14, 14)
            *block(c1, c2),  # (B, c2, 7, 7)
            *block(c2, c3),  # (B, c3, 3, 3)
            nn.Flatten(),
            nn.Linear(c3 * 9, config.feature_dim),
            nn.ReLU(inplace=True),  # (B, F): the feature space of the metrics
        )
        self.head = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.num_classes)
        )
        self.class_names: tuple[str, ...] = tuple(str(i) for i in range(config.num_classes))
        self.dataset = ""
        self.test_accuracy: float | None = None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (B, feature_dim) of images (B, 1, 28, 28) in [-1, 1]."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"expected images of shape (B, 1, 28, 28), got {tuple(x.shape)}; "
                "convert with gancore.eval.classifier.prepare_images"
            )
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def canonical_dataset(dataset: str) -> str:
    from gancore.data.images import dataset_name

    name = dataset_name(dataset)
    if name not in DATASETS:
        raise ValueError(f"classifiers exist for {DATASETS}, not for {dataset!r}")
    return name


# ----- images in -------------------------------------------------------------------------------


_LUMA = torch.tensor([0.299, 0.587, 0.114])


def prepare_images(images: Any) -> torch.Tensor:
    """Images -> float32 (N, 1, 28, 28) in [-1, 1], what a classifier takes.

    Accepts a torch tensor or NumPy array of shape (N, C, H, W) with C in {1, 3}, or (N, H, W):
    uint8 (0..255) or float in [-1, 1] (a GAN's output range). RGB is reduced to luma and other
    sizes are resized (bilinear, antialiased) to 28x28. Floats outside [-1, 1] by more than
    1e-3, or non-finite values, are refused: they are not GAN samples in the expected range."""
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    x = x.detach().cpu()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0 or min(x.shape[2:]) < 1:
        raise ValueError(
            f"images must have shape (N, 1|3, H, W) or (N, H, W), N >= 1; got {tuple(x.shape)}"
        )
    if x.dtype == torch.uint8:
        x = x.float() / 127.5 - 1.0
    elif x.is_floating_point():
        x = x.float()
        if not torch.isfinite(x).all():
            raise ValueError("images contain NaN or infinite values")
        lo, hi = float(x.min()), float(x.max())
        if lo < -1.001 or hi > 1.001:
            raise ValueError(
                f"float images must be in [-1, 1] (a GAN's tanh output), got values in [{lo:.3g}, {hi:.3g}]"
            )
        x = x.clamp(-1.0, 1.0)
    else:
        raise ValueError(f"images must be uint8 or floating point, got {x.dtype}")
    if x.shape[1] == 3:
        x = (x * _LUMA.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    if tuple(x.shape[-2:]) != (IMAGE_SIZE, IMAGE_SIZE):
        x = F.interpolate(
            x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", antialias=True, align_corners=False
        )
        x = x.clamp(-1.0, 1.0)
    return x.contiguous()


@torch.inference_mode()
def predict_logits(classifier: Classifier, images: Any, *, batch_size: int = 1000) -> torch.Tensor:
    """Logits (N, num_classes) of images (anything :func:`prepare_images` takes), in batches."""
    x = prepare_images(images)
    with evaluating(classifier):
        return torch.cat([classifier(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
