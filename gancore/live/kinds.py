"""The live run class of each kind of run, for the worker that builds them by name."""

from __future__ import annotations

from gancore.live.image_run import ImageRun
from gancore.live.pix2pix_run import Pix2PixRun
from gancore.live.runs import LiveRun
from gancore.live.toy_run import ToyRun

RUN_CLASSES: dict[str, type[LiveRun]] = {"toy": ToyRun, "image": ImageRun, "pix2pix": Pix2PixRun}


def run_class(kind: str) -> type[LiveRun]:
    """The run class of a kind: 'toy', 'image' or 'pix2pix'."""
    if kind not in RUN_CLASSES:
        raise ValueError(f"unknown run kind {kind!r}; choose one of {', '.join(RUN_CLASSES)}")
    return RUN_CLASSES[kind]
