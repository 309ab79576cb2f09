"""draft_many with its CPU-bound work in an executor: a process pool, a thread pool, ``workers=N``.

Each run must give what the event loop alone gives: the same drafts, outcomes and queue rows; the
model is asked in the caller's process only (``SlowModel`` records every call there); resume, the
cost cap and the queue work as they do without an executor.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
from personalnote.testing import FakeChatModel

from .support import AS_OF, SlowModel, answer, numbered_flyer, quiet

Run = Callable[..., pn.BatchResult]


def _histories() -> list[pn.CustomerHistory]:
    """Flyers with a fresh milestone, two quiet customers (no note), one whose evidence cannot fit the
    prompt (an error raised in the worker) and one whose answers are never valid (re-asked here)."""
    big = numbered_flyer(3)
    events = [e.model_copy(update={"origin": "Heathrow " * 200}) if e.kind == "trip" else e
              for e in big.events]
    return [numbered_flyer(0), quiet(1), numbered_flyer(2), big.model_copy(update={"events": events}),
            numbered_flyer(4), quiet(5, do_not_contact=True), numbered_flyer(6), numbered_flyer(7)]


def _model() -> SlowModel:
    return SlowModel(fail={"C-006": "not json"})


@contextmanager
def _executor(kind: str) -> Iterator[dict[str, Any]]:
    """The keyword arguments that run a batch's work here, in a pool, or in ``workers`` processes."""
    if kind == "here":
        yield {}
    elif kind == "workers":
        yield {"workers": 2}
    else:
        pool: Executor = ProcessPoolExecutor(2) if kind == "processes" else ThreadPoolExecutor(2)
        with pool:
            yield {"executor": pool}


def _drafted(result: pn.BatchResult) -> list[tuple[str, str, str, list[str], str, int]]:
    return [(o.customer_id, o.status, o.reason, [f.kind for f in o.draft.findings] if o.draft else [],
             o.draft.text if o.draft else "", o.prompt_tokens) for o in result.outcomes]


def _rows(queue: pn.ReviewQueue) -> list[tuple[Any, ...]]:
    """The queue's drafts by customer (queue ids follow the order drafts finish in)."""
    return sorted((q.draft.customer_id, q.state, q.text, q.draft.provenance.context_hash,
                   [f.to_json_dict() for f in q.findings], [f.id for f in q.facts], q.source)
                  for q in queue.drafts())


def _run(kind: str, tmp_path: Path) -> tuple[pn.BatchResult, list[tuple[Any, ...]], SlowModel]:
    model = _model()
    with pn.ReviewQueue(tmp_path / f"{kind}.sqlite3") as queue, _executor(kind) as run_in:
        result = pn.draft_many(_histories(), as_of=AS_OF, model=model, queue=queue, progress=False,
                               max_prompt_tokens=800, concurrency=3, source="customers.jsonl",
                               **run_in)
        return result, _rows(queue), model


@pytest.mark.parametrize("kind", ["processes", "threads", "workers"])
def test_an_executor_drafts_and_queues_what_the_event_loop_does(kind: str, tmp_path: Path) -> None:
    expected, expected_rows, _ = _run("here", tmp_path)
    result, rows, model = _run(kind, tmp_path)
    assert _drafted(result) == _drafted(expected)
    assert rows == expected_rows and len(rows) == 4
    assert result.counts == expected.counts == {"drafted": 4, "requested": 0, "no_note": 2, "failed": 2,
                                                "skipped": 0, "not_started": 0}
    assert result.failures == {"ContextBudgetError": ["C-003"], "DraftValidationError": ["C-006"]}
    budget = next(o.error for o in result.outcomes if o.customer_id == "C-003")
    assert isinstance(budget, pn.ContextBudgetError) and budget.customer_id == "C-003"  # raised in a worker
    assert budget.needed > budget.budget and budget.budget <= 800  # less the fallback encoding's margin
    assert sorted(model.calls) == sorted(["C-000", "C-002", "C-004", "C-007"]
                                         + ["C-006"] * (1 + pn._constants.VALIDATION_REASKS))
    assert result.cost_usd == expected.cost_usd and result.prompt_tokens == expected.prompt_tokens


