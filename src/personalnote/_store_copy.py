"""Moving a review queue between stores: SQLite to PostgreSQL and back, the record verified on arrival.

``copy_store`` reads the source in one snapshot and writes the target in one transaction: every
table row by row with its ids, the chain head as it is. Before anything is copied the source's
signature record must verify; before the target commits, its own copy must verify to the same
head. A target that already holds drafts, signatures or exports is refused, and so is a broken
record on either side: then nothing is written.

Example::

    copied = copy_store("review.sqlite3", "postgresql://personalnote_app@db.internal/personalnote")
    copied.rows["signatures"], copied.report.head
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import StoreError
from ._signatures import ChainReport, KeyInput, resolve_signing_keys, verify_record
from ._store import Store, Tx, store_location, store_tables

__all__ = ["StoreCopy", "copy_store"]

#: rows read and written at a time
_BATCH = 500


@dataclass(frozen=True)
class StoreCopy:
    """What ``copy_store`` moved: the two stores (URLs without passwords), rows per table, and the
    target's verified signature record (``report.head`` is the same as the source's)."""

    source: str
    target: str
    rows: dict[str, int]
    report: ChainReport

    def to_json_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "rows": dict(self.rows),
                "report": self.report.to_json_dict()}


def _copy_table(source: Tx, target: Tx, table: str) -> int:
    """Copy a table in batches, in the order of its first column (its key), with the ids as they are."""
    copied, key, last = 0, "", None
    while True:
        after = f" WHERE {key} > ?" if key else ""
        rows = source.execute(f"SELECT * FROM {table}{after} ORDER BY 1 LIMIT {_BATCH}",
                              [last] if key else []).fetchall()
        if not rows:
            return copied
        columns = rows[0].keys()
        key, last = columns[0], rows[-1][0]
        marks = ", ".join("?" * len(columns))
        target.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                           [[row[c] for c in columns] for row in rows])
        copied += len(rows)


def _empty(tx: Tx, path: str | Path) -> None:
    for table in store_tables():
        if table == "chain_head":
            seq = tx.execute("SELECT seq FROM chain_head WHERE id = 1").fetchone()
            if seq is None or seq[0] != 0:
                raise StoreError(path, "is not empty (its signature record has rows): copy into a new, "
                                       "empty store")
            continue
        count = tx.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if count:
            raise StoreError(path, f"is not empty ({count} row(s) in {table}): copy into a new, empty store")


def copy_store(source: str | Path, target: str | Path, *, signing_key: KeyInput | None = None,
               signing_key_id: str | None = None) -> StoreCopy:
    """Copy the review queue at ``source`` into the new, empty store at ``target`` (SQLite files or
    ``postgresql://`` URLs, either way round) and verify its signature record on arrival.

    The keys (``signing_key``, else ``$PERSONALNOTE_SIGNING_KEY`` or its key file, else the development
    key) verify the record: a source whose record does not verify is refused, and so is a target
    that is not empty; then nothing is written. A ``StoreError`` names the store.

    Example::

        copied = copy_store("review.sqlite3", "postgresql://personalnote_app@db/personalnote")
        print(copied.rows, copied.report.rows, copied.report.head)
    """
    keys = resolve_signing_keys(signing_key, signing_key_id)
    origin = Store(store_location(source), create=False)
    try:
        destination = Store(store_location(target), create=True)
        try:
            return _copy(origin, destination, keys)
        finally:
            destination.close()
    finally:
        origin.close()


def _copy(origin: Store, destination: Store, keys: Any) -> StoreCopy:
    with origin.read() as source, destination.write() as target:
        before = verify_record(source, keys)
        if not before.ok:
            raise StoreError(origin.path, f"its signature record fails verification ({before.problem}); "
                                          "nothing was copied: run `personalnote review verify`")
        _empty(target, destination.path)
        destination.defer_foreign_keys(target)
        rows: dict[str, int] = {}
        for table in store_tables():
            if table == "chain_head":
                head = source.execute("SELECT seq, hash, key_id, mac FROM chain_head WHERE id = 1").fetchone()
                target.execute("UPDATE chain_head SET seq = ?, hash = ?, key_id = ?, mac = ? WHERE id = 1",
                               [head[0], head[1], head[2], head[3]])
                rows[table] = 1
            else:
                rows[table] = _copy_table(source, target, table)
        destination.reset_sequences(target)
        after = verify_record(target, keys)
        if not after.ok or (after.rows, after.head) != (before.rows, before.head):
            raise StoreError(destination.path, f"the copied signature record does not verify to the source's "
                                               f"head ({after.problem or after.head}); nothing was copied")
    return StoreCopy(source=str(origin.path), target=str(destination.path), rows=rows, report=after)
