"""Point 5 of the strict-MRV issue: streaming input, limits that refuse clearly, sign-in for uploads.

Each test here failed on the commit before this work: Parquet files with different schemas
crashed the scan, uploads had no cap on rows or unzipped size, anonymous uploads were
calculated, timestamps lost their UTC offsets silently, and an out-of-memory error escaped as
a DuckDB exception.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from c3p.errors import DataFileError, InvalidInput
from c3p.mrv import engine
from c3p.mrv.catalog import get_methodology
from c3p.mrv.engine import calculate
from c3p.mrv.monitoring import MonitoringLimits
from c3p.mrv.params import CalculationParams
from c3p.settings import Settings
from conftest import MNG_GRID, ONE_DAY, create_rows, write_csv, write_parquet

MN = get_methodology("MN_AM003")
BASE = "/api/v1/mrv/methodologies/MN_AM003/calculate"
SRC = str(Path(__file__).resolve().parents[3] / "src")


def write_xlsx(path: Path, rows: list[dict], padding_bytes: int = 0) -> Path:
    """An xlsx of ``rows``; ``padding_bytes`` of zeros add a part that compresses to almost nothing."""
    book = Workbook()
    sheet = book.active
    sheet.append(["site_id", "timestamp", "parameter", "value", "unit"])
    for row in rows:
        sheet.append([row["site_id"], row["timestamp"], row["parameter"], float(row["value"]), row["unit"]])
    book.save(path)
    if padding_bytes:
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/padding.bin", b"\0" * padding_bytes)
    return path


def params(**extra) -> CalculationParams:
    return CalculationParams.from_mapping({**ONE_DAY, **extra})


# ---- several files, one schema ----


@pytest.mark.parametrize(
    ("column", "kind"),
    [("value", pa.string()), ("timestamp", pa.string()), ("site_id", pa.int64())],
)
def test_parquet_files_with_different_schemas_are_refused_naming_file_and_column(tmp_path, column, kind):
    first = write_parquet(tmp_path / "a.parquet", create_rows(sites=("S1",)))
    rows = create_rows(sites=("7",))
    for row in rows:
        row[column] = {"value": "400", "site_id": 7}.get(column, row[column])
    second = write_parquet(tmp_path / "b.parquet", rows, **{column: kind})
    with pytest.raises(DataFileError) as refused:
        calculate(MN, [first, second], params())
    assert refused.value.path == str(second)
    assert f"column {column!r}" in refused.value.detail


def test_parquet_file_missing_a_column_is_refused_naming_it(tmp_path):
    first = write_parquet(tmp_path / "a.parquet", create_rows(sites=("S1",)))
    second = tmp_path / "b.parquet"
    table = pq.read_table(write_parquet(second, create_rows(sites=("S2",)))).drop(["unit"])
    pq.write_table(table, second)
    with pytest.raises(DataFileError) as refused:
        calculate(MN, [first, second], params())
    assert refused.value.path == str(second) and "'unit'" in refused.value.detail


def test_parquet_files_of_one_schema_are_read_as_one_input(tmp_path):
    files = [write_parquet(tmp_path / f"{site}.parquet", create_rows(sites=(site,))) for site in ("S1", "S2")]
    result = calculate(MN, files, params())
    assert result.sites == 2 and result.provenance.input_rows == 192


# ---- caps on rows and unzipped size ----


@pytest.mark.parametrize("kind", ["csv", "parquet", "xlsx"])
def test_more_rows_than_the_cap_are_refused_naming_the_setting(tmp_path, kind):
    rows = create_rows(sites=("S1",))
    writer = {"csv": write_csv, "parquet": write_parquet, "xlsx": write_xlsx}[kind]
    path = writer(tmp_path / f"d.{kind}", rows)
    with pytest.raises(DataFileError, match="mrv_upload_max_rows"):
        calculate(MN, [path], params(), limits=MonitoringLimits(max_rows=95))
    assert calculate(MN, [path], params(), limits=MonitoringLimits(max_rows=96)).provenance.input_rows == 96


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = write_xlsx(tmp_path / "bomb.xlsx", create_rows(intervals=4), padding_bytes=64 << 20)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(DataFileError, match="mrv_upload_max_unzipped_bytes"):
        calculate(MN, [path], params(), limits=MonitoringLimits(max_unzipped_bytes=16 << 20))


# ---- text as written: offsets and thousands separators ----


def shifted(rows: list[dict], offset: str, hours: int = 0) -> list[dict]:
    """The same instants written in another zone: local time minus ``hours``, with ``offset``."""
    out = []
    for row in rows:
        moment = datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M") - timedelta(hours=hours)
        out.append({**row, "timestamp": moment.strftime("%Y-%m-%dT%H:%M") + offset})
    return out


def test_timestamps_keep_their_offsets_converted_to_one_stated_zone(tmp_path):
    """96 readings of 0.4 MWh on 2024-01-01 in Jakarta (UTC+07:00), written in UTC: 17:00 the
    day before to 16:45. Converted to +07:00 they all fall on 2024-01-01: 38.4 MWh x 0.797."""
    rows = create_rows(value=0.4, unit="MWh")
    local = calculate(MN, [write_csv(tmp_path / "local.csv", shifted(rows, "+07:00"))], params())
    in_utc = write_csv(tmp_path / "utc.csv", shifted(rows, "Z", hours=7))
    stated = calculate(MN, [in_utc], params(timezone="+07:00"))
    assert local.timezone == stated.timezone == "UTC+07:00"
    assert stated.reference_emissions_tco2 == pytest.approx(38.4 * 0.797)
    assert stated.reference_emissions_tco2 == pytest.approx(local.reference_emissions_tco2)
    # without a stated zone the UTC file is read in UTC: 7 hours fall outside the period
    unstated = calculate(MN, [in_utc], params())
    assert unstated.timezone == "UTC+00:00"
    assert unstated.reference_emissions_tco2 == pytest.approx((96 - 28) * 0.4 * 0.797)


def test_a_reading_without_an_offset_among_readings_with_one_is_refused(tmp_path):
    rows = shifted(create_rows(), "+07:00")
    rows[5]["timestamp"] = rows[5]["timestamp"][:-6]
    with pytest.raises(DataFileError, match=r"row 7, column timestamp .*UTC offset"):
        calculate(MN, [write_csv(tmp_path / "mixed.csv", rows)], params())


def test_a_bad_timezone_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="timezone"):
        CalculationParams.from_mapping({**ONE_DAY, "timezone": 7})
    path = write_csv(tmp_path / "d.csv", shifted(create_rows(), "+07:00"))
    for zone in ("Asia/Tokyo", "+25:00", "+07:75"):
        with pytest.raises(InvalidInput, match="timezone"):
            calculate(MN, [path], params(timezone=zone))


def test_thousands_separators_only_where_declared(tmp_path):
    """96 readings of 1,000.5 kWh = 96.048 MWh x 0.797 = 76.55 tCO2."""
    path = write_csv(tmp_path / "t.csv", create_rows(value="1,000.5"))
    with pytest.raises(DataFileError, match="row 2, column value"):
        calculate(MN, [path], params())
    declared = calculate(MN, [path], params(), thousands=",")
    assert declared.reference_emissions_tco2 == pytest.approx(96 * 1.0005 * 0.797)
    misplaced = write_csv(tmp_path / "m.csv", create_rows(value="10,00.5"))
    with pytest.raises(DataFileError, match=r"row 2, column value .*not a number"):
        calculate(MN, [misplaced], params(), thousands=",")
    comma_decimal = write_csv(tmp_path / "c.csv", create_rows(value="1.000,5"))
    result = calculate(MN, [comma_decimal], params(), decimal=",", thousands=".")
    assert result.reference_emissions_tco2 == pytest.approx(declared.reference_emissions_tco2)
    with pytest.raises(InvalidInput, match="also the decimal mark"):
        calculate(MN, [path], params(), thousands=".")


# ---- memory: a clear error or a result, never a crash ----

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from c3p.errors import C3PError
    from c3p.mrv import catalog, engine
    from c3p.mrv.params import CalculationParams

    methodology = catalog.get_methodology("MN_AM003")
    with open("/proc/self/statm") as handle:
        mapped = int(handle.read().split()[0]) * resource.getpagesize()
    limit = mapped + int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    params = CalculationParams.from_mapping({"interval_minutes": 15, "EF_RE,i": {"factor": "MNG-grid"}})
    try:
        result = engine.calculate(methodology, [sys.argv[1]], params)
        print(json.dumps({"ok": result.reference_emissions_tco2}))
    except C3PError as exc:
        print(json.dumps({"refused": exc.detail}))
    """
)


