"""Reading a community repo's pickled weights without running anything in them.

A pickle is opened only by ``torch.load(weights_only=True)`` (PyTorch's restricted
unpickler: tensors, storages, dtypes and plain containers; any other global is refused
before it is called), after a byte cap on the file, memory-mapped where the file is in the
zip format, and its result is walked: only tensors, str-keyed dicts, lists, tuples and
plain scalars are admitted, and the tensors together must stay under an element cap.

What a family needs from it (the generator's tensors) is then written once as safetensors
beside the Hub's copy (``<HF cache>/models--owner--name/gancore/<blob>.safetensors``, or in
``$GANCORE_CACHE`` / ``~/.cache/gancore/community/`` for a local file), so every later
load reads that file and never the pickle again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from gancore.io.format import CheckpointError, one_line

CACHE_FORMAT = "gancore-community-cache/1"
_SCALARS = (str, int, float, bool, type(None), torch.dtype, torch.Size)


def max_file_bytes(max_parameters: int) -> int:
    """A community weights file holds at most a generator, an EMA copy, a discriminator and
    a little bookkeeping: 16 bytes per allowed parameter (float32, four networks) + 1 MiB."""
    return 16 * max_parameters + (1 << 20)


def _refuse(name: str, err: BaseException) -> CheckpointError:
    text = str(err)
    unsafe = re.search(r"unsupported (global|class)[^\n]*?(?=\.?\s*(\n|$))", text, re.I)
    if unsafe:  # an operand it does not know means "not a pickle": that is the other message
        what = unsafe[0]
        return CheckpointError(
            f"{name} was refused: it is a pickle that reaches more than tensors and plain "
            f"containers ({what}). gancore reads weights only with torch.load(weights_only=True) "
            "and never runs a repo's code, so nothing in it was executed.",
            reason="pickle_refused",
        )
    return CheckpointError(
        f"{name} is not a readable PyTorch weights file: it is corrupt, truncated or not a "
        f"pickle at all ({type(err).__name__}: {one_line(text, 140)}). Nothing in it was run.",
        reason="corrupt",
    )


def _flatten(obj: Any, prefix: str, out: dict[str, torch.Tensor], extras: dict, name: str):
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, (str, int)):
                msg = f"{name} holds a dict key of type {type(key).__name__}; refused."
                raise CheckpointError(msg, reason="pickle_refused")
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out, extras, name)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _flatten(value, f"{prefix}.{i}" if prefix else str(i), out, extras, name)
    elif isinstance(obj, _SCALARS):
        extras[prefix] = str(obj)
    else:  # weights_only admits a few more torch types; none belongs in a weights file
        msg = f"{name} holds a {type(obj).__name__} at {prefix or 'the top'}; only tensors and plain containers are admitted."
        raise CheckpointError(msg, reason="pickle_refused")


def read_pickle(path: Path, *, max_bytes: int, max_elements: int) -> dict[str, torch.Tensor]:
    """Every tensor in a pickled weights file, by dotted key ({"GAN": {"G": ...}} -> "GAN.G...")."""
    name = path.name
    size = path.stat().st_size
    if size > max_bytes:
        msg = f"{name} is {size:,} bytes, over the {max_bytes:,} bytes the parameter limit allows; refused before reading."
        raise CheckpointError(msg, reason="too_large")
    mmap = zipfile.is_zipfile(path)  # the zip format maps tensors lazily; the legacy one cannot
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as err:  # noqa: BLE001 -- every failure is one of two messages
        raise _refuse(name, err) from None
    tensors: dict[str, torch.Tensor] = {}
    _flatten(obj, "", tensors, {}, name)
    if not tensors:
        raise CheckpointError(
            f"{name} holds no tensors; it is not a weights file.", reason="corrupt"
        )
    elements = sum(t.numel() for t in tensors.values())
    if elements > max_elements:
        msg = f"{name} holds {elements:,} numbers, over the limit of {max_elements:,}; refused."
        raise CheckpointError(msg, reason="too_large")
    return tensors


def read_safetensors(path: Path, *, max_bytes: int) -> dict[str, torch.Tensor]:
    size = path.stat().st_size
    if size > max_bytes:
        msg = f"{path.name} is {size:,} bytes, over the {max_bytes:,} bytes the parameter limit allows; refused."
        raise CheckpointError(msg, reason="too_large")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            return {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as err:
        msg = f"{path.name} is corrupt or truncated (safetensors: {one_line(err, 140)})."
        raise CheckpointError(msg, reason="corrupt") from None


# ----- the safetensors cache -----------------------------------------------------------------


def cache_root() -> Path:
    env = os.environ.get("GANCORE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "gancore"


def cache_path(weights: Path) -> Path:
    """Where the safetensors copy of ``weights`` lives; named by content, never by reading it.

    A Hub file is ``.../models--o--n/snapshots/<commit>/<file>`` linked to ``blobs/<hash>``:
    the blob's name is its content hash. A local file is named by its path, size and mtime."""
    snapshot = weights.parent
    if snapshot.parent.name == "snapshots" and snapshot.parent.parent.name.startswith("models--"):
        blob = Path(os.path.realpath(weights)).name
        return snapshot.parent.parent / "gancore" / f"{blob}.safetensors"
    st = weights.stat()
    key = f"{weights.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return cache_root() / "community" / f"{digest}.safetensors"


def write_cache(path: Path, state: dict[str, torch.Tensor], meta: dict[str, str]) -> None:
    """Atomically: a reader never sees half a file. A failure to write only costs speed."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().contiguous().clone() for k, v in state.items()}
        save_file(tensors, str(tmp), metadata={"format": CACHE_FORMAT, **meta})
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def read_cache(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]] | None:
    """(tensors, metadata) of a cache file, or None when there is none or it is unusable."""
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = f.metadata() or {}
            if meta.get("format") != CACHE_FORMAT:
                return None
            return {k: f.get_tensor(k) for k in f.keys()}, meta  # noqa: SIM118
    except (SafetensorError, OSError, ValueError):
        return None


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
