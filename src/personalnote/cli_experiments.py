"""The experiment and outcome commands of ``personalnote``.

- ``personalnote draft ... --prompt-arm note@3=0.5 --prompt-arm note@4=0.5 --experiment NAME``:
  each customer drafts with the arm a hash of NAME and the customer id gives;
- ``personalnote stats --experiment NAME [--json]``: the experiment's report, as text or JSON;
- ``personalnote outcome DRAFT_ID replied [--at ISO] [--note TEXT]``: what the customer did after
  the note went out;
- ``personalnote outcomes [--customer ID | --draft ID] [--events]``: the outcomes recorded, or (with
  ``--events`` and ``--customer``) the customer's outcomes as ``custom`` events, one JSON line each, to
  append to the customer's file so the next context sees them.

Like ``cli``, this module imports only the package's public names and the defaults.

Example::

    experiment_option(draft_parser)             # adds --prompt-arm and --experiment
    options = experiment_options(args)          # {'prompts': {...}, 'experiment': 'NAME'} or {}
"""

from __future__ import annotations

import argparse
import json
from typing import get_args

from . import DraftOptions, OutcomeKind
from . import _constants as C
from ._cli_common import json_option, review_queue, store_option

__all__ = ["experiment_option", "experiment_options", "experiment_stats", "outcome_parsers"]


def _arm(text: str) -> tuple[str, float]:
    """``PROMPT=SHARE``: a prompt version and its share (a number greater than 0)."""
    prompt, sep, share = text.rpartition("=")
    try:
        value = float(share)
    except ValueError:
        value = -1.0
    if not sep or not prompt.strip() or not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"--prompt-arm {text!r}: give PROMPT=SHARE, e.g. note@4=0.5 (a "
                                         "prompt version and its share, a number greater than 0)")
    return prompt.strip(), value


def experiment_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prompt-arm", type=_arm, action="append", default=[], metavar="PROMPT=SHARE",
                        help="an arm of the experiment: a prompt version and its share (repeat, e.g. "
                             "--prompt-arm note@3=0.5 --prompt-arm note@4=0.5); needs --experiment")
    parser.add_argument("--experiment", metavar="NAME",
                        help="draft in this experiment: each customer gets the arm that a hash of NAME "
                             "and the customer id gives, the same on every run; `personalnote stats "
                             "--experiment NAME` reports it")


def experiment_options(args: argparse.Namespace) -> DraftOptions:
    """The drafting options of ``--prompt-arm`` and ``--experiment`` (none when neither is given)."""
    if not args.prompt_arm and args.experiment is None:
        return {}
    arms: dict[str, float] = {}
    for prompt, share in args.prompt_arm:
        if prompt in arms:
            raise argparse.ArgumentTypeError(f"--prompt-arm {prompt} is given twice")
        arms[prompt] = share
    return {"prompts": arms or None, "experiment": args.experiment}


def experiment_stats(args: argparse.Namespace) -> int:
    """``personalnote stats --experiment NAME``: the report as text, or JSON with ``--json``."""
    with review_queue(args) as queue:
        report = queue.experiment(args.experiment)
    print(json.dumps(report.to_json_dict(), ensure_ascii=False) if args.json else report.text())
    return 0


def _outcome(args: argparse.Namespace) -> int:
    with review_queue(args) as queue:
        recorded = queue.record_outcome(args.id, args.outcome, at=args.at, note=args.note)
    if args.json:
        print(json.dumps(recorded.to_json_dict(), ensure_ascii=False))
    else:
        print(f"recorded: draft {recorded.draft_id} ({recorded.customer_id}) {recorded.outcome} at "
              f"{recorded.at}"
              + (f": {recorded.note}" if recorded.note else ""))
    return 0


def _outcomes(args: argparse.Namespace) -> int:
    if args.events and args.customer is None:
        raise argparse.ArgumentTypeError("--events needs --customer ID: the events go into that "
                                         "customer's file")
    with review_queue(args) as queue:
        if args.events:
            for event in queue.outcome_events(args.customer):
                print(json.dumps(event.model_dump(mode="json", exclude_none=True), ensure_ascii=False))
            return 0
        found = queue.outcomes(args.draft, customer_id=args.customer)
    if args.json:
        print(json.dumps({"outcomes": [o.to_json_dict() for o in found]}, ensure_ascii=False))
    for o in [] if args.json else found:
        print(f"{o.at}  draft {o.draft_id:<5} {o.customer_id:<10} {o.outcome:<12} {o.note or ''}".rstrip())
    if not found and not args.json:
        print("no outcomes recorded")
    return 0


def outcome_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``outcome`` and ``outcomes`` to the CLI's parser."""
    outcome = sub.add_parser(
        "outcome", help="record what a customer did after a note went out (replied, bought, ...)",
        description="Record an outcome of an approved or exported note. Experiments compare their arms on "
                    "outcomes too (`personalnote stats --experiment NAME`).")
    outcome.add_argument("id", type=int, help="the draft's queue id")
    outcome.add_argument("outcome", choices=get_args(OutcomeKind), help="what happened")
    outcome.add_argument("--at", metavar="ISO", help="when it happened: an ISO-8601 instant, or a date "
                                                     "for the end of that day in the customer's time zone "
                                                     "(default: now)")
    outcome.add_argument("--note", help=f"a note kept with it (at most {C.OUTCOME_NOTE_MAX} characters)")
    listing = sub.add_parser("outcomes", help="list the outcomes recorded, or a customer's as events",
                             description="List recorded outcomes. With --events and --customer, print the "
                                         "customer's outcomes as `custom` events (JSON lines) to append to "
                                         "the customer's file, so the next context sees them.")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--customer", help="only this customer's outcomes")
    which.add_argument("--draft", type=int, metavar="ID", help="only this draft's outcomes")
    listing.add_argument("--events", action="store_true",
                         help=f"print them as `custom` events named {C.OUTCOME_EVENT_NAME!r} (needs "
                              "--customer)")
    for parser in (outcome, listing):
        store_option(parser)
        json_option(parser)
    outcome.set_defaults(run=_outcome)
    listing.set_defaults(run=_outcomes)
