"""``c3p mrv``: methodologies and emission-reduction calculations, a thin shell over c3p.mrv."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from c3p.cli._app import group
from c3p.errors import InvalidInput

if TYPE_CHECKING:
    from c3p.mrv import engine
    from c3p.mrv.params import CalculationParams

app = group()
console = Console()
LARGE_INPUT_BYTES = 20 * 1024 * 1024


class Format(StrEnum):
    text = "text"
    json = "json"


FORMAT = typer.Option(Format.text, "--format", "-f", help="Output format: text or json.")


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command("list")
def list_methodologies(output_format: Format = FORMAT) -> None:
    """List the methodology specifications c3p knows (ID, version, country, verification)."""
    from c3p.mrv import catalog, monitoring_report

    rows = [monitoring_report.methodology_summary(m) for m in catalog.all_methodologies()]
    if output_format is Format.json:
        _print_json(rows)
        return
    table = Table("ID", "Version", "Country", "Title", "Verification")
    for row in rows:
        table.add_row(row["id"], row["version"], row["host_country"], row["title"],
                      row["verification"])  # fmt: skip
    console.print(table)


@app.command("show")
def show(
    methodology_id: str = typer.Argument(..., help="Methodology ID, e.g. MN_AM003 (or ID@version)."),
    output_format: Format = FORMAT,
) -> None:
    """Show one methodology: parameters, equations, sources and verification status."""
    from c3p.mrv import catalog, monitoring_report

    detail = monitoring_report.methodology_detail(catalog.get_methodology(methodology_id))
    if output_format is Format.json:
        _print_json(detail)
        return
    console.print(f"[bold]{detail['id']} ver{detail['version']}[/] {detail['title']} "
                  f"({detail['host_country']})")  # fmt: skip
    console.print(f"Verification: [yellow]{detail['verification']}[/] — {detail['verification_note']}")
    table = Table("Symbol", "Kind", "Unit", "Option", "Description")
    for p in detail["parameters"]:
        table.add_row(p["symbol"], p["kind"], p["unit"], p["option"] or "", p["description"])
    console.print(table)
    for e in detail["equations"]:
        console.print(f"  {e['symbol']} = {e['rendered']}   [dim][{e['unit']}][/]")


def _params(path: Path | None) -> CalculationParams:
    from c3p.mrv.params import CalculationParams, read_params

    return read_params(path) if path else CalculationParams()


@app.command("estimate")
def estimate(
    methodology_id: str = typer.Option(..., "--methodology", "-m", help="Methodology ID."),
    params: Path = typer.Option(..., "--params", "-p", help="JSON: symbol -> {value, unit}."),
    output_format: Format = FORMAT,
) -> None:
    """Ex-ante estimate of annual emission reductions from design values."""
    from c3p.mrv import catalog, engine

    result = engine.estimate(catalog.get_methodology(methodology_id), _params(params))
    _emit(result, output_format)


@app.command("calculate")
def calculate(
    methodology_id: str = typer.Option(..., "--methodology", "-m", help="Methodology ID."),
    monitoring: list[Path] = typer.Option(
        ..., "--monitoring", "-d", help="Monitoring data (CSV, xlsx or Parquet); repeat for more."
    ),
    params: Path | None = typer.Option(None, "--params", "-p", help="JSON with fixed values."),
    column_map: list[str] = typer.Option([], "--map", help="Map a column: canonical=source, e.g. --map site_id=Meter."),
    xlsx: Path | None = typer.Option(None, "--report-xlsx", help="Write the monitoring report."),
    record: Path | None = typer.Option(None, "--record", help="Write the JSON record here."),
    decimal: str | None = typer.Option(
        None,
        "--decimal",
        help="Decimal mark of numbers in CSV/xlsx text: . or , (values with a comma are refused without it).",
    ),
    thousands: str | None = typer.Option(
        None,
        "--thousands",
        help="Thousands separator in CSV/xlsx text: , or . or a space (digit groups are refused without it).",
    ),
    output_format: Format = FORMAT,
) -> None:
    """Ex-post emission reductions from monitoring data, with QA/QC findings."""
    from c3p.mrv import catalog, engine, monitoring_report

    methodology = catalog.get_methodology(methodology_id)
    mapping = _mapping(column_map)
    large = sum(p.stat().st_size for p in monitoring if p.exists()) > LARGE_INPUT_BYTES
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), disable=not large, transient=True) as bar:  # fmt: skip
        task = bar.add_task("reading", total=None)
        result = engine.calculate(
            methodology,
            monitoring,
            _params(params),
            mapping,
            progress=lambda stage: bar.update(task, description=stage),
            decimal=_decimal(decimal),
            thousands=_thousands(thousands),
        )
    if xlsx:
        monitoring_report.write_workbook(result, methodology, xlsx)
    if record:
        record.write_text(json.dumps(monitoring_report.monitoring_record(result, methodology), indent=2,
                                     ensure_ascii=False, default=str), encoding="utf-8")  # fmt: skip
    _emit(result, output_format)


def _decimal(mark: str | None) -> Literal[".", ","] | None:
    if mark is None or mark in (".", ","):
        return mark  # type: ignore[return-value]
    raise InvalidInput(f"--decimal {mark!r}: give . or ,")


def _thousands(mark: str | None) -> Literal[",", ".", " "] | None:
    if mark is None or mark in (",", ".", " "):
        return mark  # type: ignore[return-value]
    raise InvalidInput(f"--thousands {mark!r}: give , or . or a space")


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        if not sep or not canonical or not source:
            raise InvalidInput(f"--map {pair!r}: write canonical=source, e.g. site_id=Meter")
        mapping[canonical.strip()] = source.strip()
    return mapping


def _emit(result: engine.CalculationResult, output_format: Format) -> None:
    if output_format is Format.json:
        _print_json(result.model_dump(mode="json"))
        return
    console.print(f"[bold]{result.methodology_id}[/] {result.mode}, {result.sites} site(s)")
    console.print(f"  Reference emissions  RE = {result.reference_emissions_tco2:,.3f} tCO2")
    console.print(f"  Project emissions    PE = {result.project_emissions_tco2:,.3f} tCO2")
    console.print(f"  Emission reductions  ER = [bold]{result.emission_reductions_tco2:,}[/] tCO2 "
                  f"(rounded down from {result.emission_reductions_unrounded_tco2:,.3f})")  # fmt: skip
    for finding in result.findings[:20]:
        console.print(f"  \\[{finding.severity}] {finding.code}: {finding.site_id or ''} "
                      f"{finding.month or ''} {finding.message} -> {finding.treatment}")  # fmt: skip
    if len(result.findings) > 20:
        console.print(f"  … and {len(result.findings) - 20} more finding(s) (use --format json)")