@pytest.mark.parametrize("headroom_mib", [16, 256])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_under_an_address_space_limit_the_engine_finishes_or_refuses(tmp_path, kind, headroom_mib):
    """The process may map only ``headroom_mib`` more than it holds after start-up (16 MiB: less
    than the 21 MB CSV). A thread pool that cannot be mapped aborts the process in glibc
    ("cannot allocate memory for thread-local data"), so the engine must start none it needs."""
    rows = create_rows(sites=tuple(f"S{i:03d}" for i in range(60)), intervals=96 * 31 * 3, value=0.4)
    path = write_csv(tmp_path / "big.csv", rows) if kind == "csv" else write_parquet(tmp_path / "big.parquet", rows)
    csv_size = (tmp_path / "big.csv").stat().st_size if kind == "csv" else 0
    assert kind == "parquet" or csv_size > 16 << 20
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(headroom_mib << 20)], capture_output=True,
                          text=True, timeout=600, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    if "ok" in answer:
        assert answer["ok"] == pytest.approx(60 * 96 * 31 * 3 * 0.4 * 0.797 / 1000, rel=1e-9)
    else:
        assert "memory" in answer["refused"]


# ---- the API: sign-in and caps ----


def test_anonymous_uploads_of_monitoring_data_are_refused(live_server, tmp_path):
    path = write_csv(tmp_path / "d.csv", create_rows())
    for headers in ({}, {"cookie": "c3p_session=not-a-session"}):
        with open(path, "rb") as handle:
            answer = httpx.post(live_server.url + BASE, data={"params": json.dumps(ONE_DAY)}, headers=headers,
                                files={"monitoring": ("d.csv", handle, "text/csv")}, timeout=60)  # fmt: skip
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    typed_in = httpx.post(live_server.url + "/api/v1/mrv/methodologies/MN_AM003/estimate",
                          json={"EG_i,p": {"value": 100, "unit": "MWh"}, **MNG_GRID}, timeout=60)  # fmt: skip
    assert typed_in.status_code == 200 and typed_in.json()["emission_reductions_tco2"] == 79


