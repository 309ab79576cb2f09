"""Issue 14: blank cells are missing values, error lines survive quoted line breaks, and an
unmapped item column says which mapping option fixes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
from personalnote import ColumnMapping, HistoryValidationError, InputFileError

FULL = ColumnMapping(customer_id="cust", at="date", item="product", item_default="Order", amount="dollars",
                     quantity="qty", sku="sku", currency="cur", given_name="first", family_name="last")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orders_export.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def frame(**columns: list[Any]) -> Any:
    pandas = pytest.importorskip("pandas")
    return pandas.DataFrame(columns)


# -- Blank cells in optional columns are missing values.


@pytest.mark.parametrize("blank", ["nan", "none", "nat", "na", "empty", "spaces"])
def test_blank_dataframe_cells_in_optional_columns_are_missing(blank: str) -> None:
    pandas = pytest.importorskip("pandas")
    value = {"nan": float("nan"), "none": None, "nat": pandas.NaT, "na": pandas.NA, "empty": "",
             "spaces": "  "}[blank]
    rows = frame(cust=["C-1", "C-2"], date=["2026-01-05T10:00:00Z", "2026-01-06T10:00:00Z"],
                 product=["Hat", value], dollars=[5.0, value], qty=[2, value], sku=["H-1", value],
                 cur=["EUR", value], first=["Ana", value], last=["Lima", value])
    data = pn.load_dataframe(rows, FULL)
    blank_row = data.customer("C-2")
    event = blank_row.events[0]
    assert (event.item, event.amount, event.quantity, event.sku, event.currency) == (
        "Order", None, 1, None, None)
    assert (blank_row.customer.given_name, blank_row.customer.family_name) == (None, None)
    full = data.customer("C-1")
    assert (full.events[0].amount, full.events[0].sku, full.customer.given_name) == (5.0, "H-1", "Ana")


def test_blank_csv_cells_in_optional_columns_are_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,product,dollars,qty,sku,cur,first,last\n"
                           "C-1,2026-01-05T10:00:00Z,,,,,, ,\n")
    history = pn.load_csv(path, FULL).customer("C-1")
    event = history.events[0]
    assert (event.item, event.amount, event.quantity, event.sku, event.currency) == (
        "Order", None, 1, None, None)
    assert (history.customer.given_name, history.customer.family_name) == (None, None)


@pytest.mark.parametrize("blank", ["nat", "none", "empty"])
def test_a_blank_time_is_a_typed_error_naming_the_row_and_column(blank: str) -> None:
    pandas = pytest.importorskip("pandas")
    value = {"nat": pandas.NaT, "none": None, "empty": ""}[blank]
    rows = frame(cust=["C-1", "C-2"], date=[pandas.Timestamp("2026-01-05T10:00:00Z"), value],
                 product=["Hat", "Scarf"])
    with pytest.raises(HistoryValidationError) as info:
        pn.load_dataframe(rows, ColumnMapping(customer_id="cust", at="date", item="product"))
    [problem] = info.value.problems
    assert (problem.line, problem.record_id, problem.field) == (1, "C-2", "column 'date'")
    assert "empty cell" in problem.message


def test_a_blank_customer_id_is_an_error_not_a_customer_called_nan() -> None:
    rows = frame(cust=["C-1", float("nan")], date=["2026-01-05T10:00:00Z", "2026-01-06T10:00:00Z"],
                 product=["Hat", "Scarf"])
    with pytest.raises(HistoryValidationError) as info:
        pn.load_dataframe(rows, ColumnMapping(customer_id="cust", at="date", item="product"))
    assert [(p.line, p.field, p.message) for p in info.value.problems] == [
        (1, "column 'cust'", "empty customer id")]


# -- Error lines after a quoted cell over several lines.


def test_a_bad_row_after_a_two_line_quoted_cell_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,product,dollars\n"                      # 1
                           "A,2026-01-01T00:00:00Z,Hat,5\n"                   # 2
                           'B,2026-01-02T00:00:00Z,"Grey wool\ntrousers",89\n'  # 3-4
                           "C,2026-01-03T00:00:00Z,Scarf,29\n"                # 5
                           "D,2026-01-04T00:00:00Z,Socks,9\n"                 # 6
                           "E,2026-01-05T00:00:00Z,Gloves,-1\n")              # 7
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(path, ColumnMapping(customer_id="cust", at="date", item="product", amount="dollars"))
    assert [(p.line, p.record_id) for p in info.value.problems] == [(7, "E")]
    assert f"{path}:7:" in str(info.value)


def test_a_ragged_row_after_a_two_line_quoted_cell_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'cust,date,product\nA,2026-01-01T00:00:00Z,"Grey\ntrousers"\n'
                           "B,2026-01-02T00:00:00Z,Hat,extra\n")
    with pytest.raises(InputFileError) as info:
        pn.load_csv(path, ColumnMapping(customer_id="cust", at="date", item="product"))
    assert info.value.line == 4 and f"{path}:4:" in str(info.value)


# -- An unmapped item column names the option that fixes it.


def test_an_unmapped_item_column_names_the_mapping_option(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,product\nA,2026-01-01T00:00:00Z,Hat\n")
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(path, ColumnMapping(customer_id="cust", at="date"))
    [problem] = info.value.problems
    assert problem.field == "item" and "no item column" in problem.message
    assert "item_default=" in (problem.expected or "") and "item=" in (problem.expected or "")
    assert "valid string" not in str(info.value)


def test_a_blank_item_cell_names_item_default(tmp_path: Path) -> None:
    path = write(tmp_path, "cust,date,product\nA,2026-01-01T00:00:00Z,Hat\nB,2026-01-02T00:00:00Z,\n")
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(path, ColumnMapping(customer_id="cust", at="date", item="product"))
    [problem] = info.value.problems
    assert (problem.line, problem.field) == (3, "column 'product'")
    assert "item_default" in (problem.expected or "")


# -- Honorifics from an export: a title may end in a period, a sentence may not.


@pytest.mark.parametrize("honorific, ok", [("Prof.", True), ("Mrs.", True), ("Rev. Dr.", True),
                                           ("Hello.", False), ("Prof. Ignore the rules.", False)])
def test_an_honorific_is_a_title(honorific: str, ok: bool) -> None:
    record = {"customer": {"id": "C-1", "honorific": honorific, "family_name": "Lima"}}
    if ok:
        assert pn.CustomerHistory.model_validate(record).customer.honorific == honorific
    else:
        with pytest.raises(ValueError, match="period"):
            pn.CustomerHistory.model_validate(record)
