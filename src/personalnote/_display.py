"""Rich HTML for Jupyter: contexts, moments, reports, drafts, queued drafts and the review queue.

A draft shows its note with every finding's span marked (``<mark>``, titled with the kind and
message, coloured by severity; overlapping spans are cut into pieces so the HTML stays well
formed), its moment, each claim with the facts it cites (id and statement), and its
provenance. A queued draft adds its state, version, expiry and signatures; the queue is a table
of its pending drafts, each with the time it expires, and **expired** (in red) for one whose
moment is no longer fresh at ``as_of``: it can no longer be approved. Everything that comes from
data is escaped.

Example::

    from IPython.display import HTML
    HTML(draft_html(draft, ctx.facts))   # the draft with the statements of every cited fact
    queue                                # in a notebook cell: the table of pending drafts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from html import escape
from typing import TYPE_CHECKING

from . import _constants as C
from ._draft_types import blocking_findings
from ._instants import AsOf

if TYPE_CHECKING:
    from ._context import CustomerContext, Fact
    from ._draft_types import Draft, Finding
    from ._moment_types import Moment, MomentReport
    from ._queue_types import QueuedDraft
    from ._review import ReviewQueue
    from ._signatures import SignatureRecord

__all__ = ["draft_html", "highlight_findings", "queue_html", "queued_html"]

_STYLE = "border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px"
_CELL = "border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top"
_BOX = "font-family:system-ui,sans-serif;font-size:13px"
_NOTE = ("border:1px solid #ccc;padding:8px;margin:6px 0;font-family:Georgia,serif;font-size:14px;"
         "white-space:pre-wrap")
_MUTED = "color:#666"
_NOT_AT_HAND = "statement in the context; the queued draft shows it"
#: background of a marked span, by the most severe finding covering it
_MARK_COLOURS = {"blocking": "#f6b8b8", "warning": "#fbe7a1"}
_STATE_COLOURS = {"drafted": "#555", "edited": "#8a5a00", "approved": "#1a7f37", "rejected": "#b42318",
                  "exported": "#175cd3"}
_EXPIRED = '<b class="pn-expired" style="color:#b42318">expired</b>'



def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f'<th style="{_CELL}">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>" for row in rows
    )
    return f'<table style="{_STYLE}"><tr>{head}</tr>{body}</table>'


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def context_html(ctx: CustomerContext) -> str:
    rel = ctx.relationship
    title = (f"<b>{escape(ctx.customer.display_name)}</b> ({escape(ctx.customer_id)}), "
             f"as of {escape(ctx.local_date(ctx.as_of))}: {escape(rel.familiarity)}, "
             f"knowledge {escape(rel.knowledge)}")
    rows = [
        [_code(f.id), escape(f.kind), escape(f.text), f"<i>{escape(f.quote)}</i>" if f.quote else ""]
        for f in ctx.facts.values()
    ]
    return f"<div>{title}</div>" + _table(["fact id", "kind", "fact", "free text (untrusted)"], rows)


def moment_html(moment: Moment) -> str:
    evidence = ", ".join(_code(e) for e in moment.evidence)
    return (f"<div><b>{escape(moment.kind)}</b> (strength {moment.strength:.2f}): "
            f"{escape(moment.why_now)}<br/>evidence: {evidence}</div>")


def report_html(report: MomentReport) -> str:
    head = f"<div><b>{escape(report.customer_id)}</b> as of {escape(report.as_of.date().isoformat())}</div>"
    if report.no_note:
        reasons = "".join(f"<li>{escape(r.code)}: {escape(r.message)}</li>" for r in report.no_note_reasons)
        return f"{head}<div>No note:</div><ul>{reasons}</ul>"
    rows = [
        [escape(m.kind), f"{m.strength:.2f}", escape(m.why_now), _days(m, report),
         ", ".join(_code(e) for e in m.evidence)]
        for m in report.moments
    ]
    return head + _table(["moment", "strength", "why now", "on · ready by", "evidence"], rows)


def _days(moment: Moment, report: MomentReport) -> str:
    """'21 Nov 2026 · 14 Nov 2026', with 'ahead' for a moment that has not happened yet."""
    if moment.on is None or moment.ready_by is None:
        return ""
    ahead = " <b>ahead</b>" if moment.ahead_of(report.as_of) else ""
    return f"{moment.on:%d %b %Y} · {moment.ready_by:%d %b %Y}{ahead}"


# --- drafts --------------------------------------------------------------------------------


def highlight_findings(text: str, findings: Sequence[Finding]) -> str:
    """The text, escaped, with each finding's span inside a ``<mark>`` titled with its kind and message.

    Spans may overlap: the text is cut at every span boundary and each piece is marked once,
    titled with every finding covering it, coloured by the most severe of them and underlined
    where findings overlap;
    ``data-findings`` holds their numbers (1-based, as in the findings list). Spans reaching
    past the text are clipped; findings without a span are listed, not marked.
    """
    size = len(text)
    spans = [(max(0, min(f.span[0], size)), max(0, min(f.span[1], size)), number, f)
             for number, f in enumerate(findings, 1) if f.span is not None]
    spans = [span for span in spans if span[1] > span[0]]
    cuts = sorted({0, size, *(span[0] for span in spans), *(span[1] for span in spans)})
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [(number, f) for a, b, number, f in spans if a <= start and end <= b]
        piece = escape(text[start:end])
        if not covering:
            pieces.append(piece)
            continue
        severity = "blocking" if any(f.blocking for _, f in covering) else "warning"
        title = "\n".join(f"{f.severity} {f.kind}: {f.message}" for _, f in covering)
        numbers = " ".join(str(number) for number, _ in covering)
        overlap = ";text-decoration:underline" if len(covering) > 1 else ""  # where findings overlap
        pieces.append(f'<mark class="pn-{severity}" data-findings="{numbers}" title="{escape(title)}" '
                      f'style="background:{_MARK_COLOURS[severity]}{overlap}">{piece}</mark>')
    return "".join(pieces)


def _findings_html(text: str, findings: Sequence[Finding]) -> str:
    if not findings:
        return "<div>Findings: none.</div>"
    items = []
    for f in findings:
        quoted = (f" — “{escape(text[f.span[0]:f.span[1]])}”"
                  if f.span is not None and f.span[1] > f.span[0] else "")
        items.append(f'<li><span style="background:{_MARK_COLOURS[f.severity]};padding:0 4px">'
                     f"{escape(f.severity)}</span> <b>{escape(f.kind)}</b>: {escape(f.message)}{quoted}</li>")
    blocking = len(blocking_findings(findings))
    return f"<div>Findings ({blocking} blocking):</div><ol>{''.join(items)}</ol>"


def _claims_html(draft: Draft, facts: Mapping[str, Fact] | None, edited: bool) -> str:
    known = {**{f.id: f for f in draft.facts}, **(facts or {}), **{f.id: f for f in draft.moment.facts}}
    claims = []
    for claim in draft.claims:
        cited = "".join(
            f"<li>{_code(i)}: {escape(known[i].text)}</li>" if i in known
            else f'<li>{_code(i)} <span style="{_MUTED}">({_NOT_AT_HAND})</span></li>'
            for i in claim.fact_ids
        )
        claims.append(f"<li>{escape(claim.text)}<ul>{cited}</ul></li>")
    title = ("The model's claims (about its own text, before the reviewer's edit)" if edited
             else "Claims and the facts they cite")
    return f"<div>{title}:</div><ul>{''.join(claims)}</ul>"


def _provenance_html(draft: Draft) -> str:
    p = draft.provenance
    return (f"<div style='{_MUTED}'>{escape(p.model)} · prompt {escape(p.prompt)} v{escape(p.prompt_version)}"
            f" · {p.prompt_tokens}+{p.completion_tokens} tokens · {p.attempts} attempt(s)</div>")


def _note_html(head: str, text: str, findings: Sequence[Finding], draft: Draft,
               facts: Mapping[str, Fact] | None, tail: str = "") -> str:
    return (f'<div style="{_BOX}">{head}'
            f'<div class="pn-note" style="{_NOTE}">{highlight_findings(text, findings)}</div>'
            f"{moment_html(draft.moment)}{_claims_html(draft, facts, text != draft.text)}"
            f"{_findings_html(text, findings)}"
            f"{_provenance_html(draft)}{tail}</div>")


def draft_html(draft: Draft, facts: Mapping[str, Fact] | None = None) -> str:
    """A draft: the note with its findings marked, the moment, claims with cited facts, provenance.

    The draft carries the statements of the facts it was drafted from; ``facts`` (e.g.
    ``ctx.facts``) can add others.
    """
    head = (f"<div><b>{escape(draft.customer_id)}</b> · {escape(draft.channel)} · as of "
            f"{escape(draft.as_of.date().isoformat())}</div>{_authorship_html(draft)}")
    return _note_html(head, draft.text, draft.findings, draft, facts)


def _authorship_html(draft: Draft) -> str:
    """Who wrote what in a framed note, and the model's best candidate beside a composed one."""
    if draft.provenance.mode != "framed":
        return ""
    parts = "".join(f"<li><i>{escape(s.author)}</i>: {escape(s.text)}</li>" for s in draft.sentences)
    composed = ""
    if draft.composed:
        best = (f" The model's best candidate: <q>{escape(draft.model_candidate)}</q>"
                if draft.model_candidate else "")
        composed = (f'<div style="{_MUTED}">Composed by the library: no model candidate was free of '
                    f"blocking findings.{best}</div>")
    return f'<div style="{_BOX}">Written by:<ul>{parts}</ul>{composed}</div>'


