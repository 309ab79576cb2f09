"""Loaders of JSON and JSONL customer files (table exports: ``_tabular``).

A loader either returns every record of its input or raises one error that lists
every bad record (``HistoryValidationError``); nothing is dropped silently.

Example::

    data = load("fixtures/customers/flyer_2m_miles.json")
    histories, business_events, files = load_customers("fixtures/customers")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ._errors import HistoryValidationError, InputFileError, RecordProblem
from ._history import BusinessEvent, CustomerHistory, Dataset
from ._json_reader import jsonl_lines, parse_json, read_text

__all__ = ["is_customer", "load", "load_business_events", "load_customers", "problems_from_validation",
           "read_text", "shared_id_problems", "validate_customer"]

_BUSINESS_EVENT: TypeAdapter[Any] = TypeAdapter(BusinessEvent)

_EXPECTED = {
    "timezone_aware": "an ISO-8601 timestamp with a time zone, e.g. 2025-03-01T10:00:00Z",
    "datetime_from_date_parsing": "an ISO-8601 timestamp with a time zone, e.g. 2025-03-01T10:00:00Z",
    "datetime_parsing": "an ISO-8601 timestamp with a time zone, e.g. 2025-03-01T10:00:00Z",
    "datetime_type": "an ISO-8601 timestamp with a time zone, e.g. 2025-03-01T10:00:00Z",
    "missing": "a value (the field is required)",
    "extra_forbidden": "no such field: check the spelling against the documented format",
    "string_too_short": "a non-empty string",
    "greater_than_equal": "a number >= {ge}",
    "less_than_equal": "a number <= {le}",
    "finite_number": "a finite number",
    "union_tag_invalid": "'kind' to be one of {expected_tags}",
    "union_tag_not_found": "a 'kind' field, one of the documented event kinds",
    "literal_error": "one of {expected}",
}


# --- turning pydantic errors into record problems -------------------------------------


def _field_path(loc: tuple[int | str, ...], record: Any) -> tuple[str, str | None]:
    """``('events', 3, 'purchase', 'at')`` -> ``('events[3].at', id of that event)``.

    Pydantic puts the discriminator tag of a tagged union into the location; it is
    dropped so the path names the field as it stands in the file.
    """
    out = ""
    event_id: str | None = None
    container: str | None = None
    items = list(loc)
    if items and isinstance(record, Mapping) and "customer" not in record:
        if items[0] == record.get("kind"):
            items = items[1:]  # a business event record on its own
            event_id = _record_id(record)
    i = 0
    while i < len(items):
        part = items[i]
        if isinstance(part, int):
            out += f"[{part}]"
            seq = record.get(container) if isinstance(record, Mapping) and container else None
            if isinstance(seq, list) and 0 <= part < len(seq) and isinstance(seq[part], Mapping):
                event = seq[part]
                event_id = str(event["id"]) if event.get("id") is not None else None
                if i + 1 < len(items) and items[i + 1] == event.get("kind"):
                    i += 1
        else:
            out += ("." if out else "") + str(part)
            container = str(part)
        i += 1
    return out or "(record)", event_id


def problems_from_validation(
    error: ValidationError, *, path: str | None, index: int, record_id: str | None, record: Any,
    line: int | None = None, prefix: str = "",
) -> list[RecordProblem]:
    problems = []
    for err in error.errors(include_url=False):
        field, event_id = _field_path(tuple(err["loc"]), record)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = f"{field}.kind" if field != "(record)" else "kind"
        message = err["msg"].removeprefix("Value error, ")
        if event_id is not None:
            message = f"event {event_id!r}: {message}"
        template = _EXPECTED.get(err["type"])
        expected = template.format(**err.get("ctx", {})) if template else None
        problems.append(
            RecordProblem(path, index, record_id, prefix + field, message, expected, line)
        )
    return problems


def _record_id(record: Any) -> str | None:
    if isinstance(record, Mapping):
        customer = record.get("customer")
        if isinstance(customer, Mapping) and customer.get("id") is not None:
            return str(customer["id"])
        if record.get("id") is not None:
            return str(record["id"])
    return None


def _duplicate_ids(record: Any, path: str | None, index: int, line: int | None) -> list[RecordProblem]:
    if not isinstance(record, Mapping):
        return []
    problems: list[RecordProblem] = []
    first_seen: dict[str, str] = {}
    for container in ("events", "business_events"):
        seq = record.get(container)
        if not isinstance(seq, list):
            continue
        for i, event in enumerate(seq):
            if not isinstance(event, Mapping) or event.get("id") is None:
                continue
            event_id = str(event["id"])
            here = f"{container}[{i}]"
            if event_id in first_seen:
                problems.append(RecordProblem(
                    path, index, _record_id(record), f"{here}.id",
                    f"duplicate event id {event_id!r} (first used at {first_seen[event_id]})",
                    "event ids unique within a customer", line,
                ))
            else:
                first_seen[event_id] = here
    return problems


# --- JSON and JSONL -----------------------------------------------------------------------


def validate_customer(record: Any, path: str | None, index: int,
                      line: int | None = None) -> CustomerHistory | list[RecordProblem]:
    """One customer record validated, or every problem with it."""
    dupes = _duplicate_ids(record, path, index, line)
    try:
        return CustomerHistory.model_validate(record)
    except ValidationError as exc:
        found = problems_from_validation(
            exc, path=path, index=index, record_id=_record_id(record), record=record, line=line
        )
        if dupes:  # the precise duplicate problems replace the model's summary
            found = [p for p in found if "duplicate event id" not in p.message]
        return dupes + found


@dataclass
class _Collector:
    path: str | None
    customers: list[CustomerHistory]
    business_events: list[Any]
    problems: list[RecordProblem]

    def customer(self, record: Any, index: int, line: int | None = None) -> None:
        history = validate_customer(record, self.path, index, line)
        if isinstance(history, list):
            self.problems.extend(history)
        else:
            self.customers.append(history)

    def business_event(self, record: Any, index: int, line: int | None = None, prefix: str = "") -> None:
        try:
            self.business_events.append(_BUSINESS_EVENT.validate_python(record))
        except ValidationError as exc:
            self.problems.extend(problems_from_validation(
                exc, path=self.path, index=index, record_id=_record_id(record), record=record,
                line=line, prefix=prefix,
            ))

    def finish(self) -> Dataset:
        ids: dict[str, int] = {}
        for i, history in enumerate(self.customers):
            if history.customer.id in ids:
                self.problems.append(RecordProblem(
                    self.path, i, history.customer.id, "customer.id",
                    f"duplicate customer id (also record {ids[history.customer.id]})",
                    "one record per customer",
                ))
            ids.setdefault(history.customer.id, i)
        seen: set[str] = set()
        for i, event in enumerate(self.business_events):
            if event.id in seen:
                self.problems.append(RecordProblem(
                    self.path, i, event.id, "business_events.id", "duplicate business event id",
                    "business event ids unique within a file",
                ))
            seen.add(event.id)
        self.problems.extend(_colliding_ids(self.customers, self.business_events, self.path))
        if self.problems:
            raise HistoryValidationError(self.problems)
        # already validated: constructing skips re-running every customer's validators
        return Dataset.model_construct(customers=self.customers, business_events=self.business_events)


def _colliding_ids(customers: list[CustomerHistory], business_events: list[Any],
                   path: str | None) -> list[RecordProblem]:
    """A business event shares the facts' id space with each customer's events: one would hide the other."""
    shared = {event.id for event in business_events}
    problems: list[RecordProblem] = []
    for index, history in enumerate(customers):
        problems.extend(shared_id_problems(history, shared, path, index))
    return problems


def shared_id_problems(history: CustomerHistory, shared: set[str], path: str | None, index: int,
                       line: int | None = None) -> list[RecordProblem]:
    """The customer's events whose id is also a business event's id (in ``shared``)."""
    return [RecordProblem(path, index, history.customer.id, f"events[{i}].id",
                          f"event id {event.id!r} is also the id of a business event",
                          "event ids unique across the customer's events and the business events", line)
            for i, event in enumerate(history.events) if event.id in shared]


def is_customer(record: Any) -> bool:
    return isinstance(record, Mapping) and "customer" in record


def _load_json_document(text: str, path: Path, collector: _Collector) -> None:
    document = parse_json(text, path)
    if isinstance(document, list):
        records: list[Any] = document
    elif is_customer(document):
        records = [document]
    elif isinstance(document, Mapping) and ("customers" in document or "business_events" in document):
        unknown = set(document) - {"customers", "business_events", "format"}
        if unknown:
            raise InputFileError(path, f"unknown top-level key(s) {sorted(unknown)}; "
                                 "expected 'customers' and/or 'business_events'")
        records = _list_at(document, "customers", path)
        for i, event in enumerate(_list_at(document, "business_events", path)):
            collector.business_event(event, i, prefix=f"business_events[{i}].")
    else:
        raise InputFileError(path, "expected a customer object ({'customer': ..., 'events': [...]}), "
                             "a list of them, or {'customers': [...], 'business_events': [...]}")
    for i, record in enumerate(records):
        collector.customer(record, i)


def _list_at(document: Mapping[str, Any], key: str, path: Path) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise InputFileError(path, f"'{key}' must be a list of records, not {type(value).__name__}")
    return value


def _load_jsonl(text: str, path: Path, collector: _Collector) -> None:
    lines = jsonl_lines(text)
    if not lines:
        raise InputFileError(path, "the file holds no records (an empty JSONL file)")
    for index, (line_no, line) in enumerate(lines):
        record = parse_json(line, path, line=line_no)
        if is_customer(record):
            collector.customer(record, index, line=line_no)
        else:
            collector.business_event(record, index, line=line_no)


def load(path: str | Path) -> Dataset:
    """Load customers (and business events) from a ``.json`` or ``.jsonl`` file.

    Example::

        data = load("fixtures/customers/flyer_2m_miles.json")
        history = data.customers[0]
    """
    path = Path(path)
    text = read_text(path)
    collector = _Collector(str(path), [], [], [])
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        _load_jsonl(text, path, collector)
    else:
        _load_json_document(text, path, collector)
    return collector.finish()


def load_business_events(path: str | Path) -> list[Any]:
    """Load business events alone (a JSON list, ``{"business_events": [...]}`` or JSONL)."""
    dataset = load(path)
    if dataset.customers:
        raise InputFileError(path, "this file holds customer records; expected business events only")
    return list(dataset.business_events)


def load_customers(path: str | Path) -> tuple[list[CustomerHistory], list[Any], dict[str, Path]]:
    """The customers in a file or in a folder's .json files, the business events, and each one's file.

    A customer id found in two files is a ``HistoryValidationError``.

    Example::

        histories, business_events, files = load_customers("fixtures/customers")
        files["C-1001"]            # the file the customer came from (recorded with a queued draft)
    """
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise InputFileError(path, "no .json customer files in this folder")
    histories: list[CustomerHistory] = []
    events: list[Any] = []
    sources: dict[str, Path] = {}
    problems: list[RecordProblem] = []
    for file in files:
        data = load(file)
        events.extend(data.business_events)
        for index, history in enumerate(data.customers):
            if history.customer.id in sources:
                problems.append(RecordProblem(
                    str(file), index, history.customer.id, "customer.id",
                    f"duplicate customer id (also in {sources[history.customer.id]})",
                    "one record per customer"))
            sources.setdefault(history.customer.id, file.resolve())
            histories.append(history)
    for history in histories:
        problems.extend(_colliding_ids([history], events, str(sources[history.customer.id])))
    if problems:
        raise HistoryValidationError(problems)
    return histories, events, sources
