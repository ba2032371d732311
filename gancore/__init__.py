"""gancore: the library behind the GAN laboratory (models, training, theory, plots).

It never imports streamlit: the pages in ``pages/`` do the UI. The names most scripts need
are importable from here (each loads its module on first use, so ``import gancore`` stays
light and ``from gancore import theory`` does not pull in torch):

- ``load_checkpoint(source)``: a checkpoint folder, a shipped name or a Hub repo, loaded
  safely (gancore's own format or a supported community GAN); ``.sample(n, seed=...)``.
- ``save_checkpoint(directory, generator=, discriminator=, config=)``: the Hub format.
- ``resolve_run(preset, seed=, overrides=)``: a named or given preset of any kind as one
  validated ``RunConfig``; ``all_presets()`` lists them.
- ``start_run(preset, out, ...)``, ``train_run(run, ...)``, ``save_run(run)``: the CLI's
  ``train`` as functions (``gancore.runs``).
- ``Trainer``, ``TrainConfig``: the training loop and its settings.
- ``make_input(task, images)``: the input a pix2pix task reads (edges, superres4, inpaint).
- ``theory``: D*, V(D, G), KL, JS and W1 on a 1D grid, pure NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_checkpoint": ("gancore.io.hub", "load_checkpoint"),
    "save_checkpoint": ("gancore.io.checkpoint", "save_checkpoint"),
    "LoadedGAN": ("gancore.io.checkpoint", "LoadedGAN"),
    "CheckpointError": ("gancore.io.format", "CheckpointError"),
    "RunConfig": ("gancore.presets.run_config", "RunConfig"),
    "resolve_run": ("gancore.presets.run_config", "resolve_run"),
    "all_presets": ("gancore.presets.run_config", "all_presets"),
    "start_run": ("gancore.runs", "start"),
    "train_run": ("gancore.runs", "train"),
    "save_run": ("gancore.runs", "save"),
    "Trainer": ("gancore.train.trainer", "Trainer"),
    "TrainConfig": ("gancore.train.config", "TrainConfig"),
    "make_input": ("gancore.tasks", "make_input"),
    "theory": ("gancore.theory", None),
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gancore' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    value = importlib.import_module(module)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
