"""`python -m benchmarks [NAME ...]`: run benchmarks, then rebuild BENCHMARKS.md from all results.

Each benchmark writes benchmarks/results/NAME.md; BENCHMARKS.md is those sections in order,
so one benchmark can be re-run without losing the others' numbers.
"""

from __future__ import annotations

import argparse
import importlib

from benchmarks.common import RESULTS, ROOT

# In the order they appear in BENCHMARKS.md.
BENCHMARKS = [
    "app_latency",
    "generate_latency",
    "toy_speed",
    "toy_convergence",
    "lab_refresh",
    "toy_targets",
    "toy_stabilized",
    "image_targets",
    "image_speed",
    "many_users",
    "server_load",
    "memory",
    "speed_work",
    "dynamics_render",
    "stacked_mnist",
    "community_speed",
    "what_if",
    "pix2pix_targets",
    "pix2pix_probes",
    "pix2pix_trend",
    "canvas_rate",
]

HEADER = """# Benchmarks

Measured by `make bench` (or `python -m benchmarks NAME`), never asserted in timed tests.
Each section names the exact command, the machine and the commit. Where a number needs a
yardstick, a reference runs side by side in the same process, because absolute times on a
shared 2-core machine are noisy: compare the ratio more than the raw value.

"""


def assemble() -> None:
    parts = [HEADER]
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.md"
        if path.exists():
            parts.append(path.read_text().strip() + "\n\n")
        else:
            parts.append(f"## {name}\n\nNot run yet: `python -m benchmarks {name}`.\n\n")
    (ROOT / "BENCHMARKS.md").write_text("".join(parts).rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in args.names or BENCHMARKS:
        importlib.import_module(f"benchmarks.{name}").main()
    assemble()


if __name__ == "__main__":
    main()
