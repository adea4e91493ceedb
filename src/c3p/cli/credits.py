"""``c3p registry``: the JCM credit registry from the command line.

Each command is one unit of work (one transaction) through the services of
:mod:`c3p.credits`; every mutating command is guarded by its policy action. ``--format
json`` prints the same models the REST API returns.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from c3p.cli._app import group
from c3p.cli._common import DatabaseOption, FormatOption, check_format, console, open_database, settings_for
from c3p.cli._guard import actor, guarded, moving_credits, writing
from c3p.credits import (
    adjustments,
    aef_reports,
    aef_workbook,
    article6_checks,
    batches,
    certificates,
    checkpoints,
    history,
    monitoring_reports,
    opendata,
    queries,
    representatives,
    service,
    verification,
)
from c3p.credits.monitoring_reports import Calculation, MonitoringFile
from c3p.credits.rules import cadtrust
from c3p.credits.rules import certificates as certificate_rules
from c3p.credits.rules.aef import ActionType, AefReport
from c3p.credits.rules.statements import Period, statement_csv
from c3p.credits.rules.transactions import MAX_CREDITS
from c3p.credits.verify import seal_unsealed
from c3p.credits.verify import verify as verify_journal
from c3p.errors import InvalidInput

app = group()
CreditsOption = Annotated[
    int | None,
    typer.Option("--credits", "-n", min=1, max=MAX_CREDITS, help="Number of credits (whole tCO2e, 1 to 10^12)."),
]
STATEMENT_FORMATS = ("table", "json", "csv")
SerialOption = Annotated[
    str | None,
    typer.Option("--serial", help="A serial or serial range, e.g. JCM-JPN-VNM-VN001-001-000000000001-000000000100."),
]


def _print(value: BaseModel | list[Any] | dict[str, Any], output_format: str, table: Table | None = None) -> None:
    if output_format == "json" or table is None:
        if isinstance(value, BaseModel):
            typer.echo(value.model_dump_json(indent=2))
        else:
            typer.echo(
                json.dumps(
                    [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
                    if isinstance(value, list)
                    else value,
                    indent=2,
                    ensure_ascii=False,
                )
            )
        return
    console.print(table)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None


def _transaction(view: Any, output_format: str) -> None:
    table = Table("seq", "kind", "credits", "from", "to", "status", "serials", title=f"transaction {view.key}")
    table.add_row(
        str(view.seq),
        view.kind,
        str(view.credits),
        view.from_account or "",
        view.to_account or "",
        view.status,
        "\n".join(view.serials),
    )
    _print(view, output_format, table)


@app.command("accounts")
@guarded("credits.read")
def list_accounts(
    registry: Annotated[str | None, typer.Option("--registry", help="Only this registry (ISO3, e.g. JPN).")] = None,
    holder: Annotated[str | None, typer.Option("--holder", help="Only accounts of this organization (slug).")] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """List registry accounts with their kind, holder, status and balance."""
    check_format(output_format)
    who = actor()
    with open_database(db).reading() as session:
        found = queries.visible_accounts(session, who, registry, holder)
    table = Table("number", "kind", "holder", "status", "balance", title=f"{len(found)} accounts")
    for a in found:
        table.add_row(a.number, a.kind, a.holder, a.status, str(a.balance_credits))
    _print(found, output_format, table)


@app.command("open-account")
@guarded("credits.account.open")
def open_account(
    registry: Annotated[str, typer.Option("--registry", help="Registry (country ISO3): JPN or the partner's.")],
    holder: Annotated[str, typer.Option("--holder", help="Holding organization (member organization slug).")],
    kind: Annotated[
        str, typer.Option("--kind", help="government_holding or participant_holding.")
    ] = "participant_holding",
    name: Annotated[str, typer.Option("--name", help="Account name (default: the organization's).")] = "",
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Open a holding account (the registry and its own accounts are opened on first use)."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = service.open_account(session, who, registry.upper(), kind, holder, name)
    _print(view, output_format, None) if output_format == "json" else console.print(f"Opened {view.number}")


@app.command("set-status")
@guarded("credits.account.update")
def set_status(
    number: Annotated[str, typer.Argument(help="Account number.")],
    status: Annotated[str, typer.Argument(help="open, suspended or closed.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Suspend, reopen or close an account (closing needs a zero balance)."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = service.set_account_status(session, who, number, status)
    _print(view, output_format, None) if output_format == "json" else console.print(f"{view.number} is {view.status}")


@app.command("report-submit")
@guarded("mrv.report.submit")
def report_submit(
    project: Annotated[
        str, typer.Option("--project", help="The registered JCM project's slug, e.g. vn-cantho-rooftop-pv.")
    ],
    monitoring: Annotated[
        list[Path], typer.Option("--monitoring", "-d", help="Monitoring data (CSV, xlsx or Parquet); repeat for more.")
    ],
    params: Annotated[Path | None, typer.Option("--params", "-p", help="params.json: fixed values and period.")] = None,
    column_map: Annotated[
        list[str], typer.Option("--map", help="Map a column: canonical=source, e.g. --map site_id=Meter.")
    ] = [],  # noqa: B006 (typer reads the default)
    decimal: Annotated[
        str | None, typer.Option("--decimal", help="Decimal mark of numbers in CSV text: . or ,")
    ] = None,
    record: Annotated[
        Path | None, typer.Option("--record", help="A record computed beforehand: accepted only if it matches.")
    ] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Submit monitoring data: c3p keeps it, computes the report for the project's next period."""
    check_format(output_format)
    given = _read_json(params) if params else {}
    mapping = dict(pair.partition("=")[::2] for pair in column_map)
    if any(not key or not value for key, value in mapping.items()):
        raise InvalidInput("--map: write canonical=source, e.g. site_id=Meter")
    try:
        calculation = Calculation(params=given, column_map=mapping, decimal=decimal)
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None
    claimed = _read_json(record) if record else None
    files = [MonitoringFile(path.name, path) for path in monitoring]
    for given_file in files:
        if not given_file.path.is_file():
            raise InvalidInput(f"{given_file.path}: no such file")
    with writing(open_database(db)) as (session, who):
        view = monitoring_reports.submit(session, who, settings_for(db), project, files, calculation, claimed)
    if output_format == "json":
        _print(view, output_format)
    else:
        console.print(
            f"Report {view.id}: {view.project} period {view.period_number} ({view.period_start} to "
            f"{view.period_end}), {view.emission_reductions_tco2} tCO2 claimed, submitted"
        )


