"""The review store: a SQLite file (or a PostgreSQL database), opened with safe settings, written one
transaction at a time.

At open the settings are set and then read back (WAL journal, ``synchronous=FULL``, a busy
timeout, foreign keys); a value that does not stick is a ``StoreSettingsError``. Every write
is one ``BEGIN IMMEDIATE`` transaction, so two writers never interleave. A writer that waits
longer than the busy timeout gets ``StoreBusyError``: "database is locked" never reaches the
caller, and it is never swallowed either.

A ``postgresql://`` URL opens the same store in PostgreSQL instead (``_store_pg``, psycopg 3):
the same schema and queries, translated by a thin dialect; writers take turns on an advisory
lock as they do here. Write the store's SQL once, portably: ``?`` parameters, TEXT, INTEGER
and REAL columns, ``INTEGER PRIMARY KEY`` ids, no SQLite-only functions; an append-only table
gets the ``APPEND_ONLY`` triggers; ``read()`` gives a consistent snapshot for several reads.
The schema and its migrations are in ``_store_schema``.

The schema's ``signatures`` and ``exports`` tables are append-only: triggers refuse UPDATE
and DELETE on them. Each signature row and the chain head carry a keyed MAC (``_signatures``); a
store of schema version 1 (before keyed signatures) is refused with a ``StoreError``.

Example::

    store = Store(store_location(None))       # argument > $PERSONALNOTE_STORE > the default
    with store.write() as tx:
        tx.execute("INSERT INTO ...", params)
    rows = store.query("SELECT * FROM drafts WHERE state = ?", ("drafted",))
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from . import _constants as C
from ._errors import (
    ConfigurationError,
    DamagedStoreError,
    StoreBusyError,
    StoreError,
    StoreNotFoundError,
    StoreSettingsError,
)
from ._store_dialect import is_postgres_url, setup_script
from ._store_pg import PostgresDatabase
from ._store_schema import (
    APPEND_ONLY,
    GENESIS_HASH,
    MIGRATIONS,
    REVIEWERS,
    SIGNATURES,
    postgres_steps,
    schema_script,
    store_tables,
)

__all__ = ["GENESIS_HASH", "Row", "Store", "Tx", "init_postgres_store", "is_postgres_url",
           "postgres_setup_sql", "store_location", "store_path", "store_tables"]


class Row(Protocol):
    """A row of the store, read by column name or position (``sqlite3.Row``, or its PostgreSQL twin)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...


class Tx(Protocol):
    """What a transaction runs statements on: ``execute(sql, params)`` with ``?`` parameters."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> object: ...


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class _Migrate(Exception):
    """Raised inside the schema transaction for a store of schema 2 or 3: it is migrated after the
    transaction rolls back (the migration needs foreign keys off, which cannot change inside one)."""


def store_path(path: str | Path | None = None) -> Path:
    """The store file: ``path``, else ``$PERSONALNOTE_STORE``, else the per-user default.

    The default is ``$XDG_DATA_HOME/personalnote/review.sqlite3`` (``~/.local/share`` when
    ``XDG_DATA_HOME`` is not set).
    """
    if path is not None and str(path):
        return Path(path)
    env = os.environ.get(C.ENV_STORE)
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / C.STORE_DIR_NAME / C.STORE_FILE_NAME


def store_location(target: str | Path | None = None) -> Path | str:
    """The store: ``target``, else ``$PERSONALNOTE_STORE``, else the default file; a ``postgresql://``
    URL (argument or variable) is kept as the URL, anything else is a SQLite file's path."""
    if target is not None and str(target):
        return target if is_postgres_url(target) else Path(target)
    env = os.environ.get(C.ENV_STORE)
    return env if env and is_postgres_url(env) else store_path(None)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


@contextmanager
def reading_row(path: str | Path, table: str, row: Any) -> Iterator[None]:
    """Turn what a damaged row raises (bad JSON, a failed validation, a column gone) into a
    ``DamagedStoreError`` naming the row."""
    try:
        yield
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        try:
            row_id: int | None = int(row["id"]) if row is not None else None
        except (IndexError, KeyError, TypeError, ValueError):
            row_id = None
        raise DamagedStoreError(path, table, row_id, f"{type(exc).__name__}: {str(exc)[:200]}") from exc


