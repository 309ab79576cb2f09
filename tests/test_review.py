from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import personalnote as pn
from personalnote import _store

from .support import (
    ALICE,
    BOB,
    LATER,
    Stores,
    Target,
    blocking_draft,
    changed_history,
    clean_draft,
    complaint,
    flyer,
    flyer_context,
)


@pytest.fixture
def queue(store_url: Target) -> pn.ReviewQueue:
    """A new queue on each backend: SQLite, and PostgreSQL (see conftest.py)."""
    with pn.ReviewQueue(store_url) as q:
        yield q  # type: ignore[misc]


def _approve(queue: pn.ReviewQueue, item: pn.QueuedDraft, reviewer: pn.Reviewer = ALICE,
             current: pn.CustomerHistory | pn.CustomerContext | None = None,
             override_reason: str | None = None) -> pn.QueuedDraft:
    return queue.approve(item.id, reviewer, version=item.version, current=current or flyer(), as_of=LATER,
                         override_reason=override_reason)


# --- the store ------------------------------------------------------------------------------


def test_store_settings_are_read_back(tmp_path: Path) -> None:
    queue = pn.ReviewQueue(tmp_path / "review.sqlite3")
    pragmas = {name: queue.store.query(f"PRAGMA {name}")[0][0]
               for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 5000, "foreign_keys": 1}
    queue.close()


def test_a_setting_that_does_not_stick_is_a_typed_error() -> None:
    with pytest.raises(pn.StoreSettingsError) as info:
        pn.ReviewQueue(":memory:")  # an in-memory database cannot use WAL
    assert (info.value.setting, info.value.expected, info.value.actual) == ("journal_mode", "wal", "memory")


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database at all, " * 100)
    with pytest.raises(pn.StoreError, match="not a usable SQLite database"):
        pn.ReviewQueue(junk)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE mine (x)")
    with pytest.raises(pn.StoreError, match="other tables"):
        pn.ReviewQueue(other)


