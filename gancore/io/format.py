"""The checkpoint format's leaf: names, limits, the config.json schema and its checks, errors,
and strict reading of weights. Nothing here imports the rest of gancore.io, so every other
I/O module can build on it without a circle.

A checkpoint is a folder (or Hub model repo) written through huggingface_hub's
``PyTorchModelHubMixin``: ``config.json``, ``model.safetensors`` (keys ``generator.*`` and
``discriminator.*``), ``README.md`` (model card) and optionally ``sample.png``; a folder
may also hold ``training_state.json`` + ``training_state.safetensors`` to resume a run.

``config.json`` (format ``gancore/1``)::

    {"format": "gancore/1",
     "kind": "toy" | "image",              # toy: MLPConfig, image: DCGANConfig
     "model": {...},                       # MLPConfig / DCGANConfig .to_dict(), complete
     "train": {...},                       # TrainConfig.to_dict(), or {} when unknown
     "data": {"name": "ring8", ...},       # dataset name and its parameters (flat, as in presets)
                                           # plus "class_names": [str] for a conditional model
     "metrics": {"name": value},           # JSON values; non-finite floats are stored as null
     "command": "python -m gancore train ...",
     "description": "...",                 # optional, one line
     "gancore_version": "0.1.0"}           # filled in by save_checkpoint

Loading never unpickles: the config is read and validated (size limit included) first, then
the weights with safetensors after every key, shape and dtype was checked against the model;
a legacy ``pytorch_model.bin`` is read only by ``torch.load(weights_only=True)``. Saving is
atomic: the new folder is built beside the old one and swapped in with renames.

The rest of gancore.io builds on this module: ``sources`` (folders, shipped names, Hub files),
``model_card``, ``training_state``, ``checkpoint`` (GANModel, save_checkpoint, LoadedGAN),
``hub`` (load_checkpoint, push_checkpoint) and ``zips``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from torch import nn

from gancore.models.kinds import MODEL_KINDS
from gancore.train.trainer import TrainConfig

FORMAT, TS_FORMAT = "gancore/1", "gancore-training-state/1"
KINDS = tuple(MODEL_KINDS)  # toy, image, pix2pix (gancore.models.kinds)
DEFAULT_MAX_PARAMETERS = 50_000_000
CONFIG_NAME, WEIGHTS_NAME, LEGACY_NAME = "config.json", "model.safetensors", "pytorch_model.bin"
SAMPLE_NAME, CARD_NAME = "sample.png", "README.md"
TS_JSON, TS_TENSORS = "training_state.json", "training_state.safetensors"
PUSHED_FILES = (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME, SAMPLE_NAME)
_TOP_KEYS = {"format", "kind", "model", "train", "data", "metrics", "command", "description"}
_TOP_KEYS.add("gancore_version")
_FLOAT_DTYPES = {"F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2"}
MAX_SAMPLE_VALUES = 1 << 28  # 1 GiB of float32 per sample() call


class CheckpointError(Exception):
    """A checkpoint could not be saved, found, trusted or loaded; the message says what to do.

    ``reason`` is a short tag: invalid_repo_id, repo_not_found, revision_not_found, file_missing,
    gated, offline, unreachable, auth, http, hub, not_found, bad_config, too_large, corrupt,
    shape_mismatch, pickle_refused, unsafe_overwrite."""

    def __init__(self, message: str, *, reason: str = "error") -> None:
        super().__init__(" ".join(message.split()))  # one paragraph, whatever was pasted in
        self.reason = reason


def one_line(text: Any, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----- config --------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # strict JSON has no NaN / Infinity
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    return [_finite(v) for v in value] if isinstance(value, (list, tuple)) else value


def validate_config(config: dict, *, max_parameters: int = DEFAULT_MAX_PARAMETERS) -> dict:
    """Check a checkpoint config and return it normalised (complete model/train sections).

    Raises CheckpointError: reason 'bad_config' naming the bad key, or 'too_large' when the
    networks would exceed ``max_parameters`` -- decided from the config, before allocating."""

    def bad(msg: str) -> CheckpointError:
        return CheckpointError(f"incompatible checkpoint config: {msg}", reason="bad_config")

    if not isinstance(config, dict):
        raise bad(f"expected a JSON object, got {type(config).__name__}")
    fmt = config.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("gancore/"):
            raise bad(
                f"format {fmt!r} is newer than this gancore reads ({FORMAT!r}); upgrade gancore"
            )
        raise bad(f"format is {fmt!r}, not {FORMAT!r}: this is not a gancore checkpoint")
    if unknown := sorted(set(config) - _TOP_KEYS):
        raise bad(f"unknown top-level key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    kind = config.get("kind")
    if kind not in KINDS:
        raise bad(f"kind must be one of {list(KINDS)}, got {kind!r}")
    if "model" not in config:
        raise bad("the 'model' section is missing")
    for key in ("model", "train", "data", "metrics"):
        if not isinstance(config.get(key, {}), dict):
            raise bad(f"{key!r} must be a JSON object, got {type(config[key]).__name__}")
    for key in ("command", "description", "gancore_version"):
        if not isinstance(config.get(key, ""), str):
            raise bad(f"{key!r} must be a string, got {config[key]!r}")
    if (
        isinstance(max_parameters, bool)
        or not isinstance(max_parameters, int)
        or max_parameters < 1
    ):
        raise ValueError(f"max_parameters must be a positive integer, got {max_parameters!r}")
    try:
        model = MODEL_KINDS[kind].config.from_dict(config["model"])
        train = TrainConfig.from_dict(config["train"]).to_dict() if config.get("train") else {}
    except (ValueError, TypeError) as err:
        raise bad(str(err)) from None
    total = model.num_parameters()["total"]
    if total > max_parameters:
        raise CheckpointError(
            f"the checkpoint config asks for {total:,} parameters, over the limit of "
            f"{max_parameters:,}; refused before allocating anything. If you trust this "
            "checkpoint, load it with a larger max_parameters.",
            reason="too_large",
        )
    data = dict(config.get("data", {}))
    if not isinstance(data.get("name", ""), str):
        raise bad(f"data.name must be a string, got {data['name']!r}")
    names, classes = data.get("class_names"), getattr(model, "num_classes", 0)
    if names is not None and (
        not isinstance(names, list) or not all(isinstance(n, str) for n in names)
    ):
        raise bad("data.class_names must be a list of strings")
    if names is not None and classes and len(names) != classes:
        raise bad(f"data.class_names has {len(names)} names but model.num_classes is {classes}")
    out = {"format": FORMAT, "kind": kind, "model": model.to_dict(), "train": train, "data": data}
    out.update(metrics=canonical_metrics(_finite(config.get("metrics", {}))))
    out.update(command=config.get("command", ""))
    out.update({k: config[k] for k in ("description", "gancore_version") if k in config})
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise bad(f"not JSON-serialisable: {err}") from None
    return out


# metric names saved by the labs' exports before issue 18 -> the names every writer uses now
LEGACY_METRICS = {"grid_kl": "grid_kl_data_g", "grid_kl_rev": "grid_kl_g_data"}


def canonical_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics under today's names (a checkpoint saved with the old ones reads the same)."""
    return {LEGACY_METRICS.get(k, k): v for k, v in metrics.items()}


