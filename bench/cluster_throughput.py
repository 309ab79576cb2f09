"""Notes per second through ``draft_many`` in one process against the same run on a Dask cluster.

The same simulated OpenAI-compatible server as ``bench/batch_throughput.py`` (its own process on
127.0.0.1, a fixed latency) and the same synthetic flyers (``_synthetic.py``, a fresh
2,000,000-mile milestone each), drafted into a review queue in a temporary folder, by:

- ``in-process``: ``draft_many`` as it is, everything in this process;
- ``dask xN``: ``draft_many(executor=dask_executor(LocalCluster))`` with N single-threaded worker
  processes on this machine: each customer's context, moments and prompt, and each candidate's
  checks, run on the workers; the model calls, the cost cap and the queue stay here;
- ``dask x2 apart``: the same with the scheduler in a process of its own too
  (``SubprocessCluster``), as on a real cluster: this process is only the Dask client;
- ``processes x2``: a ``ProcessPoolExecutor`` of 2, for the cost of an executor without Dask.

Each engine is warmed up first (imports, token encodings, the workers' first tasks) on a few
customers; the cluster's start is not timed. For each run: notes/s against the ideal
``concurrency / latency``; CPU per note in this process (with a LocalCluster that includes the
scheduler, which it runs here), in the scheduler when it runs apart, and on the workers (from
each worker's own ``getrusage``); the workers' peak memory.
Two customer sizes: 10 events (the fixtures' size) and 1,000 (where the library's own CPU
per note is largest).

Run: .venv/bin/python bench/cluster_throughput.py    (about 5 minutes on 2 cores; needs
personalnote[dask]; writes bench/results/cluster_throughput.json)
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import ROOT, machine, machine_line, table, write_result
from _synthetic import AS_OF, synthetic_customer
from batch_throughput import Server

import personalnote as pn

WARM_UP = 20


@dataclass(frozen=True)
class Scenario:
    name: str
    events: int
    notes: int
    concurrency: int
    latency: float


SCENARIOS = [
    Scenario("10 events, c64 l0.2", 10, 1_000, 64, 0.2),
    Scenario("10 events, c64 l1.0", 10, 1_000, 64, 1.0),
    Scenario("1,000 events, c16 l0.2", 1_000, 200, 16, 0.2),
]


def customers(count: int, events: int, prefix: str = "SYN") -> list[pn.CustomerHistory]:
    template = synthetic_customer(events)
    return [pn.CustomerHistory.model_validate({**template, "customer": {**template["customer"],
                                                                       "id": f"{prefix}-{i:05d}"}})
            for i in range(count)]


def own_cpu() -> float:
    """This process's CPU seconds (run on each Dask worker with ``client.run``)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def own_peak_mib() -> float:
    """This process's peak resident memory (run on each Dask worker with ``client.run``)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Engine:
    """Where the per-customer work runs; ``worker_cpu`` reads the workers' CPU seconds (or None)."""

    def __init__(self, name: str, executor: Executor | None, client: Any = None, apart: bool = False) -> None:
        self.name, self.executor, self.client, self.apart = name, executor, client, apart

    def scheduler_cpu(self) -> float | None:
        """The scheduler's CPU seconds when it runs in a process of its own."""
        return float(self.client.run_on_scheduler(own_cpu)) if self.apart else None

    def worker_cpu(self) -> float | None:
        if self.client is None:
            return None
        return sum(self.client.run(own_cpu).values())

    def worker_peak_mib(self) -> float | None:
        """The largest peak resident memory of one worker so far."""
        if self.client is None:
            return None
        return round(max(self.client.run(own_peak_mib).values()), 1)


@contextmanager
def engine(name: str) -> Iterator[Engine]:
    if name == "in-process":
        yield Engine(name, None)
    elif name == "dask x2 apart":
        import distributed
        from distributed.deploy.subprocess import SubprocessCluster

        with SubprocessCluster(host="127.0.0.1", dashboard_address="127.0.0.1:0", n_workers=2,
                               threads_per_worker=1) as cluster, \
                distributed.Client(cluster, set_as_default=False) as client, \
                pn.dask_executor(client, workers=2) as executor:
            yield Engine(name, executor, client, apart=True)
    elif name.startswith("dask x"):
        import distributed

        workers = int(name.removeprefix("dask x"))
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None, silence_logs=40,
                                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
                distributed.Client(cluster, set_as_default=False) as client, \
                pn.dask_executor(client) as executor:
            yield Engine(name, executor, client)
    elif name == "processes x2":
        with ProcessPoolExecutor(2) as executor:
            yield Engine(name, executor)
    else:
        raise ValueError(name)