@pytest.fixture
def small_limits_server(new_database_url, tmp_path):
    from tests.conftest import LiveServer
    from tests.support.accounts import create_token, create_user

    from c3p.db.database import Database
    from c3p.program.seed_loader import init_database
    from c3p.web.app import create_app

    database = Database(new_database_url("sqlite"))
    init_database(database)
    settings = Settings(data_dir=tmp_path / "data", database_url=database.url, mrv_upload_max_bytes=200_000,
                        mrv_upload_max_rows=100, mrv_upload_max_unzipped_bytes=1 << 20)  # fmt: skip
    server = LiveServer(create_app(settings, database), tmp_path).start()
    create_user(database, "limits@example.org")
    token = create_token(database, "limits@example.org", "mrv.*")
    with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=60) as client:
        yield client
    server.stop()
    database.dispose()


def upload(client: httpx.Client, path: Path) -> httpx.Response:
    with open(path, "rb") as handle:
        return client.post(BASE, data={"params": json.dumps(ONE_DAY)},
                           files={"monitoring": (path.name, handle, "application/octet-stream")})  # fmt: skip


def test_the_api_caps_rows_unzipped_size_and_bytes(small_limits_server, tmp_path):
    assert upload(small_limits_server, write_csv(tmp_path / "ok.csv", create_rows())).status_code == 200
    too_many = upload(small_limits_server, write_csv(tmp_path / "rows.csv", create_rows(intervals=101)))
    assert too_many.status_code == 422 and "mrv_upload_max_rows" in too_many.json()["detail"]
    bomb = upload(small_limits_server, write_xlsx(tmp_path / "b.xlsx", create_rows(intervals=4), 8 << 20))
    assert bomb.status_code == 422 and "mrv_upload_max_unzipped_bytes" in bomb.json()["detail"]
    large = tmp_path / "large.csv"
    write_csv(large, create_rows(sites=tuple(f"S{i}" for i in range(60))))
    assert large.stat().st_size > 200_000
    refused = upload(small_limits_server, large)
    assert refused.status_code in (413, 422) and "200,000" in refused.json()["detail"].replace("200000", "200,000")