class _Database(Protocol):
    """What a store's backend does (``_SQLiteDatabase`` here, ``PostgresDatabase`` in ``_store_pg``)."""

    name: Any
    dialect: str

    def query(self, sql: str, params: Sequence[Any] = ...) -> list[Any]: ...
    def write(self) -> AbstractContextManager[Any]: ...
    def read(self) -> AbstractContextManager[Any]: ...
    def schema_version(self, tx: Any) -> int: ...
    def set_schema_version(self, tx: Any, version: int) -> None: ...
    def table_count(self, tx: Any) -> int: ...
    def not_found(self) -> StoreNotFoundError: ...
    def other_tables(self) -> StoreError: ...
    def create_schema(self, tx: Any, script: str, version: int) -> None: ...
    def migrate(self, tx: Any, script: str) -> None: ...
    def upgrade(self, steps: dict[int, str]) -> None: ...
    def defer_foreign_keys(self, tx: Any) -> None: ...
    def reset_sequences(self, tx: Any) -> None: ...
    def integrity_check(self) -> str: ...
    def close(self) -> None: ...


class _SQLiteDatabase:
    """The store's SQLite file: settings read back at open, ``BEGIN IMMEDIATE`` writes."""

    dialect = "sqlite"

    def __init__(self, path: Path, busy_timeout_ms: int, create: bool) -> None:
        self.name = path
        self.busy_timeout_ms = busy_timeout_ms
        memory = str(path) == ":memory:"
        target = str(path)
        if not memory and not create:
            if not path.is_file():
                raise StoreNotFoundError(path, "a folder, not a review store" if path.is_dir()
                                         else "no such file")
            target = f"{path.resolve().as_uri()}?mode=rw"  # SQLite itself refuses to create it
        elif not memory:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(path, f"cannot create its folder: {exc.strerror or exc}") from None
        try:
            self._conn = sqlite3.connect(target, timeout=busy_timeout_ms / 1000, isolation_level=None,
                                         uri=target.startswith("file:"))
        except sqlite3.Error as exc:
            raise StoreError(path, f"cannot open it: {exc}") from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._configure()
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        wanted: list[tuple[str, str, object]] = [
            ("journal_mode", "WAL", "wal"),
            ("synchronous", "FULL", 2),
            ("busy_timeout", str(self.busy_timeout_ms), self.busy_timeout_ms),
            ("foreign_keys", "ON", 1),
        ]
        for name, value, expected in wanted:
            self._pragma(f"PRAGMA {name} = {value}")
            rows = self._pragma(f"PRAGMA {name}")
            actual = rows[0][0] if rows else None
            if isinstance(actual, str):
                actual = actual.lower()
            if actual != expected:
                raise StoreSettingsError(self.name, name, expected, actual)

    def _pragma(self, sql: str) -> list[Any]:
        try:
            return self._conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc
        except sqlite3.DatabaseError as exc:  # not a database, corrupt
            raise StoreError(self.name, f"not a usable SQLite database ({exc})") from None

    def upgrade(self, steps: dict[int, str]) -> None:
        """An older store brought up to date, in one transaction with foreign keys off.

        2 to 3 adds each draft's experiment and arm and the outcomes table (``steps``, plain SQL). 3 to 4
        adds the ``reviewers`` table and ``request_change`` among the signatures' meanings: SQLite
        cannot change a CHECK constraint, so the append-only ``signatures`` table is rebuilt the way
        SQLite's ALTER TABLE documentation says (foreign keys off, a new table, every row copied as it
        is, the old one dropped, the new one renamed, the foreign keys checked): every row keeps its
        MAC, and the chain verifies as before.
        """
        self._pragma("PRAGMA foreign_keys = OFF")
        try:
            with self.write() as tx:
                found = tx.execute("PRAGMA user_version").fetchone()[0]
                if found == C.STORE_SCHEMA_VERSION:
                    return  # another process migrated it first
                if found == C.KEYED_STORE_SCHEMA_VERSION:
                    self.migrate(tx, steps[found])
                    found += 1
                columns = ", ".join(row[1] for row in tx.execute("PRAGMA table_info(signatures)"))
                tx.execute(SIGNATURES.format(table="signatures_v4"))
                tx.execute(f"INSERT INTO signatures_v4 ({columns}) SELECT {columns} FROM signatures")
                tx.execute("DROP TABLE signatures")
                tx.execute("ALTER TABLE signatures_v4 RENAME TO signatures")
                self.migrate(tx, "CREATE INDEX signatures_by_draft ON signatures (draft_id, seq);\n"
                             + REVIEWERS + ";\n" + APPEND_ONLY.format(table="signatures"))
                if tx.execute("PRAGMA foreign_key_check").fetchall():
                    raise StoreError(self.name, f"migrating schema {found} to {C.STORE_SCHEMA_VERSION} broke "
                                                "a foreign key; nothing was changed")
                tx.execute(f"PRAGMA user_version = {C.STORE_SCHEMA_VERSION}")
        finally:
            self._pragma("PRAGMA foreign_keys = ON")

    def _translate(self, exc: sqlite3.OperationalError) -> StoreError:
        if _is_busy(exc):
            return StoreBusyError(self.name, self.busy_timeout_ms)
        return StoreError(self.name, f"SQLite refused the operation: {exc}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise self._translate(exc) from exc
        except BaseException:
            self._rollback()
            raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        if self._conn.in_transaction:
            yield self._conn
            return
        try:
            self._conn.execute("BEGIN")  # in WAL mode, one snapshot from the first read to the end
            yield self._conn
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc
        finally:
            self._rollback()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def schema_version(self, tx: Any) -> int:
        return int(self._pragma("PRAGMA user_version")[0][0])

    def set_schema_version(self, tx: Any, version: int) -> None:
        self._conn.execute(f"PRAGMA user_version = {int(version)}")

    def table_count(self, tx: Any) -> int:
        return int(self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])

    def not_found(self) -> StoreNotFoundError:
        return StoreNotFoundError(self.name, "an empty database, not a review store")

    def other_tables(self) -> StoreError:
        return StoreError(self.name, "this SQLite file holds other tables: choose a new file")

    def create_schema(self, tx: Any, script: str, version: int) -> None:
        self.migrate(tx, script)
        self.set_schema_version(tx, version)

    def migrate(self, tx: Any, script: str) -> None:
        """Run a schema script one statement at a time (a trigger's body ends in "; END;")."""
        for statement in script.split(";\n"):
            if statement.strip():
                self._conn.execute(statement)

    def defer_foreign_keys(self, tx: Any) -> None:
        self._conn.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT

    def reset_sequences(self, tx: Any) -> None:
        return None  # AUTOINCREMENT follows the largest id inserted

    def integrity_check(self) -> str:
        return "; ".join(str(row[0]) for row in self.query("PRAGMA integrity_check"))

    def close(self) -> None:
        self._conn.close()


