"""Reliability of the review store: writers killed at random moments, reviewers racing each other.

Each test runs on SQLite and on PostgreSQL (conftest.py). Writers run in forked child processes
(importing personalnote in a fresh interpreter takes most of a second, so forking keeps 40 rounds
within a few seconds); each opens its own connection after the fork. The figures are printed:
run with ``-s`` to see them.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import random
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import personalnote as pn

from .support import ALICE, LATER, Target, clean_draft, flyer, flyer_context

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")

#: the suite's sizes; the larger figures in docs/review.md come from the same tests with, for example,
#: PERSONALNOTE_CRASH_ROUNDS=200 PERSONALNOTE_RACE_PROCESSES=8 PERSONALNOTE_RACE_DRAFTS=100
CRASH_ROUNDS = int(os.environ.get("PERSONALNOTE_CRASH_ROUNDS", "40"))


def _writer(path: Target, round_number: int, out_fd: int) -> None:
    """Submit and approve drafts until killed; write one line per committed write to stdout."""
    os.dup2(out_fd, 1)
    queue = pn.ReviewQueue(path)
    reviewer = pn.Reviewer("writer", "Crash Writer", "test")
    for n in range(10_000):
        draft = clean_draft(f"r{round_number}-{n}")
        item = queue.submit(draft, flyer_context())
        os.write(1, f"submit {item.id} {draft.provenance.prompt_version}\n".encode())
        approved = queue.approve(item.id, reviewer, version=1, current=flyer(), as_of=LATER)
        os.write(1, f"approve {approved.id} {approved.version} {approved.text_sha256}\n".encode())


def _one_round(path: Target, round_number: int, rng: random.Random) -> list[list[str]]:
    """Fork a writer, wait for its first acknowledged write (however slow the machine), kill it with
    SIGKILL at a random moment up to 120 ms later, and return what it acknowledged."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_fd)
            _writer(path, round_number, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    output = b""
    while b"\n" not in output:  # a child that fails closes the pipe: no hang
        chunk = os.read(read_fd, 4096)
        if not chunk:
            break
        output += chunk
    time.sleep(rng.uniform(0.0, 0.12))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with os.fdopen(read_fd, "rb") as pipe:
        output += pipe.read()
    return [line.split() for line in output.decode().splitlines()]


def test_writers_killed_at_random_moments_lose_no_acknowledged_write(store_url: Target) -> None:
    path = store_url
    pn.ReviewQueue(path).close()  # the schema exists before the first kill
    clean_draft(), flyer_context()  # built before forking
    rng = random.Random(20261120)
    acknowledged: list[list[str]] = []
    started = time.monotonic()
    for round_number in range(CRASH_ROUNDS):
        acknowledged += _one_round(path, round_number, rng)
    elapsed = time.monotonic() - started
    with pn.ReviewQueue(path) as queue:
        drafts = {item.id: item for item in queue.drafts()}
        submits = [a for a in acknowledged if a[0] == "submit"]
        approvals = [a for a in acknowledged if a[0] == "approve"]
        lost = [a for a in submits if int(a[1]) not in drafts
                or drafts[int(a[1])].draft.provenance.prompt_version != a[2]]
        lost += [a for a in approvals if int(a[1]) not in drafts or drafts[int(a[1])].approval is None
                 or (drafts[int(a[1])].version, drafts[int(a[1])].text_sha256) != (int(a[2]), a[3])]
        integrity = queue.store.integrity_check()
        approved = [d for d in drafts.values() if d.state == "approved"]
        signatures = queue.signatures()
        chain = queue.verify()
    print(f"\ncrash safety: {CRASH_ROUNDS} rounds in {elapsed:.1f} s, {len(acknowledged)} acknowledged "
          f"writes ({len(submits)} submits, {len(approvals)} approvals), {len(lost)} lost; "
          f"{len(drafts)} drafts stored, {len(approved)} approved, {len(signatures)} signatures; "
          f"integrity_check {integrity}; chain ok {chain.ok}")
    assert len(submits) >= CRASH_ROUNDS and approvals  # the writers did get work done before the kills
    assert lost == []
    assert integrity == "ok"
    assert all(d.approval is not None and d.approval.meaning == "approve" for d in approved)
    assert len(signatures) == len(approved)  # no signature without its approval, and the reverse
    assert chain.ok and chain.rows == len(signatures)


# --- concurrency ------------------------------------------------------------------------------

PROCESSES = int(os.environ.get("PERSONALNOTE_RACE_PROCESSES", "4"))
DRAFTS = int(os.environ.get("PERSONALNOTE_RACE_DRAFTS", "12"))
_ACTIONS = ("approve", "edit", "reject", "approve")


def _racer(path: Target, worker: int, draft_ids: list[int], barrier: Any, results: Any) -> None:
    queue = pn.ReviewQueue(path)
    reviewer = pn.Reviewer(f"reviewer-{worker}", f"Reviewer {worker}", "racer")
    action = _ACTIONS[worker % len(_ACTIONS)]
    for draft_id in draft_ids:
        barrier.wait(timeout=30)
        try:
            if action == "approve":
                queue.approve(draft_id, reviewer, version=1, current=flyer(), as_of=LATER)
            elif action == "edit":
                text = clean_draft().text.replace("with us", f"with us, from reviewer {worker},")
                queue.edit(draft_id, reviewer, version=1, text=text)
            else:
                queue.reject(draft_id, reviewer, version=1, reason=f"reviewer {worker} says no")
            results.put((draft_id, worker, action, "won", None))
        except pn.StaleDraftError as exc:
            results.put((draft_id, worker, action, "stale", (exc.expected_version, exc.current_version)))
        except Exception as exc:  # anything else is a failure the parent reports
            results.put((draft_id, worker, action, type(exc).__name__, str(exc)))
    queue.close()


def test_concurrent_reviewers_one_winner_per_version_and_typed_errors(store_url: Target) -> None:
    path = store_url
    with pn.ReviewQueue(path) as queue:
        ids = [queue.submit(clean_draft(f"race-{n}"), flyer_context()).id for n in range(DRAFTS)]
    flyer()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_racer, args=(path, w, ids, barrier, results))
               for w in range(PROCESSES)]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(PROCESSES * DRAFTS)]
    for process in workers:
        process.join(timeout=30)
    winners = [o for o in outcomes if o[3] == "won"]
    stale = [o for o in outcomes if o[3] == "stale"]
    print(f"\nconcurrency: {PROCESSES} processes, {len(outcomes)} attempts on {DRAFTS} drafts at version 1: "
          f"{len(winners)} winners, {len(stale)} StaleDraftError, "
          f"{len(outcomes) - len(winners) - len(stale)} other; "
          f"winning actions {sorted({o[2] for o in winners})}")
    assert [o for o in outcomes if o[3] not in ("won", "stale")] == []
    assert sorted(o[0] for o in winners) == ids  # exactly one winner per draft version
    assert all(detail == (1, 2) for *_, detail in stale) and len(stale) == (PROCESSES - 1) * DRAFTS
    with pn.ReviewQueue(path) as queue:
        for draft_id in ids:
            item = queue.get(draft_id)
            [signature] = queue.history(draft_id)
            winner = next(o for o in winners if o[0] == draft_id)
            assert item.version == 2 and signature.reviewer_id == f"reviewer-{winner[1]}"
            assert item.state == {"approve": "approved", "edit": "edited", "reject": "rejected"}[winner[2]]
        assert queue.verify().ok and queue.store.integrity_check() == "ok"
    assert all(p.exitcode == 0 for p in workers)


