"""The moments' data: a moment, why there is no note, a customer's report, the detection policy.

Shared by the detectors (``_detectors``), moment detection (``_moments``) and every later step;
these types hold data and no process.

Example::

    report.best.kind, report.best.evidence, report.best.why_now
    [r.code for r in report.no_note_reasons]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from . import _constants as C
from ._context import MONTHS, CustomerContext, Fact

__all__ = ["Detector", "Moment", "MomentPolicy", "MomentReport", "NoNoteReason", "ReasonCode",
           "SuppressedMoment"]

ReasonCode = Literal[
    "do_not_contact", "no_consent", "open_support_case", "recent_complaint", "already_sent",
    "contact_fatigue", "cool_down", "stale", "no_moment",
]


class Moment(BaseModel):
    """A moment worth a note: what, when, on which evidence, how strong, why now.

    ``key`` identifies the moment across runs (a note sent "about" it carries the key, or free text
    naming its ``subject`` and ``threshold``: "2M miles"). ``at`` is when it happens, which may be
    after ``as_of`` (a moment ahead); ``on`` is that day in the customer's time zone and ``ready_by``
    the day its note must be ready for the channel (a letter is mailed days ahead). ``facts`` are
    derived facts the detector adds (ids start with ``derived:``). ``sentence`` states the moment to
    the customer, when the caller writes it (see ``_sentences``).
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    key: str
    at: AwareDatetime
    evidence: list[str] = Field(min_length=1)
    strength: float = Field(ge=0.0, le=1.0)
    why_now: str
    fresh_for: timedelta
    celebratory: bool = True
    facts: list[Fact] = Field(default_factory=list)
    #: the moment in the library's words, to the customer ("You have passed ..."): a caller-supplied
    #: moment may bring its own; the built-in kinds get theirs from the prompt file's templates
    sentence: str | None = None
    #: what the moment is about, as a CRM would name it: the metric ("miles"), "years", "purchase",
    #: "birthday", the item; with ``threshold`` (2000000, 10) it matches free-text ``note_sent.about``
    subject: str | None = None
    threshold: float | None = None
    #: the day it falls on and the day a note for it must be ready by, in the customer's time zone
    #: (``find_moments`` fills both from the channel's lead time)
    on: date | None = None
    ready_by: date | None = None

    @property
    def fresh_until(self) -> datetime:
        """Freshness counts from the moment's own date (for a moment ahead, from the day it falls on)."""
        return self.at + self.fresh_for

    def ahead_of(self, as_of: datetime) -> bool:
        """True for a moment that has not happened yet at ``as_of`` (a note drafted ahead)."""
        return self.at > as_of

    @property
    def for_label(self) -> str:
        """'for 21 November': the day a note drafted for this moment is for."""
        return f"for {self.on.day} {MONTHS[self.on.month - 1]}" if self.on else ""

    def _repr_html_(self) -> str:
        from ._display import moment_html

        return moment_html(self)


class NoNoteReason(BaseModel):
    """Why there is no note (for one moment, or for the customer as a whole)."""

    model_config = ConfigDict(frozen=True)

    code: ReasonCode
    message: str
    moment_key: str | None = None


class SuppressedMoment(BaseModel):
    model_config = ConfigDict(frozen=True)

    moment: Moment
    reason: NoNoteReason


