"""Issue 12, "The signature record can be forged": each scenario as an attacker with write access to
the database file (but not the signing key) would play it, and what verify() and export() must do.

The store is keyed through ``$PERSONALNOTE_SIGNING_KEY`` (the fixture below). The attacker knows the
code, the file format and every value in the file, so a "recomputed" MAC is the best they can do
without the key: the development key's MAC (what ``SignatureRecord.expected_hash()`` gives with no key).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import personalnote as pn
from personalnote.cli import main

from .support import ALICE, BOB, LATER, Stores, Target, clean_draft, flyer, flyer_context

KEY = "correct horse battery staple, not in the database"
#: the attacker's statements on the database (the ``raw`` fixture) and their reading of the signatures
Raw = Callable[..., None]
Rows = Callable[[], list[dict[str, Any]]]
Edit = Callable[[Callable[[dict[str, Any]], None]], None]


@pytest.fixture(autouse=True)
def _signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONALNOTE_SIGNING_KEY", KEY)
    monkeypatch.setenv("PERSONALNOTE_SIGNING_KEY_ID", "k1")
    monkeypatch.delenv("PERSONALNOTE_SIGNING_KEY_FILE", raising=False)


@pytest.fixture
def queue(store_url: Target) -> Iterator[pn.ReviewQueue]:
    """A new queue on each backend: SQLite, and PostgreSQL (see conftest.py)."""
    with pn.ReviewQueue(store_url) as q:
        yield q


@pytest.fixture
def raw(stores: Stores, queue: pn.ReviewQueue) -> Raw:
    """The attacker: runs statements on the queue's database directly (support.RawStore)."""

    def run(*statements: str | tuple[str, tuple[Any, ...]], drop_triggers: bool = False,
            foreign_keys: bool = True) -> None:
        with stores.raw(queue.store.target) as connection:
            if drop_triggers:
                connection.drop_append_only()
            if not foreign_keys:
                connection.without_foreign_keys()
            for statement in statements:
                sql, params = (statement, ()) if isinstance(statement, str) else statement
                connection.execute(sql, params)

    return run


@pytest.fixture
def rows(stores: Stores, queue: pn.ReviewQueue) -> Rows:
    """The signature rows as the attacker reads them."""

    def read() -> list[dict[str, Any]]:
        with stores.raw(queue.store.target) as connection:
            return connection.rows("SELECT * FROM signatures ORDER BY seq")

    return read


@pytest.fixture
def edit(stores: Stores, queue: pn.ReviewQueue) -> Edit:
    """The attacker changes every draft's stored JSON (what SQLite's json_set would do)."""

    def change(how: Callable[[dict[str, Any]], None]) -> None:
        with stores.raw(queue.store.target) as connection:
            connection.edit_draft_json(how)

    return change


def _approved(queue: pn.ReviewQueue, version: str | None = None) -> pn.QueuedDraft:
    item = queue.submit(clean_draft(version), flyer_context())
    return queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=LATER)


def _rehash(fields: dict[str, Any]) -> str:
    """The attacker's recomputed hash: what the library computes without being given the key, else
    (a key id it does not know) the attacker's best guess, a plain SHA-256 of the fields."""
    return (pn.SignatureRecord(**fields).expected_hash()
            or hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest())


def _export_refused(queue: pn.ReviewQueue, out: Path, kind: str) -> pn.ExportError:
    with pytest.raises(pn.ExportError) as info:
        queue.export("jsonl", out)
    assert type(info.value).__name__ == kind
    assert not out.exists()  # nothing written
    assert "exported" not in {d.state for d in queue.drafts()}  # nothing marked
    return info.value


# --- the scenarios ------------------------------------------------------------------------------


