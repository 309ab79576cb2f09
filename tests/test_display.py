"""Notebook HTML: drafts with their findings marked, queued drafts, the queue; data always escaped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from html.parser import HTMLParser
from pathlib import Path

import pytest

import personalnote as pn
from personalnote import _constants as C
from personalnote._display import draft_html, highlight_findings, queue_html, queued_html
from personalnote.testing import FakeChatModel

from .support import ALICE, AS_OF, BOB, CREW, LATER, blocking_draft, clean_draft, flyer, flyer_context

_VOID = {"br", "hr", "img", "meta", "input"}


class _Parsed(HTMLParser):
    """Checks that tags nest properly; collects each <mark> (attributes and text) and each table."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.marks: list[tuple[dict[str, str | None], str]] = []
        self.tables: list[list[list[str]]] = []
        self.text = ""
        self._cell: str | None = None
        self.feed(html)
        self.close()
        assert self.stack == [], f"unclosed tags {self.stack}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        assert tag != "mark" or "mark" not in self.stack, "a <mark> inside a <mark>"
        self.stack.append(tag)
        if tag == "mark":
            self.marks.append((dict(attrs), ""))
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self.marks and self.stack and self.stack[-1] == "mark":
            attrs, text = self.marks[-1]
            self.marks[-1] = (attrs, text + data)
        if self._cell is not None:
            self._cell += data


def _finding(start: int, end: int, severity: str = "warning", kind: str = "k",
             message: str = "m") -> pn.Finding:
    return pn.Finding(kind=kind, severity=severity, span=(start, end), message=message)  # type: ignore[arg-type]


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[pn.ReviewQueue]:
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as q:
        yield q


# --- marking findings in the text ----------------------------------------------------------


def test_overlapping_spans_are_cut_into_pieces_each_marked_once() -> None:
    text = "abcdefghij"
    findings = [_finding(2, 6, "warning", "stiff", "too stiff"),
                _finding(4, 8, "blocking", "clock_time", "a time")]
    parsed = _Parsed(highlight_findings(text, findings))
    assert parsed.text == text
    pieces = [(text, attrs["data-findings"], attrs["class"]) for attrs, text in parsed.marks]
    assert pieces == [("cd", "1", "pn-warning"), ("ef", "1 2", "pn-blocking"), ("gh", "2", "pn-blocking")]
    titles = [attrs["title"] for attrs, _ in parsed.marks]
    assert titles[1] == "warning stiff: too stiff\nblocking clock_time: a time"
    styles = [attrs["style"] or "" for attrs, _ in parsed.marks]
    assert styles[0].startswith("background:") and not styles[1].startswith(styles[0])
    assert [("underline" in style) for style in styles] == [False, True, False]
    assert styles[1].startswith(styles[2])  # both blocking


def test_nested_and_identical_spans_keep_the_text_intact() -> None:
    text = "one two three"
    findings = [_finding(0, 13), _finding(4, 7, "blocking"), _finding(4, 7)]
    parsed = _Parsed(highlight_findings(text, findings))
    assert parsed.text == text
    marked = [(t, a["data-findings"]) for a, t in parsed.marks]
    assert marked == [("one ", "1"), ("two", "1 2 3"), (" three", "1")]


def test_spans_past_the_end_are_clipped_and_findings_without_a_span_not_marked() -> None:
    text = "short"
    findings = [_finding(3, 99), pn.Finding(kind="generic", severity="blocking", span=None, message="m"),
                _finding(7, 9)]
    parsed = _Parsed(highlight_findings(text, findings))
    assert parsed.text == text and [(t, a["data-findings"]) for a, t in parsed.marks] == [("rt", "1")]


def test_marked_text_and_titles_are_escaped() -> None:
    text = 'Hi <script>alert("x")</script> & bye'
    message = 'quotes " and <b>tags</b>'
    html = highlight_findings(text, [_finding(3, 31, "blocking", "unsupported_detail", message)])
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&quot;" in html
    parsed = _Parsed(html)
    assert parsed.text == text
    assert parsed.marks[0][0]["title"] == f"blocking unsupported_detail: {message}"


