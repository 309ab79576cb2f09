"""Moments: what in a customer's history is worth a personal note now, or "no note".

Detectors propose moments; guards turn them into "no note" with a reason (do not
contact, an open complaint, already sent, a cool-down, too old). "No note" is a normal
result, not an exception.

Example::

    report = find_moments(ctx)
    if report.no_note:
        print([r.message for r in report.no_note_reasons])
    else:
        best = report.best
        print(best.kind, best.evidence, best.why_now)
"""

from __future__ import annotations

from collections.abc import Sequence

from ._context import CustomerContext
from ._detectors import registered_detectors
from ._errors import ArgumentError
from ._history import NoteSentEvent, SupportCaseEvent
from ._moment_types import Detector, Moment, MomentPolicy, MomentReport, NoNoteReason, SuppressedMoment

__all__ = ["find_moments"]

# --- guards -------------------------------------------------------------------------------


def _customer_guard(ctx: CustomerContext) -> NoNoteReason | None:
    if ctx.customer.do_not_contact:
        return NoNoteReason(code="do_not_contact", message="the customer asked not to be contacted")
    if not ctx.customer.consent_personal_notes:
        return NoNoteReason(code="no_consent", message="the customer has not consented to personal notes")
    return None


def _open_cases(ctx: CustomerContext) -> list[SupportCaseEvent]:
    """Cases open at ``as_of``: still open, or closed only after it."""
    return [
        e for e in ctx.events
        if isinstance(e, SupportCaseEvent)
        and (e.closed_at > ctx.as_of if e.closed_at is not None else e.status == "open")
    ]


def _moment_guard(ctx: CustomerContext, moment: Moment, policy: MomentPolicy, notes: list[NoteSentEvent],
                  cases: list[SupportCaseEvent]) -> NoNoteReason | None:
    """Why ``moment`` gets no note, if it doesn't; ``notes`` and ``cases`` are read once per context."""
    if any(n.about == moment.key for n in notes):
        return NoNoteReason(code="already_sent", moment_key=moment.key,
                            message=f"a note about {moment.key} was already sent")
    if cases and moment.celebratory:
        return NoNoteReason(
            code="open_support_case", moment_key=moment.key,
            message=f"support case {cases[-1].id} ({cases[-1].topic}) is open: no celebratory note",
        )
    recent = [n for n in notes if ctx.as_of - n.at < policy.cool_down]
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
    return None


def find_moments(
    ctx: CustomerContext,
    *,
    policy: MomentPolicy | None = None,
    detectors: dict[str, Detector] | None = None,
    extra: Sequence[Moment] = (),
) -> MomentReport:
    """Run the detectors and guards on a context; return moments strongest first or no note.

    ``extra`` are caller-supplied moments (their evidence must be facts of ``ctx``).

    Example::

        report = find_moments(build_context(history, as_of=now))
        report.best.kind if not report.no_note else report.no_note_reasons
    """
    if not isinstance(ctx, CustomerContext):
        raise ArgumentError("ctx", ctx, "a CustomerContext: build it first with "
                            "build_context(history, as_of)", caller="find_moments")
    policy = policy or MomentPolicy()
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
    ordered = sorted(unique.values(), key=lambda m: (-m.strength, -m.at.timestamp(), m.key))
    blocked = _customer_guard(ctx)
    notes = [e for e in ctx.events if isinstance(e, NoteSentEvent)]
    cases = _open_cases(ctx)
    moments: list[Moment] = []
    suppressed: list[SuppressedMoment] = []
    for moment in ordered:
        reason = blocked or _moment_guard(ctx, moment, policy, notes, cases)
        if reason is None:
            moments.append(moment)
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
