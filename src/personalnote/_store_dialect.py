"""The store's SQL for PostgreSQL: a thin dialect over the schema and queries written for SQLite.

The store's SQL is written once, for SQLite (``?`` parameters, ``INTEGER``/``TEXT``/``REAL``
columns, ``INTEGER PRIMARY KEY`` ids, append-only triggers that ``RAISE(ABORT, ...)``); this module
translates it: ``?`` becomes ``%s`` (and ``%`` is doubled); a table's ``INTEGER PRIMARY KEY``
becomes a ``BIGINT`` identity column (``_store_pg`` makes an ``INSERT`` into it return the new id);
other ``INTEGER`` columns become ``BIGINT``, ``REAL`` ``DOUBLE PRECISION``; foreign keys are added
once every table exists, ``DEFERRABLE`` (``store copy`` defers them); each append-only trigger
becomes a PL/pgSQL trigger with the same name and message, and a table that refuses DELETE
refuses TRUNCATE too. A statement it cannot translate (another kind of trigger, a PRAGMA) is a
``ConfigurationError``, never a silent difference. The schema version lives in the
``personalnote_schema`` table.

``setup_script`` is what the owner role runs, with the application role's grants: SELECT and
INSERT on every table, UPDATE where rows may change, never DELETE. No psycopg here.

Example::

    translate_query("SELECT * FROM drafts WHERE state = ? AND text LIKE '%?'")
    # "SELECT * FROM drafts WHERE state = %s AND text LIKE '%%?'"
    print(setup_script(schema_sql, 2, app_role="personalnote_app"))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from . import _constants as C
from ._errors import ConfigurationError

__all__ = ["PgSchema", "grant_statements", "is_postgres_url", "masked_url", "quote_role", "schema_statements",
           "setup_script", "translate_query", "translate_schema"]

#: what raises the append-only triggers' error (the message is the trigger's argument)
_REFUSE = """CREATE FUNCTION personalnote_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = TG_ARGV[0];
END
$$"""
_META = "CREATE TABLE personalnote_schema (id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)"
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
_TRIGGER = re.compile(r"CREATE TRIGGER (\w+) BEFORE (UPDATE|DELETE) ON (\w+)\s+BEGIN\s+"
                      r"SELECT RAISE\(ABORT,\s*"
                      r"'((?:[^']|'')*)'\);\s*END;?", re.I | re.S)
_TABLE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)\s*\((.*)\)", re.I | re.S)
_IDENTITY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.I)
_REFERENCES = re.compile(r"\s+REFERENCES\s+(\w+)\s*\((\w+)\)", re.I)


def is_postgres_url(target: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL: a store in PostgreSQL, not a SQLite file."""
    return isinstance(target, str) and target.lower().startswith(C.POSTGRES_URL_SCHEMES)


