"""The review store in PostgreSQL, through psycopg 3: one connection, transactions, errors.

The schema and queries are the store's own, translated by ``_store_dialect``. Every write
transaction starts by taking the store's advisory lock (``pg_advisory_xact_lock``, one key per
database and schema), so writers take turns as they do on SQLite, and a decision, the chain
append and the draft's new version commit together or not at all; readers never wait. Writes
run at READ COMMITTED: each statement after the lock sees every write committed before it
(REPEATABLE READ would keep the snapshot taken while waiting for the lock). A writer that waits
longer than the busy timeout (``lock_timeout``) gets ``StoreBusyError``. ``read()`` is one
REPEATABLE READ, READ ONLY transaction: a consistent snapshot. At open, ``fsync`` and
``synchronous_commit`` must be on and the lock timeout must stick (read back), else
``StoreSettingsError``.

The tables are created by an owner role (``personalnote store init-postgres``); the application
connects as a role that may read, insert and update only (``grant``), so it cannot drop or
disable the append-only triggers: only a table's owner can. psycopg is imported only here, when a
store is opened at a ``postgresql://`` URL.

Example::

    db = PostgresDatabase("postgresql://personalnote_app@db.internal/personalnote", busy_timeout_ms=5000)
    with db.write() as tx:
        tx.execute("UPDATE drafts SET state = ? WHERE id = ?", ("rejected", 7))
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import _constants as C
from ._errors import ConfigurationError, StoreBusyError, StoreError, StoreNotFoundError, StoreSettingsError
from ._store_dialect import (
    PgSchema,
    grant_statements,
    masked_url,
    quote_role,
    schema_statements,
    translate_query,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["PgCursor", "PgRow", "PostgresDatabase"]

_INSERT = re.compile(r"\s*INSERT\s+INTO\s+(\w+)", re.I)
_PRAGMA_VERSION = re.compile(r"PRAGMA\s+user_version\s*(?:=\s*(\d+))?\s*;?", re.I)


# --- rows and cursors ---------------------------------------------------------------------------


class PgRow:
    """A row read by name or by position, as ``sqlite3.Row`` is (``row["id"]``, ``row[0]``, ``keys()``)."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: Sequence[Any], names: dict[str, int]) -> None:
        self._values, self._names = tuple(values), names

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._names[key]] if isinstance(key, str) else self._values[key]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._names, self._values, strict=True))!r})"


def _row_factory(cursor: Any) -> Any:
    """Rows by name and position; the names read from the result itself (``cursor.description`` would
    build a Column object per column for every query)."""
    result = cursor.pgresult
    fields = result.nfields if result is not None else 0
    names = {(result.fname(i) or b"").decode("utf-8", "replace"): i for i in range(fields)}
    return lambda values: PgRow(values, names)


def _has_rows(cursor: Any) -> bool:
    """Whether the statement returned a result set (without ``cursor.description``'s Column objects)."""
    result = cursor.pgresult
    return result is not None and result.nfields > 0


