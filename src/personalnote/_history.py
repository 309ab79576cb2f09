"""Customer history: the validated input of personalnote.

A customer record holds a profile and a list of events; business events (a restock,
a new collection) are not about one customer and can make a moment for many.

Example::

    history = CustomerHistory.model_validate({
        "customer": {"id": "C1", "given_name": "Ana", "family_name": "Lima"},
        "events": [{"kind": "purchase", "id": "p1", "at": "2025-03-01T10:00:00Z",
                    "item": "Grey wool trousers"}],
    })
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from . import _constants as C
from ._fields import (
    MAX_KEYS,
    Instant,
    _Attributes,
    _Count,
    _DataInt,
    _DataNumber,
    _DataText,
    _Honorific,
    _Id,
    _Key,
    _Name,
    _NonNegative,
    _PersonName,
    _Text,
    _Variant,
    known_time_zone,
)

__all__ = [
    "AddressForm",
    "AnyEvent",
    "BackInStockEvent",
    "StockEvent",
    "BusinessEvent",
    "Channel",
    "CustomEvent",
    "CustomerEvent",
    "CustomerHistory",
    "CustomerProfile",
    "Dataset",
    "GenericBusinessEvent",
    "LeftOutRows",
    "LoyaltyEvent",
    "MessageSentEvent",
    "NewCollectionEvent",
    "NoteSentEvent",
    "PreferenceEvent",
    "PurchaseEvent",
    "RequestEvent",
    "StaffNoteEvent",
    "SupportCaseEvent",
    "TripEvent",
]

Channel = Literal["card", "email", "letter", "sms"]
AddressForm = Literal["preferred_name", "given_name", "honorific_family_name"]

class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CustomerProfile(_Record):
    """Who the customer is and how they want to be addressed."""

    id: _Id
    given_name: _PersonName | None = None
    family_name: _PersonName | None = None
    preferred_name: _PersonName | None = Field(
        default=None, description="the name the customer uses (never a nickname they don't)"
    )
    honorific: _Honorific | None = None
    address_as: AddressForm | None = Field(
        default=None, description="how they like to be addressed; None lets the library choose"
    )
    locale: Annotated[str, Field(pattern=r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")] = "en"
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    preferred_channel: Channel | None = None
    do_not_contact: bool = False
    consent_personal_notes: bool = True
    member_since: Instant | None = None
    birth_date: date | None = Field(
        default=None, description="for birthday notes; whether the year (the age) may be mentioned is the "
                                  "moment policy's call"
    )

    @field_validator("birth_date", mode="before")
    @classmethod
    def _birth_date_is_a_date(cls, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            raise ValueError("a number is not accepted as a date; write YYYY-MM-DD")
        if isinstance(value, datetime):
            raise ValueError("a birth date is a date, not an instant; write YYYY-MM-DD")
        return value

    @field_validator("birth_date")
    @classmethod
    def _birth_date_in_range(cls, value: date | None) -> date | None:
        if value is not None and not C.EARLIEST_INSTANT.year <= value.year < C.LATEST_INSTANT.year:
            raise ValueError(f"{value.isoformat()} is outside the years {C.EARLIEST_INSTANT.year}-"
                             f"{C.LATEST_INSTANT.year - 1}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        return known_time_zone(value)

    @property
    def display_name(self) -> str:
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) or self.preferred_name or self.id


class _Event(_Record):
    id: _Id
    at: Instant


class PurchaseEvent(_Event):
    """Something the customer bought."""

    kind: Literal["purchase"]
    item: _Name
    sku: _Id | None = None
    category: _Name | None = None
    variant: _Variant = Field(default_factory=dict, description="size, colour, ...")
    quantity: _NonNegative = 1
    amount: _NonNegative | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    store: _Name | None = None
    order_id: _Id | None = Field(default=None, description="the order this is a line item of: the line "
                                                           "items of one order count as one purchase")


class TripEvent(_Event):
    """A flight, a stay, a journey."""

    kind: Literal["trip"]
    mode: Literal["flight", "stay", "rail", "cruise", "other"] = "flight"
    flight_number: _Name | None = None
    origin: _Name | None = None
    destination: _Name | None = None
    seat: _Name | None = None
    cabin: _Name | None = None
    property: _Name | None = None
    nights: _Count | None = None
    earns: Annotated[dict[_Key, _NonNegative], Field(max_length=MAX_KEYS)] = Field(
        default_factory=dict,
        description='what the trip adds to loyalty metrics, e.g. {"miles": 2475}: a booked trip (a future '
                    '"at") that will cross a milestone makes a moment ahead',
    )
    program: _Name | None = Field(default=None, description="the loyalty programme ``earns`` counts in")


class LoyaltyEvent(_Event):
    """A loyalty balance or tier change."""

    kind: Literal["loyalty"]
    program: _Name
    metric: Annotated[str, Field(min_length=1, max_length=40)]
    value: _NonNegative
    previous_value: _NonNegative | None = None
    tier: _Name | None = None
    previous_tier: _Name | None = None


class PreferenceEvent(_Event):
    """Something the customer said they like, dislike or declined."""

    kind: Literal["preference"]
    text: _Text
    stance: Literal["likes", "dislikes", "declined"] = "likes"
    item: _Name | None = None
    attributes: _Attributes = Field(
        default_factory=dict, description='structured attributes, e.g. {"colours": ["grey"]}'
    )


class RequestEvent(_Event):
    """An item the customer asked for and could not get."""

    kind: Literal["request"]
    item: _Name
    sku: _Id | None = None
    variant: _Variant = Field(default_factory=dict)
    status: Literal["open", "closed"] = "open"
    text: _Text | None = None


class SupportCaseEvent(_Event):
    """A support case or complaint; ``at`` is when it was opened."""

    kind: Literal["support_case"]
    topic: _Name
    status: Literal["open", "closed"] = "open"
    closed_at: Instant | None = None
    sentiment: Literal["negative", "neutral", "positive"] = "neutral"
    text: _Text | None = None

    @model_validator(mode="after")
    def _closed_after_opened(self) -> SupportCaseEvent:
        if self.closed_at is not None and self.closed_at < self.at:
            raise ValueError("closed_at is before the case was opened (at)")
        return self


class NoteSentEvent(_Event):
    """A personal note already sent."""

    kind: Literal["note_sent"]
    about: _Name = Field(description="the moment key the note was about, e.g. 'milestone:miles:2000000'")
    channel: Channel | None = None
    text: _Text | None = Field(default=None, description="the note as sent (untrusted free text): the "
                                                         "checks flag a draft that repeats it")


class MessageSentEvent(_Event):
    """Any other message the customer got from the business (a marketing email, an SMS, a push, a
    call): it counts towards the contact cap, as Braze, Klaviyo and Salesforce count every message."""

    kind: Literal["message_sent"]
    channel: Literal["email", "sms", "push", "call", "letter", "card", "other"] = "email"
    purpose: Literal["marketing", "service", "transactional", "other"] = "marketing"
    name: _Name | None = Field(default=None, description="the campaign or message name")


class StaffNoteEvent(_Event):
    """A free-text note written by staff (untrusted text)."""

    kind: Literal["staff_note"]
    text: _Text
    author: _Name | None = None


class CustomEvent(_Event):
    """An application's own kind of event (interview, account opened, ...)."""

    kind: Literal["custom"]
    name: _Name
    text: _Text | None = None
    data: Annotated[dict[_Key, _DataText | bool | _DataInt | _DataNumber | None],
                    Field(max_length=MAX_KEYS)] = Field(default_factory=dict)


