"""Checkpoints as zips: unpacking an upload safely, and packing a fresh save for download."""

from __future__ import annotations

from pathlib import Path

from gancore.data.unzip import CORRUPT_ZIP_ERRORS, InflatedTooFar, copy_member
from gancore.io.checkpoint import save_checkpoint
from gancore.io.format import CONFIG_NAME, LEGACY_NAME, PUSHED_FILES, CheckpointError

MAX_ZIP_BYTES = 200_000_000  # an uploaded checkpoint zip, unpacked, at most


def extract_checkpoint_zip(data: bytes, dest: str | Path) -> Path:
    """Unpack an uploaded checkpoint zip into ``dest`` and return the folder holding config.json.

    Only the files a checkpoint has are taken (config.json, weights, card, sample), each by
    its base name, so no member can write outside ``dest``; sizes are checked against the
    declared and the actual bytes (zip bombs), and nothing is unpickled.
    """
    import io
    import zipfile

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
                with open(dest / Path(info.filename).name, "wb") as out:
                    total += copy_member(zf, info, out, limit=MAX_ZIP_BYTES - total)
        except InflatedTooFar:
            msg = "the zip unpacks to more than it declares"
            raise CheckpointError(msg, reason="too_large") from None
        except CORRUPT_ZIP_ERRORS as err:
            raise CheckpointError(f"the zip is damaged ({err})", reason="corrupt") from None
    return dest


def checkpoint_zip_bytes(name: str, **save_kwargs) -> bytes:
    """``save_checkpoint(**save_kwargs)`` into a folder ``name`` inside a zip: a download."""
    import io
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = save_checkpoint(Path(tmp) / name, **save_kwargs)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.iterdir()):
                zf.write(path, f"{name}/{path.name}")
    return buf.getvalue()
