"""The chain's portal pages over real HTTP with sessions, on both backends.

A participant checks monitoring data (the engine's reductions and data checks shown before
anything is stored) and submits exactly what was checked; the assigned TPE verifies and
raises findings; the participant responds; the Joint Committee notifies the issuance. Each
refusal (a wrong role, a TPE not assigned, the submitter's organization verifying, issuance
while a corrective action request is open, bad input) comes back with the problem and
changes nothing; "my tasks" lists each person's next step from the same rules as the forms.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from c3p.credits import monitoring_reports, verification
from c3p.credits.rules.authorizations import FirstTransfer
from c3p.credits.tables import CreditIssuance, JournalEntry, MonitoringReport, VerificationFinding
from c3p.db.database import Database
from c3p.settings import Settings
from c3p.workflow.service import jcm
from tests.conftest import LiveServer
from tests.integration.web.conftest import Browser
from tests.integration.web.test_workflow_forms import field_error
from tests.support.credits import (
    PROJECT,
    TPE,
    Registry,
    create_jcm_project,
    create_registry,
    submit_report,
)
from tests.support.workflow import Person, create_person

UNASSIGNED = "vn-008"
#: params of the test methodology (VN_AM007): 1 tCO2 per MWh
PARAMS = {"EF_RE,i": {"value": 1, "unit": "tCO2/MWh"}, "PC_i": {"value": 1e9, "unit": "kW"}}


def monitoring_csv(mwh: int, day: dt.date) -> bytes:
    return f'site_id,timestamp,parameter,value,unit\nS1,{day} 00:00,"EG_i,p",{mwh},MWh\n'.encode()


class ChainBrowser(Browser):
    def upload(self, path: str, files: list[tuple[str, bytes]], data: dict[str, str]) -> httpx.Response:
        parts = [("monitoring", (name, content, "text/csv")) for name, content in files]
        body = {**data, "csrf_token": self.csrf}
        return self.client.post(
            path, params={"lang": self.lang}, data=body, files=parts, headers={"accept": "text/html"}
        )


@dataclass
class ChainSite:
    server: LiveServer
    registry: Registry
    people: dict[str, Person]
    browsers: dict[str, ChainBrowser]

    @property
    def database(self) -> Database:
        return self.registry.database

    def state(self) -> dict[str, Any]:
        """What a refused form must leave as it was: reports, findings, issuances, the journal, the verifier."""
        with self.database.reading() as session:
            reports = session.execute(
                select(MonitoringReport.id, MonitoringReport.status, MonitoringReport.verified_tco2)
            )
            findings = session.execute(
                select(VerificationFinding.id, VerificationFinding.status, VerificationFinding.response)
            )
            return {
                "reports": sorted(tuple(r) for r in reports),
                "findings": sorted(tuple(f) for f in findings),
                "issuances": session.scalar(select(func.count()).select_from(CreditIssuance)),
                "journal": session.scalar(select(func.count()).select_from(JournalEntry)),
                "verifier": jcm.jcm_by_slug(session, UNASSIGNED).verifier_slug,
            }

    def report(self, day: dt.date, reductions: int = 500, verified: int | None = None) -> int:
        """A report of ``day`` submitted by the participant's organization (through the service)."""
        actor = self.people["participant"].actor(self.database)
        report = submit_report(self.database, self.registry.settings, reductions, day, actor=actor)
        if verified is not None:
            with self.database.unit_of_work() as session:
                tpe = self.people["tpe"].actor(self.database)
                verification.verify(session, tpe, report.id, verified, "reasonable assurance")
        return report.id


