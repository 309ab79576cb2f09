"""Prompt tokens per note: personalnote's prompt against the whole history pasted in as JSON.

personalnote: the messages ``draft_note`` actually sends (recorded by ``FakeChatModel``) for the
customer's strongest moment, counted with the library's own ``TokenCounter`` for gpt-4o-mini
(the default OpenAI model; the default budget is 1,200 tokens less the 3% fallback margin).

Naive baseline: the same system instructions, then the customer's profile, every event up to
``as_of`` and the business events that apply, as JSON, and the moment to write about, counted
the same way.

Customers: every fixture in fixtures/customers/ that has a moment, the five CDNOW customers
with the longest histories (each as of the latest day on which it has a moment), and the
synthetic flyers of bench/overhead.py.

Run: bash bench/run   (or .venv/bin/python bench/tokens.py; writes bench/results/tokens.json)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from _cdnow import load_cdnow
from _common import ROOT, machine, machine_line, table, write_result
from _synthetic import AS_OF as SYNTHETIC_AS_OF
from _synthetic import MODEL_NAME, answer, synthetic_customer

import personalnote as pn
from personalnote._tokens import TokenCounter  # not exported; the counter draft_note itself uses
from personalnote.testing import FakeChatModel

FIXTURES_AS_OF = datetime(2026, 11, 20, 18, tzinfo=UTC)
COUNTER = TokenCounter(MODEL_NAME)
SYSTEM = pn.load_prompt("note").system.strip()


def naive_messages(ctx: pn.CustomerContext, moment: pn.Moment) -> list[dict[str, str]]:
    """The whole history as JSON, with the same instructions and the moment."""
    history = {
        "customer": ctx.customer.model_dump(mode="json", exclude_none=True),
        "events": [e.model_dump(mode="json", exclude_none=True) for e in ctx.events],
        "business_events": [e.model_dump(mode="json", exclude_none=True) for e in ctx.business_events],
    }
    user = (f"<data>\nMoment: {moment.kind}: {moment.why_now}\nCustomer history (JSON):\n"
            f"{json.dumps(history, ensure_ascii=False)}\n</data>\n"
            "Write the body of the note about the moment, and list its claims.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def compare(label: str, source: str, ctx: pn.CustomerContext) -> dict[str, Any] | None:
    report = pn.find_moments(ctx)
    if report.best is None:
        return None
    fake = FakeChatModel([answer], name=MODEL_NAME)
    draft = pn.draft_note(ctx, moment=report.best, model=fake, max_candidates=1)
    assert isinstance(draft, pn.Draft)
    sent = fake.requests[0].messages
    ours, naive = COUNTER.count_messages(sent), COUNTER.count_messages(naive_messages(ctx, report.best))
    facts = len(draft.provenance.facts_in_prompt)
    return {"customer": label, "source": source, "events": len(ctx.events), "moment": report.best.kind,
            "facts_in_prompt": facts, "personalnote_tokens": ours, "naive_json_tokens": naive,
            "naive_over_personalnote": round(naive / ours, 2)}


def fixture_rows() -> list[dict[str, Any]]:
    rows = []
    for path in sorted((ROOT / "fixtures" / "customers").glob("*.json")):
        data = pn.load(path)
        history = data.customers[0]
        ctx = pn.build_context(history, FIXTURES_AS_OF, business_events=data.business_events)
        row = compare(path.stem, "fixture", ctx)
        if row is not None:
            rows.append(row)
    return rows


def cdnow_rows(count: int = 5) -> list[dict[str, Any]]:
    """The longest CDNOW histories, each as of the latest day on which it has a moment."""
    data = load_cdnow()
    longest = sorted(data.customers, key=lambda h: (-len(h.events), h.id))[:count]
    rows = []
    for history in longest:
        days = {e.at for e in history.events}
        first = min(days)
        days.add(first.replace(year=first.year + 1))  # the first-purchase anniversary
        for as_of in sorted(days, reverse=True):
            row = compare(f"CDNOW {history.id}", "cdnow", pn.build_context(history, as_of))
            if row is not None:
                rows.append(row)
                break
    return rows


def synthetic_rows() -> list[dict[str, Any]]:
    rows = []
    for size in (10, 1_000, 10_000):
        history = pn.CustomerHistory.model_validate(synthetic_customer(size))
        row = compare(f"synthetic {size:,}", "synthetic", pn.build_context(history, SYNTHETIC_AS_OF))
        if row is not None:
            rows.append(row)
    return rows


def main() -> None:
    rows = fixture_rows() + cdnow_rows() + synthetic_rows()
    info = machine()
    instructions = COUNTER.count(SYSTEM)
    print(f"Prompt tokens per note ({MODEL_NAME}, counted with personalnote's TokenCounter; both prompts "
          f"carry the same {instructions} tokens of instructions); {machine_line(info)}")
    print(table(["customer", "events", "moment", "facts", "personalnote", "naive JSON", "naive / ours"],
                [[r["customer"], r["events"], r["moment"], r["facts_in_prompt"], r["personalnote_tokens"],
                  r["naive_json_tokens"], f"{r['naive_over_personalnote']:.2f}x"] for r in rows]))
    target = write_result("tokens", {"model": MODEL_NAME, "fixtures_as_of": FIXTURES_AS_OF.isoformat(),
                                     "instruction_tokens": instructions, "rows": rows})
    print(f"written {target.relative_to(target.parents[2])}")


if __name__ == "__main__":
    main()