@pytest.mark.parametrize("downgrade", [False, True], ids=["same-key-id", "development-key-id"])
def test_a_forged_appended_approval_is_detected_and_not_exported(queue: pn.ReviewQueue, tmp_path: Path,
                                                                 downgrade: bool, raw: Raw,
                                                                 rows: Rows) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    genuine = _approved(queue, "other")
    [last] = [r for r in rows() if r["seq"] == len(rows())]
    forged_text = item.text + "\n\nP.S. Use code FREE50 for 90% off."
    digest = hashlib.sha256(forged_text.encode()).hexdigest()
    fields = {**last, "seq": last["seq"] + 1, "draft_id": item.id, "version": 2, "text_sha256": digest,
              "meaning": "approve", "prev_hash": last["row_hash"]}
    if downgrade and "key_id" in fields:
        fields["key_id"] = "unkeyed"
    fields["row_hash"] = _rehash(fields)
    insert = f"INSERT INTO signatures ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"
    raw((insert, tuple(fields.values())),
        ("UPDATE chain_head SET seq = ?, hash = ?", (fields["seq"], fields["row_hash"])),
        ("UPDATE drafts SET state = 'approved', version = 2, text = ?, text_sha256 = ?, approval_seq = ? "
          "WHERE id = ?", (forged_text, digest, fields["seq"], item.id)))
    report = queue.verify()
    assert not report.ok and report.first_broken == fields["seq"]
    error = _export_refused(queue, tmp_path / "out.jsonl", "TamperedRecordError")
    assert item.id in error.draft_ids  # type: ignore[attr-defined]
    assert genuine.id != item.id


def test_a_renamed_approver_with_a_recomputed_chain_is_detected(queue: pn.ReviewQueue,
                                                                tmp_path: Path, raw: Raw, rows: Rows) -> None:
    for version in ("a", "b", "c"):
        _approved(queue, version)
    signed = rows()
    statements: list[str | tuple[str, tuple[Any, ...]]] = []
    previous = signed[0]["prev_hash"]
    for row in signed:
        fields = {**row, "prev_hash": previous}
        if row["seq"] == 2:
            fields["printed_name"] = "Mallory"
        fields["row_hash"] = _rehash(fields)
        statements.append(("UPDATE signatures SET printed_name = ?, prev_hash = ?, row_hash = ? "
                           "WHERE seq = ?",
                           (fields["printed_name"], fields["prev_hash"], fields["row_hash"], row["seq"])))
        previous = fields["row_hash"]
    statements.append(("UPDATE chain_head SET hash = ?", (previous,)))
    raw(*statements, drop_triggers=True)
    report = queue.verify()
    assert not report.ok and report.first_broken == 1  # the key's MAC fails from the first recomputed row
    _export_refused(queue, tmp_path / "out.jsonl", "TamperedRecordError")


def test_a_deleted_rejection_with_the_head_moved_back_is_detected(queue: pn.ReviewQueue, tmp_path: Path,
                                                                  raw: Raw, rows: Rows) -> None:
    approved = _approved(queue)
    queue.reject(approved.id, BOB, version=approved.version, reason="not after all")
    signed = rows()
    raw(f"DELETE FROM signatures WHERE seq = {signed[-1]['seq']}",
        ("UPDATE chain_head SET seq = ?, hash = ?", (signed[-2]["seq"], signed[-2]["row_hash"])),
        ("UPDATE drafts SET state = 'approved', version = ?, approval_seq = ? WHERE id = ?",
          (approved.version, signed[-2]["seq"], approved.id)), drop_triggers=True)
    report = queue.verify()
    assert not report.ok and "head" in (report.problem or "")
    _export_refused(queue, tmp_path / "out.jsonl", "TamperedRecordError")


def test_a_restored_old_approval_is_detected_and_refused(queue: pn.ReviewQueue, tmp_path: Path,
                                                         raw: Raw) -> None:
    approved = _approved(queue)
    queue.reject(approved.id, BOB, version=approved.version, reason="not after all")
    raw(("UPDATE drafts SET state = 'approved', version = ?, approval_seq = ? WHERE id = ?",
                      (approved.version, approved.approval.seq if approved.approval else None, approved.id)))
    report = queue.verify()
    assert not report.ok and [d for d, _ in report.drafts] == [approved.id]
    assert queue.get(approved.id).approval is None
    error = _export_refused(queue, tmp_path / "out.jsonl", "SignatureMismatchError")
    assert error.draft_ids == (approved.id,)  # type: ignore[attr-defined]
    assert "reject" in error.mismatches[0][1]  # type: ignore[attr-defined]


@pytest.mark.parametrize("where", ["column", "draft", "both"])
def test_a_changed_recipient_is_detected_and_refused(queue: pn.ReviewQueue, tmp_path: Path,
                                                     where: str, raw: Raw, edit: Edit) -> None:
    approved = _approved(queue)
    if where in ("column", "both"):
        raw("UPDATE drafts SET customer_id = 'OTHER-1'")
    if where in ("draft", "both"):
        edit(lambda draft: draft.update(customer_id="OTHER-1"))
    report = queue.verify()
    assert not report.ok and [d for d, _ in report.drafts] == [approved.id]
    assert "customer" in report.drafts[0][1]
    error = _export_refused(queue, tmp_path / "out.jsonl", "SignatureMismatchError")
    assert error.draft_ids == (approved.id,)  # type: ignore[attr-defined]


