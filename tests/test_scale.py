"""Long histories and large catalogues: what detection reaches by search rather than by
scanning (trips linked to each milestone, guards read once per context) and the facts a
context makes of hundreds of business events match a brute-force reading of the same events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import personalnote as pn

from .support import AS_OF

POLICY = pn.MomentPolicy()


def long_flyer(flights: int) -> pn.CustomerHistory:
    """A flight every 3.5 days, each followed by its miles; a balance crossing 100,000s."""
    events: list[dict[str, Any]] = []
    miles = 0
    for i in range(flights):
        at = AS_OF - timedelta(hours=84 * (flights - i))
        events.append({"kind": "trip", "id": f"T{i}", "at": at.isoformat(), "flight_number": f"NA {i}"})
        previous, miles = miles, miles + 3_700
        # miles posted 6 to 37 hours after the flight: inside the 36-hour link window, on its edge, past it
        posted = at + timedelta(hours=(6, 36, 37, 20)[i % 4])
        events.append({"kind": "loyalty", "id": f"L{i}", "at": posted.isoformat(), "program": "SkyMiles",
                       "metric": "miles", "value": miles, "previous_value": previous})
    return pn.CustomerHistory.model_validate({"customer": {"id": "C-LONG"}, "events": events})


def test_each_milestone_links_exactly_the_trips_within_the_window() -> None:
    history = long_flyer(600)
    ctx = pn.build_context(history, AS_OF)
    report = pn.find_moments(ctx)
    milestones = [s.moment for s in report.suppressed if s.moment.kind == "milestone"] + [
        m for m in report.moments if m.kind == "milestone"]
    trips = [e for e in history.events if e.kind == "trip"]
    crossings = [e for e in history.events if e.kind == "loyalty"
                 and e.value // 100_000 > (e.previous_value or 0) // 100_000]
    assert len(milestones) == len(crossings) > 10
    for moment in milestones:
        loyalty_id = moment.evidence[1]
        loyalty = next(e for e in history.events if e.id == loyalty_id)
        expected = [t.id for t in trips if abs(t.at - loyalty.at) <= POLICY.milestone_link_window]
        assert moment.evidence[2:] == expected
    # posted 37 hours after its flight: outside the window, so nothing is linked
    assert any(m.evidence[2:] == [] for m in milestones)
    assert any(m.evidence[2:] != [] for m in milestones)


def test_guards_apply_to_every_moment_of_a_long_history() -> None:
    history = long_flyer(600)
    first_key = pn.find_moments(pn.build_context(history, AS_OF)).suppressed[-1].moment.key
    sent = [{"kind": "note_sent", "id": f"N{days}", "at": (AS_OF - timedelta(days=days)).isoformat(),
             "about": about} for days, about in ((400, first_key), (3, "other"))]
    events = [e.model_dump(mode="json") for e in history.events] + sent
    with_notes = pn.CustomerHistory.model_validate({"customer": {"id": "C-LONG"}, "events": events})
    report = pn.find_moments(pn.build_context(with_notes, AS_OF))
    reasons = {s.moment.key: s.reason.code for s in report.suppressed}
    assert reasons[first_key] == "already_sent"
    others = {code for key, code in reasons.items() if key != first_key}
    assert others == {"cool_down"}  # every other moment: a note went out three days ago
    assert len(reasons) > 10 and report.moments == []


def test_a_catalogue_of_business_events_becomes_facts_with_their_source() -> None:
    purchases = [{"kind": "purchase", "id": f"P{i}", "at": (AS_OF - timedelta(days=i + 1)).isoformat(),
                  "item": f"Item {i}"} for i in range(300)]
    history = pn.CustomerHistory.model_validate({"customer": {"id": "C-CAT"}, "events": purchases})
    raw = [{"kind": "back_in_stock", "id": f"B{i}", "at": (AS_OF - timedelta(days=i)).isoformat(),
            "item": f"Item {i}"} for i in range(400)]
    raw += [{"kind": "generic", "id": "G-OTHER", "at": AS_OF.isoformat(), "name": "Private sale",
             "customer_ids": ["C-ELSE"]},
            {"kind": "back_in_stock", "id": "B-LATER", "at": (AS_OF + timedelta(days=1)).isoformat(),
             "item": "Item 0"}]
    business = pn.Dataset.model_validate({"business_events": raw}).business_events
    ctx = pn.build_context(history, AS_OF, business_events=business)
    sources = {fact_id: fact.source for fact_id, fact in ctx.facts.items()}
    assert {i: s for i, s in sources.items() if i.startswith("P")} == {f"P{i}": "event" for i in range(300)}
    assert {i: s for i, s in sources.items() if i.startswith(("B", "G"))} == {
        f"B{i}": "business_event" for i in range(400)}  # not another customer's sale, not tomorrow's restock
