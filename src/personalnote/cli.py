"""The ``personalnote`` command. Errors become messages (exit 2) only here.

The CLI is a client of the library: it imports the public names of ``personalnote``, the
defaults in ``_constants`` (its help prints them), the loaders' text reader and the ``as_of``
parser, nothing else (``cli_web`` imports the public ``personalnote.web`` when its commands run);
``_cli_review`` holds the review commands, ``cli_web`` the web app's (``serve``, ``reviewer``) and
``_cli_common`` what the commands share. Commands that call no model never import a model SDK. An
application that embeds it, or a test, can give it a model::

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
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args

from . import (
    BatchError,
    BatchResult,
    Channel,
    ChatModel,
    ConfigurationError,
    CustomerHistory,
    Dataset,
    Draft,
    DraftOptions,
    Finding,
    InputFileError,
    MomentReport,
    OpenAIChatModel,
    PersonalNoteError,
    ReviewQueue,
    Signer,
    __version__,
    build_context,
    check_text,
    dask_executor,
    draft_many,
    draft_note,
    find_moments,
    load_customers,
    read_batch_results,
    write_batch_requests,
)
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
from ._cli_eval import eval_parser, examples_option, style_options
from ._cli_review import review_parsers
from ._loaders import read_text
from .cli_experiments import experiment_option, experiment_options, outcome_parsers
from .cli_store import store_parsers
from .cli_web import web_parsers

__all__ = ["EXIT_BLOCKED", "main"]

#: the exit status of `draft` when a note it made has blocking findings (0 done, 1 incomplete or found,
#: 2 an error; see the help's epilog)
EXIT_BLOCKED = 3


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


def _moments(args: argparse.Namespace) -> int:
    as_of = as_of_arg(args.as_of)
    histories, events = _customers(args)
    events.extend(extra_events(args))
    for history in histories:
        ctx = build_context(history, as_of, business_events=events)
        report = find_moments(ctx)
        if args.json:
            print(json.dumps(report.to_json_dict(), ensure_ascii=False))
        else:
            _print_report(report)
    return 0


def _signer(text: str) -> Signer:
    return Signer.parse(text)  # ROLE[:NAME], as the library takes it; an empty role is an error


def _customers(args: argparse.Namespace) -> tuple[list[CustomerHistory], list[Any]]:
    """The customers of PATH (a file, a folder of .json files, or an export with ``--preset``) and
    the business events that came with them."""
    if args.preset:
        data = load_data(args.path, args.preset)
        return list(data.customers), list(data.business_events)
    histories, events, _ = load_customers(args.path)
    return histories, events


def _draft(args: argparse.Namespace) -> int:
    as_of = as_of_arg(args.as_of)
    if args.preset:
        histories, events = _customers(args)
        sources = {history.customer.id: args.path.resolve() for history in histories}
    else:
        histories, events, sources = load_customers(args.path)
    events.extend(extra_events(args))
    if args.customer:
        histories = [Dataset.model_construct(customers=histories).customer(args.customer)]
    queue = review_queue(args, create=True) if args.store or os.environ.get(C.ENV_STORE) else None
    signers = [_signer(s) for s in args.signer]
    experiment: DraftOptions = {**experiment_options(args), **style_options(args, queue)}
    if args.path.is_dir() or len(histories) > 1 or args.write_batch or args.read_batch:
        return _draft_batch(args, as_of, histories, events, sources, queue, signers, experiment)
    status = 0
    for history in histories:
        ctx = build_context(history, as_of, business_events=events)
        result = draft_note(ctx, model=_model(args), moment=args.moment, channel=args.channel,
                            signers=signers, prompts=experiment.get("prompts"),
                            experiment=experiment.get("experiment"),
                            house_style=experiment.get("house_style"), examples=experiment.get("examples"))
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
            blocking = list(queued.blocking) if queued is not None else result.blocking
            if blocking:
                _next_steps(queue, [(result.customer_id, queued.id if queued else None, blocking)])
                status = EXIT_BLOCKED
        elif args.json:
            print(json.dumps({"customer_id": result.customer_id, "moment": None, "draft": None,
                              "no_note_reasons": [r.model_dump() for r in result.no_note_reasons]}))
        else:
            _print_report(result)
    return status


def _next_steps(queue: ReviewQueue | None, blocked: list[tuple[str, int | None, list[Finding]]]) -> None:
    """On stderr: which drafts have blocking findings, and what to do next (exit status 3)."""
    kinds = sorted({f.kind for _, _, findings in blocked for f in findings})
    which = ", ".join(f"{customer} (draft {queue_id})" if queue_id is not None else customer
                      for customer, queue_id, _ in blocked[:C.SUMMARY_MAX_IDS])
    more = f" and {len(blocked) - C.SUMMARY_MAX_IDS} more" if len(blocked) > C.SUMMARY_MAX_IDS else ""
    print(f"personalnote: {len(blocked)} draft(s) with blocking findings ({', '.join(kinds)}): "
          f"{which}{more}. They cannot be approved as they stand.", file=sys.stderr)
    if queue is not None:
        first = next((queue_id for _, queue_id, _ in blocked if queue_id is not None), "ID")
        print(f"Next: fix the text with `personalnote review edit {first} --text-file BODY.txt --reviewer "
              f"YOU --store {queue.path}` (the body alone is enough), or draft again (another --model or "
              f"--moment), or sign it anyway with `personalnote review approve {first} --override REASON "
              "--reviewer YOU`.", file=sys.stderr)
    else:
        print("Next: draft again (another --model or --moment), or queue the draft with --store PATH and fix "
              "its text with `personalnote review edit ID --text-file BODY.txt --reviewer YOU` (the body "
              "alone is enough).", file=sys.stderr)


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
        print_findings(draft.findings, draft.text)
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


def _draft_batch(args: argparse.Namespace, as_of: datetime | date, histories: list[Any],
                 events: list[Any], sources: dict[str, Path], queue: ReviewQueue | None,
                 signers: list[Signer], experiment: DraftOptions) -> int:
    """Many customers: live (``draft_many``) or through Batch API files; the summary at the end."""
    options: DraftOptions = {"moment": args.moment, "channel": args.channel, "signers": signers,
                             "business_events": events, **experiment}
    try:
        if args.write_batch:
            result = write_batch_requests(histories, args.write_batch, as_of=as_of, model=_batch_model(args),
                                          queue=queue, **options)
        elif args.read_batch:
            result = read_batch_results(args.read_batch, histories, as_of=as_of, model=_batch_model(args),
                                        queue=queue, source=sources, **options)
        else:
            with ExitStack() as stack:
                executor = None
                if args.dask:
                    cluster, workers = _dask_cluster(args.dask)
                    executor = stack.enter_context(dask_executor(cluster, workers=workers))
                result = draft_many(histories, as_of=as_of, model=_model(args), queue=queue, source=sources,
                                    concurrency=args.concurrency, max_cost_usd=args.max_cost,
                                    executor=executor, workers=args.workers, **options)
    except BatchError as exc:
        _print_batch(args, exc.result, queue)
        for customer_id, error in exc.errors.items():
            print(f"{customer_id}:\n" + "".join(traceback.format_exception(error)), file=sys.stderr)
        raise
    _print_batch(args, result, queue)
    blocked = [(o.customer_id, o.queue_id, o.draft.blocking) for o in result.with_status("drafted")
               if o.draft is not None and o.draft.blocking]
    if blocked:
        _next_steps(queue, blocked)
    return 1 if not result.complete else EXIT_BLOCKED if blocked else 0


def _dask_cluster(given: str) -> tuple[str | None, int | None]:
    """``--dask``: a scheduler address, or ``local`` / ``local:N`` for a cluster on this machine."""
    if given == "local" or given.startswith("local:"):
        workers = given.removeprefix("local").removeprefix(":")
        if workers and not (workers.isdigit() and int(workers) > 0):
            raise ConfigurationError(f"--dask {given}: give local, local:N (N workers, at least 1) or a "
                                     "scheduler address such as tcp://10.0.0.5:8786")
        return None, int(workers) if workers else None
    return given, None


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


def _check(args: argparse.Namespace) -> int:
    as_of = as_of_arg(args.as_of)
    data = load_data(args.path, args.preset)
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
        print_findings(findings, text)
    return 1 if any(f.blocking for f in findings) else 0


def _channel_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", choices=get_args(Channel),
                        help="default: the customer's preferred channel, else email")


def _signer_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--signer", action="append", default=[], metavar="ROLE[:NAME]",
                        help="who signs (repeat for several), e.g. --signer Captain --signer 'First Officer'")


_EXAMPLES = """\
a session, from customer file to printed card:
  personalnote moments customers.jsonl --as-of 2026-11-20
  personalnote moments orders_export.csv --preset shopify_orders --as-of 2026-11-20
  personalnote draft customer.json --as-of 2026-11-20 --channel card --signer Captain --store review.db
  personalnote review list --store review.db
  personalnote review edit 1 --text-file body.txt --reviewer alice --store review.db
  personalnote review approve 1 --reviewer alice --as-of 2026-11-20T19:00:00Z --store review.db
  personalnote export --format pdf --out cards.pdf --store review.db   # and cards.manifest.csv

