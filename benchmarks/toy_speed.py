"""Toy trainer speed: gancore's Trainer against a bare PyTorch loop, same models, same batch.

The bare loop is the minimum the same algorithm needs, written the way pytorch/examples
writes it (one D step and one G step with the preset's loss functions, Adam, the generator
EMA and the learning-rate decay when the preset has them) with none of the Trainer's
extras: no divergence snapshots, no gradient-norm metrics, no per-step host sync. Like the
examples, it does not freeze D's weights during the G step; the Trainer does, which saves
D's weight gradients there. Like the examples, it uses torch's default Adam (on the CPU, a
loop over parameters); the Trainer uses the fused one. Blocks alternate A/B/A/B in one
process on one thread, so drift and noise hit both sides. GAN Lab (poloclub/ganlab) runs one
training step per animation frame, so in a browser at 60 frames per second it does at most
60 steps per second.
"""

from __future__ import annotations

import copy
import statistics
import time

import torch

from benchmarks.common import write_section
from gancore.presets.toy import build_from_preset

PRESETS = ["ring8", "grid25", "1d-classic"]
BLOCK_STEPS = 200
BLOCKS = 5


def bare_loop(preset: str, seed: int = 0):
    """A closure running n steps of the plain algorithm on fresh models of the preset;
    ``run.sample(n, generator)`` draws from its EMA generator (or G) in eval mode."""
    trainer, dist = build_from_preset(preset, seed=seed)
    G, D, cfg = trainer.generator, trainer.discriminator, trainer.config
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas_g)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas_d)
    schedules = []
    if cfg.lr_decay_steps:  # the preset's decay, the same multiplier the Trainer applies
        schedules = [torch.optim.lr_scheduler.LambdaLR(o, cfg.lr_scale) for o in (opt_g, opt_d)]
    ema = copy.deepcopy(G).requires_grad_(False) if cfg.ema_decay > 0 else None
    data_gen = torch.Generator().manual_seed(seed + 1)
    noise = torch.Generator().manual_seed(seed)
    n, spec = cfg.batch_size, trainer.spec

    def run(steps: int) -> None:
        for _ in range(steps):
            real = dist.sample(n, data_gen)
            z = G.sample_latent(n, generator=noise)
            with torch.no_grad():
                fake = G(z)
            # D: the preset's D objective, e.g. maximise log D(x) + log(1 - D(G(z)))
            d_loss = spec.d_loss(D(real), D(fake))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            # G: the preset's G objective, e.g. minimise -log D(G(z))
            z = G.sample_latent(n, generator=noise)
            g_loss = spec.g_loss(D(G(z)))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            if ema is not None:
                with torch.no_grad():
                    for pe, p in zip(ema.parameters(), G.parameters(), strict=True):
                        pe.lerp_(p, 1 - cfg.ema_decay)
            for schedule in schedules:
                schedule.step()
        float(d_loss.detach())  # one sync at the end, as a real loop would report something

    def sample(n: int, generator: torch.Generator) -> torch.Tensor:
        model = ema if ema is not None else G
        model.eval()
        with torch.no_grad():
            out = model(model.sample_latent(n, generator=generator))
        model.train()
        return out

    run.sample = sample  # type: ignore[attr-defined]
    return run


def gancore_loop(preset: str):
    trainer, _ = build_from_preset(preset, seed=0)
    return lambda steps: trainer.run(steps=steps)


def main() -> None:
    torch.set_num_threads(1)
    lines = [
        "Rounds (one D step + one G step) per second, one thread, "
        f"{BLOCKS} alternating blocks of {BLOCK_STEPS} rounds each; median over blocks.",
        "",
        "| preset | batch | bare PyTorch loop | gancore Trainer | Trainer / bare | GAN Lab (1 step per frame at 60 fps) |",
        "|---|---|---|---|---|---|",
    ]
    for preset in PRESETS:
        bare, ours = bare_loop(preset), gancore_loop(preset)
        bare(20), ours(20)  # warm-up: allocations, first Adam states
        rates = {"bare": [], "ours": []}
        for _ in range(BLOCKS):
            for name, fn in (("bare", bare), ("ours", ours)):
                t0 = time.perf_counter()
                fn(BLOCK_STEPS)
                rates[name].append(BLOCK_STEPS / (time.perf_counter() - t0))
        b, o = statistics.median(rates["bare"]), statistics.median(rates["ours"])
        batch = build_from_preset(preset)[0].config.batch_size
        lines.append(f"| {preset} | {batch} | {b:,.0f} | {o:,.0f} | {o / b:.2f} | ≤ 60 |")
        print(lines[-1], flush=True)
    write_section(
        "toy_speed",
        "Toy trainer speed against a bare PyTorch loop",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "python -m benchmarks toy_speed",
    )


if __name__ == "__main__":
    main()
