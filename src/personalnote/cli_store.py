"""The store commands of ``personalnote``: move a review queue between stores, set PostgreSQL up.

Example::

    store_parsers(sub)          # adds `store copy` and `store init-postgres` to the CLI's parser
"""

from __future__ import annotations

import argparse
import json
import sys

from . import _constants as C
from . import copy_store, init_postgres_store, postgres_setup_sql
from ._cli_common import json_option

__all__ = ["store_parsers"]


def _copy(args: argparse.Namespace) -> int:
    copied = copy_store(args.source, args.target)
    if args.json:
        print(json.dumps(copied.to_json_dict()))
        return 0
    report = copied.report
    counts = ", ".join(f"{n} {table}" for table, n in copied.rows.items() if table != "chain_head")
    print(f"copied {counts} from {copied.source} to {copied.target}")
    print(f"signature record verified on arrival: {report.rows} row(s), head {report.head}")
    if report.warning:
        print(f"personalnote: warning: {report.warning}", file=sys.stderr)
    return 0


def _init_postgres(args: argparse.Namespace) -> int:
    if args.apply is None:
        print(postgres_setup_sql(app_role=args.app_role, owner_role=args.owner_role), end="")
        return 0
    where = init_postgres_store(args.apply, app_role=args.app_role)
    app = args.app_role
    print(f"review store ready in {where} (schema version {C.STORE_SCHEMA_VERSION}): its tables and "
          f"triggers belong to the role of that URL; {app} may read, insert and update, and cannot drop the "
          f"triggers. Point personalnote at it as {app}: --store postgresql://{app}@HOST/DB "
          f"(or ${C.ENV_STORE})")
    return 0


def store_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    store = sub.add_parser("store", help="move a review queue between stores; set a PostgreSQL store up",
                           description="A review store is a SQLite file or a PostgreSQL database "
                                       "(postgresql://... URL, personalnote[postgres]).")
    actions = store.add_subparsers(dest="action", required=True)
    copy = actions.add_parser("copy", help="copy a queue into a new, empty store and verify it on arrival",
                              description="Copy every draft, signature and export from FROM to TO (SQLite "
                                          "file or postgresql:// URL, either way round). The signature "
                                          "record is verified before and after, with the configured signing "
                                          f"key (${C.ENV_SIGNING_KEY} or its key file); a TO that is not "
                                          "empty, or a record that does not verify, is refused and nothing "
                                          "is written.")
    copy.add_argument("source", metavar="FROM", help="the store to copy (file or postgresql:// URL)")
    copy.add_argument("target", metavar="TO", help="a new, empty store (file or postgresql:// URL)")
    json_option(copy, "print what was copied as JSON")
    copy.set_defaults(run=_copy)
    init = actions.add_parser(
        "init-postgres", help="print (or --apply) the SQL that sets a PostgreSQL database up for the store",
        description="Print the SQL that creates the review store in PostgreSQL as an owner role and grants "
                    "the application's role SELECT, INSERT and UPDATE only where it needs them (never "
                    "DELETE; it cannot drop the append-only triggers). With --apply OWNER_URL, run it as "
                    "that owner (safe to run again).")
    init.add_argument("--app-role", default=C.POSTGRES_APP_ROLE,
                      help=f"the role the application connects as (default {C.POSTGRES_APP_ROLE})")
    init.add_argument("--owner-role", default=C.POSTGRES_OWNER_ROLE,
                      help="the owner role named in the printed instructions (default "
                           f"{C.POSTGRES_OWNER_ROLE})")
    init.add_argument("--apply", metavar="OWNER_URL",
                      help="run it: postgresql://OWNER@HOST/DB (the store goes in the first schema of its "
                           "search_path)")
    init.set_defaults(run=_init_postgres)