class PgCursor:
    """What ``execute`` returns: the rows, ``rowcount`` and, after an INSERT, ``lastrowid``."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None = None) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def fetchmany(self, size: int = 1) -> list[Any]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows


# --- the database -------------------------------------------------------------------------------


class PostgresDatabase:
    """One connection to a review store in PostgreSQL, in the first schema of the URL's search_path."""

    dialect = "postgresql"

    def __init__(self, url: str, busy_timeout_ms: int) -> None:
        self.url, self.name, self.busy_timeout_ms = url, masked_url(url), busy_timeout_ms
        try:
            import psycopg
        except ImportError:
            raise ConfigurationError("a postgresql:// review store needs psycopg 3: pip install "
                                     "'personalnote[postgres]'") from None
        self._pg = psycopg
        options: dict[str, Any] = {}
        given = psycopg.conninfo.conninfo_to_dict(url)
        if "connect_timeout" not in given:
            options["connect_timeout"] = C.POSTGRES_CONNECT_TIMEOUT_S
        if "application_name" not in given:
            options["application_name"] = "personalnote"
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True,
                                                                 row_factory=_row_factory, **options)
        except psycopg.Error as exc:
            raise StoreError(self.name, f"cannot connect: {str(exc).strip().splitlines()[0]}") from None
        self._identity: dict[str, str] | None = None
        try:
            self._configure()
        except BaseException:
            self.conn.close()
            raise

    def _configure(self) -> None:
        self._run("SELECT set_config('lock_timeout', %s, false), "
                  "set_config('synchronous_commit', 'on', false)", [f"{int(self.busy_timeout_ms)}ms"])
        settings = {r[0]: r[1] for r in self._run(
            "SELECT name, setting FROM pg_settings WHERE name IN ('lock_timeout', 'synchronous_commit', "
            "'fsync', 'server_version_num')", [])}
        database, schema, user = self._run("SELECT current_database(), current_schema(), current_user", [])[0]
        self.database, self.schema, self.user = str(database), schema, str(user)
        if int(settings["server_version_num"]) < C.POSTGRES_MIN_SERVER_VERSION:
            raise StoreError(self.name, f"PostgreSQL {settings['server_version_num']} is too old: the store "
                                        "needs PostgreSQL 12 or later")
        wanted = [("fsync", "on", settings["fsync"]),
                  ("synchronous_commit", "on", settings["synchronous_commit"]),
                  ("lock_timeout", str(int(self.busy_timeout_ms)), settings["lock_timeout"])]
        for name, expected, actual in wanted:
            if actual != expected:
                raise StoreSettingsError(self.name, name, expected, actual, advice=(
                    "a committed decision must survive a crash of the server: the store needs fsync on "
                    "and synchronous_commit on (or remote_apply), and a lock timeout it can set"))
        if schema is None:
            raise StoreError(self.name, f"role {user} has no schema to use: the URL's search_path (options="
                                        "-c search_path=...) names no schema that exists and that it may use")
        key = hashlib.sha256(f"personalnote store {database}.{schema}".encode()).digest()[:8]
        self.lock_key = int.from_bytes(key, "big", signed=True)

    def _run(self, sql: str, params: Sequence[Any] | None) -> list[Any]:
        try:
            cursor = self.conn.execute(sql, params)
            return cursor.fetchall() if _has_rows(cursor) else []
        except self._pg.Error as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> StoreError:
        errors, message = self._pg.errors, str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        if isinstance(exc, errors.LockNotAvailable | errors.DeadlockDetected | errors.SerializationFailure):
            return StoreBusyError(self.name, self.busy_timeout_ms)
        if isinstance(exc, errors.InsufficientPrivilege):
            return StoreError(self.name, f"role {self.user} may not do this ({message}): the application's "
                                         "role has only what `personalnote store init-postgres` grants")
        if isinstance(exc, self._pg.OperationalError):
            return StoreError(self.name, f"lost its connection or the server refused ({message}); what was "
                                         "not committed was not written")
        return StoreError(self.name, f"PostgreSQL refused the operation: {message}")

    # --- statements ---------------------------------------------------------------------------

    def _identity_columns(self) -> dict[str, str]:
        if self._identity is None:
            rows = self._run("SELECT table_name, column_name FROM information_schema.columns WHERE "
                             "table_schema = current_schema() AND is_identity = 'YES'", [])
            self._identity = {str(r[0]): str(r[1]) for r in rows}
        return self._identity

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> PgCursor:
        """Run one statement of the store's SQL (``?`` parameters); DDL is translated, see the module."""
        text = sql.strip()
        pragma = _PRAGMA_VERSION.fullmatch(text)
        if pragma is not None:
            if pragma[1] is None:
                return PgCursor([(self.schema_version(self),)], 1)
            self.set_schema_version(self, int(pragma[1]))
            return PgCursor([], 1)
        if re.match(r"(CREATE|ALTER|DROP)\b", text, re.I):
            schema, later = PgSchema(), list[str]()
            schema.add(text, later, defer_references=False)
            for statement in [*schema.statements, *later]:
                self._run(statement, None)
            self._identity = None
            return PgCursor([], 0)
        query, returning = translate_query(text), None
        insert = _INSERT.match(text)
        if insert is not None and "RETURNING" not in text.upper():
            returning = self._identity_columns().get(insert[1])
            if returning is not None:
                query += f" RETURNING {returning}"
        try:
            cursor = self.conn.execute(query, list(params))
            rows = cursor.fetchall() if _has_rows(cursor) else []
        except self._pg.Error as exc:
            raise self._translate(exc) from exc
        if returning is not None:
            return PgCursor([], cursor.rowcount, int(rows[-1][0]) if rows else None)
        return PgCursor(rows, cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(translate_query(sql), rows)
        except self._pg.Error as exc:
            raise self._translate(exc) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.execute(sql, params).fetchall()

    @contextmanager
    def write(self) -> Iterator[PostgresDatabase]:
        """One write transaction, holding the store's advisory lock: commit on success, else roll back."""
        try:
            self.conn.isolation_level, self.conn.read_only = self._pg.IsolationLevel.READ_COMMITTED, False
            with self.conn.transaction():  # BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE
                self._run("SELECT pg_advisory_xact_lock(%s)", [self.lock_key])
                yield self
        except self._pg.Error as exc:
            raise self._translate(exc) from exc

    @contextmanager
    def read(self) -> Iterator[PostgresDatabase]:
        """One REPEATABLE READ, READ ONLY transaction (inside a write: that write's)."""
        if self.conn.info.transaction_status != self._pg.pq.TransactionStatus.IDLE:
            yield self
            return
        try:
            self.conn.isolation_level, self.conn.read_only = self._pg.IsolationLevel.REPEATABLE_READ, True
            with self.conn.transaction():  # BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY
                yield self
        except self._pg.Error as exc:
            raise self._translate(exc) from exc

    # --- the schema ---------------------------------------------------------------------------

    def schema_version(self, tx: Any) -> int:
        if not self._run("SELECT to_regclass('personalnote_schema') IS NOT NULL", [])[0][0]:
            return 0
        rows = self._run("SELECT version FROM personalnote_schema WHERE id = 1", [])
        return int(rows[0][0]) if rows else 0

    def set_schema_version(self, tx: Any, version: int) -> None:
        self._run("UPDATE personalnote_schema SET version = %s WHERE id = 1", [int(version)])

    def table_count(self, tx: Any) -> int:
        return int(self._run("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm')",
                             [])[0][0])

    def not_found(self) -> StoreNotFoundError:
        return StoreNotFoundError(self.name, f"no review store in schema {self.schema}", hint=(
            "check the URL (database, and the schema its search_path names) for a typo; the store's owner "
            "creates it with `personalnote store init-postgres --apply OWNER_URL`"))

    def other_tables(self) -> StoreError:
        return StoreError(self.name, f"schema {self.schema} holds other tables: give the store a schema of "
                                     "its own (options=-c search_path=NAME in the URL)")

    def create_schema(self, tx: Any, script: str, version: int) -> None:
        try:
            for statement in schema_statements(script, version):
                self.conn.execute(statement)
        except self._pg.errors.InsufficientPrivilege as exc:
            raise StoreError(self.name, f"holds no review store in schema {self.schema}, and role "
                                        f"{self.user} may not create one: as the owner, run `personalnote "
                                        f"store init-postgres --apply OWNER_URL --app-role {self.user}` "
                                        "(without --apply it prints the SQL)") from exc
        except self._pg.Error as exc:
            raise self._translate(exc) from exc
        self._identity = None

    def migrate(self, tx: Any, script: str) -> None:
        """Run a schema script statement by statement, translated (``execute``)."""
        for statement in script.split(";\n"):
            if statement.strip():
                self.execute(statement)

    def upgrade(self, steps: dict[int, str]) -> None:
        """Bring an older store up to date, step by step (``steps``: from version N to N + 1), in one
        transaction: only the tables' owner may; ``init_postgres_store`` then grants any new table."""
        owned = self._run("SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
                          "WHERE schemaname = current_schema() AND tablename = 'drafts'", [])
        if not owned or not owned[0][0]:
            raise StoreError(self.name, f"its schema version is older than {C.STORE_SCHEMA_VERSION} and role "
                                        f"{self.user} may not change its tables: the owner brings it up to "
                                        "date with `personalnote store init-postgres --apply OWNER_URL`")
        with self.write():
            found = self.schema_version(self)
            while found < C.STORE_SCHEMA_VERSION:
                self.migrate(self, steps[found])
                found += 1
            self.set_schema_version(self, found)

    def grant(self, script: str, app_role: str) -> None:
        """Grant the application's role its rights, after checking it cannot drop the triggers."""
        rows = self._run("SELECT rolsuper, pg_has_role(rolname, current_user, 'USAGE') FROM pg_roles "
                         "WHERE rolname = %s", [app_role])
        if not rows:
            raise ConfigurationError(f"role {app_role!r} does not exist: as a superuser, CREATE ROLE "
                                     f"{quote_role(app_role)} LOGIN PASSWORD '...'")
        superuser, member = rows[0][0], rows[0][1]
        if app_role == self.user or superuser or member:
            why = ("is the owner" if app_role == self.user else "is a superuser" if superuser
                   else f"is a member of the owner {self.user}")
            raise ConfigurationError(f"the application's role {app_role!r} {why}: it could drop the "
                                     "append-only triggers; give the application a role of its own")
        with self.write():
            for statement in grant_statements(script, app_role):
                self._run(statement, None)

    def defer_foreign_keys(self, tx: Any) -> None:
        self._run("SET CONSTRAINTS ALL DEFERRED", None)

    def reset_sequences(self, tx: Any) -> None:
        """Move each identity column's sequence past the ids copied in."""
        for table, column in self._identity_columns().items():
            self._run(f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({column}), 0) + 1, false) "
                      f"FROM {table}", [table, column])

    def integrity_check(self) -> str:
        """'ok' when every table of the store reads and none of its indexes is marked invalid."""
        problems = [f"index {r[0]} is invalid" for r in self._run(
            "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND NOT i.indisvalid", [])]
        for (table,) in self._run("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                  "ORDER BY tablename", []):
            self._run(f'SELECT count(*) FROM "{table}"', [])
        return "; ".join(problems) or "ok"

    def close(self) -> None:
        self.conn.close()
