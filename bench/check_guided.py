"""How often the embedded model's drafts reach the queue with no blocking finding.

Before: one candidate per customer (max_candidates=1). After: check-guided drafting
(the default, up to 3 candidates re-asked with their blocking findings). Every fixture
customer that has a moment is drafted once each way on the bundled SmolLM2-135M.

Run: .venv/bin/python bench/check_guided.py   (writes bench/results/check_guided.json)
"""

from __future__ import annotations

import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import personalnote as pn

ROOT = Path(__file__).resolve().parent.parent
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
    print(f"{'max_candidates':>14} {'customers':>9} {'clean':>5}  outcomes")
    for r in results:
        outcomes = ", ".join(f"{row['customer']}:{row['outcome']}" for row in r["rows"])  # type: ignore[index]
        print(f"{r['max_candidates']:>14} {r['customers']:>9} {r['clean']:>5}  {outcomes}")
    out = {"machine": f"{platform.machine()} {platform.processor()} python {platform.python_version()}",
           "model": "smollm2-135m-instruct-q4_1", "as_of": AS_OF.isoformat(), "results": results}
    target = ROOT / "bench" / "results" / "check_guided.json"
    target.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
