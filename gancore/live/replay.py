"""A run's replay: snapshots of what its page drew, kept at a spacing that bounds memory.

A snapshot is taken when a view is drawn and the run has moved on by at least ``every``
steps. When more than ``capacity`` are held, every other one goes (the first and the newest
stay) and ``every`` grows to match, so the snapshots stay spread evenly over the whole run
however long it trains: at most ``capacity + 1`` of them, whatever the run's length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

CAPACITY = 200


class Replay:
    def __init__(self, capacity: int = CAPACITY) -> None:
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2, got {capacity}")
        self.capacity = capacity
        self.every = 1
        self.items: list[tuple[int, Any]] = []

    def offer(self, step: int, make: Callable[[], Any]) -> bool:
        """Keep ``make()`` as the snapshot of ``step`` if it is due; True when it was taken."""
        if self.items and step < self.items[-1][0]:  # the run was reset: start again
            self.items.clear()
            self.every = 1
        if self.items and step - self.items[-1][0] < self.every:
            return False
        self.items.append((step, make()))
        if len(self.items) > self.capacity:
            kept = self.items[::2]
            if kept[-1] is not self.items[-1]:
                kept.append(self.items[-1])
            self.items = kept
            span = self.items[-1][0] - self.items[0][0]
            self.every = max(2 * self.every, span // self.capacity)
        return True

    def steps(self) -> list[int]:
        return [s for s, _ in self.items]

    def at(self, index: int) -> tuple[int, Any]:
        if not self.items:
            raise ValueError("no snapshots yet: they are taken as the run trains and is drawn")
        if not -len(self.items) <= index < len(self.items):
            raise ValueError(f"snapshot index must be in [0, {len(self.items) - 1}], got {index}")
        return self.items[index]

    def nearest(self, step: int) -> tuple[int, Any]:
        """The snapshot closest to ``step`` (snapshots thin out: the page asks by step)."""
        if not self.items:
            raise ValueError("no snapshots yet: they are taken as the run trains and is drawn")
        return min(self.items, key=lambda item: (abs(item[0] - step), -item[0]))

    def nbytes(self) -> int:
        """Memory held by the snapshots' arrays and bytes (an estimate for the benchmark)."""
        return sum(_size(snap) for _, snap in self.items)

    def state(self) -> dict[str, Any]:
        return {"every": self.every, "items": list(self.items)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.every = int(state["every"])
        self.items = [(int(s), snap) for s, snap in state["items"]]


def _size(obj: Any) -> int:
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (bytes, bytearray)):
        return len(obj)
    if isinstance(obj, dict):
        return sum(_size(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_size(v) for v in obj)
    return 8


def compact(obj: Any) -> Any:
    """A snapshot's arrays as float32 copies (half the memory of float64, enough to draw)."""
    if isinstance(obj, np.ndarray):
        return obj.astype(np.float32) if obj.dtype.kind == "f" else obj.copy()
    if isinstance(obj, dict):
        return {k: compact(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(compact(v) for v in obj)
    return obj
