"""Attachments: files checked for type and size, stored once under their SHA-256.

The file lands in ``settings.attachments_dir/<sha256>`` before the row is flushed; a rolled
back request leaves at most an unreferenced file, never a row without its file. Types are
checked by extension and by the file's first bytes, so a renamed executable is refused.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.errors import InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.settings import Settings
from c3p.stored_files import keep_bytes
from c3p.workflow.rules.calls import attachment_kinds
from c3p.workflow.tables import Attachment

#: the first bytes a file of each type starts with (types not listed are not sniffed)
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
TEXT_TYPES = (".csv", ".txt")


class TooLarge(InvalidInput):
    status = 413
    code = "attachment-too-large"
    title = N_("Attachment too large")


def check_file(settings: Settings, filename: str, content: bytes) -> str:
    """Refuse a file that is empty, too large, of a type not allowed, or whose contents do not match."""
    name = Path(filename or "").name
    extension = Path(name).suffix.lower()
    allowed = [e.lower() for e in settings.attachment_extensions]
    if not name or extension not in allowed:
        refusal = N_("%(name)s: files of type %(extension)s are not accepted; accepted: %(allowed)s.")
        about = {"name": name or Message(N_("The file")), "extension": extension or Message(N_("(none)"))}
        raise InvalidInput(Message(refusal, {**about, "allowed": ", ".join(allowed)}), field="file")
    if len(content) > settings.attachment_max_bytes:
        refusal = N_("%(name)s is %(size)s bytes; the limit is %(limit)s bytes.")
        sizes = {"size": f"{len(content):,}", "limit": f"{settings.attachment_max_bytes:,}"}
        raise TooLarge(Message(refusal, {"name": name, **sizes}), field="file")
    if not content:
        raise InvalidInput(Message(N_("%(name)s is empty."), {"name": name}), field="file")
    signatures = SIGNATURES.get(extension)
    if signatures and not content.startswith(signatures):
        refusal = N_("%(name)s does not look like a %(extension)s file.")
        raise InvalidInput(Message(refusal, {"name": name, "extension": extension}), field="file")
    if extension in TEXT_TYPES:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(Message(N_("%(name)s is not UTF-8 text."), {"name": name}), field="file") from None
    return name


def store(
    session: Session,
    settings: Settings,
    owner_kind: str,
    owner_id: int,
    kind: str,
    filename: str,
    content: bytes,
    user_id: int | None,
) -> Attachment:
    """Check and keep one file for ``owner_kind``/``owner_id``; return its row (flushed)."""
    kinds = attachment_kinds()[owner_kind]
    if kind not in kinds:
        refusal = N_("Unknown document kind '%(kind)s'; kinds: %(kinds)s.")
        raise InvalidInput(Message(refusal, {"kind": kind, "kinds": ", ".join(kinds)}), field="kind")
    name = check_file(settings, filename, content)
    digest = keep_bytes(settings.attachments_dir, content)
    row = Attachment(
        owner_kind=owner_kind,
        owner_id=owner_id,
        kind=kind,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size_bytes=len(content),
        sha256=digest,
        uploaded_by=user_id,
    )
    session.add(row)
    session.flush()
    return row


def attachments_of(session: Session, owner_kind: str, owner_id: int) -> list[Attachment]:
    query = select(Attachment).where(Attachment.owner_kind == owner_kind, Attachment.owner_id == owner_id)
    return list(session.scalars(query.order_by(Attachment.id)))


def content_of(settings: Settings, attachment: Attachment) -> bytes:
    path = settings.attachments_dir / attachment.sha256
    if not path.exists():
        raise NotFound(f"the file of attachment {attachment.id} is missing from {settings.attachments_dir}")
    return path.read_bytes()
