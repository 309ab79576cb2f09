"""Moments: what in a customer's history is worth a personal note now, or "no note".

Detectors propose moments, some ahead of time (within the channel's lead time); guards turn
them into "no note" with a reason (do not contact, an open or just-resolved complaint, already
sent, too many messages lately, a cool-down, too old). "No note" is a normal result, not an
exception.

Example::

    report = find_moments(ctx)
    if report.no_note:
        print([r.message for r in report.no_note_reasons])
    else:
        best = report.best
        print(best.kind, best.evidence, best.why_now)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import get_args
from zoneinfo import ZoneInfo

from . import _constants as C
from ._context import CustomerContext
from ._detectors import registered_detectors
from ._errors import ArgumentError
from ._history import Channel, MessageSentEvent, NoteSentEvent, SupportCaseEvent
from ._memory import about_kind, about_matches
from ._moment_types import Detector, Moment, MomentPolicy, MomentReport, NoNoteReason, SuppressedMoment

__all__ = ["find_moments"]

#: built once: a policy's tables are copied from the defaults each time one is made
_DEFAULT_POLICY = MomentPolicy()

# --- guards -------------------------------------------------------------------------------


def _customer_guard(ctx: CustomerContext) -> NoNoteReason | None:
    if ctx.customer.do_not_contact:
        return NoNoteReason(code="do_not_contact", message="the customer asked not to be contacted")
    if not ctx.customer.consent_personal_notes:
        return NoNoteReason(code="no_consent", message="the customer has not consented to personal notes")
    return None


@dataclasses.dataclass(frozen=True)
class _Memory:
    """What the guards read of the history, gathered in one pass over the events."""

    notes: list[NoteSentEvent]
    #: support cases open at ``as_of`` (still open, or closed only after it)
    cases: list[SupportCaseEvent]
    #: negative cases closed within the policy's complaint window before ``as_of``
    complaints: list[SupportCaseEvent]
    #: when the customer heard from the business within the contact window (messages and notes)
    contacts: list[datetime]


def _memory(ctx: CustomerContext, policy: MomentPolicy) -> _Memory:
    memory = _Memory([], [], [], [])
    as_of = ctx.as_of
    for event in ctx.events:
        if isinstance(event, SupportCaseEvent):
            if (event.closed_at > as_of if event.closed_at is not None else event.status == "open"):
                memory.cases.append(event)
            elif event.sentiment == "negative" and (
                    as_of - (event.closed_at or event.at) < policy.complaint_window):
                memory.complaints.append(event)
        elif isinstance(event, NoteSentEvent | MessageSentEvent):
            if isinstance(event, NoteSentEvent):
                memory.notes.append(event)
            if as_of - event.at < policy.contact_window:
                memory.contacts.append(event.at)
    return memory


def _moment_guard(ctx: CustomerContext, moment: Moment, policy: MomentPolicy,
                  memory: _Memory) -> NoNoteReason | None:
    """Why ``moment`` gets no note, if it doesn't."""
    sent = next((n for n in memory.notes
                 if about_matches(n.about, moment, sent_at=n.at, occasion=C.SAME_OCCASION)), None)
    if sent is not None:
        return NoNoteReason(code="already_sent", moment_key=moment.key,
                            message=f"a note about {moment.key} was already sent on "
                                    f"{ctx.local_date(sent.at)} ({sent.id}: {sent.about!r})")
    if memory.cases and moment.celebratory:
        return NoNoteReason(
            code="open_support_case", moment_key=moment.key,
            message=f"support case {memory.cases[-1].id} ({memory.cases[-1].topic}) is open: "
                    "no celebratory note",
        )
    if memory.complaints and moment.celebratory:
        case = memory.complaints[-1]
        return NoNoteReason(
            code="recent_complaint", moment_key=moment.key,
            message=f"complaint {case.id} ({case.topic}) was resolved on "
                    f"{ctx.local_date(case.closed_at or case.at)}: not the day for congratulations "
                    f"(window {policy.complaint_window.days} days)",
        )
    recent = [n for n in memory.notes if ctx.as_of - n.at < policy.cool_down]
    if recent:
        last = max(recent, key=lambda n: n.at)
        return NoNoteReason(
            code="cool_down", moment_key=moment.key,
            message=f"a note was sent on {ctx.local_date(last.at)}, within the "
                    f"{policy.cool_down.days}-day cool-down",
        )
    if moment.fresh_until < ctx.as_of:
        return NoNoteReason(
            code="stale", moment_key=moment.key,
            message=f"{moment.kind} of {ctx.local_date(moment.at)} is no longer fresh "
                    f"(fresh for {moment.fresh_for.days} days)",
        )
    if len(memory.contacts) >= policy.contact_cap:
        return NoNoteReason(
            code="contact_fatigue", moment_key=moment.key,
            message=f"the customer heard from us {len(memory.contacts)} times in the last "
                    f"{policy.contact_window.days} days: a note now would pass the cap of "
                    f"{policy.contact_cap} contacts, itself included",
        )
    return None


