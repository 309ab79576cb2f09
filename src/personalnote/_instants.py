"""The instant a context is built at (``as_of``): what it may be, and the one place it is parsed.

``as_of`` is an aware ``datetime``, a ``date``, or an ISO-8601 string of either, for the library
(``draft_note``, ``draft_many``, ``build_context``, the Batch API files, approval) and the command
line alike:

- an instant (``2026-11-20T18:00:00Z``, ``2026-11-20T19:00:00+01:00``) is that instant; a string
  without an offset is UTC (as ``--as-of`` has always read it). A ``datetime`` without a time zone
  is refused: the library never guesses one for an object.
- a date alone (``2026-11-20``, ``date(2026, 11, 20)``) is the **end of that day in the customer's
  time zone**, 23:59:59.999999 local: everything that happened on that day is known, as a person
  reading "as of 20 November" expects. Each customer gets the end of their own day.

Anything else is an ``InstantError`` (an ``ArgumentError`` and a ``ContextError``) saying what is
accepted.

Example::

    instant_in("2026-11-20", "America/New_York")   # 2026-11-20 23:59:59.999999-05:00
    parse_instant("2026-11-20T18:00:00Z")           # datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    parse_instant("2026-11-20")                     # date(2026, 11, 20): resolved per customer
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import _constants as C
from ._errors import InstantError

__all__ = ["ACCEPTED_INSTANTS", "AsOf", "instant_in", "parse_as_of", "parse_instant"]

#: what ``as_of`` may be: an aware datetime, a date (the end of that day, in the customer's time
#: zone), or an ISO-8601 string of either
AsOf = datetime | date | str

#: what an instant may be, said once for every error
ACCEPTED_INSTANTS = ("an aware datetime (datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)), a date for "
                     "the end of that day in the customer's time zone (date(2026, 11, 20)), or an ISO-8601 "
                     "string of either ('2026-11-20T18:00:00Z', '2026-11-20'; a time without an offset is "
                     "UTC)")


def _date_in_range(day: date) -> bool:
    """True when the end of ``day`` lies in the instant range in every time zone (UTC-12 to UTC+14)."""
    return C.EARLIEST_INSTANT.date() <= day < C.LATEST_INSTANT.date() - timedelta(days=1)


def _out_of_range(argument: str, value: object, caller: str | None) -> InstantError:
    return InstantError(argument, value, f"outside the years {C.EARLIEST_INSTANT.year}-"
                        f"{C.LATEST_INSTANT.year - 1}", caller=caller)


def parse_as_of(text: str, *, name: str = "as_of", caller: str | None = None) -> datetime | date:
    """An ISO-8601 instant (UTC when it has no offset) or a date alone, checked against the range.

    ``name`` is what an error calls the value (``--as-of`` on the command line).
    """
    stripped = text.strip()
    if not stripped:
        raise InstantError(name, text, f"empty; accepted: {ACCEPTED_INSTANTS}", caller=caller)
    try:
        day = date.fromisoformat(stripped)
    except ValueError:
        pass
    else:
        if not _date_in_range(day):
            raise _out_of_range(name, text, caller)
        return day
    try:
        value = datetime.fromisoformat(stripped.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InstantError(name, text, f"not an ISO-8601 instant or date; accepted: {ACCEPTED_INSTANTS}",
                           caller=caller) from None
    value = value if value.tzinfo is not None and value.utcoffset() is not None else value.replace(tzinfo=UTC)
    if not C.in_instant_range(value):
        raise _out_of_range(name, text, caller)
    return value


def parse_instant(value: object, *, argument: str = "as_of", caller: str | None = None) -> datetime | date:
    """``value`` as an aware datetime or a date (resolved per customer by ``instant_in``), or an
    ``InstantError`` naming ``argument`` and what is accepted."""
    if isinstance(value, str):
        return parse_as_of(value, name=argument, caller=caller)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InstantError(argument, value, "a naive datetime is not an instant: give it a time zone, "
                               f"e.g. {value.replace(microsecond=0).isoformat()}+00:00; accepted: "
                               f"{ACCEPTED_INSTANTS}", caller=caller)
        if not C.in_instant_range(value):
            raise _out_of_range(argument, value, caller)
        return value
    if isinstance(value, date):
        if not _date_in_range(value):
            raise _out_of_range(argument, value, caller)
        return value
    raise InstantError(argument, value, f"{type(value).__name__} is not an instant; accepted: "
                       f"{ACCEPTED_INSTANTS}", caller=caller)


def instant_in(value: object, time_zone: str, *, name: str = "as_of", caller: str | None = None) -> datetime:
    """``value`` as an aware instant for a customer in ``time_zone`` (a date: the end of that day there).

    Example::

        instant_in(date(2026, 11, 20), "Europe/London")   # 2026-11-20 23:59:59.999999+00:00
    """
    parsed = parse_instant(value, argument=name, caller=caller)
    if isinstance(parsed, datetime):
        return parsed
    # fold=1: where the clock goes back over midnight, the later of the two 23:59:59.999999
    return datetime.combine(parsed, time.max, ZoneInfo(time_zone)).replace(fold=1)