# ---- one pass over a CSV: cells the fast tests doubt get the strict checks ----


@pytest.mark.parametrize(
    ("row", "cell", "expected"),
    [
        (40, {"value": "1_000"}, "row 42, column value ('1_000'): is not a number"),
        (40, {"value": "1,5"}, "row 42, column value ('1,5'): has a comma"),
        (40, {"value": "inf"}, "row 42, column value is inf, not a finite number"),
        (40, {"value": "4 00"}, "row 42, column value ('4 00'): is not a number"),
        (40, {"value": "+-1"}, "row 42, column value ('+-1'): is not a number"),
        (40, {"timestamp": "2024-01-01 10:00+07:00"}, "row 42, column timestamp"),
        (40, {"timestamp": "31/01/2024 10:00"}, "row 42, column timestamp ('31/01/2024 10:00'): is not a date"),
        (40, {"unit": ""}, "row 42, column unit"),
    ],
)
def test_a_doubtful_csv_cell_is_refused_by_the_strict_checks_naming_it(tmp_path, row, cell, expected):
    """The scan parses a CSV once; a cell it cannot take as clean (a number in a form the strict
    pattern refuses, a timestamp of the other offset convention or not a date) is refused with
    the strict path's message, row and column, never read as a number."""
    rows = create_rows()
    rows[row].update(cell)
    with pytest.raises(DataFileError) as refused:
        calculate(MN, [write_csv(tmp_path / "d.csv", rows)], params())
    assert expected in refused.value.detail


def test_labels_padded_with_spaces_read_as_the_trimmed_labels(tmp_path):
    """Padded labels go through the strict path, which trims them: one site, not two."""
    rows = create_rows()
    rows[5]["site_id"], rows[6]["unit"] = " S1", "kWh "
    result = calculate(MN, [write_csv(tmp_path / "d.csv", rows)], params())
    # 96 readings x 0.4 MWh x 0.797 = 30.6 -> 30
    assert result.sites == 1 and result.emission_reductions_tco2 == 30


def test_offsets_after_the_first_row_must_follow_it(tmp_path):
    rows = create_rows()
    for item in rows:
        item["timestamp"] += "+07:00"
    rows[50]["timestamp"] = rows[50]["timestamp"][:-6]
    with pytest.raises(DataFileError, match="row 52, column timestamp"):
        calculate(MN, [write_csv(tmp_path / "d.csv", rows)], params(timezone="+07:00"))


def test_a_parquet_reading_without_timestamp_is_refused_not_dropped(tmp_path):
    """Before the one scan, rows without a timestamp fell out of the period filter unseen."""
    rows = create_rows()
    path = write_parquet(tmp_path / "d.parquet", rows)
    table = pq.read_table(path)
    stamps = table["timestamp"].to_pylist()
    stamps[7] = None
    pq.write_table(table.set_column(1, "timestamp", pa.array(stamps, pa.timestamp("us"))), path)
    with pytest.raises(DataFileError, match="row 8, column timestamp: empty"):
        calculate(MN, [path], params())


def test_period_and_outside_rows_come_from_the_one_scan(tmp_path):
    """Without a declared period the months the readings span are used; with one, rows beyond
    it are counted (and the first named) from the same pass."""
    rows = create_rows(intervals=96 * 2)
    path = write_csv(tmp_path / "d.csv", rows)
    spanned = calculate(MN, [path], CalculationParams.from_mapping({"interval_minutes": 15, **MNG_GRID}))
    assert (spanned.period_start, spanned.provenance.input_rows) == (datetime(2024, 1, 1).date(), 192)
    one_day = calculate(MN, [path], params())
    outside = next(f for f in one_day.findings if f.code == "outside-period")
    assert (outside.rows, outside.first_line, one_day.provenance.input_rows) == (96, 98, 96)


