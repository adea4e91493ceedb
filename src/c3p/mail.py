"""Outgoing e-mail: through SMTP when ``smtp_url`` is set, else as .eml files in the outbox.

The outbox makes password resets work offline and in tests: the message is a standard RFC
5322 file that any mail client opens. Over SMTP the connection is TLS with the server's
certificate verified (the system's CAs, plus ``smtp_ca_file`` for an on-premise CA):
``smtps://`` from the start, ``smtp://`` by STARTTLS. Only a relay on this machine (a loopback
address) may be spoken to in clear, when it offers no STARTTLS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import ssl
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
        _send_smtp(settings.smtp_url, message, tls_context(settings.smtp_ca_file))
        return None
    outbox = settings.resolved_outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    partial = path.with_suffix(".part")  # renamed when whole: a reader never sees half a message
    partial.write_bytes(bytes(message))
    partial.replace(path)
    return path


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """Certificates and host names verified against the system's CAs and ``ca_file``."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    return context


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpRefused(RuntimeError):
    """The SMTP server cannot be spoken to safely."""


def _send_smtp(url: str, message: EmailMessage, context: ssl.SSLContext) -> None:
    parsed = urlparse(url)
    host, secure = parsed.hostname or "localhost", parsed.scheme == "smtps"
    port = parsed.port or (465 if secure else 587)
    if secure:
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=30)
    with client:
        if not secure:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif not is_loopback(host):
                raise SmtpRefused(f"the SMTP server {host}:{port} offers no STARTTLS; use smtps:// or a local relay")
        if parsed.username:
            client.login(unquote(parsed.username), unquote(parsed.password or ""))
        client.send_message(message)
