"""What the ``personalnote`` commands share: ``--as-of`` and the clock, the review store, options.

Example::

    as_of = as_of_arg(args.as_of)        # --as-of, else $PERSONALNOTE_AS_OF, else the clock
    with review_queue(args) as queue: ...
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from . import (
    ConfigurationError,
    ContextError,
    Dataset,
    Finding,
    ReviewQueue,
    StoreNotFoundError,
    export_presets,
    load,
    load_business_events,
    load_csv,
)
from . import _constants as C
from ._instants import parse_as_of

__all__ = ["as_of_arg", "as_of_option", "business_events_option", "extra_events", "json_option",
           "print_findings", "review_queue", "store_option"]


def as_of_arg(text: str | None) -> datetime | date:
    """``--as-of``, else ``$PERSONALNOTE_AS_OF``, else the clock (the CLI boundary is the one place the
    clock is read; the instant used is printed on stderr, to the second, so a run can be repeated).

    A date alone is returned as a date: the library takes it as the end of that day in each
    customer's own time zone.
    """
    if text is not None and not text.strip():
        raise argparse.ArgumentTypeError("--as-of is empty; give an ISO-8601 instant or date, or leave the "
                                         "option out to use the clock")
    name = "--as-of"
    if not text and os.environ.get(C.ENV_AS_OF):
        text, name = os.environ[C.ENV_AS_OF], f"${C.ENV_AS_OF}"
    if not text:
        now = datetime.now(UTC).replace(microsecond=0)
        print(f"personalnote: as of {now:%Y-%m-%dT%H:%M:%SZ} (the clock; pass --as-of to fix it)",
              file=sys.stderr)
        return now
    try:
        return parse_as_of(text, name=name)
    except ContextError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def review_queue(args: argparse.Namespace, *, create: bool = False) -> ReviewQueue:
    """The review queue of ``--store`` (else the environment's, else the default).

    Only the commands that write a draft ``create`` a store; the others refuse a path with no store,
    so a typo never becomes a new, empty one. An existing empty file is refused either way: it is
    not a store, and silently turning it into one hides a wrong path.
    """
    path: Path | str | None = args.store
    url = isinstance(path, str) or (path is None and os.environ.get(C.ENV_STORE, "").startswith(
        C.POSTGRES_URL_SCHEMES))
    if isinstance(path, Path) and path.is_file() and path.stat().st_size == 0:
        raise ConfigurationError(f"--store {path} is an empty file, not a review store: give the store's "
                                 "file" + (", or a path that does not exist yet (it is created)" if create
                                           else ""))
    if create:
        return ReviewQueue(path)
    try:
        return ReviewQueue.open(path)
    except StoreNotFoundError as exc:
        if url:  # a PostgreSQL store: its owner creates it (the error says how)
            raise
        how = (f"`personalnote draft CUSTOMER_FILE --store {exc.path}` creates it (only `draft` creates "
               "a store)")
        if path is None and not os.environ.get(C.ENV_STORE):
            hint = f"this is the default store; give --store PATH or set ${C.ENV_STORE}; or {how}"
        else:
            hint = f"check {'--store' if path is not None else '$' + C.ENV_STORE} for a typo; or {how}"
        raise StoreNotFoundError(exc.path, exc.problem, hint=hint) from None


def extra_events(args: argparse.Namespace) -> list[Any]:
    """The business events of ``--business-events``, if given."""
    return load_business_events(args.business_events) if args.business_events else []


def print_findings(findings: list[Finding], text: str) -> None:
    for f in findings:
        where = text[f.span[0]:f.span[1]] if f.span else ""
        print(f"  [{f.severity}] {f.kind}: {f.message}" + (f"  «{where}»" if where else ""))


def _store_arg(text: str) -> Path | str:
    """``--store``: a SQLite file's path, or a ``postgresql://`` URL kept as it is."""
    return text if text.lower().startswith(C.POSTGRES_URL_SCHEMES) else Path(text)


def store_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    default = f"${C.ENV_STORE}, else ~/.local/share/personalnote/{C.STORE_FILE_NAME}"
    parser.add_argument("--store", type=_store_arg, metavar="PATH_OR_URL",
                        help=help or f"the review store: a SQLite file or a postgresql:// URL (default: "
                                     f"{default})")


def as_of_option(parser: argparse.ArgumentParser, what: str = "the instant to work at") -> None:
    parser.add_argument("--as-of", metavar="ISO", help=(
        f"{what}: an ISO-8601 instant (2026-11-20T18:00:00Z; UTC without an offset) or a date alone, "
        f"which means the end of that day in the customer's time zone (default: ${C.ENV_AS_OF}, else "
        "the clock, and the instant used is printed on stderr)"))


def business_events_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--business-events", type=Path, help="a separate file of business events")


def preset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=sorted(export_presets()), metavar="NAME",
                        help="read the path as this export (a CSV file; a folder for salesforce_export): "
                             f"{', '.join(sorted(export_presets()))}")


def load_data(path: Path, preset: str | None) -> Dataset:
    """A customer file, or with ``--preset`` a table export; the rows its filter left out go to stderr."""
    if preset is None:
        return load(path)
    data = load_csv(path, preset=preset)
    for rows in data.left_out:
        print(f"personalnote: left out {rows}", file=sys.stderr)
    return data


def json_option(parser: argparse.ArgumentParser, help: str = "print JSON") -> None:
    parser.add_argument("--json", action="store_true", help=help)
