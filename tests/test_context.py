from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import personalnote as pn

from .support import AS_OF, FIXTURES


def _ctx(name: str, as_of: datetime = AS_OF) -> pn.CustomerContext:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    return pn.build_context(data.customers[0], as_of, business_events=data.business_events)


def test_facts_have_stable_ids_and_dates_without_clock_times() -> None:
    ctx = _ctx("flyer_2m_miles")
    assert {"T-8002", "L-5502", "P-0420", "profile:member_since", "derived:relationship"} <= set(ctx.facts)
    flight = ctx.fact("T-8002")
    assert flight.text == "Flight NA 117 from LHR to JFK, seat 2A, business cabin on 20 November 2026"
    assert ":" not in flight.text.split(" on ")[-1]
    assert ctx.fact("P-0420").untrusted and not flight.untrusted


def test_events_after_as_of_are_unknown() -> None:
    ctx = _ctx("flyer_2m_miles", datetime.fromisoformat("2026-11-01T00:00:00+00:00"))
    assert "L-5502" not in ctx.facts  # the balance after the flight is not known yet
    with pytest.raises(pn.UnknownFactError):
        ctx.fact("L-5502")


def test_a_booked_trip_is_known_as_upcoming_not_as_history() -> None:
    ctx = _ctx("flyer_2m_miles", datetime.fromisoformat("2026-11-01T00:00:00+00:00"))
    assert ctx.fact("T-8002").text.startswith("Booked: Flight")
    assert [e.id for e in ctx.upcoming] == ["T-8002"]
    assert "T-8002" not in {e.id for e in ctx.events}
    before = _ctx("flyer_2m_miles", datetime.fromisoformat("2026-11-01T00:00:00+00:00"))
    assert ctx.relationship == before.relationship
    far = _ctx("flyer_2m_miles", datetime.fromisoformat("2026-06-13T00:00:00+00:00"))
    assert "T-8002" not in far.facts  # beyond the upcoming horizon


@pytest.mark.parametrize(("name", "familiarity"), [
    ("flyer_2m_miles", "long_standing"),
    ("grey_trousers", "occasional"),
    ("tenth_purchase", "regular"),
    ("stale_milestone", "new"),
])
def test_familiarity(name: str, familiarity: str) -> None:
    assert _ctx(name).relationship.familiarity == familiarity


def test_relationship_figures() -> None:
    rel = _ctx("anniversary").relationship
    assert rel.tenure_years == 10 and rel.interactions == 3
    assert rel.recency_days == (AS_OF - datetime.fromisoformat("2024-03-20T11:00:00+00:00")).days
    assert _ctx("grey_trousers").relationship.knowledge == "some"
    assert _ctx("already_sent").relationship.last_contact is not None


def test_context_hash_depends_on_as_of_and_facts() -> None:
    assert _ctx("grey_trousers").context_hash() == _ctx("grey_trousers").context_hash()
    later = _ctx("grey_trousers", AS_OF + timedelta(days=1))
    assert _ctx("grey_trousers").context_hash() != later.context_hash()


def test_naive_as_of_is_a_typed_error() -> None:
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    with pytest.raises(pn.ArgumentError, match="time zone"):
        pn.build_context(data.customers[0], datetime(2026, 11, 20))


def test_html_display_escapes_customer_text() -> None:
    ctx = _ctx("grey_trousers")
    html = ctx._repr_html_()
    assert "R-310" in html and "<script" not in html
    assert "wanted_item_available" in pn.find_moments(ctx)._repr_html_()