def test_a_changed_channel_or_signer_is_detected(queue: pn.ReviewQueue, tmp_path: Path, edit: Edit) -> None:
    approved = _approved(queue)
    edit(lambda draft: draft["signers"][0].update(role="CEO"))
    report = queue.verify()
    assert not report.ok and "signers" in report.drafts[0][1]
    _export_refused(queue, tmp_path / "out.jsonl", "SignatureMismatchError")
    assert approved.id == report.drafts[0][0]


def test_changed_text_after_approval_is_reported_not_dropped_silently(
        queue: pn.ReviewQueue, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: Raw) -> None:
    approved = _approved(queue)
    kept = _approved(queue, "kept")
    raw(("UPDATE drafts SET text = text || ' P.S. 90% off!' WHERE id = ?", (approved.id,)))
    report = queue.verify()
    assert not report.ok and [d for d, _ in report.drafts] == [approved.id]
    result = queue.export("jsonl", tmp_path / "out.jsonl")
    assert result.draft_ids == (kept.id,)
    [(left_id, reason)] = result.left_out
    assert left_id == approved.id and "text" in reason
    code = main(["export", "--format", "jsonl", "--out", str(tmp_path / "again.jsonl"), "--again",
                 "--store", str(queue.store.target)])
    out, err = capsys.readouterr()
    assert code == 1 and f"left out draft {approved.id}" in err and "text" in err


@pytest.mark.parametrize("damage", ["deleted row", "swapped rows", "deleted head"])
def test_export_refuses_a_broken_chain(queue: pn.ReviewQueue, tmp_path: Path, damage: str,
                                       capsys: pytest.CaptureFixture[str], raw: Raw, rows: Rows) -> None:
    for version in ("a", "b", "c"):
        _approved(queue, version)
    signed = rows()
    statements = {
        "deleted row": ["DELETE FROM signatures WHERE seq = 2"],
        "swapped rows": ["UPDATE signatures SET seq = 100 WHERE seq = 1",
                         "UPDATE signatures SET seq = 1 WHERE seq = 2",
                         "UPDATE signatures SET seq = 2 WHERE seq = 100"],
        "deleted head": ["DELETE FROM chain_head"],
    }[damage]
    raw(*statements, drop_triggers=True, foreign_keys=False)
    assert not queue.verify().ok
    _export_refused(queue, tmp_path / "out.jsonl", "TamperedRecordError")
    code = main(["export", "--format", "csv", "--out", str(tmp_path / "out.csv"), "--store",
                 str(queue.store.target)])
    assert code == 2 and "signature record" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()
    assert len(signed) == 3


# --- the key -----------------------------------------------------------------------------------


def test_a_keyed_record_says_so_and_needs_its_key(queue: pn.ReviewQueue, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path, rows: Rows) -> None:
    _approved(queue)
    report = queue.verify()
    assert report.ok and report.keyed and report.key_ids == ("k1",)
    assert {r["key_id"] for r in rows()} == {"k1"}
    assert KEY not in json.dumps(rows()) and all(KEY not in str(d.to_json_dict()) for d in queue.drafts())
    if isinstance(queue.store.target, Path):
        assert KEY not in queue.store.target.read_bytes().decode("utf-8", "replace")
    monkeypatch.setenv("PERSONALNOTE_SIGNING_KEY", "another secret of enough length")
    with pn.ReviewQueue(queue.store.target) as other:
        report = other.verify()
        assert not report.ok and "k1" in (report.problem or "")
        with pytest.raises(pn.ExportError):
            other.export("jsonl", tmp_path / "out.jsonl")


