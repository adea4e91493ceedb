"""E-mail through a real SMTP server on loopback: TLS with the certificate verified, the
password-reset link delivered and working, nothing sent to a server we cannot trust."""

from __future__ import annotations

import email
import email.policy
import re
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller

from c3p import mail
from c3p.accounts.rules.policy import Actor
from c3p.accounts.service import members
from c3p.db.database import Database
from c3p.settings import Settings
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import form_token, sign_in
from tests.support.accounts import create_user
from tests.support.pgcluster import free_port

NEW_PASSWORD = "a long new passphrase for the reset"


class Inbox:
    """An SMTP handler keeping each message and whether it came over TLS."""

    def __init__(self) -> None:
        self.messages: list[tuple[email.message.EmailMessage, bool]] = []

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((parsed, session.ssl is not None))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@contextmanager
def smtp_server(ca: trustme.CA | None) -> Iterator[tuple[int, Inbox]]:
    """An SMTP server on 127.0.0.1 that offers STARTTLS with a certificate from ``ca`` (None: no TLS)."""
    inbox, options = Inbox(), {}
    if ca is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        options = {"tls_context": context, "require_starttls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def test_starttls_with_the_on_premise_ca_delivers_over_tls(ca: trustme.CA, ca_file: Path, tmp_path: Path) -> None:
    with smtp_server(ca) as (port, inbox):
        settings = Settings(data_dir=tmp_path, smtp_url=f"smtp://localhost:{port}", smtp_ca_file=ca_file)
        assert mail.send(settings, "mori@example.org", "C3P: テスト", "本文です。\nbody") is None
    [(message, over_tls)] = inbox.messages
    assert over_tls
    assert message["To"] == "mori@example.org" and message["Subject"] == "C3P: テスト"
    assert message.get_content().startswith("本文です。")
    assert not (tmp_path / "outbox").exists()


def test_a_certificate_nobody_vouches_for_is_refused_and_nothing_is_sent(ca: trustme.CA, tmp_path: Path) -> None:
    with smtp_server(ca) as (port, inbox):
        settings = Settings(data_dir=tmp_path, smtp_url=f"smtp://localhost:{port}")
        with pytest.raises(ssl.SSLCertVerificationError):
            mail.send(settings, "mori@example.org", "C3P: test", "body")
    assert inbox.messages == []


def test_a_relay_on_this_machine_without_starttls_is_used_in_clear(tmp_path: Path) -> None:
    with smtp_server(None) as (port, inbox):
        mail.send(Settings(data_dir=tmp_path, smtp_url=f"smtp://127.0.0.1:{port}"), "a@example.org", "s", "b")
    assert [over_tls for _m, over_tls in inbox.messages] == [False]


def test_only_loopback_addresses_count_as_this_machine() -> None:
    assert [mail.is_loopback(h) for h in ("localhost", "127.0.0.1", "::1", "10.0.0.1", "smtp.example.org")] == [
        True,
        True,
        True,
        False,
        False,
    ]


def wait_for_mail(messages: list[Any], count: int) -> None:
    """Reset mail leaves after the response (so its timing tells nothing): wait for it a little."""
    deadline = time.monotonic() + 10
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and for any message that should not come


def test_the_password_reset_link_arrives_by_smtp_and_sets_the_password(
    ca: trustme.CA,
    ca_file: Path,
    new_database_url,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    database.upgrade()
    create_user(database, "kimura@example.org")
    create_user(database, "ellis@example.org")
    with database.unit_of_work() as session:
        members.set_language(session, Actor.operator(), members.user_by_email(session, "ellis@example.org"), "en")  # type: ignore[arg-type]
    with smtp_server(ca) as (port, inbox):
        settings = Settings(
            data_dir=tmp_path,
            database_url=database.url,
            cookie_secure=False,
            smtp_url=f"smtp://localhost:{port}",
            smtp_ca_file=ca_file,
        )
        server = LiveServer(create_app(settings, database), tmp_path).start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                token = form_token(client)
                client.post("/password-reset", data={"email": "kimura@example.org", "csrf_token": token})
                client.post("/password-reset", data={"email": "nobody@example.org", "csrf_token": token})
                wait_for_mail(inbox.messages, 1)
                [(message, over_tls)] = inbox.messages  # one message: the unknown address gets none
                assert over_tls and message["To"] == "kimura@example.org"
                # in the account's language (Japanese unless the person chose English)
                assert message["Subject"] == "C3P：パスワードの再設定"
                assert "kimura@example.org のパスワードの再設定が依頼されました" in message.get_content()
                assert "1 時間以内に次のリンクを開き" in message.get_content()
                client.post("/password-reset", data={"email": "ellis@example.org", "csrf_token": token})
                wait_for_mail(inbox.messages, 2)
                english = inbox.messages[-1][0]
                assert english["Subject"] == "C3P: reset your password"
                assert "Open this link within 1 hour to choose a new password" in english.get_content()
                link = re.search(r"http://\S+/password-reset/confirm\?token=\S+", message.get_content()).group(0)  # type: ignore[union-attr]
                secret = httpx.URL(link).params["token"]
                answer = client.post(
                    "/password-reset/confirm",
                    data={
                        "token": secret,
                        "password": NEW_PASSWORD,
                        "password_again": NEW_PASSWORD,
                        "csrf_token": token,
                    },
                )
                assert answer.status_code in (200, 303), answer.text[-1500:]
            with httpx.Client(base_url=server.url, timeout=30) as fresh:
                assert sign_in(fresh, "kimura@example.org", NEW_PASSWORD).status_code in (200, 303)
                assert fresh.get("/account").status_code == 200
        finally:
            server.stop()
            database.dispose()