@pytest.fixture(scope="module")
def chain_site(backend: str, new_database_url, tmp_path_factory) -> Iterator[ChainSite]:  # type: ignore[no-untyped-def]
    from c3p.web.app import create_app

    database = Database(new_database_url(backend))
    database.upgrade()
    settings = Settings(data_dir=tmp_path_factory.mktemp("chain"), database_url=database.url, cookie_secure=False)
    registry = create_registry(database, settings)
    create_jcm_project(database, settings, slug=UNASSIGNED, serial_code="VN008", tpe=None)
    people = {
        "participant": create_person(database, "project_participant", PROJECT, organization="acme-vn"),
        "tpe": create_person(database, "tpe", organization=TPE),
        "tpe_colleague": create_person(database, "project_participant", PROJECT, organization=TPE),
        "other_tpe": create_person(database, "tpe", organization="tpe-other"),
        "jc": create_person(database, "joint_committee_member", "VNM", organization="vn-jc"),
        "secretariat": create_person(database, "secretariat", organization="moej-sec"),
        "outsider": create_person(database, None),
    }
    server = LiveServer(create_app(settings, database), settings.data_dir).start()
    browsers = {name: ChainBrowser(server, person) for name, person in people.items()}
    browsers["public"] = ChainBrowser(server)
    yield ChainSite(server, registry, people, browsers)
    for browser in browsers.values():
        browser.client.close()
    server.stop()
    database.dispose()


def problem_of(html: str, form: str) -> str:
    found = re.search(rf'id="{form}-problem".*?</div>', html, re.S)
    assert found, f"no problem shown for {form}"
    return re.sub(r"<[^>]+>", "", found.group(0))


def test_the_participant_checks_then_submits_exactly_what_was_checked(chain_site: ChainSite) -> None:
    site = chain_site
    participant = site.browsers["participant"]
    page = participant.get(f"/jcm-projects/{PROJECT}/reports")
    assert 'id="check-form"' in page.text and 'id="verifier-form"' not in page.text
    day = dt.date(2024, 3, 1)
    before = site.state()
    data = {"params": json.dumps(PARAMS), "period_start": str(day), "period_end": str(day)}
    checked = participant.upload(f"/jcm-projects/{PROJECT}/reports/check", [("m.csv", monitoring_csv(321, day))], data)
    assert checked.status_code == 200, checked.text[-2000:]
    assert re.search(r'id="checked-reductions">321<', checked.text)
    assert site.state() == before  # a check stores no report
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)  # type: ignore[union-attr]
    signature = re.search(r'name="signature" value="([^"]+)"', checked.text).group(1)  # type: ignore[union-attr]

    # a token changed by hand (another file, another person) is refused, nothing stored
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = participant.post(f"/jcm-projects/{PROJECT}/reports", {"token": forged, "signature": signature})
    assert refused.status_code == 422 and "Check the monitoring data first" in problem_of(refused.text, "submit")
    colleague = site.browsers["tpe_colleague"]
    refused = colleague.post(f"/jcm-projects/{PROJECT}/reports", {"token": token, "signature": signature})
    assert refused.status_code == 422
    assert site.state() == before

    submitted = participant.post(f"/jcm-projects/{PROJECT}/reports", {"token": token, "signature": signature})
    assert submitted.status_code == 303, submitted.text[-2000:]
    report = participant.follow(submitted).text
    assert re.search(r'id="report-claimed">321<', report) and str(day) in report
    again = participant.post(f"/jcm-projects/{PROJECT}/reports", {"token": token, "signature": signature})
    assert again.status_code == 409 and "already reported as period" in problem_of(again.text, "submit")


def test_refused_monitoring_data_comes_back_by_its_field(chain_site: ChainSite) -> None:
    site = chain_site
    participant = site.browsers["participant"]
    before = site.state()
    path = f"/jcm-projects/{PROJECT}/reports/check"
    empty = participant.upload(path, [], {"params": "{}"})
    assert empty.status_code == 422 and "at least one monitoring data file" in field_error(
        empty.text, "check", "monitoring"
    )
    bad_json = participant.upload(path, [("m.csv", monitoring_csv(5, dt.date(2024, 5, 1)))], {"params": "{oops"})
    assert bad_json.status_code == 422 and "not valid JSON" in field_error(bad_json.text, "check", "params")
    assert "{oops" in bad_json.text  # what was typed comes back
    pdf = participant.upload(path, [("m.pdf", b"%PDF-1.4")], {"params": "{}"})
    assert pdf.status_code == 422 and "CSV, xlsx or Parquet" in field_error(pdf.text, "check", "monitoring")
    assert site.state() == before


