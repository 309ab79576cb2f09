"""draft_many on a real Dask cluster: LocalCluster, 2 worker processes, loopback only, no dashboard.

The workers build each customer's context, moments and prompt and check each candidate; the
model (scripted, in this process), the cost cap and the review queue stay here. Resume, the cost
cap and queueing are asserted across the workers, and the drafts equal those made in one process.
Nothing here depends on speed: no timed assertion, and generous timeouts for the cluster to start.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dask
import distributed
import pytest

import personalnote as pn
from personalnote import _batch_work, _detectors, _draft, _engine_dask
from personalnote.cli import main
from personalnote.testing import FakeChatModel, answer_for

from .support import ARMS, AS_OF, FIXTURES, SlowModel, answer, numbered_flyer, quiet

#: seconds for the cluster to start and the workers to join, on a slow, loaded machine
STARTUP = 600
#: no dashboard; the scheduler's own HTTP routes on a free loopback port (8787 may be taken)
LOOPBACK_HTTP = {"dashboard_address": "127.0.0.1:0"}


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """One LocalCluster for the module: 2 single-threaded worker processes."""
    timeouts = {"distributed.comm.timeouts.connect": f"{STARTUP}s",
                "distributed.comm.timeouts.tcp": f"{STARTUP}s"}
    with dask.config.set(timeouts):
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      dashboard_address=None, host="127.0.0.1", timeout=STARTUP,
                                      scheduler_kwargs=LOOPBACK_HTTP) as cluster:
            with distributed.Client(cluster, timeout=STARTUP, set_as_default=False) as dask_client:
                dask_client.wait_for_workers(2, timeout=STARTUP)
                yield dask_client


@pytest.fixture
def submits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, str]]:
    """Every write of a draft to a ReviewQueue in this process: (process id, thread id, customer id)."""
    calls: list[tuple[int, int, str]] = []
    write = pn.ReviewQueue._submit_checked  # where submit and a batch's writer both write

    def recorded(queue: pn.ReviewQueue, draft: pn.Draft, *args: Any) -> Any:
        calls.append((os.getpid(), threading.get_ident(), draft.customer_id))
        return write(queue, draft, *args)

    monkeypatch.setattr(pn.ReviewQueue, "_submit_checked", recorded)
    return calls


def tasks_by_function(stream: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The workers each function's tasks ran on, from a Dask task stream (keys: ``name-uuid``)."""
    ran: dict[str, list[str]] = {}
    for task in stream:
        ran.setdefault(str(task["key"]).split("-", 1)[0], []).append(task["worker"])
    return ran


