"""Rich HTML for Jupyter: contexts, moments and moment reports render as small tables.

Everything that comes from customer data is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._context import CustomerContext
    from ._draft import Draft
    from ._moments import Moment, MomentReport

__all__: list[str] = []

_STYLE = "border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px"
_CELL = "border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f'<th style="{_CELL}">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>" for row in rows
    )
    return f'<table style="{_STYLE}"><tr>{head}</tr>{body}</table>'


def context_html(ctx: CustomerContext) -> str:
    rel = ctx.relationship
    title = (f"<b>{escape(ctx.customer.display_name)}</b> ({escape(ctx.customer_id)}), "
             f"as of {escape(ctx.local_date(ctx.as_of))}: {escape(rel.familiarity)}, "
             f"knowledge {escape(rel.knowledge)}")
    rows = [
        [f"<code>{escape(f.id)}</code>", escape(f.kind), escape(f.text),
         f"<i>{escape(f.quote)}</i>" if f.quote else ""]
        for f in ctx.facts.values()
    ]
    return f"<div>{title}</div>" + _table(["fact id", "kind", "fact", "free text (untrusted)"], rows)


def moment_html(moment: Moment) -> str:
    evidence = ", ".join(f"<code>{escape(e)}</code>" for e in moment.evidence)
    return (f"<div><b>{escape(moment.kind)}</b> (strength {moment.strength:.2f}): "
            f"{escape(moment.why_now)}<br/>evidence: {evidence}</div>")


def report_html(report: MomentReport) -> str:
    head = f"<div><b>{escape(report.customer_id)}</b> as of {escape(report.as_of.date().isoformat())}</div>"
    if report.no_note:
        reasons = "".join(f"<li>{escape(r.code)}: {escape(r.message)}</li>" for r in report.no_note_reasons)
        return f"{head}<div>No note:</div><ul>{reasons}</ul>"
    rows = [
        [escape(m.kind), f"{m.strength:.2f}", escape(m.why_now),
         ", ".join(f"<code>{escape(e)}</code>" for e in m.evidence)]
        for m in report.moments
    ]
    return head + _table(["moment", "strength", "why now", "evidence"], rows)


def draft_html(draft: Draft) -> str:
    note = escape(draft.text).replace("\n", "<br/>")
    claims = "".join(
        f"<li>{escape(c.text)} — " + ", ".join(f"<code>{escape(i)}</code>" for i in c.fact_ids) + "</li>"
        for c in draft.claims
    )
    p = draft.provenance
    return (
        f'<div style="font-family:system-ui,sans-serif;font-size:13px">'
        f"<div><b>{escape(draft.customer_id)}</b> · {escape(draft.moment.kind)}: "
        f"{escape(draft.moment.why_now)} · {escape(draft.channel)}</div>"
        f'<div style="border:1px solid #ccc;padding:8px;margin:6px 0;font-family:Georgia,serif">{note}</div>'
        f"<div>Claims:</div><ul>{claims}</ul>"
        f"<div style='color:#666'>{escape(p.model)} · prompt {escape(p.prompt)} v{escape(p.prompt_version)}"
        f" · {p.prompt_tokens}+{p.completion_tokens} tokens · {p.attempts} attempt(s)</div></div>"
    )
