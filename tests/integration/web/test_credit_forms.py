"""The credit registry's portal forms over real HTTP with sessions, on both backends.

A holder transfers, retires and cancels from its own account page; a registry administrator
changes an account's status, opens holding accounts and accepts or rejects transfers from
the other registry. Each refusal of the input comes back as the form with what was typed
and the problem next to its field, and changes nothing; people the policy refuses get the
403 page and do not see the forms.
"""

from __future__ import annotations

import re

import pytest

from c3p.credits import queries
from tests.integration.web.conftest import Browser, CreditSite
from tests.integration.web.test_workflow_forms import field_error, field_value

FORMS = ("transfer-form", "retire-form", "cancel-form", "status-form")


def shown_forms(html: str) -> set[str]:
    return {form for form in FORMS if f'id="{form}"' in html}


def test_the_holder_transfers_from_the_form_and_sees_the_transaction(credit_site: CreditSite) -> None:
    site, registry = credit_site, credit_site.registry
    holder = site.browsers["holder"]
    page = holder.get(f"/credits/accounts/{registry.jp_pp}")
    assert page.status_code == 200
    assert shown_forms(page.text) == {"transfer-form", "retire-form", "cancel-form"}
    before = site.balance(registry.jp_pp)

    done = holder.post(f"/credits/accounts/{registry.jp_pp}/transfer", {"to_account": registry.jp_gov, "credits": "7"})
    assert done.status_code == 303
    seq = re.search(r"done=(\d+)#transaction-\1$", done.headers["location"])
    assert seq, done.headers["location"]
    shown = holder.follow(done).text
    assert f"Transaction {seq.group(1)} is recorded." in shown
    row = re.search(rf'<tr id="transaction-{seq.group(1)}">(.*?)</tr>', shown, re.S)
    assert row and "Transfer" in row.group(1) and registry.jp_gov in row.group(1) and ">7<" in row.group(1)
    assert site.balance(registry.jp_pp) == before - 7


def test_the_holder_retires_and_cancels_from_the_forms(credit_site: CreditSite) -> None:
    site, registry = credit_site, credit_site.registry
    holder, number = site.browsers["holder"], registry.jp_pp
    before = site.balance(number)
    retired = holder.post(
        f"/credits/accounts/{number}/retire", {"purpose": "Japan's NDC (FY2030)", "beneficiary": "ACME", "credits": "3"}
    )
    assert "Retirement" in holder.follow(retired).text
    cancelled = holder.post(f"/credits/accounts/{number}/cancel", {"credits": "1,0", "reason": "a test"})
    assert "Cancellation" in holder.follow(cancelled).text
    assert site.balance(number) == before - 13
    public = site.browsers["public"].get("/credits/retirements").text
    assert "Japan&#39;s NDC (FY2030)" in public and "ACME" in public


@pytest.mark.parametrize(
    ("form", "data", "field", "message", "status"),
    [
        ("transfer", {"to_account": "{jp_gov}", "credits": "abc"}, "credits", "Enter a whole number", 422),
        ("transfer", {"to_account": "{jp_gov}", "credits": "0"}, "credits", "out of range", 422),
        ("transfer", {"to_account": "", "credits": "5"}, "to_account", "Fill in this field.", 422),
        ("transfer", {"to_account": "JPN-P-999999", "credits": "5"}, "to_account", "no account JPN-P-999999", 422),
        ("transfer", {"to_account": "{jp_gov}", "serial": "JCM-XYZ"}, "serial", "is not a credit serial", 422),
        ("transfer", {"to_account": "{jp_gov}"}, "credits", "give a number of credits or a serial range", 422),
        ("transfer", {"to_account": "{jp_gov}", "credits": "999999"}, None, "holds only", 422),
        ("transfer", {"to_account": "{jp_pp}", "credits": "1"}, "to_account", "are the same", 422),
        ("retire", {"purpose": "", "beneficiary": "ACME", "credits": "1"}, "purpose", "Fill in this field.", 422),
        ("cancel", {"credits": "-2", "reason": "kept"}, "credits", "out of range", 422),
    ],
)
def test_refused_input_comes_back_with_the_problem_and_changes_nothing(
    credit_site: CreditSite, form: str, data: dict[str, str], field: str | None, message: str, status: int
) -> None:
    site, number = credit_site, credit_site.registry.jp_pp
    data = {name: value.format(jp_gov=site.registry.jp_gov, jp_pp=number) for name, value in data.items()}
    before = site.state()
    refused = site.browsers["holder"].post(f"/credits/accounts/{number}/{form}", data)
    assert refused.status_code == status, refused.text[-1500:]
    if field is None:
        problem = re.search(rf'id="{form}-problem".*?</div>', refused.text, re.S)
        assert problem and message in problem.group(0)
    else:
        assert message in field_error(refused.text, form, field)
    for name, value in data.items():
        assert field_value(refused.text, form, name) == value.replace("'", "&#39;")
    assert site.state() == before


