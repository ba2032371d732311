"""Deterministic batches over a dataset in memory, converted to a model's shape."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gancore.data.image_data import ImageData, convert_images


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
