"""Registry commands: ``c3p stats``, ``c3p projects list``, ``c3p export``, ``c3p serve``."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from c3p.cli._app import group
from c3p.cli._common import DatabaseOption, FormatOption, check_format, console, open_database, settings_for
from c3p.cli._guard import guarded
from c3p.errors import InvalidInput
from c3p.program import queries as q
from c3p.program.snapshot import SnapshotCache

projects_app = group()


def _snapshot(db: str | None):
    database = open_database(db)
    with database.reading() as session:
        return SnapshotCache().get(session)


def stats(db: DatabaseOption = None, output_format: FormatOption = "table") -> None:
    """Show the program's figures, computed from the data, with notes on brochure differences."""
    check_format(output_format)
    figures = q.stats(_snapshot(db))
    if output_format == "json":
        typer.echo(figures.model_dump_json(indent=2))
        return
    table = Table("figure", "computed", "brochure", "note", title="C3P 2013–2025")
    notes = {note.figure: note for note in figures.notes}
    for name in (
        "countries",
        "partner_places",
        "japanese_governments",
        "jcm_partner_countries",
        "projects",
    ):
        note = notes.get(name)
        table.add_row(
            name,
            str(getattr(figures, name)),
            str(note.stated) if note else "",
            note.note_en if note else "",
        )
    console.print(table)


@projects_app.command("list")
def list_projects(
    db: DatabaseOption = None,
    year: Annotated[int | None, typer.Option("--year", help="Fiscal year, e.g. 2025.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO 3166 alpha-3 code, e.g. VNM.")] = None,
    sector: Annotated[str | None, typer.Option("--sector", help="Sector or technology slug.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Words to find.")] = None,
    output_format: FormatOption = "table",
) -> None:
    """List adopted projects, filtered like the API's /projects."""
    check_format(output_format)
    try:
        query = q.ProjectQuery(fiscal_year=year, country=country, sector=sector, q=search, per_page=500)
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None
    page = q.list_projects(_snapshot(db), query)
    if output_format == "json":
        typer.echo(page.model_dump_json(indent=2))
        return
    table = Table("FY", "No.", "title", "Japan", "partner", "proposer", title=f"{page.total} projects")
    for p in page.items:
        table.add_row(
            str(p.fiscal_year),
            f"{p.number:02d}",
            p.title_en,
            ", ".join(g.name_en for g in p.japanese_governments),
            ", ".join(pl.name_en for pl in p.partner_places),
            ", ".join(o.name_en for o in p.proposers),
        )
    console.print(table)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    geojson = "geojson"


def export(
    output: Annotated[Path, typer.Argument(help="File (json, xlsx, geojson) or folder (csv) to write.")],
    export_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json, csv, xlsx or geojson.")
    ] = ExportFormat.json,
    db: DatabaseOption = None,
) -> None:
    """Export the whole registry dataset; json/csv/xlsx re-import with ``c3p import``."""
    from c3p.program.export import export_dataset

    database = open_database(db)
    with database.reading() as session:
        written = export_dataset(session, output, export_format.value)
    console.print(f"Wrote {written}")


def serve(
    db: DatabaseOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.", envvar="C3P_HOST")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.", envvar="C3P_PORT")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes, each answering from its own thread pool.")] = 1,
) -> None:
    """Run the portal and API; creates and loads the database on first run."""
    import uvicorn

    from c3p.cli._serve import prepare_while_building
    from c3p.cli._startup import collector_paused

    settings = settings_for(db)
    console.print("Preparing the database…")  # no spinner: a thread must not run across the fork
    with collector_paused(freeze=True):  # this process only serves from here on
        app = prepare_while_building(settings)
    os.environ["C3P_DATABASE_URL"] = settings.resolved_database_url  # for more workers: each builds its own app
    address = f"http://{host or settings.host}:{port or settings.port}/"
    for warning in settings.start_up_warnings(host or settings.host):
        console.print(f"[yellow]Warning:[/yellow] {warning}")
    console.print(f"c3p portal on [link={address}]{address}[/link]  (API docs: {address}docs)")
    uvicorn.run(
        app if workers == 1 else "c3p.web.app:create_app",
        factory=workers != 1,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def import_dataset(
    source: Annotated[
        Path,
        typer.Argument(help="An export: .json, .xlsx, or a folder of .csv files.", exists=True),
    ],
    db: DatabaseOption = None,
) -> None:
    """Load an exported dataset into the database (checked whole first; all or nothing)."""
    from c3p.program.dataset_import import read_export
    from c3p.program.seed_loader import load_dataset

    dataset = read_export(source)
    database = open_database(db)
    loaded = load_dataset(database, dataset)
    console.print("Imported the dataset." if loaded else "This dataset is already loaded; nothing changed.")


#: ``c3p import``: replacing the registry's data is an administrator's act
import_command = guarded("registry.import")(import_dataset)
