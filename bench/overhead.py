"""Library time per note, outside the model call, for histories of 10, 1,000 and 10,000 events.

A synthetic flyer (purchases, flights, loyalty balances, preferences, staff notes) passes
2,000,000 miles the day before ``as_of``. For each size the stages of one note are timed
separately through the public API, with ``FakeChatModel`` answering instantly:

- load: ``pn.load`` of the customer's JSON file;
- context: ``pn.build_context``;
- moments: ``pn.find_moments``;
- draft: ``pn.draft_note`` on that context and moment (one candidate), less the fake model's
  own time; inside it, the prompt rendered within the token budget and the checks are timed
  by wrapping ``personalnote._job.DraftJob.__init__`` and ``personalnote._job.check``;
- check: ``pn.check`` run again on the finished draft, alone.

Medians over several repeats. ``--profile N`` prints a cProfile of one note at N events.

Run: bash bench/run   (or .venv/bin/python bench/overhead.py; writes bench/results/overhead.json)
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import json
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import machine, machine_line, table, timed, write_result
from _synthetic import AS_OF, MODEL_NAME, SIGNERS, answer, synthetic_customer

import personalnote as pn
from personalnote import _job
from personalnote.testing import FakeChatModel

SIZES = (10, 1_000, 10_000)
REPEATS = {10: 30, 1_000: 5, 10_000: 3}
#: rows of the table that are counts, not seconds
COUNTS = ("  check calls inside draft", "prompt tokens", "facts in prompt")


class TimedModel:
    """``FakeChatModel`` with its own time recorded, so it can be taken out of the draft's."""

    def __init__(self) -> None:
        self.fake = FakeChatModel([answer] * 8, name=MODEL_NAME)
        self.seconds = 0.0

    @property
    def name(self) -> str:
        return self.fake.name

    def complete(self, request: pn.ChatRequest) -> pn.ChatResult:
        result, seconds = timed(lambda: self.fake.complete(request))
        self.seconds += seconds
        return result

    async def acomplete(self, request: pn.ChatRequest) -> pn.ChatResult:
        return self.complete(request)


class Stopwatch:
    """Adds up the time spent in wrapped callables, by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        @functools.wraps(original)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        setattr(owner, attribute, timed_call)

    def take(self) -> tuple[dict[str, float], dict[str, int]]:
        seconds, calls = dict(self.seconds), dict(self.calls)
        self.seconds.clear()
        self.calls.clear()
        return seconds, calls


STOPWATCH = Stopwatch()


def time_inside_draft() -> None:
    """Time the prompt (rendered within the token budget) and the checks inside ``draft_note``."""
    STOPWATCH.wrap(_job.DraftJob, "__init__", "prompt + token budget")
    STOPWATCH.wrap(_job, "check", "checks inside draft")


def one_note(path: Path) -> dict[str, float]:
    """Seconds per stage for one note from the customer file at ``path``."""
    data, load_s = timed(lambda: pn.load(path))
    history = data.customers[0]
    ctx, context_s = timed(lambda: pn.build_context(history, AS_OF))
    report, moments_s = timed(lambda: pn.find_moments(ctx))
    assert report.best is not None and report.best.kind == "milestone", report.no_note_reasons
    model = TimedModel()
    STOPWATCH.take()
    draft, draft_s = timed(lambda: pn.draft_note(ctx, moment=report.best, model=model, signers=SIGNERS,
                                                 channel="card", max_candidates=1))
    inside, calls = STOPWATCH.take()
    assert isinstance(draft, pn.Draft) and not draft.blocking, getattr(draft, "findings", draft)
    _, check_s = timed(lambda: pn.check(draft, ctx))
    library_draft = draft_s - model.seconds
    return {
        "load": load_s, "context": context_s, "moments": moments_s,
        "draft (library)": library_draft,
        "  prompt + token budget": inside.get("prompt + token budget", 0.0),
        "  checks inside draft": inside.get("checks inside draft", 0.0),
        "  check calls inside draft": float(calls.get("checks inside draft", 0)),
        "check (pn.check, once)": check_s,
        "model (fake)": model.seconds,
        "total outside the model": load_s + context_s + moments_s + library_draft,
        "prompt tokens": float(draft.provenance.prompt_tokens_estimate),
        "facts in prompt": float(len(draft.provenance.facts_in_prompt)),
    }


def measure(events: int, folder: Path) -> dict[str, Any]:
    path = folder / f"customer_{events}.json"
    path.write_text(json.dumps(synthetic_customer(events)))
    runs = [one_note(path) for _ in range(REPEATS[events])]
    stages = [stage for stage in runs[0] if stage not in COUNTS]
    return {"events": events, "repeats": len(runs), "file_bytes": path.stat().st_size,
            "median_seconds": {s: round(statistics.median(r[s] for r in runs), 6) for s in stages},
            # the least disturbed by other work on the machine
            "min_seconds": {s: round(min(r[s] for r in runs), 6) for s in stages},
            "counts": {c.strip(): int(runs[0][c]) for c in COUNTS}}


def profile(events: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customer.json"
        path.write_text(json.dumps(synthetic_customer(events)))
        profiler = cProfile.Profile()
        profiler.runcall(one_note, path)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=int, metavar="EVENTS", help="profile one note of this size")
    args = parser.parse_args()
    time_inside_draft()
    if args.profile:
        profile(args.profile)
        return
    with tempfile.TemporaryDirectory() as folder:
        results = [measure(n, Path(folder)) for n in SIZES]
    info = machine()
    print(f"Library time per note (median ms; model = FakeChatModel); {machine_line(info)}")
    rows: list[list[object]] = [[stage, *(round(r["median_seconds"][stage] * 1000, 2) for r in results)]
                                for stage in results[0]["median_seconds"]]
    rows += [[stage, *(r["counts"][stage.strip()] for r in results)] for stage in COUNTS]
    print(table(["stage", *(f"{n:,} events" for n in SIZES)], rows))
    target = write_result("overhead", {"as_of": AS_OF.isoformat(), "model": f"FakeChatModel({MODEL_NAME})",
                                       "results": results})
    print(f"written {target.relative_to(target.parents[2])}")


if __name__ == "__main__":
    main()
