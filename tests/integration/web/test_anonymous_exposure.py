"""Anonymous visitors never see who did something, the server's account, or which files hold it.

A stranger reads every GET operation of the API (from its OpenAPI document, with ids taken
from the lists it can read) and crawls the pages from ``/`` with each page's JSON twin. The
site holds staff work done over the web and on the server (a JCM project moved by the
operator, a document and a monitoring report added by the secretariat, an application with
its form). Every answer must be free of e-mail addresses, ``operator:``, the OS user's name,
``.csv`` / ``.md`` file names and the SHA-256 of any stored file.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from c3p.accounts.tables import User
from c3p.cli._guard import operator
from c3p.credits.tables import MonitoringReport
from c3p.db.database import Database
from c3p.db.history import act_as
from c3p.settings import Settings
from c3p.workflow.service import jcm
from c3p.workflow.tables import Attachment
from tests.integration.web.test_site_crawl import CrawlSite, crawl, running_site
from tests.support.credits import create_countries, submit_report
from tests.support.workflow import PDF, Person, create_person

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
FILE_NAME = re.compile(r"[\w.-]+\.(?:csv|md)\b")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
#: values tried for a path parameter, from the items of the list beside it
ID_FIELDS = ("slug", "key", "id", "number", "methodology_id", "serial_start", "iso3")
EXAMPLES_PER_ROUTE = 3


@dataclass
class Secrets:
    """What a stranger must never read: addresses, the server's account, stored files' names and digests."""

    emails: set[str]
    digests: set[str]
    file_names: set[str]
    os_user: re.Pattern[str]

    def found_in(self, text: str) -> list[str]:
        found = [f"e-mail {m}" for m in EMAIL.findall(text)]
        found += [f"{word}" for word in ("operator:",) if word in text]
        found += [f"OS user {m}" for m in self.os_user.findall(text)]
        found += [f"file name {m}" for m in FILE_NAME.findall(text)]
        found += [f"stored file digest {m}" for m in HEX64.findall(text) if m in self.digests]
        found += [f"account {email}" for email in self.emails if email in text]
        found += [f"stored file {name}" for name in self.file_names if name in text]
        return found


@dataclass
class ExposureSite:
    site: CrawlSite
    secrets: Secrets


def _staff_work(database: Database, settings: Settings, secretariat: Person) -> None:
    """Work a stranger may see the results of: by the operator on the server and by staff on the web."""
    server_operator = operator()
    with database.unit_of_work() as session:
        act_as(session, None, server_operator.label)
        create_countries(session)
        new = jcm.NewJcmProject(slug="vn-exposure", title_en="Exposure", country_iso3="VNM", methodology_id="VN_AM007")
        jcm.create_jcm_project(session, server_operator, new)
        jcm.add_document(session, server_operator, settings, "vn-exposure", "pdd", "board-notes-draft.pdf", PDF)
        jcm.move(session, server_operator, "vn-exposure", "feasibility_study")
    staff = secretariat.actor(database)
    with database.unit_of_work() as session:
        act_as(session, staff.user_id, staff.label)
        jcm.add_document(session, staff, settings, "vn-007", "other", "meter-readings-draft.pdf", PDF)
    mover = create_person(database, "project_participant", "vn-exposure").actor(database)
    with database.unit_of_work() as session:
        act_as(session, mover.user_id, mover.label)
        jcm.add_document(session, mover, settings, "vn-exposure", "model_project_application", "bid.pdf", PDF)
        jcm.move(session, mover, "vn-exposure", "model_project_application")
    participant = create_person(database, "project_participant", "vn-007").actor(database)
    submit_report(database, settings, 5, dt.date(2026, 1, 1), actor=participant, project="vn-007")


@pytest.fixture(scope="module")
def exposure_site(new_database_url, tmp_path_factory) -> Iterator[ExposureSite]:  # type: ignore[no-untyped-def]
    with running_site(new_database_url("sqlite"), tmp_path_factory.mktemp("exposure")) as site:
        database: Database = site.app.state.database
        settings: Settings = site.app.state.settings
        with database.reading() as session:
            secretariat_id = session.scalars(select(User.id).where(User.email == site.emails["secretariat"])).one()
        _staff_work(database, settings, Person(secretariat_id, site.emails["secretariat"], "acme"))
        with database.reading() as session:
            emails = set(session.scalars(select(User.email)))
            digests = set(session.scalars(select(Attachment.sha256)))
            file_names = set(session.scalars(select(Attachment.filename)))
            for inputs in session.scalars(select(MonitoringReport.inputs)):
                stored = [item for item in inputs if isinstance(item, dict)]
                digests |= {item["sha256"] for item in stored if "sha256" in item}
                file_names |= {item[name] for item in stored for name in ("name", "filename") if item.get(name)}
        assert emails and len(digests) >= 3 and len(file_names) >= 3  # the site holds what must stay hidden
        os_user = re.compile(rf"(?<![\w-]){re.escape(getpass.getuser())}(?![\w-])")
        yield ExposureSite(site, Secrets(emails, digests, file_names, os_user))


def list_beside(path: str) -> str:
    """The list an item route sits in: ``/api/v1/calls`` for ``/api/v1/calls/{slug}``."""
    return path.split("/{", 1)[0]


def example_values(client: httpx.Client, path: str, parameter: str) -> list[str]:
    """Values of ``parameter`` a stranger can find: the ids of the items the list beside the route shows."""
    answer = client.get(list_beside(path))
    body: Any = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else []
    items = body.get("items", []) if isinstance(body, dict) else body
    values: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            field = next((name for name in (parameter, *ID_FIELDS) if item.get(name) not in (None, "")), None)
            if field:
                values.append(str(item[field]))
    return values[:EXAMPLES_PER_ROUTE] or ["1"]


def api_urls(client: httpx.Client) -> list[str]:
    """Every GET operation of the API, path parameters filled with ids from the lists beside them."""
    document = client.get("/api/v1/openapi.json").json()
    urls = []
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        query = "&".join(f"{p['name']}=1" for p in parameters if p["in"] == "query" and p.get("required"))
        names = [p["name"] for p in parameters if p["in"] == "path"]
        filled = [path]
        for name in names:
            values = example_values(client, path, name)
            filled = [url.replace("{" + name + "}", value) for url in filled for value in values]
        urls += [url + ("?" + query if query else "") for url in filled]
    return urls


def test_the_anonymous_api_shows_no_person_account_file_or_digest(exposure_site: ExposureSite) -> None:
    server = exposure_site.site.server
    found: list[str] = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        urls = api_urls(client)
        assert len(urls) >= 50, urls
        for url in urls:
            answer = client.get(url)
            assert answer.status_code < 500, (url, answer.text)
            found += [f"{url}: {what}" for what in exposure_site.secrets.found_in(answer.text)]
    assert found == []


def test_the_anonymous_pages_and_their_json_show_no_person_account_file_or_digest(
    exposure_site: ExposureSite,
) -> None:
    site = exposure_site.site
    read: dict[str, str] = {}

    def keep(response: httpx.Response) -> None:
        response.read()
        read[str(response.url)] = response.text

    with httpx.Client(base_url=site.server.url, timeout=60, follow_redirects=True) as client:
        client.event_hooks["response"] = [keep]
        pages = crawl(site, client).read
        pages += ["/credits/accounts", "/jcm-projects/vn-007", "/jcm-projects/vn-exposure", "/history/jcm_projects/1"]
        for url in pages:
            client.get(url, params={"format": "json"})
            client.get(url, headers={"accept": "text/html"})
    assert len(read) >= 40
    found = [f"{url}: {what}" for url, text in read.items() for what in exposure_site.secrets.found_in(text)]
    assert found == []