def test_readings_sharing_a_slot_of_the_duplicate_map_are_told_apart_exactly(tmp_path):
    """The scan's duplicate map has one bit per declared interval (15 minutes), so readings at
    10:00 and 10:05 share a bit: the exact check must still see two distinct times (no
    duplicate), while 10:05 written twice is one duplicate, the smaller reading kept.

    Readings: 96 on the grid of 0.4 MWh, plus 10:05 at 0.3 MWh (and again at 0.2 MWh).
    Without the repeat: RE = (38.4 + 0.3) x 0.797 = 30.84 -> 30, no duplicate finding.
    With it: 0.2 kept, the extra 0.3 dropped, RE = (38.4 + 0.2) x 0.797 = 30.76 -> 30.
    """
    rows = create_rows()
    rows.append({**rows[40], "timestamp": "2024-01-01 10:05", "value": 300.0})
    apart = calculate(MN, [write_csv(tmp_path / "apart.csv", rows)], params())
    assert "duplicate" not in {f.code for f in apart.findings}
    assert apart.reference_emissions_tco2 == pytest.approx(38.7 * 0.797, rel=1e-9)
    rows.append({**rows[-1], "value": 200.0})
    twice = calculate(MN, [write_csv(tmp_path / "twice.csv", rows)], params())
    duplicate = [f for f in twice.findings if f.code == "duplicate"]
    assert len(duplicate) == 1 and duplicate[0].rows == 1
    assert twice.reference_emissions_tco2 == pytest.approx(38.6 * 0.797, rel=1e-9)


def test_a_parquet_day_with_a_duplicate_and_a_gap_at_its_edges_is_caught(tmp_path):
    """Parquet with one parameter and unit (labels read as constant from the footer, so the scan
    groups by site and day only): 00:00 written twice (400 and 300 kWh) and 23:45 missing, the
    first and last slot of the day's word. 96 rows as expected, 95 distinct quarter-hours.

    The smaller repeat is kept and the gap counted as zero: 94 x 0.4 + 0.3 = 37.9 MWh,
    RE = 37.9 x 0.797 = 30.2063 (96 x 0.4 x 0.797 = 30.6048 if the pair hid the gap).
    """
    rows = create_rows()[:-1]
    rows.append({**rows[0], "value": 300.0})
    result = calculate(MN, [write_parquet(tmp_path / "d.parquet", rows)], params())
    assert {f.code for f in result.findings} == {"duplicate", "gap"}
    assert result.reference_emissions_tco2 == pytest.approx(37.9 * 0.797, rel=1e-9)


def test_a_reading_repeated_in_another_parquet_file_is_caught_with_the_gap_it_hides(tmp_path):
    """Each Parquet file of several is scanned on its own, so its day map does not see the
    other's readings: the first file holds 00:00-11:45, the second 12:00-23:30 and 00:00
    again (300 kWh), 23:45 missing. Each file alone has no repeat, and together they hold the
    96 rows a day expects; the group found in both files must still go to the exact check.

    The smaller repeat is kept and the gap counted as zero: 94 x 0.4 + 0.3 = 37.9 MWh,
    RE = 37.9 x 0.797 = 30.2063 (96 x 0.4 x 0.797 = 30.6048 if the pair hid the gap).
    """
    rows = create_rows()
    first = write_parquet(tmp_path / "a.parquet", rows[:48])
    second = write_parquet(tmp_path / "b.parquet", [*rows[48:95], {**rows[0], "value": 300.0}])
    result = calculate(MN, [first, second], params())
    assert {f.code for f in result.findings} == {"duplicate", "gap"}
    assert result.reference_emissions_tco2 == pytest.approx(37.9 * 0.797, rel=1e-9)
    whole = calculate(MN, [first, write_parquet(tmp_path / "c.parquet", rows[48:])], params())
    assert not {"duplicate", "gap"} & {f.code for f in whole.findings}
    assert whole.reference_emissions_tco2 == pytest.approx(96 * 0.4 * 0.797, rel=1e-9)


