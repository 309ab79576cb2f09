"""Grounding of combinations: true words paired into a false statement are blocked (labelled set)."""

from __future__ import annotations

import pytest

import personalnote as pn
from personalnote._grounding import place_aliases

from .near_miss import confusion, rows
from .support import AS_OF, FIXTURES


def test_the_labelled_set_is_large_and_balanced() -> None:
    labelled = rows()
    assert len(labelled) >= 100
    assert 0.35 <= sum(bool(r["blocking"]) for r in labelled) / len(labelled) <= 0.65


def test_precision_and_recall_on_the_near_miss_notes() -> None:
    result = confusion()  # measured: 62 of 63 false notes blocked, 0 of 45 true notes blocked
    assert result.precision >= 0.98 and result.recall >= 0.95, result.table()


def _ctx(name: str) -> tuple[pn.CustomerContext, list[str]]:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    ctx = pn.build_context(data.customers[0], AS_OF, business_events=data.business_events)
    best = pn.find_moments(ctx).best
    assert best is not None
    return ctx.with_facts(best.facts), list(best.evidence)


def _kinds(name: str, body: str, greeting: str) -> set[str]:
    ctx, evidence = _ctx(name)
    text = f"{greeting}\n\n{body}\n\nBest wishes,\nThe team"
    return {f.kind for f in pn.check_text(text, ctx, cited=list(ctx.facts), moment_evidence=evidence)
            if f.blocking}


def test_the_measured_miss_is_blocked_as_a_combination_and_a_declined_offer() -> None:
    kinds = _kinds("grey_trousers", "The blue wool trousers you requested are back in stock, size 32, at "
                   "Fifth Avenue.", "Dear Tomás,")
    assert {"unsupported_combination", "declined"} <= kinds


@pytest.mark.parametrize("place", ["JFK", "New York", "Kennedy"])
def test_a_flight_to_jfk_is_grounded_by_the_words_a_person_uses(place: str) -> None:
    assert place in place_aliases("JFK")
    body = f"You have passed 2 million miles with SkyMiles on your flight to {place}."
    assert _kinds("flyer_2m_miles", body, "Dear Ms Okafor,") == set()


def test_the_library_sentences_stay_clean() -> None:
    assert _kinds("grey_trousers", "The grey wool trousers you asked for are back in stock in size 34.",
                  "Dear Tomás,") == set()
    assert _kinds("flyer_2m_miles", "You have passed 2 million miles with SkyMiles on your flight to JFK.",
                  "Dear Ms Okafor,") == set()


def test_a_declined_item_may_be_named_when_the_note_says_no_to_it() -> None:
    body = "The grey wool trousers are back in size 34: we remembered you wanted grey, not blue."
    assert _kinds("grey_trousers", body, "Dear Tomás,") == set()
