"""The instant a context is built at (``as_of``): what it may be, and the one place it is parsed.

``as_of`` is an aware ``datetime``, a ``date``, or an ISO-8601 string of either, for the library
and the command line alike:

- an instant (``2026-11-20T18:00:00Z``, ``2026-11-20T19:00:00+01:00``) is that instant; a string
  without an offset is UTC. A ``datetime`` without a time zone is refused: the library never
  guesses one.
- a date alone (``2026-11-20``, ``date(2026, 11, 20)``) is the **end of that day in the customer's
  time zone**, 23:59:59.999999 local: everything that happened on that day is known, as a person
  reading "as of 20 November" expects. Each customer gets the end of their own day.

Example::

    instant_in("2026-11-20", "America/New_York")   # 2026-11-20 23:59:59.999999-05:00
    parse_as_of("2026-11-20T18:00:00Z")             # datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    parse_as_of("2026-11-20")                       # date(2026, 11, 20): resolved per customer
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import _constants as C
from ._errors import ContextError

__all__ = ["AsOf", "instant_in", "parse_as_of"]

#: what ``as_of`` may be: an aware datetime, a date (the end of that day, in the customer's time
#: zone), or an ISO-8601 string of either
AsOf = datetime | date | str

_EXAMPLE = "e.g. 2026-11-20T18:00:00Z, or 2026-11-20 for the end of that day in the customer's time zone"


def _date_in_range(day: date) -> bool:
    """True when the end of ``day`` lies in the instant range in every time zone (UTC-12 to UTC+14)."""
    return C.EARLIEST_INSTANT.date() <= day < C.LATEST_INSTANT.date() - timedelta(days=1)


def _range_error(name: str, shown: str) -> ContextError:
    return ContextError(f"{name} {shown} is outside the years {C.EARLIEST_INSTANT.year}-"
                        f"{C.LATEST_INSTANT.year - 1}")


def parse_as_of(text: str, *, name: str = "as_of") -> datetime | date:
    """An ISO-8601 instant (UTC when it has no offset) or a date alone, checked against the range.

    ``name`` is what an error calls the value (``--as-of`` on the command line).
    """
    text = text.strip()
    if not text:
        raise ContextError(f"{name} is empty; give an ISO-8601 instant or date ({_EXAMPLE})")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        if not _date_in_range(day):
            raise _range_error(name, repr(text))
        return day
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ContextError(f"{name} {text!r} is not ISO-8601 ({_EXAMPLE})") from None
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not C.in_instant_range(value):
        raise _range_error(name, repr(text))
    return value


def instant_in(value: AsOf, time_zone: str, *, name: str = "as_of") -> datetime:
    """``value`` as an aware instant for a customer in ``time_zone`` (a date: the end of that day there).

    Example::

        instant_in(date(2026, 11, 20), "Europe/London")   # 2026-11-20 23:59:59.999999+00:00
    """
    if isinstance(value, str):
        value = parse_as_of(value, name=name)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ContextError(f"{name} must be timezone-aware, e.g. datetime(2026, 11, 20, "
                               "tzinfo=timezone.utc), or a date for the end of that day in the customer's "
                               "time zone")
        if not C.in_instant_range(value):
            raise _range_error(name, value.isoformat())
        return value
    if isinstance(value, date):
        if not _date_in_range(value):
            raise _range_error(name, value.isoformat())
        # fold=1: where the clock goes back over midnight, the later of the two 23:59:59.999999
        return datetime.combine(value, time.max, ZoneInfo(time_zone)).replace(fold=1)
    raise ContextError(f"{name} must be a datetime, a date or an ISO-8601 string ({_EXAMPLE}), "
                       f"not {type(value).__name__}")