class Store:
    """An open review store. Use ``query`` to read, ``read()`` for a snapshot and ``write()`` for one
    transaction.

    ``path`` is a SQLite file, or a ``postgresql://`` URL (then ``path`` shows the URL without its
    password, and ``target`` keeps what reopens it). ``create=False`` opens an existing store only:
    a path with no file, or a database without a store's tables, is a ``StoreNotFoundError`` and
    nothing is created.
    """

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = C.STORE_BUSY_TIMEOUT_MS,
                 create: bool = True) -> None:
        self.busy_timeout_ms = busy_timeout_ms
        self.create = create
        self.target: str | Path = path if is_postgres_url(path) else Path(path)
        self._db: _Database = (PostgresDatabase(str(path), busy_timeout_ms) if is_postgres_url(path)
                               else _SQLiteDatabase(Path(path), busy_timeout_ms, create))
        self.path: str | Path = self._db.name
        self.dialect = self._db.dialect
        try:
            self._create_schema()
        except BaseException:
            self._db.close()
            raise

    def _create_schema(self) -> None:
        if self._db.schema_version(None) == C.STORE_SCHEMA_VERSION:
            return
        try:
            self._create_or_refuse()
        except _Migrate:
            self._db.upgrade(postgres_steps() if self.dialect == "postgresql" else MIGRATIONS)

    def _create_or_refuse(self) -> None:
        """A new store's schema; a store of another version is refused (or, for 2 and 3, ``_Migrate``)."""
        found = self._db.schema_version(None)
        if not self.create and found == 0 and not self._db.table_count(None):
            raise self._db.not_found()
        with self.write() as tx:
            found = self._db.schema_version(tx)
            if found == C.STORE_SCHEMA_VERSION:
                return
            if C.KEYED_STORE_SCHEMA_VERSION <= found < C.STORE_SCHEMA_VERSION:
                raise _Migrate
            if found == C.UNKEYED_STORE_SCHEMA_VERSION:
                raise StoreError(self.path, f"schema version {found} is a store made before keyed signatures "
                                            "(its record is an unkeyed hash chain that anyone who can write "
                                            "the file can recompute); export what it holds with the "
                                            "personalnote version that made it, then start a new store")
            if found != 0:
                raise StoreError(self.path, f"schema version {found} is not {C.STORE_SCHEMA_VERSION}: it was "
                                            "made by another version of personalnote; use that version")
            if self._db.table_count(tx):
                raise self._db.other_tables()
            # a new store: the base schema (with the reviewers and every signature meaning), then the
            # migrations that are plain SQL, so a new store and a migrated one are the same
            self._db.create_schema(tx, schema_script(), C.STORE_SCHEMA_VERSION)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read and return its rows (busy or locked becomes ``StoreBusyError``)."""
        return self._db.query(sql, params)

    def write(self) -> AbstractContextManager[Tx]:
        """One write transaction: commit on success, else roll back. On SQLite it starts with ``BEGIN
        IMMEDIATE``; on PostgreSQL it takes the store's advisory lock: one writer at a time."""
        return self._db.write()

    def read(self) -> AbstractContextManager[Tx]:
        """One read transaction: every query in it sees the same snapshot of the store."""
        return self._db.read()

    def defer_foreign_keys(self, tx: Tx) -> None:
        """Check foreign keys at the end of this write transaction (``store copy`` inserts tables in turn)."""
        self._db.defer_foreign_keys(tx)

    def reset_sequences(self, tx: Tx) -> None:
        """After ids were inserted as given: new rows get ids past them (PostgreSQL's identity columns)."""
        self._db.reset_sequences(tx)

    def integrity_check(self) -> str:
        """'ok' when the store is sound: SQLite's ``PRAGMA integrity_check``; in PostgreSQL, every table
        reads and no index of the store is invalid."""
        return self._db.integrity_check()

    def close(self) -> None:
        self._db.close()


