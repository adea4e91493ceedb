"""Outgoing e-mail: through SMTP when ``smtp_url`` is set, else as .eml files in the outbox.

The outbox makes password resets work offline and in tests: the message is a standard RFC
5322 file that any mail client opens.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlparse

from c3p.settings import Settings


def compose(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message["Message-ID"] = f"<{uuid.uuid4().hex}@c3p>"
    message.set_content(body)
    return message


def send(settings: Settings, to: str, subject: str, body: str) -> Path | None:
    """Send one message; return the outbox file when it was written there."""
    message = compose(settings, to, subject, body)
    if settings.smtp_url:
        _send_smtp(settings.smtp_url, message)
        return None
    outbox = settings.resolved_outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    return path


def _send_smtp(url: str, message: EmailMessage) -> None:
    parsed = urlparse(url)
    secure = parsed.scheme == "smtps"
    port = parsed.port or (465 if secure else 587)
    client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client_class(parsed.hostname or "localhost", port, timeout=30) as client:
        if not secure and port != 25:
            client.starttls()
        if parsed.username:
            client.login(unquote(parsed.username), unquote(parsed.password or ""))
        client.send_message(message)