def test_the_tpe_is_assigned_on_the_reports_page(chain_site: ChainSite) -> None:
    site = chain_site
    path = f"/jcm-projects/{UNASSIGNED}/reports"
    assert 'id="verifier-form"' not in site.browsers["participant"].get(path).text
    before = site.state()
    assert site.browsers["participant"].post(f"/jcm-projects/{UNASSIGNED}/verifier", {"tpe": TPE}).status_code == 403
    unknown = site.browsers["jc"].post(f"/jcm-projects/{UNASSIGNED}/verifier", {"tpe": "no-such-tpe"})
    assert unknown.status_code == 404 and "no member organization" in field_error(unknown.text, "verifier", "tpe")
    assert site.state() == before
    tasks = site.browsers["jc"].get("/account/tasks").text
    assert f"Assign the TPE that verifies JCM project {UNASSIGNED}" in tasks
    assert 'id="verifier-form"' in site.browsers["secretariat"].get(path).text
    done = site.browsers["jc"].post(f"/jcm-projects/{UNASSIGNED}/verifier", {"tpe": "tpe-other"})
    assert done.status_code == 303
    assert re.search(r'id="assigned-tpe">tpe-other<', site.browsers["jc"].follow(done).text)
    assert (
        f"Assign the TPE that verifies JCM project {UNASSIGNED}" not in site.browsers["jc"].get("/account/tasks").text
    )


def test_verification_findings_and_issuance_are_refused_to_the_wrong_people(chain_site: ChainSite) -> None:
    site = chain_site
    report = site.report(dt.date(2024, 6, 1), reductions=400)
    path = f"/credits/reports/{report}"
    verify = {"verified_tco2": "400", "opinion": "fair"}
    assert 'id="verification-form"' in site.browsers["tpe"].get(path).text
    for who in ("other_tpe", "participant", "jc", "public"):
        assert 'id="verification-form"' not in site.browsers[who].get(path).text, who
    before = site.state()
    assert site.browsers["participant"].post(f"{path}/verification", verify).status_code == 403  # wrong role
    assert site.browsers["public"].post(f"{path}/verification", verify).status_code == 401
    unassigned = site.browsers["other_tpe"].post(f"{path}/verification", verify)
    assert unassigned.status_code == 403
    refusal = problem_of(unassigned.text, "verification")
    assert "does not cover organization TPE-VN" in refusal and TPE not in refusal  # by its name, not its code
    too_much = site.browsers["tpe"].post(f"{path}/verification", {"verified_tco2": "401", "opinion": "fair"})
    assert too_much.status_code == 422
    assert "exceeds the claimed reductions" in field_error(too_much.text, "verification", "verified_tco2")
    no_opinion = site.browsers["tpe"].post(f"{path}/verification", {"verified_tco2": "10", "opinion": ""})
    assert no_opinion.status_code == 422 and field_error(no_opinion.text, "verification", "opinion")
    assert site.state() == before

    # a report handed in by the TPE's own organization is never verified by it
    own = site.browsers["tpe_colleague"]
    page = own.get(f"/jcm-projects/{PROJECT}/reports")
    assert 'id="check-form"' in page.text
    day = dt.date(2024, 7, 1)
    data = {"params": json.dumps(PARAMS), "period_start": str(day), "period_end": str(day)}
    checked = own.upload(f"/jcm-projects/{PROJECT}/reports/check", [("own.csv", monitoring_csv(77, day))], data)
    fields = {k: re.search(rf'name="{k}" value="([^"]+)"', checked.text).group(1) for k in ("token", "signature")}  # type: ignore[union-attr]
    own_report = own.follow(own.post(f"/jcm-projects/{PROJECT}/reports", fields)).url.path.rsplit("/", 1)[-1]
    before = site.state()
    assert 'id="verification-form"' not in site.browsers["tpe"].get(f"/credits/reports/{own_report}").text
    refused = site.browsers["tpe"].post(
        f"/credits/reports/{own_report}/verification", {"verified_tco2": "77", "opinion": "x"}
    )
    assert refused.status_code == 403 and "submitted by you or your organization" in problem_of(
        refused.text, "verification"
    )
    assert site.state() == before