def test_no_database_is_locked_escapes_under_write_contention(store_url: Target) -> None:
    path = store_url
    with pn.ReviewQueue(path) as queue:
        ids = [queue.submit(clean_draft(f"hold-{n}"), flyer_context()).id for n in range(3)]
    with ExitStack() as holding, pn.ReviewQueue(path, busy_timeout_ms=200) as queue:
        holder = holding.enter_context(pn.ReviewQueue(path))
        holding.enter_context(holder.store.write())  # another writer, holding it longer than the timeout
        for draft_id in ids:
            with pytest.raises(pn.StoreBusyError) as info:
                queue.approve(draft_id, ALICE, version=1, current=flyer(), as_of=LATER)
            assert "database is locked" not in str(info.value) and "lock" not in str(info.value.detail)
        holding.close()
        assert all(queue.approve(i, ALICE, version=1, current=flyer(), as_of=LATER).state == "approved"
                   for i in ids)


def _own_drafts(path: Target, worker: int, draft_ids: list[int], barrier: Any, results: Any) -> None:
    """Reject this reviewer's own drafts, all reviewers at once: only the chain is shared."""
    queue = pn.ReviewQueue(path)
    reviewer = pn.Reviewer(f"reviewer-{worker}", f"Reviewer {worker}", "racer")
    barrier.wait(timeout=60)
    for draft_id in draft_ids:
        try:
            queue.reject(draft_id, reviewer, version=1, reason=f"reviewer {worker} says no")
            results.put((draft_id, "won", None))
        except Exception as exc:  # anything at all is a failure the parent reports
            results.put((draft_id, type(exc).__name__, str(exc)))
    queue.close()


