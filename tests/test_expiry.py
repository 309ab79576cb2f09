"""Expiry shown early: a pending draft whose moment is no longer fresh shows as expired in the library,
the CLI, the notebook and the widget, and cannot be approved (ExpiredDraftError)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

import personalnote as pn
from personalnote._display import queue_html, queued_html
from personalnote.cli import main

from .support import ALICE, FIXTURES, LATER, clean_draft, flyer, flyer_context

#: the flyer's milestone (2026-11-20 13:10 UTC) is fresh for 14 days
EXPIRES = clean_draft().moment.at + timedelta(days=14)
AFTER = EXPIRES + timedelta(minutes=1)


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[pn.ReviewQueue]:
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as q:
        yield q


def _pending(queue: pn.ReviewQueue, prompt_version: str = "expiry") -> pn.QueuedDraft:
    return queue.submit(clean_draft(prompt_version), flyer_context(),
                        source=FIXTURES / "customers" / "flyer_2m_miles.json")


def test_a_queued_draft_says_when_it_expires_and_whether_it_has(queue: pn.ReviewQueue) -> None:
    item = _pending(queue)
    assert item.expires_at == item.moment.fresh_until == EXPIRES
    assert item.time_zone == "Europe/London" and item.to_json_dict()["expires_at"] == EXPIRES.isoformat()
    assert not item.expired(EXPIRES) and item.expired(EXPIRES + timedelta(seconds=1))
    assert not item.expired("2026-12-04T13:10:00Z") and item.expired("2026-12-04T13:11:00+00:00")
    # a date is the end of that day in the customer's time zone (London)
    assert not item.expired(date(2026, 12, 3)) and item.expired(date(2026, 12, 4))
    with pytest.raises(pn.InstantError, match="QueuedDraft.expired"):
        item.expired("next week")


def test_an_expired_draft_cannot_be_approved(queue: pn.ReviewQueue) -> None:
    item = _pending(queue)
    with pytest.raises(pn.ExpiredDraftError) as info:
        queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=AFTER)
    error = info.value
    assert isinstance(error, pn.MomentGoneError) and error.draft_id == item.id
    assert (error.expires_at, error.as_of) == (EXPIRES, AFTER)
    assert [r.code for r in error.no_note_reasons] == ["stale"] and "fresh for 14 days" in str(error)
    assert queue.get(item.id).state == "drafted" and queue.history(item.id) == []
    fresh = queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=EXPIRES)
    assert fresh.state == "approved"  # still fresh at the instant it expires


def test_review_list_and_show_mark_an_expired_draft(capsys: pytest.CaptureFixture[str],
                                                    queue: pn.ReviewQueue) -> None:
    expired = _pending(queue, "old")
    approved = _pending(queue, "decided")
    queue.approve(approved.id, ALICE, version=1, current=flyer(), as_of=LATER)
    store = ["--store", str(queue.path)]
    assert main(["review", "list", *store, "--as-of", AFTER.isoformat()]) == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if x.startswith(f"{expired.id:>5}  ")]
    assert "drafted" in line and "0 blocking  EXPIRED  Dear Ms Okafor" in line
    assert "1 expired: the moment is no longer fresh" in out
    assert main(["review", "list", *store, "--as-of", "2026-11-21"]) == 0
    assert "EXPIRED" not in capsys.readouterr().out
    assert main(["review", "list", "--all", *store, "--as-of", AFTER.isoformat(), "--json"]) == 0
    listed = {d["id"]: d for d in json.loads(capsys.readouterr().out)["drafts"]}
    assert listed[expired.id]["expired"] is True and listed[approved.id]["expired"] is False  # decided
    assert listed[expired.id]["expires_at"] == EXPIRES.isoformat()
    assert main(["review", "show", str(expired.id), *store, "--as-of", AFTER.isoformat()]) == 0
    assert "EXPIRED, it can no longer be approved" in capsys.readouterr().out


def test_the_cli_refuses_to_approve_an_expired_draft(capsys: pytest.CaptureFixture[str],
                                                     queue: pn.ReviewQueue) -> None:
    item = _pending(queue)
    code = main(["review", "approve", str(item.id), "--reviewer", "alice", "--store", str(queue.path),
                 "--as-of", AFTER.isoformat()])
    err = capsys.readouterr().err
    assert code == 2 and f"draft {item.id}: approval refused" in err and "stale" in err
    assert queue.get(item.id).state == "drafted"


def test_the_notebook_queue_marks_expired_drafts(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    item = _pending(queue)
    assert "pn-expired" not in queue_html(queue, as_of=LATER)
    late = queue_html(queue, as_of=AFTER)
    assert late.count('class="pn-expired"') == 2 and "<b>1</b> pending, <b>1</b>" in late  # head and row
    assert "2026-12-04 13:10" in late
    assert "fresh until 2026-12-04 13:10 UTC; it can no longer be approved" in queued_html(item, as_of=AFTER)
    assert "pn-expired" not in queued_html(item, as_of=LATER)
    with pn.ReviewQueue(queue.path, clock=lambda: AFTER) as clocked:
        assert 'class="pn-expired"' in clocked._repr_html_()  # a queue in a cell judges at its clock


def test_the_widget_disables_approve_for_an_expired_draft(queue: pn.ReviewQueue) -> None:
    item = _pending(queue)
    fresh = pn.ReviewWidget(queue, item.id, reviewer=ALICE, current=flyer(), as_of=LATER)
    assert not fresh.approve_button.disabled
    late = pn.ReviewWidget(queue, item.id, reviewer=ALICE, current=flyer(), as_of=AFTER)
    assert late.approve_button.disabled and "pn-expired" in late.view.value
    assert late.approve() is None and isinstance(late.error, pn.ExpiredDraftError)
    assert "ExpiredDraftError" in late.status.value
