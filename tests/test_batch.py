"""draft_many / adraft_many: bounded concurrency, isolated failures, no-note reasons, the cost cap,
resuming from the review queue, bugs surfaced, the summary and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import AS_OF, BODY, SlowModel, answer, completion, numbered_flyer, quiet


def test_concurrency_bound_is_respected_and_reached() -> None:
    model = SlowModel(delay=0.02)
    result = pn.draft_many([numbered_flyer(i) for i in range(20)], as_of=AS_OF, model=model, concurrency=3,
                           progress=False)
    assert model.max_in_flight == 3
    assert result.counts["drafted"] == 20 and sorted(model.calls) == [f"C-{i:03d}" for i in range(20)]
    assert [o.customer_id for o in result.outcomes] == [f"C-{i:03d}" for i in range(20)]  # input order


def test_failures_stay_with_their_customer_and_are_reported_with_ids() -> None:
    fail: dict[str, BaseException | str] = {
        "C-003": pn.ModelAPIError("model server error: boom", status_code=500),
        "C-005": "not json",  # invalid every time: re-asked, then DraftValidationError
    }
    model = SlowModel(fail=fail)
    histories = [numbered_flyer(i) for i in range(8)]
    result = pn.draft_many(histories, as_of=AS_OF, model=model, concurrency=4, progress=False,
                           max_prompt_tokens=1200)
    assert result.failures == {"ModelAPIError 500": ["C-003"], "DraftValidationError": ["C-005"]}
    assert result.counts["drafted"] == 6
    assert model.calls.count("C-005") == 1 + pn._constants.VALIDATION_REASKS
    failed = {o.customer_id: o for o in result.with_status("failed")}
    assert isinstance(failed["C-005"].error, pn.DraftValidationError)
    assert failed["C-005"].prompt_tokens > 0  # the invalid answers were paid for and are counted
    assert "C-003" in result.summary() and "C-005" in result.summary()


def test_context_budget_error_is_one_customers_failure() -> None:
    big = numbered_flyer(1)
    events = [e.model_copy(update={"origin": "Heathrow " * 200}) if e.kind == "trip" else e
              for e in big.events]
    histories = [numbered_flyer(0), big.model_copy(update={"events": events}), numbered_flyer(2)]
    model = SlowModel()
    result = pn.draft_many(histories, as_of=AS_OF, model=model, progress=False, max_prompt_tokens=800)
    assert result.failures == {"ContextBudgetError": ["C-001"]}
    assert "C-001" not in model.calls and result.counts["drafted"] == 2


def test_no_note_reasons_are_counted_and_cost_no_call() -> None:
    histories = [numbered_flyer(0), quiet(1), quiet(2), quiet(3, do_not_contact=True), numbered_flyer(4)]
    model = SlowModel()
    result = pn.draft_many(histories, as_of=AS_OF, model=model, progress=False)
    assert result.no_note_counts == {"no_moment": 2, "do_not_contact": 1}
    assert result.counts == {"drafted": 2, "requested": 0, "no_note": 3, "failed": 0, "skipped": 0,
                             "not_started": 0}
    assert sorted(model.calls) == ["C-000", "C-004"]
    assert "no note: no_moment 2, do_not_contact 1" in result.summary()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_cost_cap_stops_before_spending_more_than_allowed(concurrency: int) -> None:
    model = SlowModel()
    histories = [numbered_flyer(i) for i in range(30)]
    one = pn.draft_note(numbered_flyer(99), as_of=AS_OF, model=FakeChatModel([answer], name="gpt-4o-mini"))
    assert isinstance(one, pn.Draft) and one.provenance.cost_usd
    cap = one.provenance.cost_usd * 6  # room for a few worst cases, not for 30 notes
    result = pn.draft_many(histories, as_of=AS_OF, model=model, concurrency=concurrency, max_cost_usd=cap,
                           progress=False)
    assert result.cost_usd is not None and result.cost_usd <= cap
    drafted, left = result.with_status("drafted"), result.with_status("not_started")
    assert drafted and left and len(drafted) + len(left) == 30
    assert {o.reason for o in left} == {"cost cap"}
    assert not set(model.calls) & {o.customer_id for o in left}  # nothing was sent for them
    assert result.not_started["cost cap"] == [o.customer_id for o in left]
    assert "not started: cost cap" in result.summary()


def test_cost_cap_needs_a_price() -> None:
    with pytest.raises(pn.ConfigurationError, match="no price for model 'mystery'"):
        pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(name="mystery"), max_cost_usd=1.0)


def test_resume_skips_queued_customers_with_zero_model_calls(tmp_path: Path) -> None:
    histories = [numbered_flyer(i) for i in range(6)] + [quiet(7)]
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        first = pn.draft_many(histories[:4], as_of=AS_OF, model=SlowModel(), queue=queue, progress=False)
        assert [o.queue_id for o in first.with_status("drafted")] == [1, 2, 3, 4]
        model = SlowModel()
        second = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue, progress=False)
        assert sorted(model.calls) == ["C-004", "C-005"]  # only the customers not queued yet
        assert [(o.customer_id, o.queue_id) for o in second.with_status("skipped")] == [
            ("C-000", 1), ("C-001", 2), ("C-002", 3), ("C-003", 4)]
        idle = FakeChatModel([])  # any call would fail the run
        third = pn.draft_many(histories, as_of=AS_OF, model=idle, queue=queue, progress=False)
        assert idle.requests == [] and third.counts["skipped"] == 6 and third.counts["no_note"] == 1
        assert third.prompt_tokens == 0 and len(queue.pending()) == 6


def test_rejected_draft_is_drafted_again(tmp_path: Path) -> None:
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(), queue=queue, progress=False)
        queue.reject(1, pn.Reviewer("alice"), version=1, reason="too formal")
        model = SlowModel()
        again = pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=model, queue=queue, progress=False)
        assert model.calls == ["C-000"] and again.with_status("drafted")[0].queue_id == 2


def test_a_bug_is_surfaced_after_keeping_every_other_result(tmp_path: Path) -> None:
    model = SlowModel(fail={"C-002": ValueError("a bug in someone's code")})
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        with pytest.raises(pn.BatchError) as caught:
            pn.draft_many([numbered_flyer(i) for i in range(6)], as_of=AS_OF, model=model, queue=queue,
                          concurrency=1, progress=False)
        assert len(queue.pending()) == 2  # drafted before the bug, kept in the queue
    error = caught.value
    assert list(error.errors) == ["C-002"] and isinstance(error.__cause__, ValueError)
    assert error.result.counts["drafted"] == 2
    assert error.result.failures == {"unexpected ValueError": ["C-002"]}
    assert error.result.not_started == {"stopped after an unexpected error": ["C-003", "C-004", "C-005"]}


def test_draft_many_inside_a_running_loop_says_to_await() -> None:
    async def inside() -> None:
        with pytest.raises(pn.ConfigurationError, match="await personalnote.adraft_many"):
            pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel())
        result = await pn.adraft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(), progress=False)
        assert result.counts["drafted"] == 1

    asyncio.run(inside())


def test_progress_bar_and_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    result = pn.draft_many([numbered_flyer(0), quiet(1)], as_of=AS_OF, model=SlowModel(), progress=True)
    assert "drafting" in capsys.readouterr().err
    data = result.to_json_dict()
    assert data["counts"]["drafted"] == 1 and data["no_note"] == {"no_moment": 1}
    assert data["prompt_tokens"] == result.prompt_tokens > 0 and data["cost_usd"] == result.cost_usd


def test_cli_batch_over_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "customers"
    folder.mkdir()
    for i in range(3):
        (folder / f"c{i}.json").write_text(numbered_flyer(i).model_dump_json())
    (folder / "q.json").write_text(quiet(9).model_dump_json())
    model = SlowModel()
    store = tmp_path / "review.sqlite3"
    args = ["draft", str(folder), "--as-of", "2026-11-20T18:00:00Z", "--store", str(store), "--json"]
    assert main([*args, "--concurrency", "2"], model=model) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["drafted"] == 3 and out["no_note"] == {"no_moment": 1}
    with pn.ReviewQueue(store) as queue:
        assert {Path(item.source or "").name for item in queue.pending()} == {"c0.json", "c1.json", "c2.json"}
    assert main(args, model=model) == 0 and json.loads(capsys.readouterr().out)["counts"]["skipped"] == 3


def test_cli_batch_cost_cap_exits_1_with_the_summary(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "customers.jsonl"
    data.write_text("".join(numbered_flyer(i).model_dump_json() + "\n" for i in range(5)))
    code = main(["draft", str(data), "--as-of", "2026-11-20T18:00:00Z", "--max-cost", "0.0001"],
                model=SlowModel())
    out = capsys.readouterr().out
    assert code == 1 and "not started: cost cap x5" in out and "cost $0.000000 (cap $0.000100)" in out


def test_cli_duplicate_customer_in_two_files_exits_2(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(numbered_flyer(1).model_dump_json())
    assert main(["draft", str(tmp_path), "--as-of", "2026-11-20T18:00:00Z", "--model", "unused"]) == 2
    assert "duplicate customer id" in capsys.readouterr().err


def test_one_openai_model_serves_two_runs_over_kept_alive_connections(scripted: Any) -> None:
    notes = [json.dumps({"body": BODY, "claims": [{"text": "100,000 miles", "fact_ids": [f"L-00{i}"]}]})
             for i in range(2)]
    server = scripted([(200, {}, completion(note)) for note in notes])
    server.httpd.RequestHandlerClass.protocol_version = "HTTP/1.1"  # keep-alive: connections are pooled
    model = pn.OpenAIChatModel("gpt-4o-mini", base_url=server.base_url, api_key="sk-test", timeout=5)
    for i in range(2):  # each run is its own event loop; a client from the first must not be reused
        result = pn.draft_many([numbered_flyer(i)], as_of=AS_OF, model=model, progress=False)
        assert result.counts["drafted"] == 1, result.summary()
