"""What people remember: a note already sent (as a key or as a CRM's free text), a complaint just
resolved, how often the customer heard from us lately, and the kinds of notes they already had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import personalnote as pn
from personalnote._history import LoyaltyEvent, MessageSentEvent, NoteSentEvent, PurchaseEvent
from personalnote._memory import about_kind, read_about

from .support import AS_OF, FIXTURES, report_for


def history(name: str) -> pn.CustomerHistory:
    return pn.load(FIXTURES / "customers" / f"{name}.json").customers[0]


def with_events(base: pn.CustomerHistory, *events: object) -> pn.CustomerHistory:
    return base.model_copy(update={"events": [*base.events, *events]})


def note(about: str, at: datetime = AS_OF - timedelta(days=2), id: str = "N-1") -> NoteSentEvent:
    return NoteSentEvent(kind="note_sent", id=id, at=at, about=about)


def codes(report: pn.MomentReport) -> list[str]:
    return [r.code for r in report.no_note_reasons]


# --- already sent, in a CRM's words ----------------------------------------------------------


def test_a_crm_note_about_the_100th_visit_is_already_sent_not_a_cool_down() -> None:
    report = report_for("already_sent_free_text")
    assert codes(report) == ["already_sent"]
    assert "N-2503" in report.no_note_reasons[0].message


def loyalty(metric: str, value: float, previous: float, program: str = "Club") -> LoyaltyEvent:
    return LoyaltyEvent(kind="loyalty", id="L-1", at=AS_OF - timedelta(days=3), program=program,
                        metric=metric, value=value, previous_value=previous)


@pytest.mark.parametrize(("event", "about"), [
    (loyalty("miles", 2_001_000, 1_999_000), "2M miles"),
    (loyalty("miles", 2_001_000, 1_999_000), "Congrats on 2,000,000 miles!"),
    (loyalty("miles", 2_001_000, 1_999_000), "2 million mile card"),
    (loyalty("visits", 100, 99), "100th Visit"),
    (loyalty("points", 1_500_000, 1_400_000), "1.5m points"),
    (loyalty("years", 10, 9), "10 years with us"),
    (loyalty("membership_years", 5, 4), "5-year anniversary"),
])
def test_free_text_names_the_same_moment(event: LoyaltyEvent, about: str) -> None:
    base = pn.CustomerHistory.model_validate({"customer": {"id": "C1"}})
    sent = note(about, at=AS_OF - timedelta(days=40))  # beyond the cool-down: only already_sent holds
    report = pn.find_moments(pn.build_context(with_events(base, event, sent), AS_OF))
    assert codes(report) == ["already_sent"], report.suppressed


@pytest.mark.parametrize(("event", "about"), [
    (loyalty("miles", 2_001_000, 1_999_000), "1M miles"),  # an earlier milestone
    (loyalty("visits", 100, 99), "50th visit"),
    (loyalty("visits", 100, 99), "100th purchase"),  # same number, another subject
    (loyalty("miles", 2_001_000, 1_999_000), "milestone:Club:miles:1000000"),
    (loyalty("years", 10, 9), "birthday card"),
])
def test_free_text_about_another_moment_does_not_hold_it_back(event: LoyaltyEvent, about: str) -> None:
    base = pn.CustomerHistory.model_validate({"customer": {"id": "C1"}})
    sent = note(about, at=AS_OF - timedelta(days=40))
    report = pn.find_moments(pn.build_context(with_events(base, event, sent), AS_OF))
    assert report.best is not None and report.best.kind == "milestone"


def test_reading_free_text() -> None:
    assert read_about("2M miles").number == 2_000_000
    assert read_about("100th visit").number == 100
    assert read_about("Thank-you card, 2.5k points").number == 2_500
    assert [about_kind(a) for a in ("10 years with us", "100th visit", "Happy birthday!",
                                    "25th order", "milestone:X:miles:5", "thanks")] == [
        "anniversary", "milestone", "birthday", "nth_purchase", "milestone", None]


def test_a_birthday_card_sent_this_year_is_already_sent_but_not_next_year() -> None:
    base = history("birthday_card")
    this_year = with_events(base, note("Birthday card", at=AS_OF - timedelta(days=40)))
    report = pn.find_moments(pn.build_context(this_year, AS_OF))
    assert report.no_note
    assert [s.reason.code for s in report.suppressed if s.moment.kind == "birthday"] == ["already_sent"]
    last_year = with_events(base, note("Birthday card", at=AS_OF - timedelta(days=365)))
    report = pn.find_moments(pn.build_context(last_year, AS_OF))
    assert report.best is not None and report.best.kind == "birthday"


# --- tenure metrics --------------------------------------------------------------------------


def test_five_years_in_a_club_is_a_milestone() -> None:
    report = report_for("club_five_years")
    best = report.best
    assert best is not None and best.key == "milestone:Gardening Club:years:5"
    assert "5 years" in best.facts[0].text


@pytest.mark.parametrize(("metric", "previous", "value", "threshold"), [
    ("years", 4, 5, 5), ("years", 6, 7, None), ("years", 9, 10, 10), ("club_years", 0, 1, 1),
    ("months", 5, 6, 6), ("months", 7, 8, None), ("visits", 4, 5, None),
])
def test_the_tenure_table(metric: str, previous: float, value: float, threshold: float | None) -> None:
    base = pn.CustomerHistory.model_validate({"customer": {"id": "C1"}})
    report = pn.find_moments(pn.build_context(with_events(base, loyalty(metric, value, previous)), AS_OF))
    keys = [m.key for m in report.moments if m.kind == "milestone"]
    assert keys == ([f"milestone:Club:{metric}:{threshold}"] if threshold else [])


def test_the_tenure_table_is_the_policys() -> None:
    base = pn.CustomerHistory.model_validate({"customer": {"id": "C1"}})
    ctx = pn.build_context(with_events(base, loyalty("years", 7, 6)), AS_OF)
    assert pn.find_moments(ctx).no_note  # 7 is not in the default table
    policy = pn.MomentPolicy(tenure_milestones={"years": tuple(range(1, 51))})
    assert [m.key for m in pn.find_moments(ctx, policy=policy).moments] == ["milestone:Club:years:7"]


# --- a complaint just resolved, and fatigue --------------------------------------------------


def test_a_complaint_resolved_last_week_holds_back_congratulations() -> None:
    report = report_for("recent_complaint")
    assert codes(report) == ["recent_complaint"]
    assert "K-2602" in report.no_note_reasons[0].message
    later = report_for("recent_complaint", as_of=datetime(2026, 11, 20, tzinfo=UTC) + timedelta(days=30))
    assert "recent_complaint" not in codes(later)


def test_a_resolved_complaint_does_not_hold_back_a_service_moment() -> None:
    base = history("grey_trousers")
    case = pn.CustomerHistory.model_validate({"customer": {"id": "X"}, "events": [{
        "kind": "support_case", "id": "K-1", "at": "2026-11-01T09:00:00Z", "topic": "late parcel",
        "status": "closed", "closed_at": "2026-11-15T09:00:00Z", "sentiment": "negative"}]}).events[0]
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    ctx = pn.build_context(with_events(base, case), AS_OF, business_events=data.business_events)
    report = pn.find_moments(ctx)
    assert [m.kind for m in report.moments] == ["wanted_item_available"]


def test_messages_this_week_make_contact_fatigue() -> None:
    report = report_for("contact_fatigue")
    assert "contact_fatigue" in codes(report)
    relaxed = pn.find_moments(pn.build_context(history("contact_fatigue"), AS_OF),
                              policy=pn.MomentPolicy(contact_cap=4))
    assert relaxed.best is not None and relaxed.best.kind == "welcome_back"


def test_twice_this_week_already_is_enough() -> None:
    base = history("contact_fatigue")
    once = base.model_copy(update={"events": [e for e in base.events if e.id not in ("M-2704", "M-2705")]})
    assert pn.find_moments(pn.build_context(once, AS_OF)).best is not None  # the note would be the 2nd
    twice = base.model_copy(update={"events": [e for e in base.events if e.id != "M-2705"]})
    assert "contact_fatigue" in codes(pn.find_moments(pn.build_context(twice, AS_OF)))


def test_personal_notes_count_towards_the_cap() -> None:
    base = history("contact_fatigue")
    once = base.model_copy(update={"events": [e for e in base.events if e.id not in ("M-2704", "M-2705")]})
    # one message and a note five days ago (the cool-down set to 0, so only the cap can hold it back)
    noted = with_events(once, note("a thank-you", at=AS_OF - timedelta(days=5), id="N-9"))
    policy = pn.MomentPolicy(cool_down=timedelta(0))
    assert "contact_fatigue" in codes(pn.find_moments(pn.build_context(noted, AS_OF), policy=policy))
    assert pn.find_moments(pn.build_context(once, AS_OF), policy=policy).best is not None


def test_a_message_is_described_as_a_fact() -> None:
    ctx = pn.build_context(history("contact_fatigue"), AS_OF)
    assert ctx.fact("M-2704").text.startswith("Marketing sms message sent (Weekend sale) on")
    with pytest.raises(ValueError):
        MessageSentEvent.model_validate({"kind": "message_sent", "id": "M", "at": "2026-01-01T00:00:00Z",
                                         "channel": "pigeon"})


# --- memory across notes ---------------------------------------------------------------------


def purchases(n: int, start: datetime) -> list[PurchaseEvent]:
    return [PurchaseEvent(kind="purchase", id=f"P-{i}", at=start + timedelta(days=7 * i), item="Coffee")
            for i in range(n)]


def test_a_moment_of_a_kind_noted_recently_is_weaker() -> None:
    start = AS_OF - timedelta(days=7 * 24 + 1)
    base = pn.CustomerHistory.model_validate({"customer": {"id": "C1"}})
    fresh = base.model_copy(update={"events": purchases(25, start)})
    plain = pn.find_moments(pn.build_context(fresh, AS_OF)).best
    assert plain is not None and plain.key == "nth_purchase:25"
    noted = with_events(fresh, note("10th order", at=AS_OF - timedelta(days=120)))
    remembered = pn.find_moments(pn.build_context(noted, AS_OF)).best
    assert remembered is not None and remembered.key == "nth_purchase:25"
    factor = pn.MomentPolicy().repeated_kind_factor
    assert remembered.strength == pytest.approx(plain.strength * factor, abs=1e-3)
    long_ago = with_events(fresh, note("nth_purchase:10", at=AS_OF - timedelta(days=400)))
    old = pn.find_moments(pn.build_context(long_ago, AS_OF)).best
    assert old is not None and old.strength == plain.strength


@pytest.mark.parametrize(("about", "held"), [
    ("Grey trousers back in stock", True),
    ("restocked: grey wool trousers", True),
    ("Blue trousers back in stock", False),
])
def test_a_crm_note_naming_the_restocked_item(about: str, held: bool) -> None:
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    base = data.customers[0]
    plain = pn.find_moments(pn.build_context(base, AS_OF, business_events=data.business_events))
    wanted = next(m for m in plain.moments if m.kind == "wanted_item_available")
    sent = note(about, at=wanted.at + timedelta(hours=2))
    report = pn.find_moments(pn.build_context(with_events(base, sent), AS_OF,
                                              business_events=data.business_events))
    reasons = {s.moment.key: s.reason.code for s in report.suppressed}
    assert (reasons.get(wanted.key) == "already_sent") is held
