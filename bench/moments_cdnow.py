"""Moment detection over the whole CDNOW purchase history (69,659 purchases, 23,570 customers).

Loads the file with ``load_csv`` and its column mapping, then builds every customer's
context and finds their moments as of a few dates, and reports how long each step took,
events per second, peak memory, and what was found: moments per kind, moments held back
by a guard per reason, and the no-note reasons.

Detection time is compared with an earlier commit's library in the same run (``--baseline REV``,
default the commit before issue 13's moments ahead and memory): both are timed in fresh
processes, alternately, 3 times each, and the fastest run of each counts (CPU time).

Run: bash bench/run   (or .venv/bin/python bench/moments_cdnow.py; writes bench/results/moments_cdnow.json)
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _baseline import commit_of, run_at
from _cdnow import cdnow_path, load_cdnow
from _common import machine, machine_line, peak_rss_mib, table, timed, write_result

import personalnote as pn

#: mid-March 1998: first-purchase anniversaries of the Q1 1997 cohort, Nth purchases and
#: returns after a lapse all occur; 30 June 1998 is the last day of the data
AS_OF_DATES = (datetime(1998, 3, 15, tzinfo=UTC), datetime(1998, 6, 30, tzinfo=UTC))
#: the library before issue 13 (moments ahead, tenure, memory guards)
BASELINE = "1417143"


def detect(data: pn.Dataset, as_of: datetime) -> dict[str, Any]:
    moments: Counter[str] = Counter()
    best: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    no_note: Counter[str] = Counter()
    customers_with_moment = 0
    events = 0
    context_seconds = moments_seconds = 0.0
    start = time.perf_counter()
    for history in data.customers:
        t0 = time.perf_counter()
        ctx = pn.build_context(history, as_of, business_events=data.business_events)
        t1 = time.perf_counter()
        report = pn.find_moments(ctx)
        t2 = time.perf_counter()
        context_seconds += t1 - t0
        moments_seconds += t2 - t1
        events += len(ctx.events)
        moments.update(m.kind for m in report.moments)
        suppressed.update({f"{s.moment.kind}: {s.reason.code}" for s in report.suppressed})
        if report.best is not None:
            customers_with_moment += 1
            best[report.best.kind] += 1
        no_note.update({r.code for r in report.no_note_reasons})  # customers, not reasons
    wall = time.perf_counter() - start
    return {
        "as_of": as_of.date().isoformat(), "customers": len(data.customers), "events": events,
        "context_seconds": round(context_seconds, 3), "moments_seconds": round(moments_seconds, 3),
        "wall_seconds": round(wall, 3), "events_per_second": round(events / wall),
        "customers_per_second": round(len(data.customers) / wall),
        "customers_with_moment": customers_with_moment,
        "moments_by_kind": dict(moments.most_common()), "best_moment_by_kind": dict(best.most_common()),
        "suppressed_by_kind_and_reason": dict(suppressed.most_common()),
        "no_note_reasons": dict(no_note.most_common()),
    }


def detection_seconds() -> None:
    """Print the detection CPU seconds per as-of date as JSON (run in a fresh process per library).

    CPU time, not wall time: on a shared 2-core machine another process's load changes the wall
    time of one run much more than its CPU time."""
    data = load_cdnow(cdnow_path())
    seconds = []
    for as_of in AS_OF_DATES:
        start = time.process_time()
        detect(data, as_of)
        seconds.append(round(time.process_time() - start, 3))
    print(json.dumps(seconds))


def compare(baseline: str) -> dict[str, Any]:
    """Detection CPU time of ``baseline``'s library and of this one, alternately, 3 times each."""
    script = Path(__file__).resolve()
    times: dict[str, list[list[float]]] = {"baseline": [], "current": []}
    for _ in range(3):
        for name, rev in (("baseline", baseline), ("current", None)):
            times[name].append(json.loads(run_at(rev, script, ["--detection-seconds"])))
    best = {name: [min(r[i] for r in runs) for i in range(len(AS_OF_DATES))] for name, runs in times.items()}
    return {"baseline": commit_of(baseline), "baseline_seconds": best["baseline"],
            "current_seconds": best["current"],
            "ratio": [round(c / b, 3) for b, c in zip(best["baseline"], best["current"], strict=True)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--baseline", default=BASELINE,
                        help="the commit to compare with (default %(default)s)")
    parser.add_argument("--detection-seconds", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.detection_seconds:
        detection_seconds()
        return
    started = time.perf_counter()
    rss_before = peak_rss_mib()
    path = cdnow_path()
    data, load_seconds = timed(lambda: load_cdnow(path))
    rows = sum(len(h.events) for h in data.customers)
    runs = [detect(data, as_of) for as_of in AS_OF_DATES]
    wall = time.perf_counter() - started
    info = machine()

    print(f"CDNOW ({path.name}): {rows:,} purchases, {len(data.customers):,} customers; {machine_line(info)}")
    print(f"load_csv: {load_seconds:.2f} s ({rows / load_seconds:,.0f} rows/s)\n")
    print(table(["as of", "context s", "moments s", "wall s", "events/s", "customers/s", "with a moment"],
                [[r["as_of"], r["context_seconds"], r["moments_seconds"], r["wall_seconds"],
                  r["events_per_second"], r["customers_per_second"], r["customers_with_moment"]]
                 for r in runs]))
    for r in runs:
        print(f"\nas of {r['as_of']}:")
        lines = [["moment", kind, n] for kind, n in r["moments_by_kind"].items()]
        lines += [["held back", kind, n] for kind, n in r["suppressed_by_kind_and_reason"].items()]
        lines += [["no note", code, n] for code, n in r["no_note_reasons"].items()]
        print(table(["", "kind / reason", "customers"], lines))
    peak = peak_rss_mib()
    versus = compare(args.baseline)
    print(f"\ndetection CPU time, fastest of 3 fresh processes each "
          f"(library of {versus['baseline']} vs this one):")
    print(table(["as of", f"{versus['baseline']} s", "now s", "now / before"],
                [[as_of.date().isoformat(), b, c, r] for as_of, b, c, r in zip(
                    AS_OF_DATES, versus["baseline_seconds"], versus["current_seconds"], versus["ratio"],
                    strict=True)]))
    print(f"\npeak RSS {peak:,.0f} MiB (before loading {rss_before:,.0f} MiB); wall time {wall:.1f} s")

    target = write_result("moments_cdnow", {
        "data": {"file": f"Lifetimes/{path.parent.name}/{path.name}", "rows": rows,
                 "customers": len(data.customers)},
        "load_seconds": round(load_seconds, 3), "load_rows_per_second": round(rows / load_seconds),
        "runs": runs, "peak_rss_mib": peak, "rss_before_load_mib": rss_before,
        "wall_seconds": round(wall, 2), "compared_with_baseline": versus,
    })
    print(f"written {target.relative_to(target.parents[2])}")


if __name__ == "__main__":
    main()
