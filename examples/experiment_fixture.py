"""A fixture experiment: 240 flyers drafted on two prompt versions, reviewed over two weeks, with outcomes.

Nothing here calls a language model: ``FakeChatModel`` answers every request with a clean note (a
different wording for each arm), and the reviewers' decisions and the customers' outcomes are drawn
from a hash of the customer id, with the rates below, so the store is the same on every run. The
example notebook reports on it; ``docs/images/experiment-report.png`` is its plot:

    python examples/experiment_fixture.py docs/images/experiment-report.png

Example::

    from experiment_fixture import EXPERIMENT, build
    with build(Path(tempfile.mkdtemp()) / "experiment.sqlite3") as queue:
        print(queue.experiment(EXPERIMENT).text())
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import personalnote as pn
from personalnote.testing import FakeChatModel

EXPERIMENT = "milestone-wording-nov"
ARMS = {"note@3": 0.5, "note@4": 0.5}
AS_OF = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
#: per arm: the share approved unchanged, then approved after an edit; the rest are rejected
DECISIONS = {"note@3": (0.41, 0.27), "note@4": (0.62, 0.20)}
REASONS = {"note@3": ["reads like a form letter", "too long for a card", "says nothing about the flight"],
           "note@4": ["too casual for this customer", "too long for a card"]}
#: per arm: the share of the notes that went out with each outcome
OUTCOMES = {"note@3": {"replied": 0.15, "thanked": 0.10, "bought": 0.04},
            "note@4": {"replied": 0.24, "thanked": 0.12, "bought": 0.05, "unsubscribed": 0.02}}
BODIES = {"3": "Passing 100,000 miles with SkyMiles is a real milestone, and we are glad you reached it on "
               "board with us. Thank you for flying with us.",
          "4": "You have flown past 100,000 miles with SkyMiles, on board with us. Thank you for every one "
               "of them."}
EDITED = "You passed 100,000 miles with SkyMiles on your last flight with us. Thank you for flying with us."
REVIEWERS = [pn.Reviewer("alice", "Alice Smith", "crew lead"), pn.Reviewer("bob", "Bob Jones", "purser")]


def _draw(customer_id: str, what: str) -> float:
    """A number in [0, 1) from the customer id: the same on every run."""
    return int.from_bytes(hashlib.sha256(f"{what}\n{customer_id}".encode()).digest()[:8], "big") / 2**64


FAMILY_NAMES = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski", "Brennan", "Haddad", "Silva",
                "Novak", "Fischer", "Osei", "Reyes", "Varga", "Nakamura", "Dubois", "Costa"]


def flyer(i: int) -> pn.CustomerHistory:
    """Customer F-<i> crossed 100,000 miles on yesterday's flight: one fresh milestone."""
    at = AS_OF - timedelta(days=1)
    return pn.CustomerHistory.model_validate({
        "customer": {"id": f"F-{i:04d}", "given_name": "Sam",
                     "family_name": FAMILY_NAMES[i % len(FAMILY_NAMES)], "honorific": "Mx",
                     "address_as": "honorific_family_name", "time_zone": "Europe/London",
                     "preferred_channel": "card"},
        "events": [
            {"kind": "trip", "id": f"T-{i:04d}", "at": at.isoformat(), "mode": "flight",
             "flight_number": "NA 117", "origin": "LHR", "destination": "JFK"},
            {"kind": "loyalty", "id": f"L-{i:04d}", "at": (at + timedelta(hours=3)).isoformat(),
             "program": "SkyMiles", "metric": "miles", "value": 100_400, "previous_value": 99_100}]})


def _answer(request: pn.ChatRequest) -> str:
    version = "4" if "across the counter" in request.messages[0]["content"] else "3"
    milestone = next(i for i in pn.testing.allowed_fact_ids(request) if i.startswith("derived:milestone:"))
    return json.dumps({"body": BODIES[version],
                       "claims": [{"text": "passed 100,000 miles", "fact_ids": [milestone]}]})


def build(path: Path, customers: int = 240, days: int = 14) -> pn.ReviewQueue:
    """The store at ``path``: every customer drafted in the experiment, reviewed over ``days`` days."""
    now = [AS_OF]
    queue = pn.ReviewQueue(path, clock=lambda: now[0])
    histories = [flyer(i) for i in range(1, customers + 1)]
    contexts = {h.customer.id: pn.build_context(h, AS_OF) for h in histories}
    model = FakeChatModel([_answer] * customers)
    for history in histories:  # draft_many does the same; draft_note also runs where an event loop does
        draft = pn.draft_note(contexts[history.customer.id], model=model, prompts=ARMS, experiment=EXPERIMENT)
        assert isinstance(draft, pn.Draft), draft
        queue.submit(draft, contexts[history.customer.id])
    items = queue.drafts()
    decided = []
    for n, item in enumerate(items):
        if _draw(item.customer_id, "pending") < 0.04:
            continue  # still waiting for a reviewer
        now[0] = AS_OF + timedelta(days=n * days / len(items), hours=2)
        arm, who = item.draft.provenance.arm or "", REVIEWERS[n % 2]
        unchanged, edited = DECISIONS[arm]
        draw = _draw(item.customer_id, "decision")
        if draw < unchanged:
            queue.approve(item.id, who, version=1, current=contexts[item.customer_id])
        elif draw < unchanged + edited:
            queue.edit(item.id, who, version=1, text=EDITED, reason="closer to the flight record")
            queue.approve(item.id, who, version=2, current=contexts[item.customer_id])
        else:
            reasons = REASONS[arm]
            reason = reasons[int(_draw(item.customer_id, "why") * len(reasons))]
            queue.reject(item.id, who, version=1, reason=reason)
            continue
        decided.append((item, now[0]))
    now[0] = AS_OF + timedelta(days=days + 14)
    for item, approved_at in decided:
        for kind, share in OUTCOMES[item.draft.provenance.arm or ""].items():
            if _draw(item.customer_id, kind) < share:
                queue.record_outcome(item.id, kind, at=approved_at + timedelta(days=3))
    return queue


if __name__ == "__main__":
    with build(Path(tempfile.mkdtemp(prefix="personalnote-experiment-")) / "experiment.sqlite3") as store:
        report = store.experiment(EXPERIMENT)
        print(report.text())
        if len(sys.argv) > 1:
            print("wrote", report.save_plot(sys.argv[1]))