class MomentReport(BaseModel):
    """The moments of one customer as of an instant, strongest first, or no note."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    as_of: AwareDatetime
    moments: list[Moment]
    suppressed: list[SuppressedMoment] = Field(default_factory=list)
    no_note_reasons: list[NoNoteReason] = Field(default_factory=list)

    @property
    def no_note(self) -> bool:
        return not self.moments

    @property
    def best(self) -> Moment | None:
        return self.moments[0] if self.moments else None

    def to_json_dict(self) -> dict[str, object]:
        """The shape ``personalnote moments --json`` prints."""
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "moments": [
                {"kind": m.kind, "key": m.key, "at": m.at.isoformat(), "evidence": m.evidence,
                 "strength": round(m.strength, 3), "why_now": m.why_now,
                 "on": m.on.isoformat() if m.on else None,
                 "ready_by": m.ready_by.isoformat() if m.ready_by else None,
                 "ahead": m.ahead_of(self.as_of),
                 "fresh_until": m.fresh_until.isoformat()}
                for m in self.moments
            ],
            "suppressed": [
                {"kind": s.moment.kind, "key": s.moment.key, "reason": s.reason.code,
                 "message": s.reason.message}
                for s in self.suppressed
            ],
            "no_note_reasons": [{"code": r.code, "message": r.message} for r in self.no_note_reasons],
        }

    def _repr_html_(self) -> str:
        from ._display import report_html

        return report_html(self)


@dataclass(frozen=True)
class MomentPolicy:
    """The knobs of moment detection; every default is named in ``_constants``."""

    milestone_minimums: dict[str, float] = field(default_factory=lambda: dict(C.MILESTONE_MINIMUMS))
    milestone_default_minimum: float = C.MILESTONE_DEFAULT_MINIMUM
    purchase_count_milestones: tuple[int, ...] = C.PURCHASE_COUNT_MILESTONES
    welcome_back_lapse: timedelta = C.WELCOME_BACK_LAPSE
    cool_down: timedelta = C.COOL_DOWN
    milestone_link_window: timedelta = C.MILESTONE_LINK_WINDOW
    freshness: dict[str, timedelta] = field(default_factory=lambda: dict(C.FRESHNESS))
    declined_factor: float = C.DECLINED_PREFERENCE_FACTOR
    #: tenure metrics (years, months) and the thresholds that are milestones for them
    tenure_milestones: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: dict(C.TENURE_MILESTONES))
    #: the channel notes go by (None: the customer's preferred channel, else DEFAULT_CHANNEL)
    channel: str | None = None
    lead_times: dict[str, timedelta] = field(default_factory=lambda: dict(C.LEAD_TIMES))
    planning_margin: timedelta = C.PLANNING_MARGIN
    complaint_window: timedelta = C.COMPLAINT_WINDOW
    contact_cap: int = C.CONTACT_CAP
    contact_window: timedelta = C.CONTACT_WINDOW
    note_memory: timedelta = C.NOTE_MEMORY
    repeated_kind_factor: float = C.REPEATED_KIND_FACTOR
    birthday_mentions_age: bool = C.BIRTHDAY_MENTIONS_AGE
    #: item names match at this token-set ratio (0-100) or more, unless a guard tells them apart
    #: (``_items.same_item``); a SKU on both sides decides alone
    item_match_threshold: float = C.ITEM_MATCH_THRESHOLD

    def fresh_for(self, kind: str) -> timedelta:
        return self.freshness.get(kind, C.DEFAULT_FRESHNESS)

    def channel_for(self, ctx: CustomerContext) -> str:
        return self.channel or ctx.customer.preferred_channel or C.DEFAULT_CHANNEL

    def lead_time(self, channel: str) -> timedelta:
        return self.lead_times.get(channel, timedelta(0))

    def look_ahead_until(self, ctx: CustomerContext) -> datetime:
        """How far ahead detectors look: the channel's lead time plus the planning margin."""
        return ctx.as_of + self.lead_time(self.channel_for(ctx)) + self.planning_margin

    def tenure_unit(self, metric: str) -> str | None:
        """The unit of a tenure metric ("membership_years" -> "years"), else None."""
        name = metric.strip().lower()
        for unit in self.tenure_milestones:
            if name == unit or name.endswith(f"_{unit}") or name == unit.rstrip("s"):
                return unit
        return None

    def tenure_thresholds(self, metric: str) -> tuple[float, ...] | None:
        """The milestone thresholds of a tenure metric ("years", "membership_years"), else None."""
        unit = self.tenure_unit(metric)
        return self.tenure_milestones[unit] if unit is not None else None


Detector = Callable[[CustomerContext, MomentPolicy], Iterable[Moment]]
