"""The web commands of ``personalnote``: ``serve`` (the review web app) and ``reviewer add|list|disable``.

They need the ``web`` extra (``pip install 'personalnote[web]'``), imported only when they run, so
the other commands start as fast as before.

Example::

    web_parsers(sub)                  # adds `serve` and `reviewer` to the CLI's parser
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from types import ModuleType

from . import ApprovalPolicy, ConfigurationError, ReviewerAccount
from . import _constants as C
from ._cli_common import as_of_arg, json_option, preset_option, review_queue, store_option
from ._loaders import read_text

__all__ = ["web_parsers"]


def _web() -> ModuleType:
    try:
        from . import web
    except ImportError as exc:
        raise ConfigurationError(f"this command needs the web extra ({exc.name} is missing): "
                                 "pip install 'personalnote[web]'") from None
    return web


def _serve(args: argparse.Namespace) -> int:
    web = _web()
    policy = ApprovalPolicy.parse(args.approve)
    web.serve(args.store, host=args.host, port=args.port, model=args.model, policy=policy,
              as_of=as_of_arg(args.as_of) if args.as_of else None,
              trust_proxy_header=args.trust_proxy_header,
              export_dir=args.export_dir, data=args.data, preset=args.preset,
              business_events=args.business_events)
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        return read_text(args.password_file).rstrip("\r\n")
    if not sys.stdin.isatty():  # a script pipes the password in: one line
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.id}: ")
    if getpass.getpass("again: ") != first:
        raise ConfigurationError("the two passwords differ; nothing was added")
    return first


def _print_account(account: ReviewerAccount) -> None:
    state = "disabled" if account.disabled else "enabled"
    print(f"{account.id:<16} {account.printed_name:<24} {account.role:<12} {state:<9} "
          f"since {account.created_at}")


def _reviewer(args: argparse.Namespace) -> int:
    with review_queue(args) as queue:
        if args.action == "add":
            web = _web()
            password_hash = web.hash_password(_password(args))
            account = queue.add_reviewer(args.id, args.printed_name, args.role,
                                         password_hash=password_hash)
            verb = "added"
        elif args.action in ("disable", "enable"):
            account = queue.disable_reviewer(args.id, disabled=args.action == "disable")
            verb = f"{args.action}d"
        else:
            accounts = queue.reviewer_accounts()
            if args.json:
                print(json.dumps({"reviewers": [a.to_json_dict() for a in accounts]}, ensure_ascii=False))
            for account in [] if args.json else accounts:
                _print_account(account)
            if not accounts and not args.json:
                print(f"no reviewer accounts in {queue.path}: `personalnote reviewer add ID --name NAME "
                      "--role ROLE` adds one")
            return 0
    if args.json:
        print(json.dumps(account.to_json_dict(), ensure_ascii=False))
    else:
        print(f"{verb} reviewer {account.id} ({account.printed_name}, {account.role})")
    return 0


def web_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve", help="the review web app: reviewers log in, edit, approve and export in a browser",
        description="Serve the review web app over the store (needs `pip install 'personalnote[web]'`). "
                    f"It binds to {C.WEB_HOST} unless --host says otherwise, and warns when it does. "
                    "Reviewers log in with the accounts of `personalnote reviewer add`. See "
                    "docs/review-in-the-browser.md.")
    store_option(serve)
    serve.add_argument("--host", default=C.WEB_HOST,
                       help=f"the address to listen on (default {C.WEB_HOST}: this machine only)")
    serve.add_argument("--port", type=int, default=C.WEB_PORT, help=f"default {C.WEB_PORT}")
    serve.add_argument("--trust-proxy-header", metavar="HEADER",
                       help="take the logged-in reviewer's account id from this request header, set by a "
                            "reverse proxy that authenticates (off by default; only behind a proxy that "
                            "strips it from clients)")
    default = "; ".join(f"{c}={','.join(r)}" for c, r in C.DEFAULT_APPROVAL_ROLES.items())
    serve.add_argument("--approve", action="append", default=[], metavar="CHANNEL=ROLE[,ROLE]",
                       help="who may approve a channel (repeat; CHANNEL=* for any role); default: "
                            f"{default}, every other channel any role")
    serve.add_argument("--model", help="the model that drafts a requested change (default: the draft's own)")
    serve.add_argument("--as-of", metavar="ISO",
                       help="a fixed instant for every re-check (a demo); default: the clock at each request")
    serve.add_argument("--data", type=Path, help="the customers' current file, to re-check moments "
                                                 "(default: each draft's own source file)")
    preset_option(serve)
    serve.add_argument("--business-events", type=Path, help="a separate file of business events")
    serve.add_argument("--export-dir", type=Path,
                       help="where exports are written (default: beside the store)")
    serve.set_defaults(run=_serve)

    reviewer = sub.add_parser(
        "reviewer", help="reviewer accounts of the web app: add, list, disable, enable",
        description="Reviewer accounts live in the review store; passwords are stored as argon2id hashes. "
                    "An account is disabled, never deleted.")
    actions = reviewer.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an account (the password from a prompt or --password-file)")
    add.add_argument("id", help="the reviewer id they log in with (letters, digits, . _ @ -)")
    add.add_argument("--name", dest="printed_name", required=True,
                     help="the name printed under their signature")
    add.add_argument("--role", required=True,
                     help="their role (e.g. crew, store, compliance): it decides which channels they may "
                          "approve")
    add.add_argument("--password-file", type=Path,
                     help="read the password from this file (else a prompt, or one line of standard input)")
    listing = actions.add_parser("list", help="every account")
    disable = actions.add_parser("disable", help="disable an account: it can no longer log in")
    enable = actions.add_parser("enable", help="enable a disabled account again")
    for parser in (disable, enable):
        parser.add_argument("id", help="the reviewer id")
    for parser in (add, listing, disable, enable):
        store_option(parser)
        json_option(parser)
    reviewer.set_defaults(run=_reviewer)
