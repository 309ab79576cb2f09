"""The ``personalnote eval`` command: reviewed drafts replayed through a new prompt and a model.

Example::

    eval_parser(sub)                     # adds `eval` to the CLI's parser
    # personalnote eval --store review.sqlite3 --prompt note@4 --model fake --json
"""

from __future__ import annotations

import argparse
from typing import Any

from . import ChatModel, ConfigurationError, DraftOptions, ReviewQueue, evaluate
from ._cli_common import json_option, review_queue, store_option

__all__ = ["eval_parser", "examples_option", "style_options"]


def examples_option(parser: argparse.ArgumentParser) -> None:
    """``--examples K`` of ``draft``: style examples from the store's approved notes."""
    parser.add_argument("--examples", type=_count, default=0, metavar="K",
                        help="put the K most similar notes the store's reviewers approved for other "
                             "customers (same moment kind, names and details replaced) in the prompt as "
                             "style examples; needs --store (default 0)")


def style_options(args: argparse.Namespace, queue: ReviewQueue | None) -> DraftOptions:
    """The drafting options of ``--examples`` (none when it is 0)."""
    if not args.examples:
        return {}
    if queue is None:
        raise ConfigurationError("--examples takes the notes reviewers approved in a review store: pass "
                                 "--store PATH")
    return {"house_style": queue, "examples": args.examples}


def _eval(args: argparse.Namespace) -> int:
    given: ChatModel | None = getattr(args, "given_model", None)
    model: ChatModel | str | None = given if given is not None else args.model
    with review_queue(args) as queue:
        report = evaluate(queue, prompt=args.prompt, model=model, examples=args.examples,
                          draft_ids=args.draft or None)
    print(report.to_json() if args.json else report.summary())
    return 1 if report.returned else 0


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0")
    return value


def eval_parser(sub: Any) -> None:
    """Add ``eval`` to the command's subparsers."""
    parser = sub.add_parser(
        "eval", help="replay reviewed drafts through a prompt version and a model (a regression test)",
        description="Draft every reviewed draft of the store again (approved, approved after an edit, "
                    "rejected), from the context stored with it, through --prompt on --model. Reports, per "
                    "draft and in total: the new draft's blocking findings, its edit distance to the text "
                    "the reviewer approved, and the findings reviewers had to fix that come back. The "
                    "output is deterministic (queue order, no times), for CI. Exit 0: no finding reviewers "
                    "fixed came back; 1: one did; 2: an error.")
    parser.add_argument("--prompt", required=True, metavar="NAME[@VERSION]",
                        help="the prompt to test: a shipped prompt (note, note@4, framed) or a .toml file")
    parser.add_argument("--model", help="'fake' (each draft's own stored answer: the baseline), 'local', "
                                        "'local:/path/model.gguf', or a model name on OpenAI or "
                                        "$OPENAI_BASE_URL (default: as `draft` chooses)")
    parser.add_argument("--examples", type=_count, default=0, metavar="K",
                        help="put the K most similar notes reviewers approved for other customers in the "
                             "prompt as style examples (default 0)")
    parser.add_argument("--draft", type=_count, action="append", default=[], metavar="ID",
                        help="only this draft (repeat for several; default: every reviewed draft)")
    store_option(parser)
    json_option(parser, "one JSON object: the totals and every draft, keys sorted")
    parser.set_defaults(run=_eval)
