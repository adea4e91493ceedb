"""Program workflow commands: ``c3p calls``, ``c3p applications``, ``c3p pipeline``, ``c3p subsidy``,
``c3p notifications``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from c3p.cli._app import group
from c3p.cli._common import DatabaseOption, FormatOption, check_format, console, open_database, settings_for
from c3p.cli._guard import actor, guarded
from c3p.db.history import act_as
from c3p.errors import InvalidInput
from c3p.messages import N_, Message
from c3p.workflow import queries
from c3p.workflow.rules import subsidy as subsidy_rules
from c3p.workflow.rules.calls import JST, japan_time
from c3p.workflow.service import calls, jcm, notify, selection

calls_app = group()
applications_app = group()
pipeline_app = group()
subsidy_app = group()
notifications_app = group()


@calls_app.command("open")
@guarded("program.call.open")
def open_call(
    year: Annotated[int, typer.Option("--year", help="Fiscal year of the call, e.g. 2026.")],
    closes: Annotated[
        str,
        typer.Option(
            "--closes", help="Deadline in Japan time, ISO date (its 23:59:59) or date-time, e.g. 2026-04-25T17:00."
        ),
    ],
    round_: Annotated[int, typer.Option("--round", help="Round within the fiscal year.")] = 1,
    opens: Annotated[
        str | None, typer.Option("--opens", help="Opening in Japan time, ISO date or date-time; default now.")
    ] = None,
    country: Annotated[list[str], typer.Option("--country", help="Target country (ISO3); repeat. Default: all.")] = [],  # noqa: B006
    field: Annotated[list[str], typer.Option("--field", help="Target field slug; repeat. Default: all.")] = [],  # noqa: B006
    budget: Annotated[int | None, typer.Option("--max-budget", help="Budget limit per year, JPY.")] = None,
    priority: Annotated[
        list[str], typer.Option("--priority-country", help="JCM candidate country (ISO3) with priority; repeat.")
    ] = [],  # noqa: B006
    db: DatabaseOption = None,
) -> None:
    """Open a call for proposals (its other terms and documents are set on its page or with PATCH)."""
    try:
        data = calls.NewCall(
            fiscal_year=year,
            round=round_,
            opens_at=_when(opens) if opens else dt.datetime.now(dt.UTC),
            closes_at=_when(closes, end_of_day=True),
            target_countries=country,
            target_fields=field,
            max_budget_jpy_per_year=budget,
            priority_countries=priority,
        )
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None
    who = actor()
    with open_database(db).unit_of_work() as session:
        act_as(session, who.user_id, who.label)
        call = calls.open_call(session, who, data, settings_for(db))
        console.print(f"Opened call {call.slug}, closing {japan_time(calls.aware(call.closes_at))} Japan time.")


def _when(text: str, end_of_day: bool = False) -> dt.datetime:
    """A moment typed in Japan time, as the program states it (an offset, if given, is kept)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO date or date-time") from None
    if len(text) == 10 and end_of_day:
        value = value.replace(hour=23, minute=59, second=59)
    return value if value.tzinfo else value.replace(tzinfo=JST)


@calls_app.command("export-scores")
@guarded("program.call.manage")
def export_scores(
    slug: Annotated[str, typer.Argument(help="Call, e.g. 2026-1.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx file to write.")],
    db: DatabaseOption = None,
) -> None:
    """Write the ranking and every reviewer's points and comment to an Excel workbook for the committee."""
    with open_database(db).reading() as session:
        content = selection.scores_workbook(session, actor(), slug)
    output.write_bytes(content)
    console.print(f"Wrote the scores of call {slug} to {output}.")


