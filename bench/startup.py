"""Start-up time of the ``personalnote`` command, before and after the lazy imports, in one run.

Each command runs in a fresh Python process (``python -m personalnote ...``), timed from the
parent with the wall clock; the runs of every variant are interleaved so a change in the
machine's load hits them all alike. The variants:

- **before**: the ``src`` of an earlier commit (``--before``, default ``1417143``, the last commit
  whose ``import personalnote`` imported openai and tiktoken), extracted with ``git archive``;
- **after**: the ``src`` of this checkout;
- **after + SDKs**: this checkout, with ``import openai, tiktoken`` first (what the eager imports
  cost on today's code);
- **python**: ``python -c pass``, the interpreter's own start-up.

Commands: ``personalnote --help``, ``personalnote --version`` (the "before" commit has no
``--version``: it imports everything, then exits 2), ``personalnote review list --store X``
(a store made beforehand, with one queued draft).

Run: bash bench/run startup   (or .venv/bin/python bench/startup.py [--runs 15] [--before REV];
writes bench/results/startup.json; about a minute)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, machine, machine_line, table, write_result

DEFAULT_BEFORE = "1417143"
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "--version": ["--version"],
    "review list": ["review", "list", "--store", "{store}"],
}
EAGER = "import openai, tiktoken, sys; from personalnote.cli import main; sys.exit(main(sys.argv[1:]))"


def extract(rev: str, into: Path) -> Path:
    """The ``src`` folder of commit ``rev``, written under ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def make_store(path: Path) -> None:
    """A review store holding one queued draft (the flyer's card), made with this checkout."""
    code = f"""
import personalnote as pn
from personalnote.testing import FakeChatModel
from datetime import UTC, datetime
history = pn.load({str(ROOT / "fixtures/customers/flyer_2m_miles.json")!r}).customers[0]
ctx = pn.build_context(history, datetime(2026, 11, 20, 18, tzinfo=UTC))
body = {{"body": "Congratulations on passing 2 million miles with us on today's flight to JFK.",
        "claims": [{{"text": "passed 2 million miles", "fact_ids": ["derived:milestone:L-5502"]}}]}}
draft = pn.draft_note(ctx, model=FakeChatModel([body]), max_candidates=1)
with pn.ReviewQueue({str(path)!r}) as queue:
    queue.submit(draft, ctx)
"""
    subprocess.run([sys.executable, "-c", code], check=True, env=_env(ROOT / "src"))


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src)}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="runs of each command and variant (median kept)")
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="the commit to compare against")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before_src = extract(args.before, folder / "before")
        store = folder / "review.sqlite3"
        make_store(store)
        after_env, before_env = _env(ROOT / "src"), _env(before_src)
        variants: dict[str, tuple[list[str], dict[str, str]]] = {
            f"before ({args.before})": ([sys.executable, "-m", "personalnote"], before_env),
            "after": ([sys.executable, "-m", "personalnote"], after_env),
            "after + SDKs": ([sys.executable, "-c", EAGER], after_env),
        }
        seconds: dict[tuple[str, str], list[float]] = {}
        status: dict[tuple[str, str], int] = {}
        for _ in range(args.runs):
            for command, words in COMMANDS.items():
                command_args = [w.format(store=store) for w in words]
                for variant, (prefix, env) in variants.items():
                    took, code = run_once([*prefix, *command_args], env)
                    seconds.setdefault((command, variant), []).append(took)
                    status[(command, variant)] = code
            took, _ = run_once([sys.executable, "-c", "pass"], after_env)
            seconds.setdefault(("python -c pass", "python"), []).append(took)
            status[("python -c pass", "python")] = 0
    info = machine()
    rows: list[list[object]] = []
    results: list[dict[str, Any]] = []
    for (command, variant), times in seconds.items():
        median, fastest = statistics.median(times), min(times)
        code = status[(command, variant)]
        rows.append([command, variant, round(median, 3), round(fastest, 3), code])
        results.append({"command": command, "variant": variant, "median_s": round(median, 4),
                        "min_s": round(fastest, 4), "runs": len(times), "exit_status": code})
    rows.sort(key=lambda r: (str(r[0]), str(r[1])))
    print(machine_line(info))
    print(f"wall seconds per command in a fresh process, {args.runs} runs each (median, fastest)\n")
    print(table(["command", "variant", "median s", "min s", "exit"], rows))
    path = write_result("startup", {"runs": args.runs, "before": args.before, "results": results})
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
