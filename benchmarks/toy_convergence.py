"""Time to 8/8 modes on ring8: gancore's Trainer beside the bare PyTorch loop, every seed.

Both train the ring8 preset's models and algorithm (hinge loss, batch 512, Adam with β1 = 0,
a decaying learning rate, generator EMA) on one thread: the Trainer through ``Trainer.run``,
the reference through the bare loop of the toy-speed benchmark (the same algorithm without
the Trainer's extras). Every 250 rounds the clock stops and 2,500 samples of the EMA
generator are scored with ``gancore.eval.toy.mode_metrics``; the clock only counts training.
Reported: the training time and rounds until the first check with 8/8 modes, and until 8/8
modes with at least 97% high-quality samples (issue 3's bar), each run capped at the cap
below. One of the Trainer's extras shows here: its EMA warms up (the decay ramps from 0.1
towards 0.999 over the first rounds) while the bare loop's starts at 0.999, so early on the
bare loop's average still holds much of its random start; both sample from their EMA.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from benchmarks.common import write_section
from benchmarks.toy_speed import bare_loop
from gancore.eval import toy as metrics
from gancore.presets.toy import build_from_preset

SEEDS = [0, 1, 2]
CHECK_EVERY = 250
CAP_SECONDS = 60.0
N_EVAL = 2500


def _first_times(run, sample, dist) -> dict[str, float | None]:
    """Training seconds and rounds to 8/8 modes, and to 8/8 with >= 97% high quality."""
    clock, rounds, out = 0.0, 0, {"modes_s": None, "modes_r": None, "hq_s": None, "hq_r": None}
    gen = torch.Generator()
    while clock < CAP_SECONDS and out["hq_s"] is None:
        t0 = time.perf_counter()
        run(CHECK_EVERY)
        clock += time.perf_counter() - t0
        rounds += CHECK_EVERY
        gen.manual_seed(7)
        x = sample(N_EVAL, gen).numpy().astype(np.float64)
        m = metrics.mode_metrics(x, dist.modes, dist.mode_std)
        if m["modes_captured"] == m["num_modes"]:
            if out["modes_s"] is None:
                out["modes_s"], out["modes_r"] = clock, rounds
            if m["high_quality_share"] >= 0.97:
                out["hq_s"], out["hq_r"] = clock, rounds
    return out


def _cell(s: float | None, r: int | None) -> str:
    return f"{s:.1f} s ({r:,})" if s is not None else f"not in {CAP_SECONDS:.0f} s"


def main() -> None:
    torch.set_num_threads(1)
    rows, found = [], {"gancore": [], "bare": []}
    for seed in SEEDS:
        trainer, dist = build_from_preset("ring8", seed=seed)
        ours = _first_times(
            lambda n, tr=trainer: tr.run(steps=n),
            lambda n, g, tr=trainer: tr.sample(n, generator=g),
            dist,
        )
        bare = bare_loop("ring8", seed=seed)
        ref = _first_times(bare, bare.sample, dist)
        for name, r in (("gancore", ours), ("bare", ref)):
            if r["hq_s"] is not None:
                found[name].append(r["hq_s"])
        rows.append(
            f"| {seed} | {_cell(ref['modes_s'], ref['modes_r'])} | "
            f"{_cell(ours['modes_s'], ours['modes_r'])} | {_cell(ref['hq_s'], ref['hq_r'])} | "
            f"{_cell(ours['hq_s'], ours['hq_r'])} |"
        )
        print(rows[-1], flush=True)
    lines = [
        f"Training seconds (rounds) to the first check at the bar, checks every {CHECK_EVERY} "
        f"rounds, capped at {CAP_SECONDS:.0f} s of training per run.",
        "",
        "| seed | bare loop: 8/8 modes | gancore: 8/8 modes | bare loop: 8/8 and ≥ 97% HQ "
        "| gancore: 8/8 and ≥ 97% HQ |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    for name, label in (("bare", "bare loop"), ("gancore", "gancore Trainer")):
        t = found[name]
        med = f"median {statistics.median(t):.1f} s" if t else "no run"
        lines.append(f"- {label}: reached the bar on {len(t)}/{len(SEEDS)} seeds; {med}.")
    write_section(
        "toy_convergence",
        "Time to 8/8 modes on ring8, beside the bare PyTorch loop",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "python -m benchmarks toy_convergence",
    )


if __name__ == "__main__":
    main()
