"""Notifications by e-mail: absolute links from C3P_PUBLIC_URL, and the daily digest instead of each mail."""

from __future__ import annotations

import email
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3p.accounts.rules.policy import Actor
from c3p.cli import app
from c3p.db.database import Database
from c3p.errors import Unauthenticated
from c3p.settings import Settings
from c3p.workflow.service import calls, notify
from tests.support.workflow import create_person, new_call

OPERATOR = Actor.operator("test")
PUBLIC_URL = "https://c3p.example.org/"


@pytest.fixture(scope="module")
def database(sqlite_database: Database) -> Database:
    return sqlite_database


def mails_to(outbox: Path, address: str) -> list[email.message.Message]:
    found = [email.message_from_bytes(path.read_bytes()) for path in sorted(outbox.glob("*.eml"))]
    return [message for message in found if message["To"] == address]


def body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def test_mail_links_start_with_the_public_url(database: Database, tmp_path: Path) -> None:
    """Defect of issue 14: e-mails carried relative links ("/calls/2030-1") that cannot be clicked."""
    settings = Settings(data_dir=tmp_path, public_url=PUBLIC_URL)
    person = create_person(database, "proposer")
    with database.unit_of_work() as session:
        slug = calls.open_call(session, OPERATOR, new_call(2030), settings).slug
    [mail] = mails_to(settings.resolved_outbox_dir, person.email)
    assert f"\nhttps://c3p.example.org/calls/{slug}" in body(mail)


def test_a_digest_reader_gets_one_mail_a_day_with_every_notification(database: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_url=PUBLIC_URL)
    reader, other = create_person(database, "proposer"), create_person(database, "proposer")
    with database.unit_of_work() as session:
        notify.choose_daily_digest(session, reader.actor(database), True)
    with database.unit_of_work() as session:
        first = calls.open_call(session, OPERATOR, new_call(2031), settings).slug
        second = calls.open_call(session, OPERATOR, new_call(2032), settings).slug
    assert mails_to(settings.resolved_outbox_dir, reader.email) == []  # waiting for the digest
    assert len(mails_to(settings.resolved_outbox_dir, other.email)) == 2  # the others get each at once
    result = CliRunner().invoke(app, ["notifications", "digest", "--db", database.url], env=_env(settings))
    assert result.exit_code == 0, result.output
    [digest] = mails_to(settings.resolved_outbox_dir, reader.email)
    text = body(digest)
    assert f"https://c3p.example.org/calls/{first}" in text and f"https://c3p.example.org/calls/{second}" in text
    assert str(make_header(decode_header(digest["Subject"]))) == "C3P: 本日の通知（2件）"
    assert len(mails_to(settings.resolved_outbox_dir, other.email)) == 2  # nothing twice to the others
    with database.unit_of_work() as session:
        assert notify.send_digests(session, settings) == 0  # nothing is mailed twice


def test_only_a_signed_in_person_chooses_a_digest(database: Database) -> None:
    with pytest.raises(Unauthenticated), database.unit_of_work() as session:
        notify.choose_daily_digest(session, Actor.public(), True)


def _env(settings: Settings) -> dict[str, str]:
    return {"C3P_DATA_DIR": str(settings.data_dir), "C3P_PUBLIC_URL": PUBLIC_URL}
