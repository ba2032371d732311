"""The one byte-counting zip reader behind both upload extractors (images, checkpoints): it
copies a member exactly, stops at its limit, and a damaged deflate stream reaches each caller
as its own clear error, never a zlib traceback."""

import io
import zipfile

import pytest

from gancore.data.image_zips import UnsafeArchiveError, extract_image_zip
from gancore.data.unzip import InflatedTooFar, copy_member
from gancore.io.format import CheckpointError
from gancore.io.zips import extract_checkpoint_zip


def _zip(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, payload)
    return buf.getvalue()


def _broken_deflate(name: str, payload: bytes) -> bytes:
    """The zip of ``payload`` with its deflate stream's first byte set to a reserved block type."""
    data = bytearray(_zip(name, payload))
    name_len, extra_len = (
        int.from_bytes(data[26:28], "little"),
        int.from_bytes(data[28:30], "little"),
    )
    data[30 + name_len + extra_len] = 0xFF  # BFINAL=1, BTYPE=11: "invalid block type"
    return bytes(data)


def test_copy_member_copies_exactly_and_stops_at_its_limit():
    payload = bytes(range(256)) * 40  # 10,240 bytes
    with zipfile.ZipFile(io.BytesIO(_zip("a.bin", payload))) as zf:
        info = zf.getinfo("a.bin")
        out = io.BytesIO()
        assert copy_member(zf, info, out, limit=len(payload)) == len(payload)
        assert out.getvalue() == payload
        short = io.BytesIO()
        with pytest.raises(InflatedTooFar, match="10,239"):
            copy_member(zf, info, short, limit=len(payload) - 1)
        assert short.getvalue() == b""  # the chunk that passed the limit was not written


def test_a_damaged_deflate_stream_is_each_extractors_own_error(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="corrupt"):
        extract_image_zip(_broken_deflate("a.png", b"\x89PNG" + b"\0" * 400), tmp_path / "i")
    assert not any(p.is_file() for p in (tmp_path / "i").rglob("*"))
    with pytest.raises(CheckpointError, match="damaged") as err:
        extract_checkpoint_zip(_broken_deflate("config.json", b"{}" * 300), tmp_path / "c")
    assert err.value.reason == "corrupt"