def test_a_draft_shows_its_findings_marked_on_its_own_text() -> None:
    draft = blocking_draft()  # "Paris", "3" and "3:41pm": the last two overlap
    parsed = _Parsed(draft_html(draft, flyer_context().facts))
    marked = [(text, attrs["data-findings"]) for attrs, text in parsed.marks]
    assert marked == [("Paris", "1"), ("3", "2 3"), (":41pm", "3")]
    assert draft.text in parsed.text


def test_a_draft_shows_its_moment_and_each_claim_with_the_facts_it_cites() -> None:
    draft = clean_draft()
    html = draft_html(draft, flyer_context().facts)
    assert f"{draft.moment.why_now}" in _Parsed(html).text
    assert f"strength {draft.moment.strength:.2f}" in html
    text = _Parsed(html).text
    assert "passed 2 million miles" in text and "today's flight to JFK" in text
    assert "T-8002: Flight NA 117 from LHR to JFK, seat 2A, business cabin on 20 November 2026" in text
    derived = next(f for f in draft.moment.facts if f.id == "derived:milestone:L-5502")
    assert f"derived:milestone:L-5502: {derived.text}" in text
    # on its own, a draft shows every cited fact's statement: it carries the facts it was drafted from
    own = _Parsed(draft._repr_html_()).text
    assert f"derived:milestone:L-5502: {derived.text}" in own
    assert "T-8002: Flight NA 117 from LHR to JFK, seat 2A, business cabin on 20 November 2026" in own
    assert "statement in the context" not in own
    # a draft stored before drafts carried their facts still displays, and says where the statement is
    bare = _Parsed(draft.model_copy(update={"facts": []})._repr_html_()).text
    assert "T-8002 (statement in the context" in bare
    assert "Claims and the facts they cite:" in own


def _scripted() -> tuple[pn.Draft, pn.CustomerContext]:
    """A customer whose records hold markup, and a model that copies it into the note."""
    record = flyer().model_dump(mode="json", exclude_none=True)
    for event in record["events"]:
        if event["id"] == "T-8002":
            event["flight_number"] = "<script>alert('x')</script>"
        if event["id"] == "P-0420":
            event["text"] = "<img src=x onerror=alert(1)> window seat"
    ctx = pn.build_context(pn.CustomerHistory.model_validate(record), AS_OF)
    reply = {"body": "Congratulations on 2 million miles on <script>alert('x')</script> today.",
             "claims": [{"text": "flight <script>alert('x')</script>", "fact_ids": ["T-8002", "P-0420"]}]}
    draft = pn.draft_note(ctx, model=FakeChatModel([reply]), signers=CREW, max_candidates=1)
    assert isinstance(draft, pn.Draft)
    return draft, ctx


def test_markup_in_customer_data_and_model_text_comes_out_escaped(queue: pn.ReviewQueue) -> None:
    draft, ctx = _scripted()
    item = queue.submit(draft, ctx)
    item = queue.reject(item.id, ALICE, version=item.version, reason="<b>copied</b> the <script> tag")
    pending = queue.submit(draft.model_copy(update={"provenance": draft.provenance.model_copy(
        update={"prompt_version": "v9"})}), ctx)
    for html in (draft_html(draft, ctx.facts), draft._repr_html_(), queued_html(item), queue_html(queue),
                 ctx._repr_html_()):
        assert "<script" not in html and "<img" not in html and "<b>copied" not in html
        _Parsed(html)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in draft_html(draft, ctx.facts)
    assert "&lt;b&gt;copied&lt;/b&gt; the &lt;script&gt; tag" in queued_html(item)
    assert [row[0] for row in _Parsed(queue_html(queue)).tables[0][1:]] == [str(pending.id)]


# --- the queue and its drafts --------------------------------------------------------------


