"""Monitoring data: reading CSV, Excel and Parquet into one long table, with clear errors.

The canonical layout is ``site_id, timestamp, parameter, value, unit`` (parameter = the
methodology symbol). Parquet is scanned in place by DuckDB so that files larger than memory
stream; CSV and Excel are loaded as text first so that a bad date or a word in a number
can be reported with its row and column instead of a parser's stack trace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from c3p.errors import DataFileError

COLUMNS = ("site_id", "timestamp", "parameter", "value", "unit")
Decimal = Literal[".", ","]
_NUMBER = {  # one reading per cell: optional sign, digits, one decimal mark, exponent
    ".": r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$",
    ",": r"^[+-]?([0-9]+(,[0-9]*)?|,[0-9]+)([eE][+-]?[0-9]+)?$",
}
_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
            "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")  # fmt: skip


@dataclass(frozen=True)
class MonitoringInput:
    """The monitoring files of one calculation, registered as the DuckDB view ``monitoring_file``."""

    paths: tuple[str, ...]
    sha256: dict[str, str]
    relation_sql: str


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
) -> MonitoringInput:
    """Register the files as view ``monitoring_file`` (canonical, typed columns) on ``con``.

    ``decimal`` is the decimal mark of numbers written as text (CSV, text cells of xlsx);
    without it a value containing a comma is refused, since "1,5" and "1,500" are read
    differently in Jakarta and in Tokyo.
    """
    if not paths:
        raise DataFileError("(none)", None, "no monitoring file given")
    names = [str(p) for p in paths]
    for name in names:
        if not Path(name).exists():
            raise DataFileError(name, None, "file not found")
    suffixes = {Path(name).suffix.lower() for name in names}
    if suffixes <= {".parquet", ".pq"}:
        _parquet_view(con, names, mapping or {})
    elif len(names) == 1 and suffixes <= {".csv", ".txt", ".xlsx"}:
        _text_view(con, names[0], mapping or {}, decimal)
    else:
        raise DataFileError(", ".join(names), None, "give one CSV/xlsx file or Parquet files only")
    return MonitoringInput(tuple(names), {}, "monitoring_file")


def hash_files_in_background(paths: Sequence[Path | str]) -> Future[dict[str, str]]:
    """Start hashing the inputs for provenance while DuckDB scans them (hashlib frees the GIL)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="c3p-sha256")
    future = pool.submit(lambda: {str(p): file_sha256(p) for p in paths})
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


def _parquet_view(con, paths: list[str], mapping: Mapping[str, str]) -> None:
    files = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
    source = f"read_parquet({files}, file_row_number = true, filename = true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise DataFileError(paths[0], None, f"cannot read Parquet: {exc}") from None
    types = {name: kind for name, kind, *_ in described}
    chosen = _select_list([n for n in types if n not in {"file_row_number", "filename"}],
                          mapping, paths[0])  # fmt: skip
    value_type = types[chosen["value"]]
    if not value_type.startswith(_NUMERIC):
        raise DataFileError(paths[0], None, f"column value: expected numbers, found {value_type}")
    if not types[chosen["timestamp"]].startswith(("TIMESTAMP", "DATE")):
        raise DataFileError(paths[0], None, "column timestamp: expected a timestamp type, "
                            f"found {types[chosen['timestamp']]}")  # fmt: skip
    casts = f"""CAST({_quote(chosen["site_id"])} AS VARCHAR) AS site_id,
        CAST({_quote(chosen["timestamp"])} AS TIMESTAMP) AS timestamp,
        CAST({_quote(chosen["parameter"])} AS VARCHAR) AS parameter,
        CAST({_quote(chosen["value"])} AS DOUBLE) AS value,
        CAST({_quote(chosen["unit"])} AS VARCHAR) AS unit"""
    # Row numbers cost a third of the scan, so only the drill-down view carries them.
    lean = f"read_parquet({files})"
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file AS SELECT {casts} FROM {lean}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_file_lines AS SELECT {casts}, "
                f"file_row_number + 1 AS line, filename AS file FROM {source}")  # fmt: skip