# what the Hub shows of every gancore checkpoint (GANModel's mixin metadata and the card)
HUB_LIBRARY, HUB_LICENSE, HUB_TAGS = "gancore", "mit", ("gan", "gancore", "pytorch")

# ----- reading weights -------------------------------------------------------------------------


def describe_state(state: dict[str, torch.Tensor]) -> dict[str, tuple[tuple[int, ...], bool]]:
    return {k: (tuple(v.shape), v.is_floating_point()) for k, v in state.items()}


def check_module_keys(
    model: nn.Module, found: dict[str, tuple[tuple[int, ...], bool]], what: str
) -> None:
    """Compare (shape, is_float) per key with the model's state dict; raise on the first mismatch."""
    expected = model.state_dict()
    misfit = f"{what} does not fit the model its config describes:"
    for key, t in expected.items():
        if key in found and found[key][0] != tuple(t.shape):
            raise CheckpointError(
                f"{misfit} {key} has shape {list(found[key][0])} there but the model expects "
                f"{list(t.shape)}.",
                reason="shape_mismatch",
            )
        if key in found and found[key][1] != t.is_floating_point():
            msg = f"{misfit} {key} has the wrong kind of dtype (float vs integer)."
            raise CheckpointError(msg, reason="shape_mismatch")
    missing = [k for k in expected if k not in found]
    extra = [k for k in found if k not in expected]
    if missing or extra:
        msg = f"{misfit} missing keys {missing[:3]}, unexpected keys {extra[:3]}."
        raise CheckpointError(msg, reason="shape_mismatch")