def test_a_framed_prompt_composes_in_the_worker_when_no_candidate_is_clean(tmp_path: Path) -> None:
    """No candidate is clean: the checks of each, and of the composed note, run in the pool."""
    def results(**run_in: Any) -> list[tuple[str, bool, str | None, list[int] | None]]:
        model = FakeChatModel(['{"words": "and the customer flies with us."}'] * 30)  # third person
        result = pn.draft_many([numbered_flyer(i) for i in range(3)], as_of=AS_OF, model=model,
                               progress=False, prompt="framed", **run_in)
        return [(o.draft.text, o.draft.composed, o.draft.model_candidate,
                 o.draft.provenance.candidate_blocking) for o in result.outcomes if o.draft]

    here = results()
    assert len(here) == 3 and all(composed for _, composed, _, _ in here)
    with ProcessPoolExecutor(2) as pool:
        assert results(executor=pool) == here


def test_resume_with_workers_skips_queued_customers_before_any_model_call(tmp_path: Path) -> None:
    histories = [numbered_flyer(i) for i in range(6)] + [quiet(7)]
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue, ProcessPoolExecutor(2) as pool:
        first = pn.draft_many(histories[:4], as_of=AS_OF, model=SlowModel(), queue=queue, progress=False,
                              executor=pool)
        queued = {o.customer_id: o.queue_id for o in first.with_status("drafted")}
        assert sorted(queued.values()) == [1, 2, 3, 4]  # in the order the drafts were done
        model = SlowModel()
        second = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue, progress=False,
                               executor=pool)
        assert sorted(model.calls) == ["C-004", "C-005"]
        assert {o.customer_id: o.queue_id for o in second.with_status("skipped")} == queued
        idle = FakeChatModel([])  # any call would fail the run
        third = pn.draft_many(histories, as_of=AS_OF, model=idle, queue=queue, progress=False, workers=2)
        assert idle.requests == [] and third.counts["skipped"] == 6 and third.counts["no_note"] == 1
        assert len(queue.pending()) == 6


def test_the_cost_cap_holds_with_workers() -> None:
    one = pn.draft_note(numbered_flyer(99), as_of=AS_OF, model=FakeChatModel([answer], name="gpt-4o-mini"))
    assert isinstance(one, pn.Draft) and one.provenance.cost_usd
    cap = one.provenance.cost_usd * 6
    model = SlowModel()
    result = pn.draft_many([numbered_flyer(i) for i in range(30)], as_of=AS_OF, model=model, concurrency=4,
                           max_cost_usd=cap, progress=False, workers=2)
    assert result.cost_usd is not None and result.cost_usd <= cap
    left = result.with_status("not_started")
    assert result.with_status("drafted") and left and {o.reason for o in left} == {"cost cap"}
    assert not set(model.calls) & {o.customer_id for o in left}


def test_executor_and_workers_are_checked_at_the_boundary() -> None:
    with ThreadPoolExecutor(1) as pool, pytest.raises(pn.ConfigurationError, match="not both"):
        pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(), executor=pool, workers=2)
    with pytest.raises(pn.ConfigurationError, match="at least 1"):
        pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(), workers=0)
    with pytest.raises(pn.ConfigurationError, match="concurrent.futures.Executor"):
        pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(), executor=object())  # type: ignore[typeddict-item]


@pytest.mark.parametrize("error", [
    pn.ContextBudgetError("C-1", 900, 800),
    pn.ModelAPIError("model server http://x: boom", status_code=500, retryable=True, url="http://x",
                     attempts=3),
    pn.InputFileError("customers.json", "invalid JSON", line=3),
    pn.CostCapError(1.0, 0.4, 0.7),
])
def test_errors_cross_a_process_boundary_as_themselves(error: pn.PersonalNoteError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error) and vars(again) == vars(error)
