"""Resumable training state (e.g. ``Trainer.state_dict()``) saved beside a checkpoint, no pickle.

Tensors and numpy arrays go to ``training_state.safetensors``; everything else (nested dicts,
lists, tuples, int vs str keys, nan/inf) to tagged JSON in ``training_state.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from gancore import __version__
from gancore.io.atomic import write_checkpoint_folder
from gancore.io.format import TS_FORMAT, TS_JSON, TS_TENSORS, CheckpointError, one_line

_T, _A, _TUP, _D, _F = "__tensor__", "__ndarray__", "__tuple__", "__dict__", "__float__"


def _encode(obj: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {_F: repr(float(obj))}
    if isinstance(obj, (torch.Tensor, np.ndarray)):
        key, i = path or "/", 1
        while key in tensors:
            key, i = f"{path}#{i}", i + 1
        is_np = isinstance(obj, np.ndarray)
        t = torch.from_numpy(np.ascontiguousarray(obj)) if is_np else obj.detach()
        tensors[key] = t.to("cpu", copy=True).contiguous()  # copies: no shared storage
        return {_A if is_np else _T: key}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, f"{path}/{i}", tensors) for i, v in enumerate(obj)]
        return {_TUP: items} if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        if bad := [k for k in obj if k is not None and not isinstance(k, (str, int, float))]:
            raise TypeError(
                f"training state key {bad[0]!r} at {path or '/'} is not a str/int/float"
            )
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, f"{path}/{k}", tensors) for k, v in obj.items()}
        # int keys (optimizer state), None, floats, or keys that look like our tags
        return {
            _D: [[_encode(k, path, {}), _encode(v, f"{path}/{k}", tensors)] for k, v in obj.items()]
        }
    raise TypeError(
        f"cannot save a {type(obj).__name__} at {path or '/'} in a training state: only dicts, "
        "lists, tuples, tensors, numpy arrays, str, int, float, bool and None are allowed"
    )


def _decode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1 and (tag := next(iter(obj))) in (_T, _A, _TUP, _D, _F):
        value = obj[tag]
        if tag in (_T, _A) and value not in tensors:
            msg = f"{TS_TENSORS} lacks tensor {value!r}; the two files do not belong together"
            raise CheckpointError(msg, reason="corrupt")
        if tag in (_T, _A):
            return tensors[value].numpy() if tag == _A else tensors[value]
        if tag == _TUP:
            return tuple(_decode(v, tensors) for v in value)
        return (
            {_decode(k, tensors): _decode(v, tensors) for k, v in value}
            if tag == _D
            else float(value)
        )
    return {k: _decode(v, tensors) for k, v in obj.items()}


def write_training_state(folder: Path, state: dict) -> None:
    tensors: dict[str, torch.Tensor] = {}
    doc = {
        "format": TS_FORMAT,
        "gancore_version": __version__,
        "state": _encode(state, "", tensors),
    }
    save_file(tensors, str(folder / TS_TENSORS), metadata={"format": TS_FORMAT})
    (folder / TS_JSON).write_text(json.dumps(doc, allow_nan=False))


def save_training_state(directory: str | Path, state: dict) -> Path:
    """Write a resumable state (e.g. ``Trainer.state_dict()``) as JSON + safetensors, atomically.

    Other files in ``directory`` (the checkpoint) are kept. Round trips exactly: int vs str dict
    keys, tuples, nan/inf, every tensor dtype (uint8 generator states, int64, bf16...)."""
    skip = (TS_JSON, TS_TENSORS)
    return write_checkpoint_folder(
        directory, lambda tmp: write_training_state(tmp, state), keep=lambda n: n not in skip
    )


def load_training_state(directory: str | Path) -> dict:
    """Read what save_training_state wrote (tensors on the CPU), ready for Trainer.load_state_dict."""
    folder = Path(directory)
    if not (folder / TS_JSON).is_file() or not (folder / TS_TENSORS).is_file():
        msg = f"{folder} holds no training state ({TS_JSON} + {TS_TENSORS}) to resume from"
        raise CheckpointError(msg, reason="not_found")
    try:
        doc = json.loads((folder / TS_JSON).read_text())
        with safe_open(str(folder / TS_TENSORS), framework="pt", device="cpu") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (no __iter__)
    except (OSError, ValueError, SafetensorError) as err:
        msg = f"the training state in {folder} is unreadable: {one_line(err)}"
        raise CheckpointError(msg, reason="corrupt") from None
    if not isinstance(doc, dict) or doc.get("format") != TS_FORMAT:
        raise CheckpointError(f"{folder / TS_JSON} is not a {TS_FORMAT} file", reason="corrupt")
    return _decode(doc["state"], tensors)
