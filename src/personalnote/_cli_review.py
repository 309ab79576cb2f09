"""The review commands of ``personalnote``: review list/show/approve/edit/reject/verify, export, stats.

Example::

    review_parsers(sub)                  # adds `review`, `export` and `stats` to the CLI's parser
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import get_args

from . import ConfigurationError, ExportFormat, QueuedDraft, Reviewer, ReviewQueue, State
from . import _constants as C
from ._cli_common import (
    as_of_arg,
    as_of_option,
    business_events_option,
    extra_events,
    json_option,
    load_data,
    preset_option,
    print_findings,
    review_queue,
    store_option,
)
from ._loaders import read_text
from .cli_experiments import experiment_stats

__all__ = ["EXIT_NOTHING_NEW", "review_parsers"]

#: the exit status of `export` when there was nothing new to write (the earlier file is kept)
EXIT_NOTHING_NEW = 4


def _reviewer(args: argparse.Namespace) -> Reviewer:
    return Reviewer(args.reviewer, args.printed_name, args.role)


def _version(queue: ReviewQueue, args: argparse.Namespace) -> int:
    """The version the reviewer read (``--version``), else the current one."""
    return int(args.version) if args.version is not None else queue.get(args.id).version


def _expired(item: QueuedDraft, as_of: datetime | date | None) -> bool:
    """A pending draft whose moment is no longer fresh at ``as_of``: it can no longer be approved."""
    return as_of is not None and item.state in ("drafted", "edited") and item.expired(as_of)


def _print_item(item: QueuedDraft, *, full: bool = False, as_of: datetime | date | None = None) -> None:
    blocking = len(item.blocking)
    first = " ".join(item.text.split())[:60]
    label = item.draft.for_label
    expired = "EXPIRED  " if _expired(item, as_of) else ""
    print(f"{item.id:>5}  {item.state:<9} v{item.version:<3} {item.customer_id:<10} {item.moment.kind:<22} "
          f"{blocking} blocking  {expired}" + (f"({label}) " if label else "") + first)
    if not full:
        return
    p = item.draft.provenance
    ahead = f", {label}" if label else ""
    print(f"\nmoment: {item.moment.key} ({item.moment.why_now}{ahead})")
    gone = ": EXPIRED, it can no longer be approved (reject it)" if _expired(item, as_of) else ""
    print(f"fresh until {item.expires_at.isoformat(timespec='minutes')}{gone}")
    print(f"{p.model} · prompt {p.prompt} v{p.prompt_version} · source {item.source or '-'}\n")
    print(item.text)
    print(f"\ntext SHA-256 {item.text_sha256}" + ("  (edited)" if item.edited else ""))
    if item.findings:
        print("\nfindings:")
        print_findings(list(item.findings), item.text)
    if item.approval:
        a = item.approval
        print(f"\napproved ({a.meaning}) by {a.printed_name}, {a.role}, at {a.signed_at}")


def _emit(args: argparse.Namespace, item: QueuedDraft, verb: str) -> int:
    if args.json:
        print(json.dumps(item.to_json_dict(), ensure_ascii=False))
    else:
        print(f"{verb} draft {item.id}: now version {item.version} ({item.state}), "
              f"text SHA-256 {item.text_sha256[:16]}…")
        for finding in item.blocking:
            print(f"  [blocking] {finding.kind}: {finding.message}")
    return 0


def _review(args: argparse.Namespace) -> int:
    with review_queue(args) as queue:
        if args.action == "list":
            items = queue.drafts([args.state] if args.state else None) if args.all or args.state \
                else queue.pending()
            now = as_of_arg(args.as_of) if items else None
            if args.json:
                listed = [{**i.to_json_dict(), "expired": _expired(i, now)} for i in items]
                print(json.dumps({"drafts": listed}, ensure_ascii=False))
            for item in [] if args.json else items:
                _print_item(item, as_of=now)
            expired = sum(_expired(i, now) for i in items)
            if expired and not args.json:
                print(f"{expired} expired: the moment is no longer fresh, so approval is refused; reject "
                      "them (review reject ID --reason ...)")
            if not items and not args.json:
                print(f"nothing to review in {queue.path}")
            return 0
        if args.action == "show":
            item = queue.get(args.id)
            history = queue.history(args.id)
            now = as_of_arg(args.as_of)
            if args.json:
                print(json.dumps({**item.to_json_dict(), "expired": _expired(item, now),
                                  "history": [s.to_json_dict() for s in history]}, ensure_ascii=False))
                return 0
            _print_item(item, full=True, as_of=now)
            for s in history:
                print(f"  #{s.seq} {s.signed_at} {s.meaning:<8} v{s.version} {s.printed_name} ({s.role})"
                      + (f": {s.reason}" if s.reason else ""))
            return 0
        if args.action == "verify":
            report = queue.verify()
            if args.json:
                print(json.dumps(report.to_json_dict()))
                return 0 if report.ok else 1
            if report.ok:
                print(f"signature record: {report.rows} row(s), hash chain intact, " + (
                    f"keyed (HMAC-SHA256, key id(s) {', '.join(report.key_ids) or '-'})" if report.keyed
                    else f"UNKEYED: {report.warning}"))
            elif report.first_broken is not None:
                print(f"signature record: {report.rows} row(s), BROKEN at row {report.first_broken}: "
                      f"{report.problem}")
            else:
                print(f"signature record: {report.rows} row(s), hash chain intact, but {report.problem}:")
            for draft_id, reason in report.drafts:
                print(f"  draft {draft_id}: {reason}")
            return 0 if report.ok else 1
        version = _version(queue, args)
        if args.action == "approve":
            item = queue.get(args.id)
            source = args.data or (Path(item.source) if item.source else None)
            if source is None:
                raise ConfigurationError(f"draft {args.id} has no recorded customer file; pass --data PATH "
                                         "with the customer's current history")
            if args.preset is None and (source.suffix.lower() == ".csv" or source.is_dir()):
                raise ConfigurationError(f"draft {args.id} was made from the export {source}: pass --preset "
                                         "NAME, the preset it was loaded with")
            data = load_data(source, args.preset)
            extra = extra_events(args)
            approved = queue.approve(args.id, _reviewer(args), version=version,
                                     current=data.customer(item.customer_id), as_of=as_of_arg(args.as_of),
                                     business_events=[*data.business_events, *extra],
                                     override_reason=args.override)
            return _emit(args, approved, "approved")
        if args.action == "edit":
            text = read_text(args.text_file)
            return _emit(args, queue.edit(args.id, _reviewer(args), version=version, text=text,
                                          reason=args.reason), "edited")
        return _emit(args, queue.reject(args.id, _reviewer(args), version=version, reason=args.reason),
                     "rejected")


def _export(args: argparse.Namespace) -> int:
    with review_queue(args) as queue:
        result = queue.export(args.format, args.out, again=args.again, card_size=args.card_size,
                              letter_size=args.letter_size, font=args.font)
    if args.json:
        print(json.dumps({"format": result.format, "path": str(result.path), "written": result.written,
                          "manifest": str(result.manifest) if result.manifest else None,
                          "count": result.count,
                          "draft_ids": list(result.draft_ids), "keyed": result.keyed,
                          "left_out": [{"draft_id": d, "reason": r} for d, r in result.left_out],
                          "not_printed": [{"draft_id": d, "reason": r} for d, r in result.not_printed]}))
    elif not result.written:
        kept = " (the earlier file is kept as it was)" if result.path.exists() else ""
        print(f"nothing new to export: no note was approved since the last export, so {result.path} was not "
              f"written{kept}; pass --again to reprint exported notes")
    else:
        manifest = f", manifest {result.manifest}" if result.manifest else ""
        print(f"exported {result.count} approved note(s) to {result.path} ({result.format}{manifest}); "
              "nothing was sent")
    if not result.keyed and not args.json:
        print("personalnote: warning: the signature record is signed with the public development key, "
              f"so it is not tamper-proof; set {C.ENV_SIGNING_KEY}", file=sys.stderr)
    for draft_id, reason in result.not_printed:
        print(f"personalnote: not printed: draft {draft_id}: {reason}", file=sys.stderr)
    for draft_id, reason in result.left_out:
        print(f"personalnote: left out draft {draft_id}: {reason}", file=sys.stderr)
    if result.left_out:
        return 1
    return 0 if result.written else EXIT_NOTHING_NEW


def _stats(args: argparse.Namespace) -> int:
    if args.experiment is not None:
        return experiment_stats(args)
    with review_queue(args) as queue:
        stats = queue.stats()
        edits = queue.edit_summary(args.top) if args.edits else None
    if args.json:
        out = {"prompts": [s.to_json_dict() for s in stats]}
        if edits is not None:
            out["edits"] = [e.to_json_dict() for e in edits]
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for s in stats:
        rate = "-" if s.approval_rate is None else f"{s.approval_rate:.0%}"
        distance = "-" if s.mean_edit_distance is None else f"{s.mean_edit_distance:.1f}"
        print(f"{s.prompt} v{s.prompt_version}: {s.drafts} draft(s), approval rate {rate}; "
              f"{s.approved_unchanged} approved unchanged, {s.approved_edited} edited (mean edit distance "
              f"{distance} characters), {s.rejected} rejected, {s.pending} pending, "
              f"{s.changes_requested} change(s) requested")
        for reason, count in s.rejection_reasons:
            print(f"    rejected ×{count}: {reason}")
    if not stats:
        print("no drafts in the store yet")
    for e in edits or []:
        print(f"{e.prompt} v{e.prompt_version}: the reviewers' edits in {e.edited} approved note(s)")
        print("    deleted most: " + ("; ".join(f"'{p}' x{n}" for p, n in e.deleted) or "-"))
        print("    added most:   " + ("; ".join(f"'{p}' x{n}" for p, n in e.added) or "-"))
    if edits == []:
        print("no approved note was edited yet")
    return 0


def _queue_number(text: str) -> int:
    """A draft id or version: a whole number that SQLite can hold (a larger one is no draft)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:40]} is out of range (0 to {2**63 - 1})")
    return value


