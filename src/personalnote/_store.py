"""The review store: one SQLite file, opened with safe settings, written one transaction at a time.

At open the settings are set and then read back (WAL journal, ``synchronous=FULL``, a busy
timeout, foreign keys); a value that does not stick is a ``StoreSettingsError``. Every write
is one ``BEGIN IMMEDIATE`` transaction, so two writers never interleave. A writer that waits
longer than the busy timeout gets ``StoreBusyError``: "database is locked" never reaches the
caller, and it is never swallowed either.

The schema's ``signatures`` and ``exports`` tables are append-only: triggers refuse UPDATE
and DELETE on them. Each signature row and the chain head carry a keyed MAC (``_signatures``); a
store of schema version 1 (before keyed signatures) is refused with a ``StoreError``.

Example::

    store = Store(store_path(None))           # argument > $PERSONALNOTE_STORE > the default
    with store.write() as tx:
        tx.execute("INSERT INTO ...", params)
    rows = store.query("SELECT * FROM drafts WHERE state = ?", ("drafted",))
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import _constants as C
from ._errors import DamagedStoreError, StoreBusyError, StoreError, StoreNotFoundError, StoreSettingsError

__all__ = ["GENESIS_HASH", "Store", "store_path"]

#: the "previous hash" of the first signature row
GENESIS_HASH = "0" * 64

_APPEND_ONLY = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be changed'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be deleted'); END;
"""

_SIGNATURES = """
CREATE TABLE {table} (
    seq INTEGER PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts (id),
    customer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    signers TEXT NOT NULL,
    reviewer_id TEXT NOT NULL,
    printed_name TEXT NOT NULL,
    role TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    meaning TEXT NOT NULL CHECK (meaning IN ('approve', 'edit', 'reject', 'override', 'request_change')),
    reason TEXT,
    version INTEGER NOT NULL,
    text_sha256 TEXT NOT NULL,
    diff TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    context_hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL UNIQUE
)
"""

#: reviewer accounts (schema 4): the password hash is argon2id (personalnote.web); a disabled account
#: cannot log in, and is never deleted (its id stays in the signatures it made)
_REVIEWERS = """
CREATE TABLE reviewers (
    id TEXT PRIMARY KEY,
    printed_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""

_SCHEMA = f"""
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    moment_kind TEXT NOT NULL,
    moment_key TEXT NOT NULL,
    context_hash TEXT NOT NULL,
    prompt TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('drafted', 'edited', 'approved', 'rejected', 'exported')),
    version INTEGER NOT NULL CHECK (version >= 1),
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    model_text TEXT NOT NULL,
    findings TEXT NOT NULL,
    draft TEXT NOT NULL,
    context TEXT NOT NULL,
    source TEXT,
    approval_seq INTEGER REFERENCES signatures (seq),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    first_exported_at TEXT,
    last_exported_at TEXT,
    export_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX drafts_one_open
    ON drafts (customer_id, moment_key, context_hash, prompt, prompt_version) WHERE state <> 'rejected';
CREATE INDEX drafts_by_state ON drafts (state, id);
{_SIGNATURES.format(table='signatures').strip()};
CREATE INDEX signatures_by_draft ON signatures (draft_id, seq);
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    key_id TEXT,
    mac TEXT
);
INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '{GENESIS_HASH}');
CREATE TABLE exports (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts (id),
    version INTEGER NOT NULL,
    text_sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    exported_at TEXT NOT NULL
);
{_REVIEWERS};
{_APPEND_ONLY.format(table="signatures")}
{_APPEND_ONLY.format(table="exports")}
"""

#: the schema version whose tables ``_SCHEMA`` holds (with schema 4's reviewers and signature meanings
#: already in it); ``_MIGRATIONS`` holds the steps that are plain SQL
_BASE_SCHEMA_VERSION = 2

#: from version N to N + 1, in portable SQL (a new store is made the same way, so both are the same)
_MIGRATIONS: dict[int, str] = {
    # 3: each draft's experiment and arm (the prompt as name@version); what happened after a note went
    # out (append-only, like the signatures)
    2: f"""
