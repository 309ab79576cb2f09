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
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from . import _constants as C
from ._context import CustomerContext, Fact

__all__ = ["Detector", "Moment", "MomentPolicy", "MomentReport", "NoNoteReason", "ReasonCode",
           "SuppressedMoment"]

ReasonCode = Literal[
    "do_not_contact", "no_consent", "open_support_case", "already_sent", "cool_down", "stale",
    "no_moment",
]


class Moment(BaseModel):
    """A moment worth a note: what, when, on which evidence, how strong, why now.

    ``key`` identifies the moment across runs (a note sent "about" it carries the key).
    ``facts`` are derived facts the detector adds (ids start with ``derived:``). ``sentence``
    states the moment to the customer, when the caller writes it (see ``_sentences``).
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

    @property
    def fresh_until(self) -> datetime:
        return self.at + self.fresh_for

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

    def fresh_for(self, kind: str) -> timedelta:
        return self.freshness.get(kind, C.DEFAULT_FRESHNESS)


Detector = Callable[[CustomerContext, MomentPolicy], Iterable[Moment]]
