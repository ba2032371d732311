"""Where a checkpoint comes from and goes to: a folder, a shipped name or a Hub repo.

``load_checkpoint`` resolves its source in that order and turns every Hub failure into one
CheckpointError that says what to do; ``push_checkpoint`` uploads a folder that loads.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch
from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import validate_repo_id
from torch import nn

from gancore import __version__
from gancore.io.checkpoint import (
    CONFIG_NAME,
    DEFAULT_MAX_PARAMETERS,
    FORMAT,
    LEGACY_NAME,
    PUSHED_FILES,
    WEIGHTS_NAME,
    CheckpointError,
    GANModel,
    LoadedGAN,
    load_weights,
    one_line,
    read_config,
    weights_byte_cap,
)

try:  # huggingface_hub >= 1.0 splits remote and local "entry not found"
    from huggingface_hub.errors import RemoteEntryNotFoundError
except ImportError:  # pragma: no cover
    RemoteEntryNotFoundError = EntryNotFoundError

_LOGIN = (
    "pass a token (token=... or HF_TOKEN) or run `hf auth login` (formerly `huggingface-cli login`)"
)


# ----- sources: folder, shipped name, Hub repo ------------------------------------------------


def shipped_checkpoints_dir() -> Path:
    """Where shipped checkpoints live: $GANCORE_CHECKPOINTS, else ``checkpoints/`` beside the
    package (a clone, or an editable install), else the installed ``gancore_checkpoints``."""
    env = os.environ.get("GANCORE_CHECKPOINTS")
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "checkpoints"
    if beside.is_dir():
        return beside
    import importlib.util

    spec = importlib.util.find_spec("gancore_checkpoints")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return beside  # not there: callers say no checkpoints ship with this copy


def list_shipped_checkpoints(kinds: tuple[str, ...] = ("toy", "image")) -> list[str]:
    """Names of the shipped GAN checkpoints (folders whose config.json is gancore's format) of
    these kinds: by default the ones that sample; ``("pix2pix",)`` lists the translators.

    The classifiers shipped beside them (format gancore-classifier/1) are not listed."""
    root = shipped_checkpoints_dir()
    names = []
    for p in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            config = json.loads((p / CONFIG_NAME).read_text())
        except (OSError, ValueError):
            continue
        if (
            isinstance(config, dict)
            and config.get("format") == FORMAT
            and config.get("kind") in kinds
        ):
            names.append(p.name)
    return names


def _resolve(source: str | Path) -> tuple[str, Path | str]:
    """('local', folder) | ('shipped', folder) | ('hub', repo_id), tried in that order."""
    path, text = Path(source).expanduser(), str(source)
    if path.is_dir():
        return "local", path
    if path.exists():
        msg = (
            f"{source} is a file; a checkpoint is a folder holding {CONFIG_NAME} and {WEIGHTS_NAME}"
        )
        raise CheckpointError(msg, reason="not_found")
    if (
        re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
        and (shipped_checkpoints_dir() / text).is_dir()
    ):
        return "shipped", shipped_checkpoints_dir() / text
    try:
        validate_repo_id(text)
        if "/" in text:
            return "hub", text
    except HFValidationError:
        pass
    if text.startswith((".", "/", "~")) or text.count("/") > 1:
        raise CheckpointError(f"there is no checkpoint folder at {text}", reason="not_found")
    raise CheckpointError(
        f"{text!r} is not a checkpoint folder, not a shipped checkpoint (available: "
        f"{list_shipped_checkpoints() or 'none'}) and not a valid Hub repo id of the form owner/name.",
        reason="invalid_repo_id",
    )


# huggingface_hub exception -> reason (first match wins), and one message template per reason
_HUB_REASONS: list[tuple[type | tuple[type, ...], str]] = [
    (GatedRepoError, "gated"),
    (DisabledRepoError, "disabled"),
    (RepositoryNotFoundError, "repo_not_found"),
    (RevisionNotFoundError, "revision_not_found"),
    ((LocalEntryNotFoundError, OfflineModeIsEnabled), "unreachable"),  # "offline" when it is on
    (RemoteEntryNotFoundError, "file_missing"),
    (EntryNotFoundError, "file_missing"),
    (HFValidationError, "invalid_repo_id"),
]
_HUB_MESSAGES = {
    "gated": "Hub repo {repo} is gated: accept its conditions on its Hub page, then {login}.",
    "disabled": "Hub repo {repo} has been disabled.",
    "repo_not_found": "Hub repo {repo} was not found at {endpoint}. Check the spelling (owner/name); if it is private, {login}.",
    "revision_not_found": "Hub repo {repo} has no revision {rev!r} (branch, tag or commit); check the name, or leave the revision out to use main.",
    "offline": "cannot load {what}: offline mode is on (HF_HUB_OFFLINE=1) and it is not in the local cache ({cache}). Unset HF_HUB_OFFLINE and load it once while online, or pass a local checkpoint folder.",
    "unreachable": "could not reach the Hub at {endpoint} for {what}, and there is no cached copy. Check your internet connection (or HF_ENDPOINT / proxy settings), or pass a local checkpoint folder.",
    "file_missing": "{what} does not exist; the repo is not a complete gancore checkpoint.",
    "invalid_repo_id": "invalid Hub repo id or revision ({repo!r}, {rev!r}): {detail}",
    "auth": "the Hub refused access to {what} (HTTP {status}): {login}; a push needs a token with write access.",
    "http": "the Hub answered HTTP {status} for {what}: {detail}",
    "hub": "talking to the Hub about {what} failed: {kind}: {detail}",
}


def _hub_error(
    err: Exception, repo: str, filename: str | None, revision: str | None
) -> CheckpointError:
    """One clear paragraph for a huggingface_hub exception."""
    rev = revision or "main"
    status = getattr(getattr(err, "response", None), "status_code", "?")
    reason = next((r for cls, r in _HUB_REASONS if isinstance(err, cls)), None)
    if reason is None:
        reason = (
            ("auth" if status in (401, 403) else "http")
            if isinstance(err, HfHubHTTPError)
            else "hub"
        )
    if reason == "unreachable" and constants.HF_HUB_OFFLINE:
        reason = "offline"
    what = f"{filename} of Hub repo {repo} (revision {rev})" if filename else f"Hub repo {repo}"
    detail = one_line(getattr(err, "server_message", None) or err)
    msg = _HUB_MESSAGES[reason].format(
        repo=repo,
        rev=rev,
        what=what,
        status=status,
        detail=detail,
        kind=type(err).__name__,
        login=_LOGIN,
        endpoint=constants.ENDPOINT,
        cache=constants.HF_HUB_CACHE,
    )
    return CheckpointError(msg, reason="repo_not_found" if reason == "disabled" else reason)


def hub_file(repo_id: str, filename: str, revision: str | None, token: str | None) -> Path:
    try:
        return Path(
            hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                token=token,
                library_name="gancore",
                library_version=__version__,
            )
        )
    except Exception as err:  # noqa: BLE001 -- every Hub failure becomes one clear message
        raise _hub_error(err, repo_id, filename, revision) from err


def remote_size(repo_id: str, filename: str, revision: str | None, token: str | None) -> int | None:
    if constants.HF_HUB_OFFLINE:
        return None
    try:  # one HEAD; any failure is left to hf_hub_download to report (or serve from the cache)
        return get_hf_file_metadata(
            hf_hub_url(repo_id, filename, revision=revision), token=token
        ).size
    except Exception:  # noqa: BLE001
        return None


def hub_weights(repo_id: str, revision: str | None, token: str | None, model: nn.Module) -> Path:
    first: CheckpointError | None = None
    for name in (WEIGHTS_NAME, LEGACY_NAME):
        size = remote_size(repo_id, name, revision, token)
        if size is not None and size > weights_byte_cap(model):
            msg = f"{name} of Hub repo {repo_id} is {size:,} bytes, far more than the model in its config.json needs; refused before downloading."
            raise CheckpointError(msg, reason="too_large")
        try:
            return hub_file(repo_id, name, revision, token)
        except CheckpointError as err:
            if err.reason not in ("file_missing", "offline", "unreachable"):
                raise
            first = first or err
    if first is not None and first.reason != "file_missing":
        raise first  # offline / unreachable: say so
    msg = f"Hub repo {repo_id} (revision {revision or 'main'}) has neither {WEIGHTS_NAME} nor {LEGACY_NAME}; it holds no weights."
    raise CheckpointError(msg, reason="file_missing")


def local_weights(folder: Path) -> Path:
    for name in (WEIGHTS_NAME, LEGACY_NAME):
        if (folder / name).is_file():
            return folder / name
    msg = f"{folder} has no {WEIGHTS_NAME}; it is not a complete checkpoint."
    raise CheckpointError(msg, reason="file_missing")


# ----- load and push ---------------------------------------------------------------------------


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
    where, location = _resolve(source)
    # a repo or folder that is not gancore's may hold a community GAN (gancore.community)
    community = {"max_parameters": max_parameters, "device": device}
    if where == "hub":
        try:
            config_path = hub_file(str(location), CONFIG_NAME, revision, token)
        except CheckpointError as err:
            if err.reason != "file_missing" and not _known_missing(str(location), revision):
                raise
            desc = f"Hub repo {location} (revision {revision or 'main'})"
            return _community(
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
                return _community(folder=Path(location), config=None, desc=desc, **community)
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
        return _community(**place, config=raw, desc=desc, **community)
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


def _known_missing(repo: str, revision: str | None) -> bool:
    """Offline, a config.json the cache remembers as absent (a community repo seen before)."""
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.file_download import _CACHED_NO_EXIST

    return try_to_load_from_cache(repo, CONFIG_NAME, revision=revision) is _CACHED_NO_EXIST


def _community(**kwargs) -> LoadedGAN:
    from gancore.community import load_community  # lazy: it imports this module

    return load_community(**kwargs)


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
        raise _hub_error(err, repo_id, None, None) from err
    return str(url)


MAX_ZIP_BYTES = 200_000_000  # an uploaded checkpoint zip, unpacked, at most


def extract_checkpoint_zip(data: bytes, dest: str | Path) -> Path:
    """Unpack an uploaded checkpoint zip into ``dest`` and return the folder holding config.json.

    Only the files a checkpoint has are taken (config.json, weights, card, sample), each by
    its base name, so no member can write outside ``dest``; sizes are checked against the
    declared and the actual bytes (zip bombs), and nothing is unpickled.
    """
    import io
    import zipfile
    import zlib

    wanted = {*PUSHED_FILES, LEGACY_NAME}
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise CheckpointError("the upload is not a zip file", reason="corrupt") from None
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir() and Path(i.filename).name in wanted]
        names = [Path(i.filename).name for i in members]
        if CONFIG_NAME not in names:
            raise CheckpointError(
                f"the zip holds no {CONFIG_NAME}: not a gancore checkpoint", reason="file_missing"
            )
        if len(names) != len(set(names)):
            raise CheckpointError("the zip holds more than one checkpoint", reason="corrupt")
        if sum(i.file_size for i in members) > MAX_ZIP_BYTES:
            raise CheckpointError(
                f"the zip unpacks to more than {MAX_ZIP_BYTES:,} bytes", reason="too_large"
            )
        total = 0
        try:
            for info in members:
                with zf.open(info) as src, open(dest / Path(info.filename).name, "wb") as out:
                    while chunk := src.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_ZIP_BYTES:
                            msg = "the zip unpacks to more than it declares"
                            raise CheckpointError(msg, reason="too_large")
                        out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise CheckpointError(f"the zip is damaged ({err})", reason="corrupt") from None
    return dest


def checkpoint_zip_bytes(name: str, **save_kwargs) -> bytes:
    """``save_checkpoint(**save_kwargs)`` into a folder ``name`` inside a zip: a download."""
    import io
    import tempfile
    import zipfile

    from gancore.io.checkpoint import save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        folder = save_checkpoint(Path(tmp) / name, **save_kwargs)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.iterdir()):
                zf.write(path, f"{name}/{path.name}")
    return buf.getvalue()
