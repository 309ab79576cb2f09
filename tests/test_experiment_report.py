"""An experiment's report: per-arm counts and rates with intervals, outcomes, the verdict, text, JSON, "
  "plot."""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import personalnote as pn
from personalnote._experiment_stats import _arm
from personalnote._export import edit_distance
from personalnote._intervals import newcombe, reviews_per_arm, wilson
from personalnote.cli import main

from .support import ARMS, Decision, experiment_queue

REASONS = ("reads like a form letter", "too long for a card", "reads like a form letter")


def _lopsided(item: pn.QueuedDraft, n: int) -> Decision:
    """note@4: approved (every third after an edit); note@3: two approved, then rejected, one pending."""
    if item.draft.provenance.arm == "note@4":
        return ("edit", "closer to the record") if n % 3 == 2 else ("approve", "")
    if n == 5:
        return None
    return ("approve", "") if n < 2 else ("reject", REASONS[n % 3])


@pytest.fixture(scope="module")
def lopsided(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pn.ReviewQueue]:
    path = tmp_path_factory.mktemp("experiment") / "review.sqlite3"
    with experiment_queue(path, 40, _lopsided, days=4) as queue:
        yield queue


def test_each_arm_counts_what_the_reviewers_did(lopsided: pn.ReviewQueue) -> None:
    report = lopsided.experiment("wording")
    items = lopsided.drafts()
    assert [a.arm for a in report.arms] == ["note@3", "note@4"] and report.drafts == 40
    for arm in report.arms:
        mine = [i for i in items if pn.assign_arm("wording", i.customer_id, ARMS) == arm.arm]
        approved = [i for i in mine if i.state == "approved"]
        edited = [i for i in approved if i.edited]
        rejected = [i for i in mine if i.state == "rejected"]
        assert (arm.drafts, arm.pending) == (len(mine), sum(i.state == "drafted" for i in mine))
        assert (arm.approved_unchanged, arm.approved_edited, arm.rejected) == (
            len(approved) - len(edited), len(edited), len(rejected))
        decided = len(approved) + len(rejected)
        assert arm.unchanged == pn.Rate(len(approved) - len(edited), decided,
                                        wilson(len(approved) - len(edited), decided))
        assert arm.approved.count == len(approved) and arm.went_out == len(approved)
        distances = [edit_distance(i.draft.text, i.text) for i in edited]
        assert arm.mean_edit_distance == (sum(distances) / len(distances) if distances else None)
    three = report.arms[0]
    assert three.approved_edited == 0 and three.pending == 1 and three.rejected == three.drafts - 3
    assert three.reject_reasons[0][0] == "reads like a form letter"
    expected = {r: sum(1 for n in range(2, three.drafts) if n != 5 and REASONS[n % 3] == r) for r in REASONS}
    assert dict(three.reject_reasons) == expected


def test_a_clear_difference_is_said_in_plain_words(lopsided: pn.ReviewQueue) -> None:
    report = lopsided.experiment("wording")
    three, four = report.arms
    interval = newcombe(four.unchanged.count, four.unchanged.total, three.unchanged.count,
                        three.unchanged.total)
    assert report.comparison is not None and report.comparison.clear and report.needed_per_arm is None
    assert report.verdict == (
        f"arm note@4 was approved unchanged more often, {four.unchanged.value:.0%} against "
        f"{three.unchanged.value:.0%}; 95% interval of the difference {round(interval.low * 100)} to "
        f"{round(interval.high * 100)} points; n = {three.decided + four.decided}")


def test_the_timeline_is_cumulative_per_day(lopsided: pn.ReviewQueue) -> None:
    for arm in lopsided.experiment("wording").arms:
        days = [p.day for p in arm.timeline]
        totals = [p.unchanged.total for p in arm.timeline]
        assert len(days) >= 3 and days == sorted(set(days)) and totals == sorted(totals)
        assert arm.timeline[-1].unchanged == arm.unchanged and arm.timeline[-1].approved == arm.approved


def test_arms_are_compared_on_outcomes(tmp_path: Path) -> None:
    with experiment_queue(tmp_path / "review.sqlite3", 30, lambda item, n: ("approve", "")) as queue:
        replied = {}
        for item in queue.drafts():
            arm = item.draft.provenance.arm
            if arm == "note@4" or item.id % 4 == 0:
                queue.record_outcome(item.id, "replied")
                replied[arm] = replied.get(arm, 0) + 1
        queue.record_outcome(queue.drafts()[0].id, "thanked")
        report = queue.experiment("wording")
    for arm in report.arms:
        assert arm.outcomes["replied"].count == replied.get(arm.arm, 0)
        assert arm.outcomes["replied"].total == arm.went_out == arm.drafts
        assert set(arm.outcomes) == {"replied", "thanked"}  # every kind recorded in the experiment
    [replies] = [c for c in report.outcome_comparisons if c.metric == "replied"]
    assert replies.leader == "note@4" and replies.leader_rate.value == 1.0
    assert "outcome replied: arm note@4" in report.text()