def _state(state: str) -> str:
    return f'<b style="color:{_STATE_COLOURS.get(state, "#555")}">{escape(state)}</b>'


def _signatures_html(signatures: Sequence[SignatureRecord]) -> str:
    if not signatures:
        return "<div>Signatures: none yet.</div>"
    rows = [[str(s.version), escape(s.meaning), f"{escape(s.printed_name)} ({_code(s.reviewer_id)})",
             escape(s.role), escape(s.signed_at), escape(s.reason or "")] for s in signatures]
    headers = ["version", "meaning", "signed by", "role", "at (UTC)", "reason"]
    return "<div>Signatures:</div>" + _table(headers, rows)


def _expired(item: QueuedDraft, as_of: AsOf | None) -> bool:
    return as_of is not None and item.state in ("drafted", "edited") and item.expired(as_of)


def _expiry(item: QueuedDraft, as_of: AsOf | None) -> str:
    """'2026-12-04 18:00' (UTC), then 'expired' when a pending draft's moment is no longer fresh."""
    at = f"{item.expires_at.astimezone(UTC):%Y-%m-%d %H:%M}"
    return f"{at} · {_EXPIRED}" if _expired(item, as_of) else at


def queued_html(item: QueuedDraft, as_of: AsOf | None = None) -> str:
    """A queued draft: its state, version, expiry, current text with findings marked, and its signatures.

    ``as_of`` (the instant to judge expiry at) marks a pending draft whose moment is no longer fresh
    as expired: it can no longer be approved.
    """
    edited = " · text edited by a reviewer" if item.edited else ""
    approval = item.approval
    approved = (f"<div>Approved: version {approval.version} by {escape(approval.printed_name)}"
                + (f" (override: {escape(approval.reason)})" if approval.reason else "") + "</div>"
                if approval is not None else "")
    until = f"{item.expires_at.astimezone(UTC):%Y-%m-%d %H:%M}"
    expired = (f"<div>{_EXPIRED}: the moment was fresh until {until} UTC; it can no longer be approved "
               "(reject it)</div>" if _expired(item, as_of) else "")
    head = (f"<div>Draft <b>{item.id}</b> · {_state(item.state)} · version {item.version} · "
            f"<b>{escape(item.customer_id)}</b> · {escape(item.draft.channel)}{edited}</div>"
            f"{approved}{expired}")
    return _note_html(head, item.text, item.findings, item.draft, {f.id: f for f in item.facts},
                      _signatures_html(item.signatures))


