"""Factories for monitoring files: a regular 15-minute series per site, in any format."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

START = datetime(2024, 1, 1)


def create_rows(sites=("S1",), intervals=96, value=400.0, unit="kWh", parameter="EG_i,p"):
    """One reading per 15 minutes from 2024-01-01 00:00, as canonical row dicts."""
    return [
        {"site_id": site, "timestamp": (START + timedelta(minutes=15 * k)).strftime("%Y-%m-%d %H:%M"),
         "parameter": parameter, "value": value, "unit": unit}
        for site in sites for k in range(intervals)
    ]  # fmt: skip


def write_csv(path: Path, rows: list[dict], columns=("site_id", "timestamp", "parameter", "value",
                                                    "unit")) -> Path:  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[dict], **types) -> Path:
    """The rows as Parquet, timestamps typed; ``types`` overrides a column's Arrow type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = {"site_id": pa.string(), "timestamp": pa.timestamp("us"), "parameter": pa.string(),
              "value": pa.float64(), "unit": pa.string(), **types}  # fmt: skip
    columns = {name: [row[name] for row in rows] for name in schema}
    if pa.types.is_timestamp(schema["timestamp"]):
        columns["timestamp"] = [datetime.strptime(t, "%Y-%m-%d %H:%M") for t in columns["timestamp"]]
    pq.write_table(pa.table({n: pa.array(v, type=schema[n]) for n, v in columns.items()}), path)
    return path


def write_params(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# MN_AM003 has no default factor (the participant chooses); these tests take the grid one.
MNG_GRID = {"EF_RE,i": {"factor": "MNG-grid"}}
ONE_DAY = {"period": {"start": "2024-01-01", "end": "2024-01-01"}, "interval_minutes": 15, **MNG_GRID}


@pytest.fixture
def one_day_params():
    return dict(ONE_DAY)


@pytest.fixture
def member_client(live_server):
    """An HTTP client signed in (API token) as a user without any role: uploads need an account."""
    import uuid

    import httpx
    from tests.support.accounts import create_token, create_user

    database = live_server.server.config.app.state.database
    email = f"member-{uuid.uuid4().hex[:8]}@example.org"
    create_user(database, email)
    token = create_token(database, email, "mrv.*")
    with httpx.Client(base_url=live_server.url, headers={"authorization": f"Bearer {token}"}, timeout=120) as http:
        yield http
