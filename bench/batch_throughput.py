"""Notes per second through ``draft_many`` against a simulated OpenAI-compatible server: an earlier
commit's library and this one in one run, one process against worker processes, and the OpenAI
SDK alone.

``bench/simulated_server.py`` runs in its own process on 127.0.0.1 with a fixed latency (and,
in one scenario, 429 bursts with ``Retry-After``). ``OpenAIChatModel`` points at it, and
``draft_many`` drafts 1,000 synthetic flyers (``_synthetic.py``, 10 events each, a fresh
2,000,000-mile milestone) into a review queue in a temporary folder. For each scenario:

- notes/s achieved, against the ideal ``concurrency / latency`` (every slot always waiting
  on the server, the library costing nothing);
- drafted (all 1,000 expected), requests the server answered, 429s it served;
- client CPU seconds (user + system) per note: this process and its worker processes (``workers=N``:
  ``draft_many`` runs context, moments, prompt and checks in a ``ProcessPoolExecutor``); and the
  simulated server's own CPU per request (it shares the machine's cores);
- ``sdk`` rows: the OpenAI SDK alone, no library: ``AsyncOpenAI`` sending the same request body
  ``concurrency`` at a time, as ``OpenAIChatModel`` sends it (``client.post``) and through the typed
  ``client.chat.completions.create``: the SDK's own CPU per request and the most it reaches.

``--baseline REV`` (default: the commit before issue 16) runs the same one-process scenarios with
that commit's library (extracted with ``git archive``) in a child process, in the same run;
``--breakdown`` profiles one 64 x 0.2 s run (the event loop and the queue's writer thread) and
groups the CPU by where it goes: the OpenAI SDK and its HTTP stack, JSON, the checks, planning
(context, moments, prompt), the store, the event loop. ``--profile SCENARIO`` prints a cProfile.

Run: .venv/bin/python bench/batch_throughput.py (about 5 minutes; writes bench/results/batch_throughput.json)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _baseline import commit_of, run_at
from _common import ROOT, code_version, machine, machine_line, table, write_result
from _synthetic import AS_OF, synthetic_customer

import personalnote as pn

NOTES = 1_000
SERVER = ROOT / "bench" / "simulated_server.py"
#: the library before issue 16
BASELINE = "3f4b924"


@dataclass(frozen=True)
class Scenario:
    name: str
    concurrency: int
    latency: float
    bursts: bool = False  # 429 bursts: 0.5 s out of every 2 s, Retry-After 1 s
    queue: bool = True
    workers: int | None = None  # draft_many(workers=N): planning and checks in N processes

    def server_args(self) -> list[str]:
        args = ["--latency", str(self.latency), "--max-seconds", "900"]
        if self.bursts:
            args += ["--burst-every", "2", "--burst-seconds", "0.5", "--retry-after", "1"]
        return args


SCENARIOS = [
    Scenario("c16 l0.2", 16, 0.2),
    Scenario("c16 l0.2 no queue", 16, 0.2, queue=False),
    Scenario("c64 l1.0", 64, 1.0),
    Scenario("c64 l0.2", 64, 0.2),
    Scenario("c64 l0.2 workers=1", 64, 0.2, workers=1),
    Scenario("c64 l0.2 workers=2", 64, 0.2, workers=2),
    Scenario("c16 l0.2 429 bursts", 16, 0.2, bursts=True),
]
#: the scenarios the earlier library runs too (it has no workers)
ONE_PROCESS = [s.name for s in SCENARIOS if s.workers is None]
#: the SDK alone, at these settings
SDK_SETTINGS = [(16, 0.2), (64, 1.0), (64, 0.2)]


def customers(count: int) -> list[pn.CustomerHistory]:
    template = synthetic_customer(10)
    return [pn.CustomerHistory.model_validate({**template, "customer": {**template["customer"],
                                                                       "id": f"SYN-{i:04d}"}})
            for i in range(count)]


class Server:
    """The simulated server in its own process; stopped when the scenario ends."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen([sys.executable, str(SERVER), *args], stdout=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"the simulated server did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].strip()

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=5) as response:
            stats: dict[str, Any] = json.loads(response.read())
            return stats

    def cpu_seconds(self) -> float:
        """The server process's CPU so far (Linux: /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cpu_seconds() -> tuple[float, float]:
    """CPU of this process, and of its children that have ended (worker processes, once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(scenario: Scenario, histories: list[pn.CustomerHistory], profile: cProfile.Profile | None = None
        ) -> dict[str, Any]:
    server = Server(scenario.server_args())
    try:
        model = pn.OpenAIChatModel("gpt-4o-mini", base_url=f"{server.url}/v1", api_key="bench")
        extra = {"workers": scenario.workers} if scenario.workers else {}
        with tempfile.TemporaryDirectory() as folder:
            queue = pn.ReviewQueue(Path(folder) / "review.sqlite3") if scenario.queue else None
            (own, children), server_cpu, start = cpu_seconds(), server.cpu_seconds(), time.perf_counter()
            if profile is not None:
                profile.enable()
            result = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue,
                                   concurrency=scenario.concurrency, progress=False, **extra)
            if profile is not None:
                profile.disable()
            seconds = time.perf_counter() - start
            own_after, children_after = cpu_seconds()
            server_cpu = server.cpu_seconds() - server_cpu
            queued = len(queue.pending()) if queue is not None else None
            if queue is not None:
                queue.close()
        stats = server.stats()
    finally:
        server.stop()
    drafted = result.counts["drafted"]
    ideal = scenario.concurrency / scenario.latency
    own_cpu, workers_cpu = own_after - own, children_after - children
    return {
        **asdict(scenario), "scenario": scenario.name, "notes": len(histories), "drafted": drafted,
        "queued": queued, "failed": result.counts["failed"], "seconds": round(seconds, 2),
        "notes_per_s": round(drafted / seconds, 1), "ideal_notes_per_s": round(ideal, 1),
        "of_ideal": round(drafted / seconds / ideal, 3),
        "client_cpu_ms_per_note": round((own_cpu + workers_cpu) / len(histories) * 1000, 2),
        "caller_cpu_ms_per_note": round(own_cpu / len(histories) * 1000, 2),
        "workers_cpu_ms_per_note": round(workers_cpu / len(histories) * 1000, 2),
        "server_cpu_ms_per_request": round(server_cpu / max(stats["requests"], 1) * 1000, 2),
        "server_requests": stats["requests"], "server_429s": stats["rate_limited"],
        "server_max_in_flight": stats["max_in_flight"], "server_connections": stats["connections"],
        "attempts_per_draft": round(sum(d.provenance.attempts for d in result.drafts) / max(drafted, 1), 3),
    }