def test_a_parquet_footer_that_misstates_the_unit_is_refused(tmp_path):
    """Statistics are the file's own word: a footer edited to say every row is in MWh while the
    rows say kWh would read 400 kWh as 400 MWh (RE x 1000). The rows are checked against it."""
    path = write_parquet(tmp_path / "d.parquet", create_rows())
    honest = calculate(MN, [path], params())
    assert honest.reference_emissions_tco2 == pytest.approx(96 * 0.4 * 0.797, rel=1e-9)
    data = path.read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer
    edited = data[:start] + data[start:].replace(b"kWh", b"MWh")
    assert edited != data and pq.ParquetFile(pa.BufferReader(edited)).metadata.num_rows == 96
    path.write_bytes(edited)
    with pytest.raises(InvalidInput, match=r"statistics say every row has .*MWh.*96 rows hold another value"):
        calculate(MN, [path], params())


def test_a_parquet_footer_that_hides_a_blank_reading_is_refused(tmp_path):
    """A footer edited to say the value column has no nulls let DuckDB count the values from
    the statistics (``count(value)`` became ``count(*)``), so a blank reading passed as read
    and added nothing: 95 x 0.4 x 0.797 instead of a refusal. The rows are counted instead."""
    rows = create_rows()
    rows[5]["value"] = None
    path = write_parquet(tmp_path / "d.parquet", rows)
    with pytest.raises(DataFileError, match="row 6, column value is empty"):
        calculate(MN, [path], params())
    data = path.read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer
    one_null = b"\x16\x02"  # Statistics.null_count (field 3, i64) = 1, zigzag-encoded
    assert data[start:].count(one_null) == 1
    path.write_bytes(data[:start] + data[start:].replace(one_null, b"\x16\x00"))
    assert pq.ParquetFile(path).metadata.row_group(0).column(3).statistics.null_count == 0
    with pytest.raises(DataFileError, match="row 6, column value is empty"):
        calculate(MN, [path], params())


def _edit_footer(path: Path, old: bytes, new: bytes, count: int) -> None:
    """Replace ``old`` by ``new`` in ``path``'s Parquet footer (the statistics), where it occurs ``count`` times."""
    data = path.read_bytes()
    start = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    assert data[start:].count(old) == count
    path.write_bytes(data[:start] + data[start:].replace(old, new))


def _micros(moment: datetime) -> bytes:
    return int((moment - datetime(1970, 1, 1)).total_seconds() * 1_000_000).to_bytes(8, "little")


def test_a_parquet_footer_that_ends_its_timestamps_within_the_period_credits_no_day_outside(tmp_path):
    """Two days of readings, a period of one: the second day is outside (RE 96 x 0.4 x 0.797 =
    30.6048). A footer edited to say the last timestamp is 2024-01-01 23:45 let DuckDB fold the
    per-row period test to true: both days were credited (61.2096) with no finding."""
    path = write_parquet(tmp_path / "d.parquet", create_rows(intervals=192))
    _edit_footer(path, _micros(datetime(2024, 1, 2, 23, 45)), _micros(datetime(2024, 1, 1, 23, 45)), 2)
    assert pq.ParquetFile(path).metadata.row_group(0).column(1).statistics.max == datetime(2024, 1, 1, 23, 45)
    result = calculate(MN, [path], params())
    assert "outside-period" in {f.code for f in result.findings}
    assert result.reference_emissions_tco2 == pytest.approx(96 * 0.4 * 0.797, rel=1e-9)


def test_a_parquet_footer_that_names_another_site_hides_no_duplicate(tmp_path):
    """00:00 written twice (400 and 300 kWh), 23:45 missing. A footer edited to say the site
    column holds only S9 let DuckDB skip the row group when the duplicate check read S1's rows:
    no finding, 95 x 0.4 + 0.3 = 38.3 MWh credited. The rows decide: the smaller repeat is kept
    and the gap counted as zero, 94 x 0.4 + 0.3 = 37.9 MWh, RE = 37.9 x 0.797 = 30.2063."""
    rows = create_rows()[:-1]
    rows.append({**rows[0], "value": 300.0})
    path = write_parquet(tmp_path / "d.parquet", rows)
    _edit_footer(path, b"S1", b"S9", 2)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).statistics.max == "S9"
    result = calculate(MN, [path], params())
    assert {f.code for f in result.findings} == {"duplicate", "gap"}
    assert result.reference_emissions_tco2 == pytest.approx(37.9 * 0.797, rel=1e-9)


