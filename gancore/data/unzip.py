"""Reading a zip member with its real size counted, for the zips users upload (images,
checkpoints): a zip's directory can lie about sizes (zip bombs), so the bytes are counted as
they inflate and reading stops at a limit."""

from __future__ import annotations

import zipfile
import zlib
from typing import IO

# what a damaged zip raises while its members are read
CORRUPT_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)


class InflatedTooFar(ValueError):
    """A zip member inflated past the bytes allowed to it."""


def copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: IO[bytes], *, limit: int) -> int:
    """Copy the member ``info`` of ``zf`` into ``out`` in 1 MiB chunks and return its size;
    :class:`InflatedTooFar` as soon as more than ``limit`` bytes come out (the chunk that
    passes it is not written). A damaged zip raises one of CORRUPT_ZIP_ERRORS."""
    size = 0
    with zf.open(info) as src:
        while chunk := src.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise InflatedTooFar(f"zip member {info.filename!r} inflates past {limit:,} bytes")
            out.write(chunk)
    return size
