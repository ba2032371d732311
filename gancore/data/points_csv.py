"""Points a user brings to the 2D lab: a CSV upload, parsed strictly, with clear refusals."""

from __future__ import annotations

import csv

import numpy as np

MAX_BYTES = 2_000_000
MAX_ROWS = 10_000
VIEW_HALF_WIDTH = 3.0  # uploaded points are rescaled into [-3, 3]², the toy presets' scale


def parse_points_csv(
    data: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> np.ndarray:
    """Two numeric columns (x, y) per row, an optional header, comma/semicolon/tab separated.

    Raises ValueError naming the first bad line: text, NaN or inf, a wrong column count,
    too many rows, a file too large, or one that is not text at all.
    """
    if len(data) > max_bytes:
        raise ValueError(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text; upload a CSV of x,y rows") from None
    if "\x00" in text:
        raise ValueError("the file holds binary data; upload a CSV of x,y rows")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError("the file is empty; upload a CSV of x,y rows")
    dialect = (
        csv.Sniffer().sniff(lines[0], delimiters=",;\t ") if len(lines[0]) < 1000 else csv.excel
    )
    rows = list(csv.reader(lines, dialect))
    start = 0 if _numeric(rows[0]) else 1  # a header line is allowed
    if len(rows) - start > max_rows:
        raise ValueError(f"the file has {len(rows) - start:,} rows; the limit is {max_rows:,}")
    points = []
    for i, row in enumerate(rows[start:], start=start + 1):
        cells = [c.strip() for c in row if c.strip()]
        if len(cells) != 2:
            raise ValueError(
                f"line {i} has {len(cells)} values; every row needs exactly two (x, y)"
            )
        try:
            x, y = float(cells[0]), float(cells[1])
        except ValueError:
            raise ValueError(f"line {i} is not two numbers: {','.join(cells)[:60]!r}") from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError(f"line {i} holds a NaN or infinite value: {','.join(cells)[:60]!r}")
        points.append((x, y))
    if len(points) < 2:
        raise ValueError("the file needs at least two points")
    return np.asarray(points, dtype=np.float64)


def _numeric(row: list[str]) -> bool:
    try:
        [float(c) for c in row if c.strip()]
    except ValueError:
        return False
    return True


def rescale_points(points: np.ndarray, half_width: float = VIEW_HALF_WIDTH) -> np.ndarray:
    """Centre the points and scale their larger extent to [-half_width, half_width]."""
    centre = 0.5 * (points.min(0) + points.max(0))
    extent = float(np.max(points.max(0) - points.min(0)))
    scale = half_width / (0.5 * extent) if extent > 0 else 1.0
    return (points - centre) * scale
