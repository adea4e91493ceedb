"""The scan's count of distinct reading slots (``n_ts``), which decides which months get the
row-level duplicate check: a repeated timestamp must always leave ``n > n_ts``.

The map is one 128-bit word per day (per 128 slots where a day has more), so the edges of
words, days and months, times before 1970, and a duplicate next to a gap in the same word are
checked here against a count made in Python.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from c3p.mrv.monitoring import open_monitoring
from c3p.mrv.scan import scan_monitoring


@pytest.fixture(autouse=True, params=[False, True], ids=["day words", "month map"])
def month_map(request, monkeypatch):
    """Every test runs with both maps: the day words, and the month bitmap of text inputs
    (which applies from a 10-minute interval; shorter or undeclared ones keep the day words)."""
    monkeypatch.setattr(f"{__name__}.MONTH_MAP", request.param)


MONTH_MAP = False


def scanned(stamps: list[datetime], interval: int | None, period=None, constant=None) -> dict:
    """(site, month) -> (n, n_ts) for readings of one site and parameter at ``stamps``."""
    con = duckdb.connect()
    con.register("rows", pa.table({
        "site_id": pa.array(["S1"] * len(stamps)), "timestamp": pa.array(stamps, pa.timestamp("us")),
        "parameter": pa.array(["EG_i,p"] * len(stamps)), "value": pa.array([1.0] * len(stamps)),
        "unit": pa.array(["kWh"] * len(stamps)), "doubtful": pa.array([False] * len(stamps)),
    }))  # fmt: skip
    con.execute("CREATE VIEW monitoring_file AS SELECT * FROM rows")
    scan_monitoring(con, period, True, interval, constant, month_map=MONTH_MAP)
    found = con.execute("SELECT month, n, n_ts FROM scan_raw ORDER BY month").fetchall()
    return {month: (n, n_ts) for month, n, n_ts in found}


def quarter_hours(first: datetime, count: int) -> list[datetime]:
    return [first + timedelta(minutes=15 * k) for k in range(count)]


JANUARY = date(2024, 1, 1)


def test_distinct_quarter_hours_of_a_month_fill_the_map_exactly():
    """All 2,976 quarter-hours of January: 96 bits in each of 31 day words, no duplicate."""
    stamps = quarter_hours(datetime(2024, 1, 1), 96 * 31)
    assert scanned(stamps, 15) == {JANUARY: (2976, 2976)}


@pytest.mark.parametrize(
    "repeated",
    [datetime(2024, 1, 1, 0, 0), datetime(2024, 1, 31, 23, 45), datetime(2024, 1, 15, 23, 45),
     datetime(2024, 1, 16, 0, 0)],
    ids=["first slot of the month", "last slot of the month", "last slot of a day", "first slot of a day"],
)  # fmt: skip
def test_a_repeat_at_the_edge_of_a_day_or_month_is_counted_once(repeated):
    stamps = [*quarter_hours(datetime(2024, 1, 1), 96 * 31), repeated]
    assert scanned(stamps, 15) == {JANUARY: (2977, 2976)}


@pytest.mark.parametrize("gap_hour", [6, 23])
def test_a_duplicate_and_a_gap_in_the_same_word_leave_fewer_slots_than_rows(gap_hour):
    """One day: 10:00 written twice and one quarter-hour missing from the same day's word (or the
    day's last hour): the count of rows is the expected 96, the distinct slots 95."""
    day = quarter_hours(datetime(2024, 1, 1), 96)
    day.remove(datetime(2024, 1, 1, gap_hour, 15))
    day.append(datetime(2024, 1, 1, 10, 0))
    assert scanned(day, 15) == {JANUARY: (96, 95)}


@pytest.mark.parametrize(
    ("first", "second"),
    [(datetime(2024, 3, 1, 0, 31), datetime(2024, 3, 1, 0, 32)),
     (datetime(2024, 3, 1, 0, 0), datetime(2024, 3, 1, 23, 59)),
     (datetime(2024, 3, 1, 23, 59), datetime(2024, 3, 2, 0, 0))],
    ids=["minutes 127 and 128 of a word (two words)", "first and last minute of a day", "across midnight"],
)  # fmt: skip
def test_minute_slots_over_several_words_per_day(first, second):
    """Without a declared interval a slot is a minute, 1,440 a day in words of 128 (by minutes
    since 1970: 2024-03-01 00:31 is the last minute of one)."""
    march = date(2024, 3, 1)
    assert scanned([first, second], None) == {march: (2, 2)}
    assert scanned([first, second, second], None) == {march: (3, 2)}
    assert scanned([first, first, second], None) == {march: (3, 2)}


