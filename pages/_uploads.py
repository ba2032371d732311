"""An uploaded zip, extracted once per upload into a temporary folder of its own."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import streamlit as st

from pages import _hosted as hosted


def extracted_zip_ui(
    label: str, key: str, *, empty: str, prefix: str, extract: Callable[[bytes, str], Any]
) -> tuple[str, Any] | None:
    """A zip uploader (the server's upload cap applies); the zip is extracted by
    ``extract(data, folder)`` once per upload (by its SHA-256), into a fresh temporary folder
    that replaces the previous upload's. Returns (folder, what ``extract`` returned), or None
    (and says ``empty``) until a zip is there. ``extract``'s errors reach the caller, and the
    half-written folder is removed."""
    limits = hosted.limits()
    upload = st.file_uploader(
        f"{label} (up to {limits.max_upload_mb:g} MB)", type=["zip"], key=f"{key}_zip"
    )
    if upload is None:
        st.info(empty)
        return None
    data = upload.getvalue()
    limits.check_upload(len(data))
    digest = hashlib.sha256(data).hexdigest()
    held = st.session_state.get(key)
    if held is None or held[0] != digest:
        if held is not None:
            shutil.rmtree(held[1], ignore_errors=True)
        dest = tempfile.mkdtemp(prefix=prefix)
        try:
            result = extract(data, dest)
        except Exception:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        held = st.session_state[key] = (digest, dest, result)
    return held[1], held[2]
