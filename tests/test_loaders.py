from __future__ import annotations

import json
from pathlib import Path

import pytest

import personalnote as pn
from personalnote import ColumnMapping, HistoryValidationError, InputFileError

from .support import FIXTURES


def test_every_fixture_customer_loads_from_json_and_jsonl() -> None:
    singles = sorted((FIXTURES / "customers").glob("*.json"))
    assert len(singles) >= 10
    ids = {pn.load(p).customers[0].customer.id for p in singles}
    jsonl = pn.load(FIXTURES / "customers.jsonl")
    assert {c.customer.id for c in jsonl.customers} == ids


def test_business_events_file_loads_alone() -> None:
    events = pn.load_business_events(FIXTURES / "business_events.json")
    assert [e.kind for e in events] == ["new_collection"]


def test_customer_file_is_refused_as_business_events() -> None:
    with pytest.raises(InputFileError, match="customer records"):
        pn.load_business_events(FIXTURES / "customers" / "grey_trousers.json")


def test_bad_events_reports_every_problem_with_record_and_field() -> None:
    with pytest.raises(HistoryValidationError) as info:
        pn.load(FIXTURES / "malformed" / "bad_events.json")
    problems = {(p.field, p.record_id) for p in info.value.problems}
    assert ("events[0].at", "C-BAD1") in problems  # no time zone
    assert ("events[1].kind", "C-BAD1") in problems  # unknown kind
    assert ("events[2].id", "C-BAD1") in problems  # duplicate id
    assert ("events[3].value", "C-BAD1") in problems  # negative balance
    by_field = {p.field: p for p in info.value.problems}
    assert "time zone" in (by_field["events[0].at"].expected or "")
    assert "duplicate" in by_field["events[2].id"].message
    assert "bad_events.json" in str(info.value)


def test_unknown_kind_names_the_expected_kinds() -> None:
    with pytest.raises(HistoryValidationError) as info:
        pn.load(FIXTURES / "malformed" / "bad_events.json")
    unknown = [p for p in info.value.problems if "telepathy" in p.message]
    assert unknown and "purchase" in (unknown[0].expected or "")


def test_jsonl_reports_line_numbers_and_loads_nothing() -> None:
    with pytest.raises(HistoryValidationError) as info:
        pn.load(FIXTURES / "malformed" / "mixed.jsonl")
    lines = sorted((p.line, p.field) for p in info.value.problems)
    assert lines == [(2, "customer.id"), (3, "customer.time_zone")]


def test_invalid_json_is_an_input_file_error_with_line() -> None:
    with pytest.raises(InputFileError) as info:
        pn.load(FIXTURES / "malformed" / "not_json.json")
    assert info.value.line == 2


def test_missing_file_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        pn.load(tmp_path / "absent.json")


def test_duplicate_customer_ids_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    record = json.dumps({"customer": {"id": "C-1"}, "events": []})
    path.write_text(record + "\n" + record + "\n")
    with pytest.raises(HistoryValidationError, match="duplicate customer id"):
        pn.load(path)


MAPPING = ColumnMapping(customer_id="cust", at="date", amount="dollars", quantity="qty",
                        item="product", event_id="order_id", currency_default="USD",
                        date_format="%Y-%m-%d")


def test_csv_with_column_mapping_groups_rows_by_customer() -> None:
    data = pn.load_csv(FIXTURES / "transactions.csv", MAPPING)
    assert [c.customer.id for c in data.customers] == ["C-1", "C-2"]
    first = data.customers[0].events[1]
    assert (first.id, first.item, first.quantity, first.amount, first.currency) == (
        "A2", "Pencils", 2, 8.0, "USD")
    assert first.at.tzinfo is not None


def test_csv_errors_name_row_and_column() -> None:
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(FIXTURES / "malformed" / "transactions_bad.csv", MAPPING)
    found = {(p.line, p.field) for p in info.value.problems}
    assert found == {(3, "column 'date'"), (4, "column 'dollars'")}


def test_csv_missing_column_says_which(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="'dollars'"):
        pn.load_csv(FIXTURES / "transactions.csv",
                    ColumnMapping(customer_id="cust", at="date", amount="dollars ", item="product"))


def test_dataframe_loader_matches_csv_loader() -> None:
    import pandas
    frame = pandas.read_csv(FIXTURES / "transactions.csv", dtype=str)
    from_frame = pn.load_dataframe(frame, MAPPING)
    from_csv = pn.load_csv(FIXTURES / "transactions.csv", MAPPING)
    assert from_frame.customers == from_csv.customers


def test_non_utf8_file_is_an_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"customer": {"id": "C-1", "given_name": "José"}}'.encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        pn.load(path)


def test_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"customers": [], "clients": []}))
    with pytest.raises(InputFileError, match="clients"):
        pn.load(path)


def test_unknown_profile_field_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "nick.json"
    path.write_text(json.dumps({"customer": {"id": "C-1", "nickname": "Les"}}))
    with pytest.raises(HistoryValidationError) as info:
        pn.load(path)
    assert [p.field for p in info.value.problems] == ["customer.nickname"]


def test_bad_business_event_in_jsonl_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({"kind": "back_in_stock", "id": "B-1", "at": "2026-01-01T00:00:00Z"}) + "\n")
    with pytest.raises(HistoryValidationError) as info:
        pn.load(path)
    problem = info.value.problems[0]
    assert (problem.line, problem.record_id, problem.field) == (1, "B-1", "item")


def test_dataframe_missing_column_is_named() -> None:
    import pandas
    with pytest.raises(InputFileError, match="'dollars'"):
        pn.load_dataframe(pandas.DataFrame({"cust": ["C-1"], "date": ["2026-01-01"]}), MAPPING)
