"""Second-person approval of large transfers on the portal, over real HTTP, on both backends.

Japan's registry asks for a second representative above 50 credits. One representative of the
participant account proposes a transfer from the account page; the proposal page and "my
tasks" show it to the other representative, who approves or refuses it there. The proposer,
the holder's plain member and another registry's administrator see it without the buttons,
and a post from any of them is refused with the reason and moves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from c3p.credits import service
from tests.integration.web.conftest import Browser, CreditSite
from tests.support.credits import OPERATOR
from tests.support.workflow import create_person

THRESHOLD = 50


@pytest.fixture
def second(credit_site: CreditSite) -> Iterator[Browser]:
    """A second representative of the participant account, with the registry's threshold set."""
    registry = credit_site.registry
    person = create_person(credit_site.database, "account_representative", registry.jp_pp, organization="acme-jp")
    with credit_site.database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "JPN", THRESHOLD)
    browser = Browser(credit_site.server, person)
    yield browser
    browser.client.close()
    with credit_site.database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "JPN", None)


def propose(site: CreditSite, credits: int) -> str:
    """The holder's representative asks for a transfer above the threshold; its key."""
    registry = site.registry
    done = site.browsers["holder"].post(
        f"/credits/accounts/{registry.jp_pp}/transfer", {"to_account": registry.jp_gov, "credits": str(credits)}
    )
    assert done.status_code == 303, done.text[-1500:]
    waiting = site.browsers["holder"].get("/credits/proposals", format="json").json()["items"]
    return next(p["key"] for p in waiting if p["credits"] == credits)


def buttons(html: str, key: str) -> set[str]:
    row = re.search(rf'<tr id="proposal-{key}">(.*?)</tr>', html, re.S)
    assert row, html[-2000:]
    return set(re.findall(r'id="((?:approve|refuse)-[^"]+)"', row.group(1)))


def test_the_second_representative_approves_from_the_page(credit_site: CreditSite, second: Browser) -> None:
    site, registry = credit_site, credit_site.registry
    before = site.balance(registry.jp_pp)
    key = propose(site, 61)
    assert site.balance(registry.jp_pp) == before  # proposed: nothing moved yet

    tasks = second.get("/account/tasks").text
    assert f"/credits/proposals#proposal-{key}" in tasks and "61 credits" in tasks
    assert f"proposal-{key}" not in site.browsers["holder"].get("/account/tasks").text  # not the proposer's step
    page = second.get("/credits/proposals").text
    assert buttons(page, key) == {f"approve-{key}", f"refuse-{key}"}
    assert buttons(site.browsers["holder"].get("/credits/proposals").text, key) == set()

    approved = second.post(f"/credits/proposals/{key}/approve")
    assert approved.status_code == 303, approved.text[-1500:]
    assert approved.headers["location"].startswith(f"/credits/accounts/{registry.jp_pp}?done=")
    assert "Transfer" in second.get(approved.headers["location"]).text
    assert site.balance(registry.jp_pp) == before - 61
    assert f"proposal-{key}" not in second.get("/credits/proposals").text
    assert f"proposal-{key}" not in second.get("/account/tasks").text


def test_the_second_representative_refuses_and_nothing_moves(credit_site: CreditSite, second: Browser) -> None:
    site = credit_site
    key = propose(site, 62)
    before = site.state()
    refused = second.post(f"/credits/proposals/{key}/refuse")
    assert refused.status_code == 303 and refused.headers["location"] == "/credits/proposals?refused=1"
    assert "no credits moved" in second.get("/credits/proposals", refused="1").text
    after = site.state()
    assert after["accounts"] == before["accounts"] and after["journal"] == before["journal"] + 1
    again = second.post(f"/credits/proposals/{key}/approve")
    assert again.status_code == 409 and "already refused" in again.text
    assert site.state() == after


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("holder", 403, "was proposed by you"),  # the proposer never approves their own
        ("member", 403, "You may not approve or refuse"),  # the holder's member reads, never decides
        ("vn_admin", 403, "You may not approve or refuse"),  # another registry's administrator
        ("jp_admin", 403, "You may not approve or refuse"),  # the registry's administrator is not a representative
        ("vn_holder", 403, "You may not approve or refuse"),  # a representative of another account
    ],
)
def test_people_who_may_not_decide_are_refused_and_nothing_moves(
    credit_site: CreditSite, second: Browser, who: str, status: int, message: str
) -> None:
    site = credit_site
    key = propose(site, 63)
    before = site.state()
    for decision in ("approve", "refuse"):
        refused = site.browsers[who].post(f"/credits/proposals/{key}/{decision}")
        assert refused.status_code == status, (who, refused.text[-1500:])
        assert message in refused.text, refused.text[-1500:]
    assert site.state() == before
    shown = site.browsers[who].get("/credits/proposals")
    if shown.status_code == 200:
        assert f"approve-{key}" not in shown.text
    second.post(f"/credits/proposals/{key}/refuse")  # leave nothing waiting for the next case


def test_an_unknown_proposal_is_said_on_the_page(credit_site: CreditSite, second: Browser) -> None:
    refused = second.post("/credits/proposals/no-such-key/approve")
    assert refused.status_code == 404 and 'id="proposal-problem"' in refused.text
