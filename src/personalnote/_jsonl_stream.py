"""Streaming a JSONL customer file: one customer at a time, memory bounded by the largest line.

``load`` holds the whole file, then every customer at once: its memory grows with the file.
``iter_customers`` reads a ``.jsonl`` file line by line and yields each ``CustomerHistory``
as soon as its line is read and validated, so memory stays bounded by the largest line
(plus the customer ids seen so far, kept to refuse a duplicate) however large the file is.
It plugs into ``draft_many``, which takes any iterable of histories.

Each line is checked as ``load`` checks it: strict JSON (no duplicate keys, no huge
integers, no deep nesting), UTF-8, the same record validation; lines are split on ``\\n``
only, and blank lines are skipped. A bad line raises the same typed error naming the file
and the line (``InputFileError`` or ``HistoryValidationError``), when the stream reaches it:
the customers before it have already been yielded (``HistoryValidationError.streamed``
says how many). To have every problem of a file listed at once, ``load`` it.

Business events apply to every customer, so they must be known before the first customer
is drafted: a line holding a business event (a line without ``"customer"``) is an
``InputFileError`` naming the line. Keep business events in their own file, load them with
``load_business_events`` and pass them as ``business_events=`` (to ``iter_customers``, which
then refuses a customer event sharing a business event's id as ``load`` does, and to
``draft_many``).

Example::

    events = load_business_events("business_events.json")
    result = draft_many(iter_customers("customers.jsonl", business_events=events),
                        as_of=as_of, business_events=events, queue=queue)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ._errors import HistoryValidationError, InputFileError, RecordProblem
from ._history import CustomerHistory
from ._json_reader import check_regular_file, parse_json
from ._loaders import is_customer, shared_id_problems, validate_customer

__all__ = ["JSONL_SUFFIXES", "iter_customers", "jsonl_file_lines"]

#: the suffixes of a JSONL file, as ``load`` reads them
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def iter_customers(path: str | Path, *, business_events: Iterable[Any] = ()) -> Iterator[CustomerHistory]:
    """The customers of a ``.jsonl`` file, one at a time, reading the file line by line.

    The path is checked at once (a JSONL suffix, an existing regular file); each line is
    read, checked and yielded as the iterator is advanced. ``business_events`` are the
    business events that will be drafted with these customers: an event id shared with one
    of them is refused, as ``load`` refuses it within a file.

    Example::

        for history in iter_customers("customers.jsonl"):
            report = find_moments(build_context(history, as_of))
    """
    path = Path(path)
    check_regular_file(path)
    if path.suffix.lower() not in JSONL_SUFFIXES:
        raise InputFileError(path, "iter_customers streams JSONL files (.jsonl or .ndjson); "
                             "read a JSON document with load")
    shared = {event.id for event in business_events}
    return _stream(path, shared)


def _open(path: Path) -> IO[bytes]:
    """The file opened for reading in binary (a separate function so tests can watch the reads)."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputFileError(path, exc.strerror or str(exc)) from None


def jsonl_file_lines(handle: IO[bytes], path: str | Path) -> Iterator[tuple[int, str]]:
    """The non-blank lines of an open JSONL file with their numbers, read one at a time.

    Binary lines end at ``\\n`` only (as ``jsonl_lines`` splits a text), and a UTF-8 byte
    sequence never holds the byte ``\\n``, so each line is decoded on its own.
    """
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start} of the line)",
                                 line=number) from None
        if line.strip():
            yield number, line


def _stream(path: Path, shared: set[str]) -> Iterator[CustomerHistory]:
    name = str(path)
    first_line: dict[str, int] = {}  # customer id -> the line it was first seen on
    with _open(path) as handle:
        for index, (number, line) in enumerate(jsonl_file_lines(handle, path)):
            record = parse_json(line, path, line=number)
            if not is_customer(record):
                raise InputFileError(
                    path, "a business event (a line without 'customer'): iter_customers streams customers "
                    "only, and business events apply to every customer; keep them in their own file, "
                    "load them with load_business_events and pass them as business_events=", line=number)
            history = validate_customer(record, name, index, number)
            problems = history if isinstance(history, list) else _clashes(history, shared, first_line,
                                                                          name, index, number)
            if problems or isinstance(history, list):
                raise HistoryValidationError(problems, streamed=len(first_line))
            first_line[history.customer.id] = number
            yield history
    if not first_line:
        raise InputFileError(path, "the file holds no records (an empty JSONL file)")


def _clashes(history: CustomerHistory, shared: set[str], first_line: dict[str, int], path: str,
             index: int, line: int) -> list[RecordProblem]:
    problems = shared_id_problems(history, shared, path, index, line)
    seen = first_line.get(history.customer.id)
    if seen is not None:
        problems.insert(0, RecordProblem(path, index, history.customer.id, "customer.id",
                                         f"duplicate customer id (also line {seen})",
                                         "one record per customer", line))
    return problems