def test_a_csv_scan_that_outgrows_its_lean_memory_runs_again_under_the_whole_limit(tmp_path, monkeypatch):
    """A CSV is scanned under a smaller DuckDB limit than the calculation's (its day groups
    grow with the file); an input that needs more is read again under the whole limit, not
    refused, and the limit is given back. 96 readings of 400 kWh: RE = 96 x 0.4 x 0.797."""
    monkeypatch.setattr(engine, "TEXT_SCAN_LIMIT_BYTES", 1 << 20)
    with engine.bounded_connection() as con:
        setting = lambda: con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # noqa: E731
        whole, limits = setting(), []

        def scan():
            limits.append(setting())
            return con.execute("SELECT count(DISTINCT range) FROM range(2000000)").fetchone()

        assert engine._within_text_scan_limit(con, scan) == (2_000_000,)
        assert limits == ["1.0 MiB", whole] and setting() == whole
    result = calculate(MN, [write_csv(tmp_path / "d.csv", create_rows())], params())
    assert result.reference_emissions_tco2 == pytest.approx(96 * 0.4 * 0.797, rel=1e-9)


def test_a_parquet_footer_that_hides_a_blank_site_is_refused_naming_its_row(tmp_path):
    """Where a footer says the site column has no nulls, DuckDB reads a null site as ``''``:
    the blank row became a site of its own and the file was accepted (RE 96 x 0.4 x 0.797
    with two gap findings). An empty site is refused like a null one, naming the row."""
    rows = create_rows()
    rows[5]["site_id"] = None
    path = write_parquet(tmp_path / "d.parquet", rows)
    data = path.read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer
    one_null = b"\x36\x02"  # Statistics.null_count (field 3, the first written for strings) = 1
    assert data[start:].count(one_null) == 1
    path.write_bytes(data[:start] + data[start:].replace(one_null, b"\x36\x00"))
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).statistics.null_count == 0
    with pytest.raises(DataFileError, match="row 6, column site_id: empty"):
        calculate(MN, [path], params())


def test_a_parquet_footer_that_misplaces_a_row_group_loses_no_reading(tmp_path):
    """A file of many row groups (144 sites x one year, 5 M rows; DuckDB splits the scan into
    ranges of the site column from the row groups' statistics, one thread) with S0004's
    00:00 written again, 300 kWh against 400, in a row group of its own. A footer edited to
    say that row group holds site S9999 let DuckDB read it only in the last range, whose filter
    then dropped its row: no duplicate, 400 kWh credited. The rows decide: the smaller repeat
    is kept, RE = (rows x 0.4 - 0.1) x 0.797."""
    sites, per_site = 144, 35_040
    stamps = np.datetime64("2024-01-01T00:00") + np.arange(per_site) * np.timedelta64(15, "m")
    year = pa.table({
        "site_id": np.repeat([f"S{i:04d}" for i in range(sites)], per_site),
        "timestamp": np.tile(stamps.astype("datetime64[us]"), sites),
        "parameter": pa.repeat("EG_i,p", sites * per_site), "value": np.full(sites * per_site, 400.0),
        "unit": pa.repeat("kWh", sites * per_site),
    })  # fmt: skip
    repeat = pa.table({"site_id": ["S0004"], "timestamp": stamps[:1].astype("datetime64[us]"),
                       "parameter": ["EG_i,p"], "value": [300.0], "unit": ["kWh"]})  # fmt: skip
    path = tmp_path / "year.parquet"
    with pq.ParquetWriter(path, year.schema) as writer:
        writer.write_table(year, row_group_size=3 * per_site)
        writer.write_table(repeat.cast(year.schema))
    _edit_footer(path, b"S0004", b"S9999", 2)
    year_params = {"period": {"start": "2024-01-01", "end": "2024-12-30"}, "interval_minutes": 15, **MNG_GRID}
    result = calculate(MN, [path], CalculationParams.from_mapping(year_params), limits=MonitoringLimits(threads=1))
    assert {f.code for f in result.findings} == {"duplicate"}
    assert result.reference_emissions_tco2 == pytest.approx((sites * per_site * 0.4 - 0.1) * 0.797, rel=1e-9)