# --- the SDK alone -----------------------------------------------------------------------------

def request_body(histories: list[pn.CustomerHistory], base_url: str) -> dict[str, Any]:
    """The body ``OpenAIChatModel`` sends for the first customer's note (the SDK alone sends it)."""
    from personalnote import _draft, _options

    model = pn.OpenAIChatModel("gpt-4o-mini", base_url=base_url, api_key="bench")
    plan = _draft.plan_note(histories[0], AS_OF, None, [])
    assert not isinstance(plan, pn.MomentReport)
    job = _draft.new_job(*plan, model, _options.settle({}))
    return model.request_body(job.request(job.messages))


async def sdk_loop(url: str, body: dict[str, Any], concurrency: int, count: int, typed: bool) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=0, timeout=60)
    slots = asyncio.Semaphore(concurrency)

    async def one() -> str:
        async with slots:
            if typed:
                completion = await client.chat.completions.create(**body)
                return completion.choices[0].message.content or ""
            answer = await client.post("/chat/completions", cast_to=object, body=body)
            return str(answer["choices"][0]["message"]["content"])  # type: ignore[index]

    await asyncio.gather(*(one() for _ in range(concurrency)))  # connections open, as in a batch
    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    seconds = time.perf_counter() - start
    await client.close()
    return seconds