def test_workers_do_the_cpu_work_and_this_process_queues_each_draft_once(
        client: distributed.Client, submits: list[tuple[int, int, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    histories = [numbered_flyer(i) for i in range(12)] + [quiet(20), quiet(21, do_not_contact=True)]
    with pn.ReviewQueue(tmp_path / "alone.sqlite3") as queue:
        alone = pn.draft_many(histories, as_of=AS_OF, model=SlowModel(), queue=queue, progress=False)
        queued_alone = queue.pending()
    submits.clear()
    workers = set(client.scheduler_info()["workers"])

    def here(*args: Any) -> Any:
        raise AssertionError("planned or checked in this process, not on a worker")

    # in this process, planning and the checks fail: every customer and every candidate is the workers'
    monkeypatch.setattr(_batch_work, "plan_customer", here)
    monkeypatch.setattr(_draft.CheckStep, "run", here)
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue, pn.dask_executor(client) as executor:
        with distributed.get_task_stream(client) as stream:
            result = pn.draft_many(histories, as_of=AS_OF, model=SlowModel(), queue=queue, concurrency=6,
                                   executor=executor, progress=False)
        pending = queue.pending()
    ran = tasks_by_function(stream.data)
    assert set(ran) == {"plan_chunk", "check_chunk"}  # in chunks: what the event loop had ready at once
    assert {worker for tasks in ran.values() for worker in tasks} <= workers
    assert result.counts["drafted"] == 12 and result.no_note_counts == {"no_moment": 1, "do_not_contact": 1}
    assert result.drafts == alone.drafts  # the same drafts as in one process, checks and all
    assert sorted((i.customer_id, i.text_sha256, i.findings, i.facts) for i in pending) == sorted(
        (i.customer_id, i.text_sha256, i.findings, i.facts) for i in queued_alone)  # and queued alike
    # queued exactly once each, by one writer thread of this process, and the outcomes say where
    assert sorted(item.customer_id for item in pending) == [f"C-{i:03d}" for i in range(12)]
    assert sorted(c for _, _, c in submits) == [f"C-{i:03d}" for i in range(12)]
    assert {(pid, thread) for pid, thread, _ in submits} == {(os.getpid(), submits[0][1])}
    assert submits[0][1] != threading.main_thread().ident
    assert {o.customer_id: o.queue_id for o in result.with_status("drafted")} == {
        item.customer_id: item.id for item in pending}


def test_resume_across_workers_skips_what_one_process_queued(client: distributed.Client,
                                                             tmp_path: Path) -> None:
    histories = [numbered_flyer(i) for i in range(8)]
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue, pn.dask_executor(client) as executor:
        pn.draft_many(histories[:4], as_of=AS_OF, model=SlowModel(), queue=queue, progress=False)
        model = SlowModel()
        second = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue, executor=executor,
                               progress=False)
        assert sorted(model.calls) == ["C-004", "C-005", "C-006", "C-007"]  # the keys agree across processes
        assert [(o.customer_id, o.queue_id) for o in second.with_status("skipped")] == [
            ("C-000", 1), ("C-001", 2), ("C-002", 3), ("C-003", 4)]
        idle = FakeChatModel([], name="gpt-4o-mini")  # any model call would fail the run
        third = pn.draft_many(histories, as_of=AS_OF, model=idle, queue=queue, executor=executor,
                              progress=False)
        assert idle.requests == [] and third.counts["skipped"] == 8 and third.prompt_tokens == 0
        assert sorted(item.id for item in queue.pending()) == list(range(1, 9))


def test_the_cost_cap_holds_across_workers(client: distributed.Client, tmp_path: Path) -> None:
    one = pn.draft_note(numbered_flyer(99), as_of=AS_OF, model=FakeChatModel([answer], name="gpt-4o-mini"))
    assert isinstance(one, pn.Draft) and one.provenance.cost_usd
    cap = one.provenance.cost_usd * 6  # room for a few worst cases, not for 30 notes
    model = SlowModel()
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        result = pn.draft_many([numbered_flyer(i) for i in range(30)], as_of=AS_OF, model=model,
                               queue=queue, concurrency=4, max_cost_usd=cap, executor=client.get_executor(),
                               progress=False)
        queued = sorted(item.customer_id for item in queue.pending())
    assert result.cost_usd is not None and result.cost_usd <= cap
    drafted, left = result.with_status("drafted"), result.with_status("not_started")
    assert drafted and left and len(drafted) + len(left) == 30 and not result.failures
    assert {o.reason for o in left} == {"cost cap"}
    assert not set(model.calls) & {o.customer_id for o in left}  # nothing was sent for them
    assert queued == sorted(o.customer_id for o in drafted)


def test_an_applications_detector_runs_on_the_workers(client: distributed.Client) -> None:
    before = pn.registered_detectors()

    def always(ctx: pn.CustomerContext, policy: pn.MomentPolicy) -> Iterator[pn.Moment]:
        yield pn.Moment(kind="always", key="always", at=ctx.as_of, evidence=["derived:relationship"],
                        strength=1.0, why_now="a detector registered in the caller's process",
                        fresh_for=timedelta(days=1))

    try:
        pn.register_detector("always")(always)  # a closure: only this process has it registered
        model = FakeChatModel([lambda request: answer_for(request, "Thank you for flying with us.")] * 3,
                              name="gpt-4o-mini")
        with pn.dask_executor(client) as executor:
            result = pn.draft_many([numbered_flyer(i) for i in range(3)], as_of=AS_OF, model=model,
                                   moment="always", max_candidates=1, executor=executor, progress=False)
    finally:
        _detectors._REGISTRY.clear()
        _detectors._REGISTRY.update(before)
    assert result.counts["drafted"] == 3, result.summary()
    assert {d.moment.kind for d in result.drafts} == {"always"}


def test_a_customers_error_comes_back_from_a_worker_as_itself(client: distributed.Client) -> None:
    big = numbered_flyer(1)
    events = [e.model_copy(update={"origin": "Heathrow " * 200}) if e.kind == "trip" else e
              for e in big.events]
    histories = [numbered_flyer(0), big.model_copy(update={"events": events}), numbered_flyer(2)]
    with pn.dask_executor(client) as executor:
        result = pn.draft_many(histories, as_of=AS_OF, model=SlowModel(), max_prompt_tokens=800,
                               executor=executor, progress=False)
    assert result.failures == {"ContextBudgetError": ["C-001"]} and result.counts["drafted"] == 2
    error = result.with_status("failed")[0].error
    assert isinstance(error, pn.ContextBudgetError) and error.customer_id == "C-001" and error.budget < 800


def test_errors_pickle_as_themselves() -> None:
    errors: list[pn.PersonalNoteError] = [
        pn.ContextBudgetError("C-1", 900, 800), pn.ModelAPIError("boom", status_code=503, retryable=True),
        pn.StaleDraftError(7, 1, 2, "approved"), pn.CostCapError(1.0, 0.9, 0.2),
        pn.ArgumentError("channel", "fax", "a channel", caller="draft_note")]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__


def test_workers_running_other_code_are_refused(client: distributed.Client,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_engine_dask, "_code_digest", lambda: "0123456789abcdef")  # this process only
    with pytest.raises(pn.ConfigurationError) as caught:
        with pn.dask_executor(client):
            raise AssertionError("not reached")
    message = str(caught.value)
    for worker in client.scheduler_info()["workers"]:
        assert f"{worker}: personalnote code" in message and "(here '0123456789abcdef')" in message


def test_dask_executor_starts_and_closes_a_local_cluster() -> None:
    with pn.dask_executor(workers=1, timeout=STARTUP) as executor:
        result = pn.draft_many([numbered_flyer(0), quiet(1)], as_of=AS_OF, model=SlowModel(),
                               executor=executor, progress=False)
        assert result.counts["drafted"] == 1 and result.counts["no_note"] == 1
    with pytest.raises(RuntimeError):
        executor.submit(print)  # shut down with its cluster


def test_an_executor_must_be_an_executor_and_a_cluster_a_cluster() -> None:
    with pytest.raises(pn.ConfigurationError, match="concurrent.futures.Executor"):
        pn.draft_many([numbered_flyer(0)], as_of=AS_OF, model=SlowModel(),
                      executor="tcp://127.0.0.1:8786")  # type: ignore[typeddict-item]
    with pytest.raises(pn.ConfigurationError, match="scheduler address"):
        with pn.dask_executor(8786):
            raise AssertionError("not reached")


def test_the_cli_drafts_on_a_scheduler_given_by_address(client: distributed.Client, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "customers.jsonl"
    data.write_text("".join(h.model_dump_json() + "\n" for h in [*map(numbered_flyer, range(4)), quiet(9)]))
    store = tmp_path / "review.sqlite3"
    args = ["draft", str(data), "--as-of", "2026-11-20T18:00:00Z", "--store", str(store), "--json",
            "--dask", client.scheduler.address]
    assert main(args, model=SlowModel()) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["drafted"] == 4
    idle = FakeChatModel([], name="gpt-4o-mini")
    assert main(args, model=idle) == 0 and idle.requests == []
    assert json.loads(capsys.readouterr().out)["counts"]["skipped"] == 4
    with pn.ReviewQueue(store) as queue:
        assert sorted(item.customer_id for item in queue.pending()) == [f"C-{i:03d}" for i in range(4)]
    assert main([*args[:-1], "local:0"], model=SlowModel()) == 2
    assert "--dask local:0" in capsys.readouterr().err


def test_every_fixture_customer_comes_out_the_same_across_workers(client: distributed.Client) -> None:
    customers = pn.load(FIXTURES / "customers.jsonl").customers

    def model() -> FakeChatModel:
        return FakeChatModel([lambda r: answer_for(r, "Thank you for being with us all these years.")] * 60,
                             name="gpt-4o-mini")

    alone = pn.draft_many(customers, as_of=AS_OF, model=model(), concurrency=8, progress=False)
    with pn.dask_executor(client) as executor:
        spread = pn.draft_many(customers, as_of=AS_OF, model=model(), concurrency=8, executor=executor,
                               progress=False)
    assert alone.counts["drafted"] and alone.counts["no_note"]  # both paths are exercised
    assert [(o.customer_id, o.status, o.reason, o.no_note_reasons) for o in spread.outcomes] == [
        (o.customer_id, o.status, o.reason, o.no_note_reasons) for o in alone.outcomes]
    assert spread.drafts == alone.drafts


def test_an_experiments_arms_are_drafted_on_the_workers(client: distributed.Client, tmp_path: Path) -> None:
    arms = ARMS
    histories = [numbered_flyer(i) for i in range(12)]
    model = FakeChatModel([answer] * 12, name="gpt-4o-mini")
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as queue:
        with pn.dask_executor(client) as executor:
            spread = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue, prompts=arms,
                                   experiment="wording", executor=executor, progress=False)
        assert spread.counts["drafted"] == 12
        again = pn.draft_many(histories, as_of=AS_OF, model=FakeChatModel([]), queue=queue, prompts=arms,
                              experiment="wording", progress=False)  # in one process: the same arms
        assert again.counts["skipped"] == 12
        rows = queue.store.query("SELECT customer_id, arm FROM drafts")
    assert {r["customer_id"]: r["arm"] for r in rows} == {
        h.customer.id: pn.assign_arm("wording", h.customer.id, arms) for h in histories}
    assert {r["arm"] for r in rows} == set(arms)  # both arms drafted