def test_issuance_waits_for_the_corrective_action_request_and_my_tasks_follow_the_chain(chain_site: ChainSite) -> None:
    site, registry = chain_site, chain_site.registry
    report = site.report(dt.date(2024, 8, 1), reductions=300)
    path = f"/credits/reports/{report}"
    tpe, participant, jc = (site.browsers[w] for w in ("tpe", "participant", "jc"))
    assert f"Verify monitoring report {report}" in tpe.get("/account/tasks").text
    raised = tpe.post(f"{path}/findings", {"kind": "corrective_action_request", "text": "meter calibration missing"})
    assert raised.status_code == 303
    assert tpe.follow(tpe.post(f"{path}/verification", {"verified_tco2": "290", "opinion": "fair"})).status_code == 200
    with site.database.reading() as session:
        (finding,) = monitoring_reports.view(session, monitoring_reports.report_row(session, report)).findings
    assert f"Respond to finding {finding.id} on monitoring report {report}" in participant.get("/account/tasks").text
    assert f"Notify the issuance for monitoring report {report}" not in jc.get("/account/tasks").text
    assert 'id="issuance-form"' not in jc.get(path).text

    notice = {
        "notification_ref": f"JC-VN-CAR-{report}",
        "credits": "290",
        "account_1": registry.jp_gov,
        "credits_1": "150",
        "account_2": registry.vn_pp,
        "credits_2": "140",
        "model_project": "1",
    }
    before = site.state()
    refused = jc.post(f"{path}/issuance", notice)
    assert refused.status_code == 409 and "open corrective action request" in problem_of(refused.text, "issuance")
    assert site.browsers["tpe"].post(f"{path}/issuance", notice).status_code == 403  # a TPE never issues
    early = tpe.post(f"{path}/findings/{finding.id}/close", {})
    assert early.status_code == 409 and "no response from the participant yet" in problem_of(
        early.text, f"close-{finding.id}"
    )
    assert site.state() == before

    answered = participant.post(
        f"{path}/findings/{finding.id}/response", {"response": "calibration certificate attached"}
    )
    assert answered.status_code == 303
    assert f"Close finding {finding.id} on monitoring report {report}" in tpe.get("/account/tasks").text
    assert tpe.post(f"{path}/findings/{finding.id}/close", {}).status_code == 303
    assert f"Notify the issuance for monitoring report {report}" in jc.get("/account/tasks").text

    over = jc.post(f"{path}/issuance", {**notice, "credits": "291", "credits_2": "141"})
    assert over.status_code == 409 and "only 290 verified reductions left" in problem_of(over.text, "issuance")
    bad_line = jc.post(f"{path}/issuance", {**notice, "credits_2": "-1"})
    assert bad_line.status_code == 422 and field_error(bad_line.text, "issuance", "credits_2")
    assert bad_line.text.count(registry.vn_pp) >= 1  # the typed account comes back
    issued = jc.post(f"{path}/issuance", notice)
    assert issued.status_code == 303, issued.text[-2000:]
    shown = jc.follow(issued).text
    assert re.search(r'id="report-issued">290<', shown)
    assert f"Notify the issuance for monitoring report {report}" not in jc.get("/account/tasks").text
    totals = site.browsers["public"].get("/credits/projects").text
    assert f'href="/jcm-projects/{PROJECT}"' in totals


def test_the_workbook_and_verification_record_are_for_the_projects_parties(chain_site: ChainSite) -> None:
    site = chain_site
    report = site.report(dt.date(2024, 9, 1), reductions=250, verified=240)
    path = f"/credits/reports/{report}"
    for who in ("participant", "tpe", "jc"):
        page = site.browsers[who].get(path).text
        assert 'id="download-workbook"' in page, who
        workbook = site.browsers[who].get(f"{path}/workbook.xlsx")
        assert workbook.status_code == 200, who
        sheets = load_workbook(io.BytesIO(workbook.content)).sheetnames
        assert "Results" in sheets and "QA-QC findings" in sheets
        record = site.browsers[who].get(f"{path}/verification.json").json()
        assert record["report"]["verified_tco2"] == 240 and record["assigned_tpe"] == TPE
    for who, status in (("other_tpe", 403), ("outsider", 403), ("public", 401)):
        assert 'id="download-workbook"' not in site.browsers[who].get(path).text
        assert site.browsers[who].get(f"{path}/workbook.xlsx").status_code == status, who
        assert site.browsers[who].get(f"{path}/verification.json").status_code == status, who
    # the public sees the report without the people behind it
    public = site.browsers["public"].get(path, format="json").json()
    assert public["submitted_by"] == "" and public["verified_tco2"] == 240