def sdk_alone(histories: list[pn.CustomerHistory], count: int) -> list[dict[str, Any]]:
    rows = []
    for concurrency, latency in SDK_SETTINGS:
        for typed in (False, True):
            server = Server(["--latency", str(latency), "--max-seconds", "900"])
            try:
                body = request_body(histories, f"{server.url}/v1")
                (own, _), start = cpu_seconds(), server.cpu_seconds()
                seconds = asyncio.run(sdk_loop(f"{server.url}/v1", body, concurrency, count, typed))
                cpu, server_cpu = cpu_seconds()[0] - own, server.cpu_seconds() - start
            finally:
                server.stop()
            ideal = concurrency / latency
            rows.append({"concurrency": concurrency, "latency_s": latency,
                         "call": "chat.completions.create" if typed else "post (as OpenAIChatModel)",
                         "requests": count, "seconds": round(seconds, 2),
                         "requests_per_s": round(count / seconds, 1), "ideal_per_s": round(ideal, 1),
                         "of_ideal": round(count / seconds / ideal, 3),
                         "cpu_ms_per_request": round(cpu / count * 1000, 2),
                         "server_cpu_ms_per_request": round(server_cpu / (count + concurrency) * 1000, 2)})
            print(f"  sdk c{concurrency} l{latency} {rows[-1]['call']}: {rows[-1]['requests_per_s']}/s",
                  file=sys.stderr)
    return rows


# --- where the CPU goes ------------------------------------------------------------------------

#: (group, path fragments), the first match wins; anything else is "other"
GROUPS = [
    ("checks", ("personalnote/_checks", "personalnote/_grounding", "personalnote/_untrusted",
                "personalnote/_names", "personalnote/_form", "personalnote/_repeats",
                "personalnote/_model_words", "personalnote/_redact", "rapidfuzz", "phonenumbers",
                "stdnum")),
    ("planning: context, moments, prompt, tokens", (
        "personalnote/_context", "personalnote/_moments", "personalnote/_detectors", "personalnote/_memory",
        "personalnote/_items", "personalnote/_job", "personalnote/_prompts", "personalnote/_tokens",
        "personalnote/_compose", "personalnote/_sentences", "personalnote/_draft", "tiktoken",
        "personalnote/_moment_types", "personalnote/_history", "personalnote/_instants")),
    ("store (queue writer thread)", ("personalnote/_review", "personalnote/_store",
                                     "personalnote/_signatures", "sqlite3", "personalnote/_queue_types",
                                     "hashlib", "openssl")),
    ("OpenAI SDK and its HTTP stack", ("openai/", "httpx", "httpcore", "anyio", "h11", "sniffio",
                                       "personalnote/_model", "ssl", "socket", "tenacity")),
    ("JSON", ("json/", "_json")),
    ("pydantic (models of every step)", ("pydantic",)),
    ("event loop and batch", ("asyncio", "selectors", "personalnote/_batch", "concurrent/futures",
                              "threading", "queue.py")),
]


def _group(filename: str, name: str) -> str:
    where = f"{filename} {name}"
    return next((group for group, parts in GROUPS if any(p in where for p in parts)), "other")


