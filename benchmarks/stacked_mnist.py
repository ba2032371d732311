"""Stacked MNIST (1000 modes) through the CLI: the plain DCGAN and each stabilizer, same wall time.

Each run is `python -m gancore train dcgan-stacked-mnist --max-seconds S --seed 0 --set ...`
(one stabilizer added to the plain preset), then `python -m gancore sample DIR -n 26000`, the
samples scored by ``gancore.eval.stacked``: each colour plane read as a digit by the
shipped MNIST classifier, modes covered (at least one sample) of 1000 and KL(mode histogram
|| uniform) in nats, on 26,000 samples as PacGAN counts. The runs go one after another in
one process, each on the whole machine; the 1-minute load average is read before and after
each. The target (issue 14): `python -m gancore train stacked-mnist --max-seconds 900`, then
26,000 samples: >= 990 of 1000 modes and KL <= 0.1. The `stacked-mnist` preset is the plain
one plus PacGAN's pack 2, an R1 penalty (gamma 1, every 4th D step), learning rates 1e-3 and
batch 32 (the notes give the probes behind each).

    python -m benchmarks stacked_mnist                       # the sweep, S = 180 s per run
    python -m benchmarks.stacked_mnist --seconds 60          # a shorter sweep
    python -m benchmarks.stacked_mnist --target              # only the 900 s target run
    python -m benchmarks.stacked_mnist --target --seeds 0 1 2  # the target at each seed
    python -m benchmarks.stacked_mnist --only plain,pack2    # some rows of the sweep

(``GANCORE_BENCH_SECONDS`` sets S for ``python -m benchmarks``.) The sweep and the target keep
their numbers in benchmarks/results/stacked_mnist.json, so either can be re-run alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, commit, write_section

PLAIN = "dcgan-stacked-mnist"
BEST = "stacked-mnist"
TARGET_SECONDS, TARGET_MODES, TARGET_KL = 900.0, 990, 0.1
# name: (label in the table, preset, --set overrides)
VARIANTS: dict[str, tuple[str, str, list[str]]] = {
    "plain": ("plain DCGAN (dcgan-stacked-mnist)", PLAIN, []),
    "r1": ("R1, gamma 1 (lazy, every 4)", PLAIN, ["train.r1_gamma=1", "train.reg_every=4"]),
    "r2": ("R2, gamma 1 (lazy, every 4)", PLAIN, ["train.r2_gamma=1", "train.reg_every=4"]),
    "sn": ("spectral norm of D", PLAIN, ["train.spectral_norm=true"]),
    "noise": (
        "instance noise 0.1, annealed over 2,000 rounds",
        PLAIN,
        ["train.instance_noise=0.1", "train.instance_noise_steps=2000"],
    ),
    "pack2": ("PacGAN, pack 2", PLAIN, ["train.pack=2"]),
    "mbstd": ("minibatch std", PLAIN, ["train.minibatch_std=true"]),
    "unroll": ("unrolled D, 5 steps", PLAIN, ["train.unroll_steps=5"]),
    "diffaug": ("DiffAugment translation,cutout", PLAIN, ["train.diffaugment=translation,cutout"]),
    "ttur": ("TTUR: lr_d 4e-4, lr_g 1e-4", PLAIN, ["train.lr_g=1e-4", "train.lr_d=4e-4"]),
    "best": (f"the `{BEST}` preset", BEST, []),
}
PACGAN_ROWS = [("DCGAN (PacGAN Table 2)", 99.0, 3.40), ("PacDCGAN2 (PacGAN Table 2)", 1000.0, 0.06)]
STORE = RESULTS / "stacked_mnist.json"
NOTES = """Notes. Every run below used one torch thread (`GANCORE_TORCH_THREADS=1`), except the
target's runs at each seed above, which ran alone with the CLI's own threads, as the target is
written: on this shared 2-core box, with other jobs running (load 4-5), two threads ran the
plain preset at ~20 images/s against ~510 with one; on the quiet machine two threads run the
target's preset at 1,248 images/s against 925 with one (30 s each, 06:40). The runs held the benchmark lock (`flock /tmp/gancore-bench.lock`), so
no other benchmark ran beside them; other one-thread jobs (tests, app servers, training
experiments) did at times, which the load columns show. Modes covered counts the modes holding
at least one of the 26,000 samples (a perfectly uniform G covers all 1000 there, real Stacked
MNIST 1000 with KL 0.023). The commit named beside each run is the checkout it trained from.