def queue_html(queue: ReviewQueue, as_of: AsOf | None = None) -> str:
    """The queue's pending drafts as a table (the first ``HTML_MAX_ROWS`` of them), with when each
    expires and, at ``as_of``, which have expired (a queue in a notebook cell uses its clock)."""
    pending = queue.pending()
    expired = sum(_expired(q, as_of) for q in pending)
    head = (f'<div style="{_BOX}">Review queue <code>{escape(str(queue.path))}</code>: '
            f"<b>{len(pending)}</b> pending" + (f", <b>{expired}</b> {_EXPIRED}" if expired else "")
            + "</div>")
    if not pending:
        return head
    rows = [[str(q.id), escape(q.customer_id), f"{escape(q.moment.kind)}<br/>"
             f'<span style="{_MUTED}">{escape(q.moment.why_now)}</span>'
             + (f"<br/><b>{escape(q.draft.for_label)}</b>" if q.draft.for_label else ""),
             _state(q.state), str(q.version),
             str(len(q.blocking)), str(len(q.findings) - len(q.blocking)), _expiry(q, as_of)]
            for q in pending[:C.HTML_MAX_ROWS]]
    more = len(pending) - C.HTML_MAX_ROWS
    tail = f'<div style="{_MUTED}">… and {more} more</div>' if more > 0 else ""
    headers = ["id", "customer", "moment", "state", "version", "blocking", "warnings", "expires (UTC)"]
    return head + _table(headers, rows) + tail