def masked_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (what errors and listings show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


@lru_cache(maxsize=1024)
def translate_query(sql: str) -> str:
    """A statement with ``?`` parameters as psycopg takes it: ``%s``, and every ``%`` doubled (psycopg reads
    them in quoted strings too); a ``?`` inside quotes stays."""
    return _TOKENS.sub(lambda m: "%s" if m.group() == "?" else m.group().replace("%", "%%"), sql)


def _split_top(body: str) -> list[str]:
    """A table body's column and constraint definitions (commas inside parentheses or quotes kept)."""
    items, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(body):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
    items.append(body[start:].strip())
    return [item for item in items if item]


def _types(definition: str) -> str:
    definition = re.sub(r"\bINTEGER\b", "BIGINT", definition, flags=re.I)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", definition, flags=re.I)


@dataclass
class PgSchema:
    """The store's schema in PostgreSQL: statements in order, its tables, identity columns, append-only
    tables (those whose rows cannot be changed)."""

    statements: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    identity: dict[str, str] = field(default_factory=dict)
    append_only: list[str] = field(default_factory=list)

    def add(self, statement: str, later: list[str], *, defer_references: bool = True) -> None:
        """Translate one SQLite statement of the store's schema and add it (foreign keys to ``later``)."""
        statement = statement.strip().rstrip(";").strip()
        if not statement:
            return
        trigger = _TRIGGER.fullmatch(statement)
        table = _TABLE.fullmatch(statement)
        if trigger is not None:
            name, event, on, message = trigger.groups()
            run = f"EXECUTE FUNCTION personalnote_refuse('{message}')"
            self.statements.append(f"CREATE TRIGGER {name} BEFORE {event.upper()} ON {on} FOR EACH ROW {run}")
            if event.upper() == "DELETE":
                self.statements.append(f"CREATE TRIGGER {on}_no_truncate BEFORE TRUNCATE ON {on} "
                                       f"FOR EACH STATEMENT {run}")
            elif on not in self.append_only:
                self.append_only.append(on)
        elif table is not None:
            name, body = table.groups()
            columns = []
            for item in _split_top(body):
                if _IDENTITY.search(item):
                    self.identity[name] = item.split()[0]
                    item = _IDENTITY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", item)
                reference = _REFERENCES.search(item)
                if reference is not None and defer_references:
                    item = _REFERENCES.sub("", item)
                    if item.upper().startswith("FOREIGN KEY"):
                        later.append(f"ALTER TABLE {name} ADD {item} REFERENCES {reference[1]} "
                                     f"({reference[2]}) DEFERRABLE INITIALLY IMMEDIATE")
                        continue
                    later.append(f"ALTER TABLE {name} ADD FOREIGN KEY ({item.split()[0]}) REFERENCES "
                                 f"{reference[1]} ({reference[2]}) DEFERRABLE INITIALLY IMMEDIATE")
                elif reference is not None:
                    item = f"{item} DEFERRABLE INITIALLY IMMEDIATE"
                columns.append(_types(item))
            self.tables.append(name)
            self.statements.append(f"CREATE TABLE {name} (\n    " + ",\n    ".join(columns) + "\n)")
        elif re.match(r"CREATE\s+TRIGGER\b|PRAGMA\b", statement, re.I):
            raise ConfigurationError(f"the store's schema has a statement PostgreSQL cannot run and this "
                                     f"dialect does not translate: {statement[:120]}")
        else:
            self.statements.append(_types(statement) if re.match(r"ALTER\s+TABLE", statement, re.I)
                                   else statement)


@lru_cache(maxsize=8)
def translate_schema(script: str) -> PgSchema:
    """The store's SQLite schema script (statements ending in ``;`` and a newline) for PostgreSQL."""
    schema, later = PgSchema(), list[str]()
    for statement in script.split(";\n"):
        schema.add(statement, later)
    schema.statements.extend(later)
    return schema


def quote_role(role: str) -> str:
    """A role name, double-quoted, after checking it is a plain identifier."""
    if not _ROLE_NAME.fullmatch(role):
        raise ConfigurationError(f"role name {role!r}: use letters, digits and _ (at most 63, not starting "
                                 "with a digit)")
    return f'"{role}"'


def schema_statements(script: str, version: int) -> list[str]:
    """What the owner runs to create the store: the version table, the trigger function, the schema."""
    return [_META, _REFUSE, *translate_schema(script).statements,
            f"INSERT INTO personalnote_schema (id, version) VALUES (1, {int(version)})"]


def grant_statements(script: str, app_role: str) -> list[str]:
    """The application role's rights: USAGE on the schema, SELECT and INSERT on every table, UPDATE on
    those that are not append-only, the identity sequences (``store copy`` moves them on); no DELETE."""
    schema, role = translate_schema(script), quote_role(app_role)
    grants = [f"DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), "
              f"'{app_role}'); END $$", f"GRANT SELECT ON personalnote_schema TO {role}"]
    for table in schema.tables:
        rights = "SELECT, INSERT" if table in schema.append_only else "SELECT, INSERT, UPDATE"
        grants.append(f"GRANT {rights} ON {table} TO {role}")
    for table, column in schema.identity.items():
        grants.append(f"DO $$ BEGIN EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO %I', "
                      f"pg_get_serial_sequence('{table}', '{column}'), '{app_role}'); END $$")
    return grants


def setup_script(script: str, version: int, app_role: str = C.POSTGRES_APP_ROLE,
                 owner_role: str = C.POSTGRES_OWNER_ROLE) -> str:
    """The SQL that sets a PostgreSQL database up for a review store, to read or run by hand."""
    app, owner = quote_role(app_role), quote_role(owner_role)
    head = f"""-- personalnote review store, schema version {version}, for PostgreSQL 12 or later.
--
-- 1. Once, as a superuser: an owner role that creates the tables and triggers, and the role the
--    application connects as (it must not be a superuser, the owner, or a member of the owner):
--      CREATE ROLE {owner} LOGIN PASSWORD '...';
--      CREATE ROLE {app} LOGIN PASSWORD '...';
--      CREATE DATABASE personalnote OWNER {owner};
--      REVOKE CREATE ON SCHEMA public FROM PUBLIC;  -- in that database (the default from PostgreSQL 15)
-- 2. As {owner}, connected to that database (the store goes in the first schema of its search_path),
--    run the rest of this file; or let personalnote run it:
--      personalnote store init-postgres --apply postgresql://{owner_role}@HOST/personalnote
-- 3. Point personalnote at the database as the application's role:
--      PERSONALNOTE_STORE=postgresql://{app_role}@HOST/personalnote
--
-- The application's role may read every table, insert, and update drafts and the chain head; it may
-- not update or delete signatures or exports (triggers refuse it for everyone, and it has no such
-- right), and only the owner could drop or disable those triggers.
"""
    body = [*schema_statements(script, version), *grant_statements(script, app_role)]
    return head + "BEGIN;\n" + "".join(f"{statement};\n" for statement in body) + "COMMIT;\n"
