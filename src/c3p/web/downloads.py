"""Stored files sent to a browser: always as a download, never rendered in the portal's origin."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.responses import Response

#: characters kept in the plain ``filename=`` fallback (the UTF-8 ``filename*=`` carries the rest)
UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._ -]")


def file_response(content: bytes, filename: str, content_type: str) -> Response:
    """``content`` as an attachment named ``filename`` (Japanese names included, RFC 6266)."""
    fallback = UNSAFE_IN_FALLBACK.sub("_", filename) or "download"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    headers = {"content-disposition": disposition, "x-content-type-options": "nosniff"}
    return Response(content, media_type=content_type or "application/octet-stream", headers=headers)