def test_people_the_policy_refuses_get_403_and_no_forms(credit_site: CreditSite) -> None:
    site, registry = credit_site, credit_site.registry
    jp, vn = f"/credits/accounts/{registry.jp_pp}", f"/credits/accounts/{registry.vn_pp}"
    transfer = {"to_account": registry.jp_gov, "credits": "1"}
    refusals = [
        ("outsider", f"{jp}/transfer", transfer, True, 403),
        ("vn_holder", f"{jp}/retire", transfer, True, 403),
        ("jp_admin", f"{vn}/cancel", {"credits": "1"}, True, 403),
        ("public", f"{jp}/transfer", transfer, True, 401),
        ("holder", f"{jp}/status", {"status": "suspended"}, True, 403),
        ("holder", "/credits/accounts", {"registry": "JPN", "holder": "acme-jp"}, True, 403),
        ("holder", "/credits/pending/x/accept", {}, True, 403),
        ("holder", f"{jp}/transfer", transfer, False, 403),
        ("member", f"{jp}/transfer", transfer, True, 403),
        ("member", f"{jp}/retire", {"credits": "1", "purpose": "NDC", "beneficiary": "x"}, True, 403),
        ("member", f"{jp}/cancel", {"credits": "1"}, True, 403),
        ("jp_admin", f"{jp}/transfer", transfer, True, 403),
    ]
    before = site.state()
    for who, path, data, csrf, status in refusals:
        assert site.browsers[who].post(path, data, csrf=csrf).status_code == status, (who, path)
    assert site.state() == before
    assert site.browsers["outsider"].get(jp).status_code == 403
    assert shown_forms(site.browsers["jp_admin"].get(jp).text) == {"status-form"}
    assert shown_forms(site.browsers["member"].get(jp).text) == set()  # the holder's member reads, never moves
    assert 'id="open-form"' not in site.browsers["holder"].get("/credits/accounts").text
    assert site.browsers["holder"].get("/credits/pending").status_code == 403


def test_an_administrator_suspends_and_reopens_an_account(credit_site: CreditSite) -> None:
    site, number = credit_site, credit_site.registry.jp_pp
    admin, holder = site.browsers["jp_admin"], site.browsers["holder"]
    assert "status-form" in shown_forms(admin.get(f"/credits/accounts/{number}").text)
    suspended = admin.follow(admin.post(f"/credits/accounts/{number}/status", {"status": "suspended"}))
    assert "Suspended (no transactions)" in suspended.text
    assert shown_forms(holder.get(f"/credits/accounts/{number}").text) == set()
    before = site.state()
    closing = admin.post(f"/credits/accounts/{number}/status", {"status": "closed"})
    assert closing.status_code == 409 and "still holds" in closing.text and site.state() == before
    reopened = admin.follow(admin.post(f"/credits/accounts/{number}/status", {"status": "open"}))
    assert "Open for transactions" in reopened.text
    assert "transfer-form" in shown_forms(holder.get(f"/credits/accounts/{number}").text)


def test_an_administrator_opens_a_holding_account(credit_site: CreditSite) -> None:
    site = credit_site
    admin = site.browsers["jp_admin"]
    page = admin.get("/credits/accounts").text
    assert 'id="open-form"' in page and field_value(page, "open", "registry") == "JPN"
    opened = admin.post("/credits/accounts", {"registry": "jpn", "kind": "participant_holding", "holder": "acme-jp"})
    assert re.fullmatch(r"/credits/accounts/JPN-P-\d{6}\?opened=1", opened.headers["location"])
    assert "The account is opened." in admin.follow(opened).text
    before = site.state()
    unknown = admin.post("/credits/accounts", {"registry": "JPN", "holder": "no-such-org", "name": "Kept"})
    assert unknown.status_code == 422 and "no-such-org" in field_error(unknown.text, "open", "holder")
    assert field_value(unknown.text, "open", "name") == "Kept"
    bad_code = admin.post("/credits/accounts", {"registry": "JAPAN", "holder": "acme-jp"})
    assert bad_code.status_code == 422 and "Use lower-case letters" in field_error(bad_code.text, "open", "registry")
    assert admin.post("/credits/accounts", {"registry": "VNM", "holder": "acme-vn"}).status_code == 403
    assert site.state() == before


