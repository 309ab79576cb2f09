"""The rows of a table export read into customers, as a ``ColumnMapping`` says.

Each row is carried down (an order's blank order-level cells), filtered (the rows left out
are counted, by column and value), and read into one event, or one profile with ``at=None``.
Every bad row is a ``RecordProblem`` naming its line and column; ``read_rows`` raises one
``HistoryValidationError`` listing them all.

Example::

    table = read_rows(enumerate(frame.to_dict("records")), mapping, "<frame>", "frame-row")
    table.customers, table.left_out
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from ._errors import HistoryValidationError, RecordProblem
from ._history import CustomerHistory, LeftOutRows
from ._loaders import problems_from_validation
from ._mapping import ColumnMapping

__all__ = ["Table", "is_missing", "read_rows"]

_NAME_FIELDS = ("given_name", "family_name", "honorific")


def is_missing(value: Any) -> bool:
    """True for a blank cell: None, an empty or blank string, NaN, pandas' NaT and NA."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # NaN-like values (numpy NaN, NaT) differ from themselves
    except (TypeError, ValueError):  # pandas.NA has no truth value
        return type(value).__name__ == "NAType"


def _cell(row: Mapping[str, Any], column: str) -> Any:
    value = row.get(column)
    if is_missing(value):
        return None
    return value.strip() if isinstance(value, str) else value


@lru_cache(maxsize=4096)
def _split_name(text: str) -> tuple[tuple[str, str], ...]:
    """A full name's honorific, given and family name (nameparser), the ones it has."""
    from nameparser import HumanName

    name = HumanName(text)
    parts = (("honorific", name.title), ("given_name", name.first), ("family_name", name.last))
    return tuple((field, value) for field, value in parts if value)


def _parse_time(value: Any, mapping: ColumnMapping) -> Any:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, str) and mapping.date_format:
        value = datetime.strptime(value, mapping.date_format)
    elif isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is None:
        zone = UTC if mapping.time_zone == "UTC" else ZoneInfo(mapping.time_zone)
        value = value.replace(tzinfo=zone)
    return value


@dataclass
class Table:
    """The customers read from a table, the rows left out, and the lines each customer came from."""

    customers: list[CustomerHistory]
    left_out: list[LeftOutRows]
    lines: dict[str, list[int]]