@calls_app.command("list")
@guarded("program.call.read")
def list_calls(db: DatabaseOption = None, output_format: FormatOption = "table") -> None:
    """List calls for proposals, newest first."""
    check_format(output_format)
    with open_database(db).reading() as session:
        views = [calls.call_view(session, call) for call in calls.list_calls(session)]
    if output_format == "json":
        typer.echo("[" + ",".join(v.model_dump_json() for v in views) + "]")
        return
    table = Table("call", "state", "opens (JST)", "closes (JST)", "applications", title=f"{len(views)} calls")
    for v in views:
        opens, closes = (japan_time(calls.aware(moment)) for moment in (v.opens_at, v.closes_at))
        table.add_row(v.slug, v.state, opens, closes, str(v.applications_submitted))
    console.print(table)


@calls_app.command("close")
@guarded("program.call.manage")
def close_call(
    slug: Annotated[str, typer.Argument(help="Call, e.g. 2026-1.")],
    review: Annotated[bool, typer.Option("--review", help="Close the review instead of the submissions.")] = False,
    db: DatabaseOption = None,
) -> None:
    """Close a call's submissions (start the review), or with --review close the review."""
    who = actor()
    with open_database(db).unit_of_work() as session:
        act_as(session, who.user_id, who.label)
        call = calls.move_call(session, who, slug, "reviewed" if review else "reviewing", settings_for(db))
        console.print(f"Call {call.slug} is {call.state}.")


@calls_app.command("remind")
@guarded("program.call.manage")
def remind(db: DatabaseOption = None) -> None:
    """Warn the authors of unsubmitted drafts of calls closing within the deadline_reminder setting."""
    from c3p.workflow import queries

    settings = settings_for(db)
    now = dt.datetime.now(dt.UTC)
    who = actor()
    sent = 0
    with open_database(db).unit_of_work() as session:
        act_as(session, who.user_id, who.label)
        for call in queries.open_calls(session):
            closes = calls.aware(call.closes_at)
            if not now <= closes <= now + settings.deadline_reminder or call.deadline_reminder_sent_at:
                continue
            for application in queries.draft_applications(session, call.id):
                sent += notify.notify(
                    session,
                    settings,
                    notify.users_of_organization(session, application.proposer_id),
                    "call.deadline",
                    Message(
                        N_("Call %(call)s closes %(closes)s Japan time"),
                        {"call": call.slug, "closes": japan_time(closes)},
                    ),
                    Message(N_("Your draft %(title)s is not submitted yet."), calls.titles_of(application)),
                    f"/applications/{application.id}",
                )
            call.deadline_reminder_sent_at = now
    console.print(f"{sent} reminders sent.")


@notifications_app.command("digest")
@guarded("notifications.digest")
def digest(db: DatabaseOption = None) -> None:
    """Mail the day's digest to everyone who chose one (run once a day, e.g. from cron)."""
    who = actor()
    with open_database(db).unit_of_work() as session:
        act_as(session, who.user_id, who.label)
        sent = notify.send_digests(session, settings_for(db))
    console.print(f"{sent} digests sent.")