def test_the_queue_is_a_table_of_its_pending_drafts(queue: pn.ReviewQueue) -> None:
    assert "<b>0</b> pending" in queue._repr_html_()
    blocking = queue.submit(blocking_draft(), flyer_context())
    clean = queue.submit(clean_draft("v2"), flyer_context())
    decided = queue.submit(clean_draft("v3"), flyer_context())
    queue.approve(decided.id, ALICE, version=1, current=flyer(), as_of=LATER)
    edited = queue.edit(clean.id, BOB, version=1, text=clean.text.replace("Congratulations", "Well done"))
    parsed = _Parsed(queue._repr_html_())
    [table] = parsed.tables
    assert table[0] == ["id", "customer", "moment", "state", "version", "blocking", "warnings",
                        "expires (UTC)"]
    rows = {row[0]: row for row in table[1:]}
    assert set(rows) == {str(blocking.id), str(clean.id)}  # the approved one is not pending
    assert rows[str(blocking.id)][1] == "C-1001" and rows[str(blocking.id)][2].startswith("milestone")
    assert rows[str(blocking.id)][3:6] == ["drafted", "1", str(len(blocking.blocking))]
    assert rows[str(clean.id)][3:6] == ["edited", "2", str(len(edited.blocking))]
    assert rows[str(clean.id)][7].startswith(f"{edited.expires_at.astimezone(UTC):%Y-%m-%d %H:%M}")
    assert "<b>2</b> pending" in queue._repr_html_()


def test_the_queue_table_stops_at_the_row_limit(queue: pn.ReviewQueue,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for version in ("v1", "v2", "v3"):
        queue.submit(clean_draft(version), flyer_context())
    monkeypatch.setattr(C, "HTML_MAX_ROWS", 2)
    parsed = _Parsed(queue_html(queue))
    assert len(parsed.tables[0]) == 3 and "… and 1 more" in parsed.text and "3 pending" in parsed.text


def test_a_queued_draft_shows_its_state_version_text_and_signatures(queue: pn.ReviewQueue) -> None:
    item = queue.submit(blocking_draft(), flyer_context())
    assert "Signatures: none yet." in _Parsed(item._repr_html_()).text
    fixed = item.text.replace("enjoy Paris at 3:41pm", "thank you for flying with us")
    item = queue.edit(item.id, BOB, version=1, text=fixed, reason="no <invented> places")
    item = queue.approve(item.id, ALICE, version=2, current=flyer(), as_of=LATER)
    assert item.signatures == tuple(queue.history(item.id))
    parsed = _Parsed(item._repr_html_())
    head = f"Draft {item.id} · approved · version 3 · C-1001 · card · text edited by a reviewer"
    assert head in parsed.text
    assert "Approved: version 3 by Alice Smith" in parsed.text
    assert fixed in parsed.text and "Paris" not in parsed.text  # the current text, checked again
    assert parsed.marks == [] and "Findings: none." in parsed.text
    assert "The model's claims (about its own text, before the reviewer's edit):" in parsed.text
    [table] = parsed.tables
    edit, approval = item.signatures
    assert table[1:] == [["2", "edit", "Bob Jones (bob)", "purser", edit.signed_at, "no <invented> places"],
                         ["3", "approve", "Alice Smith (alice)", "crew lead", approval.signed_at, ""]]


def test_a_queued_draft_cites_facts_from_its_stored_context(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    assert {f.id for f in item.facts} >= {"T-8002", "P-0420", "derived:milestone:L-5502"}
    text = _Parsed(item._repr_html_()).text
    assert "T-8002: Flight NA 117 from LHR to JFK, seat 2A, business cabin on 20 November 2026" in text
    assert "statement in the context" not in text


def test_a_queued_draft_with_an_override_says_why(queue: pn.ReviewQueue) -> None:
    item = queue.submit(blocking_draft(), flyer_context())
    item = queue.approve(item.id, ALICE, version=1, current=flyer(), as_of=LATER,
                         override_reason="the crew checked: she flies to Paris")
    parsed = _Parsed(queued_html(item))
    assert "Approved: version 2 by Alice Smith (override: the crew checked: she flies to Paris)" \
        in parsed.text
    assert [t for _, t in parsed.marks] == ["Paris", "3", ":41pm"] and "(3 blocking)" in parsed.text
