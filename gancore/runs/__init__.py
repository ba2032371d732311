"""Runs: a preset trained to a checkpoint folder, on top of every other layer.

- :mod:`gancore.runs.lifecycle`: build, resume, train, save (atomic periodic checkpoints, the
  model card, bit-exact resume, torchrun ranks).
- :mod:`gancore.runs.scores`: the quality numbers of a run and of a loaded checkpoint, per
  kind (the model card's metrics, the CLI's ``eval``).
"""

from gancore.runs.lifecycle import Run, evaluate, resume, sample_grid, save, start, train

__all__ = ["Run", "evaluate", "resume", "sample_grid", "save", "start", "train"]
