"""Reliability of the review store: writers killed at random moments, reviewers racing each other.

Writers run in forked child processes (importing personalnote in a fresh interpreter takes
most of a second, so forking keeps 40 rounds within a few seconds). The figures are printed:
run with ``-s`` to see them.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn

from .support import ALICE, LATER, clean_draft, flyer, flyer_context

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")

#: the suite's sizes; the larger figures in docs/review.md come from the same tests with, for example,
#: PERSONALNOTE_CRASH_ROUNDS=200 PERSONALNOTE_RACE_PROCESSES=8 PERSONALNOTE_RACE_DRAFTS=100
CRASH_ROUNDS = int(os.environ.get("PERSONALNOTE_CRASH_ROUNDS", "40"))


def _writer(path: Path, round_number: int, out_fd: int) -> None:
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


def _one_round(path: Path, round_number: int, rng: random.Random) -> list[list[str]]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_fd)
            _writer(path, round_number, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    time.sleep(rng.uniform(0.0, 0.12))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with os.fdopen(read_fd, "rb") as pipe:
        output = pipe.read().decode()
    return [line.split() for line in output.splitlines()]


def test_writers_killed_at_random_moments_lose_no_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
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


def _racer(path: Path, worker: int, draft_ids: list[int], barrier: Any, results: Any) -> None:
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


def test_concurrent_reviewers_one_winner_per_version_and_typed_errors(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite3"
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


def test_no_database_is_locked_escapes_under_write_contention(tmp_path: Path) -> None:
    path = tmp_path / "contended.sqlite3"
    with pn.ReviewQueue(path) as queue:
        ids = [queue.submit(clean_draft(f"hold-{n}"), flyer_context()).id for n in range(3)]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holding the lock for longer than the timeout
    with pn.ReviewQueue(path, busy_timeout_ms=200) as queue:
        for draft_id in ids:
            with pytest.raises(pn.StoreBusyError) as info:
                queue.approve(draft_id, ALICE, version=1, current=flyer(), as_of=LATER)
            assert "database is locked" not in str(info.value)
        holder.execute("ROLLBACK")
        holder.close()
        assert all(queue.approve(i, ALICE, version=1, current=flyer(), as_of=LATER).state == "approved"
                   for i in ids)
