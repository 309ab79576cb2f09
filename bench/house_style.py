"""House style: the fixture queue replayed with and without style examples, in one run.

1. **The fixture queue.** Every fixture customer with a moment (``fixtures/customers``) and the
   generated set of ``note_quality_customers.py`` (72 customers, seed 11), as of 20 November 2026
   18:00 UTC, is drafted once on the model, without examples, and put in a review queue.
2. **The reviewers.** A simulated review team with a house style signs every draft: they keep the
   library's statement of the moment (the ``framed`` prompt's sentence for the kind) and end with
   their own line for the kind (``HOUSE_LINES``); a draft already written so is approved unchanged,
   any other is edited to it, then approved (over a blocking finding of the house text, with an
   override: such a note is no example). The reviewers are a script: what is measured is whether
   the model picks up a consistent house style from approved notes, not whether the style is good.
3. **The replay.** ``evaluate`` drafts every reviewed draft again from its stored context, through
   the same prompt and model, twice: without examples, and with the ``--examples`` most similar
   approved notes of the same kind to other customers (names and details replaced by placeholders;
   never the customer's own note, so the answer is never shown).

Reported per arm (and per moment kind): the mean edit distance to the approved text, the share of
drafts that end with the house line exactly, the drafts with blocking findings, the findings
reviewers fixed that came back, errors, and the seconds the arm took.

Run (27 minutes on the embedded model on 2 busy cores, with `--max-candidates 3`)::

    .venv/bin/python bench/house_style.py --max-candidates 3 # writes bench/results/house_style.json
    .venv/bin/python bench/house_style.py --model fake       # the harness only, instantly
    .venv/bin/python bench/house_style.py --limit 12 --output /tmp/hs.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import note_quality as nq  # noqa: E402
import note_quality_customers as generated  # noqa: E402
from _common import code_version, machine, machine_line, table, write_result  # noqa: E402

import personalnote as pn  # noqa: E402
from personalnote._sentences import moment_sentence  # noqa: E402

AS_OF = generated.AS_OF
#: the review team's own last line, per moment kind (each fits the framed prompt's pattern)
HOUSE_LINES = {
    "milestone": "Our whole team is proud of you, and we look forward to the next one.",
    "nth_purchase": "We love seeing you come back, and we hope it serves you well.",
    "anniversary": "We are grateful for every one of those years, here is to many more.",
    "wanted_item_available": "We hope it is just as you pictured it, and we are glad we found it.",
    "preference_match": "We thought of you the moment it arrived, and we hope you enjoy a look.",
    "welcome_back": "We have missed you, and it is lovely to have you back with us.",
    "birthday": "We hope your day is full of good things, from all of us here.",
}
DEFAULT_LINE = "We are glad you are with us, thank you from all of us."
REVIEWER = pn.Reviewer("house", "The review team", "reviewer")


def house_body(draft: pn.Draft, ctx: pn.CustomerContext) -> str:
    """What the reviewers approve: the library's sentence for the moment, then their line."""
    opening = next((s.text for s in draft.sentences if s.author == "library"), None)
    if opening is None:
        sentence = moment_sentence(pn.load_prompt("framed"), draft.moment, ctx)
        why = draft.moment.why_now
        opening = sentence.text if sentence else f"{why[:1].upper()}{why[1:]}."
    return f"{opening} {HOUSE_LINES.get(draft.moment.kind, DEFAULT_LINE)}"


def build_queue(cases: list[nq.Case], queue: pn.ReviewQueue, model_for: Any,
                prompt: str | None) -> dict[str, int]:
    """Draft each case without examples and let the review team sign it; counts of what happened."""
    counts = {"drafted": 0, "approved_unchanged": 0, "edited": 0, "overridden": 0, "no_note": 0, "errors": 0}
    for index, case in enumerate(cases):
        ctx = pn.build_context(case.history, AS_OF, business_events=case.business_events)
        try:
            draft = pn.draft_note(ctx, model=model_for(index), prompt=prompt, channel=case.channel,
                                  signers=case.signers)
        except pn.PersonalNoteError as exc:
            counts["errors"] += 1
            print(f"  {case.id}: {type(exc).__name__}: {exc}"[:160], flush=True)
            continue
        if isinstance(draft, pn.MomentReport):
            counts["no_note"] += 1
            continue
        counts["drafted"] += 1
        item = queue.submit(draft, ctx, source=case.id)
        body = house_body(draft, ctx)
        if draft.body.strip() != body:
            item = queue.edit(item.id, REVIEWER, version=item.version, text=body, reason="house style")
            counts["edited"] += 1
        else:
            counts["approved_unchanged"] += 1
        override = "the house text as the reviewers write it" if item.blocking else None
        counts["overridden"] += override is not None
        queue.approve(item.id, REVIEWER, version=item.version, current=ctx, override_reason=override)
    return counts


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def summarize(rows: list[dict[str, Any]], arm: str) -> dict[str, Any]:
    done = [r for r in rows if r[arm]["error"] is None]
    return {
        "n": len(rows),
        "mean_distance": _mean([r[arm]["distance"] for r in done]),
        "reviewed_mean_distance": _mean([r["reviewed_distance"] for r in done]),
        "house_line_share": round(sum(r[arm]["house_line"] for r in done) / len(rows), 3) if rows else None,
        "with_blocking": sum(bool(r[arm]["blocking"]) or r[arm]["error"] is not None for r in rows),
        "returned": sum(len(r[arm]["returned"]) for r in rows),
        "errors": len(rows) - len(done),
        "with_examples": sum(bool(r[arm]["examples"]) for r in rows),
    }


