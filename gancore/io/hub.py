"""Loading a checkpoint from any source, and pushing one to the Hub.

``load_checkpoint`` resolves its source (a folder, a shipped name or a Hub repo, in that
order, gancore.io.sources) and loads gancore's own checkpoints or, when a repo is not
gancore's, a supported community GAN (gancore.community); ``push_checkpoint`` uploads a
folder that loads.
"""

from __future__ import annotations

from pathlib import Path

import torch
from huggingface_hub import HfApi
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from gancore import __version__
from gancore.community import load_community
from gancore.io.checkpoint import GANModel, LoadedGAN
from gancore.io.format import (
    CONFIG_NAME,
    DEFAULT_MAX_PARAMETERS,
    PUSHED_FILES,
    CheckpointError,
    load_weights,
    one_line,
    read_config,
)
from gancore.io.sources import (
    hub_error,
    hub_file,
    hub_weights,
    known_missing,
    local_weights,
    resolve_source,
)


def load_checkpoint(
    source: str | Path,
    *,
    revision: str | None = None,
    token: str | None = None,
    max_parameters: int = DEFAULT_MAX_PARAMETERS,
    device: str | torch.device = "cpu",
) -> LoadedGAN:
    """Load from a checkpoint folder, a shipped name or a Hub repo id ``owner/name`` (that order).

    From the Hub, config.json is downloaded and validated before the weights are touched."""
    where, location = resolve_source(source)
    # a repo or folder that is not gancore's may hold a community GAN (gancore.community)
    community = {"max_parameters": max_parameters, "device": device}
    if where == "hub":
        try:
            config_path = hub_file(str(location), CONFIG_NAME, revision, token)
        except CheckpointError as err:
            if err.reason != "file_missing" and not known_missing(str(location), revision):
                raise
            desc = f"Hub repo {location} (revision {revision or 'main'})"
            return load_community(
                repo=str(location),
                revision=revision,
                token=token,
                config=None,
                desc=desc,
                **community,
            )
        desc = f"Hub repo {location} (revision {revision or 'main'}, commit {config_path.parent.name[:7]})"
    else:
        if revision is not None:
            msg = f"revision={revision!r} applies to Hub repos only, and {source} is a local checkpoint"
            raise CheckpointError(msg, reason="not_found")
        config_path = Path(location) / CONFIG_NAME
        desc = (
            f"shipped checkpoint {source}"
            if where == "shipped"
            else f"folder {Path(location).absolute()}"
        )
        if not config_path.is_file():
            if any((Path(location) / n).is_file() for n in ("pytorch_model.bin", "model.pt")):
                return load_community(folder=Path(location), config=None, desc=desc, **community)
            msg = f"{location} has no {CONFIG_NAME}; it is not a gancore checkpoint folder"
            raise CheckpointError(msg, reason="file_missing")
    raw = read_config(config_path)
    gancore_like = (
        not isinstance(raw, dict)
        or "kind" in raw
        or str(raw.get("format", "")).startswith("gancore/")
    )
    if not gancore_like:
        place = (
            {"repo": str(location), "revision": revision, "token": token}
            if where == "hub"
            else {"folder": Path(location)}
        )
        return load_community(**place, config=raw, desc=desc, **community)
    model = GANModel(raw, max_parameters)
    weights = (
        hub_weights(str(location), revision, token, model)
        if where == "hub"
        else local_weights(Path(location))
    )
    load_weights(model, weights)
    model.to(device).eval()
    classes = model.generator.num_classes
    names = (
        (model.config["data"].get("class_names") or [str(i) for i in range(classes)])
        if classes
        else []
    )
    return LoadedGAN(model, model.config, model.kind, list(names), desc, config_path.parent)


def push_checkpoint(
    directory: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Upload a checkpoint folder to the Hub after checking that it loads; return the repo URL."""
    folder = Path(directory)
    if not folder.is_dir():
        msg = f"{folder} is not a folder; push a folder written by save_checkpoint"
        raise CheckpointError(msg, reason="not_found")
    try:
        validate_repo_id(repo_id)
        if repo_id.count("/") != 1:
            raise HFValidationError("expected owner/name")
    except HFValidationError as err:
        msg = (
            f"{repo_id!r} is not a valid Hub repo id of the form owner/name ({one_line(err, 120)})"
        )
        raise CheckpointError(msg, reason="invalid_repo_id") from None
    load_checkpoint(folder)
    try:
        api = HfApi(token=token)
        url = api.create_repo(repo_id=repo_id, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            repo_type="model",
            folder_path=str(folder),
            allow_patterns=[n for n in PUSHED_FILES if (folder / n).is_file()],
            commit_message=commit_message or f"Upload gancore checkpoint (gancore {__version__})",
        )
    except Exception as err:  # noqa: BLE001
        raise hub_error(err, repo_id, None, None) from err
    return str(url)
