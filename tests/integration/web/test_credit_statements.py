"""Account statements over real HTTP on both backends: the REST API, the portal page, its JSON
twin and CSV download. After random transfers every statement reconciles (opening + in −
out = closing, each line's running balance) and ends at the live balance; periods filter by
UTC day; bad dates are refused clearly; only the holder and the registry's administrators read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from typing import Any

import pytest

from c3p.credits import queries, service
from c3p.errors import C3PError
from tests.integration.web.conftest import Browser, CreditSite
from tests.integration.web.test_workflow_forms import field_error, field_value
from tests.support.credits import OPERATOR, Registry

TODAY = dt.datetime.now(dt.UTC).date()


def random_transfers(registry: Registry, seed: int, count: int) -> None:
    """Transfers between the four holding accounts, some across registries, then settle the pending ones."""
    rng = random.Random(seed)
    for _ in range(count):
        source, target = rng.sample(registry.holding, 2)
        try:
            with registry.database.unit_of_work() as session:
                service.transfer(session, OPERATOR, source, target, rng.randint(1, 60))
        except C3PError:
            pass  # e.g. fewer credits held than asked: nothing changed
    with registry.database.reading() as session:
        waiting = [p["key"] for p in queries.pending(session)]
    for key in waiting:
        with registry.database.unit_of_work() as session:
            service.resolve_pending(session, OPERATOR, key, rng.random() < 0.7)


@pytest.fixture(scope="module")
def moved(credit_site: CreditSite) -> CreditSite:
    random_transfers(credit_site.registry, seed=20261128, count=40)
    return credit_site


def reader_of(site: CreditSite, number: str) -> Browser:
    return site.browsers["jp_admin" if number.startswith("JPN-") else "vn_admin"]


def statement(site: CreditSite, number: str, **period: str) -> dict[str, Any]:
    response = reader_of(site, number).client.get(f"/api/v1/registry/accounts/{number}/statement", params=period)
    assert response.status_code == 200, response.text
    return dict(response.json())


def check_reconciles(found: dict[str, Any]) -> None:
    balance = found["opening_balance_credits"]
    for line in found["lines"]:
        assert (line["credits_in"] == 0) != (line["credits_out"] == 0)
        balance += line["credits_in"] - line["credits_out"]
        assert line["balance_credits"] == balance
    assert [line["seq"] for line in found["lines"]] == sorted(line["seq"] for line in found["lines"])
    assert found["credits_in"] == sum(line["credits_in"] for line in found["lines"])
    assert found["credits_out"] == sum(line["credits_out"] for line in found["lines"])
    assert found["opening_balance_credits"] + found["credits_in"] - found["credits_out"] == balance
    assert found["closing_balance_credits"] == balance


def test_every_statement_reconciles_with_the_live_balance(moved: CreditSite) -> None:
    site = moved
    with site.database.reading() as session:
        accounts = queries.accounts(session)
    assert len(accounts) == 12
    for account in accounts:
        found = statement(site, account.number)
        check_reconciles(found)
        assert found["opening_balance_credits"] == 0
        assert found["closing_balance_credits"] == account.balance_credits, account.number
        ended_today = statement(site, account.number, to=TODAY.isoformat())
        assert ended_today["closing_balance_credits"] == account.balance_credits
    holding = statement(site, site.registry.jp_pp)
    assert {line["kind"] for line in holding["lines"]} >= {"issuance", "transfer"}
    assert all(line["serials"] for line in holding["lines"])


def test_transfers_between_registries_name_the_account_at_the_other_end(moved: CreditSite) -> None:
    site, registry = moved, moved.registry
    external = [
        line for line in statement(site, registry.jp_pp)["lines"] if line["kind"] in ("external_transfer", "rejection")
    ]
    assert external, "the random transfers crossed registries"
    assert {line["counterparty"] for line in external} <= {registry.vn_gov, registry.vn_pp}


def test_periods_filter_by_utc_day(moved: CreditSite) -> None:
    site, number = moved, moved.registry.vn_pp
    live = site.balance(number)
    whole = statement(site, number)
    tomorrow, yesterday = (TODAY + dt.timedelta(days=1)).isoformat(), (TODAY - dt.timedelta(days=1)).isoformat()
    later = statement(site, number, **{"from": tomorrow})
    assert later["lines"] == [] and later["opening_balance_credits"] == later["closing_balance_credits"] == live
    earlier = statement(site, number, to=yesterday)
    assert earlier["lines"] == [] and earlier["opening_balance_credits"] == earlier["closing_balance_credits"] == 0
    today = statement(site, number, **{"from": TODAY.isoformat(), "to": TODAY.isoformat()})
    assert today["lines"] == whole["lines"] and (today["from_date"], today["to_date"]) == (TODAY.isoformat(),) * 2


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        ({"from": "2026-02-30"}, "from", "is not a date"),
        ({"to": "yesterday"}, "to", "is not a date"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "from", "after it ends"),
    ],
)
def test_bad_periods_are_refused_clearly(moved: CreditSite, period: dict[str, str], field: str, message: str) -> None:
    site, number = moved, moved.registry.jp_pp
    admin = site.browsers["jp_admin"]
    api = admin.client.get(f"/api/v1/registry/accounts/{number}/statement", params=period)
    assert api.status_code == 422 and api.headers["content-type"] == "application/problem+json"
    assert message in api.json()["detail"] and api.json()["field"] == field
    page = admin.get(f"/credits/accounts/{number}/statement", **period)
    assert page.status_code == 422 and message in field_error(page.text, "period", field)
    assert field_value(page.text, "period", field) == period[field]
    assert admin.get(f"/credits/accounts/{number}/statement", format="csv", **period).status_code == 422


def test_the_portal_page_its_json_twin_and_csv(moved: CreditSite) -> None:
    site, number = moved, moved.registry.jp_pp
    holder = site.browsers["holder"]
    account_page = holder.get(f"/credits/accounts/{number}").text
    assert f'href="/credits/accounts/{number}/statement"' in account_page
    api = statement(site, number)
    page = holder.get(f"/credits/accounts/{number}/statement")
    assert page.status_code == 200
    closing = re.search(r'id="statement-closing"[^>]*>([\d,]+)<', page.text)
    assert closing and int(closing.group(1).replace(",", "")) == site.balance(number)
    assert all(f'id="transaction-{line["seq"]}"' in page.text for line in api["lines"])
    assert holder.get(f"/credits/accounts/{number}/statement", format="json").json() == api

    download = holder.get(f"/credits/accounts/{number}/statement", format="csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert f'filename="{number}_start_now.csv"' in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows[0]["kind"] == "opening_balance" and rows[-1]["kind"] == "closing_balance"
    assert int(rows[-1]["balance_credits"]) == api["closing_balance_credits"]
    assert [int(r["seq"]) for r in rows[1:-1]] == [line["seq"] for line in api["lines"]]
    assert "取引明細" in holder.get(f"/credits/accounts/{number}/statement", lang="ja").text


def test_only_the_holder_and_the_registry_administrators_read_a_statement(moved: CreditSite) -> None:
    site, registry = moved, moved.registry
    path = f"/api/v1/registry/accounts/{registry.jp_pp}/statement"
    assert site.browsers["holder"].client.get(path).status_code == 200
    assert site.browsers["jp_admin"].client.get(path).status_code == 200
    assert site.browsers["vn_admin"].client.get(path).status_code == 403
    assert site.browsers["outsider"].client.get(path).status_code == 403
    assert site.browsers["public"].client.get(path).status_code == 401
    assert site.browsers["holder"].client.get(path.replace(registry.jp_pp, registry.jp_gov)).status_code == 403
    assert site.browsers["outsider"].get(f"/credits/accounts/{registry.jp_pp}/statement").status_code == 403
    assert site.browsers["jp_admin"].client.get(path.replace(registry.jp_pp, "JPN-P-999999")).status_code == 404
