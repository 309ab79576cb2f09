"""Reading a CSV file strictly: the csv module reads the file, every cell is kept or refused.

``csv.DictReader`` over ``str.splitlines()`` drops the extra cells of a ragged row,
splits quoted cells at U+2028, lets a duplicate header name the last column, and raises
a raw ``_csv.Error`` on a cell over 131,072 characters. ``csv_rows`` gives each row with
the line it starts on, and refuses each of those with an ``InputFileError`` naming the
file and the line.

Example::

    header, rows = csv_rows("t.csv", Path("t.csv").read_text(), delimiter=",")
    for line, row in rows:
        row["date"]
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ._errors import InputFileError

__all__ = ["csv_rows"]


def csv_rows(path: str | Path, text: str, *, delimiter: str = ",", skip_initial_space: bool = False,
             fieldnames: list[str] | None = None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and every row of a CSV text, each row with the line it starts on.

    ``fieldnames`` names the columns of a text without a header row. A row with more or
    fewer cells than the header, a duplicate column name, an unterminated quote or a cell
    over the csv module's size limit is an ``InputFileError`` naming the line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        skipinitialspace=skip_initial_space, strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = list(fieldnames) if fieldnames is not None else None
    if header is not None:
        _check_header(path, header)
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells:  # a blank line
                continue
            if header is None:
                header = cells
                _check_header(path, header)
                continue
            if len(cells) != len(header):
                raise InputFileError(path, f"the row has {len(cells)} cells but the header names "
                                     f"{len(header)} columns; every row needs one cell per column "
                                     "(a stray delimiter or quote?)", line=line)
            rows.append((line, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise InputFileError(path, f"not valid CSV: {exc} (an unterminated quote, or a cell over "
                             f"{csv.field_size_limit()} characters?)", line=start) from None
    return header or [], rows


def _check_header(path: str | Path, header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputFileError(path, f"the column {name!r} appears twice in the header; name each "
                                 "column once", line=1)
        seen.add(name)
