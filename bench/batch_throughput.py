"""Notes per second through ``draft_many`` against a simulated OpenAI-compatible server.

``bench/simulated_server.py`` runs in its own process on 127.0.0.1 with a fixed latency (and,
in one scenario, 429 bursts with ``Retry-After``). ``OpenAIChatModel`` points at it, and
``draft_many`` drafts 1,000 synthetic flyers (``_synthetic.py``, 10 events each, a fresh
2,000,000-mile milestone) into a review queue in a temporary folder. For each scenario:

- notes/s achieved, against the ideal ``concurrency / latency`` (every slot always waiting
  on the server, the library costing nothing);
- drafted (all 1,000 expected), requests the server answered, 429s it served, most requests
  in flight at the server;
- client CPU seconds (user + system) per note: the library's own work per note.

``--profile`` runs one scenario under cProfile and prints where the client's time goes.

Run: .venv/bin/python bench/batch_throughput.py   (2-3 minutes; writes bench/results/batch_throughput.json)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import ROOT, machine, machine_line, table, write_result
from _synthetic import AS_OF, synthetic_customer

import personalnote as pn

NOTES = 1_000
SERVER = ROOT / "bench" / "simulated_server.py"


@dataclass(frozen=True)
class Scenario:
    name: str
    concurrency: int
    latency: float
    bursts: bool = False  # 429 bursts: 0.5 s out of every 2 s, Retry-After 1 s
    queue: bool = True

    def server_args(self) -> list[str]:
        args = ["--latency", str(self.latency), "--max-seconds", "600"]
        if self.bursts:
            args += ["--burst-every", "2", "--burst-seconds", "0.5", "--retry-after", "1"]
        return args


SCENARIOS = [
    Scenario("c16 l0.2", 16, 0.2),
    Scenario("c16 l0.2 no queue", 16, 0.2, queue=False),
    Scenario("c64 l0.2", 64, 0.2),
    Scenario("c64 l1.0", 64, 1.0),
    Scenario("c16 l0.2 429 bursts", 16, 0.2, bursts=True),
]


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

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(scenario: Scenario, histories: list[pn.CustomerHistory], profile: cProfile.Profile | None = None
        ) -> dict[str, Any]:
    server = Server(scenario.server_args())
    try:
        model = pn.OpenAIChatModel("gpt-4o-mini", base_url=f"{server.url}/v1", api_key="bench")
        with tempfile.TemporaryDirectory() as folder:
            queue = pn.ReviewQueue(Path(folder) / "review.sqlite3") if scenario.queue else None
            cpu, start = cpu_seconds(), time.perf_counter()
            if profile is not None:
                profile.enable()
            result = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue,
                                   concurrency=scenario.concurrency, progress=False)
            if profile is not None:
                profile.disable()
            seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            queued = len(queue.pending()) if queue is not None else None
            if queue is not None:
                queue.close()
        stats = server.stats()
    finally:
        server.stop()
    drafted = result.counts["drafted"]
    ideal = scenario.concurrency / scenario.latency
    return {
        "scenario": scenario.name, "concurrency": scenario.concurrency, "latency_s": scenario.latency,
        "bursts_429": scenario.bursts, "queue": scenario.queue, "notes": len(histories), "drafted": drafted,
        "queued": queued, "failed": result.counts["failed"], "seconds": round(seconds, 2),
        "notes_per_s": round(drafted / seconds, 1), "ideal_notes_per_s": round(ideal, 1),
        "of_ideal": round(drafted / seconds / ideal, 3),
        "client_cpu_ms_per_note": round(cpu / len(histories) * 1000, 2),
        "server_requests": stats["requests"], "server_429s": stats["rate_limited"],
        "server_max_in_flight": stats["max_in_flight"], "server_connections": stats["connections"],
        "attempts_per_draft": round(sum(d.provenance.attempts for d in result.drafts) / max(drafted, 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=NOTES)
    parser.add_argument("--profile", metavar="SCENARIO", help="profile one scenario, e.g. 'c64 l0.2'")
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats sort key (or cumulative)")
    parser.add_argument("--top", type=int, default=25, help="with --profile: rows printed")
    args = parser.parse_args()
    histories = customers(args.notes)
    if args.profile:
        profile = cProfile.Profile()
        chosen = next(s for s in SCENARIOS if s.name == args.profile)
        print(json.dumps(run(chosen, histories, profile), indent=2))
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
        return
    rows = []
    for scenario in SCENARIOS:
        rows.append(run(scenario, histories))
        print(f"  {scenario.name}: {rows[-1]['notes_per_s']} notes/s", file=sys.stderr)
    info = machine()
    print(f"draft_many, {args.notes:,} notes, OpenAIChatModel against bench/simulated_server.py "
          "on 127.0.0.1\n"
          f"{machine_line(info)}\n")
    print(table(["scenario", "queue", "notes/s", "ideal", "of ideal", "drafted", "requests", "429s",
                 "max in flight", "client CPU ms/note"],
                [[r["scenario"], "yes" if r["queue"] else "no", r["notes_per_s"], r["ideal_notes_per_s"],
                  f"{r['of_ideal']:.0%}", r["drafted"], r["server_requests"], r["server_429s"],
                  r["server_max_in_flight"], r["client_cpu_ms_per_note"]] for r in rows]))
    path = write_result("batch_throughput", {"notes": args.notes, "scenarios": rows})
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