def test_reviewers_on_different_drafts_append_to_one_unbroken_chain(store_url: Target) -> None:
    with pn.ReviewQueue(store_url) as queue:
        ids = [queue.submit(clean_draft(f"own-{n}"), flyer_context()).id for n in range(PROCESSES * 5)]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_own_drafts, args=(store_url, w, ids[w::PROCESSES], barrier, results))
               for w in range(PROCESSES)]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=120) for _ in ids]
    for process in workers:
        process.join(timeout=60)
    assert [o for o in outcomes if o[1] != "won"] == [] and sorted(o[0] for o in outcomes) == ids
    with pn.ReviewQueue(store_url) as queue:
        report = queue.verify()
        assert report.ok and report.rows == len(ids)
        assert [s.seq for s in queue.signatures()] == list(range(1, len(ids) + 1))
        assert {d.state for d in queue.drafts()} == {"rejected"}
    assert all(p.exitcode == 0 for p in workers)


def _submitter(path: Target, barrier: Any, results: Any) -> None:
    queue = pn.ReviewQueue(path)
    barrier.wait(timeout=60)
    try:
        results.put(sorted(queue.submit(clean_draft(f"same-{n}"), flyer_context()).id for n in range(6)))
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")
    queue.close()


def test_the_same_drafts_submitted_at_once_are_queued_once(store_url: Target) -> None:
    pn.ReviewQueue(store_url).close()
    clean_draft(), flyer_context()  # built before forking
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_submitter, args=(store_url, barrier, results))
               for _ in range(PROCESSES)]
    for process in workers:
        process.start()
    answers = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=60)
    with pn.ReviewQueue(store_url) as queue:
        queued = sorted(d.id for d in queue.drafts())
    assert len(queued) == 6 and answers == [queued] * PROCESSES  # every submitter got the same six ids


def _queue_bench() -> ModuleType:
    """bench/queue_concurrency.py (bench/ is not a package: loaded from its file, beside its _common)."""
    folder = Path(__file__).resolve().parent.parent / "bench"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location("queue_concurrency", folder / "queue_concurrency.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(folder))


@pytest.mark.parametrize("scenario", ["contended", "own drafts", "submit"])
def test_the_queue_bench_with_fewer_reviewers_lets_nothing_else_escape(store_url: Target,
                                                                      scenario: str) -> None:
    """What bench/queue_concurrency.py measures with 8 reviewers, with 3: every exception but
    StaleDraftError fails it, every draft is decided (or queued) once and the record verifies."""
    bench = _queue_bench()
    result = bench.run(store_url, scenario, 3, 15)
    bench.check(result)
    assert result["other"] == 0
    if scenario == "submit":
        assert result["submitted"] == result["queued"] == 15
        return
    assert result["decided"] == 15 and result["chain_ok"]
    if scenario == "own drafts":
        assert result["stale"] == 0 and result["already_decided"] == 0
    else:
        assert result["stale"] + result["already_decided"] == 2 * 15  # the two who did not win each draft