Where the KL comes from: it splits exactly into the three planes' own digit KLs and what the
planes share (`plane_kl`, `dependence_kl` in `eval`). For `stacked-mnist` after 300 s at the
old learning rate 2e-4 (KL 0.587) the planes' digit KLs summed to 0.546 and what they share to
0.041: G covers the combinations; it draws some digits too often in every plane (3 and 8 at
17-28% each), because half-formed strokes read as 3, 5 or 8 (half the planes got under 90%
of the classifier's confidence). Learning rates of 1e-3 sharpen the strokes faster, which is
what the 900 s target now ships. Probes of 300 s each (`python -m gancore train stacked-mnist
--max-seconds 300 --seed 0 --set ...`, one thread, another one-thread job beside it, 26,000
samples; 2026-12-03):

| change to `stacked-mnist` (pack 2, EMA 0.999) | rounds | modes | KL | of which the planes' digits |
|---|---|---|---|---|
| learning rates 2e-4 (the preset before) | 8,450 | 961 | 0.587 | 0.546 |
| + R1, γ 1 every 4 | 6,914 | 976 | 0.545 | 0.513 |
| + G 2x wider (g_features 64) | 4,845 | 944 | 0.855 | 0.825 |
| learning rates 5e-4 | 8,410 | 1000 | 0.226 | 0.191 |
| learning rates 1e-3 (batch 64) | 8,795 | 1000 | 0.178 | 0.142 |
| learning rates 2e-3 | 8,246 | 999 | 0.245 | |
| 1e-3, decaying to 0.1x over 8,000 rounds | 8,273 | 995 | 0.336 | |
| 1e-3, EMA 0.9995 | 8,800 | 1000 | 0.181 | 0.144 |
| 1e-3, D 2x wider (d_features 64) | 5,834 | 999 | 0.198 | |
| 1e-3, batch 128 | 5,051 | 997 | 0.301 | |
| **1e-3, batch 32 (shipped)** | 18,652 | 1000 | **0.158** | |

What is left at 1e-3 is mostly too few 1s (4-7% of each plane against MNIST's 11%) and too
many 7s and 8s: thin strokes are what this small G learns last. Batch 32 (more, noisier rounds)
read 0.158 in 300 s against 0.178, and the preset ships it: its 900 s target run (09:33-09:49,
commit ec289b9) read KL 0.140 (the planes' digits 0.033 + 0.033 + 0.037, what they share
0.037) against 0.145 at batch 64, in 19,217 rounds. That run met a slower host than every row
above: this session's machine (AMD EPYC, Zen 3, AVX2 but no AVX-512) trained pix2pix's L1-only
U-Net at 798 images/s on one thread against 2,069 at 05:23 the same day, so the same 900 s
would give batch 32 about 2.5 times the rounds on the earlier host. That preset did not meet
the 0.1 target; how much of the rest is rounds (0.178 at 300 s, 0.145 at 900 s for batch 64) a
faster host would tell. On the slower host, 300 s each (10:35-10:52, one thread, a pix2pix
benchmark on the other core): the shipped preset 6,408 rounds, 994 modes, KL 0.284; PacGAN's
pack 4 instead of 2: 6,899 rounds, 952 modes, KL 0.637 (no help).

Other losses and Adam's betas (2026-12-03 17:30 to 2026-12-04 01:01, one thread, two runs at
a time, 26,000 samples; rounds vary with what ran beside them): at 300 s the hinge loss read
KL 0.211 in 6,338 rounds (the shipped preset 0.284 in 6,408 earlier that day) and 0.202 in
6,848 against the shipped preset's 0.351 in 4,856 the same hour; least squares 0.869 (2,651
rounds, 928 modes); Adam betas (0, 0.99) 0.315. The 900 s pair decides it: side by side
(00:42-01:01, the working tree at commit ac54a25, where only tests differed), the shipped
preset read KL 0.140 in 21,826 rounds (the target row above; the planes' digits 0.030 + 0.034
+ 0.039, what they share 0.037) and the hinge loss 0.176 in 21,763 (0.031 + 0.053 + 0.048,
shared 0.044), both 1000 modes. Hinge's head start at 300 s does not last; the preset keeps
the non-saturating loss. 0.140 is now read in two sessions, at 19,217 and 21,826 rounds:
more rounds of the same preset are not closing the gap to 0.1.

