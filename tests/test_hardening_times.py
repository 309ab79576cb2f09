"""Issue 12: time zones, the ends of the calendar and special files give typed errors."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
from personalnote import ColumnMapping, HistoryValidationError, InputFileError
from personalnote.cli import main

AT = "2025-03-01T10:00:00Z"


def customer(*events: dict[str, Any], **profile: Any) -> dict[str, Any]:
    return {"customer": {"id": "C-1", **profile}, "events": list(events)}


def fields_of(tmp_path: Path, record: dict[str, Any]) -> set[str]:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(record))
    with pytest.raises(HistoryValidationError) as info:
        pn.load(path)
    assert all(p.record_id == "C-1" and p.path == str(path) for p in info.value.problems)
    return {p.field for p in info.value.problems}


@pytest.mark.parametrize("zone", ["America", "Etc", "Europe", "x" * 255, "Mars/Base", "../etc", "UTC\x00"])
def test_bad_profile_time_zones_are_record_problems(tmp_path: Path, zone: str) -> None:
    assert fields_of(tmp_path, customer(time_zone=zone)) == {"customer.time_zone"}


@pytest.mark.parametrize("zone", ["Mars/Base", "America", "Etc", "y" * 255])
def test_bad_column_mapping_time_zone_is_a_configuration_error(zone: str) -> None:
    with pytest.raises(pn.ConfigurationError, match="time_zone"):
        ColumnMapping(customer_id="c", at="t", time_zone=zone)


def test_column_mapping_accepts_known_zones() -> None:
    assert ColumnMapping(customer_id="c", at="t", time_zone="Europe/Paris").time_zone == "Europe/Paris"


def test_an_event_at_the_start_of_the_calendar_is_refused(tmp_path: Path) -> None:
    event = {"kind": "purchase", "id": "P-1", "at": "0001-01-01T00:30:00+01:00", "item": "Hat"}
    assert fields_of(tmp_path, customer(event)) == {"events[0].at"}


def test_member_since_at_the_end_of_the_calendar_is_refused(tmp_path: Path) -> None:
    record = customer(member_since="9999-12-31T23:30:00-01:00")
    assert fields_of(tmp_path, record) == {"customer.member_since"}


def test_closed_at_at_the_end_of_the_calendar_is_refused(tmp_path: Path) -> None:
    event = {"kind": "support_case", "id": "S-1", "at": AT, "topic": "Late",
             "closed_at": "9999-12-31T23:59:59Z"}
    assert fields_of(tmp_path, customer(event)) == {"events[0].closed_at"}


def test_loaded_edge_instants_never_crash_moments(tmp_path: Path) -> None:
    event = {"kind": "purchase", "id": "P-1", "at": "1800-01-01T00:00:00Z", "item": "Hat"}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(customer(event, member_since="2499-12-31T00:00:00Z")))
    history = pn.load(path).customers[0]
    for as_of in (datetime(1800, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
                  datetime(2499, 12, 31, 12, tzinfo=UTC)):
        pn.find_moments(pn.build_context(history, as_of))


def test_csv_dates_at_the_calendar_ends_are_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("cust,date\nA,0001-01-01T00:30:00+01:00\nB,2025-01-01T00:00:00Z\n")
    with pytest.raises(HistoryValidationError) as info:
        pn.load_csv(path, ColumnMapping(customer_id="cust", at="date", item_default="x"))
    assert [(p.line, p.record_id) for p in info.value.problems] == [(2, "A")]


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31T23:59:59-01:00", ""])
def test_cli_refuses_as_of_out_of_range_or_empty(as_of: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = Path(__file__).parent.parent / "fixtures" / "customers.jsonl"
    assert main(["moments", str(data), "--as-of", as_of]) == 2
    assert "--as-of" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32", reason="needs FIFOs")
@pytest.mark.parametrize("name", ["c.json", "c.jsonl", "c.csv"])
def test_a_fifo_is_refused_not_read(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        if name.endswith(".csv"):
            pn.load_csv(fifo, ColumnMapping(customer_id="c", at="t"))
        else:
            pn.load(fifo)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32", reason="needs FIFOs")
def test_the_cli_refuses_a_fifo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "c.json"
    os.mkfifo(fifo)
    assert main(["moments", str(fifo), "--as-of", AT]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_a_folder_is_refused_as_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "d.json"
    folder.mkdir()
    with pytest.raises(InputFileError, match="folder"):
        pn.load(folder)
