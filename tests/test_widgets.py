"""The review widget, driven as a reviewer would: type into its fields, click its buttons."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import personalnote as pn

from .support import ALICE, BOB, LATER, blocking_draft, changed_history, clean_draft, complaint, flyer
from .support import flyer_context as context


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[pn.ReviewQueue]:
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as q:
        yield q


def _widget(queue: pn.ReviewQueue, draft: pn.Draft, reviewer: pn.Reviewer = ALICE,
            **kwargs: object) -> pn.ReviewWidget:
    item = queue.submit(draft, context())
    options: dict[str, object] = {"current": flyer(), "as_of": LATER, **kwargs}
    return pn.ReviewWidget(queue, item.id, reviewer=reviewer, **options)  # type: ignore[arg-type]


def test_it_shows_the_draft_its_text_and_only_the_buttons_its_state_allows(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, blocking_draft())
    item = queue.get(widget.draft_id)
    assert widget.view.value == item._repr_html_() and widget.text.value == item.text
    assert widget.version == 1 and widget.override_reason.layout.display is None  # blocking: shown
    assert not any(b.disabled for b in (widget.approve_button, widget.edit_button, widget.reject_button))
    bundle = widget._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.box.model_id
    clean = _widget(queue, clean_draft("v2"))
    assert clean.override_reason.layout.display == "none" and clean.reason.layout.display is None


def test_approve_refuses_blocking_findings_until_an_override_reason_is_given(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, blocking_draft())
    widget.approve_button.click()
    assert isinstance(widget.error, pn.BlockingFindingsError)
    assert "BlockingFindingsError" in widget.status.value and "override reason" in widget.status.value
    assert queue.get(widget.draft_id).state == "drafted"
    widget.override_reason.value = "crew confirmed the Paris leg"
    widget.approve_button.click()
    item = queue.get(widget.draft_id)
    assert (item.state, item.version, widget.error) == ("approved", 2, None)
    assert item.approval is not None and item.approval.meaning == "override"
    assert item.approval.reason == "crew confirmed the Paris leg" and item.approval.reviewer_id == "alice"
    assert "Approved version 2 as Alice Smith (override: crew confirmed the Paris leg)" in widget.status.value
    assert widget.version == 2 and widget.approve_button.disabled and not widget.reject_button.disabled
    assert widget.override_reason.value == ""


def test_save_edit_makes_a_new_checked_version(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, blocking_draft(), reviewer=BOB)
    fixed = widget.text.value.replace("enjoy Paris at 3:41pm", "thank you for flying with us")
    widget.text.value = fixed
    widget.reason.value = "no invented places"
    widget.edit_button.click()
    item = queue.get(widget.draft_id)
    assert (item.state, item.version, item.text, item.blocking) == ("edited", 2, fixed, [])
    assert queue.history(item.id)[-1].reason == "no invented places"
    assert widget.text.value == fixed and "Saved version 2, checked again: 0 blocking" in widget.status.value
    assert widget.override_reason.layout.display == "none"  # the new text has no blocking finding
    widget.approve_button.click()  # the edit needs its own approval
    assert queue.get(widget.draft_id).state == "approved"


def test_approve_refuses_a_text_changed_in_the_box_but_not_saved(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, clean_draft())
    widget.text.value = widget.text.value + "\nP.S. changed"
    widget.approve_button.click()
    assert "Save edit" in widget.status.value and queue.get(widget.draft_id).state == "drafted"
    widget.reload_button.click()
    assert widget.text.value == queue.get(widget.draft_id).text
    widget.approve_button.click()
    assert queue.get(widget.draft_id).state == "approved"


def test_reject_needs_a_reason(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, clean_draft())
    widget.reject_button.click()
    assert isinstance(widget.error, pn.ReviewError) and "needs a reason" in widget.status.value
    assert queue.get(widget.draft_id).state == "drafted"
    widget.reason.value = "too formal"
    widget.reject_button.click()
    item = queue.get(widget.draft_id)
    assert (item.state, item.version) == ("rejected", 2) and queue.history(item.id)[-1].reason == "too formal"
    assert "Rejected as Alice Smith: too formal." in widget.status.value
    assert all(b.disabled for b in (widget.approve_button, widget.edit_button, widget.reject_button))


def test_a_decision_on_a_stale_version_shows_the_error_and_overwrites_nothing(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, clean_draft())
    queue.reject(widget.draft_id, BOB, version=1, reason="bob got there first")  # someone else, meanwhile
    widget.approve_button.click()  # the widget still shows version 1
    assert isinstance(widget.error, pn.StaleDraftError)
    assert (widget.error.expected_version, widget.error.current_version) == (1, 2)
    assert "StaleDraftError" in widget.status.value and "you read version 1 but it is now version 2" \
        in widget.status.value
    item = queue.get(widget.draft_id)
    assert (item.state, item.version, len(queue.history(item.id))) == ("rejected", 2, 1)
    widget.reload_button.click()
    assert (widget.version, widget.error) == (2, None)
    assert "Reloaded: version 2, rejected." in widget.status.value
    assert widget.approve_button.disabled and widget.edit_button.disabled


def test_approval_re_checks_the_moment_and_needs_the_current_history(queue: pn.ReviewQueue) -> None:
    without = _widget(queue, clean_draft(), current=None)
    without.approve_button.click()
    assert "current=history, as_of=now" in without.status.value
    assert queue.get(without.draft_id).state == "drafted"
    gone = pn.ReviewWidget(queue, without.draft_id, reviewer=ALICE,
                           current=changed_history(events=[complaint()]), as_of=LATER)
    gone.approve_button.click()
    assert isinstance(gone.error, pn.MomentGoneError) and "open_support_case" in gone.status.value
    assert queue.get(without.draft_id).state == "drafted"


def test_the_status_line_escapes_what_it_shows(queue: pn.ReviewQueue) -> None:
    widget = _widget(queue, clean_draft())
    widget.reason.value = "<script>alert(1)</script>"
    widget.reject_button.click()
    assert "<script>" not in widget.status.value and "&lt;script&gt;" in widget.status.value


def test_an_unknown_draft_is_the_queue_error(queue: pn.ReviewQueue) -> None:
    with pytest.raises(pn.DraftNotFoundError):
        pn.ReviewWidget(queue, 42, reviewer=ALICE)


def test_without_ipywidgets_the_library_imports_and_the_widget_says_what_to_install(
        queue: pn.ReviewQueue, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import sys, personalnote; print('ipywidgets' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    item = queue.submit(clean_draft(), context())
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # what an uninstalled package looks like
    with pytest.raises(pn.ConfigurationError, match=r"pip install 'personalnote\[notebook\]'"):
        pn.ReviewWidget(queue, item.id, reviewer=ALICE)
