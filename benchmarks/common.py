"""What every benchmark shares: the machine's description, and writing a results section."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> str:
    """One line: CPU model, cores, memory, Python and torch versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        import torch

        tv = f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        tv = ""
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}{tv}"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def summary(values: list[float]) -> dict[str, float]:
    """Median, mean, min and max of a list of timings."""
    return {
        "median": statistics.median(values),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }


def write_section(name: str, title: str, body: str, command: str) -> Path:
    """Write one benchmark's results as a Markdown section under benchmarks/results/."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"## {title}\n\n"
        f"- Command: `{command}`\n"
        f"- Machine: {machine()}\n"
        f"- When: {when}, commit {commit()}\n\n"
        f"{body.strip()}\n"
    )
    path = RESULTS / f"{name}.md"
    path.write_text(text)
    print(text)
    return path


def server_rss_mb(port: int) -> float:
    """Resident memory of the streamlit process serving ``port`` and of its children (its
    training workers), in MB."""
    out = subprocess.run(
        ["pgrep", "-f", f"server.port={port}"], capture_output=True, text=True
    ).stdout.split()
    total = 0.0
    for pid in {p for root in map(int, out) for p in (root, *descendants(root))}:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def python() -> str:
    return sys.executable


def descendants(root: int) -> list[int]:
    """The pids of every process below ``root`` (children, theirs, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def append_row(store: Path, row: dict) -> None:
    """Append ``row`` to the JSON store ``{"rows": [...]}`` under a lock (sweeps may share it)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(store.read_text()) if store.exists() else {"rows": []}
        data["rows"].append(row)
        store.write_text(json.dumps(data, indent=1) + "\n")
