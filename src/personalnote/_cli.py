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
from ._context import build_context
from ._errors import PersonalNoteError
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