@app.command("report-verify")
@guarded("mrv.report.verify")
def report_verify(
    report_id: Annotated[int, typer.Argument(help="Report number.")],
    verified: Annotated[int, typer.Option("--verified", help="Verified emission reductions (tCO2), at most claimed.")],
    opinion: Annotated[str, typer.Option("--opinion", help="The TPE's verification opinion.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Record the assigned TPE's verification: verified amount and opinion."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = verification.verify(session, who, report_id, verified, opinion)
    if output_format == "json":
        _print(view, output_format)
    else:
        console.print(f"Report {view.id} verified: {view.verified_tco2} tCO2")


@app.command("finding-raise")
@guarded("mrv.report.verify")
def finding_raise(
    report_id: Annotated[int, typer.Argument(help="Report number.")],
    kind: Annotated[
        str, typer.Option("--kind", help="corrective_action_request, clarification_request or forward_action_request.")
    ],
    text: Annotated[str, typer.Option("--text", help="What was found.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """The assigned TPE pins a finding to a monitoring report."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = verification.raise_finding(session, who, report_id, kind, text)
    _print(view, output_format) if output_format == "json" else console.print(f"Finding {view.id} ({view.kind}) open")


@app.command("finding-respond")
@guarded("mrv.report.submit")
def finding_respond(
    finding_id: Annotated[int, typer.Argument(help="Finding number.")],
    response: Annotated[str, typer.Option("--response", help="What the participant did.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """The project participant responds to a finding."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = verification.respond(session, who, finding_id, response)
    _print(view, output_format) if output_format == "json" else console.print(f"Finding {view.id}: response recorded")


@app.command("finding-close")
@guarded("mrv.report.verify")
def finding_close(
    finding_id: Annotated[int, typer.Argument(help="Finding number.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """The assigned TPE closes a finding (a corrective action request once it has a response)."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = verification.close(session, who, finding_id)
    _print(view, output_format) if output_format == "json" else console.print(f"Finding {view.id} closed")


@app.command("issue")
@guarded("credits.issue")
def issue(
    notice: Annotated[
        Path, typer.Argument(help="JSON notification: notification_ref, report_id, credits, allocation.")
    ],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Issue credits on a Joint Committee notification (idempotent per notification_ref)."""
    check_format(output_format)
    body = service.parse_notice(_read_json(notice))
    with writing(open_database(db)) as (session, who):
        view = service.issue(session, who, body)
    table = Table("notification", "credits", "authorization", "serials", title=f"issuance {view.id}")
    table.add_row(view.notification_ref, str(view.credits), view.authorization, "\n".join(view.serials))
    _print(view, output_format, table)


@app.command("transfer")
@guarded("credits.transfer")
def transfer(
    from_account: Annotated[str, typer.Argument(help="Sending account number.")],
    to_account: Annotated[str, typer.Argument(help="Receiving account number (other registry: waits for acceptance).")],
    credits: CreditsOption = None,
    serial: SerialOption = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Transfer credits (lowest serials first, or exactly --serial)."""
    check_format(output_format)
    with moving_credits(open_database(db), one_command=True) as (session, who):
        view = service.transfer(session, who, from_account, to_account, credits, serial)
    _transaction(view, output_format)


def _decide(key: str, approve: bool, db: str | None, output_format: str) -> None:
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = service.decide_transfer(session, who, key, approve)
    _transaction(view, output_format)


@app.command("approve")
@guarded("credits.transfer.approve")
def approve(
    key: Annotated[str, typer.Argument(help="Key of the proposed transfer.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Approve a transfer another representative of the account proposed: it happens now."""
    _decide(key, True, db, output_format)


@app.command("refuse")
@guarded("credits.transfer.approve")
def refuse(
    key: Annotated[str, typer.Argument(help="Key of the proposed transfer.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Refuse a transfer another representative of the account proposed: nothing moves."""
    _decide(key, False, db, output_format)


@app.command("proposals")
@guarded("credits.read")
def list_proposals(
    account: Annotated[str | None, typer.Option("--account", help="Only transfers from this account.")] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """List transfers waiting for a second representative's approval."""
    check_format(output_format)
    with open_database(db).reading() as session:
        found = queries.proposals(session, actor(), account)
    table = Table("key", "from", "to", "credits", "proposed by", title=f"{len(found)} awaiting approval")
    for p in found:
        table.add_row(p.key, p.from_account, p.to_account, str(p.credits), p.proposed_by)
    _print(found, output_format, table)


@app.command("configure")
@guarded("credits.registry.configure")
def configure(
    registry: Annotated[str, typer.Argument(help="Registry code (JPN or the partner country's ISO3).")],
    approval_threshold: Annotated[
        int | None,
        typer.Option(
            "--approval-threshold",
            min=1,
            max=MAX_CREDITS,
            help="Transfers of more credits wait for a second representative (omit: never).",
        ),
    ] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Set when transfers in a registry need a second representative's approval."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = service.configure_registry(session, who, registry, approval_threshold)
    table = Table("registry", "approval threshold", title="registry settings")
    table.add_row(view.registry, str(view.approval_threshold_credits or "none"))
    _print(view, output_format, table)


@app.command("transfer-batch")
@guarded("credits.transfer")
def transfer_batch(
    path: Annotated[Path, typer.Argument(help="CSV file: from_account,to_account,credits,serial; a line each.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Apply a file of transfers in one transaction: all, or none with every refused line named."""
    check_format(output_format)
    numbered = batches.read_lines(_read_text(path))
    try:
        with moving_credits(open_database(db), one_command=False) as (unit, who):
            views = batches.transfer_batch(unit, who, [line for _, line in numbered])
    except InvalidInput as refusal:
        for refused in refusal.extra.get("refused", []):
            line = numbered[refused["transfer"] - 1][0]
            typer.echo(f"{path}:{line}: {refused['detail']}", err=True)
        raise
    if output_format == "json":
        typer.echo(json.dumps([view.model_dump() for view in views], ensure_ascii=False, indent=2))
        return
    for view in views:
        _transaction(view, output_format)


def _resolve(key: str, accept: bool, db: str | None, output_format: str) -> None:
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = service.resolve_pending(session, who, key, accept)
    _transaction(view, output_format)
    if output_format != "json" and view.details.get("returned_to"):
        said = "the sending account is {sender_status}: "
        said += "the credits went to the registry's returns account {returned_to}"
        console.print(said.format(**view.details))


@app.command("accept")
@guarded("credits.accept")
def accept(
    key: Annotated[str, typer.Argument(help="Key of the pending transfer.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Accept a pending transfer from the other registry."""
    _resolve(key, True, db, output_format)


@app.command("reject")
@guarded("credits.accept")
def reject(
    key: Annotated[str, typer.Argument(help="Key of the pending transfer.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Reject a pending transfer: the credits go back to the sender (to the registry's returns account if
    the sender was closed or suspended meanwhile)."""
    _resolve(key, False, db, output_format)


@app.command("pending")
@guarded("credits.accept")
def pending(
    registry: Annotated[str | None, typer.Option("--registry", help="Only transfers into this registry.")] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """List transfers waiting for the receiving registry."""
    check_format(output_format)
    with open_database(db).reading() as session:
        found = queries.visible_pending(session, actor(), registry)
    table = Table("key", "from", "to", "credits", title=f"{len(found)} pending")
    for p in found:
        table.add_row(p["key"], p["from_account"], p["to_account"], str(p["credits"]))
    _print(found, output_format, table)


def _representatives(found: list[Any], output_format: str, title: str) -> None:
    table = Table("email", "name", "organization", "named by", title=title)
    for person in found:
        table.add_row(person.email, person.name, person.organization, person.named_by)
    _print(found, output_format, table)


@app.command("representatives")
@guarded("credits.read")
def list_representatives(
    number: Annotated[str, typer.Argument(help="Holding account number.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """List the representatives of a holding account: the only people who move its credits."""
    check_format(output_format)
    with open_database(db).reading() as session:
        found = representatives.representatives(session, actor(), number)
    _representatives(found, output_format, f"representatives of {number}")


@app.command("add-representative")
@guarded("credits.representative.manage")
def add_representative(
    number: Annotated[str, typer.Argument(help="Holding account number.")],
    email: Annotated[str, typer.Argument(help="E-mail of the user to name.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Name a representative of a holding account (the registry administrator of its registry)."""
    check_format(output_format)
    with writing(open_database(db)) as (session, who):
        view = representatives.name_representative(session, who, number, email)
    _representatives([view], output_format, f"named for {number}")


@app.command("remove-representative")
@guarded("credits.representative.manage")
def remove_representative(
    number: Annotated[str, typer.Argument(help="Holding account number.")],
    email: Annotated[str, typer.Argument(help="E-mail of the representative to remove.")],
    db: DatabaseOption = None,
) -> None:
    """Remove a representative of a holding account (the registry administrator of its registry)."""
    with writing(open_database(db)) as (session, who):
        representatives.remove_representative(session, who, number, email)
    typer.echo(f"{email} no longer represents {number}")


@app.command("cancel")
@guarded("credits.cancel")
def cancel(
    from_account: Annotated[str, typer.Argument(help="Account number.")],
    credits: CreditsOption = None,
    serial: SerialOption = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the credits are cancelled.")] = "",
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Cancel credits: move them to the registry's cancellation account."""
    check_format(output_format)
    with moving_credits(open_database(db), one_command=True) as (session, who):
        view = service.cancel(session, who, from_account, credits, serial, reason)
    _transaction(view, output_format)


@app.command("retire")
@guarded("credits.retire")
def retire(
    from_account: Annotated[str, typer.Argument(help="Account number.")],
    purpose: Annotated[str, typer.Option("--purpose", help="What the retirement is for, e.g. Japan's NDC FY2030.")],
    beneficiary: Annotated[str, typer.Option("--beneficiary", help="On whose behalf the credits are retired.")],
    credits: CreditsOption = None,
    serial: SerialOption = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Retire credits toward an NDC: move them to the registry's retirement account."""
    check_format(output_format)
    with moving_credits(open_database(db), one_command=True) as (session, who):
        view = service.retire(session, who, from_account, purpose, beneficiary, credits, serial)
    _transaction(view, output_format)


@app.command("authorize")
@guarded("credits.authorize")
def authorize(
    notification_ref: Annotated[
        str | None, typer.Argument(help="Notification reference of the issuance (or --issuance).")
    ] = None,
    issuance: Annotated[str | None, typer.Option("--issuance", help="Notification reference of the issuance.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="Without --serials: authorized or not_authorized, for the whole issuance.")
    ] = "authorized",
    serials: Annotated[
        str | None, typer.Option("--serials", help="Unit numbers a-b to authorize (a record of that range).")
    ] = None,
    purpose: Annotated[
        list[str] | None, typer.Option("--purpose", help="ndc or oimp; repeat for both (with --serials).")
    ] = None,
    entity: Annotated[
        list[str] | None, typer.Option("--entity", help="Slug of an authorized organization; repeatable.")
    ] = None,
    decision: Annotated[str, typer.Option("--decision", help="Reference of the authorizing decision.")] = "",
    date: Annotated[str, typer.Option("--date", help="Date of the decision, YYYY-MM-DD.")] = "",
    registry: Annotated[
        str | None, typer.Option("--registry", help="Registry of the serials, when the issuance has two.")
    ] = None,
    first_transfer: Annotated[
        str | None,
        typer.Option(
            "--first-transfer",
            help="For OIMP: first_international_transfer, use_or_cancellation, authorization or issuance.",
        ),
    ] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Set the Article 6.2 authorization of an issuance, or with --serials record one of a serial range."""
    check_format(output_format)
    ref = issuance or notification_ref
    if not ref:
        raise typer.BadParameter("name the issuance: its notification reference, or --issuance")
    with writing(open_database(db)) as (session, who):
        if serials is None:
            view: Any = service.authorize(session, who, ref, status)
        else:
            view = service.authorize_range(
                session, who, ref, serials, purpose or [], entity or [], decision, date, first_transfer, registry
            )
    if output_format == "json":
        _print(view, output_format)
    elif serials is None:
        console.print(f"{view.notification_ref}: {view.authorization}")
    else:
        console.print(
            f"{view.notification_ref} {view.registry} {view.start_serial}-{view.end_serial}: "
            f"{', '.join(view.purposes)} (version {view.version})"
        )


@app.command("balance")
@guarded("credits.read")
def balance(
    number: Annotated[str, typer.Argument(help="Account number.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """An account's balance and the serial blocks it holds."""
    check_format(output_format)
    who = actor()
    with open_database(db).reading() as session:
        view = queries.readable_account(session, who, number)
        blocks = queries.blocks_of(session, number)
    if output_format == "json":
        typer.echo(json.dumps({**view.model_dump(mode="json"), "blocks": blocks}, indent=2))
        return
    table = Table("number", "kind", "holder", "status", "balance", "blocks", title=view.number)
    table.add_row(view.number, view.kind, view.holder, view.status, str(view.balance_credits), "\n".join(blocks))
    console.print(table)


@app.command("statement")
@guarded("credits.read")
def statement(
    number: Annotated[str, typer.Argument(help="Account number.")],
    from_date: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (UTC); default: the first entry.")
    ] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC); default: now.")] = None,
    db: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="Output format: table, json or csv.")] = "table",
) -> None:
    """An account's statement: opening balance, each transaction with its running balance, closing balance."""
    check_format(output_format, STATEMENT_FORMATS)
    period = Period.parse(from_date, to_date)
    who = actor()
    with open_database(db).reading() as session:
        queries.readable_account(session, who, number)
        found = queries.statement(session, number, period)
    if output_format == "csv":
        typer.echo(statement_csv(found), nl=False)
        return
    table = Table(
        "date",
        "seq",
        "kind",
        "counterparty",
        "in",
        "out",
        "balance",
        "serials",
        title=f"{found.account} from {found.from_date or 'the first entry'} to {found.to_date or 'now'}",
        caption=f"opening {found.opening_balance_credits} + in {found.credits_in} - out {found.credits_out} "
        f"= closing {found.closing_balance_credits}",
    )
    for line in found.lines:
        table.add_row(
            line.occurred_at[:10],
            str(line.seq),
            line.kind,
            line.counterparty or "",
            str(line.credits_in or ""),
            str(line.credits_out or ""),
            str(line.balance_credits),
            "\n".join(line.serials),
        )
    _print(found, output_format, table)


@app.command("holder-of")
def holder_of(
    serial: Annotated[str, typer.Argument(help="A credit serial, e.g. JCM-JPN-VNM-VN001-001-000000000042.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Which account holds a credit (one index look-up)."""
    check_format(output_format)
    with open_database(db).reading() as session:
        view = queries.holder_of(session, serial)
    table = Table("serial", "account", "kind", "holder", "block", title="holder")
    table.add_row(view.serial, view.account, view.account_kind, view.holder, view.block)
    _print(view, output_format, table)


@app.command("history")
def credit_history(
    serial: Annotated[str, typer.Argument(help="A credit or block serial, e.g. JCM-JPN-VNM-VN001-001-000000000042.")],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """The full history of a credit or a block: every split, transfer and authorization change, and its final state.

    Labels: A6 = authorized under Article 6.2, FT = first transferred, CA = correspondingly adjusted.
    ``--format json`` adds the holders and the purposes.
    """
    check_format(output_format)
    with open_database(db).reading() as session:
        view = history.credit_history(session, serial)
    title = f"{view.serials}: {view.issued_credits} credits issued ({view.issuance})"
    table = Table("units", "date", "entry", "event", "credits", "account", "state", title=title)
    for node in view.nodes:
        flags = (("A6", node.authorized), ("FT", node.first_transferred), ("CA", node.correspondingly_adjusted))
        labels = " ".join(label for label, on in flags if on)
        table.add_row(
            "  " * min(node.depth, 12) + f"{node.start}-{node.end}",
            node.occurred_at[:10],
            str(node.seq),
            f"{node.event} {labels}".strip(),
            str(node.credits),
            node.account,
            node.state,
        )
    _print(view, output_format, table)


@app.command("article6")
def article6(
    country: Annotated[str | None, typer.Option("--country", help="Only this country (ISO3).")] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Per country and year: authorized, first-transferred and used credits, corresponding adjustments."""
    check_format(output_format)
    with open_database(db).reading() as session:
        rows = queries.article6_report(session, country)
    table = Table("country", "year", "authorized", "first transferred", "used", title="Article 6.2")
    for r in rows:
        table.add_row(
            r.country, str(r.year), str(r.authorized_credits), str(r.first_transferred_credits), str(r.used_credits)
        )
    _print(rows, output_format, table)


REPORT_FORMATS = ("table", "json", "xlsx")


@app.command("report")
@guarded("credits.article6.report")
def article6_annual_report(
    country: Annotated[str, typer.Option("--country", help="The reporting country (ISO3), e.g. VNM or JPN.")],
    year: Annotated[int, typer.Option("--year", help="The calendar year reported (holdings as of 31 December).")],
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table (summary), json (the whole report) or xlsx.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the xlsx (default: article6-ISO3-YEAR.xlsx).")
    ] = None,
    submit: Annotated[
        bool, typer.Option("--submit", help="Store it as the next version (nothing new if unchanged since).")
    ] = False,
    db: DatabaseOption = None,
) -> None:
    """The Article 6.2 annual report (agreed electronic format) with its consistency checks; exit 1 if one fails."""
    check_format(output_format, REPORT_FORMATS)
    with writing(open_database(db)) as (session, who):
        report = aef_reports.produce(session, who, country, year)
        submitted = aef_reports.submit(session, who, country, year) if submit else None
    version = submitted.version if submitted else None
    if output_format == "json":
        typer.echo(report.model_dump_json(indent=2))
    elif output_format == "xlsx":
        path = output or Path(f"article6-{report.country}-{report.year}.xlsx")
        stamp = submitted.submitted_at.isoformat() if submitted else ""
        path.write_bytes(aef_workbook.workbook(report, version, stamp))
        console.print(f"Wrote {path}")
    else:
        _report_summary(report)
    if submitted is not None:
        console.print(f"Submitted as version {submitted.version} (sha256 {submitted.sha256[:12]}…)")
    if not report.consistent:
        raise typer.Exit(1)


def _report_summary(report: AefReport) -> None:
    table = Table("table", "rows", "credits", title=f"Article 6.2 report {report.country} {report.year}")
    table.add_row(
        "authorizations", str(len(report.authorizations)), str(sum(r.quantity_tco2e for r in report.authorizations))
    )
    for kind in ActionType:
        rows = report.of_type(kind)
        table.add_row(str(kind), str(len(rows)), str(sum(r.quantity_tco2e for r in rows)))
    table.add_row(
        "holdings 31 December", str(len(report.holdings)), str(sum(r.quantity_tco2e for r in report.holdings))
    )
    console.print(table)
    if report.draft:
        partners = ", ".join(report.partners_without_approach_id)
        console.print(
            f"[yellow]DRAFT[/]: no cooperative approach ID on record for {partners}; "
            "its unique identifiers carry the placeholder CA0000 (see C3P_COOPERATIVE_APPROACHES_FILE)",
            highlight=False,
        )
    for check in report.checks:
        mark = "[green]passed[/]" if check.passed else "[red]FAILED[/]"
        other = f" with {check.other_country}" if check.other_country else ""
        console.print(f"check {check.name}{other}: {mark} {'; '.join(check.differences)}", highlight=False)


@app.command("adjustments")
def adjustment_gap(
    country: Annotated[str, typer.Option("--country", help="The country (ISO3), e.g. VNM.")],
    year: Annotated[
        int | None, typer.Option("--year", help="One year of its NDC period (else every year so far).")
    ] = None,
    methods: Annotated[
        Path | None,
        typer.Option("--methods", help="A reviewed NDC methods file (YAML) instead of the built-in one."),
    ] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Corresponding adjustments due under the country's NDC method, beside those recorded, per year."""
    check_format(output_format)
    choices = adjustments.load_choices(methods) if methods else None
    with open_database(db).reading() as session:
        gap = adjustments.adjustment_gap(session, country, year, choices=choices)
    columns = ("year", "basis", "first transferred", "used", "due", "recorded", "gap", "OMGE", "share of proceeds")
    table = Table(*columns, title=f"corresponding adjustments of {gap.country} (as of {gap.as_of_year})")
    for r in gap.rows:
        contributions = (r.omge_cancellation_credits, r.share_of_proceeds_credits)
        table.add_row(
            f"{r.year}{' (target)' if r.target_year else ''}",
            r.basis,
            *(str(n) for n in (r.first_transferred_credits, r.used_credits, r.due_credits, r.recorded_credits)),
            str(r.gap_credits),
            *("" if n is None else str(n) for n in contributions),
        )
    _print(gap, output_format, table)
    if output_format == "json":
        return
    for period in gap.periods:
        marker = "assumed" if period.assumed else "source"
        console.print(f"{period.first_year}–{period.last_year}: {period.method} ({marker}: {period.source})")
    if gap.outside_period_years:
        console.print(f"ITMOs outside every NDC period in: {', '.join(map(str, gap.outside_period_years))}")


@app.command("article6-check")
@guarded("credits.article6.report")
def article6_check(
    first_year: Annotated[int, typer.Option("--from", help="The first calendar year checked.")],
    last_year: Annotated[
        int | None, typer.Option("--to", help="The last calendar year checked (default: this year).")
    ] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Check each year's Article 6.2 report of every registry you may report on; exit 1 if one fails.

    Per registry and year: the report's mirror and holdings checks, and the first transfers and uses
    its tables imply beside those the journal proves and those recorded as corresponding adjustments.
    """
    check_format(output_format)
    last = last_year if last_year is not None else dt.datetime.now(dt.UTC).year
    with open_database(db).reading() as session:
        found = article6_checks.check_years(session, actor(), first_year, last)
    columns = ("country", "year", "checks", "first transferred (report/journal/recorded)", "used (same)", "result")
    table = Table(*columns, title=f"Article 6.2 accounts {first_year}–{last}")
    for row in found:
        sources = (row.in_report, row.in_journal, row.recorded)
        table.add_row(
            row.country,
            str(row.year) + (" (draft)" if row.draft else ""),
            ", ".join(_check_text(check) for check in row.checks),
            " / ".join(str(s.first_transferred) for s in sources),
            " / ".join(str(s.used) for s in sources),
            "passed" if row.passed else "FAILED",
        )
    _print(found, output_format, table)
    if not all(row.passed for row in found):
        raise typer.Exit(1)


def _check_text(check: Any) -> str:
    other = f" {check.other_country}" if check.other_country else ""
    return f"{check.name}{other}: {'ok' if check.passed else 'FAILED'}"


@app.command("verify")
@guarded("credits.verify")
def verify(
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint saved earlier (JSON from the checkpoints page or API): prove the ledger still "
            "extends it, so a chain rewritten and re-hashed since is caught.",
        ),
    ] = None,
) -> None:
    """Prove every stored credit fact from the hash-chained journal; exit 1 on any problem."""
    check_format(output_format)
    saved = checkpoints.parse(_read_json(checkpoint)) if checkpoint is not None else None
    with open_database(db).reading() as session:
        report = verify_journal(session)
        if saved is not None:
            report = checkpoints.verify_extends(session, report, saved)
    if output_format == "json":
        typer.echo(report.model_dump_json(indent=2))
    elif report.ok:
        extends = " (it extends the saved checkpoint)" if saved is not None else ""
        console.print(
            f"OK: {report.entries} journal entries, {report.blocks} blocks, {report.supply_credits} credits{extends}"
        )
    else:
        for problem in report.problems:
            console.print(f"[red]{problem.what}[/]", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command("checkpoint")
@guarded("credits.verify")
def checkpoint(db: DatabaseOption = None) -> None:
    """Sign the journal head with the registry's key and publish it (schedule daily, e.g. with cron)."""
    with writing(open_database(db)) as (session, _who):
        signed = checkpoints.sign_head(session)
    typer.echo(signed.model_dump_json(indent=2))


@app.command("certificate")
def certificate(
    retirement: Annotated[int, typer.Argument(help="The retirement's journal entry number (see `retirements`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF file to write.")] = Path(
        "retirement-certificate.pdf"
    ),
    db: DatabaseOption = None,
) -> None:
    """Write a retirement's bilingual certificate (PDF) with its signed verification code."""
    with open_database(db).reading() as session:
        signed = certificates.certificate(session, retirement)
        data = certificates.pdf(session, signed)
    output.write_bytes(data)
    console.print(f"Wrote {output} ({len(data):,} bytes), verification code {signed.code}")


@app.command("verify-certificate")
def verify_certificate(
    certificate: Annotated[
        str, typer.Argument(help="A certificate PDF, its signed JSON, or its code (JPN-12-ABCD-EFGH-JKLM).")
    ],
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Check a retirement certificate against the journal; say exactly what differs and exit 1 if anything does."""
    check_format(output_format)
    path = Path(certificate)
    with open_database(db).reading() as session:
        if path.is_file():
            signed = _certificate_file(path)
            found = certificates.check(session, signed)
        else:
            found = certificates.check_code(session, certificate)
    if output_format == "json":
        typer.echo(found.model_dump_json(indent=2))
    elif found.ok:
        console.print(f"OK: certificate {found.code} matches retirement {found.retirement} in the journal")
    else:
        for problem in found.problems:
            console.print(f"[red]{problem}[/]", highlight=False)
    if not found.ok:
        raise typer.Exit(1)


def _certificate_file(path: Path) -> certificate_rules.Certificate:
    data = path.read_bytes()
    if data.lstrip()[:1] == b"{":
        return certificate_rules.parse(_read_json(path))
    return certificates.read_pdf(data)


@app.command("seal")
@guarded("credits.verify")
def seal(db: DatabaseOption = None) -> None:
    """Seal into the journal the credit facts written before sealing existed (once, after upgrading)."""
    with writing(open_database(db)) as (session, _who):
        count = seal_unsealed(session)
    console.print(f"Sealed {count} rows" if count else "Every credit fact was already sealed")


@app.command("open-data")
def open_data(
    folder: Annotated[Path, typer.Argument(help="Folder to write the dump into (created if missing).")],
    db: DatabaseOption = None,
) -> None:
    """Write the public open-data dump, its JSON Schema and the CAD Trust export (schedule nightly, e.g. cron)."""
    settings = settings_for(db)
    with open_database(db).reading() as session:
        data = opendata.open_data(session)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "open-data.json": data.model_dump(mode="json"),
        "open-data.schema.json": opendata.schema(),
        "cadtrust.json": opendata.cadtrust(data, opendata.REGISTRY_NAME, settings.base_url).model_dump(),
    }
    for name, document in files.items():
        (folder / name).write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"wrote {', '.join(files)} to {folder} (journal entry {data.journal_seq})")


@app.command("duplicates")
def duplicates(
    files: Annotated[list[Path], typer.Argument(help="CAD Trust unit lists (JSON), one per registry.")],
) -> None:
    """Find units listed twice across registries' CAD Trust unit lists; exit 1 when any is found."""
    listings = [listing for path in files for listing in cadtrust.read_units(_read_json(path), path.name)]
    found = cadtrust.listed_twice(listings)
    for overlap in found:
        typer.echo(
            f"{overlap.credits} credits listed twice: {overlap.first.registry} {overlap.first.start} … "
            f"{overlap.first.end} and {overlap.second.registry} {overlap.second.start} … {overlap.second.end}"
        )
    typer.echo(f"{len(listings)} unit blocks compared, {len(found)} listed twice")
    if found:
        raise typer.Exit(1)
