"""Where a checkpoint's files come from: a folder, a shipped name or a Hub repo.

``resolve_source`` decides which, in that order; ``hub_file`` / ``hub_weights`` fetch from the
Hub (with its cache) and turn every Hub failure into one CheckpointError that says what to do.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
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
from gancore.io.format import (
    CONFIG_NAME,
    FORMAT,
    LEGACY_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    one_line,
    weights_byte_cap,
)
from gancore.models.kinds import MODEL_KINDS

try:  # huggingface_hub >= 1.0 splits remote and local "entry not found"
    from huggingface_hub.errors import RemoteEntryNotFoundError
except ImportError:  # pragma: no cover
    RemoteEntryNotFoundError = EntryNotFoundError

DRAWING_KINDS = tuple(k for k, spec in MODEL_KINDS.items() if spec.draws)  # toy, image

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


def list_shipped_checkpoints(kinds: tuple[str, ...] = DRAWING_KINDS) -> list[str]:
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


def resolve_source(source: str | Path) -> tuple[str, Path | str]:
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


def hub_error(
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
        raise hub_error(err, repo_id, filename, revision) from err


def remote_size(repo_id: str, filename: str, revision: str | None, token: str | None) -> int | None:
    if constants.HF_HUB_OFFLINE:
        return None
    try:  # one HEAD; any failure is left to hf_hub_download to report (or serve from the cache)
        return get_hf_file_metadata(
            hf_hub_url(repo_id, filename, revision=revision), token=token
        ).size
    except Exception:  # noqa: BLE001
        return None


def first_hub_file(
    repo_id: str,
    names: Sequence[str],
    revision: str | None,
    token: str | None,
    *,
    cap: int,
    why: str,
) -> Path | None:
    """The first of ``names`` the Hub repo holds, downloaded after a HEAD request checks its
    size against ``cap`` bytes (CheckpointError reason too_large, the message ending in
    ``why``); None when it holds none of them. Offline or unreachable: that error."""
    first: CheckpointError | None = None
    for name in names:
        size = remote_size(repo_id, name, revision, token)
        if size is not None and size > cap:
            msg = f"{name} of Hub repo {repo_id} is {size:,} bytes, {why}; refused before downloading."
            raise CheckpointError(msg, reason="too_large")
        try:
            return hub_file(repo_id, name, revision, token)
        except CheckpointError as err:
            if err.reason not in ("file_missing", "offline", "unreachable"):
                raise
            first = first or err
    if first is not None and first.reason != "file_missing":
        raise first  # offline / unreachable: say so
    return None


def hub_weights(repo_id: str, revision: str | None, token: str | None, model: nn.Module) -> Path:
    names = (WEIGHTS_NAME, LEGACY_NAME)
    why = "far more than the model in its config.json needs"
    path = first_hub_file(repo_id, names, revision, token, cap=weights_byte_cap(model), why=why)
    if path is None:
        msg = f"Hub repo {repo_id} (revision {revision or 'main'}) has neither {WEIGHTS_NAME} nor {LEGACY_NAME}; it holds no weights."
        raise CheckpointError(msg, reason="file_missing")
    return path


def local_weights(folder: Path) -> Path:
    for name in (WEIGHTS_NAME, LEGACY_NAME):
        if (folder / name).is_file():
            return folder / name
    msg = f"{folder} has no {WEIGHTS_NAME}; it is not a complete checkpoint."
    raise CheckpointError(msg, reason="file_missing")


def known_missing(repo: str, revision: str | None) -> bool:
    """Offline, a config.json the cache remembers as absent (a community repo seen before)."""
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.file_download import _CACHED_NO_EXIST

    return try_to_load_from_cache(repo, CONFIG_NAME, revision=revision) is _CACHED_NO_EXIST