test and learn: an experiment, what the customers did, the report:
  personalnote draft customers.jsonl --as-of 2026-11-20 --store review.db --experiment wording-nov \
      --prompt-arm note@3=0.5 --prompt-arm note@4=0.5
  personalnote outcome 1 replied --at 2026-11-24 --store review.db
  personalnote stats --experiment wording-nov --store review.db
  personalnote reviewer add alice --name "Alice Smith" --role crew --store review.db
  personalnote serve --store review.db                 # http://127.0.0.1:8000, needs personalnote[web]

--as-of takes an ISO-8601 instant (UTC without an offset) or a date alone, which means the end of
that day (23:59:59.999999) in each customer's own time zone. Without it: $PERSONALNOTE_AS_OF, else
the clock, and the instant used is printed on stderr. Only `draft` creates a review store; the other
commands refuse a --store that does not exist. `review edit` takes the body alone: the greeting and
the signature block are the draft's own.

Every command takes --json for scripts; `personalnote COMMAND --help` for its options.
Exit status:
  0  done
  1  `check` found blocking findings; `review verify` found a broken chain or a draft that disagrees
     with its signatures; `export` left out a draft (the reasons on stderr); a batch left customers
     failed or not started
  2  an error or a refused decision, the reason on stderr
  3  `draft` made a note with blocking findings (what to do next on stderr)
  4  `export` had nothing new to write: no file was written, an earlier one is kept (--again reprints)"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="personalnote",
        description="Draft personal notes to customers; nothing is ever sent without a person's sign-off.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"personalnote {__version__}",
                        help="print the version of personalnote and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    moments = sub.add_parser(
        "moments", help="list a customer's moments, strongest first, or 'no note' with the reasons",
        description="Detect moments worth a personal note in a customer file (.json or .jsonl) or a "
                    "folder of .json files.",
    )
    moments.add_argument("path", type=Path, help="customer file (.json with one or many, or .jsonl) or a "
                                                 "folder of .json files, or an export with --preset")
    preset_option(moments)
    as_of_option(moments)
    business_events_option(moments)
    json_option(moments, "one JSON object per customer")
    moments.set_defaults(run=_moments)

    draft = sub.add_parser(
        "draft", help="draft a note for a customer's strongest moment (never sends it)",
        description="Draft a personal note with a language model. Model: --model, else $PERSONALNOTE_MODEL, "
                    "else OPENAI_API_KEY/OPENAI_BASE_URL, else the embedded model (personalnote[local]). "
                    "Exit 0: drafted, or no note; 3: a note has blocking findings (what to do next on "
                    "stderr); 1: a batch left customers failed or not started; 2: an error. With --store, "
                    "the store is created if it does not exist.",
    )
    draft.add_argument("path", type=Path, help="customer file (.json or .jsonl) or a folder of .json files; "
                                               "more than one customer drafts them as a batch")
    draft.add_argument("--customer", help="only this customer id (default: every customer in the file)")
    preset_option(draft)
    as_of_option(draft)
    draft.add_argument("--moment", help="draft for this moment kind (default: the strongest)")
    _channel_option(draft)
    draft.add_argument("--model", help="'local', 'local:/path/model.gguf', or a model name on OpenAI or "
                                       "$OPENAI_BASE_URL (default there: the one model the server serves)")
    _signer_option(draft)
    business_events_option(draft)
    json_option(draft, "one JSON object per customer; for a batch, the summary with every customer's "
                        "outcome")
    store_option(draft, f"put each draft in this review queue (also when ${C.ENV_STORE} is set); a batch "
                         "skips customers queued")
    draft.add_argument("--concurrency", type=int, default=C.DRAFT_CONCURRENCY,
                       help=f"batch: customers drafted at once (default {C.DRAFT_CONCURRENCY})")
    draft.add_argument("--workers", type=int, metavar="N",
                       help="batch: plan and check in N worker processes; the model calls and the queue "
                            "stay in this one (default: none, all here)")
    draft.add_argument("--max-cost", type=float, metavar="USD",
                       help="batch: never spend more than this; customers past it are 'not started'")
    draft.add_argument("--dask", metavar="ADDRESS",
                       help="batch: each customer's CPU work on this Dask scheduler (tcp://HOST:8786), or on "
                            "'local' / 'local:N' worker processes here (needs personalnote[dask])")
    draft.add_argument("--write-batch", type=Path, metavar="REQUESTS.jsonl",
                       help="write an OpenAI Batch API request file instead of calling the model")
    draft.add_argument("--read-batch", type=Path, nargs="+", metavar="RESULTS.jsonl",
                       help="read Batch API result (and error) files back into drafts")
    experiment_option(draft)
    examples_option(draft)
    draft.set_defaults(run=_draft)

    checker = sub.add_parser(
        "check", help="check a hand-written note against a customer's facts",
        description="Run personalnote's checks on your own note. Exit 0: no blocking finding; "
                    "1: blocking findings; 2: bad input.",
    )
    checker.add_argument("path", type=Path, help="customer file: .json or .jsonl")
    checker.add_argument("--text-file", type=Path, required=True, help="the note, as plain text")
    checker.add_argument("--customer", help="customer id (default: the first in the file)")
    preset_option(checker)
    as_of_option(checker)
    _channel_option(checker)
    _signer_option(checker)
    json_option(checker, "a JSON object with the findings")
    checker.set_defaults(run=_check)
    review_parsers(sub)
    eval_parser(sub)
    outcome_parsers(sub)
    store_parsers(sub)
    web_parsers(sub)
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
