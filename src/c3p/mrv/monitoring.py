"""Monitoring data: reading CSV, Excel and Parquet into one long table, with clear errors.

The canonical layout is ``site_id, timestamp, parameter, value, unit`` (parameter = the
methodology symbol). Parquet is scanned in place by DuckDB so that files larger than memory
stream; CSV and Excel are loaded as text first so that a bad date or a word in a number
can be reported with its row and column instead of a parser's stack trace.
"""

from __future__ import annotations

import hashlib
import re
import resource
import zipfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from c3p.errors import DataFileError, InvalidInput

COLUMNS = ("site_id", "timestamp", "parameter", "value", "unit")
Decimal = Literal[".", ","]
Thousands = Literal[",", ".", " "]
_INTEGER = "[0-9]+"
_FRACTION_EXPONENT = "([{mark}][0-9]*)?([eE][+-]?[0-9]+)?"
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
            "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")  # fmt: skip
#: a time of day followed by a UTC offset: "2024-01-31 23:45+07:00", "…T16:45Z"
_OFFSET = r"[T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_ZONE = re.compile(r"^(?:UTC|Z|([+-])([0-9]{2}):?([0-9]{2}))$")
_XLSX_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class MonitoringLimits:
    """Caps on what one upload may make the server read (the API sets them; the CLI does not)."""

    max_rows: int | None = None
    max_unzipped_bytes: int | None = None
    #: DuckDB threads for the calculation (a server keeps a core for other requests); None: all
    threads: int | None = None


@dataclass(frozen=True)
class TextFormat:
    """How numbers and times are written in CSV and xlsx text: declared, never guessed."""

    decimal: Decimal | None = None
    thousands: Thousands | None = None
    timezone: str | None = None  # the zone readings with UTC offsets are converted to


@dataclass(frozen=True)
class MonitoringInput:
    """The monitoring files of one calculation, registered as the DuckDB view ``monitoring_file``.

    ``timezone`` is the zone (e.g. ``UTC+07:00``) that readings written with a UTC offset were
    converted to, or None when the readings carry no offset and are taken as written.
    """

    paths: tuple[str, ...]
    sha256: dict[str, str]
    relation_sql: str
    timezone: str | None = None
    #: for a CSV read on the fast path: registers the strictly checked views instead (naming
    #: the first bad cell) and returns their zone; None where the views are already strict
    strict: Callable[[], str | None] | None = None
    #: labels (``parameter``, ``unit``) holding one value in every row, from Parquet statistics
    constant: dict[str, str] = field(default_factory=dict)
    #: each file of several as a relation of ``monitoring_file``'s columns, scanned one at a time
    parts: tuple[str, ...] = ()


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_monitoring(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    mapping: Mapping[str, str] | None = None,
    decimal: Decimal | None = None,
    *,
    text: TextFormat | None = None,
    limits: MonitoringLimits | None = None,
) -> MonitoringInput:
    """Register the files as view ``monitoring_file`` (canonical, typed columns) on ``con``.

    ``decimal`` is the decimal mark of numbers written as text (CSV, text cells of xlsx);
    without it a value containing a comma is refused, since "1,5" and "1,500" are read
    differently in Jakarta and in Tokyo. Every format is read through DuckDB as a stream (an
    xlsx through openpyxl's read-only mode, batch by batch), so memory does not grow with
    the input.
    """
    if not paths:
        raise DataFileError("(none)", None, "no monitoring file given")
    text = text or TextFormat(decimal=decimal)
    if decimal is not None and text.decimal is None:
        text = TextFormat(decimal, text.thousands, text.timezone)
    if text.thousands is not None and text.thousands == (text.decimal or "."):
        raise InvalidInput(f"the thousands separator {text.thousands!r} is also the decimal mark")
    names = [str(p) for p in paths]
    for name in names:
        if not Path(name).exists():
            raise DataFileError(name, None, "file not found")
    suffixes = {Path(name).suffix.lower() for name in names}
    limits = limits or MonitoringLimits()
    if suffixes <= {".parquet", ".pq"}:
        zone, constant, parts = _parquet_view(con, names, mapping or {}, text.timezone, limits)
        return MonitoringInput(tuple(names), {}, "monitoring_file", zone, constant=constant, parts=parts)
    elif len(names) == 1 and suffixes <= {".csv", ".txt"} and text.thousands is None:
        strict = lambda: _text_view(con, names[0], mapping or {}, text, limits)  # noqa: E731
        fast = _fast_csv_view(con, names[0], mapping or {}, text)
        if fast is None:
            return MonitoringInput(tuple(names), {}, "monitoring_file", strict())
        return MonitoringInput(tuple(names), {}, "monitoring_file", fast[0], strict)
    elif len(names) == 1 and suffixes <= {".csv", ".txt", ".xlsx"}:
        zone = _text_view(con, names[0], mapping or {}, text, limits)
    else:
        raise DataFileError(", ".join(names), None, "give one CSV/xlsx file or Parquet files only")
    return MonitoringInput(tuple(names), {}, "monitoring_file", zone)