def review_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser("review", help="the sign-off queue: list, show, approve, edit, reject, verify",
                            description="Review drafts. Every decision is signed (--reviewer) and names the "
                                        "version you read; if someone decided first you get an error, "
                                        "never a silent overwrite.")
    actions = review.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="drafts waiting for a decision (--all for every draft)")
    listing.add_argument("--all", action="store_true", help="every draft, whatever its state")
    listing.add_argument("--state", choices=get_args(State), help="only drafts in this state")
    show = actions.add_parser("show", help="a draft's text, findings and signatures")
    verify = actions.add_parser("verify", help="verify the signature record's hash chain (exit 1 if broken)")
    approve = actions.add_parser("approve", help="sign a draft off, after re-checking its moment",
                                 description="Approve the version you read. The moment is re-checked on the "
                                             "customer's current file: approval is refused if it is no "
                                             "longer true (for example a complaint was opened since).")
    approve.add_argument("--data", type=Path, help="the customer's current file (default: the file it was "
                                                   "drafted from)")
    business_events_option(approve)
    preset_option(approve)
    as_of_option(approve, "the instant to re-check the moment at")
    approve.add_argument("--override", metavar="REASON",
                         help="approve despite blocking findings, and say why (an 'override' signature)")
    edit = actions.add_parser("edit", help="replace the text: a new version, checked again, approved "
                                           "separately",
                              description="Replace the draft's text with the text file's. Give the body "
                                          "alone: the greeting and the signature block are the draft's own "
                                          "and are added; a whole note (greeting to signature) is kept as "
                                          "given. The new version is checked again and needs its own "
                                          "approval.")
    edit.add_argument("--text-file", type=Path, required=True,
                      help="the new text: the body alone (the draft's greeting, closing and signature block "
                           "are added) or the whole note")
    edit.add_argument("--reason", help="why you changed it")
    reject = actions.add_parser("reject", help="reject a draft, with the reason (it goes into the stats)")
    reject.add_argument("--reason", required=True, help="why the note should not go out")
    for parser in (listing, show, verify, approve, edit, reject):
        store_option(parser)
        json_option(parser)
    for parser in (listing, show):
        as_of_option(parser, "the instant to judge expiry at (a pending draft whose moment is no longer "
                             "fresh shows as EXPIRED)")
    for parser in (show, approve, edit, reject):
        parser.add_argument("id", type=_queue_number, help="the draft's queue id (see `review list`)")
    for parser in (approve, edit, reject):
        parser.add_argument("--version", type=_queue_number,
                            help="the version you read (default: the current one)")
        parser.add_argument("--reviewer", required=True, metavar="ID", help="your reviewer id (required: "
                                                                           "you sign)")
        parser.add_argument("--name", dest="printed_name", help="your name as printed (default: the id)")
        parser.add_argument("--role", default="reviewer", help="your role (default: reviewer)")
    review.set_defaults(run=_review)

    export = sub.add_parser("export", help="write approved notes to a file (never sends them)",
                            description="Write every approved note whose approval matches its current text "
                                        "and mark it exported; exported notes are left out next time. With "
                                        "nothing new to write, nothing is written (an earlier file is kept) "
                                        f"and the exit status is {EXIT_NOTHING_NEW}. pdf and card print card "
                                        "and letter notes only, one per page, and write a manifest CSV "
                                        "beside the file (cards.pdf -> cards.manifest.csv).")
    export.add_argument("--format", choices=get_args(ExportFormat), required=True,
                        help="jsonl, csv (formula-safe), pdf (cards and letters to sign; needs "
                             "'personalnote[pdf]'), or card (the same as print-ready HTML)")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.add_argument("--again", action="store_true", help="include notes exported before (a reprint)")
    export.add_argument("--card-size", default=C.DEFAULT_CARD_SIZE, metavar="SIZE",
                        help=f"pdf/card: {', '.join(C.CARD_SIZES)} or WIDTHxHEIGHT with mm, cm or in (e.g. "
                             f"120x170mm); default {C.DEFAULT_CARD_SIZE}")
    export.add_argument("--letter-size", default=C.DEFAULT_LETTER_SIZE, metavar="SIZE",
                        help=f"pdf/card: the page of a letter, {' or '.join(C.LETTER_SIZES)}; default "
                             f"{C.DEFAULT_LETTER_SIZE}")
    export.add_argument("--font", type=Path, help="pdf: a TrueType font file to set the notes in (default: "
                                                  "DejaVu Serif, from fonts-dejavu-core)")
    stats = sub.add_parser("stats", help="per prompt version: approved unchanged, edited, rejected, approval "
                                         "rate")
    stats.add_argument("--edits", action="store_true",
                       help="per prompt version, the phrases reviewers deleted and added most")
    stats.add_argument("--top", type=_queue_number, default=10, metavar="N",
                       help="with --edits: how many phrases of each (default 10)")
    stats.add_argument("--experiment", metavar="NAME",
                       help="the experiment's report: per arm, approved unchanged, edited, rejected, "
                            "requested changes and outcomes with their intervals, and the verdict")
    for parser in (export, stats):
        store_option(parser)
        json_option(parser)
    export.set_defaults(run=_export)
    stats.set_defaults(run=_stats)
