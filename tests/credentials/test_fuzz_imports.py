"""Fuzzing the CSV import's reader (outside input): any bytes give rows or ImportFileInvalid, never
another exception; a table written by a CSV writer comes back row for row, with the line on which
each row starts (quoted cells may span lines)."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.credentials.service import imports

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_a_clear_error(data: bytes) -> None:
    try:
        header, rows = imports._rows(imports._decode(data))
    except imports.ImportFileInvalid:
        return
    assert "type_id" in header
    assert all(isinstance(line, int) and line >= 2 for line, _ in rows)


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12)


@FUZZ
@given(st.lists(st.lists(cell, min_size=3, max_size=3), max_size=20))
def test_a_written_table_reads_back_row_for_row_with_its_line_numbers(table: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["type_id", "name", "address"])
    writer.writerows(table)
    header, rows = imports._rows(imports._decode(buf.getvalue().encode("utf-8")))
    assert header == ["type_id", "name", "address"]
    kept = [r for r in table if any(c.strip() for c in r)]  # blank rows are skipped
    assert [[row["type_id"], row["name"], row["address"]] for _, row in rows] == kept
    lines = [line for line, _ in rows]
    assert lines == sorted(set(lines)) and (not lines or lines[0] >= 2)
    expected, line = [], 2  # each row starts after the newlines of the rows before it
    for r in table:
        if any(c.strip() for c in r):
            expected.append(line)
        line += 1 + sum(c.count("\n") for c in r)
    assert lines == expected