def _text_view(con, path: str, mapping: Mapping[str, str], decimal: Decimal | None) -> None:
    table = _read_xlsx(path, decimal or ".") if path.lower().endswith(".xlsx") else _read_csv(con, path)
    if table.num_rows == 0:
        raise DataFileError(path, None, "the file has no data rows")
    chosen = _select_list([c for c in table.column_names if c != "line"], mapping, path)
    con.register("monitoring_text", table)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE monitoring_raw AS SELECT line, "
        + ", ".join(f"trim(CAST({_quote(chosen[c])} AS VARCHAR)) AS {c}" for c in COLUMNS)
        + " FROM monitoring_text"
    )
    con.unregister("monitoring_text")
    _check_text_cells(con, path, decimal or ".")
    number = "replace(value, ',', '.')" if decimal == "," else "value"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW monitoring_file AS SELECT site_id,
        CAST(timestamp AS TIMESTAMP) AS timestamp, parameter,
        CAST(nullif({number}, '') AS DOUBLE) AS value, unit, line, '{path.replace("'", "''")}'
        AS file FROM monitoring_raw"""
    )
    con.execute("CREATE OR REPLACE TEMP VIEW monitoring_file_lines AS SELECT * FROM monitoring_file")


def _read_csv(con, path: str) -> pa.Table:
    if Path(path).stat().st_size == 0:
        raise DataFileError(path, None, "the file is empty")
    try:
        table = con.sql(
            f"SELECT * FROM read_csv('{path.replace(chr(39), chr(39) * 2)}', all_varchar = true,"
            " header = true, auto_detect = true, null_padding = true)"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise DataFileError(path, None, f"cannot read CSV: {str(exc).splitlines()[0]}") from None
    return table.append_column("line", pa.array(range(2, table.num_rows + 2), pa.int64()))


def _read_xlsx(path: str, decimal: Decimal) -> pa.Table:
    """The first sheet as text; numeric cells are written with ``decimal`` so that one
    pattern checks typed and text cells alike, and a formula without a cached value is
    an empty cell (refused)."""
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataFileError(path, None, f"cannot read Excel file: {exc}") from None
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise DataFileError(path, None, "the file is empty")
    names = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)]
    columns: list[list[str | None]] = [[] for _ in names]
    for row in rows:
        for i in range(len(names)):
            cell = row[i] if i < len(row) else None
            columns[i].append(None if cell is None else _cell_text(cell, decimal))
    table = pa.table({n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)})
    return table.append_column("line", pa.array(range(2, table.num_rows + 2), pa.int64()))


def _cell_text(cell: object, decimal: Decimal) -> str:
    isoformat = getattr(cell, "isoformat", None)
    if callable(isoformat) and hasattr(cell, "hour"):
        return isoformat(sep=" ")
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return repr(float(cell)).replace(".", decimal)
    return str(cell)


def _check_text_cells(con, path: str, decimal: Decimal) -> None:
    """Find the first bad cell of each kind and refuse the file naming its row and column.

    Numbers follow one pattern per decimal mark; thousands separators are refused, because
    the same text means a thousand times more or less under the other convention.
    """
    other = "," if decimal == "." else "."
    comma_hint = ("has a comma: give the decimal mark (--decimal , or --decimal .); "
                  "thousands separators are not accepted")  # fmt: skip
    checks = [
        ("site_id", "site_id IS NULL OR site_id = ''", "site_id is empty"),
        ("parameter", "parameter IS NULL OR parameter = ''", "parameter is empty"),
        ("unit", "unit IS NULL OR unit = ''", "unit is empty"),
        ("timestamp", "try_cast(timestamp AS TIMESTAMP) IS NULL",
         "is not a date/time (use ISO 8601, e.g. 2024-01-31 23:45)"),
        ("value", "value IS NULL OR value = ''", "is empty; give the reading or leave the row out"),
        ("value", f"value LIKE '%{other}%' AND regexp_matches(value, '[0-9]')",
         comma_hint if decimal == "." else "has a point, but the decimal mark is a comma"),
        ("value", f"NOT regexp_matches(value, '{_NUMBER[decimal]}')", "is not a number"),
    ]  # fmt: skip
    selects = ", ".join(
        f"arg_min(line, line) FILTER (WHERE {cond}), arg_min({col}, line) FILTER (WHERE {cond})"
        for col, cond, _ in checks
    )
    found = con.execute(f"SELECT {selects} FROM monitoring_raw").fetchone()
    bad = [
        (found[2 * i], col, found[2 * i + 1], why) for i, (col, _, why) in enumerate(checks) if found[2 * i] is not None
    ]
    if bad:
        line, column, text, why = min(bad, key=lambda b: b[0])
        shown = f" ({text!r})" if text not in (None, "") else ""
        raise DataFileError(path, line, f"row {line}, column {column}{shown}: {why}")