def _fast_csv_view(con, path: str, mapping: Mapping[str, str], text: TextFormat) -> tuple[str | None] | None:
    """Views over a CSV parsed once, inside the scan; None where only the strict path can read it.

    The strict path (:func:`_text_view`) reads the file twice: a pass of pattern checks, then
    the scan. Here a cheap test per row (characters of a number, the same offset convention as
    the first row) is column ``doubtful``, counted by the scan, and the scan's group keys are
    tested for empty or padded labels (:func:`~c3p.mrv.scan.blank_keys`); a doubtful row,
    or a cell that fails its cast, sends the engine to the strict path, which names the first
    bad cell. A clean file is thus parsed once, and a bad one refused with the same message.
    """
    if Path(path).stat().st_size == 0:
        return None
    source = (f"read_csv({_literal(path)}, all_varchar = true, header = true, "
              "auto_detect = true, null_padding = true)")  # fmt: skip
    try:
        found = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        chosen = _select_list(found, mapping, path)
        first = con.execute(f"SELECT trim({_quote(chosen['timestamp'])}) FROM {source} LIMIT 1").fetchone()
    except duckdb.OutOfMemoryException:
        raise
    except (duckdb.Error, DataFileError):
        return None
    if first is None or first[0] is None:
        return None
    cells = ", ".join(f"CAST({_quote(chosen[c])} AS VARCHAR) AS {c}" for c in COLUMNS)
    stamp, zone, doubtful = _fast_checks(first[0], text)
    number = "value" if text.decimal != "," else "replace(value, ',', '.')"
    typed = (f"site_id, {stamp} AS timestamp, parameter, CAST(nullif({number}, '') AS DOUBLE) AS value, "
             f"unit, {doubtful} AS doubtful")  # fmt: skip
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_raw AS SELECT {cells} FROM {source}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file AS SELECT {typed} FROM monitoring_raw")
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file_lines AS SELECT {typed}, line, {_literal(path)} AS file "
                "FROM (SELECT *, row_number() OVER () + 1 AS line FROM monitoring_raw)")  # fmt: skip
    return (zone,)


def _fast_checks(first_stamp: str, text: TextFormat) -> tuple[str, str | None, str]:
    """SQL of the typed timestamp, its zone, and the test sending a row to the strict path.

    DuckDB's cast of a number refuses what the strict pattern refuses except the other decimal
    mark, an underscore (``1_000``), two signs (``+-1``, read as -1) and the words for infinity
    and NaN (refused later as not finite), so those three are tested here; labels padded with
    spaces go to the strict path, which trims them (trimming every cell cost more than parsing
    it). Times follow the first row: all with a UTC offset or none.
    """
    stamp, zone = "CAST(timestamp AS TIMESTAMP)", None
    if re.search(_OFFSET, first_stamp):
        seconds = _offset_seconds(text.timezone or _written_offset(first_stamp))
        stamp, zone = _in_zone("CAST(timestamp AS TIMESTAMPTZ)", seconds), _zone_name(seconds)
        other_convention = f"NOT regexp_matches(timestamp, '{_OFFSET}')"
    else:  # a superset of the offset pattern: a false alarm only costs the strict path
        other_convention = ("contains(timestamp, '+') OR ends_with(timestamp, 'Z') "
                            "OR contains(substr(timestamp, 11), '-')")  # fmt: skip
    other_mark = "," if (text.decimal or ".") == "." else "."
    # Labels and missing times are tested on the scan's group keys instead (blank_keys): the
    # same tests per row cost more than parsing the file.
    doubtful = (f"{other_convention} OR contains(value, '{other_mark}') OR contains(value, '_') "
                "OR starts_with(value, '+-')")  # fmt: skip
    return stamp, zone, doubtful


