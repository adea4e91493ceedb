"""The Article 6.2 annual report as an Excel workbook, one sheet per table of the agreed format.

Column headings are the AEF's own English wording (the format is submitted in English); the
JCM serials stand beside the decision 6/CMA.4 identifiers of the same range. The last sheets
are the balances at 31 December and the consistency checks.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from c3p.credits.rules.aef import ActionRow, ActionType, AefReport

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: field -> heading, in the AEF's order (unit identifiers first, then quantities)
UNIT_COLUMNS = {
    "authorization_id": "Authorization ID",
    "first_transferring_party": "First transferring participating Party ID",
    "party_itmo_registry_id": "Party ITMO registry ID",
    "first_id": "First ID",
    "last_id": "Last ID",
    "jcm_serials": "Underlying unit: JCM serials",
    "quantity_tco2e": "Quantity (t CO2 eq)",
    "vintage": "Vintage",
}
ACTION_COLUMNS = {
    "action_date": "Action date",
    "action_type": "Action type",
    "action_subtype": "Action subtype",
    **UNIT_COLUMNS,
    "transferring_party": "Transferring participating Party ID",
    "acquiring_party": "Acquiring participating Party ID",
    "using_party": "Using/cancelling participating Party ID",
    "purpose": "Purpose (NDC or OIMP)",
    "journal_seq": "Journal entry",
}
AUTHORIZATION_COLUMNS = {
    "authorization_id": "Authorization ID",
    "authorization_date": "Date of authorization",
    "cooperative_approach_id": "Cooperative approach ID",
    "authorized_parties": "Authorized participating Party IDs",
    "first_transferring_party": "First transferring participating Party ID",
    "quantity_tco2e": "Quantity (t CO2 eq)",
    "vintage": "Vintage",
    "purposes": "Purposes for authorization",
    "first_transfer_definition_oimp": "First transfer definition (OIMP)",
    "registry": "Party ITMO registry",
    "first_unit": "First unit",
    "last_unit": "Last unit",
    "version": "Version of the authorization",
    "decision_ref": "Authorizing decision",
    "decided_on": "Date of the decision",
}
ENTITY_COLUMNS = {
    "authorization_id": "Authorization ID",
    "registry": "Party ITMO registry",
    "first_unit": "First unit",
    "last_unit": "Last unit",
    "version": "Version of the authorization",
    "entity": "Authorized entity",
}
HOLDING_COLUMNS = {**UNIT_COLUMNS, "account": "Account", "account_kind": "Account kind"}
BALANCE_COLUMNS = {
    "account": "Account",
    "account_kind": "Account kind",
    "balance_credits": "Balance replayed from the journal",
    "authorized_credits": "Authorized units in Table 4",
    "other_credits": "Units not authorized",
}
#: the brief's three views of Table 3, each one sheet
ACTION_SHEETS = (
    ("Table 3a First transfers", (ActionType.first_transfer,)),
    ("Table 3b Transfers+acquisitions", (ActionType.transfer, ActionType.acquisition)),
    ("Table 3c Uses+cancellations", (ActionType.use, ActionType.cancellation)),
)


def _sheet(book: Workbook, title: str, columns: dict[str, str], rows: Sequence[Any]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(list(columns.values()))
    for row in rows:
        values = row.model_dump(mode="json")
        sheet.append([values[name] for name in columns])
    sheet.freeze_panes = "A2"
    return sheet


def _submission(book: Workbook, report: AefReport, version: int | None, submitted_at: str) -> None:
    sheet = book.active
    assert sheet is not None
    sheet.title = "Table 1 Submission"
    for label, value in (
        ("Party", report.country),
        ("Version", version if version is not None else "draft"),
        ("Reported year", report.year),
        ("Date of submission", submitted_at),
        ("Holdings as of", report.as_of),
        ("Cooperative approach ID", report.cooperative_approach_id),
        ("Status", _status(report)),
        ("Consistency checks passed", "yes" if report.consistent else "NO"),
    ):
        sheet.append([label, value])


def _status(report: AefReport) -> str:
    if not report.draft:
        return "final"
    partners = ", ".join(report.partners_without_approach_id)
    return f"DRAFT: no cooperative approach ID on record for {partners} (identifiers carry the placeholder CA0000)"


def workbook(report: AefReport, version: int | None = None, submitted_at: str = "") -> bytes:
    """The report as .xlsx bytes (a draft when ``version`` is None)."""
    from openpyxl import Workbook  # here: the web app starts without it

    book = Workbook()
    _submission(book, report, version, submitted_at)
    _sheet(book, "Table 2 Authorizations", AUTHORIZATION_COLUMNS, report.authorizations)
    for title, types in ACTION_SHEETS:
        rows: list[ActionRow] = report.of_type(*types)
        _sheet(book, title, ACTION_COLUMNS, rows)
    _sheet(book, "Table 4 Holdings 31 December", HOLDING_COLUMNS, report.holdings)
    _sheet(book, "Table 5 Authorized entities", ENTITY_COLUMNS, report.entities)
    _sheet(book, "Balances 31 December", BALANCE_COLUMNS, report.balances)
    checks = book.create_sheet("Consistency checks")
    checks.append(["Check", "Other country", "Passed", "Differences"])
    for check in report.checks:
        checks.append(
            [str(check.name), check.other_country, "yes" if check.passed else "NO", "; ".join(check.differences)]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
