"""A call set up completely in the portal, its public page, and the secretariat's tools, over real HTTP.

Each form works for the secretariat, comes back with the problem next to the field and what was
typed when the input is bad (nothing saved), and is refused to others.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from c3p.accounts.rules.policy import Actor
from c3p.db import tables as t
from c3p.workflow.service import calls, review
from tests.conftest import LiveServer
from tests.integration.web import test_workflow_forms
from tests.integration.web.test_workflow_forms import CSRF, Visitor
from tests.support.workflow import PDF, complete_draft, create_person

server = test_workflow_forms.server  # the same live server fixture, one per module
JST = ZoneInfo("Asia/Tokyo")
YEARS = itertools.count(2070)


@pytest.fixture(scope="module")
def secretariat(server: LiveServer) -> Visitor:
    return Visitor(server, "secretariat")


def open_call(secretariat: Visitor, **fields: str) -> str:
    year = str(next(YEARS))
    closes = (dt.datetime.now(JST) + dt.timedelta(days=30)).strftime("%Y-%m-%dT17:00")
    answer = secretariat.post("/calls", "/calls", {"fiscal_year": year, "closes_at": closes, **fields})
    assert answer.status_code == 303, answer.text[-1500:]
    return f"{year}-1"


def stored_call(server: LiveServer, slug: str) -> t.Call:
    with server.database.reading() as session:  # type: ignore[attr-defined]
        call = calls.call_by_slug(session, slug)
        session.expunge(call)
        return call


def settings_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {
        "title_ja": "令和九年度 都市間連携事業 第1回公募",
        "title_en": "City-to-City Collaboration, FY2027 first call",
        "opens_at": (dt.datetime.now(JST) - dt.timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
        "closes_at": (dt.datetime.now(JST) + dt.timedelta(days=20)).strftime("%Y-%m-%dT17:00"),
        "max_budget_jpy_per_year": "３０,０００,０００",
        "max_plan_years": "2",
        "target_countries_present": "1",
        "target_countries": ["VNM", "THA", "MYS"],
        "priority_countries_present": "1",
        "priority_countries": ["MYS"],
        "target_fields_present": "1",
        "target_fields": ["energy-efficiency", "renewable-energy"],
        "required_attachments_present": "1",
        "required_attachments": ["application_form", "budget_sheet"],
        "rubric": "impact | 脱炭素効果 | Decarbonization effect | 5 | 3\n"
        "plan | 計画の妥当性 | Soundness of the plan | 5 | 1",
    }
    values.update(changes)
    return values


def post_form(visitor: Visitor, page: str, action: str, data: dict[str, str | list[str]]):  # type: ignore[no-untyped-def]
    token = CSRF.search(visitor.page(page).text)
    assert token
    return visitor.client.post(action, data={**data, "csrf_token": token.group(1)})


def test_the_portal_keeps_a_deadline_typed_in_japan_time(server: LiveServer, secretariat: Visitor) -> None:
    """A day alone means its last second in Japan, never 23:59 UTC (08:59 the next morning in Japan)."""
    slug = open_call(secretariat)
    assert calls.aware(stored_call(server, slug).closes_at).astimezone(JST).strftime("%H:%M") == "17:00"
    day = (dt.date.today() + dt.timedelta(days=15)).isoformat()
    other = open_call(secretariat, closes_at=day)
    closes = calls.aware(stored_call(server, other).closes_at).astimezone(JST)
    assert (closes.date().isoformat(), closes.strftime("%H:%M:%S")) == (day, "23:59:59")
    page = secretariat.page(f"/calls/{other}").text
    assert f"{day} 23:59" in page


def test_the_secretariat_sets_every_term_in_the_portal(server: LiveServer, secretariat: Visitor) -> None:
    slug = open_call(secretariat)
    answer = post_form(secretariat, f"/calls/{slug}", f"/calls/{slug}/settings", settings_form())
    assert answer.status_code == 303, answer.text[-3000:]
    call = stored_call(server, slug)
    assert call.title_en == "City-to-City Collaboration, FY2027 first call"
    assert call.max_budget_jpy_per_year == 30_000_000 and call.max_plan_years == 2
    assert (call.target_countries, call.priority_countries) == (["MYS", "THA", "VNM"], ["MYS"])
    assert call.target_fields == ["energy-efficiency", "renewable-energy"]
    assert call.required_attachments == ["application_form", "budget_sheet"]
    assert [(c["key"], c["max_points"], c["weight"]) for c in call.rubric["criteria"]] == [
        ("impact", 5, 3),
        ("plan", 5, 1),
    ]
    assert calls.aware(call.closes_at).astimezone(JST).strftime("%H:%M") == "17:00"

    cleared = settings_form(max_budget_jpy_per_year="", target_countries=[], priority_countries=[])
    cleared.pop("target_countries")
    cleared.pop("priority_countries")
    assert post_form(secretariat, f"/calls/{slug}", f"/calls/{slug}/settings", cleared).status_code == 303
    call = stored_call(server, slug)
    assert (call.max_budget_jpy_per_year, call.target_countries, call.priority_countries) == (None, [], [])


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ({"rubric": "impact | 効果 | Effect | five | 3"}, "rubric", "one criterion a line"),
        ({"closes_at": "next friday"}, "closes_at", "2026-05-01 17:00"),
        ({"max_plan_years": "9"}, "max_plan_years", "at most 5"),
        ({"target_countries": ["VNM", "ZZZ"]}, "target_countries", "ZZZ"),
    ],
)
def test_a_bad_term_comes_back_next_to_its_field_with_what_was_typed(
    server: LiveServer, secretariat: Visitor, change: dict[str, str], field: str, said: str
) -> None:
    slug = open_call(secretariat)
    before = stored_call(server, slug)
    answer = post_form(secretariat, f"/calls/{slug}", f"/calls/{slug}/settings", settings_form(**change))
    assert answer.status_code in (409, 422)
    error = re.search(rf'id="settings-{field}-error">(.*?)</span><br>', answer.text, re.S)
    assert error and said.lower() in error.group(1).lower()
    assert "令和九年度 都市間連携事業 第1回公募" in answer.text  # typed values kept
    after = stored_call(server, slug)
    assert (after.title_ja, after.rubric, after.target_countries) == (before.title_ja, before.rubric, [])


def test_the_public_page_says_who_can_apply_in_words_and_how(server: LiveServer, secretariat: Visitor) -> None:
    slug = open_call(secretariat)
    assert post_form(secretariat, f"/calls/{slug}", f"/calls/{slug}/settings", settings_form()).status_code == 303
    upload = secretariat.client.post(
        f"/calls/{slug}/documents",
        data={"kind": "guidelines", "csrf_token": CSRF.search(secretariat.page(f"/calls/{slug}").text).group(1)},  # type: ignore[union-attr]
        files={"file": ("公募要領.pdf", PDF, "application/pdf")},
    )
    assert upload.status_code == 303, upload.text[-2000:]
    public = Visitor(server, None)
    english = public.page(f"/calls/{slug}").text
    eligibility = re.search(r'id="eligibility".*?</section>', english, re.S)
    assert eligibility
    words = eligibility.group(0)
    assert "Malaysia" in words and "Vietnam" in words and "Thailand" in words
    assert "JCM candidate" in words and "Energy efficiency" in words
    assert "30,000,000 yen" in words and "Japan time" in words and "Budget sheet" in words
    assert "MYS" not in words and "energy-efficiency" not in words and "budget_sheet" not in words
    assert 'id="sign-in-to-apply"' in english and "ask the program" in english
    assert 'id="settings-form"' not in english
    japanese = public.client.get(f"/calls/{slug}?lang=ja").text
    assert "マレーシア" in japanese and "日本時間" in japanese and "応募できる方" in japanese

    link = re.search(rf'href="(/calls/{slug}/documents/\d+)"', english)
    assert link
    document = public.client.get(link.group(1))
    assert document.status_code == 200 and document.content == PDF
    assert "attachment" in document.headers["content-disposition"]


def test_documents_are_refused_to_others_and_checked(server: LiveServer, secretariat: Visitor) -> None:
    slug = open_call(secretariat)
    proposer = Visitor(server, "proposer")
    token = CSRF.search(proposer.page(f"/calls/{slug}").text)
    assert token
    refused = proposer.client.post(
        f"/calls/{slug}/documents",
        data={"kind": "guidelines", "csrf_token": token.group(1)},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert refused.status_code == 403
    token = CSRF.search(secretariat.page(f"/calls/{slug}").text)
    assert token
    fake = secretariat.client.post(
        f"/calls/{slug}/documents",
        data={"kind": "guidelines", "csrf_token": token.group(1)},
        files={"file": ("a.pdf", b"MZ not a pdf", "application/pdf")},
    )
    assert fake.status_code == 422 and 'id="document-file-error"' in fake.text
    assert secretariat.client.get(f"/calls/{slug}/documents/999999").status_code == 404


def _submitted(server: LiveServer, slug: str, place: str = "bangkok") -> int:
    proposer = create_person(server.database, "proposer").actor(server.database)  # type: ignore[attr-defined]
    settings = server.server.config.app.state.settings
    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        application = calls.create_application(session, proposer, slug, complete_draft(partner_places=[place]))
        calls.add_attachment(session, proposer, settings, application.id, "application_form", "f.pdf", PDF)
        calls.submit(session, proposer, application.id)
        return application.id


def test_ruling_returning_exporting_and_adopting_from_the_call_page(server: LiveServer, secretariat: Visitor) -> None:
    slug = open_call(secretariat)
    form = settings_form(
        target_countries=["VNM"],
        priority_countries=[],
        target_fields=["energy-efficiency", "policy-support"],
        required_attachments=["application_form"],
    )
    assert post_form(secretariat, f"/calls/{slug}", f"/calls/{slug}/settings", form).status_code == 303
    bangkok, hanoi, returned = _submitted(server, slug), _submitted(server, slug, "hanoi"), _submitted(server, slug)
    page = f"/calls/{slug}"

    missing = post_form(secretariat, page, f"/applications/{bangkok}/eligibility", {"ruling": "eligible", "reason": ""})
    assert missing.status_code == 422 and f'id="ruling-{bangkok}-reason-error"' in missing.text
    ruled = {"ruling": "eligible", "reason": "The committee extended the call to Thailand."}
    assert post_form(secretariat, page, f"/applications/{bangkok}/eligibility", ruled).status_code == 303
    assert "The committee extended the call to Thailand." in secretariat.page(page).text

    due = (dt.datetime.now(JST) + dt.timedelta(days=5)).strftime("%Y-%m-%dT12:00")
    back = {"message": "Add the budget sheet.", "due_at": due}
    assert post_form(secretariat, page, f"/applications/{returned}/return", back).status_code == 303
    with server.database.reading() as session:  # type: ignore[attr-defined]
        row = session.get(t.Application, returned)
        assert row is not None and (row.state, row.correction_message) == ("draft", "Add the budget sheet.")

    reviewer = create_person(server.database, "reviewer", slug).actor(server.database)  # type: ignore[attr-defined]
    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        calls.move_call(session, Actor.operator(), slug, "reviewing")
    with server.database.unit_of_work() as session:  # type: ignore[attr-defined]
        keys = [c["key"] for c in calls.call_by_slug(session, slug).rubric["criteria"]]
        review.score(session, reviewer, hanoi, dict.fromkeys(keys, 4), "Strong plan")
        calls.move_call(session, Actor.operator(), slug, "reviewed")

    workbook = secretariat.client.get(f"/calls/{slug}/scores.xlsx")
    assert workbook.status_code == 200
    scores = list(load_workbook(BytesIO(workbook.content))["Scores"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[-1]) for row in scores] == [(hanoi, "Strong plan")]
    assert Visitor(server, "proposer").client.get(f"/calls/{slug}/scores.xlsx").status_code == 403

    too_much = {"application": [str(hanoi), str(bangkok)], f"grant_{hanoi}": "99,000,000", "decided_on": "2026-07-01"}
    refused = post_form(secretariat, page, f"/calls/{slug}/adopt", too_much)
    assert refused.status_code == 409 and "Nothing was adopted" in refused.text
    assert stored_call(server, slug).state == "reviewed"
    chosen = {"application": [str(hanoi), str(bangkok)], f"grant_{hanoi}": "15,000,000", "decided_on": "2026-07-01"}
    adopted_answer = post_form(secretariat, page, f"/calls/{slug}/adopt", chosen)
    assert adopted_answer.status_code == 303, re.findall(r"adopt-problem.*?</div>", adopted_answer.text, re.S)
    with server.database.reading() as session:  # type: ignore[attr-defined]
        adopted = session.get(t.Application, hanoi)
        assert adopted is not None
        assert (adopted.state, adopted.grant_amount_jpy, adopted.grant_decided_on) == (
            "adopted",
            15_000_000,
            dt.date(2026, 7, 1),
        )
        assert session.get(t.Application, bangkok).state == "adopted"  # type: ignore[union-attr]