def hash_files_in_background(paths: Sequence[Path | str]) -> Future[dict[str, str]]:
    """Start hashing the inputs for provenance while DuckDB scans them (hashlib frees the GIL).

    Under an address-space limit (``ulimit -v``) the files are hashed here and now instead: a
    thread started while DuckDB holds most of what is left may find no room for its stack,
    its malloc arena or its thread-local data, and glibc aborts the process on the last
    ("cannot allocate memory for thread-local data") instead of raising.
    """
    work = lambda: {str(p): file_sha256(p) for p in paths}  # noqa: E731
    future: Future[dict[str, str]] = Future()
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        future.set_result(work())
        return future
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="c3p-sha256")
    try:
        future = pool.submit(work)
    except RuntimeError:  # "can't start new thread"
        future.set_result(work())
    pool.shutdown(wait=False)
    return future


def _select_list(found: Sequence[str], mapping: Mapping[str, str], path: str) -> dict[str, str]:
    """Canonical column -> source column, refusing missing columns with the header found."""
    lowered = {c.lower().strip(): c for c in found}
    chosen: dict[str, str] = {}
    for column in COLUMNS:
        source = mapping.get(column, column)
        if source.lower().strip() not in lowered:
            raise DataFileError(
                path,
                1,
                f"missing column {source!r}; the header has {', '.join(found)!s}. "
                "Expected site_id, timestamp, parameter, value, unit (or map columns).",
            )
        chosen[column] = lowered[source.lower().strip()]
    return chosen


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _offset_seconds(zone: str) -> int:
    """Seconds east of UTC of a zone written ``UTC``, ``Z`` or ``+07:00``; refused otherwise."""
    match = _ZONE.match(zone.strip())
    if not match:
        raise InvalidInput(f"timezone {zone!r}: give a UTC offset such as +07:00 (or UTC)")
    sign, hours, minutes = match.groups()
    if sign is None:
        return 0
    seconds = int(hours) * 3600 + int(minutes) * 60
    if seconds > 14 * 3600 or int(minutes) >= 60:
        raise InvalidInput(f"timezone {zone!r}: not a UTC offset (at most ±14:00)")
    return seconds if sign == "+" else -seconds


def _zone_name(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    return f"UTC{sign}{abs(seconds) // 3600:02d}:{abs(seconds) % 3600 // 60:02d}"


def _in_zone(expression: str, seconds: int) -> str:
    """SQL turning an instant (TIMESTAMPTZ) into the wall-clock time of a fixed offset."""
    return f"make_timestamp(epoch_us({expression}) + {seconds * 1_000_000})"


def _parquet_view(con, paths: list[str], mapping: Mapping[str, str], timezone: str | None,
                  limits: MonitoringLimits) -> tuple[str | None, dict[str, str], tuple[str, ...]]:  # fmt: skip
    types = _one_schema(con, paths, mapping)
    chosen = _select_list(list(types), mapping, paths[0])
    value_type = types[chosen["value"]]
    if not value_type.startswith(_NUMERIC):
        raise DataFileError(paths[0], None, f"column value: expected numbers, found {value_type}")
    stamp_type = types[chosen["timestamp"]]
    if not stamp_type.startswith(("TIMESTAMP", "DATE")):
        raise DataFileError(paths[0], None, f"column timestamp: expected a timestamp type, found {stamp_type}")
    files = "[" + ", ".join(_literal(p) for p in paths) + "]"
    if limits.max_rows is not None:
        (rows,) = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({files})").fetchone()
        check_rows(paths[0], int(rows or 0), limits.max_rows)
    stamp, zone = f"CAST({_quote(chosen['timestamp'])} AS TIMESTAMP)", None
    if stamp_type.startswith("TIMESTAMP WITH TIME ZONE"):  # instants: shown in one stated zone
        seconds = _offset_seconds(timezone or "UTC")
        stamp, zone = _in_zone(_quote(chosen["timestamp"]), seconds), _zone_name(seconds)
    casts = f"""CAST({_quote(chosen["site_id"])} AS VARCHAR) AS site_id,
        {stamp} AS timestamp,
        CAST({_quote(chosen["parameter"])} AS VARCHAR) AS parameter,
        CAST({_quote(chosen["value"])} AS DOUBLE) AS value,
        CAST({_quote(chosen["unit"])} AS VARCHAR) AS unit, false AS doubtful"""
    # Row numbers cost a third of the scan, so only the drill-down view carries them.
    lean = f"read_parquet({files})"
    source = f"read_parquet({files}, file_row_number = true, filename = true)"
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file AS SELECT {casts} FROM {lean}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file_lines AS SELECT {casts}, "
                f"file_row_number + 1 AS line, filename AS file FROM {source}")  # fmt: skip
    labels = {c: chosen[c] for c in ("parameter", "unit") if types[chosen[c]] == "VARCHAR"}
    parts = tuple(f"(SELECT {casts} FROM read_parquet([{_literal(p)}]))" for p in paths) if len(paths) > 1 else ()
    return zone, _constant_labels(con, files, labels), parts


