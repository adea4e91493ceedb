"""REST endpoints of the MRV engine: list, show, estimate (JSON) and calculate (upload).

A thin layer: every rule lives in :mod:`c3p.mrv`; errors are C3PError subclasses that the
main app renders as problem+json.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Form, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from c3p.accounts.rules.policy import Actor
from c3p.errors import InvalidInput
from c3p.mrv import catalog
from c3p.mrv.params import CalculationParams
from c3p.mrv.results import CalculationResult
from c3p.mrv.schemas import MethodologyDetail, MethodologySummary, MonitoringRecord
from c3p.web.auth import permission
from c3p.web.routes import Router

router = Router(prefix="/mrv", tags=["mrv"])


@router.get("/methodologies", response_model=list[MethodologySummary])
def list_methodologies(
    country: str | None = Query(None, description="Host country, ISO 3166-1 alpha-3 (e.g. MNG)."),
    sector: str | None = Query(None, description="Sector, as written in the specifications."),
    q: str | None = Query(None, max_length=200, description="Words in the ID, title or sector."),
) -> list[MethodologySummary]:
    """Methodology specifications (ID, version, country, sector, verification status)."""
    from c3p.mrv import monitoring_report

    found = catalog.search_methodologies(country, sector, q)
    return [MethodologySummary.model_validate(monitoring_report.methodology_summary(m)) for m in found]


@router.get("/methodologies/{methodology_id}", response_model=MethodologyDetail)
def show_methodology(methodology_id: str, version: str | None = None) -> MethodologyDetail:
    """One methodology with parameters, equations (text and LaTeX) and sources."""
    from c3p.mrv import monitoring_report

    methodology = catalog.get_methodology(methodology_id, version)
    return MethodologyDetail.model_validate(monitoring_report.methodology_detail(methodology))


@router.post("/methodologies/{methodology_id}/estimate", response_model=CalculationResult)
def estimate(methodology_id: str, params: dict[str, Any]) -> CalculationResult:
    """Ex-ante estimate; the body is the params.json object (symbol -> {value, unit})."""
    from c3p.mrv import engine

    methodology = catalog.get_methodology(methodology_id)
    return engine.estimate(methodology, CalculationParams.from_mapping(params))


@router.post("/methodologies/{methodology_id}/calculate", response_model=MonitoringRecord)
async def calculate(
    request: Request,
    methodology_id: str,
    actor: Annotated[Actor, Depends(permission("mrv.monitoring.calculate"))],
    monitoring: UploadFile = File(..., description="CSV, xlsx or Parquet in the long layout."),
    params: str = Form("{}", description="The params.json object as text."),
    decimal: Literal[".", ","] | None = Form(None, description="Decimal mark of numbers in a CSV."),
    thousands: Literal[",", ".", " "] | None = Form(
        None, description="Thousands separator in a CSV or xlsx text; digit groups are refused without it."
    ),
) -> MonitoringRecord:
    """Ex-post calculation over an uploaded monitoring file; returns the JSON record.

    Needs an account (any role): an upload costs the server disk, memory and CPU. The upload
    is copied to disk in blocks up to ``mrv_upload_max_bytes``, its rows and unzipped size are
    capped, and the engine runs in a worker thread, so a large file neither fills memory nor
    stalls other requests.
    """
    from c3p.mrv import engine, monitoring_report

    methodology = catalog.get_methodology(methodology_id)
    try:
        given = CalculationParams.from_mapping(json.loads(params))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"params is not valid JSON: {exc.msg}") from None
    suffix = Path(monitoring.filename or "data.csv").suffix.lower()
    if suffix not in {".csv", ".xlsx", ".parquet", ".pq", ".txt"}:
        raise InvalidInput(f"unsupported file type {suffix!r}: use CSV, xlsx or Parquet")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"monitoring{suffix}"
        settings = request.app.state.settings
        await _save_upload(monitoring, path, settings.mrv_upload_max_bytes)
        from c3p.mrv.monitoring import MonitoringLimits  # DuckDB and Arrow load with the first upload

        # DuckDB would take every core; one is left to answer other requests (GET / p99)
        limits = MonitoringLimits(settings.mrv_upload_max_rows, settings.mrv_upload_max_unzipped_bytes,
                                  threads=max(1, (os.cpu_count() or 1) - 1))  # fmt: skip
        result = await run_in_threadpool(engine.calculate, methodology, [path], given, decimal=decimal, limits=limits)
    return MonitoringRecord.model_validate(monitoring_report.monitoring_record(result, methodology))


async def _save_upload(upload: UploadFile, path: Path, limit_bytes: int) -> None:
    """Copy the upload to ``path`` block by block, refusing it once it passes ``limit_bytes``."""
    written = 0
    with open(path, "wb") as handle:
        while block := await upload.read(1 << 20):
            written += len(block)
            if written > limit_bytes:
                raise InvalidInput(f"the monitoring file is larger than {limit_bytes:,} bytes "
                               "(setting mrv_upload_max_bytes); use the command line for larger files")  # fmt: skip
            handle.write(block)
