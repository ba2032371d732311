"""Speed work, before and after: each change measured against the code it replaced, in one run.

Every row rebuilds the "before" beside the "after" in the same process and alternates blocks
(A/B/A/B), so machine drift hits both; the number is the median block. Rows:

- **tanh** as ``2·sigmoid(2x) − 1`` (``gancore.models.mlp.SigmoidTanh``) instead of
  ``nn.Tanh``: ring8's whole training round, one thread.
- **fused Adam** (``fused=True``: one kernel per parameter for the whole update) instead of
  ``foreach=True`` (one multi-tensor op per stage of the update) and instead of torch's
  per-parameter loop: ring8's training round, one thread.
- **gradient and parameter norms** as one ``_foreach_norm`` over all tensors, combined on the
  host after the round's single sync, instead of ``nn.utils.get_total_norm`` per group
  (four groups) and then the sync: the norm bookkeeping of one ring8 round.
- **sampling** 64 images of the shipped dcgan-mnist under ``torch.inference_mode`` (what
  ``LoadedGAN.sample`` does) instead of with autograd on or under ``torch.no_grad``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from benchmarks.common import write_section
from gancore.io.hub import load_checkpoint
from gancore.models.mlp import SigmoidTanh
from gancore.presets.toy import build_from_preset
from gancore.train.optim import combine_grad_norms, grad_norm_parts

BLOCKS = 5


def _ab(before: Callable[[], None], after: Callable[[], None], reps: int) -> tuple[float, float]:
    """Median seconds per call of each, over alternating blocks of ``reps`` calls."""
    before(), after()  # warm-up
    t: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(BLOCKS):
        for name, fn in (("before", before), ("after", after)):
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            t[name].append((time.perf_counter() - t0) / reps)
    return statistics.median(t["before"]), statistics.median(t["after"])


def _with_torch_tanh(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, SigmoidTanh):
            setattr(module, name, nn.Tanh())
        else:
            _with_torch_tanh(child)


def _ring8(tanh: str = "sigmoid", adam: str = "fused"):
    trainer, _ = build_from_preset("ring8", seed=0)
    if tanh == "torch":
        _with_torch_tanh(trainer.generator)
        _with_torch_tanh(trainer.discriminator)
        if trainer.ema_generator is not None:
            _with_torch_tanh(trainer.ema_generator)
    if adam != "fused":
        cfg, how = trainer.config, {"foreach": adam == "foreach"}
        trainer.opt_g = torch.optim.Adam(trainer._g_params, lr=cfg.lr_g, betas=cfg.betas_g, **how)
        trainer.opt_d = torch.optim.Adam(trainer._d_params, lr=cfg.lr_d, betas=cfg.betas_d, **how)
        trainer._last_good.take(force=True)  # the divergence snapshot follows the new optimizers
    return lambda: trainer.run(steps=10)


def _norms_pair():
    trainer, _ = build_from_preset("ring8", seed=0)
    trainer.run(steps=2)
    gp, dp = list(trainer.generator.parameters()), list(trainer.discriminator.parameters())
    groups = [[p.grad for p in dp], [p.grad for p in gp], gp, dp]
    loss = torch.zeros(())

    def before() -> list[float]:
        norms = [nn.utils.get_total_norm(g) for g in groups]
        return torch.stack([loss, loss, loss, loss, *norms]).tolist()

    def after() -> list[float]:
        parts, sizes = grad_norm_parts(groups)
        synced = torch.stack([loss, loss, loss, loss, *parts]).tolist()
        return synced[:4] + combine_grad_norms(synced[4:], sizes)

    b, a = before()[4:], after()[4:]
    assert all(abs(x - y) <= 1e-4 * max(1.0, abs(x)) for x, y in zip(b, a, strict=True)), (b, a)
    return before, after


def _sampling():
    G = load_checkpoint("dcgan-mnist").generator
    z = torch.randn(64, G.config.latent_dim)

    def grad_on() -> None:
        G(z)

    def no_grad() -> None:
        with torch.no_grad():
            G(z)

    def inference() -> None:
        with torch.inference_mode():
            G(z)

    return grad_on, no_grad, inference


def main() -> None:
    torch.set_num_threads(1)
    rows = []

    def row(what: str, unit: str, before: float, after: float, scale: float) -> None:
        rows.append(
            f"| {what} | {before * scale:,.1f} {unit} | {after * scale:,.1f} {unit} "
            f"| {before / after:.2f}× |"
        )
        print(rows[-1], flush=True)

    b, a = _ab(_ring8(tanh="torch"), _ring8(), reps=10)
    row("ring8 round: nn.Tanh → SigmoidTanh", "ms", b / 10, a / 10, 1e3)
    b, a = _ab(_ring8(adam="loop"), _ring8(), reps=10)
    row("ring8 round: per-parameter Adam → fused Adam", "ms", b / 10, a / 10, 1e3)
    b, a = _ab(_ring8(adam="foreach"), _ring8(), reps=10)
    row("ring8 round: foreach Adam → fused Adam", "ms", b / 10, a / 10, 1e3)
    b, a = _ab(*_norms_pair(), reps=200)
    row("norm bookkeeping of a ring8 round: per-group → one foreach pass", "µs", b, a, 1e6)
    grad_on, no_grad, inference = _sampling()
    b, a = _ab(grad_on, inference, reps=20)
    row("64 dcgan-mnist samples: autograd on → inference_mode", "ms", b, a, 1e3)
    b, a = _ab(no_grad, inference, reps=20)
    row("64 dcgan-mnist samples: no_grad → inference_mode", "ms", b, a, 1e3)
    lines = [
        f"One torch thread, {BLOCKS} alternating blocks, median block.",
        "",
        "| change | before | after | speed-up |",
        "|---|---|---|---|",
        *rows,
    ]
    write_section(
        "speed_work",
        "Speed work: before and after, side by side",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "python -m benchmarks speed_work",
    )


if __name__ == "__main__":
    main()
