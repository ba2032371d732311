"""Argument checks every config and public function shares: a ValueError that names the value
and its allowed range (booleans are never numbers here)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


def check_number(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False) -> None:
    """A ValueError naming ``name`` unless ``value`` is a finite number in [lo, hi] ((lo, hi]
    with ``lo_open``); booleans are refused."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if ok:
        ok = (lo < value if lo_open else lo <= value) and value <= hi
    if not ok:
        interval = f"{'(' if lo_open else '['}{lo}, {hi}]"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")


def check_int(name: str, value: Any, lo: int, hi: int) -> None:
    """A ValueError naming ``name`` unless ``value`` is an integer (not a bool) in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")


class DictConfig:
    """JSON round trips for a config dataclass: ``to_dict()`` and a strict ``from_dict()``
    (an unknown key is an error naming the allowed ones, not silently ignored)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Build from a dict such as config.json; unknown keys raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} key(s) {unknown}; allowed: {sorted(known)}")
        return cls(**data)
