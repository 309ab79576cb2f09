"""Context: a customer's facts with stable ids and the relationship, as of an instant.

The library never reads the wall clock: every context is built ``as_of`` an instant
the caller gives, and only events at or before it are known (and trips booked for later).

Example::

    from datetime import datetime, timezone
    ctx = build_context(data.customers[0], as_of=datetime(2026, 11, 20, tzinfo=timezone.utc),
                        business_events=data.business_events)
    ctx.relationship.familiarity      # 'long_standing'
    ctx.facts["f-2011"].text          # 'Flight ...'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from . import _constants as C
from ._errors import ContextError, UnknownFactError
from ._history import (
    CustomerHistory,
    CustomerProfile,
    CustomEvent,
    GenericBusinessEvent,
    LoyaltyEvent,
    MessageSentEvent,
    NewCollectionEvent,
    NoteSentEvent,
    PreferenceEvent,
    PurchaseEvent,
    RequestEvent,
    StaffNoteEvent,
    StockEvent,
    SupportCaseEvent,
    TripEvent,
)
from ._instants import AsOf, instant_in

__all__ = ["CustomerContext", "Fact", "Familiarity", "Knowledge", "Relationship", "build_context", "orders"]

Familiarity = Literal["new", "occasional", "regular", "long_standing"]
Knowledge = Literal["little", "some", "rich"]
FactSource = Literal["event", "business_event", "profile", "derived"]

_INTERACTIONS = (PurchaseEvent, TripEvent, RequestEvent, CustomEvent)
_KNOWLEDGE = (PreferenceEvent, RequestEvent, StaffNoteEvent, SupportCaseEvent)


class Fact(BaseModel):
    """One thing known about the customer, with a stable id a draft can cite.

    ``text`` is a plain statement of the fact (dates in the customer's time zone, no
    clock times); ``quote`` holds free text from the records, which is untrusted data.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    source: FactSource
    at: AwareDatetime | None = None
    text: str
    quote: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def untrusted(self) -> bool:
        return self.quote is not None


class Relationship(BaseModel):
    """How well we know the customer, computed as of an instant."""

    model_config = ConfigDict(frozen=True)

    first_seen: AwareDatetime | None
    tenure_days: int
    interactions: int
    interactions_last_year: int
    frequency_per_year: float
    last_interaction: AwareDatetime | None
    recency_days: int | None
    last_contact: AwareDatetime | None
    familiarity: Familiarity
    knowledge: Knowledge

    @property
    def tenure_years(self) -> int:
        return self.tenure_days // 365


