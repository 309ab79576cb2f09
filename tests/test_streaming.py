"""iter_customers: a JSONL file streamed one customer at a time, lazily, with load's checks and errors."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

import personalnote as pn
import personalnote._jsonl_stream as stream
from personalnote import HistoryValidationError, InputFileError

from .support import AS_OF, FIXTURES, SlowModel, numbered_flyer


def customer(i: int, **profile: Any) -> str:
    return json.dumps({"customer": {"id": f"C-{i}", **profile},
                       "events": [{"kind": "purchase", "id": f"P-{i}", "at": "2026-01-02T10:00:00Z",
                                   "item": "Linen shirt"}]})


def write(tmp_path: Path, *lines: str, name: str = "customers.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


class CountingReader(io.BufferedReader):
    """A binary file that counts the bytes of the lines it hands out (its buffer holds 4 KiB more at most)."""

    opened: list[CountingReader] = []

    def __init__(self, path: Path) -> None:
        self.raw_file = io.FileIO(path, "r")
        self.bytes_read = 0
        super().__init__(self.raw_file, buffer_size=4096)
        CountingReader.opened.append(self)

    def readline(self, size: int | None = -1, /) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[CountingReader]]:
    CountingReader.opened = []

    def opener(path: Path) -> IO[bytes]:
        return CountingReader(path)

    monkeypatch.setattr(stream, "_open", opener)
    yield CountingReader.opened


def test_streams_the_same_customers_as_load() -> None:
    path = FIXTURES / "customers.jsonl"
    assert list(pn.iter_customers(path)) == list(pn.load(path).customers)


def test_yields_the_first_customer_before_reading_the_rest(tmp_path: Path,
                                                           counting: list[CountingReader]) -> None:
    path = write(tmp_path, *(customer(i) for i in range(2000)))
    customers = pn.iter_customers(path)
    assert counting == []  # nothing opened until the first customer is asked for
    first = next(customers)
    assert first.customer.id == "C-0"
    (handle,) = counting
    assert handle.bytes_read == len(customer(0)) + 1  # one line read, of a file of 2,000
    assert next(customers).customer.id == "C-1" and handle.bytes_read == 2 * (len(customer(0)) + 1)
    assert sum(1 for _ in customers) == 1998
    assert handle.bytes_read == path.stat().st_size and handle.closed


def test_closing_the_stream_early_closes_the_file(tmp_path: Path, counting: list[CountingReader]) -> None:
    customers = pn.iter_customers(write(tmp_path, customer(1), customer(2)))
    next(customers)
    customers.close()  # type: ignore[attr-defined]
    assert counting[0].closed


def test_a_bad_line_stops_the_stream_there_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, customer(1), "", customer(2), customer(3, time_zone="Mars/Olympus"), customer(4))
    customers = pn.iter_customers(path)
    assert [next(customers).customer.id, next(customers).customer.id] == ["C-1", "C-2"]
    with pytest.raises(HistoryValidationError) as info:
        next(customers)
    (problem,) = info.value.problems
    assert (problem.path, problem.line, problem.record_index, problem.record_id, problem.field) == (
        str(path), 4, 2, "C-3", "customer.time_zone")
    assert info.value.streamed == 2 and "the stream stopped after 2 customers" in str(info.value)
    assert f"{path}:4" in str(info.value)


@pytest.mark.parametrize("record", [
    {"customer": {"given_name": "NoId"}, "events": []},
    {"customer": {"id": "C-TZ", "time_zone": "Mars/Olympus"}, "events": []},
    {"customer": {"id": "C-D"}, "events": [{"kind": "purchase", "id": "S-1", "at": "2026-01-02T10:00:00Z"},
                                          {"kind": "purchase", "id": "S-1", "at": "2026-01-03T10:00:00Z"}]},
    {"customer": {"id": "C-T"}, "events": [{"kind": "purchase", "id": "S-1", "at": "2026-01-02T10:00:00"}]},
    {"customer": {"id": "C-K"}, "events": [{"kind": "parachute", "id": "S-1", "at": "2026-01-02T10:00:00Z"}]},
    {"customer": {"id": "C-N"}, "events": [{"kind": "purchase", "id": "S-1", "at": "2026-01-02T10:00:00Z",
                                          "amount": -3}]},
])
def test_record_problems_are_the_same_as_loads(tmp_path: Path, record: dict[str, Any]) -> None:
    path = write(tmp_path, customer(1), json.dumps(record))
    with pytest.raises(HistoryValidationError) as loaded:
        pn.load(path)
    with pytest.raises(HistoryValidationError) as streamed:
        list(pn.iter_customers(path))
    assert streamed.value.problems == loaded.value.problems
    assert all(p.line == 2 for p in streamed.value.problems)


@pytest.mark.parametrize(("line", "detail"), [
    ('{"customer": {"id": "C-2"}, "events": [', "invalid JSON"),
    ('{"customer": {"id": "C-2", "do_not_contact": true, "do_not_contact": false}, "events": []}',
     "duplicate key 'do_not_contact'"),
    ('{"customer": {"id": "C-2"}, "events": [], "n": ' + "9" * 200 + "}", "too large"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
])
def test_file_errors_are_the_same_as_loads(tmp_path: Path, line: str, detail: str) -> None:
    path = write(tmp_path, customer(1), line)
    with pytest.raises(InputFileError) as loaded:
        pn.load(path)
    customers = pn.iter_customers(path)
    assert next(customers).customer.id == "C-1"
    with pytest.raises(InputFileError) as streamed:
        next(customers)
    assert str(streamed.value) == str(loaded.value) and streamed.value.line == 2
    assert detail in str(streamed.value)


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    path.write_bytes(customer(1).encode() + b"\n" + customer(2).encode()[:-5] + b"\xff\xfe}}\n")
    customers = pn.iter_customers(path)
    next(customers)
    with pytest.raises(InputFileError, match="not UTF-8") as info:
        next(customers)
    assert info.value.line == 2


def test_lines_split_on_newline_only(tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    note = {"kind": "staff_note", "id": "N-1", "at": "2026-01-02T10:00:00Z", "text": "a\u2028b\u0085c"}
    record = {"customer": {"id": "C-1"}, "events": [note]}
    path.write_bytes(json.dumps(record, ensure_ascii=False).encode() + b"\r\n" + customer(2).encode())
    assert [c.customer.id for c in pn.iter_customers(path)] == ["C-1", "C-2"]
    assert list(pn.iter_customers(path)) == list(pn.load(path).customers)


def test_a_duplicate_customer_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, customer(1), customer(2), customer(1))
    with pytest.raises(HistoryValidationError, match=r"duplicate customer id \(also line 1\)") as info:
        list(pn.iter_customers(path))
    assert info.value.problems[0].line == 3 and info.value.streamed == 2


def test_a_business_event_line_is_refused_naming_it(tmp_path: Path) -> None:
    event = json.dumps({"kind": "new_collection", "id": "B-1", "at": "2026-01-02T10:00:00Z",
                        "name": "Spring"})
    path = write(tmp_path, customer(1), event)
    customers = pn.iter_customers(path)
    next(customers)
    with pytest.raises(InputFileError, match="load_business_events") as info:
        next(customers)
    assert info.value.line == 2


def test_business_events_given_are_checked_for_shared_ids(tmp_path: Path) -> None:
    events = pn.load_business_events(FIXTURES / "business_events.json")
    clash = events[0].id
    record = {"customer": {"id": "C-2"}, "events": [{"kind": "purchase", "id": clash, "item": "Scarf",
                                                     "at": "2026-01-02T10:00:00Z"}]}
    path = write(tmp_path, customer(1), json.dumps(record))
    assert len(list(pn.iter_customers(path))) == 2  # no business events given: nothing to clash with
    with pytest.raises(HistoryValidationError, match="also the id of a business event") as info:
        list(pn.iter_customers(path, business_events=events))
    assert (info.value.problems[0].line, info.value.problems[0].field) == (2, "events[0].id")


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_file_is_an_input_file_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(InputFileError, match="no records"):
        list(pn.iter_customers(path))


def test_the_path_is_checked_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        pn.iter_customers(tmp_path / "absent.jsonl")
    with pytest.raises(InputFileError, match="folder"):
        pn.iter_customers(tmp_path)
    with pytest.raises(InputFileError, match="streams JSONL files"):
        pn.iter_customers(FIXTURES / "customers" / "flyer_2m_miles.json")
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        pn.iter_customers(fifo)
    ndjson = write(tmp_path, customer(1), name="customers.NDJSON")
    assert [c.customer.id for c in pn.iter_customers(ndjson)] == ["C-1"]


def test_draft_many_drafts_a_stream(tmp_path: Path) -> None:
    path = write(tmp_path, *(numbered_flyer(i).model_dump_json() for i in range(6)))
    model = SlowModel(delay=0.0)
    result = pn.draft_many(pn.iter_customers(path), as_of=AS_OF, model=model, concurrency=2, progress=True)
    assert result.counts["drafted"] == 6
    assert [o.customer_id for o in result.outcomes] == [f"C-{i:03d}" for i in range(6)]


def test_draft_many_stops_at_a_bad_line_with_the_typed_error(tmp_path: Path) -> None:
    lines = [numbered_flyer(i).model_dump_json() for i in range(3)] + ['{"customer": {}, "events": []}']
    path = write(tmp_path, *lines)
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        with pytest.raises(HistoryValidationError) as info:
            pn.draft_many(pn.iter_customers(path), as_of=AS_OF, model=SlowModel(delay=0.01), concurrency=2,
                          queue=queue, progress=False)
        assert info.value.problems[0].line == 4
        # the customers before the bad line, in flight or done, were drafted and queued
        assert sorted(item.customer_id for item in queue.pending()) == ["C-000", "C-001", "C-002"]
