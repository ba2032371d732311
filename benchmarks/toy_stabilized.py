"""grid25 with a stabilizer against the plain preset, through the CLI, seeds 0-4 side by side.

Each run is `python -m gancore train PRESET --max-seconds 120 --seed K --out DIR` followed by
`python -m gancore eval DIR --n 2500` (the metrics of the toy_targets section: a sample is high
quality within 3 std of its nearest mode, a mode is captured by one such sample). For each
seed the plain preset and the stabilized one run one after the other, so both meet the same
machine load; the 1-minute load average is read before every run. Target (issue 14): with a
stabilizer, 25/25 modes and >= 95% high quality on every seed, in 120 s.

    python -m benchmarks toy_stabilized                     # both presets, seeds 0-4
    GANCORE_BENCH_PRESETS=grid25-stable python -m benchmarks toy_stabilized
    python -m benchmarks.toy_stabilized --render            # rewrite the section from the JSON
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, commit, write_section

SECONDS = 120
PLAIN, STABLE = "grid25", "grid25-stable"
PRESETS = os.environ.get("GANCORE_BENCH_PRESETS", f"{PLAIN},{STABLE}").split(",")
SEEDS = [int(s) for s in os.environ.get("GANCORE_BENCH_SEEDS", "0,1,2,3,4").split(",")]
MODES, HQ = 25, 0.95
STORE = RESULTS / "toy_stabilized.json"
STABLE_IS = """`grid25-stable` is `grid25` plus instance noise of std 1 (half the grid spacing), falling
linearly from round 0 to round 10,000 until it reaches a floor of std 0.05 (the data's own std),
which stays; Adam β1 = 0 (as ring8) and a constant learning rate (`grid25` decays to 0.3x)."""
CANDIDATES = """### How the stabilizer was found (in-process checks every 2,500 rounds, EMA G, 2,500 samples)

Coverage first (seed 0, on top of `grid25`, at 25,000-30,000 rounds unless said):

| candidate | modes | high quality | notes |
|---|---|---|---|
| none (`grid25` through the CLI) | 24/25 | 95.5% | centre mode empty |
| minibatch std + decay to 0.1x over 20,000 | 23-24 | 84-88% | |
| pack 2 | 24 | 94.2-95.0% | |
| lazy R1, γ 0.1 every 8 D steps | 24 | 92.0-94.0% | |
| instance noise 0.1 over 10,000 | 24 | 95.1-95.6% | centre mode empty |
| instance noise 1 over 10,000 | 25 | 93.0-94.7% | |
| instance noise 1 over 6,000 | 24 | 90.8-94.0% | a corner empty |
| pack 2 + instance noise 1 over 10,000 | 25 | 91.9-93.9% (30,000-45,000) | |
| instance noise 1 over 10,000 + β1 = 0 | 25 | 97.0-97.5% (25,000-35,000), 92.3% at 37,500 | shipped until 2026-12-03 |

That preset (with `grid25`'s decay to 0.3x) covered 25/25 on seeds 0-4 through the CLI (2026-12-02,
commit 5a83a6a) but read 93.0%, 91.6%, 97.5%, 94.2% and 98.2% high quality. Then quality
(2026-12-03, on top of it; 20,000-45,000 rounds, the span where 120 s CLI runs end; seeds 0 / 1 / 3):

| candidate | seed 0 | seed 1 | seed 3 |
|---|---|---|---|
| as shipped then (decay to 0.3x over 27,500) | 97.0-97.5%, 92.3% at 37,500 | 81.6-92.9%, rising | 91.0-94.7%, rising |
| + lazy R1, γ 0.1 every 8 | | 92.3-95.2% | 90.2-92.9% |
| + lazy R1, γ 1 every 8 | | 12-25% | |
| EMA decay 0.9995 or 0.9999 (through the CLI) | 97.1-97.5% | 90.7% | 92.4% |
| no decay (constant learning rate) | 91.2-98.0%: 92.6 and 91.2 at 42,500-45,000 | 94.4-96.9% | 94.6-96.9% |
| no decay + EMA 0.9995 | 94.0-98.0% | 94.2-96.7% | 94.4-97.4% |
| decay to 0.5x over 40,000 | 94.3-97.1% | 93.6-97.3% | 94.3-96.3% |
| noise floor 0.05, decay to 0.3x | 94.5-98.1% | 83.8-93.6%, rising | |
| **noise floor 0.05, no decay (shipped)** | 94.2-98.9% (94.2% and 24/25 modes at 32,500); 97.4-98.9% from 35,000 | 94.2-96.6%; 95.0+ from 25,000 | 94.4-96.5%; 95.0+ from 25,000 |

What the dips are: on seed 0 without decay, samples 3-6 std from their mode rose from 1% to
6.5% of all at the dips and the modes' spread (rms per axis) from 0.6 to 1.0 data std, while samples far from
every mode (bridges) stayed at 1-2.4%. G's modes breathe: the circling of the Dirac-GAN page,
in each mode's width. A decaying learning rate slows it and slows the sharpening with it
(seeds 1 and 3 stay under 95%); a noise floor damps it and keeps the learning rate.

The margin is thin: the lowest seed read 95.9% through the CLI, and an in-process check of
seed 0 at 32,500 rounds read 94.2% with 24/25 modes; a host that runs fewer rounds in 120 s
than this one (40,029-44,926) could end a run in such a dip."""


def cli(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "gancore", *args], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout)


def one(preset: str, seed: int, tmp: str) -> dict:
    folder = str(Path(tmp) / f"{preset}-{seed}")
    load = os.getloadavg()[0]
    train = cli(
        "train", preset, "--max-seconds", str(SECONDS), "--seed", str(seed), "--out", folder
    )
    m = cli("eval", folder, "--n", "2500")
    print(preset, seed, train["step"], m["modes_captured"], m["high_quality_share"], flush=True)
    keep = ("modes_captured", "num_modes", "high_quality_share", "reverse_kl")
    return {
        **{k: m[k] for k in keep},
        "preset": preset,
        "seed": seed,
        "steps": train["step"],
        "load": load,
    }


def render() -> str:
    data = json.loads(STORE.read_text())
    rows = data["rows"]
    lines = [
        f"Ran {data['began']}-{data['ended']} UTC at commit {data['commit']}, one torch thread "
        "per run (`GANCORE_TORCH_THREADS=1`).",
        "",
        STABLE_IS,
        "",
        "| seed | preset | steps in 120 s | modes captured | high-quality share | reverse KL "
        "| load (1 min) before |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in rows:
        lines.append(
            f"| {m['seed']} | {m['preset']} | {m['steps']:,} | {m['modes_captured']}/"
            f"{m['num_modes']} | {m['high_quality_share']:.1%} | {m['reverse_kl']:.3f} | "
            f"{m['load']:.1f} |"
        )
    lines.append("")
    for preset in dict.fromkeys(m["preset"] for m in rows):
        ms = [m for m in rows if m["preset"] == preset]
        modes = [m["modes_captured"] for m in ms]
        hq = [m["high_quality_share"] for m in ms]
        ok = all(a >= MODES and b >= HQ for a, b in zip(modes, hq, strict=True))
        seeds = ", ".join(str(m["seed"]) for m in ms)
        lines.append(
            f"- `{preset}` (seeds {seeds}): modes {min(modes)}-{max(modes)}, high quality "
            f"{min(hq):.1%}-{max(hq):.1%}; 25/25 and >= 95% on every seed: "
            f"**{'yes' if ok else 'no'}**"
        )
    return "\n".join([*lines, "", CANDIDATES])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.toy_stabilized", description=__doc__)
    p.add_argument("--render", action="store_true", help="only rewrite the section from the JSON")
    args = p.parse_args([] if argv is None and __name__ != "__main__" else argv)
    if not args.render:
        began = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        with tempfile.TemporaryDirectory() as tmp:
            rows = [one(p, s, tmp) for s in SEEDS for p in PRESETS]
        ended = time.strftime("%H:%M", time.gmtime())
        RESULTS.mkdir(parents=True, exist_ok=True)
        data = {"began": began, "ended": ended, "commit": commit(), "rows": rows}
        STORE.write_text(json.dumps(data, indent=1) + "\n")
    write_section(
        "toy_stabilized",
        "grid25 with a stabilizer: plain against stabilized, seeds 0-4, 120 s each",
        __doc__.split("\n\n", 1)[1].split("\n\n    python")[0] + "\n\n" + render(),
        "python -m benchmarks toy_stabilized",
    )


if __name__ == "__main__":
    main()