def _constant_labels(con, files: str, columns: Mapping[str, str]) -> dict[str, str]:
    """The labels among ``columns`` (label -> column) that hold one value in every row, read
    from the files' footers: every row group states no nulls and a minimum equal to its
    maximum, the same in all; a footer without them counts as varied. A footer can be edited,
    so this is only a hint that spares the scan a group key: the scan checks every row against
    it (:func:`c3p.mrv.scan.scan_monitoring`) and refuses a file whose rows disagree.
    """
    if not columns:
        return {}
    found = con.execute(
        f"""SELECT path_in_schema, bool_and(coalesce(stats_null_count = 0 AND stats_min_value = stats_max_value,
                   false)), min(stats_min_value), max(stats_max_value)
            FROM parquet_metadata({files}) WHERE path_in_schema IN (SELECT unnest(?)) GROUP BY ALL""",
        [list(columns.values())],
    ).fetchall()
    single = {column: low for column, same, low, high in found if same and low == high}
    return {label: single[column] for label, column in columns.items() if column in single}


def _one_schema(con, paths: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Column name -> type of the first file; refuses a file whose columns differ, naming both.

    DuckDB would read the other files with the first file's schema and fail mid-scan (or cast
    silently), so every footer is compared before the scan starts.
    """
    schemas = []
    for path in paths:
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as exc:
            raise DataFileError(path, None, f"cannot read Parquet: {str(exc).splitlines()[0]}") from None
        schemas.append({name: kind for name, kind, *_ in described})
    first = schemas[0]
    chosen = _select_list(list(first), mapping, paths[0])
    for path, schema in zip(paths[1:], schemas[1:], strict=True):
        found = _select_list(list(schema), mapping, path)
        for column, source in chosen.items():
            here, there = schema[found[column]], first[source]
            if found[column] != source or here != there:
                raise DataFileError(path, None, f"column {found[column]!r} is {here} here but "
                                    f"{source!r} is {there} in {paths[0]}: give files of one schema")  # fmt: skip
    return first


def check_rows(path: str, rows: int, max_rows: int | None) -> None:
    if max_rows is not None and rows > max_rows:
        raise DataFileError(path, None, f"{rows:,} rows, more than the {max_rows:,} accepted here "
                            "(setting mrv_upload_max_rows); use the command line for larger files")  # fmt: skip


def _text_view(con, path: str, mapping: Mapping[str, str], text: TextFormat, limits: MonitoringLimits) -> str | None:
    """A CSV (or xlsx, first loaded batch by batch) as text columns, checked, then typed."""
    if Path(path).stat().st_size == 0:
        raise DataFileError(path, None, "the file is empty")
    if path.lower().endswith(".xlsx"):
        source = _load_xlsx(con, path, text.decimal or ".", limits)
    else:
        source = (f"read_csv({_literal(path)}, all_varchar = true, header = true, "
                  "auto_detect = true, null_padding = true)")  # fmt: skip
    try:
        found = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise DataFileError(path, None, f"cannot read CSV: {str(exc).splitlines()[0]}") from None
    chosen = _select_list([c for c in found if c != "line"], mapping, path)
    numbered = "line" in found  # an xlsx carries its row numbers; a CSV is numbered in file order
    con.execute(
        "CREATE OR REPLACE TEMP VIEW monitoring_raw AS SELECT "
        + ", ".join(f"trim(CAST({_quote(chosen[c])} AS VARCHAR)) AS {c}" for c in COLUMNS)
        + (", line" if numbered else "")
        + f" FROM {source}"
    )
    line = "" if numbered else ", row_number() OVER () + 1 AS line"  # a streaming window
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_raw_lines AS SELECT *{line} FROM monitoring_raw")
    offsets = _check_text_cells(con, path, text, limits)
    stamp, zone = "CAST(timestamp AS TIMESTAMP)", None
    if offsets:
        (first,) = con.execute("SELECT timestamp FROM monitoring_raw LIMIT 1").fetchone()
        seconds = _offset_seconds(text.timezone or _written_offset(first))
        stamp, zone = _in_zone("CAST(timestamp AS TIMESTAMPTZ)", seconds), _zone_name(seconds)
    typed = (f"site_id, {stamp} AS timestamp, parameter, CAST({_number_sql(text)} AS DOUBLE) AS value, "
             "unit, false AS doubtful")  # fmt: skip
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file AS SELECT {typed} FROM monitoring_raw")
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file_lines AS SELECT {typed}, line, "
                f"{_literal(path)} AS file FROM monitoring_raw_lines")  # fmt: skip
    return zone


def _written_offset(stamp: str) -> str:
    match = re.search(_OFFSET, stamp)
    return "UTC" if match is None or match.group(1) == "Z" else match.group(1)


def _number_sql(text: TextFormat) -> str:
    number = "value"
    if text.thousands is not None:
        number = f"replace({number}, {_literal(text.thousands)}, '')"
    if text.decimal == ",":
        number = f"replace({number}, ',', '.')"
    return f"nullif({number}, '')"


def _number_pattern(text: TextFormat) -> str:
    """One reading per cell: sign, digits (grouped by threes only if declared), mark, exponent."""
    mark = text.decimal or "."
    integer = _INTEGER
    if text.thousands is not None:
        integer = f"([0-9]+|[0-9]{{1,3}}([{text.thousands}][0-9]{{3}})+)"
    return f"^[+-]?({integer}{_FRACTION_EXPONENT.format(mark=mark)}|[{mark}][0-9]+([eE][+-]?[0-9]+)?)$"


def _load_xlsx(con, path: str, decimal: Decimal, limits: MonitoringLimits) -> str:
    """The first sheet as text into temp table ``monitoring_xlsx``, batch by batch.

    Numeric cells are written with ``decimal`` so that one pattern checks typed and text cells
    alike; a formula without a cached value is an empty cell (refused). An xlsx is a zip: its
    unzipped size is checked from the directory before anything is unpacked.
    """
    from openpyxl import load_workbook

    _check_unzipped(path, limits.max_unzipped_bytes)
    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataFileError(path, None, f"cannot read Excel file: {exc}") from None
    if not header:
        raise DataFileError(path, None, "the file is empty")
    names = _unique([str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)])
    columns = ", ".join(f"{_quote(n)} VARCHAR" for n in names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE monitoring_xlsx ({columns}, line BIGINT)")
    batch: list[list[str | None]] = [[] for _ in names]
    line = 1
    for row in rows:
        line += 1
        for i, column in enumerate(batch):
            cell = row[i] if i < len(row) else None
            column.append(None if cell is None else _cell_text(cell, decimal))
        if len(batch[0]) >= _XLSX_BATCH_ROWS:
            check_rows(path, line - 1, limits.max_rows)
            _append_batch(con, names, batch, line)
    _append_batch(con, names, batch, line)
    if line == 1:
        raise DataFileError(path, None, "the file has no data rows")
    return "monitoring_xlsx"


def _unique(names: list[str]) -> list[str]:
    """Header names made unique (a repeated header keeps its first column for mapping)."""
    seen: set[str] = set()
    unique = []
    for index, name in enumerate(names):
        unique.append(name if name.lower() not in seen else f"{name}_{index + 1}")
        seen.add(unique[-1].lower())
    return unique


def _append_batch(con, names: list[str], batch: list[list[str | None]], last_line: int) -> None:
    count = len(batch[0])
    if not count:
        return
    table = pa.table({f"c{i}": pa.array(c, pa.string()) for i, c in enumerate(batch)})
    table = table.append_column("line", pa.array(range(last_line - count + 1, last_line + 1), pa.int64()))
    con.register("xlsx_batch", table)
    con.execute("INSERT INTO monitoring_xlsx SELECT * FROM xlsx_batch")
    con.unregister("xlsx_batch")
    for column in batch:
        column.clear()


def _check_unzipped(path: str, max_bytes: int | None) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataFileError(path, None, f"cannot read Excel file: {exc}") from None
    if max_bytes is not None and unzipped > max_bytes:
        raise DataFileError(path, None, f"unzips to {unzipped:,} bytes, more than the {max_bytes:,} "
                            "accepted here (setting mrv_upload_max_unzipped_bytes)")  # fmt: skip


def _cell_text(cell: object, decimal: Decimal) -> str:
    isoformat = getattr(cell, "isoformat", None)
    if callable(isoformat) and hasattr(cell, "hour"):
        return isoformat(sep=" ")
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return repr(float(cell)).replace(".", decimal)
    return str(cell)


def _check_text_cells(con, path: str, text: TextFormat, limits: MonitoringLimits) -> bool:
    """Refuse the first bad cell naming its row and column; True if times carry UTC offsets.

    One counting pass over the stream; only when it finds something is the file read again
    with row numbers to name the first bad row. Numbers follow one pattern per decimal mark;
    thousands separators only where declared, because the same text means a thousand times
    more or less under the other convention. Times either all carry a UTC offset or none does.
    """
    checks = _text_checks(text)
    counts = ", ".join(f"count_if({cond})" for _, cond, _ in checks)
    try:
        found = con.execute(f"SELECT count(*), count_if(regexp_matches(timestamp, '{_OFFSET}')), {counts} "
                            "FROM monitoring_raw").fetchone()  # fmt: skip
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise DataFileError(path, None, f"cannot read the file: {str(exc).splitlines()[0]}") from None
    rows, with_offset, bad = found[0], found[1], found[2:]
    if rows == 0:
        raise DataFileError(path, None, "the file has no data rows")
    check_rows(path, rows, limits.max_rows)
    if 0 < with_offset < rows:
        checks.append(("timestamp", f"regexp_matches(timestamp, '{_OFFSET}') <> (SELECT regexp_matches("
                       f"timestamp, '{_OFFSET}') FROM monitoring_raw LIMIT 1)",
                       "has a UTC offset where the first row has none, or none where it has one"))  # fmt: skip
        bad = (*bad, 1)
    failing = [check for check, count in zip(checks, bad, strict=True) if count]
    if failing:
        _refuse_first(con, path, failing)
    return with_offset > 0


def _text_checks(text: TextFormat) -> list[tuple[str, str, str]]:
    decimal = text.decimal or "."
    other = "," if decimal == "." else "."
    comma_hint = ("has a comma: give the decimal mark (--decimal , or --decimal .); "
                  "thousands separators are accepted only where declared (--thousands)")  # fmt: skip
    checks = [
        ("site_id", "site_id IS NULL OR site_id = ''", "site_id is empty"),
        ("parameter", "parameter IS NULL OR parameter = ''", "parameter is empty"),
        ("unit", "unit IS NULL OR unit = ''", "unit is empty"),
        ("timestamp", "try_cast(timestamp AS TIMESTAMP) IS NULL",
         "is not a date/time (use ISO 8601, e.g. 2024-01-31 23:45 or 2024-01-31T23:45+07:00)"),
        ("value", "value IS NULL OR value = ''", "is empty; give the reading or leave the row out"),
    ]  # fmt: skip
    if other != text.thousands:
        checks.append(("value", f"value LIKE '%{other}%' AND regexp_matches(value, '[0-9]')",
                       comma_hint if decimal == "." else "has a point, but the decimal mark is a comma"))  # fmt: skip
    checks.append(("value", f"NOT regexp_matches(value, '{_number_pattern(text)}')", "is not a number"))
    return checks


def _refuse_first(con, path: str, checks: list[tuple[str, str, str]]) -> None:
    """Read the file again with row numbers and refuse its first bad cell."""
    selects = ", ".join(
        f"min(line) FILTER (WHERE {cond}), arg_min({col}, line) FILTER (WHERE {cond})" for col, cond, _ in checks
    )
    found = con.execute(f"SELECT {selects} FROM monitoring_raw_lines").fetchone()
    bad = [(found[2 * i], col, found[2 * i + 1], why) for i, (col, _, why) in enumerate(checks)
           if found[2 * i] is not None]  # fmt: skip
    line, column, cell, why = min(bad, key=lambda b: b[0])
    shown = f" ({cell!r})" if cell not in (None, "") else ""
    raise DataFileError(path, line, f"row {line}, column {column}{shown}: {why}")
