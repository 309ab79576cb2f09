"""Outcomes after the signature: what the customer did once a note went out, recorded back as a fact.

A note's outcome is one of ``replied``, ``thanked``, ``complained``, ``unsubscribed`` or ``bought``,
with the instant it happened and an optional note. It can be recorded only for a note that went out
(an approved or exported draft), at or after its approval and not in the future. Outcomes are kept in
the store's append-only ``outcomes`` table (recording the same outcome at the same instant twice keeps
one), and experiments compare their arms on them.

An outcome is also a fact for the next note: ``with_outcomes(history)`` adds each of the customer's
outcomes to the history as a ``custom`` event named ``note_outcome`` (id ``outcome-<n>``, data
``{"outcome": "replied", "about": <the moment key>}``, the note as its untrusted text), so the next
context lists "note_outcome (outcome: replied, about: milestone:miles:2000000) on 21 November 2026".
An application that keeps its own customer files can write the same events with ``outcome_events``.

Example::

    queue.record_outcome(7, "replied", at="2026-11-24T09:30:00Z", note="wrote back to thank the crew")
    history = queue.with_outcomes(history)       # the next context sees the reply
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast, get_args

from . import _constants as C
from ._errors import ArgumentError, DraftNotFoundError, OutcomeError
from ._history import CustomerHistory, CustomEvent
from ._instants import instant_in
from ._store import Row, Store, reading_row

__all__ = ["Outcome", "OutcomeKind", "OutcomeRecords"]

OutcomeKind = Literal["replied", "thanked", "complained", "unsubscribed", "bought"]
assert get_args(OutcomeKind) == C.OUTCOMES, "the outcome kinds are said once, in _constants.OUTCOMES"


@dataclass(frozen=True)
class Outcome:
    """One recorded outcome: the draft and customer, what happened and when (UTC), the note, when recorded."""

    id: int
    draft_id: int
    customer_id: str
    outcome: OutcomeKind
    at: str
    note: str | None
    recorded_at: str

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_event(self, about: str) -> CustomEvent:
        """The outcome as a ``custom`` event of the customer's history (``about``: the note's moment key)."""
        return CustomEvent(kind="custom", id=f"outcome-{self.id}", at=datetime.fromisoformat(self.at),
                           name=C.OUTCOME_EVENT_NAME, text=self.note,
                           data={"outcome": self.outcome, "about": about})


def _outcome(row: Row) -> Outcome:
    return Outcome(id=int(row["id"]), draft_id=int(row["draft_id"]), customer_id=row["customer_id"],
                   outcome=cast(OutcomeKind, row["outcome"]), at=row["at"], note=row["note"],
                   recorded_at=row["recorded_at"])


class OutcomeRecords:
    """The ``ReviewQueue`` methods that record and read outcomes (a mixin: the queue gives ``store``
    and ``_clock``)."""

    store: Store
    _clock: Callable[[], datetime]

    def record_outcome(self, draft_id: int, outcome: OutcomeKind, *, at: datetime | str | None = None,
                       note: str | None = None) -> Outcome:
        """Record what the customer did after the note went out (see the module docstring).

        ``at``: when it happened, an aware datetime or an ISO-8601 string (a date alone is the end of
        that day in the customer's time zone) [now]. Refused with an ``OutcomeError`` for a draft
        that is not approved or exported, an ``at`` before its approval or in the future, a note
        too long.

        Example::

            queue.record_outcome(7, "replied", at="2026-11-24T09:30:00Z")
        """
        if outcome not in C.OUTCOMES:
            raise ArgumentError("outcome", outcome, f"one of {', '.join(C.OUTCOMES)}",
                                caller="record_outcome")
        now = self._clock().astimezone(UTC)
        text = (note or "").strip() or None
        if text is not None and (len(text) > C.OUTCOME_NOTE_MAX or "\x00" in text):
            raise OutcomeError(draft_id, "note", f"at most {C.OUTCOME_NOTE_MAX} characters, with no NUL")
        with self.store.write() as tx:
            rows = tx.execute("SELECT id, state, customer_id, context FROM drafts WHERE id = ?",
                              (draft_id,)).fetchall()
            if not rows:
                raise DraftNotFoundError(draft_id, self.store.path)
            row = rows[0]
            if row["state"] not in ("approved", "exported"):
                raise OutcomeError(draft_id, "outcome", f"the draft is {row['state']}: an outcome is "
                                                        "recorded "
                                   "for a note that went out (approved or exported)")
            with reading_row(self.store.path, "drafts", row):
                time_zone = json.loads(row["context"])["customer"]["time_zone"]
            when = now if at is None else instant_in(at, time_zone, name="at", caller="record_outcome")
            when = when.astimezone(UTC)
            approved = tx.execute("SELECT min(signed_at) FROM signatures WHERE draft_id = ? AND meaning IN "
                                  "('approve', 'override')", (draft_id,)).fetchone()[0]
            if approved is not None and when < datetime.fromisoformat(approved):
                raise OutcomeError(draft_id, "at", f"{when.isoformat()} is before the note was approved "
                                   f"({approved})")
            if when > now:
                raise OutcomeError(draft_id, "at", f"{when.isoformat()} is in the future (now "
                                                   f"{now.isoformat()}):"
                                   " record what already happened")
            stamp = when.isoformat(timespec="seconds")
            found = tx.execute("SELECT * FROM outcomes WHERE draft_id = ? AND outcome = ? AND at = ?",
                               (draft_id, outcome, stamp)).fetchall()
            if found:
                return _outcome(found[0])
            next_id = int(tx.execute("SELECT coalesce(max(id), 0) + 1 FROM outcomes").fetchone()[0])
            tx.execute("INSERT INTO outcomes (id, draft_id, customer_id, outcome, at, note, recorded_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (next_id, draft_id, row["customer_id"], outcome, stamp, text,
                        now.isoformat(timespec="seconds")))
            return _outcome(tx.execute("SELECT * FROM outcomes WHERE id = ?", (next_id,)).fetchone())

    def outcomes(self, draft_id: int | None = None, *, customer_id: str | None = None) -> list[Outcome]:
        """The outcomes recorded (of one draft, or one customer), oldest first."""
        sql, params = "SELECT * FROM outcomes", []
        if draft_id is not None or customer_id is not None:
            column = "draft_id" if draft_id is not None else "customer_id"
            sql, params = f"{sql} WHERE {column} = ?", [draft_id if draft_id is not None else customer_id]
        return [_outcome(row) for row in self.store.query(f"{sql} ORDER BY at, id", params)]

    def outcome_events(self, customer_id: str) -> list[CustomEvent]:
        """The customer's outcomes as ``custom`` events named ``note_outcome``, oldest first."""
        rows = self.store.query("SELECT o.*, d.moment_key FROM outcomes o JOIN drafts d ON d.id = o.draft_id "
                                "WHERE o.customer_id = ? ORDER BY o.at, o.id", (customer_id,))
        return [_outcome(row).as_event(row["moment_key"]) for row in rows]

    def with_outcomes(self, history: CustomerHistory) -> CustomerHistory:
        """The history with the customer's outcomes added as events (those it holds already are kept once).

        Example::

            ctx = build_context(queue.with_outcomes(history), as_of)   # lists the reply as a fact
        """
        known = {event.id for event in history.events}
        added = [e for e in self.outcome_events(history.customer.id) if e.id not in known]
        if not added:
            return history
        return history.model_copy(update={"events": [*history.events, *added]})