R1 narrows it most. 900 s each (2026-12-04, one thread, two runs at a time, 26,000 samples; the
commands are the target's with `--set`), against the preset of then (KL 0.140):

| change to the preset of ac54a25 | when (UTC) | rounds | modes | KL | planes' digits | shared |
|---|---|---|---|---|---|---|
| R1, γ 1 every 4th D step | 01:21-01:37 | 20,269 | 1000 | 0.102 | 0.020 + 0.026 + 0.030 | 0.026 |
| EMA 0.9999 (for 0.999) | 01:21-01:37 | 21,808 | 1000 | 0.137 | 0.031 + 0.034 + 0.036 | 0.036 |
| R1, γ 2 every 4th D step | 01:39-01:55 | 23,327 | 1000 | 0.133 | 0.040 + 0.028 + 0.030 | 0.036 |
| R1, γ 1 every 4th, EMA 0.9999 | 01:39-01:55 | 23,490 | 1000 | 0.109 | 0.024 + 0.039 + 0.023 | 0.023 |
| R1, γ 1 every 4th, lr to 0.1x over 20,000 rounds | 02:47-03:03 | 21,840 | 1000 | 0.112 | 0.025 + 0.022 + 0.030 | 0.035 |

The preset ships R1 γ 1 every 4th D step (commit 6cbbce0); its target run above (02:47-03:03)
ran beside the learning-rate-decay row. The same preset again, two at a time (03:04-03:20):
seed 0 (the target's command) 21,840 rounds, 1000 modes, KL 0.085 (0.014 + 0.023 + 0.026,
shared 0.023); seed 1 21,972 rounds, 999 modes, KL 0.115 (0.024 + 0.031 + 0.022, shared
0.038). Then (03:27-03:46, a slower half hour: about 10% fewer rounds) seed 2 read 19,731
rounds, 1000 modes, KL 0.124 (0.030 + 0.031 + 0.024, shared 0.039), and R1 γ 0.5 at seed 1
19,816 rounds, 1000 modes, 0.116 (no better than γ 1's 0.115). So the target's command
(seed 0) read 0.084, 0.085 and, before the preset took R1, 0.102: met; seeds 1 and 2 read
0.115 and 0.124: not met. The mean of seeds 0-2 is 0.108. Twice the time settles what
the rest is: seeds 1 and 2 for 1800 s (`--max-seconds 1800`, 03:47-04:27, two at a time) ran
41,399 and 41,604 rounds, 1000 modes each, KL 0.098 and 0.081 (planes' digits 0.019 + 0.023 +
0.025 and 0.019 + 0.013 + 0.018). On this host 900 s meets the target at the command's seed
only; with twice the rounds (what a host about twice as fast runs in 900 s: the one of
2026-12-03 05:23 trained 2.6 times faster) every seed tried meets it. Batch 16 instead of 32
(04:47-05:03, seeds 1 and 2, 900 s) ran 36,961 and 36,535 rounds, 1000 modes each, and read
KL 0.113 and 0.104: closer at seed 2 (0.124 at batch 32), not at seed 1 (0.115), and neither
under 0.1, so the preset keeps batch 32.

Then the target as it is written, one run at a time alone on the machine with the CLI's own
threads (2026-12-04 06:43-07:33, the table above): 34,665-36,199 rounds in 900 s, about 1.6
times the rounds of the one-thread runs beside another job; seeds 1, 2 and 0 read KL
0.101, 0.096 and 0.083, 1000 modes each (planes' digits 0.025 + 0.015 + 0.021, 0.027 + 0.020
+ 0.015 and 0.015 + 0.019 + 0.014; shared 0.039, 0.033 and 0.035). The command as written
(seed 0) meets the target, and so does seed 2; seed 1 misses it by 0.0014 (KL 0.1014), less
than the reading's own sampling error (a standard deviation of 0.0025 across 400 draws of
26,000 samples from a 1000-mode distribution at this KL, simulated), but a miss all the same,
not a pass. The mean of seeds 0-2 is 0.094."""


def _load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _cli(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "gancore", *args], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"gancore {args[0]} failed:\n{out.stderr[-2000:]}")
    return out.stdout


def run_one(
    preset: str, overrides: list[str], seconds: float, out: Path, samples: int, seed: int = 0
) -> dict:
    """Train through the CLI, sample through the CLI, score the samples; with the load."""
    from gancore.eval import stacked as metrics_stacked

    sets = [a for o in overrides for a in ("--set", o)]
    train_args = ["train", preset, "--max-seconds", f"{seconds:g}", "--seed", str(seed)]
    train_args += ["--out", str(out), *sets]
    load_before, began = _load1(), time.monotonic()
    report = json.loads(_cli(*train_args))
    wall = time.monotonic() - began
    load_after = _load1()
    npz = out / "samples.npz"
    _cli("sample", str(out), "-n", str(samples), "--out", str(npz))
    import numpy as np

    with np.load(npz) as f:
        m = metrics_stacked.stacked_mnist_metrics(f["samples"])
    shown = ["python", "-m", "gancore", *train_args[: -2 - len(sets)], "--out", "DIR", *sets]
    return {
        "command": shlex.join(shown),
        "steps": report["step"],
        "images_per_second": report.get("images_per_second"),
        "train_wall_s": wall,
        "load_before": load_before,
        "load_after": load_after,
        **m,
    }


def _store() -> dict:
    return json.loads(STORE.read_text()) if STORE.exists() else {}


def _save(key: str, value: dict) -> None:
    data = _store()
    data[key] = value
    RESULTS.mkdir(parents=True, exist_ok=True)
    STORE.write_text(json.dumps(data, indent=1) + "\n")


def _threads() -> str:
    t = os.environ.get("GANCORE_TORCH_THREADS")
    return f"GANCORE_TORCH_THREADS={t} " if t else ""


def sweep(seconds: float, names: list[str], samples: int) -> None:
    """The rows one after another; each is stored as soon as it is scored."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            label, preset, overrides = VARIANTS[name]
            r = run_one(preset, overrides, seconds, Path(tmp) / name, samples)
            print(name, r["steps"], r["modes_covered"], f"{r['kl_to_uniform']:.3f}", flush=True)
            old = _store().get("sweep", {})
            rows = {}
            if (old.get("seconds"), old.get("samples")) == (seconds, samples):  # same sweep
                rows = old["rows"]
            rows[name] = {**r, "commit": commit()}
            rows = {n: rows[n] for n in VARIANTS if n in rows}
            _save(
                "sweep",
                {
                    "seconds": seconds,
                    "samples": samples,
                    "rows": rows,
                    "commit": commit(),
                    "env": _threads(),
                },
            )


def target(samples: int, seeds: list[int] | None = None) -> None:
    """The target command at seed 0 (the CLI's default); with ``seeds``, at each of them, one
    after another, each run alone on the machine (seed 0's run is the target row)."""
    rows = []
    for seed in seeds or [0]:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_one(BEST, [], TARGET_SECONDS, Path(tmp) / "target", samples, seed=seed)
        r = {**r, "seed": seed, "commit": commit(), "env": _threads()}
        print(
            "target", seed, r["steps"], r["modes_covered"], f"{r['kl_to_uniform']:.3f}", flush=True
        )
        rows.append(r)
        if seed == 0:
            if "target" in _store():  # the run it replaces stays beside it
                _save("target_before", _store()["target"])
            _save("target", r)
    if seeds:
        _save("target_seeds", rows)


def _met(r: dict) -> bool:
    return r["modes_covered"] >= TARGET_MODES and r["kl_to_uniform"] <= TARGET_KL


def render() -> str:
    data = _store()
    lines = []
    s = data.get("sweep")
    if s:
        lines += [
            f"### Sweep: {s['seconds']:g} s of training per run, {s['samples']:,} samples each "
            f"({s['env'].strip() + ', ' if s['env'] else ''}commit of each row in its last column)",
            "",
            "| run | steps in the time | images/s | modes covered (of 1000) | KL(modes ‖ uniform) "
            "| largest mode | load 1 min before → after | commit |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, r in s["rows"].items():
            ips = r.get("images_per_second")
            lines.append(
                f"| {VARIANTS[name][0]} | {r['steps']:,} | {ips:,.0f} | {r['modes_covered']} | "
                f"{r['kl_to_uniform']:.2f} | {r['largest_mode_share']:.1%} | "
                f"{r['load_before']:.1f} → {r['load_after']:.1f} | {r.get('commit', s['commit'])} |"
            )
        for label, modes, kl in PACGAN_ROWS:
            lines.append(
                f"| {label}, GPU, far longer training | — | — | {modes:.0f} | {kl:.2f} | — | — | — |"
            )
        missing = [VARIANTS[n][0] for n in VARIANTS if n not in s["rows"] and n != "best"]
        if missing:
            lines += ["", f"Not run in this sweep (time): {'; '.join(missing)}."]
        lines += [""]
    t = data.get("target")
    if t:
        met = _met(t)
        lines += [
            f"### Target: `{BEST}`, {TARGET_SECONDS:g} s, {t['samples']:,} samples "
            f"(target ≥ {TARGET_MODES} modes and KL ≤ {TARGET_KL})",
            "",
            f"- Command: `{t['env']}{t['command']}`, then `python -m gancore sample DIR -n "
            f"{t['samples']} --out samples.npz`, scored by `gancore.eval.stacked` "
            f"(commit {t['commit']})",
            f"- {t['steps']:,} steps ({t['images_per_second']:,.0f} images/s); load average "
            f"(1 min) {t['load_before']:.1f} before, {t['load_after']:.1f} after",
            f"- Modes covered: **{t['modes_covered']} / 1000**; KL(modes ‖ uniform): "
            f"**{t['kl_to_uniform']:.3f}**; largest mode {t['largest_mode_share']:.2%} of samples",
            f"- Target met: **{'yes' if met else 'no'}** (one run at the command's seed, 0; the "
            "notes below give other runs and seeds).",
        ]
        if rows := data.get("target_seeds"):
            every = all(_met(r) for r in rows)
            lines += [
                "",
                f"The same command at each seed (`--seed S`), one run after another, each alone on "
                f"the machine ({rows[0]['env'].strip() or 'torch threads as the CLI sets them'}; "
                f"`python -m benchmarks.stacked_mnist --target --seeds "
                f"{' '.join(str(r['seed']) for r in rows)}`, commit {rows[-1]['commit']}):",
                "",
                "| seed | steps | images/s | modes covered | KL(modes ‖ uniform) | load before → after |",
                "|---|---|---|---|---|---|",
            ]
            for r in rows:
                lines.append(
                    f"| {r['seed']} | {r['steps']:,} | {r['images_per_second']:,.0f} | "
                    f"{r['modes_covered']} | {r['kl_to_uniform']:.3f} | "
                    f"{r['load_before']:.1f} → {r['load_after']:.1f} |"
                )
            lines += ["", f"Target met at every seed: **{'yes' if every else 'no'}**."]
        if b := data.get("target_before"):
            lines.append(
                f"- The run it replaced (commit {b['commit']}: the same command, the preset as it was "
                f"then): "
                f"{b['steps']:,} steps, {b['modes_covered']} modes, KL {b['kl_to_uniform']:.3f}."
            )
        lines += [""]
    if t or s:
        lines += [NOTES]
    if not lines:
        lines = ["Not run yet: `python -m benchmarks stacked_mnist`."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.stacked_mnist", description=__doc__)
    default = float(os.environ.get("GANCORE_BENCH_SECONDS", "180"))
    p.add_argument("--seconds", type=float, default=default, help="training per sweep run")
    p.add_argument("--samples", type=int, default=26_000, help="samples scored per run")
    p.add_argument("--only", help=f"comma-separated rows of: {', '.join(VARIANTS)}")
    p.add_argument("--target", action="store_true", help=f"only the {TARGET_SECONDS:g} s target")
    p.add_argument("--seeds", type=int, nargs="+", help="with --target: run it at each seed")
    p.add_argument("--render", action="store_true", help="only rewrite the section from the JSON")
    args = p.parse_args([] if argv is None and __name__ != "__main__" else argv)
    # stacked-mnist is dcgan-stacked-mnist + pack 2: its row would repeat pack2's (--only best)
    names = args.only.split(",") if args.only else [n for n in VARIANTS if n != "best"]
    if unknown := sorted(set(names) - set(VARIANTS)):
        p.error(f"unknown row(s) {unknown}; choose from {', '.join(VARIANTS)}")
    if args.seeds and not args.target:
        p.error("--seeds goes with --target")
    if args.render:
        pass
    elif args.target:
        target(args.samples, args.seeds)
    else:
        sweep(args.seconds, names, args.samples)
    swept = args.seconds if not (args.render or args.target) else _store()["sweep"]["seconds"]
    write_section(
        "stacked_mnist",
        "Stacked MNIST: 1000 modes, each stabilizer beside PacGAN's Table 2",
        __doc__.split("\n\n", 1)[1].split("\n\n    python")[0] + "\n\n" + render(),
        "python -m benchmarks stacked_mnist"
        + ("" if swept == 180 else f" (--seconds {swept:g})")
        + ("; python -m benchmarks.stacked_mnist --target" if "target" in _store() else ""),
    )


if __name__ == "__main__":
    main()