def replay(queue: pn.ReviewQueue, prompt: str, model: pn.ChatModel | str, examples: int,
           max_candidates: int | None) -> tuple[pn.EvalReport, float]:
    start = time.perf_counter()
    report = pn.evaluate(queue, prompt=prompt, model=model, examples=examples, max_candidates=max_candidates)
    return report, round(time.perf_counter() - start, 1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--model", default="local",
                        help="local: the embedded SmolLM2-135M [default]; fake: the harness only (each "
                             "draft's stored answer: both arms alike); or a model name on $OPENAI_BASE_URL")
    parser.add_argument("--prompt", help="the prompt [the model's default: framed for the embedded model]")
    parser.add_argument("--examples", type=int, default=3,
                        help="style examples in the second arm [3]")
    parser.add_argument("--limit", type=int, help="the first N customers only (fixtures first)")
    parser.add_argument("--max-candidates", type=int,
                        help="candidates per replayed note, both arms [the prompt's: 6 for framed]")
    parser.add_argument("--output", type=Path, help="results file [bench/results/house_style.json; with "
                                                    "--model fake, a file in the temporary folder]")
    args = parser.parse_args(argv)
    code = code_version()  # the code that drafts, not the checkout an hour later
    cases = nq.fixture_cases() + nq.interleaved(nq.generated_cases(generated.generate()))
    if args.limit is not None:
        cases = cases[:args.limit]
    if args.model == "fake":
        chat: pn.ChatModel | str = "fake"
        model_name = "fake-model"

        def model_for(index: int) -> pn.ChatModel | str:
            return nq.fake_model(index)
    else:
        model = pn.resolve_model(args.model)
        loader = getattr(model, "_model", None)
        if callable(loader):
            loader()  # the weights are loaded before anything is timed
        chat, model_name = model, model.name

        def model_for(index: int) -> pn.ChatModel | str:
            return model
    prompt = args.prompt or str(getattr(chat, "default_prompt", None) or "note")
    store = Path(tempfile.mkdtemp(prefix="house_style.")) / "review.sqlite3"
    print(f"house_style: {len(cases)} customers on {model_name}, prompt {prompt}; queue in {store}",
          flush=True)
    with pn.ReviewQueue(store) as queue:
        start = time.perf_counter()
        counts = build_queue(cases, queue, model_for, prompt)
        build_seconds = round(time.perf_counter() - start, 1)
        print(f"queue built in {build_seconds} s: {counts}", flush=True)
        without, without_seconds = replay(queue, prompt, chat, 0, args.max_candidates)
        print(f"replayed without examples in {without_seconds} s", flush=True)
        with_examples, with_seconds = replay(queue, prompt, chat, args.examples, args.max_candidates)
        print(f"replayed with {args.examples} examples in {with_seconds} s", flush=True)
        usable = len(pn.HouseStyle(queue).examples)
        approved = {q.id: q.text for q in queue.drafts(["approved"])}
        kinds = {q.id: q.moment.kind for q in queue.drafts()}
    rows = []
    for plain, styled in zip(without.drafts, with_examples.drafts, strict=True):
        line = HOUSE_LINES.get(kinds[plain.draft_id], DEFAULT_LINE)
        rows.append({"draft_id": plain.draft_id, "customer": plain.customer_id, "kind": plain.moment_kind,
                     "decision": plain.decision, "reviewed_distance": plain.reviewed_distance,
                     "approved_text": approved.get(plain.draft_id),
                     **{arm: {"distance": d.distance, "blocking": list(d.blocking),
                              "returned": list(d.returned), "house_line": bool(d.text and line in d.text),
                              "examples": list(d.examples), "composed": d.composed, "error": d.error,
                              "text": d.text}
                        for arm, d in (("without", plain), ("with", styled))}})
    groups = sorted({r["kind"] for r in rows})
    summary = {arm: {"all": summarize(rows, arm), **{k: summarize([r for r in rows if r["kind"] == k], arm)
                                                     for k in groups}}
               for arm in ("without", "with")}
    headers = ["moment", "arm", "n", "mean distance", "reviewed distance", "house line", "blocking",
               "came back", "errors"]
    lines = []
    for group in [*groups, "all"]:
        for arm in ("without", "with"):
            s = summary[arm][group]
            label = f"{args.examples} examples" if arm == "with" else "no examples"
            lines.append([group, label, s["n"], s["mean_distance"], s["reviewed_mean_distance"],
                          f"{100 * (s['house_line_share'] or 0):.0f}%", s["with_blocking"], s["returned"],
                          s["errors"]])
    print()
    print(table(headers, lines))
    payload = {
        "model": model_name, "prompt": prompt, "prompt_sha256": without.prompt_sha256,
        "as_of": AS_OF.isoformat(),
        "examples": args.examples, "customers": len(cases), "limit": args.limit, "queue": counts,
        "max_candidates": args.max_candidates, "code": code,
        "usable_examples": usable, "house_lines": HOUSE_LINES,
        "house_lines_sha256": hashlib.sha256(repr(sorted(HOUSE_LINES.items())).encode()).hexdigest(),
        "seconds": {"build": build_seconds, "without": without_seconds, "with": with_seconds},
        "summary": summary, "rows": rows,
    }
    if args.output or args.model == "fake":
        target = args.output or Path(tempfile.gettempdir()) / "house_style.fake.json"
        target.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        target = write_result("house_style", payload)
    print(f"\n{machine_line(machine())}; wrote {target}")


if __name__ == "__main__":
    main()
