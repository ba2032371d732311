"""Unpacking an uploaded zip of images safely: nothing outside the target folder, no links, no
zip bombs, no huge images; all or nothing."""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from PIL import Image, UnidentifiedImageError

from gancore.data.folders import IMAGE_EXTENSIONS, MAX_IMAGE_PIXELS
from gancore.data.unzip import CORRUPT_ZIP_ERRORS, InflatedTooFar, copy_member


class UnsafeArchiveError(ValueError):
    """A zip was refused: unsafe paths, links, too many or too large members, huge images."""


@dataclass
class ExtractedZip:
    """What :func:`extract_image_zip` wrote, and what it skipped (name, reason)."""

    root: Path
    files: list[Path]
    skipped: list[tuple[str, str]]


def _member_parts(info: zipfile.ZipInfo) -> list[str]:
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchiveError(f"zip member {info.filename!r} has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"zip member {info.filename!r} points outside the target folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"zip member {info.filename!r} is a symbolic link")
    return parts


def extract_image_zip(
    zip_path_or_bytes: str | os.PathLike | bytes | IO[bytes],
    dest: str | os.PathLike,
    *,
    max_files: int = 20_000,
    max_total_bytes: int = 512 * 2**20,
    max_file_bytes: int = 32 * 2**20,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> ExtractedZip:
    """Safely extract the images of a zip into ``dest`` (keeping class sub-folders).

    Refuses (:class:`UnsafeArchiveError`, nothing written) paths that escape ``dest``,
    absolute paths, symlinks, more than ``max_files`` members, and declared sizes over
    the limits; refuses while extracting if the bytes actually read exceed them or an
    image is over ``max_pixels`` (checked from its header, before decoding). Non-image
    members, hidden files and unreadable images are skipped and reported."""
    src: Any = (
        io.BytesIO(zip_path_or_bytes)
        if isinstance(zip_path_or_bytes, (bytes, bytearray))
        else zip_path_or_bytes
    )
    dest_dir = Path(dest).expanduser()
    dest_dir.mkdir(parents=True, exist_ok=True)
    base = dest_dir.resolve()
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as err:
        what = (
            zip_path_or_bytes if isinstance(zip_path_or_bytes, (str, os.PathLike)) else "the upload"
        )
        raise UnsafeArchiveError(f"cannot read {what} as a zip file ({err})") from None
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        if len(members) > max_files:
            raise UnsafeArchiveError(
                f"zip has {len(members):,} files, over the limit of {max_files:,}"
            )
        # Validate everything before writing anything: a refused zip leaves no files.
        plan: list[tuple[zipfile.ZipInfo, Path]] = []
        skipped: list[tuple[str, str]] = []
        for info in members:
            parts = _member_parts(info)
            target = base.joinpath(*parts).resolve()  # resolve: catches links already in dest
            if not parts or not target.is_relative_to(base):
                raise UnsafeArchiveError(
                    f"zip member {info.filename!r} points outside the target folder"
                )
            if any(p.startswith(".") or p == "__MACOSX" for p in parts):
                skipped.append((info.filename, "hidden or macOS metadata"))
            elif Path(parts[-1]).suffix.lower() not in IMAGE_EXTENSIONS:
                skipped.append((info.filename, "not an image file"))
            elif info.file_size > max_file_bytes:
                raise UnsafeArchiveError(
                    f"zip member {info.filename!r} declares {info.file_size:,} bytes, over the per-file limit of {max_file_bytes:,}"
                )
            else:
                plan.append((info, target))
        declared = sum(info.file_size for info, _ in plan)
        if declared > max_total_bytes:
            raise UnsafeArchiveError(
                f"zip images declare {declared:,} bytes, over the limit of {max_total_bytes:,}"
            )

        written: list[Path] = []
        total = 0
        try:
            for info, target in plan:
                # count real bytes: declared sizes in the directory can lie
                buf = io.BytesIO()
                limit = min(max_file_bytes, info.file_size, max_total_bytes - total)
                try:
                    total += copy_member(zf, info, buf, limit=limit)
                except InflatedTooFar:
                    raise UnsafeArchiveError(
                        f"zip member {info.filename!r} inflates past its declared size or the limits"
                    ) from None
                try:
                    with Image.open(
                        io.BytesIO(buf.getvalue())
                    ) as im:  # parses the header, decodes nothing
                        width, height = im.size
                        if width * height <= max_pixels:
                            im.verify()
                except Image.DecompressionBombError as err:
                    raise UnsafeArchiveError(f"image {info.filename!r} refused: {err}") from None
                except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
                    skipped.append((info.filename, f"not a readable image ({err})"))
                    continue
                if width * height > max_pixels:
                    raise UnsafeArchiveError(
                        f"image {info.filename!r} is {width}x{height}, over the limit of {max_pixels:,} pixels"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(buf.getvalue())
                written.append(target)
        except (UnsafeArchiveError, *CORRUPT_ZIP_ERRORS) as err:
            for p in written:  # all or nothing, so a refused upload leaves no half set
                p.unlink(missing_ok=True)
            if isinstance(err, UnsafeArchiveError):
                raise
            raise UnsafeArchiveError(f"the zip file is corrupt ({err})") from None
    return ExtractedZip(dest_dir, written, skipped)
