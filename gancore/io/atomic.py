"""Atomic folder writes: build a folder's new content in a temporary sibling, then swap it in.

An interrupted write leaves the previous folder as it was. Nothing here knows about checkpoints;
``gancore.io.checkpoint`` decides which folders may be replaced.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from gancore.io.format import CONFIG_NAME, TS_JSON, CheckpointError


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0  # AT_FDCWD, RENAME_EXCHANGE


def swap_in(tmp: Path, target: Path) -> None:
    """Put folder ``tmp`` at ``target`` with renames; an old ``target`` ends up at ``tmp`` or is removed."""
    if not target.exists():
        os.rename(tmp, target)
    elif not _exchange(tmp, target):  # else tmp now holds the old folder; the caller removes it
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{id(tmp):x}")
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(old, target)  # put the previous folder back
            raise
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _remove_orphans(target: Path) -> None:
    """Temporary siblings left by a writer that was killed (-9) mid-write: its pid is gone."""
    for prefix in (f".{target.name}.tmp-", f".{target.name}.old-"):
        for path in target.parent.glob(prefix + "*"):
            pid = path.name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)


def atomic_folder_write(
    directory: str | Path,
    write: Callable[[Path], None],
    *,
    keep: Callable[[str], bool] = lambda name: False,
) -> Path:
    """Build the folder's new content in a temporary sibling (copying the old files ``keep``
    names), then swap it in: an interrupted write leaves the previous folder as it was."""
    target = Path(directory).expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        for entry in target.iterdir() if target.is_dir() else []:
            if keep(entry.name) and entry.is_file():
                shutil.copy2(entry, tmp / entry.name)
        write(tmp)
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        swap_in(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # leftovers, or the old folder after an exchange
    return target


# ----- replacing a checkpoint folder ----------------------------------------------------------


def _check_replaceable(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise CheckpointError(f"{target} exists and is not a folder", reason="unsafe_overwrite")
    if not any(target.iterdir()) or (target / TS_JSON).is_file():
        return
    try:
        ours = json.loads((target / CONFIG_NAME).read_text())["format"].startswith("gancore/")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        ours = False
    if not ours:
        raise CheckpointError(
            f"refusing to replace {target}: it is not empty and holds no gancore checkpoint; "
            "choose another folder or empty it first.",
            reason="unsafe_overwrite",
        )


def write_checkpoint_folder(
    directory: str | Path,
    write: Callable[[Path], None],
    *,
    keep: Callable[[str], bool] = lambda name: False,
) -> Path:
    """atomic_folder_write, after refusing to replace a folder that is not a gancore checkpoint."""
    target = Path(directory).expanduser().absolute()
    _check_replaceable(target)
    return atomic_folder_write(target, write, keep=keep)
