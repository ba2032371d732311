"""How far a community GAN may be inverted on a CPU: the search budget by image size.

Inversion (``gancore.explore.inversion.invert``) runs the generator forward and backward once
per step for every start. On this project's 2-core machine (``python -m benchmarks
community_speed``, load ~2) one step of one start takes 0.01 s at 64 px (DCGAN), 0.35 s at
256 px (lightweight-gan), 0.17 s for a FastGAN's 128 px output and 1.05 s at 1024 px (about
three times that while other work runs), so the budget shrinks with the size and stops at
256 px: above that a useful search (50 steps or more) takes a minute or more of a shared CPU.
Community repos ship no discriminator, so the result has a pixel error, no anomaly score.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SIDE = 256  # the largest image side inverted here


@dataclass(frozen=True)
class Budget:
    """Slider ranges for the search: steps (low, high, default, stride), starts (high, default)."""

    steps: tuple[int, int, int, int]
    max_restarts: int
    restarts: int


BUDGETS = {  # largest side -> budget
    64: Budget((50, 500, 200, 50), 8, 4),
    128: Budget((10, 200, 50, 10), 4, 1),
    256: Budget((10, 100, 30, 10), 2, 1),
}


def budget(image_size: int) -> Budget | None:
    """The search budget for images of this side; None above MAX_SIDE."""
    for side, b in sorted(BUDGETS.items()):
        if image_size <= side:
            return b
    return None


def refusal(family: str, image_size: int, has_small_output: bool) -> str:
    """One paragraph: why a model this size is not inverted here, and what to do instead."""
    text = (
        f"Inversion is offered up to {MAX_SIDE} px. It runs the generator forward and backward "
        f"once per step, and at {image_size} px that is slow on this CPU: one step of one start "
        "measured 1.05 s for a 1024 px FastGAN (0.35 s for a 256 px lightweight-gan) on this "
        "2-core machine at load ~2 and about three times that when busier, so the 50 or more steps "
        "a search needs would take one to several minutes of a shared machine."
    )
    if has_small_output:
        text += (
            f" This {family} also draws a 128 px image from the same latent: switch on "
            "“use its 128 px output” above to invert against that one."
        )
    return text