CustomerEvent = Annotated[
    PurchaseEvent
    | TripEvent
    | LoyaltyEvent
    | PreferenceEvent
    | RequestEvent
    | SupportCaseEvent
    | NoteSentEvent
    | MessageSentEvent
    | StaffNoteEvent
    | CustomEvent,
    Field(discriminator="kind"),
]


class StockEvent(_Event):
    """An item is available again (``back_in_stock``) or sold out (``out_of_stock``), in the
    listed variants; an ``out_of_stock`` with no variants means every variant."""

    kind: Literal["back_in_stock", "out_of_stock"]
    item: _Name
    sku: _Id | None = None
    variants: _Attributes = Field(default_factory=dict, description='{"size": ["32", "34"]}')


#: the name this class had before it also carried sell-outs
BackInStockEvent = StockEvent


class NewCollectionEvent(_Event):
    """A new collection or season, or an offer on items with some attributes."""

    kind: Literal["new_collection", "offer"]
    name: _Name
    items: list[_Name] = Field(default_factory=list)
    attributes: _Attributes = Field(default_factory=dict)
    text: _Text | None = None


class GenericBusinessEvent(_Event):
    """Any other business event; ``customer_ids`` limits it to some customers."""

    kind: Literal["generic"]
    name: _Name
    text: _Text | None = None
    customer_ids: list[_Id] | None = None


