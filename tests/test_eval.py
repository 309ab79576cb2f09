"""Reviews as regression tests: `evaluate` and `personalnote eval` replay reviewed drafts through a
prompt and a model, and report blocking findings, the distance to the approved text and the findings
reviewers fixed that come back."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import personalnote as pn
from personalnote._export import edit_distance
from personalnote.cli import main
from personalnote.testing import FakeChatModel, allowed_fact_ids, answer_for

from .support import (
    HOUSE_LINE,
    REVIEWED,
    Script,
    ScriptedServer,
    Target,
    completion,
    fixture_context,
    reviewed_queue,
)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "review.sqlite3"
    reviewed_queue(path).close()
    return path


def _clean(request: pn.ChatRequest) -> dict[str, object]:
    """A clean note for whichever milestone the request is about, in the house style."""
    milestone = next(i for i in allowed_fact_ids(request) if i.startswith("derived:milestone:"))
    found = re.search(r"Moment: milestone: (.+?) on \d", request.messages[-1]["content"])
    assert found, "a milestone's request"
    return answer_for(request, f"Congratulations, you {found.group(1)}. {HOUSE_LINE}", cite=milestone)


def test_the_stored_answers_reproduce_what_the_reviewers_saw(store: Path) -> None:
    """``model="fake"``: each draft's own answer again. The distance is the reviewed one, and every
    finding reviewers had to fix comes back: the baseline a new prompt is measured against."""
    with pn.ReviewQueue.open(store) as queue:
        report = pn.evaluate(queue, prompt="note", model="fake")
        items = {q.customer_id: q for q in queue.drafts()}
    by_customer = {d.customer_id: d for d in report.drafts}
    assert [d.decision for d in report.drafts] == ["edited", "approved", "rejected"]
    for d in report.drafts:
        assert d.distance == d.reviewed_distance and d.returned == d.fixed and d.error is None
        assert d.reviewed_prompt == "note@3" and report.prompt == "note@3" and report.model == "fake"
    flyer = by_customer["C-1001"]
    assert flyer.fixed == ("clock_time", "unsupported_detail") and flyer.blocking == flyer.fixed
    assert flyer.distance == edit_distance(items["C-1001"].draft.text, items["C-1001"].text) > 0
    assert by_customer["C-2626"].distance == 0 and by_customer["C-2626"].fixed == ()
    rejected = by_customer["C-2401"]
    assert rejected.distance is None and "clock_time" in rejected.fixed
    assert report.mean_distance() == report.mean_distance(reviewed=True) == round(flyer.distance / 2, 1)
    assert report.returned == {"clock_time": 2, "unsupported_detail": 2} and len(report.with_blocking) == 2


def test_a_better_prompt_or_model_shows_as_fewer_findings_and_a_shorter_distance(store: Path) -> None:
    fake = FakeChatModel([_clean] * 9)
    with pn.ReviewQueue.open(store) as queue:
        report = pn.evaluate(queue, prompt="note", model=fake)
        approved = {q.id: q.text for q in queue.drafts(["approved"])}
    assert report.with_blocking == [] and sum(report.returned.values()) == 0 and report.fixed == 4
    for d in report.drafts:
        assert d.text is not None and HOUSE_LINE in d.text and d.blocking == () and d.returned == ()
        if d.draft_id in approved:
            assert d.distance == edit_distance(d.text, approved[d.draft_id])
    assert report.model == "fake-model" and len(fake.requests) == 3


def test_a_draft_is_replayed_from_its_stored_context_with_its_moment_channel_and_signers(store: Path) -> None:
    fake = FakeChatModel([_clean] * 9)
    with pn.ReviewQueue.open(store) as queue:
        pn.evaluate(queue, prompt="note", model=fake)
        first = queue.drafts()[0]
    data = fake.requests[0].messages[-1]["content"]
    assert first.moment.why_now in data and "derived:milestone:L-5502" in data
    assert allowed_fact_ids(fake.requests[0])[:len(first.moment.evidence)] == first.moment.evidence


def test_a_damaged_stored_context_stops_the_replay(store: Path) -> None:
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT context FROM drafts WHERE id = 1").fetchone()
        context = json.loads(row[0])
        context["facts"][0]["text"] += " (changed)"
        db.execute("UPDATE drafts SET context = ? WHERE id = 1", (json.dumps(context),))
    with pn.ReviewQueue.open(store) as queue, pytest.raises(pn.DamagedStoreError, match="row 1 of drafts"):
        pn.evaluate(queue, prompt="note", model="fake")


def test_pending_drafts_are_not_reviews_and_draft_ids_choose(store: Path) -> None:
    with pn.ReviewQueue.open(store) as queue:
        ctx = fixture_context("anniversary")
        fake = FakeChatModel([lambda r: answer_for(r, "Ten years since your first purchase with us.")])
        draft = pn.draft_note(ctx, model=fake, max_candidates=1, prompt="note")
        assert isinstance(draft, pn.Draft)
        pending = queue.submit(draft, ctx)
        every = pn.evaluate(queue, prompt="note", model="fake").drafts
        assert pending.id not in [d.draft_id for d in every] and len(every) == 3
        chosen = pn.evaluate(queue, prompt="note", model="fake", draft_ids=[2]).drafts
        assert [d.draft_id for d in chosen] == [2]


def test_a_prompt_that_cannot_make_the_note_is_reported_not_raised(store: Path) -> None:
    with pn.ReviewQueue.open(store) as queue:
        report = pn.evaluate(queue, prompt="note", model=FakeChatModel(["not json"] * 12))
    assert all(d.error and d.error.startswith("DraftValidationError") for d in report.drafts)
    assert len(report.with_blocking) == 3 and report.mean_distance() is None


def test_style_examples_in_a_replay_are_never_the_drafts_own(store: Path) -> None:
    fake = FakeChatModel([_clean] * 9)
    with pn.ReviewQueue.open(store) as queue:
        report = pn.evaluate(queue, prompt="note", model=fake, examples=3)
        own = {q.id: q.customer_id for q in queue.drafts()}
    assert report.examples == 3
    for d in report.drafts:
        assert d.draft_id not in d.examples and all(own[e] != d.customer_id for e in d.examples)
    assert report.drafts[0].examples == (2,)  # the flyer's: Ingrid's approved note; the rejected is none
    assert "<style_examples>" in fake.requests[0].messages[-1]["content"]


def test_the_report_is_the_same_on_every_run(store: Path) -> None:
    with pn.ReviewQueue.open(store) as queue:
        first = pn.evaluate(queue, prompt="note", model="fake").to_json()
        second = pn.evaluate(queue, prompt="note", model="fake").to_json()
    assert first == second and str(store) not in first and "2026-" not in first
    assert list(json.loads(first)) == sorted(json.loads(first))


def test_eval_on_the_command_line(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 1 when a finding reviewers fixed comes back, 0 when none does; --json is the report."""
    assert main(["eval", "--store", str(store), "--prompt", "note", "--model", "fake", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    mean = out["total"]["mean_distance"]
    assert mean > 0 and out["total"] == {
        "replayed": 3, "with_blocking": 2, "mean_distance": mean, "reviewed_mean_distance": mean, "fixed": 4,
        "returned": 4, "returned_kinds": {"clock_time": 2, "unsupported_detail": 2}, "errors": 0}
    assert [d["draft_id"] for d in out["drafts"]] == [1, 2, 3]
    assert main(["eval", "--store", str(store), "--prompt", "note"], model=FakeChatModel([_clean] * 9)) == 0
    text = capsys.readouterr().out
    assert "total: 0 of 3 with blocking findings" in text
    assert "4 finding(s) reviewers fixed, 0 came back" in text
    assert main(["eval", "--store", str(store), "--prompt", "nosuch", "--model", "fake"]) == 2
    assert "no prompt named 'nosuch'" in capsys.readouterr().err


def test_eval_refuses_a_store_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = str(tmp_path / "typo.sqlite3")
    assert main(["eval", "--store", typo, "--prompt", "note", "--model", "fake"]) == 2
    assert not (tmp_path / "typo.sqlite3").exists()


def test_eval_through_an_openai_compatible_server(store: Path, scripted: Callable[[Script], ScriptedServer],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The path the cassettes replay, against a scripted local server: one request per reviewed draft."""
    bodies = {"C-1001": ("Congratulations on passing 2 million miles with SkyMiles today. " + HOUSE_LINE,
                         "derived:milestone:L-5502"),
              "C-2626": REVIEWED["earlier_notes"][:2],
              "C-2401": ("Congratulations on 5 years with Gardening Club. " + HOUSE_LINE,
                         "derived:milestone:L-2402")}
    answers = [{"body": body, "claims": [{"text": body, "fact_ids": [cite]}]}
               for body, cite in bodies.values()]
    script: Script = [(200, {}, completion(json.dumps(answer))) for answer in answers]
    server = scripted(script)
    model = pn.OpenAIChatModel("scripted", base_url=server.base_url, api_key="sk-test")
    with pn.ReviewQueue.open(store) as queue:
        report = pn.evaluate(queue, prompt="note", model=model)
    assert len(server.requests) == 3 and report.model == "scripted"
    assert [d.blocking for d in report.drafts] == [(), (), ()] and sum(report.returned.values()) == 0
    assert report.drafts[1].distance == 0 and report.drafts[0].distance is not None
    assert report.drafts[0].distance < report.drafts[0].reviewed_distance  # type: ignore[operator]


def test_the_replay_house_style_and_edit_summary_on_each_store_backend(store_url: Target) -> None:
    """The queries behind eval, the house style and the edit summary are the store's portable SQL."""
    with reviewed_queue(store_url) as queue:
        report = pn.evaluate(queue, prompt="note", model="fake", examples=3)
        assert [d.decision for d in report.drafts] == ["edited", "approved", "rejected"]
        assert report.drafts[0].returned == ("clock_time", "unsupported_detail")
        assert report.drafts[0].examples == (2,)
        assert [e.customer_id for e in pn.HouseStyle(queue).examples] == ["C-1001", "C-2626"]
        (summary,) = queue.edit_summary()
        assert summary.edited == 1 and ("at 3:41pm", 1) in summary.deleted
        assert queue.context(1).context_hash() == queue.get(1).draft.provenance.context_hash