def test_keys_rotate_with_a_key_file(queue: pn.ReviewQueue, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    first = _approved(queue)
    keys = tmp_path / "keys" / "signing.keys"
    keys.parent.mkdir()
    keys.write_text(f"# key id = secret\nk1 = {KEY}\nk2 = a newer secret of enough length\n")
    monkeypatch.delenv("PERSONALNOTE_SIGNING_KEY")
    monkeypatch.delenv("PERSONALNOTE_SIGNING_KEY_ID")
    monkeypatch.setenv("PERSONALNOTE_SIGNING_KEY_FILE", str(keys))
    with pn.ReviewQueue(queue.store.target) as rotated:
        second = _approved(rotated, "second")
        report = rotated.verify()
        assert report.ok and report.key_ids == ("k1", "k2")
        assert first.approval is not None and second.approval is not None
        assert (first.approval.key_id, second.approval.key_id) == ("k1", "k2")
        assert rotated.export("jsonl", tmp_path / "out.jsonl").count == 2


def test_a_key_given_as_an_argument_wins(stores: Stores) -> None:
    with pn.ReviewQueue(stores.new("arg"), signing_key={"ops-2026": b"x" * 32}) as queue:
        _approved(queue)
        assert queue.verify().key_ids == ("ops-2026",)
    with pytest.raises(pn.ConfigurationError, match="at least"):
        pn.ReviewQueue(stores.new("short"), signing_key=b"short")


def test_without_a_key_the_record_is_unkeyed_and_a_keyed_store_refuses_it(
        stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONALNOTE_SIGNING_KEY")
    dev_store, keyed_store = stores.new("dev"), stores.new("keyed")
    with pn.ReviewQueue(dev_store) as dev:
        _approved(dev)
        report = dev.verify()
        assert report.ok and not report.keyed and "not tamper-proof" in (report.warning or "")
    with pn.ReviewQueue(dev_store, signing_key=KEY) as keyed:
        report = keyed.verify()
        assert not report.ok and "development key" in (report.problem or "")
    with pn.ReviewQueue(keyed_store, signing_key=KEY) as keyed:
        _approved(keyed)
        item = keyed.submit(clean_draft("other"), flyer_context())
    with pn.ReviewQueue(keyed_store) as unkeyed, pytest.raises(pn.ConfigurationError):
        unkeyed.approve(item.id, ALICE, version=1, current=flyer(), as_of=LATER)


def test_a_decision_on_a_truncated_record_is_refused(queue: pn.ReviewQueue, raw: Raw, rows: Rows) -> None:
    approved = _approved(queue)
    other = queue.submit(clean_draft("other"), flyer_context())
    queue.reject(approved.id, BOB, version=approved.version, reason="no")
    signed = rows()
    raw(f"DELETE FROM signatures WHERE seq = {signed[-1]['seq']}",
        ("UPDATE chain_head SET seq = ?, hash = ?", (signed[-2]["seq"], signed[-2]["row_hash"])),
        drop_triggers=True)
    with pytest.raises(pn.ReviewError, match="signature record"):  # signing now would launder the cut
        queue.approve(other.id, ALICE, version=1, current=flyer(), as_of=LATER)
    assert not queue.verify().ok


def test_an_old_store_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    old = tmp_path / "v1.sqlite3"
    with sqlite3.connect(old) as conn:
        conn.execute("CREATE TABLE drafts (id INTEGER)")
        conn.execute("PRAGMA user_version = 1")
    with pytest.raises(pn.StoreError, match="schema version 1"):
        pn.ReviewQueue(old)


def test_the_signature_covers_the_whole_decision(queue: pn.ReviewQueue) -> None:
    approved = _approved(queue)
    assert approved.approval is not None
    record = approved.approval.to_json_dict()
    assert record["customer_id"] == approved.customer_id and record["channel"] == approved.draft.channel
    assert json.loads(record["signers"]) == [s.model_dump(mode="json") for s in approved.draft.signers]
    for name, value in [("customer_id", "X"), ("channel", "email"), ("signers", "[]"), ("version", 9),
                        ("text_sha256", "0" * 64), ("meaning", "reject"), ("reason", "r"), ("draft_id", 99),
                        ("reviewer_id", "m"), ("printed_name", "M"), ("role", "r"), ("signed_at", "x"),
                        ("prev_hash", "1" * 64), ("key_id", "k9")]:
        changed = pn.SignatureRecord(**{**record, name: value})
        assert changed.expected_hash(queue.keys) != approved.approval.row_hash, name
    assert pn.SignatureRecord(**record).expected_hash(queue.keys) == approved.approval.row_hash


def test_a_changed_provenance_is_detected(queue: pn.ReviewQueue, tmp_path: Path, edit: Edit) -> None:
    approved = _approved(queue)
    edit(lambda draft: draft["provenance"].update(prompt_version="v-forged"))
    report = queue.verify()
    assert [d for d, _ in report.drafts] == [approved.id] and "prompt_version" in report.drafts[0][1]
    _export_refused(queue, tmp_path / "out.jsonl", "SignatureMismatchError")