def test_store_path_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONALNOTE_STORE", str(tmp_path / "env.sqlite3"))
    assert _store.store_path(tmp_path / "arg.sqlite3") == tmp_path / "arg.sqlite3"
    assert _store.store_path(None) == tmp_path / "env.sqlite3"
    monkeypatch.delenv("PERSONALNOTE_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert _store.store_path(None) == tmp_path / "data" / "personalnote" / "review.sqlite3"


def test_a_held_write_lock_becomes_store_busy_after_the_timeout(store_url: Target, stores: Stores) -> None:
    queue = pn.ReviewQueue(store_url, busy_timeout_ms=150)
    other = pn.ReviewQueue(store_url)
    holding = other.store.write()  # another writer's transaction, held open
    holding.__enter__()
    started = datetime.now(UTC)
    with pytest.raises(pn.StoreBusyError) as info:
        queue.submit(clean_draft(), flyer_context())
    waited = (datetime.now(UTC) - started).total_seconds()
    assert info.value.waited_ms == 150 and waited >= 0.14
    if stores.postgres:
        import psycopg

        assert isinstance(info.value.__cause__, psycopg.errors.LockNotAvailable)
    else:
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    holding.__exit__(None, None, None)
    assert queue.submit(clean_draft(), flyer_context()).id == 1  # nothing half-written
    other.close()
    queue.close()


# --- submit ---------------------------------------------------------------------------------


def test_submit_queues_the_draft_with_its_findings_and_context(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context(), source="flyer.json")
    assert (item.state, item.version, item.source) == ("drafted", 1, "flyer.json")
    assert item.text == clean_draft().text and item.findings == () and not item.edited
    assert queue.pending() == [item] and queue.get(item.id) == item
    assert item.to_json_dict()["moment"]["kind"] == "milestone"


def test_the_stored_context_rebuilds_to_the_same_hash(queue: pn.ReviewQueue) -> None:
    import json

    from personalnote._review import _context_from

    item = queue.submit(clean_draft(), flyer_context())
    payload = json.loads(queue.store.query("SELECT context FROM drafts WHERE id = ?", (item.id,))[0][0])
    assert _context_from(payload).context_hash() == item.draft.provenance.context_hash


def test_submitting_the_same_draft_twice_queues_it_once(queue: pn.ReviewQueue) -> None:
    first = queue.submit(clean_draft(), flyer_context())
    again = queue.submit(clean_draft(), flyer_context())
    other_prompt = queue.submit(clean_draft("other-version"), flyer_context())
    assert again.id == first.id and other_prompt.id != first.id
    assert [i.id for i in queue.pending()] == [first.id, other_prompt.id]
    queue.reject(first.id, ALICE, version=1, reason="tone")
    assert queue.submit(clean_draft(), flyer_context()).id not in (first.id, other_prompt.id)


def test_open_keys_are_submits_idempotency_keys_of_drafts_not_rejected(queue: pn.ReviewQueue) -> None:
    draft = clean_draft()
    p = draft.provenance
    key = (draft.customer_id, draft.moment.key, p.context_hash, p.prompt, p.prompt_version)
    assert queue.open_keys() == {}
    first = queue.submit(draft, flyer_context())
    assert queue.open_keys() == {key: first.id}
    queue.reject(first.id, ALICE, version=1, reason="tone")
    assert queue.open_keys() == {}


def test_submit_refuses_a_context_the_draft_was_not_made_from(queue: pn.ReviewQueue) -> None:
    other = pn.build_context(flyer(), LATER)
    with pytest.raises(pn.ContextMismatchError) as info:
        queue.submit(clean_draft(), other)
    assert info.value.expected_hash == clean_draft().provenance.context_hash
    assert info.value.actual_hash != info.value.expected_hash and queue.pending() == []


# --- approve --------------------------------------------------------------------------------


def test_approval_names_the_version_and_the_hash_of_its_exact_text(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    approved = _approve(queue, item)
    assert (approved.state, approved.version) == ("approved", 2)
    signature = approved.approval
    assert signature is not None and signature.meaning == "approve"
    assert signature.version == 2 and signature.text_sha256 == pn._signatures.sha256_text(item.text)
    assert (signature.reviewer_id, signature.printed_name, signature.role) == ("alice", "Alice Smith",
                                                                               "crew lead")
    assert (signature.model, signature.prompt_version) == ("fake-model", item.draft.provenance.prompt_version)
    assert signature.context_hash == item.draft.provenance.context_hash and signature.diff == ""
    assert datetime.fromisoformat(signature.signed_at).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert queue.history(item.id) == [signature] and queue.pending() == []


def test_a_second_decision_on_the_same_version_is_stale(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    _approve(queue, item)
    with pytest.raises(pn.StaleDraftError) as info:
        queue.reject(item.id, BOB, version=1, reason="too late")
    assert (info.value.draft_id, info.value.expected_version, info.value.current_version) == (item.id, 1, 2)
    assert info.value.state == "approved" and len(queue.history(item.id)) == 1


def test_a_decision_outside_its_states_is_a_transition_error(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    rejected = queue.reject(item.id, ALICE, version=1, reason="not our tone")
    with pytest.raises(pn.TransitionError) as info:
        queue.approve(item.id, BOB, version=rejected.version, current=flyer(), as_of=LATER)
    assert (info.value.state, info.value.action) == ("rejected", "approve")
    with pytest.raises(pn.DraftNotFoundError):
        queue.get(999)


@pytest.mark.parametrize(("history", "code"), [
    (lambda: changed_history(events=[complaint()]), "open_support_case"),
    (lambda: changed_history(do_not_contact=True), "do_not_contact"),
    (lambda: changed_history(events=[{"kind": "note_sent", "id": "N-1", "at": "2026-11-20T18:20:00Z",
                                      "about": clean_draft().moment.key}]), "already_sent"),
])
def test_approval_refuses_a_moment_that_is_no_longer_true(queue: pn.ReviewQueue, history: object,
                                                          code: str) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    with pytest.raises(pn.MomentGoneError) as info:
        queue.approve(item.id, ALICE, version=1, current=history(), as_of=LATER)  # type: ignore[operator]
    assert [r.code for r in info.value.no_note_reasons] == [code]
    assert info.value.moment_key == item.moment.key
    assert queue.get(item.id).state == "drafted" and queue.history(item.id) == []


def test_approval_refuses_when_the_moment_has_gone_stale(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    with pytest.raises(pn.MomentGoneError) as info:
        queue.approve(item.id, ALICE, version=1, current=flyer(), as_of=datetime(2027, 1, 20, tzinfo=UTC))
    assert info.value.no_note_reasons[0].code == "stale"


def _queued_grey_trousers(queue: pn.ReviewQueue) -> tuple[pn.Dataset, pn.QueuedDraft]:
    """The grey-trousers customer's wanted-item draft, queued."""
    from personalnote.testing import FakeChatModel

    from .support import AS_OF, FIXTURES

    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    ctx = pn.build_context(data.customers[0], AS_OF, business_events=data.business_events)
    reply = {"body": "The grey wool trousers you asked for are back in your size.",
             "claims": [{"text": "grey trousers back", "fact_ids": ["R-310", "B-901"]}]}
    draft = pn.draft_note(ctx, model=FakeChatModel([reply]), moment="wanted_item_available")
    assert isinstance(draft, pn.Draft)
    return data, queue.submit(draft, ctx)


def test_approval_of_a_wanted_item_refuses_once_the_request_is_closed(queue: pn.ReviewQueue) -> None:
    data, item = _queued_grey_trousers(queue)
    record = data.customers[0].model_dump(mode="json", exclude_none=True)
    record["events"] = [{**e, "status": "closed"} if e["id"] == "R-310" else e for e in record["events"]]
    closed = pn.CustomerHistory.model_validate(record)
    with pytest.raises(pn.MomentGoneError) as info:
        queue.approve(item.id, ALICE, version=1, current=closed, as_of=LATER,
                      business_events=data.business_events)
    assert info.value.no_note_reasons[0].code == "no_moment"
    approved = queue.approve(item.id, ALICE, version=1, current=data.customers[0], as_of=LATER,
                             business_events=data.business_events)
    assert approved.state == "approved"


def test_approval_of_a_wanted_item_refuses_once_it_sold_out_again(queue: pn.ReviewQueue) -> None:
    """The issue's own example: the grey pair came back in his size, then sold out before approval."""
    from pydantic import TypeAdapter

    data, item = _queued_grey_trousers(queue)
    sold_out = TypeAdapter(pn.BusinessEvent).validate_python(
        {"kind": "out_of_stock", "id": "B-950", "at": "2026-11-20T18:30:00Z", "item": "Grey wool trousers",
         "variants": {"size": ["34"]}})
    with pytest.raises(pn.MomentGoneError) as info:
        queue.approve(item.id, ALICE, version=1, current=data.customers[0], as_of=LATER,
                      business_events=[*data.business_events, sold_out])
    assert info.value.no_note_reasons[0].code == "no_moment"
    assert queue.get(item.id).state == "drafted" and queue.history(item.id) == []


def test_approval_needs_the_same_customer_and_an_as_of(queue: pn.ReviewQueue) -> None:
    from .support import FIXTURES

    item = queue.submit(clean_draft(), flyer_context())
    someone_else = pn.load(FIXTURES / "customers" / "anniversary.json").customers[0]
    with pytest.raises(pn.ContextMismatchError, match="the draft is for 'C-1001'"):
        queue.approve(item.id, ALICE, version=1, current=someone_else, as_of=LATER)
    with pytest.raises(TypeError, match="as_of"):
        queue.approve(item.id, ALICE, version=1, current=flyer())
    assert _approve(queue, item, current=pn.build_context(flyer(), LATER)).state == "approved"


def test_blocking_findings_need_an_override_reason(queue: pn.ReviewQueue) -> None:
    item = queue.submit(blocking_draft(), flyer_context())
    assert {f.kind for f in item.blocking} >= {"clock_time"}
    with pytest.raises(pn.BlockingFindingsError) as info:
        _approve(queue, item)
    assert info.value.findings == item.blocking and queue.history(item.id) == []
    with pytest.raises(pn.BlockingFindingsError):
        _approve(queue, item, override_reason="   ")
    approved = _approve(queue, item, override_reason="the captain asked for the time on the card")
    assert approved.approval is not None and approved.approval.meaning == "override"
    assert approved.approval.reason == "the captain asked for the time on the card"


# --- edit and reject ------------------------------------------------------------------------


def test_an_edit_is_a_new_version_checked_again_and_needing_its_own_approval(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    creepy = item.text.replace("today's flight", "today's flight at 3:41pm")
    edited = queue.edit(item.id, BOB, version=1, text=creepy, reason="more precise")
    assert (edited.state, edited.version, edited.text, edited.edited) == ("edited", 2, creepy, True)
    assert "clock_time" in {f.kind for f in edited.blocking}
    signature = queue.history(item.id)[-1]
    assert (signature.meaning, signature.version, signature.reason) == ("edit", 2, "more precise")
    assert "-Congratulations" in signature.diff and "+Congratulations" in signature.diff
    assert "3:41pm" in signature.diff and signature.diff.startswith("--- model\n+++ version 2\n")
    with pytest.raises(pn.BlockingFindingsError):
        _approve(queue, edited)
    warm = item.text.replace("Congratulations", "Warm congratulations")
    fixed = queue.edit(item.id, BOB, version=2, text=warm)
    assert fixed.findings == () and fixed.approval is None
    assert _approve(queue, fixed).approval is not None


def test_an_edit_after_approval_voids_the_approval(queue: pn.ReviewQueue, tmp_path: Path) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    approved = _approve(queue, item)
    text = item.text.replace("with us", "with SkyMiles")
    edited = queue.edit(item.id, BOB, version=approved.version, text=text)
    assert (edited.state, edited.version, edited.approval) == ("edited", 3, None)
    result = queue.export("jsonl", tmp_path / "out.jsonl")
    assert result.count == 0 and queue.get(item.id).state == "edited"


def test_an_edit_must_change_the_text(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    with pytest.raises(pn.ReviewError, match="empty"):
        queue.edit(item.id, BOB, version=1, text="  \n")
    with pytest.raises(pn.ReviewError, match="same as the current text"):
        queue.edit(item.id, BOB, version=1, text=item.text)
    assert queue.history(item.id) == []


def test_an_edit_may_give_the_body_alone(queue: pn.ReviewQueue) -> None:
    """The greeting and the signature block are the library's: a body alone gets the draft's own."""
    draft = clean_draft()
    item = queue.submit(draft, flyer_context())
    body = "Warm congratulations on passing 2 million miles with us on today's flight to JFK."
    edited = queue.edit(item.id, BOB, version=1, text=body + "\n")
    assert edited.text == f"{draft.salutation}\n\n{body}\n\n{draft.closing}\n{draft.signature_block}"
    assert edited.text == draft.model_copy(update={"body": body}).text
    assert "signature" not in {f.kind for f in edited.findings} and not edited.blocking
    assert _approve(queue, edited).approval is not None


def test_an_edit_keeps_the_reviewers_own_greeting_or_sign_off(queue: pn.ReviewQueue) -> None:
    draft = clean_draft()
    item = queue.submit(draft, flyer_context())
    greeted = "Dear Margaret,\n\nWarm congratulations on 2 million miles with us today."
    edited = queue.edit(item.id, BOB, version=1, text=greeted)
    assert edited.text == f"{greeted}\n\n{draft.closing}\n{draft.signature_block}"
    signed = "Warm congratulations on 2 million miles with us today.\n\nBest wishes,\nThe crew of NA 117"
    edited = queue.edit(item.id, BOB, version=2, text=signed)
    assert edited.text == f"{draft.salutation}\n\n{signed}"
    whole = item.text.replace("Congratulations", "Warm congratulations") + "\n"
    edited = queue.edit(item.id, BOB, version=3, text=whole)
    assert edited.text == whole  # a whole note is kept exactly as given


def test_reject_needs_a_reason_and_can_withdraw_an_approval(queue: pn.ReviewQueue) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    with pytest.raises(pn.ReviewError, match="reason"):
        queue.reject(item.id, ALICE, version=1, reason=" ")
    approved = _approve(queue, item)
    rejected = queue.reject(item.id, BOB, version=approved.version, reason="the flight was delayed")
    assert (rejected.state, rejected.approval) == ("rejected", None)
    assert [s.meaning for s in queue.history(item.id)] == ["approve", "reject"]


def test_a_reviewer_needs_an_id() -> None:
    with pytest.raises(pn.ReviewError, match="reviewer"):
        pn.Reviewer(" ")
    assert pn.Reviewer("carol").name == "carol"


# --- the signature record -------------------------------------------------------------------


def _signed_queue(queue: pn.ReviewQueue) -> list[pn.SignatureRecord]:
    for version in ("a", "b", "c"):
        item = queue.submit(clean_draft(version), flyer_context())
        edited = queue.edit(item.id, BOB, version=1, text=item.text.replace("with us", "with SkyMiles"))
        _approve(queue, edited)
    return queue.signatures()


def test_the_database_refuses_to_change_or_delete_signatures(queue: pn.ReviewQueue, stores: Stores) -> None:
    signatures = _signed_queue(queue)
    with stores.raw(queue.store.target) as raw:
        for statement in ("UPDATE signatures SET reason = 'forged' WHERE seq = 2",
                          "DELETE FROM signatures WHERE seq = 2"):
            with pytest.raises(raw.refused, match="append-only"):
                raw.execute(statement)
    assert queue.signatures() == signatures and queue.verify().ok


def _tamper(stores: Stores, target: Target, *statements: str) -> None:
    with stores.raw(target) as raw:
        raw.drop_append_only()
        for statement in statements:
            raw.execute(statement)


def test_verify_reports_the_first_changed_row(queue: pn.ReviewQueue, stores: Stores) -> None:
    signatures = _signed_queue(queue)
    assert queue.verify() == pn.ChainReport(ok=True, rows=len(signatures))
    _tamper(stores, queue.store.target, "UPDATE signatures SET printed_name = 'Mallory' WHERE seq = 3")
    report = queue.verify()
    assert (report.ok, report.first_broken) == (False, 3) and "changed" in (report.problem or "")


def test_verify_reports_a_row_removed_from_the_middle_or_the_end(stores: Stores) -> None:
    for statement, broken in (("DELETE FROM signatures WHERE seq = 2", 3),
                              ("DELETE FROM signatures WHERE seq = 6", 6)):
        target = stores.new(f"removed-{broken}")
        with pn.ReviewQueue(target) as queue:
            _signed_queue(queue)
            _tamper(stores, target, statement)
            report = queue.verify()
        assert (report.ok, report.first_broken) == (False, broken)


def test_a_rehashed_forgery_still_breaks_the_link_of_the_next_row(queue: pn.ReviewQueue,
                                                                   stores: Stores) -> None:
    signatures = _signed_queue(queue)
    forged = signatures[1]
    fields = {**forged.__dict__, "printed_name": "Mallory"}
    fields["row_hash"] = pn.SignatureRecord(**fields).expected_hash()
    _tamper(stores, queue.store.target, f"UPDATE signatures SET printed_name = 'Mallory', row_hash = "
                                        f"'{fields['row_hash']}' WHERE seq = {forged.seq}")
    report = queue.verify()
    assert (report.ok, report.first_broken) == (False, forged.seq + 1)


def test_a_tampered_approval_is_not_in_force(queue: pn.ReviewQueue, stores: Stores, tmp_path: Path) -> None:
    item = queue.submit(clean_draft(), flyer_context())
    _approve(queue, item)
    with stores.raw(queue.store.target) as raw:
        raw.execute("UPDATE drafts SET text = text || ' P.S. 90% off!' WHERE id = ?", (item.id,))
    assert queue.get(item.id).approval is None
    assert queue.export("jsonl", tmp_path / "x.jsonl").count == 0
