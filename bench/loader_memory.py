"""Memory and time of reading a large JSONL customer file: ``load`` against ``iter_customers``.

Writes JSONL files of about 10, 50 and 200 MB to a temporary folder (synthetic flyers from
``_synthetic.py`` of 10, 20 and 40 events in turn, each with its own customer id), then reads
each file in a fresh Python process, once with ``pn.load`` (the whole file, then every customer
at once) and once with ``pn.iter_customers`` (one customer at a time, each dropped once counted).
The child process reports its peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) after importing
personalnote (the baseline) and after reading, and the wall time of the read. Memory per
customer is (peak - baseline) / customers.

Run: bash bench/run loader_memory   (or .venv/bin/python bench/loader_memory.py [--sizes 10,50,200]
[--repeats 1]; writes bench/results/loader_memory.json; about 3 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import machine, machine_line, table, write_result
from _synthetic import synthetic_customer

MIB = 1024 * 1024
EVENTS = (10, 20, 40)  # the customers' sizes, in turn

#: run in a fresh interpreter: read the file one way, print the figures as JSON
CHILD = """
import json, resource, sys, time
import personalnote as pn
mode, path = sys.argv[1], sys.argv[2]
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if mode == "load":
    data = pn.load(path)
    customers = len(data.customers)
    events = sum(len(h.events) for h in data.customers)
else:
    customers = events = 0
    for history in pn.iter_customers(path):
        customers += 1
        events += len(history.events)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "baseline_kib": baseline, "peak_kib": peak,
                  "customers": customers, "events": events}))
"""


def write_file(path: Path, megabytes: int) -> dict[str, Any]:
    """A JSONL file of about ``megabytes`` MB of customers; its size, customers and events."""
    templates = [json.dumps(synthetic_customer(n), separators=(",", ":")) for n in EVENTS]
    target = megabytes * 1_000_000
    written = customers = events = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            n = customers % len(EVENTS)
            line = templates[n].replace(f'"id":"SYN-{EVENTS[n]}"', f'"id":"C-{customers:08d}"', 1) + "\n"
            out.write(line)
            written += len(line)
            customers += 1
            events += EVENTS[n]
    return {"megabytes": round(written / 1_000_000, 1), "bytes": written, "customers": customers,
            "events": events}


def measure(mode: str, path: Path) -> dict[str, Any]:
    """One read of ``path`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], capture_output=True, text=True,
                          check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    growth = (figures["peak_kib"] - figures["baseline_kib"]) / 1024
    return {
        "mode": mode, "seconds": round(figures["seconds"], 2),
        "baseline_rss_mib": round(figures["baseline_kib"] / 1024, 1),
        "peak_rss_mib": round(figures["peak_kib"] / 1024, 1), "growth_mib": round(growth, 1),
        "kib_per_customer": round(growth * 1024 / figures["customers"], 2),
        "customers": figures["customers"], "events": figures["events"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,50,200", help="file sizes in MB, comma-separated")
    parser.add_argument("--repeats", type=int, default=1,
                        help="reads per file and mode (the fastest is kept)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    info = machine()
    print(f"load vs iter_customers on generated JSONL files; {machine_line(info)}\n")
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pn-loader-memory-") as folder:
        for megabytes in sizes:
            path = Path(folder) / f"customers_{megabytes}mb.jsonl"
            file = write_file(path, megabytes)
            for mode in ("load", "iter_customers"):
                tries = [measure(mode, path) for _ in range(args.repeats)]
                best = min(tries, key=lambda r: r["seconds"])
                assert best["customers"] == file["customers"], (best, file)
                runs.append({"file": file, **best, "peak_rss_mib_all": [r["peak_rss_mib"] for r in tries],
                             "seconds_all": [r["seconds"] for r in tries]})
                print(f"  {file['megabytes']:,.0f} MB {mode}: {best['seconds']:.1f} s, "
                      f"peak {best['peak_rss_mib']:,.0f} MiB", flush=True)
            path.unlink()
    print()
    print(table(["file MB", "customers", "events", "reader", "seconds", "customers/s", "peak RSS MiB",
                 "growth MiB", "KiB / customer"],
                [[r["file"]["megabytes"], r["customers"], r["events"], r["mode"], r["seconds"],
                  round(r["customers"] / r["seconds"]), r["peak_rss_mib"], r["growth_mib"],
                  r["kib_per_customer"]] for r in runs]))
    loads = [r for r in runs if r["mode"] == "load"]
    per_customer = sum(r["growth_mib"] for r in loads) * 1024 / sum(r["customers"] for r in loads)
    per_mb = sum(r["growth_mib"] for r in loads) / sum(r["file"]["megabytes"] for r in loads)
    print(f"\nload: {per_customer:.1f} KiB per customer ({per_mb:.1f} MiB per MB of file); "
          f"iter_customers: peak at most {max(r['peak_rss_mib'] for r in runs if r['mode'] != 'load'):,.0f} "
          "MiB at every size")
    target = write_result("loader_memory", {
        "customer_events": list(EVENTS), "repeats": args.repeats, "runs": runs,
        "load_kib_per_customer": round(per_customer, 2), "load_mib_per_file_mb": round(per_mb, 2),
    })
    print(f"written {target.relative_to(target.parents[2])}")


if __name__ == "__main__":
    main()
