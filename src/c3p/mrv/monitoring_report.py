"""Monitoring reports: the JSON record and the Excel workbook participants and TPEs use.

The workbook follows the shape of JCM monitoring spreadsheets (ADB handbook; ID_AM002
monitoring report sheet): parameters with options and sources, an input data summary,
the calculation process and the results, plus the QA/QC findings and provenance.
Persisting it with the project and period is the caller's job; this module only builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

from c3p.mrv.render import to_latex, to_text
from c3p.mrv.results import CalculationResult
from c3p.mrv.spec import Methodology


def methodology_summary(methodology: Methodology) -> dict[str, Any]:
    spec = methodology.spec
    return {"id": spec.id, "version": spec.version, "title": spec.title,
            "host_country": spec.host_country, "sector": spec.sector,
            "sectoral_scope": spec.sectoral_scope,
            "status": spec.status, "verification": spec.verification}  # fmt: skip


def methodology_detail(methodology: Methodology) -> dict[str, Any]:
    """Everything a reader needs to review a methodology (the JSON twin of its page)."""
    spec = methodology.spec
    detail = spec.model_dump(mode="json")
    detail["symbols"] = [p.symbol for p in spec.parameters] + [e.symbol for e in spec.equations]
    detail["equations"] = [
        {**e.model_dump(mode="json"), "rendered": to_text(methodology.trees[e.key]),
         "latex": to_latex(methodology.trees[e.key])}
        for e in spec.equations
    ]  # fmt: skip
    detail["sha256"] = methodology.sha256
    return detail


def monitoring_record(result: CalculationResult, methodology: Methodology) -> dict[str, Any]:
    """The JSON record of a monitoring report, ready to store for the issuance step."""
    return {
        "kind": "jcm-monitoring-report",
        "methodology": methodology_summary(methodology),
        "equations": {e.symbol: e.expression for e in methodology.spec.equations},
        **result.model_dump(mode="json"),
    }


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))


def write_workbook(result: CalculationResult, methodology: Methodology, path: Path | str) -> Path:
    """Write the monitoring report workbook to ``path`` and return the path."""
    from openpyxl import Workbook

    spec, workbook = methodology.spec, Workbook()
    workbook.remove(workbook.active)
    used = {p.symbol: p for p in result.parameters}
    _sheet(workbook, "Parameters", ["Symbol", "Description", "Kind", "Option", "Unit", "Value",
                                    "Origin", "Factor", "Frequency", "Source"], [
        [p.symbol, p.description, p.kind, p.option, p.unit,
         used[p.symbol].value if p.symbol in used else None,
         used[p.symbol].origin if p.symbol in used else "not used",
         used[p.symbol].factor if p.symbol in used else None, p.frequency,
         (used[p.symbol].source if p.symbol in used else None) or p.source]
        for p in spec.parameters])  # fmt: skip
    _sheet(workbook, "Input data", ["Site", "Month", "RE (tCO2)", "PE (tCO2)", "ER (tCO2)"],
           [[b.site_id, b.month, b.reference_emissions_tco2, b.project_emissions_tco2,
             b.emission_reductions_tco2] for b in _site_months(result)])  # fmt: skip
    _sheet(workbook, "Calculation process", ["Symbol", "Equation", "Unit", "Value", "Source"],
           [[e.symbol, to_text(methodology.trees[e.key]), e.unit,
             result.intermediate.get(e.symbol), e.source] for e in spec.equations])  # fmt: skip
    _sheet(workbook, "Results", ["Item", "Value"], _result_rows(result, methodology))
    _sheet(workbook, "QA-QC findings", ["Code", "Severity", "Site", "Parameter", "Month", "Rows",
                                        "First line", "Treatment", "Adjustment", "Unit",
                                        "Message"], [
        [f.code, f.severity, f.site_id, f.parameter, f.month, f.rows, f.first_line,
         f.treatment, f.adjustment, f.unit, f.message] for f in result.findings])  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _site_months(result: CalculationResult):
    return list(result.by_site) + list(result.by_month)


def _result_rows(result: CalculationResult, methodology: Methodology) -> list[list[Any]]:
    prov = result.provenance
    return [
        ["Methodology", f"{prov.methodology_id} ver{prov.methodology_version}"],
        ["Title", methodology.spec.title],
        ["Verification of the specification", prov.verification],
        ["Monitoring period", f"{result.period_start} to {result.period_end}"],
        ["Sites", result.sites],
        ["Reference emissions RE_p (tCO2)", result.reference_emissions_tco2],
        ["Project emissions PE_p (tCO2)", result.project_emissions_tco2],
        ["Emission reductions before rounding (tCO2)", result.emission_reductions_unrounded_tco2],
        ["Emission reductions ER_p (tCO2, rounded down)", result.emission_reductions_tco2],
        ["Emission factors used", ", ".join(prov.factors)],
        ["Input files (sha256)", "; ".join(f"{k}: {v}" for k, v in prov.input_files.items())],
        ["Input rows", prov.input_rows],
        ["Specification sha256", prov.methodology_sha256],
        ["Engine", prov.engine_version],
        ["Computed at", prov.computed_at],
    ]
