"""Nothing broken: every internal link from ``/`` answers, in Japanese and English, for every role.

A crawler follows the links of each page it reads over real HTTP, as the public and as one
person of each role. Links are grouped by the route they reach (``/projects/{slug}``) and the
query parameters they set, and a few of each group are read, so the crawl stays short while it
still reaches every kind of page. A 5xx anywhere fails, and so does a link that leads nowhere.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
from starlette.routing import Mount, compile_path

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from c3p.web.auth import all_routes
from c3p.workflow.service import calls
from tests.conftest import LiveServer
from tests.integration.accounts.test_accounts_http import sign_in
from tests.support import program_year
from tests.support.accounts import ROLE_SCOPES, create_user
from tests.support.credits import create_issuance, create_registry
from tests.support.workflow import PDF, Person, complete_draft, new_call

LANGUAGES = ("ja", "en")
VISITORS = ("public", *ROLE_SCOPES)
#: pages read per route and query shape; a few suffice to reach every kind of page
SAMPLES_PER_ROUTE = 2
HTML_LANG = re.compile(r"""<html\b[^>]*\blang=["']([^"']+)["']""", re.IGNORECASE)
LINK = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
#: links that end the session; the crawl would lose its visitor
NOT_FOLLOWED = ("/sign-out",)


@dataclass
class CrawlSite:
    server: LiveServer
    app: Any
    emails: dict[str, str]
    year: program_year.ProgramYear


@dataclass
class Crawl:
    """What one visitor met: the URLs read, and each failure with the page that linked to it."""

    read: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)


@contextmanager
def running_site(database_url: str, data_dir: Path) -> Iterator[CrawlSite]:
    """The program's data, a program year on every kind of page (see ``program_year``), credits, one person per role."""
    from c3p.web.app import create_app

    database = Database(database_url)
    init_database(database)
    settings = Settings(data_dir=data_dir, database_url=database.url, cookie_secure=False)
    emails = {role: f"{role}@example.org" for role in ROLE_SCOPES}
    users = {role: create_user(database, email, role) for role, email in emails.items()}
    people = {role: Person(users[role], emails[role], "acme") for role in ("proposer", "reviewer", "secretariat")}
    _open_call_with_an_application(database, settings, people["proposer"])
    year = program_year.build(database, settings, **people)
    registry = create_registry(database)
    create_issuance(registry, {registry.jp_gov: 700, registry.vn_pp: 300})
    app = create_app(settings, database)
    server = LiveServer(app, settings.data_dir).start()
    try:
        yield CrawlSite(server, app, emails, year)
    finally:
        server.stop()
        database.dispose()


@pytest.fixture(scope="module")
def crawl_site(backend: str, new_database_url, tmp_path_factory) -> Iterator[CrawlSite]:  # type: ignore[no-untyped-def]
    with running_site(new_database_url(backend), tmp_path_factory.mktemp("crawl")) as site:
        yield site


def _open_call_with_an_application(database: Database, settings: Settings, proposer: Person) -> None:
    from c3p.accounts.rules.policy import Actor

    actor = proposer.actor(database)
    with database.unit_of_work() as session:
        slug = calls.open_call(session, Actor.operator("test"), new_call(2025, 1), settings).slug
        application = calls.create_application(session, actor, slug, complete_draft())
        calls.add_attachment(session, actor, settings, application.id, "application_form", "form.pdf", PDF)
    with database.unit_of_work() as session:
        calls.submit(session, actor, application.id, settings)


def route_patterns(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """Each GET route of the app (through included routers) as (regex, pattern); mounts by prefix."""
    found = []
    for path, methods, route in all_routes(app):
        if "GET" in methods:
            found.append((compile_path(path)[0], path))
        elif isinstance(route, Mount):
            found.append((re.compile(re.escape(path) + "/.*"), path + "/…"))
    return found


def route_of(patterns: list[tuple[re.Pattern[str], str]], path: str) -> str | None:
    """The route pattern a path reaches (``/projects/{slug}``), or None when none does."""
    return next((pattern for regex, pattern in patterns if regex.fullmatch(path)), None)


def internal_links(page_url: str, html: str, base: str) -> list[str]:
    """The site's own links on a page, absolute, without fragments or language switches."""
    found = []
    for href in LINK.findall(html):
        url = urljoin(page_url, unescape(href)).split("#")[0]
        if not url.startswith(base) or any(urlsplit(url).path.startswith(p) for p in NOT_FOLLOWED):
            continue
        query = [(k, v) for k, v in parse_qsl(urlsplit(url).query) if k != "lang"]
        path = urlsplit(url).path
        found.append(base + path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else ""))
    return found


def crawl(site: CrawlSite, client: httpx.Client) -> Crawl:
    """Breadth-first from ``/``, reading at most SAMPLES_PER_ROUTE pages per route and query shape."""
    base = site.server.url
    patterns = route_patterns(site.app)
    result = Crawl()
    seen: set[str] = {base + "/"}
    per_group: Counter[tuple[str, tuple[str, ...]]] = Counter()
    queue: deque[tuple[str, str]] = deque([(base + "/", "(start)")])
    while queue:
        url, linked_from = queue.popleft()
        response = client.get(url, headers={"accept": "text/html"})
        result.read.append(url)
        if response.status_code >= 500 or response.status_code == 404:
            result.failures.append(f"{response.status_code} {url} (linked from {linked_from})")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        result.languages.update(HTML_LANG.findall(response.text)[:1])
        for link in internal_links(str(response.url), response.text, base):
            parts = urlsplit(link)
            route = route_of(patterns, parts.path)
            if route is None:
                result.failures.append(f"no route {link} (linked from {url})")
                seen.add(link)
                continue
            group = (route, tuple(sorted({k for k, _ in parse_qsl(parts.query)})))
            if link in seen or per_group[group] >= SAMPLES_PER_ROUTE:
                continue
            seen.add(link)
            per_group[group] += 1
            queue.append((link, url))
    return result


def visitor(site: CrawlSite, who: str, language: str) -> httpx.Client:
    client = httpx.Client(base_url=site.server.url, timeout=60, follow_redirects=True)
    if who != "public":
        assert sign_in(client, site.emails[who]).status_code in (200, 303)
    client.get("/", params={"lang": language})  # choosing a language is remembered (cookie, account)
    return client


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", VISITORS)
def test_every_link_from_home_answers(crawl_site: CrawlSite, who: str, language: str) -> None:
    client = visitor(crawl_site, who, language)
    try:
        result = crawl(crawl_site, client)
    finally:
        client.close()
    assert result.failures == []
    assert result.languages == {language}
    assert len(result.read) >= 20  # the crawl really went through the site
