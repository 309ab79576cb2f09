"""What the ``personalnote`` commands share: ``--as-of`` and the clock, the review store, options.

Example::

    as_of = as_of_arg(args.as_of)        # --as-of, else $PERSONALNOTE_AS_OF, else the clock
    with review_queue(args) as queue: ...
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import ConfigurationError, Finding, ReviewQueue, load_business_events
from . import _constants as C

__all__ = ["as_of_arg", "as_of_option", "business_events_option", "extra_events", "json_option",
           "print_findings", "review_queue", "store_option"]


def as_of_arg(text: str | None) -> datetime:
    if text is not None and not text.strip():
        raise argparse.ArgumentTypeError("--as-of is empty; give an ISO-8601 instant, or leave the option "
                                          "out to use the clock")
    text = text or os.environ.get(C.ENV_AS_OF)
    if not text:
        return datetime.now(UTC)  # the CLI boundary is the one place the clock is read
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of {text!r} is not ISO-8601 (e.g. 2026-11-20T12:00:00Z)"
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not C.in_instant_range(value):
        raise argparse.ArgumentTypeError(f"--as-of {text!r} is outside the years {C.EARLIEST_INSTANT.year}-"
                                         f"{C.LATEST_INSTANT.year - 1}")
    return value


def review_queue(args: argparse.Namespace) -> ReviewQueue:
    """The review queue of ``--store`` (else the environment's, else the default). An existing empty
    file is refused: it is not a store, and silently turning it into one hides a wrong path."""
    path: Path | None = args.store
    if path is not None and path.is_file() and path.stat().st_size == 0:
        raise ConfigurationError(f"--store {path} is an empty file, not a review store: give the store's "
                                 "file, or a path that does not exist yet (it is created)")
    return ReviewQueue(path)


def extra_events(args: argparse.Namespace) -> list[Any]:
    """The business events of ``--business-events``, if given."""
    return load_business_events(args.business_events) if args.business_events else []


def print_findings(findings: list[Finding], text: str) -> None:
    for f in findings:
        where = text[f.span[0]:f.span[1]] if f.span else ""
        print(f"  [{f.severity}] {f.kind}: {f.message}" + (f"  «{where}»" if where else ""))


def store_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    default = f"${C.ENV_STORE}, else ~/.local/share/personalnote/{C.STORE_FILE_NAME}"
    parser.add_argument("--store", type=Path,
                        help=help or f"the review store (SQLite file; default: {default})")


def as_of_option(parser: argparse.ArgumentParser, what: str = "ISO-8601 instant") -> None:
    parser.add_argument("--as-of", help=f"{what} (default: ${C.ENV_AS_OF}, else now)")


def business_events_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--business-events", type=Path, help="a separate file of business events")


def json_option(parser: argparse.ArgumentParser, help: str = "print JSON") -> None:
    parser.add_argument("--json", action="store_true", help=help)
