"""A stateful property test of the review queue: random submit/approve/edit/reject/export sequences.

Properties: an export never contains a note without an approval of its exact version and text
hash; the signature record can never be changed (UPDATE and DELETE raise) and its chain
verifies; the queue's states and versions follow a simple model of the rules. It runs on SQLite
and on PostgreSQL (the session's server, conftest.py): each example gets a new store.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import ClassVar

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import personalnote as pn
from personalnote._signatures import sha256_text
from personalnote.testing import TemporaryPostgres

from .support import (
    ALICE,
    BOB,
    LATER,
    Stores,
    blocking_draft,
    changed_history,
    clean_draft,
    complaint,
    flyer,
    flyer_context,
)

_BASE = clean_draft().text
TEXTS = [
    _BASE.replace("Congratulations", "Warm congratulations"),
    _BASE.replace("with us", "with SkyMiles"),
    _BASE.replace("today's flight", "today's flight at 3:41pm"),  # blocking: a clock time
    _BASE,
]
REVIEWERS = [ALICE, BOB]
#: the flyer's history now, and after a complaint was opened (the milestone is no longer a moment)
CURRENT = {False: flyer(), True: changed_history(events=[complaint()])}


class ReviewMachine(RuleBasedStateMachine):
    drafts = Bundle("drafts")
    #: where each example's new store comes from (set by the test for its backend)
    stores: ClassVar[Stores]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="pn-review-"))
        self.target = self.stores.new("machine") if self.stores.postgres else self.folder / "review.sqlite3"
        self.queue = pn.ReviewQueue(self.target)
        self.expected: dict[int, tuple[str, int, str]] = {}  # id -> (state, version, text)
        self.decisions = 0
        self.exports = 0

    def teardown(self) -> None:
        self.queue.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _version(self, draft_id: int, stale: bool) -> int:
        version = self.expected[draft_id][1]
        return version - 1 if stale and version > 1 else version

    def _outcome(self, draft_id: int, version: int, allowed: tuple[str, ...]) -> type[Exception] | None:
        state, current, _ = self.expected[draft_id]
        if version != current:
            return pn.StaleDraftError
        return None if state in allowed else pn.TransitionError

    def _decided(self, draft_id: int, state: str, text: str | None = None) -> None:
        _, version, old = self.expected[draft_id]
        self.expected[draft_id] = (state, version + 1, old if text is None else text)
        self.decisions += 1

    @initialize(target=drafts)
    def first_submit(self) -> int:
        return self.submit("a", False)

    @rule(target=drafts, variant=st.sampled_from(["a", "b", "c"]), blocking=st.booleans())
    def submit(self, variant: str, blocking: bool) -> int:
        draft = blocking_draft(variant) if blocking else clean_draft(variant)
        item = self.queue.submit(draft, flyer_context())
        key = draft.provenance.prompt_version  # customer, moment, context and prompt name are the same
        same = [i for i, (state, _, _) in self.expected.items() if state != "rejected"
                and self.queue.get(i).draft.provenance.prompt_version == key]
        if same:
            assert item.id == same[0]  # idempotent: the open draft is returned
        else:
            assert item.id not in self.expected and (item.state, item.version) == ("drafted", 1)
            self.expected[item.id] = ("drafted", 1, draft.text)
        return item.id

    @rule(draft_id=drafts, stale=st.booleans(), override=st.booleans(), who=st.sampled_from(REVIEWERS),
          complaint_opened=st.booleans())
    def approve(self, draft_id: int, stale: bool, override: bool, who: pn.Reviewer,
                complaint_opened: bool) -> None:
        version = self._version(draft_id, stale)
        error = self._outcome(draft_id, version, ("drafted", "edited"))
        if error is None and complaint_opened:
            error = pn.MomentGoneError
        if error is None and self.queue.get(draft_id).blocking and not override:
            error = pn.BlockingFindingsError
        try:
            reason = "accepted as written" if override else None
            item = self.queue.approve(draft_id, who, version=version, current=CURRENT[complaint_opened],
                                      as_of=LATER, override_reason=reason)
        except pn.ReviewError as exc:
            assert type(exc) is error
            event(f"approve refused: {type(exc).__name__}")
            return
        assert error is None and item.approval is not None
        event(f"approved ({item.approval.meaning})")
        self._decided(draft_id, "approved")

    @rule(draft_id=drafts, stale=st.booleans(), text=st.sampled_from(TEXTS), who=st.sampled_from(REVIEWERS))
    def edit(self, draft_id: int, stale: bool, text: str, who: pn.Reviewer) -> None:
        version = self._version(draft_id, stale)
        error = self._outcome(draft_id, version, ("drafted", "edited", "approved"))
        unchanged = error is None and text == self.expected[draft_id][2]
        try:
            item = self.queue.edit(draft_id, who, version=version, text=text)
        except pn.ReviewError as exc:
            assert type(exc) is (pn.ReviewError if unchanged else error)
            return
        assert error is None and not unchanged and item.approval is None
        self._decided(draft_id, "edited", text)

    @rule(draft_id=drafts, stale=st.booleans())
    def reject(self, draft_id: int, stale: bool) -> None:
        version = self._version(draft_id, stale)
        error = self._outcome(draft_id, version, ("drafted", "edited", "approved"))
        try:
            self.queue.reject(draft_id, BOB, version=version, reason="not right")
        except pn.ReviewError as exc:
            assert type(exc) is error
            return
        assert error is None
        self._decided(draft_id, "rejected")

    @rule(again=st.booleans())
    def export(self, again: bool) -> None:
        self.exports += 1
        out = self.folder / f"export-{self.exports}.jsonl"
        result = self.queue.export("jsonl", out, again=again)
        assert result.written == out.exists() == bool(result.draft_ids)  # nothing new: no file
        lines = [json.loads(line) for line in out.read_text().splitlines()] if result.written else []
        event("export wrote notes" if lines else "export wrote nothing")
        states = ("approved", "exported") if again else ("approved",)
        assert sorted(result.draft_ids) == sorted(i for i, e in self.expected.items() if e[0] in states)
        signatures = {s.seq: s for s in self.queue.signatures()}
        for line in lines:
            state, version, text = self.expected[line["draft_id"]]
            approval = next(s for s in signatures.values() if s.draft_id == line["draft_id"] and s.approves
                            and s.version == version)
            assert line["version"] == version == approval.version
            assert line["text"] == text and line["text_sha256"] == sha256_text(text) == approval.text_sha256
            self.expected[line["draft_id"]] = ("exported", version, text)

    @precondition(lambda self: self.decisions > 0)
    @rule(seq=st.integers(1, 50))
    def tamper(self, seq: int) -> None:
        with self.stores.raw(self.target) as raw:
            for statement in ("UPDATE signatures SET reason = 'forged' WHERE seq = ?",
                              "UPDATE signatures SET text_sha256 = '' WHERE seq >= ?",
                              "DELETE FROM signatures WHERE seq = ?"):
                try:
                    raw.execute(statement, (min(seq, self.decisions),))
                except raw.refused as exc:
                    assert "append-only" in str(exc)
                else:
                    raise AssertionError(f"the database allowed: {statement}")

    @invariant()
    def signatures_chain_and_states_agree(self) -> None:
        report = self.queue.verify()
        assert report.ok and report.rows == self.decisions
        assert {i.id: (i.state, i.version, i.text) for i in self.queue.drafts()} == self.expected


MACHINE = settings(max_examples=50, stateful_step_count=20, deadline=None)


def test_review_queue_state_machine() -> None:
    """Random submit/approve/edit/reject/export/tamper sequences keep the invariants above (SQLite)."""
    ReviewMachine.stores = Stores("sqlite", Path(tempfile.gettempdir()), None)
    run_state_machine_as_test(ReviewMachine, settings=MACHINE)


def test_review_queue_state_machine_on_postgresql(postgres: TemporaryPostgres) -> None:
    """The same machine, each example on a new store in the session's PostgreSQL server."""
    ReviewMachine.stores = Stores("postgresql", Path(tempfile.gettempdir()), postgres)
    run_state_machine_as_test(ReviewMachine, settings=MACHINE)


# What hypothesis marks its own ReviewMachine.TestCase.runTest with: its pytest plugin then treats these
# as hypothesis tests, so `pytest -m hypothesis` selects them and --hypothesis-show-statistics shows
# the machine's events. (Not parametrized: the plugin would look for @given's wrapper on them.)
test_review_queue_state_machine.is_hypothesis_test = True  # type: ignore[attr-defined]
test_review_queue_state_machine_on_postgresql.is_hypothesis_test = True  # type: ignore[attr-defined]