@applications_app.command("list")
@guarded("program.application.read")
def list_applications(
    call: Annotated[str | None, typer.Option("--call", help="Only this call, e.g. 2026-1.")] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """List the applications you may see (the local operator sees all)."""
    check_format(output_format)
    with open_database(db).reading() as session:
        views = [calls.application_view(session, a) for a in queries.visible_applications(session, actor(), call)]
    if output_format == "json":
        typer.echo("[" + ",".join(v.model_dump_json() for v in views) + "]")
        return
    table = Table("id", "call", "state", "eligible", "proposer", "title", title=f"{len(views)} applications")
    for v in views:
        table.add_row(str(v.id), v.call, v.state, str(v.eligible), v.proposer.slug, v.title_ja or v.title_en)
    console.print(table)


@pipeline_app.command("move")
@guarded("jcm.move")
def move(
    slug: Annotated[str, typer.Argument(help="JCM project slug.")],
    to_state: Annotated[str, typer.Argument(help="Next state, e.g. feasibility_study, validation, issuance.")],
    on: Annotated[str | None, typer.Option("--on", help="Date of the step (ISO); default today.")] = None,
    note: Annotated[str, typer.Option("--note", help="Note kept with the step.")] = "",
    serial_code: Annotated[
        str | None,
        typer.Option("--serial-code", help="At registration: the serial code, 1-16 of A-Z 0-9 (default: next VN001…)."),
    ] = None,
    db: DatabaseOption = None,
) -> None:
    """Move a JCM project to its next state (refused when the step is not allowed)."""
    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise InvalidInput(f"--on: {on!r} is not an ISO date") from None
    who = actor()
    with open_database(db).unit_of_work() as session:
        act_as(session, who.user_id, who.label)
        step = jcm.move(session, who, slug, to_state, day, note, settings_for(db), serial_code)
        console.print(f"{slug}: {step.from_state} → {step.to_state} on {step.occurred_on}.")


@pipeline_app.command("assign-verifier")
@guarded("jcm.verifier.assign")
def assign_verifier(
    slug: Annotated[str, typer.Argument(help="JCM project slug.")],
    tpe: Annotated[str, typer.Argument(help="Slug of the TPE organization that verifies its monitoring reports.")],
    db: DatabaseOption = None,
) -> None:
    """Assign the TPE that verifies a JCM project's monitoring reports (Joint Committee or secretariat)."""
    who = actor()
    with open_database(db).unit_of_work() as session:
        act_as(session, who.user_id, who.label)
        row = jcm.assign_verifier(session, who, slug, tpe)
        console.print(f"{slug}: monitoring reports are verified by {row.verifier_slug}.")


@subsidy_app.command("calculate")
@guarded("jcm.subsidy.calculate")
def calculate(
    year: Annotated[int, typer.Option("--year", help="Fiscal year of the Model Project call.")],
    investment: Annotated[int, typer.Option("--investment", help="Initial investment, JPY.")],
    reductions: Annotated[int, typer.Option("--reductions", help="Expected reductions, tCO2 per year.")],
    durable_years: Annotated[int, typer.Option("--durable-years", help="Legal durable years of the equipment.")],
    similar_cases: Annotated[
        int | None, typer.Option("--similar-cases", help="Adopted similar-technology cases.")
    ] = None,
    requested: Annotated[int | None, typer.Option("--requested", help="Requested subsidy, JPY.")] = None,
    credit_share: Annotated[
        float | None, typer.Option("--credit-share-pct", help="Share of credits to Japan, %.")
    ] = None,
    threshold: Annotated[
        int | None, typer.Option("--max-jpy-per-tco2", help="Cost-effectiveness threshold (unknown by default).")
    ] = None,
    db: DatabaseOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Calculate a JCM Model Project subsidy under the fiscal year's rules (unknown figures are reported)."""
    check_format(output_format)
    try:
        params = subsidy_rules.SubsidyParams(
            fiscal_year=year,
            initial_investment_jpy=investment,
            expected_reductions_tco2_per_year=reductions,
            legal_durable_years=durable_years,
            similar_technology_cases=similar_cases,
            requested_subsidy_jpy=requested,
            credit_share_to_japan_pct=None if credit_share is None else Decimal(str(credit_share)),
        )
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None
    overrides = {"cost_effectiveness_max_jpy_per_tco2": threshold} if threshold else None
    result = subsidy_rules.calculate(params, subsidy_rules.rules_for(year, overrides))
    if output_format == "json":
        typer.echo(result.model_dump_json(indent=2))
        return
    table = Table("figure", "value", title=f"JCM Model Project subsidy, FY{year}")
    for name in (
        "rate_pct",
        "max_subsidy_jpy",
        "subsidy_jpy",
        "lifetime_reductions_tco2",
        "cost_effectiveness_jpy_per_tco2",
        "cost_effectiveness_ok",
        "min_credits_to_japan_per_year",
        "credit_share_ok",
    ):
        value = getattr(result, name)
        table.add_row(name, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}")
