"""The signature record: who signed which exact text, when and why, as an append-only hash chain.

Each row holds the reviewer (id, printed name, role), the UTC time, the meaning (approve,
edit, reject, override), the reason, the version and the SHA-256 of its text, the unified diff
against the model's text, the model and prompt version, and the hash of the context the draft
was made from. Its ``row_hash`` is the SHA-256 of the previous row's hash and its own fields,
so changing, removing or inserting a row breaks the chain; ``verify_chain`` finds the first
broken row. The database refuses UPDATE and DELETE on the table (triggers) besides.

Example::

    report = verify_chain(store)
    if not report.ok:
        print(f"signature row {report.first_broken}: {report.problem}")
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ._store import GENESIS_HASH, Store

__all__ = ["ChainReport", "Meaning", "SignatureRecord", "append_signature", "diff_against", "sha256_text",
           "signature_at", "signature_rows", "verify_chain"]

Meaning = Literal["approve", "edit", "reject", "override"]

_HASHED = ("seq", "draft_id", "reviewer_id", "printed_name", "role", "signed_at", "meaning", "reason",
           "version", "text_sha256", "diff", "model", "prompt", "prompt_version", "context_hash")


def sha256_text(text: str) -> str:
    """SHA-256 (hex) of a note's exact text, UTF-8 encoded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def diff_against(model_text: str, text: str, version: int) -> str:
    """The unified diff from the model's text to ``text`` ('' when they are the same)."""
    lines = difflib.unified_diff(model_text.splitlines(keepends=True), text.splitlines(keepends=True),
                                 fromfile="model", tofile=f"version {version}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class SignatureRecord:
    """One row of the signature record (see the module docstring for the fields)."""

    seq: int
    draft_id: int
    reviewer_id: str
    printed_name: str
    role: str
    signed_at: str
    meaning: Meaning
    reason: str | None
    version: int
    text_sha256: str
    diff: str
    model: str
    prompt: str
    prompt_version: str
    context_hash: str
    prev_hash: str
    row_hash: str

    @property
    def approves(self) -> bool:
        """True for an approval (``approve``, or ``override`` of blocking findings)."""
        return self.meaning in ("approve", "override")

    def expected_hash(self) -> str:
        """The hash this row's fields and ``prev_hash`` call for."""
        return _row_hash(self.prev_hash, {name: getattr(self, name) for name in _HASHED})

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps({name: fields[name] for name in _HASHED}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _record(row: sqlite3.Row) -> SignatureRecord:
    return SignatureRecord(**{key: row[key] for key in row.keys()})


def append_signature(tx: sqlite3.Connection, **fields: Any) -> SignatureRecord:
    """Append one row inside the caller's write transaction and move the chain head to it.

    ``fields`` are every name in ``_HASHED`` but ``seq`` (taken from the chain head).
    """
    head_seq, head_hash = tx.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
    values = {**fields, "seq": head_seq + 1}
    row_hash = _row_hash(head_hash, values)
    record = SignatureRecord(**{name: values[name] for name in _HASHED}, prev_hash=head_hash,
                             row_hash=row_hash)
    columns = [*_HASHED, "prev_hash", "row_hash"]
    tx.execute(f"INSERT INTO signatures ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
               [getattr(record, name) for name in columns])
    tx.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (record.seq, row_hash))
    return record


def _fetch(source: Store | sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    if isinstance(source, Store):
        return source.query(sql, params)
    return source.execute(sql, params).fetchall()


def signature_rows(source: Store | sqlite3.Connection, draft_id: int | None = None) -> list[SignatureRecord]:
    """Signature rows in order, for one draft or all (from a store or inside a transaction)."""
    if draft_id is None:
        return [_record(row) for row in _fetch(source, "SELECT * FROM signatures ORDER BY seq")]
    rows = _fetch(source, "SELECT * FROM signatures WHERE draft_id = ? ORDER BY seq", (draft_id,))
    return [_record(row) for row in rows]


def signature_at(source: Store | sqlite3.Connection, seq: int | None) -> SignatureRecord | None:
    """The signature row with this sequence number, if any."""
    rows = _fetch(source, "SELECT * FROM signatures WHERE seq = ?", (seq,)) if seq is not None else []
    return _record(rows[0]) if rows else None


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the signature record: ``ok``, rows read, the first broken row."""

    ok: bool
    rows: int
    first_broken: int | None = None
    problem: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify_chain(store: Store) -> ChainReport:
    """Recompute every row's hash in order; report the first row that does not match.

    A changed row breaks its own hash; a removed or inserted row breaks the next row's link;
    rows removed from the end no longer reach the chain head.
    """
    previous, last_seq, count = GENESIS_HASH, 0, 0
    for row in store.query("SELECT * FROM signatures ORDER BY seq"):
        record = _record(row)
        count += 1
        if record.prev_hash != previous:
            return ChainReport(False, count, record.seq,
                               "its link to the previous row is broken: a row before it was changed, "
                               "removed or inserted")
        if record.expected_hash() != record.row_hash:
            return ChainReport(False, count, record.seq,
                               "its fields no longer match its hash: it was changed")
        previous, last_seq = record.row_hash, record.seq
    head = store.query("SELECT seq, hash FROM chain_head WHERE id = 1")
    if not head or (head[0]["seq"], head[0]["hash"]) != (last_seq, previous):
        head_seq = head[0]["seq"] if head else None
        return ChainReport(False, count, last_seq + 1,
                           f"the record ends at row {last_seq} but its head names row {head_seq}: "
                           "rows were removed from the end")
    return ChainReport(True, count)
