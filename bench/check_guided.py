"""How often the embedded model's drafts reach the queue with no blocking finding.

Before: one candidate per customer (max_candidates=1). After: check-guided drafting
(the default, up to 3 candidates re-asked with their blocking findings). Every fixture
customer that has a moment is drafted once each way on the bundled SmolLM2-135M.

Run: .venv/bin/python bench/check_guided.py   (writes bench/results/check_guided.json)
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, machine_line, table, write_result  # noqa: E402

import personalnote as pn  # noqa: E402

AS_OF = datetime(2026, 11, 20, 18, tzinfo=UTC)


def run(max_candidates: int) -> dict[str, object]:
    rows = []
    for path in sorted((ROOT / "fixtures" / "customers").glob("*.json")):
        data = pn.load(path)
        history = data.customers[0]
        start = time.perf_counter()
        try:
            result = pn.draft_note(history, as_of=AS_OF, model="local", business_events=data.business_events,
                                   max_candidates=max_candidates)
        except pn.ModelError as exc:
            rows.append({"customer": history.id, "outcome": type(exc).__name__,
                         "seconds": round(time.perf_counter() - start, 1)})
            continue
        if isinstance(result, pn.MomentReport):
            continue  # no moment: nothing to draft
        rows.append({"customer": history.id, "outcome": "clean" if not result.blocking else "blocked",
                     "blocking": sorted({f.kind for f in result.blocking}),
                     "candidates": result.provenance.candidates, "attempts": result.provenance.attempts,
                     "tokens": result.provenance.prompt_tokens + result.provenance.completion_tokens,
                     "seconds": round(time.perf_counter() - start, 1)})
    clean = sum(r["outcome"] == "clean" for r in rows)
    return {"max_candidates": max_candidates, "customers": len(rows), "clean": clean, "rows": rows}


def main() -> None:
    results = [run(1), run(pn._constants.MAX_CANDIDATES)]
    print(f"Embedded model: drafts with no blocking finding; {machine_line(machine())}")
    print(table(["max_candidates", "customers", "clean", "outcomes"],
                [[r["max_candidates"], r["customers"], r["clean"],
                  ", ".join(f"{row['customer']}:{row['outcome']}" for row in r["rows"])]  # type: ignore[attr-defined]
                 for r in results]))
    target = write_result("check_guided", {"model": "smollm2-135m-instruct-q4_1", "as_of": AS_OF.isoformat(),
                                           "results": results})
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
