"""What the review web app's pages show: the templates, the inbox's rows and filters, a draft's parts.

The templates are Jinja2 files shipped in the package (``templates/``), rendered with autoescaping
on: every value from a record, a reviewer or the model is escaped. The only markup passed through
is the library's own ``highlight_findings``, which escapes the text it marks.

Example::

    rows = inbox_rows(queue.drafts(), InboxFilter(state="pending", q="okafor"), now)
    html = render("inbox.html", rows=rows, ...)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ._context import Fact
from ._display import highlight_findings
from ._draft_types import Finding
from ._export import EXPORT_FORMATS
from ._queue_types import DECIDABLE, QueuedDraft

__all__ = ["InboxFilter", "cited_facts", "diff_lines", "expired", "expires_at", "export_suffix", "inbox_rows",
           "marked", "render"]

_PACKAGE = resources.files("personalnote")
_ENV = Environment(loader=FileSystemLoader(str(_PACKAGE / "templates")),
                   autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                   lstrip_blocks=True)
#: the file name ending of each export format (a format not listed here ends in its own name)
_SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "card": ".html", "pdf": ".pdf", "manifest": ".csv"}


def render(template: str, **context: Any) -> str:
    """A page: ``template`` (a file of ``templates/``) rendered with ``context``, autoescaped."""
    return _ENV.get_template(template).render(**context)


def export_suffix(format: str) -> str:
    return _SUFFIXES.get(format, "." + re.sub(r"[^a-z0-9]", "", format.lower()))


def export_formats() -> tuple[str, ...]:
    """The export formats the library has."""
    return tuple(EXPORT_FORMATS)


def expires_at(item: QueuedDraft) -> datetime:
    """When the draft's moment stops being fresh (the moment's ``fresh_until``)."""
    return item.moment.fresh_until


def expired(item: QueuedDraft, now: datetime) -> bool:
    """True when a draft still waiting for a decision has a moment that is no longer fresh at ``now``.

    Uses the library's own answer when it has one (``QueuedDraft.expired``), else the moment's
    ``fresh_until``.
    """
    own = getattr(item, "expired", None)
    if callable(own):
        return bool(own(now))
    if isinstance(own, bool):
        return own
    return item.state in DECIDABLE and expires_at(item) <= now


def marked(text: str, findings: Sequence[Finding]) -> Markup:
    """The text with each finding's span marked (``highlight_findings`` escapes the text)."""
    return Markup(highlight_findings(text, findings))  # noqa: S704 - escaped by highlight_findings


def diff_lines(model_text: str, text: str) -> list[tuple[str, str]]:
    """The line diff from the model's text to ``text`` as (kind, line): kind is ``add``, ``del``, ``same``
    or ``hunk``; empty when they are the same."""
    if model_text == text:
        return []
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(model_text.splitlines(), text.splitlines(), "model", "current",
                                     lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


def cited_facts(item: QueuedDraft) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Each claim of the draft with the facts it cites, as (claim, [(fact id, statement or None)])."""
    known: dict[str, Fact] = {**{f.id: f for f in item.facts}, **{f.id: f for f in item.draft.facts},
                              **{f.id: f for f in item.moment.facts}}
    return [(claim.text, [(i, known[i].text if i in known else None) for i in claim.fact_ids])
            for claim in item.draft.claims]


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: a state (``pending``: drafted or edited; ``all``), a channel, expired or not,
    and a search in the customer's id and name and the note's text."""

    state: str = "pending"
    channel: str = ""
    expired: str = ""  # "", "yes" or "no"
    q: str = ""

    @classmethod
    def of(cls, params: Mapping[str, str]) -> InboxFilter:
        return cls(state=params.get("state", "pending") or "pending", channel=params.get("channel", ""),
                   expired=params.get("expired", ""), q=params.get("q", "").strip()[:200])

    def states(self) -> tuple[str, ...] | None:
        if self.state == "all":
            return None
        return DECIDABLE if self.state == "pending" else (self.state,)


def inbox_rows(items: Sequence[QueuedDraft], wanted: InboxFilter, now: datetime) -> list[dict[str, Any]]:
    """The rows of the inbox for the drafts that pass the filter, oldest first."""
    needle = wanted.q.casefold()
    rows = []
    for item in items:
        gone = expired(item, now)
        if wanted.channel and item.draft.channel != wanted.channel:
            continue
        if wanted.expired and gone != (wanted.expired == "yes"):
            continue
        haystack = " ".join([str(item.id), item.customer_id, item.customer_name or "", item.text]).casefold()
        if needle and needle not in haystack:
            continue
        rows.append({"item": item, "expired": gone, "expires": expires_at(item).astimezone(UTC),
                     "for_date": item.draft.for_date, "for_label": item.draft.for_label,
                     "blocking": len(item.blocking)})
    return rows
