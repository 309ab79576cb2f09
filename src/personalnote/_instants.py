"""An instant given at the public boundary: an aware ``datetime`` or an ISO-8601 string with a time zone.

``as_of`` is an instant everywhere (``draft_note``, ``draft_many``, ``build_context``, the Batch API
files, approval). A string is accepted when it names one instant: a date, a time and a time zone
(``2026-11-20T18:00:00Z``, ``2026-11-20 19:00+01:00``). A naive time or a date alone does not: which
instant it means depends on a time zone the library would have to guess, so it is refused with an
``ArgumentError`` that says what is accepted.

Example::

    parse_instant("2026-11-20T18:00:00Z")     # datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    parse_instant("2026-11-20")               # ArgumentError: a date alone is not an instant ...
"""

from __future__ import annotations

from datetime import date, datetime

from ._errors import ArgumentError

__all__ = ["ACCEPTED_INSTANTS", "parse_instant"]

#: what an instant may be, said once for every error
ACCEPTED_INSTANTS = ("an aware datetime (datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)) or an "
                     "ISO-8601 string with a time and a time zone ('2026-11-20T18:00:00Z', "
                     "'2026-11-20T19:00:00+01:00')")


def _is_date_only(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_instant(value: object, *, argument: str = "as_of", caller: str | None = None) -> datetime:
    """``value`` as an aware datetime, or an ``ArgumentError`` naming ``argument`` and what is accepted.

    A ``datetime`` must carry a time zone; a string must be ISO-8601 with a time and a time zone
    (``Z`` for UTC). A date alone (``"2026-11-20"``, ``date(2026, 11, 20)``) is refused with the
    instant to write instead.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ArgumentError(argument, value, "a naive datetime is not an instant: give it a time zone, "
                                f"e.g. {value.replace(microsecond=0).isoformat()}+00:00; accepted: "
                                f"{ACCEPTED_INSTANTS}", caller=caller)
        return value
    if isinstance(value, date):
        raise ArgumentError(argument, value, f"a date alone is not an instant: say which one, e.g. "
                            f"'{value.isoformat()}T23:59:59Z'; accepted: {ACCEPTED_INSTANTS}", caller=caller)
    if not isinstance(value, str):
        raise ArgumentError(argument, value, f"{type(value).__name__} is not an instant; accepted: "
                            f"{ACCEPTED_INSTANTS}", caller=caller)
    text = value.strip()
    if _is_date_only(text):
        day = date.fromisoformat(text).isoformat()
        raise ArgumentError(argument, value, f"a date alone is not an instant: say which one, e.g. "
                            f"'{day}T23:59:59Z' for the end of that day in UTC; accepted: "
                            f"{ACCEPTED_INSTANTS}", caller=caller)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentError(argument, value, f"not an ISO-8601 instant; accepted: {ACCEPTED_INSTANTS}",
                            caller=caller) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ArgumentError(argument, value, f"no time zone: add one, e.g. '{text}Z' for UTC; accepted: "
                            f"{ACCEPTED_INSTANTS}", caller=caller)
    return parsed