ALTER TABLE drafts ADD COLUMN experiment TEXT;
ALTER TABLE drafts ADD COLUMN arm TEXT;
CREATE INDEX drafts_by_experiment ON drafts (experiment, arm);
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts (id),
    customer_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ({", ".join(f"'{o}'" for o in C.OUTCOMES)})),
    at TEXT NOT NULL,
    note TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX outcomes_by_draft ON outcomes (draft_id, id);
{_APPEND_ONLY.format(table="outcomes")}
""",
}

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _run(tx: sqlite3.Connection, script: str) -> None:
    """Run a schema script one statement at a time (a trigger's body ends in "; END;")."""
    for statement in script.split(";\n"):
        if statement.strip():
            tx.execute(statement)


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


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


@contextmanager
def reading_row(path: Path, table: str, row: Any) -> Iterator[None]:
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


class Store:
    """An open review store. Use ``query`` to read and ``write()`` for one transaction.

    ``create=False`` opens an existing store only: a path with no file, or a database without a
    store's tables, is a ``StoreNotFoundError`` and nothing is created.
    """

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = C.STORE_BUSY_TIMEOUT_MS,
                 create: bool = True) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.create = create
        memory = str(path) == ":memory:"
        target = str(path)
        if not memory and not create:
            if not self.path.is_file():
                raise StoreNotFoundError(self.path, "a folder, not a review store" if self.path.is_dir()
                                         else "no such file")
            target = f"{self.path.resolve().as_uri()}?mode=rw"  # SQLite itself refuses to create it
        elif not memory:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(self.path, f"cannot create its folder: {exc.strerror or exc}") from None
        try:
            self._conn = sqlite3.connect(target, timeout=busy_timeout_ms / 1000, isolation_level=None,
                                         uri=target.startswith("file:"))
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open it: {exc}") from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._configure()
            self._create_schema()
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
                raise StoreSettingsError(self.path, name, expected, actual)

    def _pragma(self, sql: str) -> list[Any]:
        try:
            return self._conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc
        except sqlite3.DatabaseError as exc:  # not a database, corrupt
            raise StoreError(self.path, f"not a usable SQLite database ({exc})") from None

    def _create_schema(self) -> None:
        found = self._pragma("PRAGMA user_version")[0][0]
        if found == C.STORE_SCHEMA_VERSION:
            return
        try:
            self._create_or_refuse()
        except _Migrate:
            self._migrate()

    def _migrate(self) -> None:
        """An older store brought up to date, in one transaction with foreign keys off.

        2 to 3 adds each draft's experiment and arm and the outcomes table (``_MIGRATIONS``). 3 to 4
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
                    _run(tx, _MIGRATIONS[found])
                    found += 1
                columns = ", ".join(row[1] for row in tx.execute("PRAGMA table_info(signatures)"))
                tx.execute(_SIGNATURES.format(table="signatures_v4"))
                tx.execute(f"INSERT INTO signatures_v4 ({columns}) SELECT {columns} FROM signatures")
                tx.execute("DROP TABLE signatures")
                tx.execute("ALTER TABLE signatures_v4 RENAME TO signatures")
                _run(tx, "CREATE INDEX signatures_by_draft ON signatures (draft_id, seq);\n"
                         + _REVIEWERS + ";\n" + _APPEND_ONLY.format(table="signatures"))
                if tx.execute("PRAGMA foreign_key_check").fetchall():
                    raise StoreError(self.path, f"migrating schema {found} to {C.STORE_SCHEMA_VERSION} broke "
                                                "a foreign key; nothing was changed")
                tx.execute(f"PRAGMA user_version = {C.STORE_SCHEMA_VERSION}")
        finally:
            self._pragma("PRAGMA foreign_keys = ON")

    def _create_or_refuse(self) -> None:
        """A new store's schema; a store of another version is refused (or, for 2 and 3, ``_Migrate``)."""
        found = self._pragma("PRAGMA user_version")[0][0]
        if not self.create and found == 0 and not self.query("SELECT count(*) FROM sqlite_master")[0][0]:
            raise StoreNotFoundError(self.path, "an empty database, not a review store")
        with self.write() as tx:
            found = tx.execute("PRAGMA user_version").fetchone()[0]
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
            if tx.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(self.path, "this SQLite file holds other tables: choose a new file")
            # a new store: the base schema (with the reviewers and every signature meaning), then the
            # migrations that are plain SQL, so a new store and a migrated one are the same
            _run(tx, _SCHEMA)
            _run(tx, _MIGRATIONS[_BASE_SCHEMA_VERSION])
            tx.execute(f"PRAGMA user_version = {C.STORE_SCHEMA_VERSION}")

    def _translate(self, exc: sqlite3.OperationalError) -> StoreError:
        if _is_busy(exc):
            return StoreBusyError(self.path, self.busy_timeout_ms)
        return StoreError(self.path, f"SQLite refused the operation: {exc}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read and return its rows (busy or locked becomes ``StoreBusyError``)."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, started with ``BEGIN IMMEDIATE``: commit on success, else roll back."""
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

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: 'ok' when the file is sound."""
        return "; ".join(str(row[0]) for row in self.query("PRAGMA integrity_check"))

    def close(self) -> None:
        self._conn.close()