class CustomerContext(BaseModel):
    """The profile, the facts (by id, oldest first) and the relationship, as of ``as_of``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    customer: CustomerProfile
    as_of: AwareDatetime
    facts: dict[str, Fact]
    relationship: Relationship
    events: list[Any] = Field(repr=False, description="the customer's events up to as_of")
    upcoming: list[Any] = Field(default_factory=list, repr=False,
                                description="trips booked after as_of, within UPCOMING_HORIZON")
    business_events: list[Any] = Field(default_factory=list, repr=False)

    @property
    def customer_id(self) -> str:
        return self.customer.id

    def fact(self, fact_id: str) -> Fact:
        """The fact with this id; ``UnknownFactError`` if there is none."""
        try:
            return self.facts[fact_id]
        except KeyError:
            raise UnknownFactError(self.customer.id, [fact_id]) from None

    def require(self, fact_ids: Iterable[str]) -> None:
        """Raise ``UnknownFactError`` naming every id that is not a fact here."""
        missing = [f for f in fact_ids if f not in self.facts]
        if missing:
            raise UnknownFactError(self.customer.id, missing)

    def with_facts(self, extra: Sequence[Fact]) -> CustomerContext:
        """A copy with derived facts added (for example those a moment brings)."""
        facts = dict(self.facts)
        for fact in extra:
            facts.setdefault(fact.id, fact)
        return self.model_copy(update={"facts": facts})

    def local_date(self, instant: datetime) -> str:
        """An instant as a date in the customer's time zone, e.g. '20 November 2026'."""
        return _local_date(instant, self.customer.time_zone)

    def context_hash(self) -> str:
        """SHA-256 of everything a draft can see: profile, as_of, facts, relationship."""
        payload = {
            "customer": self.customer.model_dump(mode="json"),
            "as_of": self.as_of.isoformat(),
            "facts": [f.model_dump(mode="json") for f in self.facts.values()],
            "relationship": self.relationship.model_dump(mode="json"),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def _repr_html_(self) -> str:
        from ._display import context_html

        return context_html(self)


#: English month names, not ``strftime("%B")``: the text is the same under any C locale, and faster
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def _local_date(instant: datetime, time_zone: str) -> str:
    local = instant.astimezone(ZoneInfo(time_zone))
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def _variant_text(variant: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in variant.items())


def describe(event: Any, time_zone: str) -> tuple[str, str | None]:
    """A plain statement of an event, and the free text it carries (if any)."""
    on = f"on {_local_date(event.at, time_zone)}"
    if isinstance(event, PurchaseEvent):
        text = f"Bought {event.item}"
        if event.variant:
            text += f" ({_variant_text(event.variant)})"
        if event.store:
            text += f" at {event.store}"
        if event.amount is not None:
            text += f" for {event.amount:.2f}{' ' + event.currency if event.currency else ''}"
        return f"{text} {on}", None
    if isinstance(event, TripEvent):
        if event.mode == "flight":
            text = f"Flight {event.flight_number or ''}".rstrip()
        else:
            text = f"{event.mode.capitalize()}" + (f" at {event.property}" if event.property else "")
        if event.origin or event.destination:
            text += f" from {event.origin or '?'} to {event.destination or '?'}"
        if event.seat:
            text += f", seat {event.seat}"
        if event.cabin:
            text += f", {event.cabin} cabin"
        if event.nights is not None:
            text += f", {event.nights} night{'s' if event.nights != 1 else ''}"
        return f"{text} {on}", None
    if isinstance(event, LoyaltyEvent):
        text = f"{event.program}: {event.value:,.0f} {event.metric}"
        if event.previous_value is not None:
            text += f" (was {event.previous_value:,.0f})"
        if event.tier:
            text += f", tier {event.tier}"
            if event.previous_tier and event.previous_tier != event.tier:
                text += f" (was {event.previous_tier})"
        return f"{text} {on}", None
    if isinstance(event, PreferenceEvent):
        about = f" about {event.item}" if event.item else ""
        attrs = "; ".join(f"{k}: {', '.join(v)}" for k, v in event.attributes.items())
        text = f"Stated preference ({event.stance}){about}" + (f" [{attrs}]" if attrs else "")
        return f"{text} {on}", event.text
    if isinstance(event, RequestEvent):
        text = f"Asked for {event.item}"
        if event.variant:
            text += f" ({_variant_text(event.variant)})"
        return f"{text}, not available at the time; request {event.status} {on}", event.text
    if isinstance(event, SupportCaseEvent):
        state = "open" if event.status == "open" else "closed"
        return f"Support case about {event.topic} ({state}, {event.sentiment}) opened {on}", event.text
    if isinstance(event, NoteSentEvent):
        return f"Personal note sent about {event.about} {on}", event.text
    if isinstance(event, MessageSentEvent):
        name = f" ({event.name})" if event.name else ""
        return f"{event.purpose.capitalize()} {event.channel} message sent{name} {on}", None
    if isinstance(event, StaffNoteEvent):
        return f"Staff note {on}", event.text
    if isinstance(event, CustomEvent):
        data = ", ".join(f"{k}: {v}" for k, v in event.data.items())
        return f"{event.name}" + (f" ({data})" if data else "") + f" {on}", event.text
    if isinstance(event, StockEvent):
        variants = "; ".join(f"{k} {', '.join(v)}" for k, v in event.variants.items())
        state = "back in stock" if event.kind == "back_in_stock" else "sold out"
        return f"{event.item} {state}" + (f" ({variants})" if variants else "") + f" {on}", None
    if isinstance(event, NewCollectionEvent):
        label = "New collection" if event.kind == "new_collection" else "Offer"
        attrs = "; ".join(f"{k}: {', '.join(v)}" for k, v in event.attributes.items())
        text = f"{label}: {event.name}" + (f" [{attrs}]" if attrs else "")
        return f"{text} {on}", event.text
    if isinstance(event, GenericBusinessEvent):
        return f"{event.name} {on}", event.text
    raise ContextError(f"cannot describe event of type {type(event).__name__}")


def orders(events: list[Any]) -> list[list[PurchaseEvent]]:
    """The purchases among ``events``, one list per order in the order of their first line item: the
    line items of one order (the same ``order_id``) are one purchase; a purchase with no order is one."""
    grouped: dict[tuple[bool, str], list[PurchaseEvent]] = {}
    for event in events:
        if isinstance(event, PurchaseEvent):
            key = (True, event.order_id) if event.order_id is not None else (False, event.id)
            grouped.setdefault(key, []).append(event)
    return list(grouped.values())


def _relationship(profile: CustomerProfile, events: list[Any], as_of: datetime) -> Relationship:
    line_items = {id(e) for order in orders(events) for e in order[1:]}  # an order is one interaction
    interactions = [e for e in events if isinstance(e, _INTERACTIONS) and id(e) not in line_items
                    # a recorded outcome (a reply, a thank-you) is not a visit
                    and not (isinstance(e, CustomEvent) and e.name == C.OUTCOME_EVENT_NAME)]
    starts = [e.at for e in events] + ([profile.member_since] if profile.member_since else [])
    first_seen = min(starts) if starts else None
    tenure_days = max(0, (as_of - first_seen).days) if first_seen else 0
    last_year = [e for e in interactions if e.at > as_of - C.FREQUENCY_WINDOW]
    years = max(tenure_days, 1) / 365.0
    frequency = len(interactions) / max(years, 1.0)
    last = max((e.at for e in interactions), default=None)
    notes = [e.at for e in events if isinstance(e, NoteSentEvent)]
    if len(interactions) <= C.NEW_CUSTOMER_MAX_INTERACTIONS or tenure_days < C.NEW_CUSTOMER_DAYS:
        familiarity: Familiarity = "new"
    elif tenure_days >= C.LONG_STANDING_YEARS * 365 and (
        len(interactions) >= 5 or any(isinstance(e, LoyaltyEvent) for e in events)
    ):  # a loyalty balance stands for years of history a file may not list
        familiarity = "long_standing"
    elif len(last_year) >= C.REGULAR_PER_YEAR:
        familiarity = "regular"
    else:
        familiarity = "occasional"
    known = sum(isinstance(e, _KNOWLEDGE) for e in events)
    known += sum(x is not None for x in (profile.preferred_name, profile.address_as))
    knowledge: Knowledge = "rich" if known >= 5 else "some" if known >= 2 else "little"
    return Relationship(
        first_seen=first_seen,
        tenure_days=tenure_days,
        interactions=len(interactions),
        interactions_last_year=len(last_year),
        frequency_per_year=round(frequency, 2),
        last_interaction=last,
        recency_days=(as_of - last).days if last else None,
        last_contact=max(notes, default=None),
        familiarity=familiarity,
        knowledge=knowledge,
    )


def _tenure_text(rel: Relationship, time_zone: str) -> str:
    if rel.first_seen is None:
        return "No history yet"
    since = rel.first_seen.astimezone(ZoneInfo(time_zone)).year
    years = rel.tenure_years
    span = f"{years} year{'s' if years != 1 else ''}" if years else "less than a year"
    return f"Customer since {since} ({span}); {rel.interactions} purchases or trips in all"


def build_context(
    history: CustomerHistory,
    as_of: AsOf,
    *,
    business_events: Sequence[Any] = (),
) -> CustomerContext:
    """Build the customer's context as of ``as_of``.

    ``as_of`` is an aware datetime, or a date (or an ISO-8601 string of either): a date alone
    is the end of that day in the customer's time zone; anything else is an ``InstantError``.
    Events after ``as_of`` are not known yet and are left out, except trips already booked
    (dated up to ``UPCOMING_HORIZON`` ahead): they are ``upcoming``, with facts that say
    "Booked: ...", so a milestone a booked flight will cross is seen ahead. Business events are
    the ones shipped with the customer plus ``business_events``.

    Example::

        build_context(history, "2026-11-20")   # as of 23:59:59.999999 on that day, the customer's time
    """
    profile = history.customer
    as_of = instant_in(as_of, profile.time_zone, caller="build_context")
    events, upcoming = history.split_at(as_of, as_of + C.UPCOMING_HORIZON)
    merged = {e.id: e for e in [*history.business_events, *business_events]}
    relevant = [
        e for e in merged.values()
        if e.at <= as_of and (not isinstance(e, GenericBusinessEvent)
                              or e.customer_ids is None or profile.id in e.customer_ids)
    ]
    relevant.sort(key=lambda e: (e.at, e.id))
    facts: dict[str, Fact] = {}
    sources: list[tuple[FactSource, list[Any]]] = [("event", events), ("business_event", relevant),
                                                   ("event", upcoming)]
    for source, group in sources:  # no membership test per event: a catalogue of restocks stays linear
        for event in group:
            text, quote = describe(event, profile.time_zone)
            if event.at > as_of:
                text = f"Booked: {text}"
            data = event.model_dump(mode="json", exclude={"id", "at", "kind"}, exclude_none=True)
            facts[event.id] = Fact(id=event.id, kind=event.kind, source=source, at=event.at,
                                   text=text, quote=quote, data=data)
    relationship = _relationship(profile, events, as_of)
    if profile.member_since is not None:
        facts["profile:member_since"] = Fact(
            id="profile:member_since", kind="member_since", source="profile", at=profile.member_since,
            text=f"Member since {_local_date(profile.member_since, profile.time_zone)}",
        )
    if profile.birth_date is not None:
        born = profile.birth_date
        facts["profile:birthday"] = Fact(  # the day, never the year: the age is the policy's call
            id="profile:birthday", kind="birthday", source="profile", at=None,
            text=f"Birthday on {born.day} {MONTHS[born.month - 1]}",
            data={"month": born.month, "day": born.day},
        )
    facts["derived:relationship"] = Fact(
        id="derived:relationship", kind="relationship", source="derived", at=None,
        text=_tenure_text(relationship, profile.time_zone),
        data={"familiarity": relationship.familiarity, "tenure_years": relationship.tenure_years},
    )
    return CustomerContext(customer=profile, as_of=as_of, facts=facts, relationship=relationship,
                           events=events, upcoming=upcoming, business_events=relevant)


def years_between(start: datetime, end: datetime) -> int:
    """Whole years from ``start`` to ``end`` by the calendar."""
    years = end.year - start.year
    if (end.month, end.day, end.time()) < (start.month, start.day, start.time()):
        years -= 1
    return max(years, 0)


def add_years(start: datetime, years: int) -> datetime:
    """``start`` moved ``years`` calendar years on (29 February becomes 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)

