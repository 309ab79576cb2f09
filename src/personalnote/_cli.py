"""The ``personalnote`` command. Errors become messages (exit 2) only here."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import _constants as C
from ._checks import Finding, check_text
from ._compose import Signer
from ._context import build_context
from ._draft import Draft, draft_note
from ._errors import InputFileError, PersonalNoteError
from ._loaders import load, load_business_events
from ._moments import MomentReport, find_moments

__all__ = ["main"]


def _as_of(text: str | None) -> datetime:
    text = text or os.environ.get(C.ENV_AS_OF)
    if not text:
        return datetime.now(UTC)  # the CLI boundary is the one place the clock is read
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of {text!r} is not ISO-8601 (e.g. 2026-11-20T12:00:00Z)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _print_report(report: MomentReport) -> None:
    print(f"{report.customer_id} (as of {report.as_of.date().isoformat()})")
    if report.no_note:
        print("  no note:")
        for reason in report.no_note_reasons:
            print(f"    - {reason.code}: {reason.message}")
        return
    for m in report.moments:
        print(f"  {m.kind:<22} strength {m.strength:.2f}  {m.why_now}")
        print(f"  {'':<22} evidence: {', '.join(m.evidence)}")
    for s in report.suppressed:
        print(f"  (suppressed {s.moment.kind}: {s.reason.message})")


def _moments(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    data = load(args.path)
    extra = load_business_events(args.business_events) if args.business_events else []
    for history in data.customers:
        ctx = build_context(history, as_of, business_events=[*data.business_events, *extra])
        report = find_moments(ctx)
        if args.json:
            print(json.dumps(report.to_json_dict(), ensure_ascii=False))
        else:
            _print_report(report)
    return 0


def _signer(text: str) -> Signer:
    role, _, name = text.partition(":")
    return Signer(role.strip(), name.strip() or None)


def _draft(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    data = load(args.path)
    extra = load_business_events(args.business_events) if args.business_events else []
    histories = [data.customer(args.customer)] if args.customer else data.customers
    for history in histories:
        result = draft_note(history, as_of=as_of, moment=args.moment, channel=args.channel,
                            model=args.model, signers=[_signer(s) for s in args.signer],
                            business_events=[*data.business_events, *extra])
        if isinstance(result, Draft):
            if args.json:
                print(json.dumps(result.to_json_dict(), ensure_ascii=False))
            else:
                p = result.provenance
                print(f"# {result.customer_id}: {result.moment.kind} ({result.moment.why_now})\n")
                print(result.text)
                print("\nclaims:")
                for claim in result.claims:
                    print(f"  - {claim.text}  [{', '.join(claim.fact_ids)}]")
                if result.findings:
                    print("\nfindings:")
                    _print_findings(result.findings, result.text)
                print(f"\n{p.model} · prompt {p.prompt} v{p.prompt_version} · {p.prompt_tokens} prompt + "
                      f"{p.completion_tokens} completion tokens · {p.attempts} attempt(s)")
                print("Not sent: a person must review and sign this note.")
        elif args.json:
            print(json.dumps({"customer_id": result.customer_id, "moment": None, "draft": None,
                              "no_note_reasons": [r.model_dump() for r in result.no_note_reasons]}))
        else:
            _print_report(result)
    return 0


def _print_findings(findings: list[Finding], text: str) -> None:
    for f in findings:
        where = text[f.span[0]:f.span[1]] if f.span else ""
        print(f"  [{f.severity}] {f.kind}: {f.message}" + (f"  «{where}»" if where else ""))


def _check(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    data = load(args.path)
    history = data.customer(args.customer) if args.customer else data.customers[0]
    try:
        text = args.text_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(args.text_file, exc.strerror or str(exc)) from None
    ctx = build_context(history, as_of, business_events=data.business_events)
    report = find_moments(ctx)
    evidence = report.best.evidence if report.best else []
    if report.best:
        ctx = ctx.with_facts(report.best.facts)
    others = [" ".join(p for p in (h.customer.given_name, h.customer.family_name) if p)
              for h in data.customers if h.customer.id != history.customer.id]
    findings = check_text(text, ctx, cited=list(ctx.facts), signers=[_signer(s) for s in args.signer],
                          channel=args.channel or history.customer.preferred_channel or "email",
                          moment_evidence=evidence, other_customer_names=[o for o in others if o])
    if args.json:
        print(json.dumps({"customer_id": history.customer.id,
                          "findings": [f.to_json_dict() for f in findings]}, ensure_ascii=False))
    else:
        print(f"{history.customer.id}: {len(findings)} finding(s)")
        _print_findings(findings, text)
    return 1 if any(f.severity == "blocking" for f in findings) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="personalnote",
        description="Draft personal notes to customers; nothing is ever sent without a person's sign-off.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    moments = sub.add_parser(
        "moments", help="list a customer's moments, strongest first, or 'no note' with the reasons",
        description="Detect moments worth a personal note in a customer file (.json or .jsonl).",
    )
    moments.add_argument("path", type=Path, help="customer file: .json (one or many) or .jsonl")
    moments.add_argument("--as-of", help=f"ISO-8601 instant (default: ${C.ENV_AS_OF}, else now)")
    moments.add_argument("--business-events", type=Path, help="a separate file of business events")
    moments.add_argument("--json", action="store_true", help="one JSON object per customer")
    moments.set_defaults(run=_moments)

    draft = sub.add_parser(
        "draft", help="draft a note for a customer's strongest moment (never sends it)",
        description="Draft a personal note with a language model. Model: --model, else $PERSONALNOTE_MODEL, "
                    "else OPENAI_API_KEY/OPENAI_BASE_URL, else the embedded model (personalnote[local]).",
    )
    draft.add_argument("path", type=Path, help="customer file: .json or .jsonl")
    draft.add_argument("--customer", help="only this customer id (default: every customer in the file)")
    draft.add_argument("--as-of", help=f"ISO-8601 instant (default: ${C.ENV_AS_OF}, else now)")
    draft.add_argument("--moment", help="draft for this moment kind (default: the strongest)")
    draft.add_argument("--channel", choices=["card", "email", "letter", "sms"],
                       help="default: the customer's preferred channel, else email")
    draft.add_argument("--model", help="'local', 'local:/path/model.gguf', or a model name on OpenAI or "
                                       "$OPENAI_BASE_URL")
    draft.add_argument("--signer", action="append", default=[], metavar="ROLE[:NAME]",
                       help="who signs (repeat for several), e.g. --signer Captain --signer 'First Officer'")
    draft.add_argument("--business-events", type=Path, help="a separate file of business events")
    draft.add_argument("--json", action="store_true", help="one JSON object per customer")
    draft.set_defaults(run=_draft)

    checker = sub.add_parser(
        "check", help="check a hand-written note against a customer's facts",
        description="Run personalnote's checks on your own note. Exit 0: no blocking finding; "
                    "1: blocking findings; 2: bad input.",
    )
    checker.add_argument("path", type=Path, help="customer file: .json or .jsonl")
    checker.add_argument("--text-file", type=Path, required=True, help="the note, as plain text")
    checker.add_argument("--customer", help="customer id (default: the first in the file)")
    checker.add_argument("--as-of", help=f"ISO-8601 instant (default: ${C.ENV_AS_OF}, else now)")
    checker.add_argument("--channel", choices=["card", "email", "letter", "sms"])
    checker.add_argument("--signer", action="append", default=[], metavar="ROLE[:NAME]")
    checker.add_argument("--json", action="store_true", help="a JSON object with the findings")
    checker.set_defaults(run=_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.run(args))
    except argparse.ArgumentTypeError as exc:
        print(f"personalnote: error: {exc}", file=sys.stderr)
        return 2
    except PersonalNoteError as exc:
        print(f"personalnote: error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:  # an unknown --customer id
        print(f"personalnote: error: {exc.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
