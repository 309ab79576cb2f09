"""Library time per note, outside the model call, for histories of 10, 1,000 and 10,000 events:
an earlier commit's library and this one, in one run on the same machine.

A synthetic flyer (purchases, flights, loyalty balances, preferences, staff notes) passes
2,000,000 miles the day before ``as_of``. For each size the stages of one note are timed
separately through the public API, with ``FakeChatModel`` answering instantly:

- load: ``pn.load`` of the customer's JSON file;
- context: ``pn.build_context``;
- moments: ``pn.find_moments``;
- draft: ``pn.draft_note`` on that context and moment (one candidate), less the fake model's
  own time; inside it, the prompt within the token budget (``personalnote._job.DraftJob.__init__``)
  and the checks (``personalnote._job.check``) are timed by wrapping them, and inside the prompt
  the functions both libraries share: ranking the facts (``_job._ranked_facts``), making fact
  lines safe (``_job._fact_line``: redaction, rendering), counting tokens (``TokenCounter``) and
  hashing the context (``CustomerContext.context_hash``, the queue's key);
- check: ``pn.check`` run again on the finished draft, alone.

Each library is measured in its own process (``--baseline REV`` is extracted with ``git archive``,
default: the commit before issue 16), alternately, ``--rounds`` times; a stage's figure is the
median of every repeat of every round. Wall-clock seconds, as a caller waits for them.
``--profile N`` prints a cProfile of one note at N events with this library.

Run: bash bench/run overhead   (or .venv/bin/python bench/overhead.py; writes bench/results/overhead.json)
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

from _baseline import commit_of, run_at
from _common import ROOT, code_version, machine, machine_line, table, timed, write_result
from _synthetic import AS_OF, MODEL_NAME, SIGNERS, answer, synthetic_customer

import personalnote as pn
from personalnote import _context, _job
from personalnote.testing import FakeChatModel

SIZES = (10, 1_000, 10_000)
REPEATS = {10: 30, 1_000: 7, 10_000: 3}
#: the library before issue 16 (library time near the floor)
BASELINE = "3f4b924"
#: rows of the table that are counts, not seconds
COUNTS = ("  check calls inside draft", "prompt tokens", "facts in prompt", "  fact lines made safe")
PROMPT_PARTS = ("    ranking the facts", "    fact lines made safe", "    token counting", "    context hash")


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
    """Adds up the time spent in wrapped callables, by label (a call inside another of the same
    label is not counted twice)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.depth: dict[str, int] = defaultdict(int)

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        @functools.wraps(original)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            self.depth[label] += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth[label] -= 1
                if not self.depth[label]:
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
    """Time the prompt (within the token budget), its parts, and the checks inside ``draft_note``."""
    STOPWATCH.wrap(_job.DraftJob, "__init__", "prompt")
    STOPWATCH.wrap(_job, "check", "checks")
    STOPWATCH.wrap(_job, "_ranked_facts", "ranking")
    STOPWATCH.wrap(_job, "_fact_line", "fact lines")
    STOPWATCH.wrap(_job.TokenCounter, "count", "tokens")
    STOPWATCH.wrap(_job.TokenCounter, "count_messages", "tokens")
    STOPWATCH.wrap(_context.CustomerContext, "context_hash", "hash")


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
    STOPWATCH.take()
    library_draft = draft_s - model.seconds
    prompt, checks = inside.get("prompt", 0.0), inside.get("checks", 0.0)
    return {
        "load": load_s, "context": context_s, "moments": moments_s,
        "draft (library)": library_draft,
        "  prompt within the token budget": prompt,
        PROMPT_PARTS[0]: inside.get("ranking", 0.0),
        PROMPT_PARTS[1]: inside.get("fact lines", 0.0),
        PROMPT_PARTS[2]: inside.get("tokens", 0.0),
        PROMPT_PARTS[3]: inside.get("hash", 0.0),
        "  checks": checks,
        "  the rest of the draft": library_draft - prompt - checks,
        "check (pn.check, once)": check_s,
        "total outside the model": load_s + context_s + moments_s + library_draft,
        "  check calls inside draft": float(calls.get("checks", 0)),
        "  fact lines made safe": float(calls.get("fact lines", 0)),
        "prompt tokens": float(draft.provenance.prompt_tokens_estimate),
        "facts in prompt": float(len(draft.provenance.facts_in_prompt)),
    }


