"""Notes worth signing: today's prompt (v3) against the new drafting, on the embedded model.

Every fixture customer with a moment (``fixtures/customers``, as of 20 November 2026 18:00 UTC)
and the generated set of ``note_quality_customers.py`` (72 customers, seed 11) are drafted once
per variant, both variants one after the other for each customer:

- ``v3``: ``draft_note(..., prompt="bench/prompts/note_v3.toml")``, today's prompt copied unchanged;
- ``new``: ``draft_note(..., prompt="framed")``, the embedded model's default: the library states the
  moment, the model writes the warm words, a composed note when no candidate is clean.

Reported per moment kind and variant: the share of drafts that reach the queue with no blocking
finding (clean model notes and composed fallbacks counted apart), the share that keep the model's
own words (not composed), the mean blocking findings per candidate before selection, seconds
(median, mean) and tokens per note, and the share that state the moment's core fact (no
``generic`` finding). A ``MomentReport`` (no note) is counted apart; a ``PersonalNoteError`` is a
failure of that customer's note. Results are flushed to the JSON file after every note.

Run (many minutes on the embedded model: about 77 customers x 2 variants x up to 10 s)::

    .venv/bin/python bench/note_quality.py                       # writes bench/results/note_quality.json
    .venv/bin/python bench/note_quality.py --model fake          # the harness, instantly (FakeChatModel)
    .venv/bin/python bench/note_quality.py --limit 2 --variants v3 --output /tmp/nq.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import note_quality_customers as generated  # noqa: E402
from _common import ROOT, code_version, machine, machine_line, table  # noqa: E402

import personalnote as pn  # noqa: E402
from personalnote.testing import FakeChatModel  # noqa: E402

AS_OF = generated.AS_OF
V3_PROMPT = ROOT / "bench" / "prompts" / "note_v3.toml"
VARIANTS: dict[str, str] = {"v3": str(V3_PROMPT), "new": "framed"}
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "note_quality.json"
#: the crew of the canonical milestone story (the fixture flyer's card has room for two signatures)
CREW = [pn.Signer("Captain"), pn.Signer("First Officer")]


@dataclass
class Case:
    """One customer to draft for, and how."""

    id: str
    source: str  # "fixture" or "generated"
    kind: str
    familiarity: str
    channel: str | None  # None: the library's choice (preferred channel, else email)
    history: pn.CustomerHistory
    business_events: list[Any]
    signers: list[pn.Signer] = field(default_factory=list)
    name_form: str | None = None
    injection: dict[str, str] | None = None


def fixture_cases() -> list[Case]:
    """Every fixture customer with a moment as of AS_OF, with the business events of the folder."""
    histories, business_events, _sources = pn.load_customers(ROOT / "fixtures" / "customers")
    cases = []
    for history in histories:
        ctx = pn.build_context(history, AS_OF, business_events=business_events)
        report = pn.find_moments(ctx)
        if report.best is None:
            continue
        cases.append(Case(history.id, "fixture", report.best.kind, ctx.relationship.familiarity,
                          history.customer.preferred_channel, history, list(business_events),
                          CREW if report.best.kind == "milestone" else []))
    return cases


def generated_cases(customers: list[generated.GeneratedCustomer]) -> list[Case]:
    return [Case(c.id, "generated", c.kind, c.familiarity, c.channel, c.history, c.business_events,
                 list(c.signers), c.name_form, c.injection)
            for c in customers]


# --- the fake model: exercises the harness, says nothing about note quality --------------------------

_FALLBACK = "Thank you for being with us; it is a real pleasure to write to you about this"


def _moment_words(request: pn.ChatRequest) -> str:
    for message in reversed(request.messages):
        found = re.findall(r"^Moment: (.+)$", message.get("content", ""), flags=re.MULTILINE)
        if found:
            return found[-1].strip()
    return ""


def _fill(schema: dict[str, Any], key: str, sentence: str) -> Any:
    """A value for any JSON schema: the note sentence for strings, the first enum value, ..."""
    if "enum" in schema:
        values = list(schema["enum"])
        derived = [v for v in values if isinstance(v, str) and v.startswith("derived:")]
        return (derived or values)[0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: _fill(sub, name, sentence) for name, sub in props.items()}
    if kind == "array":
        items = schema.get("items", {})
        return [_fill(items, key, sentence) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return True
    text = sentence if key in ("body", "words", "text", "note") else sentence.split(";")[0]
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, text):
        text = re.sub(r"[^A-Za-z ,.'!-]", "", text).strip() or _FALLBACK
        if not re.search(pattern, text):
            text = _FALLBACK
    return text[: schema.get("maxLength", len(text))]


def fake_model(index: int) -> FakeChatModel:
    """Customer ``index``'s scripted model: clean-looking notes (index % 3 == 0), a bad first
    candidate then good ones (1), or only bad candidates (2), whatever the answer schema is."""
    calls = [0]

    def reply(request: pn.ChatRequest) -> str:
        calls[0] += 1
        bad = index % 3 == 2 or (index % 3 == 1 and calls[0] == 1)
        moment = _moment_words(request)
        sentence = ("The customer's { 1 }, {" if bad else
                    f"Congratulations: you {moment[:1].lower() + moment[1:]}; thank you for being with us")
        return json.dumps(_fill(request.schema, "", sentence))

    return FakeChatModel([reply] * 40, name="fake-model")


# --- one note ------------------------------------------------------------------------------------

#: attributes of the new drafting read with getattr: counted here when a result lacks them
MISSING: dict[str, int] = {}


def _new_attr(obj: Any, name: str, default: Any) -> Any:
    """An attribute the new drafting adds (Draft.composed, Provenance.candidate_blocking): read with a
    default until it exists, and counted in the results as missing. Only the reporting does this."""
    if hasattr(obj, name):
        return getattr(obj, name)
    MISSING[name] = MISSING.get(name, 0) + 1
    return default


def draft_one(case: Case, variant: str, model: pn.ChatModel | str) -> dict[str, Any]:
    row: dict[str, Any] = {"customer": case.id, "source": case.source, "kind": case.kind,
                           "familiarity": case.familiarity, "channel": case.channel, "variant": variant,
                           "signers": [s.label for s in case.signers], "name_form": case.name_form,
                           "injection": case.injection["id"] if case.injection else None}
    start = time.perf_counter()
    try:
        result = pn.draft_note(case.history, as_of=AS_OF, model=model, prompt=VARIANTS[variant],
                               channel=case.channel, signers=case.signers,
                               business_events=case.business_events)
    except pn.PersonalNoteError as exc:
        row.update(outcome="error", error=f"{type(exc).__name__}: {exc}"[:500],
                   seconds=round(time.perf_counter() - start, 3))
        return row
    seconds = round(time.perf_counter() - start, 3)
    if isinstance(result, pn.MomentReport):
        row.update(outcome="no_note", reasons=[r.code for r in result.no_note_reasons], seconds=seconds)
        return row
    prov = result.provenance
    composed = _new_attr(result, "composed", None)
    candidate_blocking = _new_attr(prov, "candidate_blocking", None)
    blocking = result.blocking
    row.update(
        outcome=("blocked" if blocking else "clean_composed" if composed else "clean_model"),
        moment=result.moment.kind, channel=result.channel,
        blocking=len(blocking), blocking_kinds=sorted({f.kind for f in blocking}),
        warnings=sorted({f.kind for f in result.findings if not f.blocking}),
        composed=composed, candidate_blocking=candidate_blocking,
        core_fact_stated=not any(f.kind == "generic" for f in result.findings),
        canary_leaked=generated.CANARY in result.text,
        prompt_version=prov.prompt_version, prompt_tokens=prov.prompt_tokens,
        completion_tokens=prov.completion_tokens, candidates=prov.candidates, attempts=prov.attempts,
        seconds=seconds, text=result.text,
    )
    return row


# --- figures -------------------------------------------------------------------------------------

def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one group of rows (one variant, one kind or all)."""
    drafts = [r for r in rows if r["outcome"] in ("clean_model", "clean_composed", "blocked")]
    errors = [r for r in rows if r["outcome"] == "error"]
    attempted = len(drafts) + len(errors)  # a note was due: an error is a failed note
    clean_model = sum(r["outcome"] == "clean_model" for r in drafts)
    clean_composed = sum(r["outcome"] == "clean_composed" for r in drafts)
    known_composed = [r for r in drafts if r["composed"] is not None]
    kept = sum(not r["composed"] for r in known_composed)
    per_candidate = [b for r in drafts for b in (r["candidate_blocking"] or [])]
    seconds = [r["seconds"] for r in drafts]
    tokens = [r["prompt_tokens"] + r["completion_tokens"] for r in drafts]
    return {
        "n": len(rows), "drafts": len(drafts), "no_note": sum(r["outcome"] == "no_note" for r in rows),
        "errors": len(errors),
        "no_blocking": clean_model + clean_composed, "no_blocking_share": _share(clean_model + clean_composed,
                                                                                 attempted),
        "clean_by_model": clean_model, "clean_by_model_share": _share(clean_model, attempted),
        "clean_composed": clean_composed, "clean_composed_share": _share(clean_composed, attempted),
        "blocked": len(drafts) - clean_model - clean_composed,
        # None when the drafting does not say whether it composed (today's Draft has no `composed`)
        "model_words_kept_share": _share(kept, attempted) if known_composed else None,
        "blocking_per_candidate_mean": _mean(per_candidate),
        "blocking_per_kept_draft_mean": _mean([r["blocking"] for r in drafts]),
        "seconds_median": round(statistics.median(seconds), 3) if seconds else None,
        "seconds_mean": _mean(seconds),
        "tokens_per_note_mean": _mean(tokens),
        "prompt_tokens_mean": _mean([r["prompt_tokens"] for r in drafts]),
        "completion_tokens_mean": _mean([r["completion_tokens"] for r in drafts]),
        "candidates_mean": _mean([r["candidates"] for r in drafts]),
        "attempts_mean": _mean([r["attempts"] for r in drafts]),
        "core_fact_stated_share": _share(sum(r["core_fact_stated"] for r in drafts), attempted),
        "canary_leaks": sum(r["canary_leaked"] for r in drafts),
        "prompt_versions": sorted({r["prompt_version"] for r in drafts}),
        "blocking_kinds": dict(sorted(_count(k for r in drafts for k in r["blocking_kinds"]).items())),
    }


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def summaries(rows: list[dict[str, Any]], variants: Sequence[str]) -> dict[str, dict[str, Any]]:
    kinds = sorted({r["kind"] for r in rows})
    return {v: {"all": summarize([r for r in rows if r["variant"] == v]),
                **{k: summarize([r for r in rows if r["variant"] == v and r["kind"] == k]) for k in kinds}}
            for v in variants}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