BusinessEvent = Annotated[
    StockEvent | NewCollectionEvent | GenericBusinessEvent,
    Field(discriminator="kind"),
]
AnyEvent = CustomerEvent | BusinessEvent


def _duplicates(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for item in ids:
        if item in seen and item not in dupes:
            dupes.append(item)
        seen.add(item)
    return dupes


class CustomerHistory(_Record):
    """One customer: the profile, their events, and business events shipped with them."""

    customer: CustomerProfile
    events: list[CustomerEvent] = Field(default_factory=list)
    business_events: list[BusinessEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_event_ids(self) -> CustomerHistory:
        ids = [e.id for e in self.events] + [e.id for e in self.business_events]
        dupes = _duplicates(ids)
        if dupes:
            raise ValueError(f"duplicate event id(s): {', '.join(map(repr, dupes))}")
        return self

    @property
    def id(self) -> str:
        return self.customer.id

    def events_until(self, as_of: datetime) -> list[Any]:
        """The customer's events that happened at or before ``as_of``, oldest first."""
        return sorted((e for e in self.events if e.at <= as_of), key=lambda e: (e.at, e.id))

    def split_at(self, as_of: datetime, until: datetime) -> tuple[list[Any], list[TripEvent]]:
        """The events up to ``as_of`` (as ``events_until``) and the trips dated after it and up to
        ``until``: bookings, known before they happen; both oldest first, in one pass."""
        past: list[Any] = []
        booked: list[TripEvent] = []
        for event in self.events:
            if event.at <= as_of:
                past.append(event)
            elif isinstance(event, TripEvent) and event.at <= until:
                booked.append(event)
        past.sort(key=lambda e: (e.at, e.id))
        booked.sort(key=lambda e: (e.at, e.id))
        return past, booked


class LeftOutRows(BaseModel):
    """Rows of an export that a mapping's filter left out, counted by column and value.

    Example::

        data = load_csv("orders_export.csv", preset="shopify_orders")
        for rows in data.left_out:
            print(rows)   # 2 rows of orders_export.csv with Financial Status 'refunded' ... (lines 9, 10)
    """

    model_config = ConfigDict(frozen=True)

    path: str | None
    column: str
    value: str | None = Field(description="the cell's value ('' for a blank cell, None when the rows' "
                                          "values differ)")
    reason: str = Field(description="why the rows were left out, e.g. 'kept: paid, partially_paid'")
    count: int
    lines: list[int] = Field(default_factory=list, description="the rows' lines (or DataFrame rows)")

    def __str__(self) -> str:
        rows = f"{self.count} row{'s' if self.count != 1 else ''}"
        where = f" of {self.path}" if self.path else ""
        cell = (f"with {self.column} {self.value!r}" if self.value
                else f"with a blank {self.column}" if self.value == "" else f"by {self.column}")
        shown = ", ".join(map(str, self.lines[:10])) + (", ..." if len(self.lines) > 10 else "")
        line = f"line{'s' if len(self.lines) != 1 else ''} {shown}"
        return f"{rows}{where} {cell} ({self.reason}; {line})"


class Dataset(BaseModel):
    """What a loader returns: customers and the business events that apply to them.

    ``left_out`` counts the rows a column mapping's filter left out (``keep``, ``skip_blank``);
    nothing else is ever left out.
    """

    model_config = ConfigDict(frozen=True)

    customers: list[CustomerHistory] = Field(default_factory=list)
    business_events: list[BusinessEvent] = Field(default_factory=list)
    left_out: list[LeftOutRows] = Field(default_factory=list)

    def customer(self, customer_id: str) -> CustomerHistory:
        """The customer with this id; ``KeyError`` names the ids that exist."""
        for history in self.customers:
            if history.customer.id == customer_id:
                return history
        known = ", ".join(h.customer.id for h in self.customers[:10])
        raise KeyError(f"no customer {customer_id!r} (first ids: {known})")

    def business_events_for(self, history: CustomerHistory) -> list[Any]:
        """Business events that can make a moment for this customer."""
        events = [*self.business_events, *history.business_events]
        return [
            e
            for e in events
            if not isinstance(e, GenericBusinessEvent)
            or e.customer_ids is None
            or history.customer.id in e.customer_ids
        ]