def customer_file(folder: Path, events: int, repeat: int) -> Path:
    """The synthetic flyer as a new customer for each repeat: its ids differ, so every fact line
    is new to the library's caches (as in a batch), while the instructions are the same."""
    customer = synthetic_customer(events)
    customer["customer"]["id"] = f"R{repeat}-{customer['customer']['id']}"
    for event in customer["events"]:
        event["id"] = f"R{repeat}-{event['id']}"
    path = folder / f"customer_{events}_{repeat}.json"
    path.write_text(json.dumps(customer))
    return path


def measure(sizes: tuple[int, ...]) -> dict[str, list[dict[str, float]]]:
    """Every repeat of every size with the library on the path (a child process's work)."""
    time_inside_draft()
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        one_note(customer_file(Path(folder), 10, -1))  # warm: imports, the token file, compiled patterns
        for events in sizes:
            runs[str(events)] = [one_note(customer_file(Path(folder), events, r))
                                 for r in range(REPEATS[events])]
    return runs


def summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    stages = [s for s in runs[0] if s not in COUNTS]
    return {"repeats": len(runs),
            "median_seconds": {s: round(statistics.median(r[s] for r in runs), 6) for s in stages},
            "min_seconds": {s: round(min(r[s] for r in runs), 6) for s in stages},
            "counts": {c.strip(): int(runs[0][c]) for c in COUNTS}}


Runs = dict[str, list[dict[str, float]]]


def compare(baseline: str, rounds: int, sizes: tuple[int, ...]) -> dict[str, Runs]:
    """Both libraries, each in fresh processes, alternately, ``rounds`` times."""
    script = Path(__file__).resolve()
    runs: dict[str, Runs] = {"before": defaultdict(list), "after": defaultdict(list)}
    for _ in range(rounds):
        for name, rev in (("before", baseline), ("after", None)):
            child = json.loads(run_at(rev, script, ["--measure", ",".join(map(str, sizes))]))
            for size, repeats in child.items():
                runs[name][size] += repeats
    return runs


def profile(events: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customer.json"
        path.write_text(json.dumps(synthetic_customer(events)))
        one_note(path)
        profiler = cProfile.Profile()
        profiler.runcall(one_note, path)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=int, metavar="EVENTS", help="profile one note of this size")
    parser.add_argument("--baseline", default=BASELINE, help=f"the earlier library's commit [{BASELINE}]")
    parser.add_argument("--rounds", type=int, default=2, help="alternate runs of each library [2]")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="events per history [10,1000,10000]")
    parser.add_argument("--measure", metavar="SIZES", help=argparse.SUPPRESS)  # a child's work: JSON out
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(tuple(int(s) for s in args.measure.split(",")))))
        return
    if args.profile:
        time_inside_draft()
        profile(args.profile)
        return
    sizes = tuple(int(s) for s in args.sizes.split(","))
    runs = compare(args.baseline, args.rounds, sizes)
    results = {name: [{"events": int(size), **summary(repeats)} for size, repeats in by_size.items()]
               for name, by_size in runs.items()}
    before, after = commit_of(args.baseline), code_version()
    info = machine()
    print(f"Library time per note (median ms; model = FakeChatModel), {before} vs this checkout "
          f"({after['commit']}{' + changes' if after['uncommitted_changes'] else ''}); {machine_line(info)}")
    headers = ["stage", *(f"{n:,} ev. {when}" for n in sizes for when in ("before", "after"))]
    stages = list(results["after"][0]["median_seconds"])
    rows: list[list[object]] = [
        [stage, *(round(results[when][i]["median_seconds"][stage] * 1000, 3)
                  for i in range(len(sizes)) for when in ("before", "after"))] for stage in stages]
    rows += [[stage, *(results[when][i]["counts"][stage.strip()] for i in range(len(sizes))
                       for when in ("before", "after"))] for stage in COUNTS]
    print(table(headers, rows))
    target = write_result("overhead", {
        "as_of": AS_OF.isoformat(), "model": f"FakeChatModel({MODEL_NAME})", "rounds": args.rounds,
        "before": {"commit": before, "results": results["before"]},
        "after": {"code": after, "results": results["after"]},
    })
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
