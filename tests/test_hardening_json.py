"""Issue 12: every bad JSON input is a typed error naming the record and the field (or the file and line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
from personalnote import HistoryValidationError, InputFileError

AT = "2025-03-01T10:00:00Z"


def purchase(**fields: Any) -> dict[str, Any]:
    return {"kind": "purchase", "id": "P-1", "at": AT, "item": "Hat", **fields}


def customer(*events: dict[str, Any], **profile: Any) -> dict[str, Any]:
    return {"customer": {"id": "C-1", **profile}, "events": list(events)}


def write(tmp_path: Path, text: str, name: str = "c.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem_fields(path: Path) -> set[str]:
    with pytest.raises(HistoryValidationError) as info:
        pn.load(path)
    assert all(p.path == str(path) and p.record_id == "C-1" for p in info.value.problems)
    return {p.field for p in info.value.problems}


def test_duplicate_keys_are_an_error(tmp_path: Path) -> None:
    text = '{"customer": {"id": "C-1", "do_not_contact": true, "do_not_contact": false}, "events": []}'
    with pytest.raises(InputFileError, match="duplicate key 'do_not_contact'.*'C-1'"):
        pn.load(write(tmp_path, text))


def test_duplicate_keys_in_jsonl_name_the_line(tmp_path: Path) -> None:
    good = json.dumps(customer())
    bad = '{"customer": {"id": "C-2"}, "events": [], "events": []}'
    with pytest.raises(InputFileError) as info:
        pn.load(write(tmp_path, f"{good}\n{bad}\n", "c.jsonl"))
    assert info.value.line == 2 and "duplicate key 'events'" in str(info.value)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309"])
@pytest.mark.parametrize("field", ["amount", "quantity"])
def test_non_finite_purchase_numbers_are_refused(tmp_path: Path, number: str, field: str) -> None:
    text = json.dumps(customer(purchase(**{field: "N"}))).replace('"N"', number)
    assert problem_fields(write(tmp_path, text)) == {f"events[0].{field}"}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e309"])
@pytest.mark.parametrize("field", ["value", "previous_value"])
def test_non_finite_loyalty_numbers_are_refused(tmp_path: Path, number: str, field: str) -> None:
    event = {"kind": "loyalty", "id": "L-1", "at": AT, "program": "Miles", "metric": "miles", "value": 1,
             field: "N"}
    text = json.dumps(customer(event)).replace('"N"', number)
    assert problem_fields(write(tmp_path, text)) == {f"events[0].{field}"}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e309", "1e300"])
def test_non_finite_custom_data_is_refused(tmp_path: Path, number: str) -> None:
    event = {"kind": "custom", "id": "X-1", "at": AT, "name": "Interview", "data": {"score": "N"}}
    text = json.dumps(customer(event)).replace('"N"', number)
    fields = problem_fields(write(tmp_path, text))
    assert fields and all(f.startswith("events[0].data.score") for f in fields)


@pytest.mark.parametrize("field", ["amount", "quantity"])
def test_true_is_not_a_number(tmp_path: Path, field: str) -> None:
    assert problem_fields(write(tmp_path, json.dumps(customer(purchase(**{field: True}))))) == {
        f"events[0].{field}"}


def test_true_is_not_a_count_of_nights(tmp_path: Path) -> None:
    event = {"kind": "trip", "id": "T-1", "at": AT, "nights": True}
    assert problem_fields(write(tmp_path, json.dumps(customer(event)))) == {"events[0].nights"}


def test_a_400_digit_count_of_nights_is_refused(tmp_path: Path) -> None:
    text = json.dumps(customer({"kind": "trip", "id": "T-1", "at": AT, "nights": 1})).replace(
        '"nights": 1', '"nights": ' + "9" * 400)
    with pytest.raises(InputFileError, match="400 digits"):
        pn.load(write(tmp_path, text))


def test_a_large_count_of_nights_names_the_field() -> None:
    with pytest.raises(Exception) as info:
        pn.CustomerHistory.model_validate(customer({"kind": "trip", "id": "T-1", "at": AT, "nights": 10**40}))
    assert "nights" in str(info.value)


def test_an_integer_over_4300_digits_is_an_input_file_error(tmp_path: Path) -> None:
    text = json.dumps(customer(purchase(amount=1))).replace('"amount": 1', '"amount": ' + "1" * 5000)
    with pytest.raises(InputFileError, match="too large"):
        pn.load(write(tmp_path, text))


def test_deep_nesting_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="nested too deeply"):
        pn.load(write(tmp_path, "[" * 100_000 + "]" * 100_000))


def test_nesting_1000_deep_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(pn.InputError):
        pn.load(write(tmp_path, '{"customers": ' + "[" * 1000 + "]" * 1000 + "}"))


@pytest.mark.parametrize("text", ['{"customers": 5}', '{"business_events": 5}', '{"customers": "abc"}',
                                  '{"customers": {"customer": {}}}', "true", "5", '"text"', "null"])
def test_wrong_shapes_are_input_file_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputFileError):
        pn.load(write(tmp_path, text))


def test_wrong_shape_in_jsonl_is_a_record_problem(tmp_path: Path) -> None:
    with pytest.raises(HistoryValidationError) as info:
        pn.load(write(tmp_path, "true\n", "c.jsonl"))
    assert info.value.problems[0].line == 1


@pytest.mark.parametrize("at", ["20250301", "1740823200", " 1740823200 ", "1740823200.5", "-5"])
def test_digit_strings_are_not_times(tmp_path: Path, at: str) -> None:
    assert problem_fields(write(tmp_path, json.dumps(customer(purchase(at=at))))) == {"events[0].at"}


def test_digit_strings_are_not_member_since(tmp_path: Path) -> None:
    assert problem_fields(write(tmp_path, json.dumps(customer(member_since="20250301")))) == {
        "customer.member_since"}


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_an_empty_jsonl_file_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputFileError, match="no records"):
        pn.load(write(tmp_path, text, "c.jsonl"))


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\r"])
def test_jsonl_splits_on_newline_only(tmp_path: Path, separator: str) -> None:
    """A raw separator inside a JSON string is valid JSON (only C0 controls must be escaped)."""
    record = json.dumps(customer(purchase(item=f"Hat{separator}band")), ensure_ascii=False)
    if separator in "\x0b\x0c\x1c\r":  # C0 controls are escaped in valid JSON
        assert separator not in record
    data = pn.load(write(tmp_path, record + "\n" + json.dumps(customer(), ensure_ascii=False)
                         .replace("C-1", "C-2") + "\n", "c.jsonl"))
    assert [c.customer.id for c in data.customers] == ["C-1", "C-2"]


def test_jsonl_with_a_raw_line_separator_loads(tmp_path: Path) -> None:
    record = json.dumps(customer(purchase(item="Hat\u2028band")), ensure_ascii=False)
    assert "\u2028" in record
    assert pn.load(write(tmp_path, record + "\n", "c.jsonl")).customers[0].customer.id == "C-1"


def test_crlf_jsonl_still_loads(tmp_path: Path) -> None:
    text = json.dumps(customer()) + "\r\n" + json.dumps(customer()).replace("C-1", "C-2") + "\r\n"
    assert len(pn.load(write(tmp_path, text, "c.jsonl")).customers) == 2


def test_a_huge_variant_value_is_refused(tmp_path: Path) -> None:
    event = purchase(variant={"size": "x" * 20_000})
    assert problem_fields(write(tmp_path, json.dumps(customer(event)))) == {"events[0].variant.size"}


def test_a_variant_with_thousands_of_keys_is_refused(tmp_path: Path) -> None:
    event = purchase(variant={f"k{i}": "v" for i in range(5000)})
    assert problem_fields(write(tmp_path, json.dumps(customer(event)))) == {"events[0].variant"}


def test_attributes_with_too_many_keys_or_values_are_refused(tmp_path: Path) -> None:
    many_keys = {"kind": "preference", "id": "R-1", "at": AT, "text": "likes grey",
                 "attributes": {f"k{i}": ["v"] for i in range(1000)}}
    many_values = dict(many_keys, attributes={"colours": ["grey"] * 10_000})
    assert problem_fields(write(tmp_path, json.dumps(customer(many_keys)))) == {"events[0].attributes"}
    assert problem_fields(write(tmp_path, json.dumps(customer(many_values)))) == {
        "events[0].attributes.colours"}


def test_custom_data_is_bounded(tmp_path: Path) -> None:
    base = {"kind": "custom", "id": "X-1", "at": AT, "name": "Interview"}
    many = dict(base, data={f"k{i}": 1 for i in range(200_000)})
    huge = dict(base, data={"note": "x" * 20_000_000})
    assert problem_fields(write(tmp_path, json.dumps(customer(many)))) == {"events[0].data"}
    fields = problem_fields(write(tmp_path, json.dumps(customer(huge))))
    assert fields and all(f.startswith("events[0].data.note") for f in fields)


@pytest.mark.parametrize("field", ["item", "store", "category"])
def test_nul_in_purchase_text_is_refused(tmp_path: Path, field: str) -> None:
    event = purchase(**{field: "Hat\x00band"})
    assert problem_fields(write(tmp_path, json.dumps(customer(event)))) == {f"events[0].{field}"}


def test_nul_in_free_text_is_refused(tmp_path: Path) -> None:
    event = {"kind": "staff_note", "id": "N-1", "at": AT, "text": "Likes\x00 grey"}
    assert problem_fields(write(tmp_path, json.dumps(customer(event)))) == {"events[0].text"}


def test_good_files_still_load_with_normal_numbers(tmp_path: Path) -> None:
    event = {"kind": "custom", "id": "X-1", "at": AT, "name": "Interview",
             "data": {"score": 4.5, "passed": True, "rounds": 3, "note": "fine", "none": None}}
    history = pn.load(write(tmp_path, json.dumps(customer(purchase(amount=12.5, quantity=2), event))))
    custom = history.customers[0].events[1]
    assert custom.data == {"score": 4.5, "passed": True, "rounds": 3, "note": "fine", "none": None}
    assert type(custom.data["passed"]) is bool and type(custom.data["rounds"]) is int