def test_the_pages_speak_japanese(chain_site: ChainSite) -> None:
    site = chain_site
    report = site.report(dt.date(2024, 10, 1), reductions=10)
    tpe = ChainBrowser(site.server, site.people["tpe"], lang="ja")
    page = tpe.get(f"/credits/reports/{report}").text
    assert "検証を記録する" in page and "モニタリング報告書" in page
    listing = ChainBrowser(site.server, site.people["participant"], lang="ja").get(f"/jcm-projects/{PROJECT}/reports")
    assert "データを確認する" in listing.text and "モニタリング期間" in listing.text


#: the first-transfer definitions as the labels template words them, in the form's order
DEFINITIONS = {
    "en": {
        "use_or_cancellation": "first transferred when they are cancelled for other international mitigation purposes",
        "first_international_transfer": "first transferred when they first leave the host country's registry",
        "authorization": "first transferred when the authorization is recorded",
        "issuance": "first transferred at their issuance",
    },
    "ja": {
        "use_or_cancellation": "その他の国際緩和目的のために取り消されるとき",
        "first_international_transfer": "ホスト国の登録簿から他国の登録簿へ初めて移るときに初回移転となります",
        "authorization": "承認が記録されたときに初回移転となります",
        "issuance": "発行時に初回移転となります",
    },
}
BAD_CHOICE = {"en": "Choose one of the options listed.", "ja": "一覧から選んでください。"}


def _options(html: str) -> dict[str, str]:
    found = re.search(r'<select id="issuance-first_transfer" name="first_transfer"[^>]*>(.*?)</select>', html, re.S)
    assert found, "no first-transfer choice on the notification form"
    return {value: text for value, text in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', found.group(1))}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_notification_form_names_the_first_transfer_definition(chain_site: ChainSite, lang: str) -> None:
    """The form offers the definitions the API accepts, in words; a bad one is refused on the form, a good one kept."""
    site, registry = chain_site, chain_site.registry
    report = site.report(dt.date(2024, 11, 1 if lang == "en" else 2), reductions=100, verified=100)
    path = f"/credits/reports/{report}"
    jc = ChainBrowser(site.server, site.people["jc"], lang=lang)
    options = _options(jc.get(path).text)
    assert set(options) == {"", *(str(d) for d in FirstTransfer)}
    for code, words in DEFINITIONS[lang].items():
        assert words in options[code], (code, options[code])
    assert DEFINITIONS[lang]["use_or_cancellation"] in options[""]  # the default said as what it is

    ref = f"JC-VN-FT-{report}"
    notice = {
        "notification_ref": ref,
        "credits": "100",
        "account_1": registry.jp_gov,
        "credits_1": "60",
        "account_2": registry.vn_pp,
        "credits_2": "40",
        "model_project": "1",
        "authorized": "1",
    }
    before = site.state()
    refused = jc.post(f"{path}/issuance", {**notice, "first_transfer": "at_some_point"})
    assert refused.status_code == 422
    assert field_error(refused.text, "issuance", "first_transfer").endswith(BAD_CHOICE[lang])
    assert 'id="issuance-first_transfer"' in refused.text and 'aria-invalid="true"' in refused.text
    assert site.state() == before

    assert jc.post(f"{path}/issuance", {**notice, "first_transfer": "issuance"}).status_code == 303
    issuances = site.browsers["public"].get("/credits/issuances", format="json").json()["items"]
    mine = next(i for i in issuances if i["notification_ref"] == ref)
    assert mine["authorizations"] and {a["first_transfer"] for a in mine["authorizations"]} == {"issuance"}
