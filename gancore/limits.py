"""Resource caps for a shared server (a hosted demo), and the per-server training slots.

Two profiles: local (generous: one person on their own machine) and hosted (a small shared
CPU box), picked by ``GANCORE_HOSTED=1``. Each cap can be set on its own through an
environment variable, or, in the app, a Streamlit secret of the same name (see
``pages/_hosted.py``); explicit values win over the profile. Bad values are refused with a
message naming the variable, never silently corrected.

| variable                  | local      | hosted  | what it caps                            |
|---------------------------|------------|---------|-----------------------------------------|
| GANCORE_MAX_PARAMETERS    | 50,000,000 | 4,000,000 | G + D parameters of a model built or loaded |
| GANCORE_MAX_STEPS         | 10,000,000 | 20,000  | training rounds of one run in the app   |
| GANCORE_MAX_IMAGE_SIZE    | 128        | 32      | image side (px) of a model trained in the app |
| GANCORE_MAX_UPLOAD_MB     | 50         | 10      | one uploaded file                       |
| GANCORE_MAX_TRAININGS     | 0 (no cap) | 8       | live trainings running at once, per server |
| GANCORE_TORCH_THREADS     | (cores)    | 1       | torch threads per piece of work         |
| GANCORE_WORKERS           | (cores)    | (cores) | training worker processes (gancore.live) |
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Limits:
    """The caps in force; ``0`` for max_trainings and None for torch_threads mean no cap."""

    hosted: bool = False
    max_parameters: int = 50_000_000
    max_steps: int = 10_000_000
    max_image_size: int = 128
    max_upload_mb: float = 50.0
    max_trainings: int = 0
    torch_threads: int | None = None
    workers: int | None = None  # live-training worker processes; None: one per core

    def __post_init__(self) -> None:
        bounds = {
            "max_parameters": (1_000, 10**9),
            "max_steps": (1, 10**9),
            "max_image_size": (8, 1024),
            "max_upload_mb": (0.01, 2_000),
            "max_trainings": (0, 1_000),
        }
        for name, (lo, hi) in bounds.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not lo <= value <= hi:
                raise ValueError(f"{_env_name(name)} must be in [{lo}, {hi}], got {value!r}")
        if self.torch_threads is not None and not 1 <= self.torch_threads <= 256:
            raise ValueError(f"GANCORE_TORCH_THREADS must be in [1, 256], got {self.torch_threads}")
        if self.workers is not None and not 1 <= self.workers <= 256:
            raise ValueError(f"GANCORE_WORKERS must be in [1, 256], got {self.workers}")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)

    def threads(self, default: int) -> int:
        """Torch threads for a piece of work that would use ``default`` unhosted."""
        return max(1, self.torch_threads if self.torch_threads is not None else default)

    def check_steps(self, steps: int) -> None:
        if steps > self.max_steps:
            raise ValueError(
                f"{steps:,} steps is over this server's limit of {self.max_steps:,} per run"
            )

    def check_image_size(self, size: int) -> None:
        if size > self.max_image_size:
            raise ValueError(
                f"{size} px images are over this server's limit of {self.max_image_size} px; "
                "train larger models from the command line"
            )

    def check_parameters(self, count: int) -> None:
        if count > self.max_parameters:
            raise ValueError(
                f"the model has {count:,} parameters, over this server's limit of "
                f"{self.max_parameters:,}"
            )

    def check_model(self, model, *, copies: int = 1) -> None:
        """Refuse, before allocating, a model config (DCGAN, MLP or pix2pix) over the caps;
        ``copies``: how many such models one run trains (pix2pix trains an L1-only twin)."""
        if hasattr(model, "image_size"):
            self.check_image_size(model.image_size)
        self.check_parameters(copies * model.num_parameters()["total"])

    def check_upload(self, size_bytes: int) -> None:
        if size_bytes > self.max_upload_bytes:
            raise ValueError(
                f"the file is {size_bytes / 1e6:.1f} MB; this server takes at most "
                f"{self.max_upload_mb:g} MB"
            )


HOSTED = Limits(
    hosted=True,
    max_parameters=4_000_000,
    max_steps=20_000,
    max_image_size=32,
    max_upload_mb=10.0,
    max_trainings=8,
    torch_threads=1,
)


def _env_name(field_name: str) -> str:
    return "GANCORE_" + field_name.upper()


def limits_from(values: Mapping[str, object] | None = None) -> Limits:
    """Limits from a mapping of GANCORE_* names (the environment by default).

    ``GANCORE_HOSTED`` picks the profile; any other GANCORE_MAX_* / GANCORE_TORCH_THREADS
    present overrides that one cap."""
    env = os.environ if values is None else values
    hosted_text = str(env.get("GANCORE_HOSTED", "")).strip().lower()
    if hosted_text not in _TRUE | _FALSE:
        raise ValueError(f"GANCORE_HOSTED must be 1 or 0 (true/false), got {hosted_text!r}")
    base = HOSTED if hosted_text in _TRUE else Limits()
    changes: dict[str, object] = {}
    for f in fields(Limits):
        if f.name == "hosted":
            continue
        name = _env_name(f.name)
        if name not in env or str(env[name]).strip() == "":
            continue
        text = str(env[name]).strip()
        kind = float if f.name == "max_upload_mb" else int
        try:
            changes[f.name] = kind(text.replace("_", ""))
        except ValueError:
            raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not changes:
        return base
    merged = {f.name: getattr(base, f.name) for f in fields(Limits)} | changes
    return Limits(**merged)


class TrainingSlots:
    """At most ``capacity`` live trainings at once on one server (0: no limit).

    A session holds a slot while it trains and refreshes it on every tick; a slot not
    refreshed for ``ttl`` seconds (the tab was closed mid-run) is free again. Thread-safe:
    Streamlit runs each session's script in its own thread."""

    def __init__(
        self, capacity: int, *, ttl: float = 15.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if capacity < 0 or ttl <= 0:
            raise ValueError(f"capacity must be >= 0 and ttl > 0, got {capacity}, {ttl}")
        self.capacity, self.ttl, self._clock = capacity, ttl, clock
        self._held: dict[str, float] = {}
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        for owner in [o for o, t in self._held.items() if now - t > self.ttl]:
            del self._held[owner]

    def acquire(self, owner: str) -> bool:
        """Take (or refresh) ``owner``'s slot; False when every slot is held by others."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            if owner in self._held or not self.capacity or len(self._held) < self.capacity:
                self._held[owner] = now
                return True
            return False

    def release(self, owner: str) -> None:
        with self._lock:
            self._held.pop(owner, None)

    def active(self) -> int:
        """Slots held right now."""
        with self._lock:
            self._expire(self._clock())
            return len(self._held)
