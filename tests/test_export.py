from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

import personalnote as pn
from personalnote._export import edit_distance, neutralise_cell
from personalnote._signatures import sha256_text

from .support import ALICE, BOB, LATER, Stores, Target, clean_draft, flyer, flyer_context


@pytest.fixture
def queue(store_url: Target) -> pn.ReviewQueue:
    """A new queue on each backend: SQLite, and PostgreSQL (see conftest.py)."""
    with pn.ReviewQueue(store_url) as q:
        yield q  # type: ignore[misc]


def _approved(queue: pn.ReviewQueue, prompt_version: str = "a", text: str | None = None,
              override: str | None = None) -> pn.QueuedDraft:
    item = queue.submit(clean_draft(prompt_version), flyer_context())
    if text is not None:
        item = queue.edit(item.id, BOB, version=item.version, text=text)
    return queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=LATER,
                         override_reason=override)


def test_jsonl_holds_each_approved_note_with_its_approval(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    approved = _approved(queue)
    pending = queue.submit(clean_draft("pending"), flyer_context())
    result = queue.export("jsonl", tmp_path / "notes.jsonl")
    assert result.draft_ids == (approved.id,) and result.count == 1
    [line] = [json.loads(x) for x in (tmp_path / "notes.jsonl").read_text().splitlines()]
    assert line["text"] == approved.text and line["text_sha256"] == sha256_text(approved.text)
    assert line["version"] == line["approval"]["version"] == approved.version
    assert line["approval"]["printed_name"] == "Alice Smith" and line["approval"]["meaning"] == "approve"
    assert queue.get(approved.id).state == "exported" and queue.get(pending.id).state == "drafted"


def test_exporting_again_does_not_duplicate_and_a_reprint_keeps_the_first_date(tmp_path: Path,
                                                                              stores: Stores) -> None:
    ticks = iter(range(1, 100))

    def clock() -> datetime:  # one day later at every reading: submit, approve, then each export that writes
        return datetime(2026, 11, 20, 9, tzinfo=UTC) + timedelta(days=next(ticks))

    with pn.ReviewQueue(stores.new("r"), clock=clock) as queue:
        item = _approved(queue)
        first = queue.export("jsonl", tmp_path / "1.jsonl")
        second = queue.export("jsonl", tmp_path / "2.jsonl")
        assert first.draft_ids == (item.id,) and second.draft_ids == ()
        assert first.written and not second.written and not (tmp_path / "2.jsonl").exists()
        reprint = queue.export("csv", tmp_path / "3.csv", again=True)
        exported = queue.get(item.id)
        logged = queue.store.query("SELECT format, exported_at FROM exports ORDER BY id")
    assert reprint.draft_ids == (item.id,) and exported.export_count == 2
    assert (exported.first_exported_at, exported.last_exported_at) == ("2026-11-23T09:00:00+00:00",
                                                                       "2026-11-24T09:00:00+00:00")
    assert [tuple(row) for row in logged] == [("jsonl", "2026-11-23T09:00:00+00:00"),
                                              ("csv", "2026-11-24T09:00:00+00:00")]


def test_export_leaves_out_notes_whose_approval_no_longer_matches(queue: pn.ReviewQueue,
                                                                  tmp_path: Path) -> None:
    kept = _approved(queue, "kept")
    voided = _approved(queue, "voided")
    queue.edit(voided.id, BOB, version=voided.version, text=voided.text.replace("with us", "with SkyMiles"))
    withdrawn = _approved(queue, "withdrawn")
    queue.reject(withdrawn.id, BOB, version=withdrawn.version, reason="duplicate card")
    assert queue.export("jsonl", tmp_path / "n.jsonl").draft_ids == (kept.id,)


def test_csv_cells_cannot_run_as_formulas(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    """What a reviewer types (printed name, reason) cannot run in a spreadsheet. (A note's text always
    starts with the library's greeting: an edit without one gets the draft's own.)"""
    evil = "=HYPERLINK(\"http://x\",\"y\")"
    item = queue.submit(clean_draft("evil"), flyer_context())
    queue.approve(item.id, pn.Reviewer("mallory", evil, "crew"), version=item.version, current=flyer(),
                  as_of=LATER, override_reason="@SUM(A1:A9)")
    queue.export("csv", tmp_path / "n.csv")
    with open(tmp_path / "n.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["approved_by"] == "'" + evil and rows[0]["approval_reason"] == "'@SUM(A1:A9)"
    edited = queue.edit(queue.submit(clean_draft("edited"), flyer_context()).id, BOB, version=1,
                        text=f"{evil}\n\nCongratulations on 2 million miles with us today.")
    assert edited.text.startswith("Dear Ms Okafor,\n\n=HYPERLINK")


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_dangerous_cells_are_neutralised(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Dear Ms Okafor,", "2", "", None, "a=b"])
def test_ordinary_cells_are_kept(cell: str | None) -> None:
    assert neutralise_cell(cell) == ("" if cell is None else cell)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_card_html_escapes_the_text_and_shows_nothing_internal(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    """The HTML card shows the approved text and a line per signer; the audit data is in the manifest."""
    hostile = clean_draft().text.replace("today's flight", "today's <script>alert(1)</script> flight")
    approved = _approved(queue, "html", text=hostile, override="testing what a browser sees")
    result = queue.export("card", tmp_path / "cards.html")
    html = (tmp_path / "cards.html").read_text()
    parser = _TextOnly()
    parser.feed(html.split("<body>", 1)[1])
    assert "script" not in parser.tags and "<script>alert(1)</script>" in "".join(parser.text)
    assert html.count('class="sign"') == 2 and html.count('class="page card"') == 1
    assert "@page card{size:105.0mm 148.0mm" in html
    shown = " ".join("".join(parser.text).split())
    assert "Captain" in shown and "J. Reyes, First Officer" in shown and "____" not in shown
    for internal in (f"draft {approved.id}", "C-1001", approved.text_sha256[:12], "alice", "Alice Smith",
                     "Bob Jones", "testing what a browser sees", approved.approval.signed_at[:10]):
        assert internal not in html, internal
    assert result.manifest == tmp_path / "cards.html.manifest.csv"
    with open(result.manifest, newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["draft_id"], row["approved_by"], row["text_sha256"]) == (str(approved.id), "Alice Smith",
                                                                          approved.text_sha256)


def test_export_to_a_missing_folder_is_a_typed_error_and_marks_nothing(queue: pn.ReviewQueue,
                                                                       tmp_path: Path) -> None:
    item = _approved(queue)
    with pytest.raises(pn.ExportError) as info:
        queue.export("jsonl", tmp_path / "missing" / "n.jsonl")
    assert info.value.path == str(tmp_path / "missing" / "n.jsonl")
    assert queue.get(item.id).state == "approved"


# --- stats ----------------------------------------------------------------------------------


def test_stats_per_prompt_version(queue: pn.ReviewQueue) -> None:
    base = clean_draft().text
    _approved(queue, "1")                                                       # unchanged
    _approved(queue, "2", text=base.replace("with us", "with SkyMiles"))        # edited
    for version, reason in (("3", "too formal"), ("4", "too formal"), ("5", "wrong flight")):
        item = queue.submit(clean_draft(version), flyer_context())
        queue.reject(item.id, BOB, version=1, reason=reason)
    queue.submit(clean_draft("6"), flyer_context())                              # pending
    stats = {s.prompt_version: s for s in queue.stats()}
    assert set(stats) == {"1", "2", "3", "4", "5", "6"}
    first = stats["1"]
    assert (first.approved_unchanged, first.approval_rate, first.mean_edit_distance) == (1, 1.0, None)
    assert stats["2"].approved_edited == 1
    assert stats["2"].mean_edit_distance == edit_distance("with us", "with SkyMiles") == 7
    assert stats["3"].rejected == 1 and stats["3"].approval_rate == 0.0
    assert stats["3"].rejection_reasons == (("too formal", 1),) and stats["6"].pending == 1
    assert stats["6"].approval_rate is None


def test_stats_group_by_prompt_version(queue: pn.ReviewQueue) -> None:
    base = clean_draft().text
    _approved(queue, "v", text=base.replace("Congratulations", "Warm congratulations"))
    assert queue.submit(clean_draft("v"), flyer_context()).state == "approved"  # the same draft: not again
    for reason in ("too formal", "too formal", "wrong flight"):
        item = queue.submit(clean_draft("w"), flyer_context())
        queue.reject(item.id, BOB, version=1, reason=reason)
    stats = {s.prompt_version: s for s in queue.stats()}
    assert stats["v"].drafts == 1 and stats["v"].mean_edit_distance == len("Warm c")
    assert (stats["w"].drafts, stats["w"].rejected, stats["w"].approval_rate) == (3, 3, 0.0)
    assert stats["w"].rejection_reasons == (("too formal", 2), ("wrong flight", 1))
    assert stats["w"].to_json_dict()["rejection_reasons"] == {"too formal": 2, "wrong flight": 1}


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("flaw", "lawn", 2), ("same", "same", 0),
    ("Dear Ms Okafor, thank you", "Dear Ms Okafor, many thanks", 9),
])
def test_edit_distance_known_values(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


def _reference(a: str, b: str) -> int:
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                              table[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return table[-1][-1]


@given(st.text("abc ", max_size=12), st.text("abc ", max_size=12))
def test_edit_distance_matches_the_full_table(a: str, b: str) -> None:
    assert edit_distance(a, b) == _reference(a, b) == edit_distance(b, a)


@given(st.text(max_size=16), st.text(max_size=16))
def test_edit_distance_counts_characters_of_any_script(a: str, b: str) -> None:
    # astral characters (emoji, CJK extension B) count once each, as in the reference table
    assert edit_distance(a, b) == _reference(a, b)


def test_edit_distance_is_rapidfuzz_levenshtein(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stats' distance is rapidfuzz's Levenshtein, not a table filled in Python."""
    from personalnote import _export

    calls: list[tuple[str, str]] = []
    distance = Levenshtein.distance

    def spy(a: str, b: str) -> int:
        calls.append((a, b))
        return distance(a, b)

    monkeypatch.setattr(_export.Levenshtein, "distance", spy)
    letter_a, letter_b = "Dear Ms Okafor, " * 200, "Dear Ms Okafor, " * 199 + "Dear Grace, "
    assert edit_distance(letter_a, letter_b) == _reference("Ms Okafor", "Grace")
    assert calls == [(letter_a, letter_b)]
