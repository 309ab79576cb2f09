"""The labelled near-miss notes (fixtures/notes/near_miss.jsonl): true and false notes on the fixture
customers, each checked as ``personalnote check`` does (all facts cited, the best moment's evidence).

``python -m tests.near_miss`` prints the confusion matrix and every miss.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import personalnote as pn

ROOT = Path(__file__).resolve().parent.parent
NEAR_MISS = ROOT / "fixtures" / "notes" / "near_miss.jsonl"


@dataclass
class Confusion:
    true_positive: int = 0   # false note, blocked
    false_negative: int = 0  # false note, not blocked (a miss)
    false_positive: int = 0  # true note, blocked
    true_negative: int = 0   # true note, not blocked
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (expected, text's body, why)

    @property
    def precision(self) -> float:
        return self.true_positive / max(self.true_positive + self.false_positive, 1)

    @property
    def recall(self) -> float:
        return self.true_positive / max(self.true_positive + self.false_negative, 1)

    def table(self) -> str:
        lines = ["                 blocked  not blocked",
                 f"false note (bad)  {self.true_positive:6d}  {self.false_negative:6d}",
                 f"true note (good)  {self.false_positive:6d}  {self.true_negative:6d}",
                 f"precision {self.precision:.3f}  recall {self.recall:.3f}  "
                 f"({self.true_positive + self.false_negative} false, "
                 f"{self.false_positive + self.true_negative} true notes)"]
        lines += [f"  {'MISSED' if e else 'FALSE FLAG'}: {body!r} -- {why}" for e, body, why in
                  ((m[0] == "blocking", m[1], m[2]) for m in self.misses)]
        return "\n".join(lines)


@cache
def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in NEAR_MISS.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_row(row: dict[str, object]) -> list[pn.Finding]:
    data = pn.load(ROOT / str(row["customer"]))
    as_of = datetime.fromisoformat(str(row["as_of"]).replace("Z", "+00:00"))
    ctx = pn.build_context(data.customers[0], as_of, business_events=data.business_events)
    best = pn.find_moments(ctx).best
    if best:
        ctx = ctx.with_facts(best.facts)
    evidence = best.evidence if best else []
    return pn.check_text(str(row["text"]), ctx, cited=list(ctx.facts), moment_evidence=evidence)


def confusion() -> Confusion:
    result = Confusion()
    for row in rows():
        findings = check_row(row)
        blocked = any(f.blocking for f in findings)
        body = str(row["text"]).split("\n\n")[1]
        if row["blocking"]:
            if blocked:
                result.true_positive += 1
            else:
                result.false_negative += 1
                result.misses.append(("blocking", body, str(row["wrong"])))
        elif blocked:
            result.false_positive += 1
            result.misses.append(("clean", body, "; ".join(f"{f.kind}: {f.message}" for f in findings
                                                          if f.blocking)))
        else:
            result.true_negative += 1
    return result


if __name__ == "__main__":
    print(confusion().table())
