"""grid25 with a stabilizer against the plain preset, through the CLI, seeds 0-4 side by side.

Each run is `python -m gancore train PRESET --max-seconds 120 --seed K --out DIR` followed by
`python -m gancore eval DIR --n 2500` (the metrics of the toy_targets section: a sample is high
quality within 3 std of its nearest mode, a mode is captured by one such sample). For each
seed the plain preset and the stabilized one run one after the other, so both meet the same
machine load; the 1-minute load average is read before every run. Target (issue 14): with a
stabilizer, 25/25 modes and >= 95% high quality on every seed, in 120 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, write_section

SECONDS = 120
PLAIN, STABLE = "grid25", "grid25-stable"
PRESETS = os.environ.get("GANCORE_BENCH_PRESETS", f"{PLAIN},{STABLE}").split(",")
SEEDS = [int(s) for s in os.environ.get("GANCORE_BENCH_SEEDS", "0,1,2,3,4").split(",")]
MODES, HQ = 25, 0.95


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
    return {**m, "steps": train["step"], "load": load}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = {(p, s): one(p, s, tmp) for s in SEEDS for p in PRESETS}
    lines = [
        "| seed | preset | steps in 120 s | modes captured | high-quality share | reverse KL "
        "| load (1 min) before |",
        "|---|---|---|---|---|---|---|",
    ]
    for (preset, seed), m in rows.items():
        lines.append(
            f"| {seed} | {preset} | {m['steps']:,} | {m['modes_captured']}/{m['num_modes']} | "
            f"{m['high_quality_share']:.1%} | {m['reverse_kl']:.3f} | {m['load']:.1f} |"
        )
    lines.append("")
    for preset in PRESETS:
        ms = [rows[preset, s] for s in SEEDS]
        modes = [m["modes_captured"] for m in ms]
        hq = [m["high_quality_share"] for m in ms]
        ok = all(a >= MODES and b >= HQ for a, b in zip(modes, hq, strict=True))
        lines.append(
            f"- `{preset}`: modes {min(modes)}-{max(modes)}, high quality {min(hq):.1%}-"
            f"{max(hq):.1%}; 25/25 and >= 95% on every seed: **{'yes' if ok else 'no'}**"
        )
    write_section(
        "toy_stabilized",
        "grid25 with a stabilizer: plain against stabilized, seeds 0-4, 120 s each",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "python -m benchmarks toy_stabilized",
    )


if __name__ == "__main__":
    main()