def postgres_setup_sql(*, app_role: str = C.POSTGRES_APP_ROLE,
                       owner_role: str = C.POSTGRES_OWNER_ROLE) -> str:
    """The SQL that sets a PostgreSQL database up for a review store: what the owner role runs (the
    tables, the append-only triggers, the schema version) and the application role's rights.

    Example::

        print(postgres_setup_sql(app_role="notes_app"))    # or: personalnote store init-postgres
    """
    return setup_script(schema_script(), C.STORE_SCHEMA_VERSION, app_role, owner_role)


def init_postgres_store(owner_url: str, *, app_role: str = C.POSTGRES_APP_ROLE) -> str:
    """Create the review store in PostgreSQL as its owner (``owner_url``), and grant ``app_role`` what the
    application needs: SELECT, INSERT, and UPDATE where rows may change; never DELETE, never the right
    to drop the append-only triggers. Refused when ``app_role`` is the owner, a superuser or a member
    of the owner. Safe to run again. Returns where the store is (the URL without its password).

    Example::

        init_postgres_store("postgresql://personalnote_owner@db/personalnote", app_role="personalnote_app")
        queue = ReviewQueue("postgresql://personalnote_app@db/personalnote")
    """
    if not is_postgres_url(owner_url):
        raise ConfigurationError(f"init_postgres_store needs a postgresql:// URL, not "
                                 f"{str(owner_url)[:60]!r}")
    store = Store(owner_url, create=True)
    try:
        if isinstance(store._db, PostgresDatabase):
            store._db.grant(schema_script(), app_role)
        return str(store.path)
    finally:
        store.close()