def read_checkpoint_tensors(path: Path, model: nn.Module) -> dict[str, torch.Tensor]:
    """Header first (keys, shapes, dtypes checked), tensors only if it fits the model."""
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            slices = {k: f.get_slice(k) for k in f.keys()}  # noqa: SIM118
            found = {
                k: (tuple(s.get_shape()), s.get_dtype() in _FLOAT_DTYPES) for k, s in slices.items()
            }
            check_module_keys(model, found, path.name)
            return {k: f.get_tensor(k) for k in slices}
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{path.name} is corrupt or truncated (safetensors cannot read it: {one_line(err, 160)}); "
            "re-download or re-save the checkpoint.",
            reason="corrupt",
        ) from None


def _read_legacy(path: Path, model: nn.Module) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 -- whatever the failure: not plain tensors
        why = re.search(r"Unsupported (global|operand)[^\n.]*", str(err))
        raise CheckpointError(
            f"{path.name} was refused: torch.load(weights_only=True) would not read it "
            f"({why[0] if why else type(err).__name__}); it is corrupt or a pickle carrying more "
            "than tensors, and gancore never unpickles code, so nothing in it was executed. Ask "
            f"the author for a {WEIGHTS_NAME} file.",
            reason="pickle_refused",
        ) from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        msg = f"{path.name} is not a flat dict of tensors; refused."
        raise CheckpointError(msg, reason="pickle_refused")
    check_module_keys(model, describe_state(state), path.name)
    return state


def weights_byte_cap(model: nn.Module) -> int:
    # float64 for everything plus a generous header: anything bigger is not these weights
    return 8 * sum(t.numel() for t in model.state_dict().values()) + (1 << 20)


def load_weights(model: nn.Module, path: Path) -> None:
    """Read ``path`` (safetensors, or a tensors-only legacy .bin) into ``model``, strictly."""
    size, limit = path.stat().st_size, weights_byte_cap(model)
    if size > limit:
        msg = f"{path.name} is {size:,} bytes, far more than the model in config.json needs ({limit:,} at most); refused."
        raise CheckpointError(msg, reason="too_large")
    state = (
        _read_legacy(path, model)
        if path.name == LEGACY_NAME
        else read_checkpoint_tensors(path, model)
    )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        msg = f"{path.name} does not load: {one_line(err)}"
        raise CheckpointError(msg, reason="shape_mismatch") from None


def read_config(path: Path) -> Any:
    if path.stat().st_size > 1 << 20:
        msg = f"{path} is larger than 1 MiB; not a gancore config."
        raise CheckpointError(msg, reason="bad_config")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        msg = f"{CONFIG_NAME} is not valid JSON: {one_line(err)}"
        raise CheckpointError(msg, reason="bad_config") from None