def _remembered(moment: Moment, ctx: CustomerContext, policy: MomentPolicy,
                notes: list[NoteSentEvent]) -> Moment:
    """A moment of a kind the customer had a note about within the policy's memory is weaker."""
    if notes and any(ctx.as_of - n.at < policy.note_memory and about_kind(n.about) == moment.kind
                     for n in notes):
        return moment.model_copy(update={"strength": round(moment.strength * policy.repeated_kind_factor, 3)})
    return moment


def _dated(moment: Moment, ctx: CustomerContext, policy: MomentPolicy) -> Moment:
    """The moment with the day it falls on and the day its note must be ready by."""
    on = moment.at.astimezone(ZoneInfo(ctx.customer.time_zone)).date()
    ready_by = on - policy.lead_time(policy.channel_for(ctx))
    return moment.model_copy(update={"on": on, "ready_by": ready_by})


def find_moments(
    ctx: CustomerContext,
    *,
    policy: MomentPolicy | None = None,
    detectors: dict[str, Detector] | None = None,
    extra: Sequence[Moment] = (),
    channel: str | None = None,
) -> MomentReport:
    """Run the detectors and guards on a context; return moments strongest first or no note.

    ``extra`` are caller-supplied moments (their evidence must be facts of ``ctx``). ``channel``
    sets the lead time of moments ahead (default: the policy's, else the customer's preferred).

    Example::

        report = find_moments(build_context(history, as_of=now))
        report.best.kind if not report.no_note else report.no_note_reasons
    """
    if not isinstance(ctx, CustomerContext):
        raise ArgumentError("ctx", ctx, "a CustomerContext: build it first with "
                            "build_context(history, as_of)", caller="find_moments")
    if channel is not None and channel not in get_args(Channel):
        raise ArgumentError("channel", channel, "not a channel; the channels are "
                            f"{', '.join(map(repr, get_args(Channel)))}", caller="find_moments")
    policy = policy or _DEFAULT_POLICY
    if channel is not None:
        policy = dataclasses.replace(policy, channel=channel)
    active = registered_detectors() if detectors is None else detectors
    candidates: list[Moment] = list(extra)
    for detector in active.values():
        candidates.extend(detector(ctx, policy))
    for moment in candidates:
        known = set(ctx.facts) | {f.id for f in moment.facts}
        ctx.require(e for e in moment.evidence if e not in known)
    unique: dict[str, Moment] = {}
    for moment in candidates:
        if moment.key not in unique or unique[moment.key].strength < moment.strength:
            unique[moment.key] = moment
    memory = _memory(ctx, policy)
    weighed = [_remembered(m, ctx, policy, memory.notes) for m in unique.values()]
    ordered = sorted(weighed, key=lambda m: (-m.strength, -m.at.timestamp(), m.key))
    blocked = _customer_guard(ctx)
    moments: list[Moment] = []
    suppressed: list[SuppressedMoment] = []
    for moment in ordered:
        reason = blocked or _moment_guard(ctx, moment, policy, memory)
        if reason is None:
            moments.append(_dated(moment, ctx, policy))  # the days of the moments kept, not of every one
        else:
            suppressed.append(SuppressedMoment(moment=moment, reason=reason))
    reasons: list[NoNoteReason] = []
    if not moments:
        if blocked:
            reasons.append(blocked)
        for s in suppressed:
            if s.reason not in reasons:
                reasons.append(s.reason)
        if not reasons:
            reasons.append(NoNoteReason(
                code="no_moment",
                message=f"nothing in the history is a moment worth a note as of {ctx.local_date(ctx.as_of)}",
            ))
    return MomentReport(customer_id=ctx.customer_id, as_of=ctx.as_of, moments=moments,
                        suppressed=suppressed, no_note_reasons=reasons)
