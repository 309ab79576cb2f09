"""The review store's schema: its tables, the append-only triggers, and the migrations between versions.

Written once, in portable SQL for SQLite (``_store_dialect`` translates it for PostgreSQL): ``?``
parameters, TEXT, INTEGER and REAL columns, ``INTEGER PRIMARY KEY`` ids, foreign keys inline, the
``APPEND_ONLY`` triggers for an append-only table. A new store is ``SCHEMA`` and then every
``MIGRATIONS`` step, so a new store and a migrated one are the same (``schema_script``).

Example::

    schema_script()      # what a new store runs
    store_tables()       # ["drafts", "signatures", "chain_head", "exports", "reviewers", "outcomes"]
"""

from __future__ import annotations

import re

from . import _constants as C

__all__ = ["APPEND_ONLY", "BASE_SCHEMA_VERSION", "GENESIS_HASH", "MIGRATIONS", "REVIEWERS", "SCHEMA",
           "SIGNATURES", "postgres_steps", "schema_script", "store_tables"]

#: the "previous hash" of the first signature row
GENESIS_HASH = "0" * 64

APPEND_ONLY = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be changed'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be deleted'); END;
"""

SIGNATURES = """
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
REVIEWERS = """
CREATE TABLE reviewers (
    id TEXT PRIMARY KEY,
    printed_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""

SCHEMA = f"""
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
{SIGNATURES.format(table='signatures').strip()};
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
{REVIEWERS};
{APPEND_ONLY.format(table="signatures")}
{APPEND_ONLY.format(table="exports")}
"""

#: the schema version whose tables ``SCHEMA`` holds (with schema 4's reviewers and signature meanings
#: already in it); ``MIGRATIONS`` holds the steps that are plain SQL
BASE_SCHEMA_VERSION = 2

#: from version N to N + 1, in portable SQL (a new store is made the same way, so both are the same)
MIGRATIONS: dict[int, str] = {
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
{APPEND_ONLY.format(table="outcomes")}
""",
}


def schema_script() -> str:
    """A new store's whole schema: the base and then every migration, in order."""
    return SCHEMA + "".join(MIGRATIONS[version] for version in sorted(MIGRATIONS))


def postgres_steps() -> dict[int, str]:
    """``MIGRATIONS`` for PostgreSQL, which changes a CHECK constraint in place: from 3 to 4, the
    signatures' meanings (as ``SIGNATURES`` has them now) and the reviewers' table."""
    meanings = re.search(r"CHECK \((meaning IN \([^)]*\))\)", SIGNATURES)
    assert meanings is not None
    return {**MIGRATIONS, 3: "ALTER TABLE signatures DROP CONSTRAINT signatures_meaning_check;\n"
                              "ALTER TABLE signatures ADD CONSTRAINT signatures_meaning_check "
                              f"CHECK ({meanings[1]});\n{REVIEWERS};\n"}


def store_tables() -> list[str]:
    """The store's tables, in the order its schema creates them."""
    return re.findall(r"CREATE TABLE (\w+)", schema_script())
