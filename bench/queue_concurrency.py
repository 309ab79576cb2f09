"""Reviewers sharing one review queue: 8 processes deciding at once, on SQLite and on PostgreSQL.

Each run starts from a new store holding ``--drafts`` drafts (the flyer's 2-million-mile card
under as many prompt versions) and forks ``--processes`` reviewer processes, each with its own
connection, released together by a barrier. Two scenarios on each backend:

- ``contended``: every reviewer goes through all the drafts in its own random order, reads each
  (``get``) and, if it is still waiting (``drafted``), decides on the version it read: approve
  (which re-checks the moment on the customer's history), edit, or reject, in turn. Two
  reviewers who read the same version race: one wins, the other gets ``StaleDraftError``. A draft
  read after someone decided it is counted as "already decided" and left alone.
- ``own drafts``: each reviewer decides its own share, so no two decide the same draft: only the
  signature chain (one append per decision) is shared.

And a batch job's side: ``--drafts`` drafts queued (``submit``, which checks each draft) by one
process, then by ``--processes`` processes each queueing its share.

Figures: decisions committed, wall seconds from the barrier to the last reviewer done, decisions
per second, ``StaleDraftError``s, drafts found already decided, the CPU seconds the reviewer
processes used and, for PostgreSQL, the CPU its server processes used (on this machine, beside
them), and any other exception: there
must be none, and the script fails if one escapes, or if a draft is not decided exactly once, or
if the signature record does not verify afterwards. PostgreSQL is a server of the run's own
(``personalnote.testing.TemporaryPostgres``: initdb into a temporary folder, a unix socket; fsync on).

Run: bash bench/run queue_concurrency   (or .venv/bin/python bench/queue_concurrency.py;
writes bench/results/queue_concurrency.json; needs personalnote[postgres] and PostgreSQL's programs)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, machine, machine_line, table, write_result

import personalnote as pn
from personalnote.testing import FakeChatModel, TemporaryPostgres

AS_OF = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
LATER = AS_OF + timedelta(hours=1)
BODY = {"body": "Congratulations on passing 2 million miles with us on today's flight to JFK.",
        "claims": [{"text": "passed 2 million miles", "fact_ids": ["derived:milestone:L-5502"]},
                   {"text": "today's flight to JFK", "fact_ids": ["T-8002"]}]}
ACTIONS = ("approve", "edit", "reject")


def _flyer() -> tuple[pn.CustomerHistory, pn.CustomerContext, pn.Draft]:
    history = pn.load(ROOT / "fixtures" / "customers" / "flyer_2m_miles.json").customers[0]
    context = pn.build_context(history, AS_OF)
    draft = pn.draft_note(context, model=FakeChatModel([BODY]), signers=[pn.Signer("Captain")],
                          max_candidates=1)
    assert isinstance(draft, pn.Draft)
    return history, context, draft


HISTORY, CONTEXT, DRAFT = _flyer()


def _variant(n: int) -> pn.Draft:
    provenance = DRAFT.provenance.model_copy(update={"prompt_version": f"bench-{n}"})
    return DRAFT.model_copy(update={"provenance": provenance})


def _fill(target: str | Path, drafts: int) -> list[int]:
    with pn.ReviewQueue(target) as queue:
        return [queue.submit(_variant(n), CONTEXT).id for n in range(drafts)]


def reviewer(target: str | Path, worker: int, ids: list[int], barrier: Any, results: Any) -> None:
    """One reviewer process: read each draft, decide it if it still waits; report what happened."""
    counts: Counter[str] = Counter()
    queue = pn.ReviewQueue(target)
    me = pn.Reviewer(f"reviewer-{worker}", f"Reviewer {worker}", "bench")
    edited = DRAFT.text.replace("with us", f"with us, from reviewer {worker},")
    barrier.wait(timeout=600)
    started, cpu = time.monotonic(), time.process_time()
    for n, draft_id in enumerate(ids):
        try:
            item = queue.get(draft_id)
            if item.state != "drafted":
                counts["already decided"] += 1
                continue
            action = ACTIONS[(worker + n) % len(ACTIONS)]
            if action == "approve":
                queue.approve(draft_id, me, version=item.version, current=HISTORY, as_of=LATER)
            elif action == "edit":
                queue.edit(draft_id, me, version=item.version, text=edited)
            else:
                queue.reject(draft_id, me, version=item.version, reason=f"reviewer {worker} says no")
            counts["decided"] += 1
        except pn.StaleDraftError:
            counts["stale"] += 1
        except Exception as exc:  # anything else escaping is what the bench must show
            counts[f"other: {type(exc).__name__}: {str(exc)[:160]}"] += 1
    finished, cpu = time.monotonic(), time.process_time() - cpu
    queue.close()
    results.put((worker, started, finished, {**counts, "cpu": cpu}))


def submitter(target: str | Path, worker: int, numbers: list[int], barrier: Any, results: Any) -> None:
    """One process of a batch job: queue the drafts numbered ``numbers`` (each checked on submit)."""
    counts: Counter[str] = Counter()
    queue = pn.ReviewQueue(target)
    barrier.wait(timeout=600)
    started, cpu = time.monotonic(), time.process_time()
    for n in numbers:
        try:
            queue.submit(_variant(n), CONTEXT)
            counts["submitted"] += 1
        except Exception as exc:
            counts[f"other: {type(exc).__name__}: {str(exc)[:160]}"] += 1
    finished, cpu = time.monotonic(), time.process_time() - cpu
    queue.close()
    results.put((worker, started, finished, {**counts, "cpu": cpu}))


def _server_cpu(server_pid: int | None) -> float:
    """CPU seconds of the PostgreSQL server's ended backends (the postmaster's reaped children)."""
    if server_pid is None:
        return 0.0
    fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


def run(target: str | Path, scenario: str, processes: int, drafts: int,
        server_pid: int | None = None) -> dict[str, Any]:
    """One scenario on a new, empty store at ``target``: the counts, the time, the chain afterwards;
    with ``server_pid`` (PostgreSQL's postmaster), the CPU its backends used."""
    ids = list(range(drafts)) if scenario == "submit" else _fill(target, drafts)
    server_before = _server_cpu(server_pid)
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(processes), context.Queue()
    shares = ([random.Random(w).sample(ids, len(ids)) for w in range(processes)] if scenario == "contended"
              else [ids[w::processes] for w in range(processes)])
    work = submitter if scenario == "submit" else reviewer
    workers = [context.Process(target=work, args=(target, w, shares[w], barrier, results))
               for w in range(processes)]
    for process in workers:
        process.start()
    reports = [results.get(timeout=3600) for _ in workers]
    for process in workers:
        process.join(timeout=600)
    time.sleep(0.5)  # the backends of the reviewers' closed connections exit and are reaped
    server_cpu = _server_cpu(server_pid) - server_before
    totals: Counter[str] = Counter()
    client_cpu = 0.0
    for _, _, _, counts in reports:
        client_cpu += counts.pop("cpu")
        totals.update(counts)
    wall = max(r[2] for r in reports) - min(r[1] for r in reports)
    other = {k: v for k, v in totals.items() if k.startswith("other")}
    with pn.ReviewQueue(target) as queue:
        report = queue.verify()
        states = Counter(d.state for d in queue.drafts())
    if scenario == "submit":
        return {"scenario": scenario, "processes": processes, "drafts": drafts,
                "submitted": totals["submitted"], "queued": sum(states.values()),
                "other": sum(other.values()),
                "other_kinds": other, "wall_s": round(wall, 3),
                "submits_per_s": round(totals["submitted"] / wall, 1) if wall else None,
                "writers_cpu_s": round(client_cpu, 2),
                "server_cpu_s": round(server_cpu, 2) if server_pid else None,
                "exit_codes": [p.exitcode for p in workers]}
    return {"scenario": scenario, "processes": processes, "drafts": drafts, "decided": totals["decided"],
            "stale": totals["stale"], "already_decided": totals["already decided"],
            "other": sum(other.values()), "other_kinds": other, "wall_s": round(wall, 3),
            "decisions_per_s": round(totals["decided"] / wall, 1) if wall else None,
            "reviewers_cpu_s": round(client_cpu, 2),
            "server_cpu_s": round(server_cpu, 2) if server_pid else None,
            "chain_ok": report.ok, "chain_rows": report.rows, "states": dict(states),
            "exit_codes": [p.exitcode for p in workers]}


def check(result: dict[str, Any]) -> None:
    """Nothing else escapes; every draft decided (or queued) exactly once; the record verifies."""
    assert result["other"] == 0, f"exceptions other than StaleDraftError escaped: {result['other_kinds']}"
    if result["scenario"] == "submit":
        assert result["submitted"] == result["queued"] == result["drafts"], result
        assert result["exit_codes"] == [0] * result["processes"], result
        return
    assert result["decided"] == result["drafts"] == result["chain_rows"], result
    assert result["chain_ok"] and result["states"].get("drafted", 0) == 0, result
    assert result["exit_codes"] == [0] * result["processes"], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--drafts", type=int, default=400)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write bench/results")
    args = parser.parse_args()
    backends = args.backends.split(",")
    rows, submits, runs = [], [], []
    plan = [("contended", args.processes), ("own drafts", args.processes), ("submit", 1),
            ("submit", args.processes)]
    with tempfile.TemporaryDirectory(prefix="pn-queue-bench-") as folder:
        server = TemporaryPostgres().start() if "postgresql" in backends else None
        try:
            for backend in backends:
                for scenario, processes in plan:
                    pid = None
                    if backend == "postgresql":
                        assert server is not None and server.folder is not None
                        schema = server.new_schema("bench")
                        pn.init_postgres_store(server.url("owner", schema=schema), app_role=server.app)
                        target: str | Path = server.url("app", schema=schema)
                        pid = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
                    else:
                        target = Path(folder) / f"{scenario.replace(' ', '-')}-{processes}.sqlite3"
                    result = {"backend": backend, **run(target, scenario, processes, args.drafts, pid)}
                    check(result)
                    runs.append(result)
                    if scenario == "submit":
                        submits.append([backend, processes, result["submitted"], result["wall_s"],
                                        result["submits_per_s"], result["other"], result["writers_cpu_s"],
                                        "-" if pid is None else result["server_cpu_s"]])
                        continue
                    rows.append([backend, scenario, result["processes"], result["decided"], result["wall_s"],
                                 result["decisions_per_s"], result["stale"], result["already_decided"],
                                 result["other"], result["reviewers_cpu_s"],
                                 "-" if pid is None else result["server_cpu_s"]])
        finally:
            if server is not None:
                server.stop()
    info = machine()
    print(f"{args.processes} reviewer processes on one queue ({machine_line(info)})\n")
    print(table(["backend", "scenario", "processes", "decisions", "wall s", "decisions/s", "StaleDraftError",
                 "already decided", "other exceptions", "reviewers' CPU s", "server CPU s"], rows))
    print(f"\na batch job queueing {args.drafts} drafts (each checked on submit), in 1 and "
          f"{args.processes} processes\n")
    print(table(["backend", "processes", "submitted", "wall s", "submits/s", "other exceptions",
                 "writers' CPU s", "server CPU s"], submits))
    print("\nother exceptions: 0 in every run (checked); every draft decided (or queued) once; the record "
          "verifies")
    if not args.no_write:
        print(f"wrote {write_result('queue_concurrency', {'runs': runs})}")


if __name__ == "__main__":
    main()