class _Reader:
    """Reads rows one by one; ``finish`` validates the customers and gives the table or the problems."""

    def __init__(self, mapping: ColumnMapping, path: str | None, id_prefix: str) -> None:
        self.mapping = mapping
        self.path = path
        self.id_prefix = id_prefix
        self.grouped: dict[str, dict[str, Any]] = {}
        self.where: dict[str, list[int]] = {}  # customer -> the lines of its events (or its profile)
        self.name_rows: dict[str, dict[str, tuple[int, str]]] = {}  # customer -> field -> (line, column)
        self.ids: dict[str, dict[str, int]] = {}  # customer -> event id -> line
        self.problems: list[RecordProblem] = []
        self.times: dict[str, Any] = {}  # exports repeat their timestamps: parse each distinct one once
        self.orders: dict[str, dict[str, Any]] = {}  # order -> its carried-down values
        self.line_items: dict[str, int] = {}  # order -> rows seen
        self.left: dict[tuple[str, str, str], list[int]] = {}
        self.keep = [(column, {v.casefold() for v in values}, f"kept: {', '.join(values)}")
                     for column, values in mapping.keep.items()]
        self.item_default = (mapping.item_default or "").strip() or None
        self.name_default = (mapping.event_name_default or "").strip() or None

    def problem(self, line: int, customer_id: str | None, field: str, message: str,
                expected: str | None) -> None:
        self.problems.append(RecordProblem(self.path, line, customer_id, field, message, expected, line))

    def row(self, line: int, row: Mapping[str, Any]) -> None:
        m = self.mapping
        order: str | None = None
        number = 0
        if m.order_id is not None:
            cell = _cell(row, m.order_id)
            if cell is None:
                self.problem(line, None, f"column {m.order_id!r}", "empty cell: each row names its order",
                             "the order id, e.g. '#1001'")
                return
            order = str(cell)
            number = self.line_items[order] = self.line_items.get(order, 0) + 1
            if m.carry_down:
                row = self._carry(order, row)
        if self._left_out(line, row):
            return
        customer_id = _cell(row, m.customer_id)
        if customer_id is None:
            self.problem(line, None, f"column {m.customer_id!r}", "empty customer id", "a customer id")
            return
        customer_id = str(customer_id)
        if m.at is None:
            self._profile(line, row, customer_id)
            return
        event = self._event(line, row, customer_id, m.at, order, number)
        if event is None:
            return
        record = self.grouped.setdefault(customer_id, {"customer": {"id": customer_id}, "events": []})
        self._names(line, row, customer_id, record)
        record["events"].append(event)
        self.where.setdefault(customer_id, []).append(line)

    def _carry(self, order: str, row: Mapping[str, Any]) -> Mapping[str, Any]:
        memory = self.orders.setdefault(order, {})
        filled: dict[str, Any] | None = None
        for column in self.mapping.carry_down:
            value = row.get(column)
            if not is_missing(value):
                memory[column] = value
            elif column in memory:
                if filled is None:
                    filled = dict(row)
                filled[column] = memory[column]
        return row if filled is None else filled

    def _left_out(self, line: int, row: Mapping[str, Any]) -> bool:
        for column in self.mapping.skip_blank:
            if _cell(row, column) is None:
                self.left.setdefault((column, "", "skip_blank: rows need a value"), []).append(line)
                return True
        for column, allowed, reason in self.keep:
            value = _cell(row, column)
            text = "" if value is None else str(value)
            if text.casefold() not in allowed:
                self.left.setdefault((column, text, reason), []).append(line)
                return True
        return False

    def _profile(self, line: int, row: Mapping[str, Any], customer_id: str) -> None:
        if customer_id in self.grouped:
            self.problem(line, customer_id, f"column {self.mapping.customer_id!r}",
                         f"duplicate customer id (also line {self.where[customer_id][0]})",
                         "one row per customer")
            return
        record: dict[str, Any] = {"customer": {"id": customer_id}}
        self._names(line, row, customer_id, record)
        self.grouped[customer_id] = record
        self.where[customer_id] = [line]

    def _event(self, line: int, row: Mapping[str, Any], customer_id: str, at: str, order: str | None,
               number: int) -> dict[str, Any] | None:
        m = self.mapping
        cell = _cell(row, m.event_id) if m.event_id is not None else None
        event_id = str(cell) if cell is not None else (
            f"{order}/{number}" if order is not None else f"{self.id_prefix}{line}")
        seen = self.ids.setdefault(customer_id, {})
        if event_id in seen:
            self.problem(line, customer_id, f"column {m.event_id or m.order_id!r}",
                         f"duplicate event id {event_id!r} (first used on line {seen[event_id]})",
                         self._duplicate_hint(event_id))
            return None
        event: dict[str, Any] = {"kind": m.kind, "id": event_id}
        if order is not None and m.kind == "purchase":
            event["order_id"] = order  # the line items of one order count as one purchase
        raw_at = _cell(row, at)
        expected_time = m.date_format or "an ISO-8601 timestamp"
        if raw_at is None:
            self.problem(line, customer_id, f"column {at!r}", "empty cell: every event needs a time",
                         expected_time)
            return None
        try:
            if isinstance(raw_at, str):
                if raw_at not in self.times:
                    self.times[raw_at] = _parse_time(raw_at, m)
                event["at"] = self.times[raw_at]
            else:
                event["at"] = _parse_time(raw_at, m)
        except (ValueError, TypeError, OverflowError) as exc:
            self.problem(line, customer_id, f"column {at!r}", f"cannot read {raw_at!r} as a time: {exc}",
                         expected_time)
            return None
        filled = self._purchase(line, row, customer_id, event) if m.kind == "purchase" else \
            self._custom(line, row, customer_id, event)
        if not filled:
            return None
        seen[event_id] = line
        return event

    def _duplicate_hint(self, event_id: str) -> str:
        m = self.mapping
        if m.order_id is None and m.event_id is not None:
            return (f"one row per event id; rows that are line items of one order: map the column as "
                    f"order_id={m.event_id!r} instead (the ids become '{event_id}/1', '{event_id}/2', ...)")
        return "event ids unique within a customer"

    def _purchase(self, line: int, row: Mapping[str, Any], customer_id: str, event: dict[str, Any]) -> bool:
        m = self.mapping
        item = _cell(row, m.item) if m.item is not None else None
        item = item if item is not None else self.item_default
        if item is None:
            if m.item is None:
                self.problem(line, customer_id, "item", "no item: the mapping names no item column and no "
                             "item_default", "ColumnMapping(item='<the column of the item>'), or "
                             "item_default='<one name for every row>' (e.g. item_default='Order')")
            else:
                self.problem(line, customer_id, f"column {m.item!r}", "empty cell: a purchase needs an item",
                             "the item, or ColumnMapping(item_default=...) for the rows without one")
            return False
        event["item"] = item
        for field in ("amount", "quantity", "sku", "currency"):
            column = getattr(m, field)
            value = _cell(row, column) if column is not None else None
            if value is not None:
                event[field] = value
        if "currency" not in event and m.currency_default:
            event["currency"] = m.currency_default
        if m.unit_price is not None:
            return self._amount(line, row, customer_id, event, m.unit_price)
        return True

    def _amount(self, line: int, row: Mapping[str, Any], customer_id: str, event: dict[str, Any],
                column: str) -> bool:
        """amount = unit price × quantity (1 when none), in decimal arithmetic: 3 × 19.99 is 59.97."""
        price = _cell(row, column)
        if price is None:
            return True
        try:
            unit = Decimal(str(price))
        except InvalidOperation:
            unit = Decimal("NaN")
        if not unit.is_finite():
            self.problem(line, customer_id, f"column {column!r}", f"cannot read {price!r} as a price",
                         "a number, e.g. 19.99")
            return False
        try:
            quantity = Decimal(str(event.get("quantity", 1)))
        except InvalidOperation:
            return True  # the quantity's own problem is reported when the customer is validated
        if quantity.is_finite():
            event["amount"] = float(unit * quantity)
        return True

    def _custom(self, line: int, row: Mapping[str, Any], customer_id: str, event: dict[str, Any]) -> bool:
        m = self.mapping
        name = _cell(row, m.event_name) if m.event_name is not None else None
        name = name if name is not None else self.name_default
        if name is None:
            field = "event name" if m.event_name is None else f"column {m.event_name!r}"
            self.problem(line, customer_id, field, "no event name: the cell is blank and no "
                         "event_name_default is set", "ColumnMapping(event_name_default='Call')")
            return False
        event["name"] = name
        parts = [str(value) for value in (_cell(row, column) for column in m.text) if value is not None]
        if parts:
            event["text"] = "\n\n".join(parts)
        return True

    def _names(self, line: int, row: Mapping[str, Any], customer_id: str, record: dict[str, Any]) -> None:
        m = self.mapping
        found: list[tuple[str, Any, str]] = []
        if m.full_name is not None:
            full = _cell(row, m.full_name)
            if full is None:
                return
            parts = _split_name(str(full))
            if not parts:
                self.problem(line, customer_id, f"column {m.full_name!r}",
                             f"cannot split {str(full)[:80]!r} into name parts", "a person's name")
            found = [(field, value, m.full_name) for field, value in parts]
        else:
            for field in _NAME_FIELDS:
                column = getattr(m, field)
                value = _cell(row, column) if column is not None else None
                if value is not None:
                    found.append((field, value, column))
        rows = self.name_rows.setdefault(customer_id, {})
        for field, value, column in found:
            record["customer"][field] = value
            rows[field] = (line, column)

    def _locate(self, customer_id: str, field: str) -> tuple[int, str]:
        """Map ``events[4].amount`` or ``customer.given_name`` back to the row and column it came from."""
        lines = self.where[customer_id]
        if field.startswith("events["):
            number, _, rest = field[len("events["):].partition("]")
            name = rest.lstrip(".")
            column = self._column_of(name)
            return lines[int(number)], column or name
        if field.startswith("customer."):
            known = self.name_rows.get(customer_id, {}).get(field[len("customer."):])
            if known is not None:
                return known[0], f"column {known[1]!r}"
        return lines[0], field

    def _column_of(self, field: str) -> str | None:
        m = self.mapping
        columns = {"at": m.at, "item": m.item, "id": m.event_id or m.order_id,
                   "amount": m.amount or m.unit_price, "quantity": m.quantity, "sku": m.sku,
                   "currency": m.currency, "name": m.event_name}
        if field == "text" and m.text:
            return "columns " + ", ".join(map(repr, m.text))
        column = columns.get(field)
        return f"column {column!r}" if column else None

    def finish(self) -> Table:
        customers: list[CustomerHistory] = []
        for index, (customer_id, record) in enumerate(self.grouped.items()):
            try:
                customers.append(CustomerHistory.model_validate(record))
            except ValidationError as exc:
                for p in problems_from_validation(exc, path=self.path, index=index, record_id=customer_id,
                                                  record=record):
                    line, field = self._locate(customer_id, p.field)
                    self.problem(line, customer_id, field, p.message, p.expected)
        if self.problems:
            raise HistoryValidationError(sorted(self.problems, key=lambda p: p.record_index))
        left_out = [LeftOutRows(path=self.path, column=column, value=value, reason=reason, count=len(lines),
                                lines=lines) for (column, value, reason), lines in self.left.items()]
        return Table(customers, left_out, self.where)


def read_rows(rows: Iterable[tuple[int, Mapping[str, Any]]], mapping: ColumnMapping, path: str | None,
              id_prefix: str) -> Table:
    """Every row read as ``mapping`` says; a ``HistoryValidationError`` listing every bad row."""
    reader = _Reader(mapping, path, id_prefix)
    for line, row in rows:
        reader.row(line, row)
    return reader.finish()