def run(scenario: Scenario, where: Engine, histories: list[pn.CustomerHistory]) -> dict[str, Any]:
    server = Server(["--latency", str(scenario.latency), "--max-seconds", "900"])
    try:
        model = pn.OpenAIChatModel("gpt-4o-mini", base_url=f"{server.url}/v1", api_key="bench")
        with tempfile.TemporaryDirectory() as folder:
            queue = pn.ReviewQueue(Path(folder) / "review.sqlite3")
            warm = customers(WARM_UP, scenario.events, prefix="WARM")
            pn.draft_many(warm, as_of=AS_OF, model=model, concurrency=scenario.concurrency, progress=False,
                          executor=where.executor)
            workers_before, scheduler_before = where.worker_cpu(), where.scheduler_cpu()
            cpu, start = own_cpu(), time.perf_counter()
            result = pn.draft_many(histories, as_of=AS_OF, model=model, queue=queue, progress=False,
                                   concurrency=scenario.concurrency, executor=where.executor)
            seconds, cpu = time.perf_counter() - start, own_cpu() - cpu
            workers_after, scheduler_after = where.worker_cpu(), where.scheduler_cpu()
            queued = len(queue.pending())
            queue.close()
    finally:
        server.stop()
    drafted = result.counts["drafted"]
    ideal = scenario.concurrency / scenario.latency
    worker_ms = (None if workers_before is None or workers_after is None
                 else round((workers_after - workers_before) / len(histories) * 1000, 2))
    scheduler_ms = (None if scheduler_before is None or scheduler_after is None
                    else round((scheduler_after - scheduler_before) / len(histories) * 1000, 2))
    return {
        "scenario": scenario.name, "engine": where.name, "events": scenario.events,
        "concurrency": scenario.concurrency, "latency_s": scenario.latency, "notes": len(histories),
        "drafted": drafted, "queued": queued, "failed": result.counts["failed"], "seconds": round(seconds, 2),
        "notes_per_s": round(drafted / seconds, 1), "ideal_notes_per_s": round(ideal, 1),
        "of_ideal": round(drafted / seconds / ideal, 3),
        "caller_cpu_ms_per_note": round(cpu / len(histories) * 1000, 2),
        "worker_cpu_ms_per_note": worker_ms, "scheduler_cpu_ms_per_note": scheduler_ms,
        "caller_peak_mib": round(own_peak_mib(), 1),
        "worker_peak_mib": where.worker_peak_mib(),
        # the prompt as the library counts it for gpt-4o-mini; the answer as the server counts it
        "prompt_tokens_per_note": round(sum(d.provenance.prompt_tokens_estimate for d in result.drafts)
                                        / max(drafted, 1)),
        "completion_tokens_per_note": round(result.completion_tokens / max(drafted, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+",
                        default=["in-process", "dask x1", "dask x2", "dask x2 apart", "processes x2"])
    parser.add_argument("--scenarios", nargs="+", help="names of scenarios to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply each scenario's notes")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios]
    rows = []
    for name in args.engines:
        with engine(name) as where:
            for scenario in chosen:
                histories = customers(max(1, int(scenario.notes * args.scale)), scenario.events)
                rows.append(run(scenario, where, histories))
                print(f"  {scenario.name}, {name}: {rows[-1]['notes_per_s']} notes/s", file=sys.stderr)
    info = machine()
    print("draft_many in one process and on a Dask LocalCluster, OpenAIChatModel against "
          "bench/simulated_server.py on 127.0.0.1\n" + machine_line(info) + "\n")
    print(table(["scenario", "engine", "notes/s", "ideal", "of ideal", "drafted", "queued",
                 "caller CPU ms/note", "scheduler CPU ms/note", "worker CPU ms/note", "worker peak MiB"],
                [[r["scenario"], r["engine"], r["notes_per_s"], r["ideal_notes_per_s"],
                  f"{r['of_ideal']:.0%}", r["drafted"], r["queued"], r["caller_cpu_ms_per_note"],
                  "-" if r["scheduler_cpu_ms_per_note"] is None else r["scheduler_cpu_ms_per_note"],
                  "-" if r["worker_cpu_ms_per_note"] is None else r["worker_cpu_ms_per_note"],
                  "-" if r["worker_peak_mib"] is None else r["worker_peak_mib"]]
                 for r in rows]))
    path = write_result("cluster_throughput", {"scenarios": rows})
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