HEADERS = ["moment", "variant", "n", "no blocking (model + composed)", "model words kept",
           "blocking / candidate", "median s", "mean s", "tokens / note", "core fact stated", "errors",
           "no note"]


def table_rows(summary: dict[str, dict[str, Any]]) -> list[list[str]]:
    groups = sorted({g for s in summary.values() for g in s if g != "all"}) + ["all"]
    out = []
    for group in groups:
        for variant, by_kind in summary.items():
            s = by_kind.get(group)
            if not s or not s["n"]:
                continue
            out.append([group if group != "all" else "**all**", variant, str(s["drafts"] + s["errors"]),
                        f"{_pct(s['no_blocking_share'])} ({_pct(s['clean_by_model_share'])} + "
                        f"{_pct(s['clean_composed_share'])})",
                        _pct(s["model_words_kept_share"]), _num(s["blocking_per_candidate_mean"], 2),
                        _num(s["seconds_median"]), _num(s["seconds_mean"]),
                        _num(s["tokens_per_note_mean"], 0), _pct(s["core_fact_stated_share"]),
                        str(s["errors"]), str(s["no_note"])])
    return out


def markdown(summary: dict[str, dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "| " + " | ".join("---" for _ in HEADERS) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(summary)]
    return "\n".join(lines)


# --- the run -------------------------------------------------------------------------------------

def _write(path: Path, document: dict[str, Any]) -> None:
    """Replace ``path`` in one step: a run stopped halfway leaves the last complete flush."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def interleaved(cases: list[Case]) -> list[Case]:
    """The cases taken round-robin by moment kind, so that any first N cover every kind."""
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    queues = [list(group) for _, group in sorted(by_kind.items())]
    ordered: list[Case] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def run(cases: list[Case], variants: Sequence[str], model_for: Callable[[int], pn.ChatModel | str],
        output: Path, header: dict[str, Any]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    total = len(cases) * len(variants)

    def document(complete: bool) -> dict[str, Any]:
        return {**header, "complete": complete, "notes_done": len(rows), "notes_planned": total,
                "elapsed_seconds": round(time.perf_counter() - started, 1),
                "missing_attributes": dict(MISSING),
                "summary": summaries(rows, variants), "rows": rows}

    for index, case in enumerate(cases):
        for variant in variants:
            row = draft_one(case, variant, model_for(index))
            rows.append(row)
            detail = (f"{row['blocking']} blocking {','.join(row['blocking_kinds'])}".rstrip()
                      if row["outcome"] == "blocked" else row.get("error", "")[:80])
            tokens = (f"{row['prompt_tokens'] + row['completion_tokens']:>5} tok" if "prompt_tokens" in row
                      else "")
            print(f"[{len(rows):>3}/{total}] {variant:<3} {case.id:<7} {case.kind:<21} "
                  f"{str(row['channel'] or '-'):<6} {row['outcome']:<14} {row['seconds']:>6.1f} s {tokens} "
                  f"{detail}".rstrip(), flush=True)
            _write(output, document(False))
    final = document(True)
    _write(output, final)
    return final


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--limit", type=int, help="the first N customers only (fixtures first)")
    parser.add_argument("--variants", default="v3,new", help="comma-separated, of: v3, new [v3,new]")
    parser.add_argument("--model", choices=["local", "fake"], default="local",
                        help="local: the embedded SmolLM2-135M; fake: FakeChatModel (the harness only)")
    parser.add_argument("--seed", type=int, default=generated.SEED, help="the generated set's seed [11]")
    parser.add_argument("--count", type=int, default=generated.COUNT, help="generated customers [72]")
    parser.add_argument("--output", type=Path,
                        help="results file [bench/results/note_quality.json; with --model fake, "
                             "note_quality.fake.json in the temporary folder]")
    args = parser.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    output = args.output or (DEFAULT_OUTPUT if args.model == "local"
                             else Path(tempfile.gettempdir()) / "note_quality.fake.json")

    customers = generated.generate(args.seed, args.count)
    cases = fixture_cases() + interleaved(generated_cases(customers))
    if args.limit is not None:
        cases = cases[: args.limit]
    load_seconds = None
    if args.model == "local":
        local = pn.resolve_model("local")  # cached: draft_note(model="local") gets this same instance
        loader = getattr(local, "_model", None)  # load the weights now, not inside the first note's time
        start = time.perf_counter()
        if callable(loader):
            loader()
        load_seconds = round(time.perf_counter() - start, 2)
        model_name = local.name

        def model_for(index: int) -> pn.ChatModel | str:
            return "local"
    else:
        model_name = "fake-model"

        def model_for(index: int) -> pn.ChatModel | str:
            return fake_model(index)

    header = {
        "bench": "note_quality", "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(), "code": code_version(), "model": model_name,
        "model_load_seconds": load_seconds, "as_of": AS_OF.isoformat(),
        "variants": {v: {"prompt": str(Path(p).relative_to(ROOT)) if p.endswith(".toml") else p,
                         **({"prompt_sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()}
                            if p.endswith(".toml") else {})}
                     for v, p in VARIANTS.items() if v in variants},
        "generated": {"seed": args.seed, "count": args.count,
                      "coverage": generated.coverage(customers)},
        "customers": {"fixture": sum(c.source == "fixture" for c in cases),
                      "generated": sum(c.source == "generated" for c in cases), "limit": args.limit},
    }
    print(f"note_quality: {len(cases)} customers x {len(variants)} variant(s) on {model_name}; "
          f"{machine_line(header['machine'])}; writing {output}", flush=True)
    result = run(cases, variants, model_for, output, header)
    summary = result["summary"]
    if "new" in summary and summary["new"]["all"]["prompt_versions"] == ["3"]:
        print("note: the 'new' variant drafted with prompt version 3: the framed prompt is missing")
    if MISSING:
        print(f"note: attributes of the new drafting missing, read as n/a: {dict(MISSING)}")
    print()
    print(table(HEADERS, table_rows(summary)))
    print()
    print(markdown(summary))
    print(f"\nwritten {output}")


if __name__ == "__main__":
    main()