def breakdown(histories: list[pn.CustomerHistory]) -> dict[str, Any]:
    """One 64 x 0.2 s run under cProfile: own time per group, the event loop's thread and the queue's
    writer thread together (time in C calls is counted with the group of the function called)."""
    from personalnote import _batch

    main, writer = cProfile.Profile(), cProfile.Profile()
    submit = _batch._QueueWriter._submit

    def profiled(self: Any, job: Any, draft: Any) -> Any:
        return writer.runcall(submit, self, job, draft)

    _batch._QueueWriter._submit = profiled  # type: ignore[method-assign]
    try:
        outcome = run(Scenario("c64 l0.2", 64, 0.2), histories, main)
    finally:
        _batch._QueueWriter._submit = submit  # type: ignore[method-assign]
    stats = pstats.Stats(main)
    stats.add(writer)
    seconds: dict[str, float] = defaultdict(float)
    waiting = 0.0
    waits = ("<method 'execute' of 'sqlite3.Connection' objects>",
             "<method 'commit' of 'sqlite3.Connection' objects>", "<method 'poll' of 'select.epoll' objects>")
    for (filename, _, name), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if name in waits:
            waiting += own  # waiting for the network, or for the disk (an fsync per commit)
            continue
        seconds[_group(filename, name)] += own
    total = sum(seconds.values())
    return {"run": outcome, "profiled_seconds": round(total, 3), "waiting_seconds": round(waiting, 3),
            "share": {g: round(s / total, 3) for g, s in sorted(seconds.items(), key=lambda kv: -kv[1])}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=NOTES)
    parser.add_argument("--baseline", default=BASELINE, help=f"the earlier library's commit [{BASELINE}]; "
                                                             "'none' to skip it")
    parser.add_argument("--scenarios", help="comma-separated scenario names (default: all)")
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK-alone rows")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the profiled 64 x 0.2 s run")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child's work: JSON out
    parser.add_argument("--profile", metavar="SCENARIO", help="profile one scenario, e.g. 'c64 l0.2'")
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats sort key (or cumulative)")
    parser.add_argument("--top", type=int, default=25, help="with --profile: rows printed")
    args = parser.parse_args()
    import openai  # noqa: F401 - imported once, before any CPU is measured (not a per-note cost)

    histories = customers(args.notes)
    chosen = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios.split(",")]
    if args.profile:
        profile = cProfile.Profile()
        scenario = next(s for s in SCENARIOS if s.name == args.profile)
        print(json.dumps(run(scenario, histories, profile), indent=2))
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
        return
    if args.json:
        print(json.dumps([run(s, histories) for s in chosen]))
        return
    before: list[dict[str, Any]] = []
    if args.baseline != "none":
        names = ",".join(s.name for s in chosen if s.name in ONE_PROCESS)
        print(f"  the library of {commit_of(args.baseline)}: {names}", file=sys.stderr)
        before = json.loads(run_at(args.baseline, Path(__file__).resolve(),
                                   ["--json", "--notes", str(args.notes), "--scenarios", names]))
    rows = []
    for scenario in chosen:
        rows.append(run(scenario, histories))
        print(f"  {scenario.name}: {rows[-1]['notes_per_s']} notes/s", file=sys.stderr)
    sdk = [] if args.no_sdk else sdk_alone(histories, args.notes)
    where = None if args.no_breakdown else breakdown(histories)
    info = machine()
    after = code_version()
    print(f"draft_many, {args.notes:,} notes, OpenAIChatModel against bench/simulated_server.py "
          f"on 127.0.0.1\n{machine_line(info)}\n")
    labelled = [("before", r) for r in before] + [("after", r) for r in rows]
    print(table(["library", "scenario", "notes/s", "ideal", "of ideal", "drafted", "429s",
                 "client CPU ms/note", "of it in workers", "server CPU ms/request"],
                [[when, r["scenario"], r["notes_per_s"], r["ideal_notes_per_s"], f"{r['of_ideal']:.0%}",
                  r["drafted"], r["server_429s"], r["client_cpu_ms_per_note"],
                  r.get("workers_cpu_ms_per_note", 0.0), r.get("server_cpu_ms_per_request", "")]
                 for when, r in labelled]))
    if sdk:
        print("\nThe OpenAI SDK alone (AsyncOpenAI, the same request body, no library):\n")
        print(table(["concurrency x latency", "call", "requests/s", "of ideal", "CPU ms/request",
                     "server CPU ms/request"],
                    [[f"{r['concurrency']} x {r['latency_s']} s", r["call"], r["requests_per_s"],
                      f"{r['of_ideal']:.0%}", r["cpu_ms_per_request"], r["server_cpu_ms_per_request"]]
                     for r in sdk]))
    if where:
        print(f"\nWhere the client's CPU goes at 64 x 0.2 s (cProfile, own time, "
              f"{where['profiled_seconds']} s profiled):\n")
        print(table(["group", "share"], [[g, f"{s:.0%}"] for g, s in where["share"].items()]))
    path = write_result("batch_throughput", {
        "notes": args.notes,
        "before": {"commit": commit_of(args.baseline) if before else None, "scenarios": before},
        "after": {"code": after, "scenarios": rows}, "sdk_alone": sdk, "breakdown_c64_l02": where})
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
