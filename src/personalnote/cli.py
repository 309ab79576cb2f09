"""The ``personalnote`` command. Errors become messages (exit 2) only here.

The CLI is a client of the library: it imports the public names of ``personalnote``, the
defaults in ``_constants`` (its help prints them) and the loaders' text reader, nothing else.
An application that embeds it, or a test, can give it a model::

    from personalnote.cli import main
    main(["draft", "customer.json", "--as-of", "2026-11-20T18:00:00Z"], model=FakeChatModel([...]))
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, get_args

from . import (
    BatchError,
    BatchResult,
    Channel,
    ChatModel,
    ConfigurationError,
    Dataset,
    Draft,
    DraftOptions,
    ExportFormat,
    Finding,
    InputFileError,
    MomentReport,
    OpenAIChatModel,
    PersonalNoteError,
    QueuedDraft,
    Reviewer,
    ReviewQueue,
    Signer,
    State,
    build_context,
    check_text,
    draft_many,
    draft_note,
    export_presets,
    find_moments,
    load,
    load_business_events,
    load_csv,
    load_customers,
    read_batch_results,
    write_batch_requests,
)
from . import _constants as C
from ._loaders import read_text

__all__ = ["main"]


def _as_of(text: str | None) -> datetime:
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


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _print_report(report: MomentReport) -> None:
    print(f"{report.customer_id} (as of {report.as_of.date().isoformat()})")
    if report.no_note:
        print("  no note:")
        for reason in report.no_note_reasons:
            print(f"    - {reason.code}: {reason.message}")
        return
    for m in report.moments:
        print(f"  {m.kind:<22} strength {m.strength:.2f}  {m.why_now}")
        if m.on is not None and m.ready_by is not None:
            when = "ahead: " if m.ahead_of(report.as_of) else ""
            print(f"  {'':<22} {when}on {_day(m.on)}, ready by {_day(m.ready_by)}")
        print(f"  {'':<22} evidence: {', '.join(m.evidence)}")
    for s in report.suppressed:
        print(f"  (suppressed {s.moment.kind}: {s.reason.message})")


def _queue(args: argparse.Namespace) -> ReviewQueue:
    """The review queue of ``--store`` (else the environment's, else the default). An existing empty
    file is refused: it is not a store, and silently turning it into one hides a wrong path."""
    path: Path | None = args.store
    if path is not None and path.is_file() and path.stat().st_size == 0:
        raise ConfigurationError(f"--store {path} is an empty file, not a review store: give the store's "
                                 "file, or a path that does not exist yet (it is created)")
    return ReviewQueue(path)


def _extra_events(args: argparse.Namespace) -> list[Any]:
    """The business events of ``--business-events``, if given."""
    return load_business_events(args.business_events) if args.business_events else []


def _load_data(path: Path, preset: str | None) -> Dataset:
    """A customer file, or with ``--preset`` a table export; the rows its filter left out go to stderr."""
    if preset is None:
        return load(path)
    data = load_csv(path, preset=preset)
    for rows in data.left_out:
        print(f"personalnote: left out {rows}", file=sys.stderr)
    return data


def _moments(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    data = _load_data(args.path, args.preset)
    extra = _extra_events(args)
    for history in data.customers:
        ctx = build_context(history, as_of, business_events=[*data.business_events, *extra])
        report = find_moments(ctx)
        if args.json:
            print(json.dumps(report.to_json_dict(), ensure_ascii=False))
        else:
            _print_report(report)
    return 0


def _signer(text: str) -> Signer:
    return Signer.parse(text)  # ROLE[:NAME], as the library takes it; an empty role is an error


def _draft(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    if args.preset:
        data = _load_data(args.path, args.preset)
        histories, events = list(data.customers), list(data.business_events)
        sources = {history.customer.id: args.path.resolve() for history in histories}
    else:
        histories, events, sources = load_customers(args.path)
    events.extend(_extra_events(args))
    if args.customer:
        histories = [Dataset.model_construct(customers=histories).customer(args.customer)]
    queue = _queue(args) if args.store or os.environ.get(C.ENV_STORE) else None
    signers = [_signer(s) for s in args.signer]
    if args.path.is_dir() or len(histories) > 1 or args.write_batch or args.read_batch:
        return _draft_batch(args, as_of, histories, events, sources, queue, signers)
    for history in histories:
        ctx = build_context(history, as_of, business_events=events)
        result = draft_note(ctx, model=_model(args), moment=args.moment, channel=args.channel,
                            signers=signers)
        if isinstance(result, Draft):
            queued = queue.submit(result, ctx, source=args.path.resolve()) if queue else None
            if args.json:
                out = result.to_json_dict()
                if queue is not None and queued is not None:
                    out["queue"] = {"id": queued.id, "state": queued.state, "version": queued.version,
                                    "store": str(queue.path)}
                print(json.dumps(out, ensure_ascii=False))
            else:
                _print_draft(result)
                if queue is not None and queued is not None:
                    print(f"Queued for review as draft {queued.id} (version {queued.version}, "
                          f"{queued.state}) in {queue.path}: personalnote review show {queued.id}")
        elif args.json:
            print(json.dumps({"customer_id": result.customer_id, "moment": None, "draft": None,
                              "no_note_reasons": [r.model_dump() for r in result.no_note_reasons]}))
        else:
            _print_report(result)
    return 0


def _print_draft(draft: Draft) -> None:
    p = draft.provenance
    ahead = f", {draft.for_label}" if draft.for_label else ""
    print(f"# {draft.customer_id}: {draft.moment.kind} ({draft.moment.why_now}{ahead})\n")
    print(draft.text)
    print("\nclaims:")
    for claim in draft.claims:
        print(f"  - {claim.text}  [{', '.join(claim.fact_ids)}]")
    if draft.provenance.mode == "framed":
        print("\nwritten by:")
        for sentence in draft.sentences:
            print(f"  - {sentence.author}: {sentence.text}")
    if draft.composed:
        print("\ncomposed by the library: no model candidate was free of blocking findings")
        if draft.model_candidate:
            print(f"  the model's best candidate: {draft.model_candidate}")
    if draft.findings:
        print("\nfindings:")
        _print_findings(draft.findings, draft.text)
    cost = "cost unknown (no price for the model)" if p.cost_usd is None else f"${p.cost_usd:.6f}"
    print(f"\n{p.model} · prompt {p.prompt} v{p.prompt_version} · {p.prompt_tokens} prompt + "
          f"{p.completion_tokens} completion tokens · {p.attempts} attempt(s) · {cost}")
    print("Not sent: a person must review and sign this note.")


def _model(args: argparse.Namespace) -> ChatModel | str | None:
    """The model given to ``main`` (an application or a test), else ``--model``."""
    given: ChatModel | None = args.given_model
    return given if given is not None else args.model


def _batch_model(args: argparse.Namespace) -> OpenAIChatModel | str | None:
    """The Batch API's model: an OpenAI-compatible one writes the request lines."""
    model = _model(args)
    if model is None or isinstance(model, (str, OpenAIChatModel)):
        return model
    raise ConfigurationError(f"the Batch API files need an OpenAI model, not {model.name!r}: "
                             "pass --model NAME")


def _draft_batch(args: argparse.Namespace, as_of: datetime, histories: list[Any],
                 events: list[Any], sources: dict[str, Path], queue: ReviewQueue | None,
                 signers: list[Signer]) -> int:
    """Many customers: live (``draft_many``) or through Batch API files; the summary at the end."""
    options: DraftOptions = {"moment": args.moment, "channel": args.channel, "signers": signers,
                             "business_events": events}
    try:
        if args.write_batch:
            result = write_batch_requests(histories, args.write_batch, as_of=as_of, model=_batch_model(args),
                                          queue=queue, **options)
        elif args.read_batch:
            result = read_batch_results(args.read_batch, histories, as_of=as_of, model=_batch_model(args),
                                        queue=queue, source=sources, **options)
        else:
            result = draft_many(histories, as_of=as_of, model=_model(args), queue=queue, source=sources,
                                concurrency=args.concurrency, max_cost_usd=args.max_cost, **options)
    except BatchError as exc:
        _print_batch(args, exc.result, queue)
        for customer_id, error in exc.errors.items():
            print(f"{customer_id}:\n" + "".join(traceback.format_exception(error)), file=sys.stderr)
        raise
    _print_batch(args, result, queue)
    return 0 if result.complete else 1


def _print_batch(args: argparse.Namespace, result: BatchResult, queue: ReviewQueue | None) -> None:
    if args.json:
        print(json.dumps(result.to_json_dict(with_drafts=queue is None), ensure_ascii=False))
        return
    for draft in result.drafts if queue is None else []:
        _print_draft(draft)
        print()
    print(result.summary())
    if args.write_batch:
        print(f"Wrote {args.write_batch}: upload it to the OpenAI Batch API (endpoint {C.BATCH_API_URL}), "
              "then read the results back with --read-batch RESULTS.jsonl")
    elif queue is not None and result.with_status("drafted"):
        print(f"Queued for review in {queue.path}: personalnote review list. Nothing was sent.")


def _print_findings(findings: list[Finding], text: str) -> None:
    for f in findings:
        where = text[f.span[0]:f.span[1]] if f.span else ""
        print(f"  [{f.severity}] {f.kind}: {f.message}" + (f"  «{where}»" if where else ""))


def _check(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    data = _load_data(args.path, args.preset)
    if not data.customers:
        raise InputFileError(args.path, "holds no customer record; give a file with the customer to check")
    history = data.customer(args.customer) if args.customer else data.customers[0]
    text = read_text(args.text_file)
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
    return 1 if any(f.blocking for f in findings) else 0


# --- review queue ---------------------------------------------------------------------------


def _reviewer(args: argparse.Namespace) -> Reviewer:
    return Reviewer(args.reviewer, args.printed_name, args.role)


def _version(queue: ReviewQueue, args: argparse.Namespace) -> int:
    """The version the reviewer read (``--version``), else the current one."""
    return int(args.version) if args.version is not None else queue.get(args.id).version


def _print_item(item: QueuedDraft, *, full: bool = False) -> None:
    blocking = len(item.blocking)
    first = " ".join(item.text.split())[:60]
    label = item.draft.for_label
    print(f"{item.id:>5}  {item.state:<9} v{item.version:<3} {item.customer_id:<10} {item.moment.kind:<22} "
          f"{blocking} blocking  " + (f"({label}) " if label else "") + first)
    if not full:
        return
    p = item.draft.provenance
    ahead = f", {item.draft.for_label}" if item.draft.for_label else ""
    print(f"\nmoment: {item.moment.key} ({item.moment.why_now}{ahead})")
    print(f"{p.model} · prompt {p.prompt} v{p.prompt_version} · source {item.source or '-'}\n")
    print(item.text)
    print(f"\ntext SHA-256 {item.text_sha256}" + ("  (edited)" if item.edited else ""))
    if item.findings:
        print("\nfindings:")
        _print_findings(list(item.findings), item.text)
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
    with _queue(args) as queue:
        if args.action == "list":
            items = queue.drafts([args.state] if args.state else None) if args.all or args.state \
                else queue.pending()
            if args.json:
                print(json.dumps({"drafts": [i.to_json_dict() for i in items]}, ensure_ascii=False))
            for item in [] if args.json else items:
                _print_item(item)
            if not items and not args.json:
                print(f"nothing to review in {queue.path}")
            return 0
        if args.action == "show":
            item = queue.get(args.id)
            history = queue.history(args.id)
            if args.json:
                print(json.dumps({**item.to_json_dict(), "history": [s.to_json_dict() for s in history]},
                                 ensure_ascii=False))
                return 0
            _print_item(item, full=True)
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
            data = _load_data(source, args.preset)
            extra = _extra_events(args)
            approved = queue.approve(args.id, _reviewer(args), version=version,
                                     current=data.customer(item.customer_id), as_of=_as_of(args.as_of),
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
    with _queue(args) as queue:
        result = queue.export(args.format, args.out, again=args.again)
    if args.json:
        print(json.dumps({"format": result.format, "path": str(result.path), "count": result.count,
                          "draft_ids": list(result.draft_ids), "keyed": result.keyed,
                          "left_out": [{"draft_id": d, "reason": r} for d, r in result.left_out]}))
    else:
        print(f"exported {result.count} approved note(s) to {result.path} ({result.format}); "
              "nothing was sent")
        if not result.keyed:
            print("personalnote: warning: the signature record is signed with the public development key, "
                  f"so it is not tamper-proof; set {C.ENV_SIGNING_KEY}", file=sys.stderr)
    for draft_id, reason in result.left_out:
        print(f"personalnote: left out draft {draft_id}: {reason}", file=sys.stderr)
    return 1 if result.left_out else 0


def _stats(args: argparse.Namespace) -> int:
    with _queue(args) as queue:
        stats = queue.stats()
    if args.json:
        print(json.dumps({"prompts": [s.to_json_dict() for s in stats]}, ensure_ascii=False))
        return 0
    for s in stats:
        rate = "-" if s.approval_rate is None else f"{s.approval_rate:.0%}"
        distance = "-" if s.mean_edit_distance is None else f"{s.mean_edit_distance:.1f}"
        print(f"{s.prompt} v{s.prompt_version}: {s.drafts} draft(s), approval rate {rate}; "
              f"{s.approved_unchanged} approved unchanged, {s.approved_edited} edited (mean edit distance "
              f"{distance} characters), {s.rejected} rejected, {s.pending} pending")
        for reason, count in s.rejection_reasons:
            print(f"    rejected ×{count}: {reason}")
    if not stats:
        print("no drafts in the store yet")
    return 0


# --- options shared by several commands, each declared once ----------------------------------


def _store_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    default = f"${C.ENV_STORE}, else ~/.local/share/personalnote/{C.STORE_FILE_NAME}"
    parser.add_argument("--store", type=Path,
                        help=help or f"the review store (SQLite file; default: {default})")


def _queue_number(text: str) -> int:
    """A draft id or version: a whole number that SQLite can hold (a larger one is no draft)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:40]} is out of range (0 to {2**63 - 1})")
    return value


def _as_of_option(parser: argparse.ArgumentParser, what: str = "ISO-8601 instant") -> None:
    parser.add_argument("--as-of", help=f"{what} (default: ${C.ENV_AS_OF}, else now)")


def _business_events_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--business-events", type=Path, help="a separate file of business events")


def _preset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=sorted(export_presets()), metavar="NAME",
                        help="read the path as this export (a CSV file; a folder for salesforce_export): "
                             f"{', '.join(sorted(export_presets()))}")


def _json_option(parser: argparse.ArgumentParser, help: str = "print JSON") -> None:
    parser.add_argument("--json", action="store_true", help=help)


def _channel_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", choices=get_args(Channel),
                        help="default: the customer's preferred channel, else email")


def _signer_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--signer", action="append", default=[], metavar="ROLE[:NAME]",
                        help="who signs (repeat for several), e.g. --signer Captain --signer 'First Officer'")


def _review_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    _business_events_option(approve)
    _preset_option(approve)
    _as_of_option(approve, "ISO-8601 instant to re-check at")
    approve.add_argument("--override", metavar="REASON",
                         help="approve despite blocking findings, and say why (an 'override' signature)")
    edit = actions.add_parser("edit", help="replace the text: a new version, checked again, approved "
                                           "separately")
    edit.add_argument("--text-file", type=Path, required=True, help="the full new text of the note")
    edit.add_argument("--reason", help="why you changed it")
    reject = actions.add_parser("reject", help="reject a draft, with the reason (it goes into the stats)")
    reject.add_argument("--reason", required=True, help="why the note should not go out")
    for parser in (listing, show, verify, approve, edit, reject):
        _store_option(parser)
        _json_option(parser)
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
                                        "and mark it exported; exported notes are left out next time.")
    export.add_argument("--format", choices=get_args(ExportFormat), required=True,
                        help="jsonl, csv (formula-safe), or card (print-ready HTML)")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.add_argument("--again", action="store_true", help="include notes exported before (a reprint)")
    stats = sub.add_parser("stats", help="per prompt version: approved unchanged, edited, rejected, approval "
                                         "rate")
    for parser in (export, stats):
        _store_option(parser)
        _json_option(parser)
    export.set_defaults(run=_export)
    stats.set_defaults(run=_stats)


_EXAMPLES = """\
a session, from customer file to printed card:
  personalnote moments customers.jsonl --as-of 2026-11-20T18:00:00Z
  personalnote moments orders_export.csv --preset shopify_orders --as-of 2026-11-20T18:00:00Z
  personalnote draft customer.json --channel card --signer Captain --signer "First Officer" --store review.db
  personalnote review list --store review.db
  personalnote review approve 1 --version 1 --reviewer alice --store review.db
  personalnote export --format card --out cards.html --store review.db

Every command takes --json for scripts; `personalnote COMMAND --help` for its options.
Exit status: 0 done; 1 `check` found blocking findings, `review verify` found a broken chain or a
draft that disagrees with its signatures, `export` left out a draft (the reasons on stderr), or a
batch left customers failed or not started; 2 an error or a refused decision, the reason on stderr."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="personalnote",
        description="Draft personal notes to customers; nothing is ever sent without a person's sign-off.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    moments = sub.add_parser(
        "moments", help="list a customer's moments, strongest first, or 'no note' with the reasons",
        description="Detect moments worth a personal note in a customer file (.json or .jsonl).",
    )
    moments.add_argument("path", type=Path, help="customer file: .json (one or many) or .jsonl, or an export "
                                                 "with --preset")
    _preset_option(moments)
    _as_of_option(moments)
    _business_events_option(moments)
    _json_option(moments, "one JSON object per customer")
    moments.set_defaults(run=_moments)

    draft = sub.add_parser(
        "draft", help="draft a note for a customer's strongest moment (never sends it)",
        description="Draft a personal note with a language model. Model: --model, else $PERSONALNOTE_MODEL, "
                    "else OPENAI_API_KEY/OPENAI_BASE_URL, else the embedded model (personalnote[local]).",
    )
    draft.add_argument("path", type=Path, help="customer file (.json or .jsonl) or a folder of .json files; "
                                               "more than one customer drafts them as a batch")
    draft.add_argument("--customer", help="only this customer id (default: every customer in the file)")
    _preset_option(draft)
    _as_of_option(draft)
    draft.add_argument("--moment", help="draft for this moment kind (default: the strongest)")
    _channel_option(draft)
    draft.add_argument("--model", help="'local', 'local:/path/model.gguf', or a model name on OpenAI or "
                                       "$OPENAI_BASE_URL (default there: the one model the server serves)")
    _signer_option(draft)
    _business_events_option(draft)
    _json_option(draft, "one JSON object per customer; for a batch, the summary with every customer's "
                        "outcome")
    _store_option(draft, f"put each draft in this review queue (also when ${C.ENV_STORE} is set); a batch "
                         "skips customers queued")
    draft.add_argument("--concurrency", type=int, default=C.DRAFT_CONCURRENCY,
                       help=f"batch: customers drafted at once (default {C.DRAFT_CONCURRENCY})")
    draft.add_argument("--max-cost", type=float, metavar="USD",
                       help="batch: never spend more than this; customers past it are 'not started'")
    draft.add_argument("--write-batch", type=Path, metavar="REQUESTS.jsonl",
                       help="write an OpenAI Batch API request file instead of calling the model")
    draft.add_argument("--read-batch", type=Path, nargs="+", metavar="RESULTS.jsonl",
                       help="read Batch API result (and error) files back into drafts")
    draft.set_defaults(run=_draft)

    checker = sub.add_parser(
        "check", help="check a hand-written note against a customer's facts",
        description="Run personalnote's checks on your own note. Exit 0: no blocking finding; "
                    "1: blocking findings; 2: bad input.",
    )
    checker.add_argument("path", type=Path, help="customer file: .json or .jsonl")
    checker.add_argument("--text-file", type=Path, required=True, help="the note, as plain text")
    checker.add_argument("--customer", help="customer id (default: the first in the file)")
    _preset_option(checker)
    _as_of_option(checker)
    _channel_option(checker)
    _signer_option(checker)
    _json_option(checker, "a JSON object with the findings")
    checker.set_defaults(run=_check)
    _review_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, model: ChatModel | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit status.

    ``model`` is used wherever a command drafts, instead of ``--model`` (for an application
    embedding the CLI, or a test).

    Example::

        status = main(["review", "list", "--store", "review.sqlite3", "--json"])
    """
    parser = build_parser()
    # the library logs each model retry and a long wait (personalnote.model): shown here on stderr
    progress = logging.StreamHandler()
    progress.setFormatter(logging.Formatter("personalnote: %(message)s"))
    library = logging.getLogger("personalnote")
    library.addHandler(progress)
    try:
        args = parser.parse_args(argv)
        args.given_model = model
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
    finally:
        library.removeHandler(progress)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