def test_times_before_1970_keep_distinct_slots_and_catch_repeats():
    """DuckDB's // truncates towards zero before 1970; the slots of a day stay distinct."""
    stamps = quarter_hours(datetime(1969, 12, 31), 96)
    december = date(1969, 12, 1)
    assert scanned(stamps, 15) == {december: (96, 96)}
    assert scanned([*stamps, datetime(1969, 12, 31, 23, 45)], 15) == {december: (97, 96)}
    assert scanned([*stamps, datetime(1969, 12, 31, 0, 0)], 15) == {december: (97, 96)}


@pytest.mark.parametrize("interval", [1, 5, 7, 10, 15, 60, 1440, 10080])
def test_random_readings_count_exactly_the_distinct_slots(interval):
    """Random on-grid readings with repeats over two months: ``n_ts`` is the number of distinct
    timestamps, so ``n > n_ts`` exactly when a timestamp repeats (an interval that does not divide
    a day, 7 minutes, maps to minute slots; a week to day slots)."""
    rng = random.Random(interval)
    step = timedelta(minutes=interval)
    grid = [datetime(2024, 1, 20) + step * k for k in range(int(timedelta(days=40) / step))]
    for _ in range(5):
        stamps = rng.sample(grid, min(len(grid), 400))
        stamps += rng.choices(stamps, k=rng.randrange(0, 4))  # a few repeats, sometimes none
        found = scanned(stamps, interval)
        for month, (n, n_ts) in found.items():
            inside = [s for s in stamps if s.month == month.month]
            assert (n, n_ts) == (len(inside), len(set(inside)))


def test_the_period_is_counted_per_day():
    """Readings on the last day of the period are inside it; the next day's are outside."""
    con_rows = quarter_hours(datetime(2024, 1, 30), 96 * 3)
    found = scanned(con_rows, 15, period=(date(2024, 1, 30), date(2024, 2, 1)))
    assert found == {JANUARY: (192, 192)}


def test_a_constant_label_is_no_group_key_but_keeps_its_value():
    stamps = quarter_hours(datetime(2024, 1, 1), 4) * 2
    assert scanned(stamps, 15, constant={"parameter": "EG_i,p", "unit": "kWh"}) == {JANUARY: (8, 4)}


def write(path, parameters: list[str], units: list[str], row_group_size: int = 2):
    table = pa.table({
        "site_id": ["S1"] * len(parameters),
        "timestamp": pa.array(quarter_hours(datetime(2024, 1, 1), len(parameters)), pa.timestamp("us")),
        "parameter": parameters, "value": [1.0] * len(parameters), "unit": units,
    })  # fmt: skip
    pq.write_table(table, path, row_group_size=row_group_size)
    return str(path)


def test_parquet_labels_are_constant_only_when_every_row_group_says_so(tmp_path):
    """One value in every row group: constant. Two values, in one row group or in different ones,
    a null, or no statistics: the label stays a group key."""
    con = duckdb.connect()
    one = write(tmp_path / "one.parquet", ["EG_i,p"] * 4, ["kWh"] * 4)
    assert open_monitoring(con, [one]).constant == {"parameter": "EG_i,p", "unit": "kWh"}
    mixed = write(tmp_path / "mixed.parquet", ["EG_i,p", "EG_i,p", "EG_i,p", "PE"], ["kWh", "MWh", "MWh", "MWh"])
    assert open_monitoring(con, [mixed]).constant == {}
    nulls = write(tmp_path / "nulls.parquet", ["EG_i,p"] * 4, ["kWh", "kWh", "kWh", None])
    assert open_monitoring(con, [nulls]).constant == {"parameter": "EG_i,p"}
    other = write(tmp_path / "other.parquet", ["PE"] * 4, ["kWh"] * 4)
    assert open_monitoring(con, [one, other]).constant == {"unit": "kWh"}
    bare = tmp_path / "bare.parquet"
    pq.write_table(pq.read_table(one), bare, write_statistics=False)
    assert open_monitoring(con, [str(bare)]).constant == {}