def test_not_enough_reviews_says_how_many_more_per_arm(tmp_path: Path) -> None:
    def first_two(item: pn.QueuedDraft, n: int) -> Decision:
        return ("approve", "") if n < 2 else None

    with experiment_queue(tmp_path / "review.sqlite3", 10, first_two) as queue:
        report = queue.experiment("wording")
    assert all(a.decided == 2 for a in report.arms)
    needed = reviews_per_arm(1.0, 0.10)
    assert report.needed_per_arm == needed
    assert report.verdict.startswith(f"not enough reviews yet: about {needed - 2} more per arm to tell a "
                                     "10-point difference; so far")


def test_enough_reviews_and_no_clear_difference(tmp_path: Path) -> None:
    with experiment_queue(tmp_path / "review.sqlite3", 48,
                          lambda item, n: ("approve", "") if n % 2 else ("reject", "no")) as queue:
        report = queue.experiment("wording", min_difference=0.5)
    assert min(a.decided for a in report.arms) >= reviews_per_arm(0.5, 0.5) == report.needed_per_arm
    assert report.comparison is not None and not report.comparison.clear
    assert report.verdict.startswith("no clear difference: arm ")
    assert report.verdict.endswith("n = 48, enough to tell a 50-point difference")


def test_requested_changes_are_the_request_change_signatures() -> None:
    rows = [{"id": 1, "state": "approved", "text": "a", "model_text": "a"},
            {"id": 2, "state": "drafted", "text": "b", "model_text": "b"}]
    signatures = {1: [{"meaning": "request_change", "reason": "the flight", "signed_at": "2026-11-21"},
                      {"meaning": "approve", "reason": None, "signed_at": "2026-11-22"}],
                  2: [{"meaning": "request_change", "reason": "shorter", "signed_at": "2026-11-21"},
                      {"meaning": "request_change", "reason": "shorter still", "signed_at": "2026-11-21"}]}
    arm = _arm("note@4", rows, signatures, {}, [], 0.95)
    assert arm.requested_changes == 3 and arm.approved_unchanged == 1 and arm.pending == 1


def test_the_report_as_text_json_and_html(lopsided: pn.ReviewQueue, tmp_path: Path) -> None:
    report = lopsided.experiment("wording")
    text = report.text()
    assert text.startswith("experiment wording: 40 draft(s) in 2 arms")
    assert re.search(r"approved unchanged\s+2 of \d+: \d+% \(\d+% to \d+%\)\s+\d+ of \d+", text)
    assert f"verdict: {report.verdict}" in text
    assert "top reject reasons, note@3: reads like a form letter" in text
    assert "Wilson score interval" in text and "Newcombe hybrid score interval" in text
    assert "Cohen's h" in text
    data = json.loads(json.dumps(report.to_json_dict()))
    assert data["verdict"] == report.verdict and data["arms"][1]["arm"] == "note@4"
    assert data["methods"] == {"proportion": "Wilson score interval",
                               "difference": "Newcombe hybrid score interval (method 10, 1998)",
                               "reviews needed": "two-sided z-test on Cohen's h (arcsine difference)"}
    html = report._repr_html_()
    image = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert image and base64.b64decode(image.group(1)).startswith(b"\x89PNG")
    assert 'class="pn-verdict"' in html and "note@4" in html
    for suffix in ("png", "svg"):
        saved = report.save_plot(tmp_path / f"report.{suffix}")
        assert saved.stat().st_size > 1000
    assert (tmp_path / "report.svg").read_text().lstrip().startswith("<?xml")


def test_an_unknown_experiment_lists_the_store_s(lopsided: pn.ReviewQueue) -> None:
    assert lopsided.experiments() == ["wording"]
    with pytest.raises(pn.ArgumentError, match=r"its experiments: \['wording'\]"):
        lopsided.experiment("wordnig")


def test_the_cli_prints_the_same_report(lopsided: pn.ReviewQueue, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(lopsided.path)
    assert main(["stats", "--experiment", "wording", "--store", store]) == 0
    assert capsys.readouterr().out == lopsided.experiment("wording").text() + "\n"
    assert main(["stats", "--experiment", "wording", "--store", store, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(lopsided.experiment("wording")
                                                                        .to_json_dict()))
    assert main(["stats", "--experiment", "nope", "--store", store]) == 2
    assert "its experiments: ['wording']" in capsys.readouterr().err


def test_without_matplotlib_the_plot_says_what_to_install(lopsided: pn.ReviewQueue,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    report = lopsided.experiment("wording")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(pn.ConfigurationError, match=r"personalnote\[notebook\]"):
        report.figure()