def test_the_receiving_registry_accepts_or_rejects_a_transfer_between_registries(credit_site: CreditSite) -> None:
    site, registry = credit_site, credit_site.registry
    holder, vn_admin, jp_admin = site.browsers["holder"], site.browsers["vn_admin"], site.browsers["jp_admin"]
    before = site.balance(registry.vn_pp)
    for credits in ("4", "6"):
        sent = holder.post(
            f"/credits/accounts/{registry.jp_pp}/transfer", {"to_account": registry.vn_pp, "credits": credits}
        )
        assert "Transfer to the other registry" in holder.follow(sent).text
    with site.database.reading() as session:
        waiting = [p["key"] for p in queries.pending(session) if p["to_account"] == registry.vn_pp]
    assert len(waiting) >= 2
    listed = vn_admin.get("/credits/pending").text
    assert all(f'id="pending-{key}"' in listed for key in waiting)
    assert not any(f'id="pending-{key}"' in jp_admin.get("/credits/pending").text for key in waiting)
    assert jp_admin.post(f"/credits/pending/{waiting[0]}/accept").status_code == 403

    accepted = vn_admin.post(f"/credits/pending/{waiting[0]}/accept")
    assert accepted.headers["location"].startswith(f"/credits/accounts/{registry.vn_pp}?done=")
    assert "Transfer between registries accepted" in vn_admin.follow(accepted).text
    jp_before = site.balance(registry.jp_pp)
    rejected = vn_admin.post(f"/credits/pending/{waiting[1]}/reject")
    assert rejected.headers["location"] == "/credits/pending?rejected=1"
    assert site.balance(registry.jp_pp) == jp_before + 6
    assert site.balance(registry.vn_pp) == before + 4

    state = site.state()
    again = vn_admin.post(f"/credits/pending/{waiting[0]}/accept")
    assert again.status_code == 409 and 'id="pending-problem"' in again.text and "already accepted" in again.text
    assert vn_admin.post("/credits/pending/no-such-key/reject").status_code == 404
    assert site.state() == state


def test_the_pages_speak_japanese(credit_site: CreditSite) -> None:
    holder = Browser(credit_site.server, credit_site.people["holder"], lang="ja")
    try:
        page = holder.get(f"/credits/accounts/{credit_site.registry.jp_pp}", lang="ja").text
        assert "クレジットの移転" in page and "クレジットを償却する" in page and "最近の取引" in page
        refused = holder.client.post(
            f"/credits/accounts/{credit_site.registry.jp_pp}/transfer?lang=ja",
            data={"to_account": "", "credits": "x", "csrf_token": holder.csrf},
            headers={"accept": "text/html"},
        )
        assert field_error(refused.text, "transfer", "credits").endswith("整数を入力してください（例：1200）。")
        assert field_error(refused.text, "transfer", "to_account").endswith("この項目を入力してください。")
    finally:
        holder.client.close()


def test_a_japanese_holder_reads_the_refusal_in_japanese_and_the_api_keeps_english(credit_site: CreditSite) -> None:
    """Signed in with a Japanese account, the form's refusal is Japanese; the API's detail stays English."""
    site, number = credit_site, credit_site.registry.jp_pp
    holder = Browser(site.server, site.people["holder"], lang="ja")
    held, before = site.balance(number), site.state()
    try:
        refused = holder.post(
            f"/credits/accounts/{number}/transfer", {"to_account": site.registry.jp_gov, "credits": "999999"}
        )
        assert refused.status_code == 422 and '<html lang="ja">' in refused.text
        problem = re.search(r'id="transfer-problem".*?</div>', refused.text, re.S)
        assert problem and f"口座が保有するクレジットは、求められた999999のうち{held}だけです。" in problem.group(0)
        assert 'lang="en"' not in problem.group(0)
        unknown = holder.post(f"/credits/accounts/{number}/transfer", {"to_account": "JPN-P-999999", "credits": "1"})
        assert field_error(unknown.text, "transfer", "to_account").endswith("口座 JPN-P-999999 はありません。")

        api = holder.client.post(
            "/api/v1/registry/transfers",
            json={"from_account": number, "to_account": site.registry.jp_gov, "credits": 999999},
            headers={"x-csrf-token": holder.csrf, "accept-language": "ja"},
        )
        assert api.status_code == 422 and api.headers["content-type"] == "application/problem+json"
        assert api.json()["detail"] == f"the account holds only {held} of the 999999 credits asked for"
        assert api.json()["title"] == "Invalid input"
    finally:
        holder.client.close()
    assert site.state() == before
