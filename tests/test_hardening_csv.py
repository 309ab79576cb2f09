"""Issue 12: load_csv loses or changes no data in silence; every bad file is a typed error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

import personalnote as pn
from personalnote import ColumnMapping, HistoryValidationError, InputFileError

MAPPING = ColumnMapping(customer_id="cust", at="date", amount="dollars", item_default="CD order")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_extra_cells_of_a_ragged_row_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,dollars\nA,2025-01-01T00:00:00Z,5\nB,2025-01-02T00:00:00Z,5,99\n")
    with pytest.raises(InputFileError, match="4 cells") as info:
        pn.load_csv(path, MAPPING)
    assert info.value.line == 3 and info.value.path == str(path)


def test_missing_cells_of_a_ragged_row_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,dollars\nA,2025-01-01T00:00:00Z\n")
    with pytest.raises(InputFileError) as info:
        pn.load_csv(path, MAPPING)
    assert info.value.line == 2


def test_an_unterminated_quote_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'cust,date,dollars\nA,2025-01-01T00:00:00Z,"5\nB,2025-01-02T00:00:00Z,7\n')
    with pytest.raises(InputFileError) as info:
        pn.load_csv(path, MAPPING)
    assert info.value.line == 2


def test_a_duplicate_header_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,dollars,dollars\nA,2025-01-01T00:00:00Z,5,6\n")
    with pytest.raises(InputFileError, match="'dollars' appears twice") as info:
        pn.load_csv(path, MAPPING)
    assert info.value.line == 1


@pytest.mark.parametrize("amount", ["inf", "-inf", "Infinity", "nan", "1e309"])
def test_non_finite_amounts_are_row_problems(tmp_path: Path, amount: str) -> None:
    path = write(tmp_path, f"cust,date,dollars\nA,2025-01-01T00:00:00Z,5\nB,2025-01-02T00:00:00Z,{amount}\n")
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(path, MAPPING)
    assert [(p.line, p.record_id, p.field) for p in info.value.problems] == [(3, "B", "column 'dollars'")]


def test_a_cell_over_the_size_limit_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,dollars\nA,2025-01-01T00:00:00Z,5\nB,2025-01-02T00:00:00Z,"
                 + "9" * 140_000 + "\n")
    with pytest.raises(InputFileError) as info:
        pn.load_csv(path, MAPPING)
    assert info.value.line == 3


def test_line_numbers_count_quoted_line_breaks(tmp_path: Path) -> None:
    mapping = ColumnMapping(customer_id="cust", at="date", item="item", amount="dollars")
    path = write(tmp_path, 'cust,date,item,dollars\nA,2025-01-01T00:00:00Z,"Grey\ntrousers",5\n'
                 "B,2025-01-02T00:00:00Z,Hat,-1\n")
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(path, mapping)
    assert [(p.line, p.record_id) for p in info.value.problems] == [(4, "B")]


def test_a_quoted_line_separator_stays_in_its_cell(tmp_path: Path) -> None:
    mapping = ColumnMapping(customer_id="cust", at="date", item="item")
    path = write(tmp_path, "cust,date,item\nA,2025-01-01T00:00:00Z,Grey\u2028trousers\n")
    item = pn.load_csv(path, mapping).customers[0].events[0].item
    assert item == "Grey\u2028trousers"


def test_crlf_files_still_load(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,dollars\r\nA,2025-01-01T00:00:00Z,5\r\n\r\n"
                 "B,2025-01-02T00:00:00Z,6\r\n")
    assert [c.customer.id for c in pn.load_csv(path, MAPPING).customers] == ["A", "B"]
