"""Item matching on the labelled pairs (fixtures/item_pairs.csv): the word-subset rule it replaces
against ``_items.same_item``, in one run.

For each matcher: precision, recall, F1 and the confusion counts (a pair labelled "same item" that the
matcher matches is a true positive), then the new matcher at a few thresholds, then the time per
10,000 comparisons: the labelled pairs compared over and over, with the normalised names cached (as
in moment detection, where a customer's request meets every stock event) and with the caches
cleared before each comparison (every name seen for the first time).

Run: .venv/bin/python bench/item_matching.py   (or bash bench/run item_matching; writes
bench/results/item_matching.json)
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from typing import Any

from _common import ROOT, machine, machine_line, table, write_result

from personalnote import _constants as C
from personalnote._items import _parse, normalise_variant_value, same_item

PAIRS = ROOT / "fixtures" / "item_pairs.csv"
COMPARISONS = 10_000
THRESHOLDS = (80.0, 85.0, C.ITEM_MATCH_THRESHOLD, 95.0, 100.0)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def before(a: str, b: str) -> bool:
    """The matcher before issue 13 (copied from _detectors): one name's words all in the other's."""
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def scores(match: Callable[[str, str], bool], pairs: list[tuple[str, str, bool]]) -> dict[str, Any]:
    tp = sum(1 for a, b, same in pairs if same and match(a, b))
    fp = sum(1 for a, b, same in pairs if not same and match(a, b))
    fn = sum(1 for a, b, same in pairs if same and not match(a, b))
    tn = len(pairs) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "true_positive": tp, "false_positive": fp, "false_negative": fn, "true_negative": tn}


def per_10k(match: Callable[[str, str], bool], pairs: list[tuple[str, str, bool]], *, cold: bool) -> float:
    """Milliseconds per 10,000 comparisons (the best of three runs)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for n in range(COMPARISONS):
            a, b, _same = pairs[n % len(pairs)]
            if cold:
                _parse.cache_clear()
                normalise_variant_value.cache_clear()
            match(a, b)
        best = min(best, time.perf_counter() - start)
    return round(best * 1000, 2)


def main() -> None:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        pairs = [(row["a"], row["b"], row["same"] == "1") for row in csv.DictReader(handle)]
    same = sum(1 for *_, s in pairs if s)
    old, new = scores(before, pairs), scores(same_item, pairs)
    sweep = {t: scores(lambda a, b, t=t: same_item(a, b, threshold=t), pairs) for t in THRESHOLDS}
    timing = {"before_ms": per_10k(before, pairs, cold=False),
              "new_cached_ms": per_10k(same_item, pairs, cold=False),
              "new_uncached_ms": per_10k(same_item, pairs, cold=True)}
    info = machine()

    print(f"{PAIRS.relative_to(ROOT)}: {len(pairs)} pairs ({same} the same item, {len(pairs) - same} not); "
          f"{machine_line(info)}\n")
    columns = ["precision", "recall", "f1", "true_positive", "false_positive", "false_negative",
               "true_negative"]
    print(table(["matcher", "precision", "recall", "F1", "TP", "FP", "FN", "TN"],
                [["before: word subset", *(old[c] for c in columns)],
                 [f"new: same_item (threshold {C.ITEM_MATCH_THRESHOLD:g})", *(new[c] for c in columns)]]))
    print()
    print(table(["threshold", "precision", "recall", "F1", "FP", "FN"],
                [[f"{t:g}", s["precision"], s["recall"], s["f1"], s["false_positive"], s["false_negative"]]
                 for t, s in sweep.items()]))
    print(f"\nms per {COMPARISONS:,} comparisons: before {timing['before_ms']}, new with cached names "
          f"{timing['new_cached_ms']}, new with every name normalised anew {timing['new_uncached_ms']}")

    target = write_result("item_matching", {
        "pairs": len(pairs), "same": same, "threshold": C.ITEM_MATCH_THRESHOLD,
        "before": old, "new": new, "by_threshold": {f"{t:g}": s for t, s in sweep.items()},
        "comparisons": COMPARISONS, **timing,
    })
    print(f"written {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
