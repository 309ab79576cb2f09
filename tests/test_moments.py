from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter

import personalnote as pn
from personalnote._detectors import round_threshold_crossed, same_item

from .support import AS_OF, FIXTURES, report_for


def test_two_million_miles_links_flight_seat_and_status() -> None:
    report = report_for("flyer_2m_miles")
    best = report.best
    assert best is not None and best.kind == "milestone"
    assert best.key == "milestone:SkyMiles:miles:2000000"
    assert best.evidence[:3] == ["derived:milestone:L-5502", "L-5502", "T-8002"]
    assert "2 million miles" in best.facts[0].text
    assert "T-7781" not in best.evidence  # the June flight is not today's


@pytest.mark.parametrize(("previous", "value", "minimum", "expected"), [
    (1_998_390, 2_001_850, 100_000, 2_000_000),
    (1_984_130, 1_987_400, 100_000, None),
    (47, 50, 10, 50),
    (99, 100, 10, 100),
    (19, 20, 10, 20),
    (5, 9, 10, None),
    (100, 90, 10, None),
])
def test_round_thresholds(previous: float, value: float, minimum: float, expected: float | None) -> None:
    assert round_threshold_crossed(previous, value, minimum) == expected


def test_grey_trousers_restock_is_the_strongest_and_blue_offer_is_weak() -> None:
    report = report_for("grey_trousers")
    kinds = [(m.kind, m.key) for m in report.moments]
    assert kinds[0] == ("wanted_item_available", "wanted_item:R-310")
    strengths = {m.key: m.strength for m in report.moments}
    season, blue = strengths["preference_match:B-903"], strengths["preference_match:B-902"]
    assert season > blue
    assert blue < 0.3
    blue_moment = next(m for m in report.moments if m.key == "preference_match:B-902")
    assert "P-311" in blue_moment.evidence  # the declined blue pair is the reason it is weak


def test_restock_in_the_wrong_size_is_not_a_moment() -> None:
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    history = data.customers[0]
    restock = history.business_events[0].model_copy(update={"variants": {"size": ["32", "36"]}})
    ctx = pn.build_context(history.model_copy(update={"business_events": [restock]}), AS_OF)
    assert all(m.kind != "wanted_item_available" for m in pn.find_moments(ctx).moments)


def _grey_with_stock(*later: dict[str, object]) -> list[pn.Moment]:
    """The grey-trousers customer with more stock events after the 18 November restock."""
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    events = [*data.business_events, *(
        TypeAdapter(pn.BusinessEvent).validate_python({"item": "Grey wool trousers", "id": f"B-99{n}", **e})
        for n, e in enumerate(later))]
    ctx = pn.build_context(data.customers[0], AS_OF, business_events=events)
    return [m for m in pn.find_moments(ctx).moments if m.kind == "wanted_item_available"]


@pytest.mark.parametrize(("later", "evidence"), [
    ([], "B-901"),
    ([{"kind": "out_of_stock", "at": "2026-11-19T12:00:00Z", "variants": {"size": ["34"]}}], None),
    ([{"kind": "out_of_stock", "at": "2026-11-19T12:00:00Z"}], None),             # every size
    ([{"kind": "out_of_stock", "at": "2026-11-19T12:00:00Z", "variants": {"size": ["36"]}}], "B-901"),
    ([{"kind": "out_of_stock", "at": "2026-11-19T12:00:00Z", "variants": {"size": ["34"]}},
      {"kind": "back_in_stock", "at": "2026-11-20T08:00:00Z", "variants": {"size": ["34"]}}], "B-991"),
])
def test_an_item_that_sold_out_again_is_no_longer_a_moment(later: list[dict[str, object]],
                                                            evidence: str | None) -> None:
    moments = _grey_with_stock(*later)
    if evidence is None:
        assert moments == []
    else:
        assert [m.evidence[1] for m in moments] == [evidence]


def test_restock_before_the_request_is_not_a_moment() -> None:
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    history = data.customers[0]
    early = history.business_events[0].model_copy(
        update={"at": datetime(2026, 8, 1, tzinfo=UTC)})
    ctx = pn.build_context(history.model_copy(update={"business_events": [early]}), AS_OF)
    assert all(m.kind != "wanted_item_available" for m in pn.find_moments(ctx).moments)


def test_item_matching() -> None:
    assert same_item("Grey wool trousers", "grey WOOL trousers")
    assert same_item("grey trousers", "Grey wool trousers")
    assert not same_item("Blue wool trousers", "Grey wool trousers")


def test_nth_purchase() -> None:
    best = report_for("tenth_purchase").best
    assert best is not None and (best.kind, best.evidence[1]) == ("nth_purchase", "S-410")


def test_anniversary_in_whole_years() -> None:
    best = report_for("anniversary").best
    assert best is not None and best.kind == "anniversary"
    assert best.key == "anniversary:first_purchase:10" and "S-601" in best.evidence
    assert report_for("anniversary", AS_OF + timedelta(days=30)).no_note


def test_welcome_back_after_a_lapse() -> None:
    best = report_for("welcome_back").best
    assert best is not None and best.kind == "welcome_back"
    assert best.evidence[1:] == ["S-703", "S-702"]
    assert "10 months" in best.why_now


@pytest.mark.parametrize(("name", "code"), [
    ("do_not_contact", "do_not_contact"),
    ("open_complaint", "open_support_case"),
    ("already_sent", "already_sent"),
    ("cool_down", "cool_down"),
    ("stale_milestone", "stale"),
    ("nothing_special", "no_moment"),
])
def test_guards_give_no_note_with_the_reason(name: str, code: str) -> None:
    report = report_for(name)
    assert report.no_note and report.best is None
    assert [r.code for r in report.no_note_reasons] == [code]
    if code != "no_moment":
        assert report.suppressed  # the moment was found, then held back


def test_closed_complaint_no_longer_blocks_after_its_window() -> None:
    data = pn.load(FIXTURES / "customers" / "open_complaint.json")
    history = data.customers[0]
    events = [e.model_copy(update={"status": "closed", "closed_at": datetime(2026, 11, 12, tzinfo=UTC)})
              if e.kind == "support_case" else e for e in history.events]
    ctx = pn.build_context(history.model_copy(update={"events": events}), AS_OF)
    report = pn.find_moments(ctx, policy=pn.MomentPolicy(complaint_window=timedelta(days=7)))
    assert report.best is not None and report.best.kind == "milestone"
    held = pn.find_moments(ctx)  # closed 8 days ago, inside the default 30-day window
    assert [r.code for r in held.no_note_reasons] == ["recent_complaint"]


def test_open_complaint_still_allows_a_service_moment() -> None:
    data = pn.load(FIXTURES / "customers" / "grey_trousers.json")
    history = data.customers[0]
    case = pn.CustomerHistory.model_validate({"customer": {"id": "x"}, "events": [
        {"kind": "support_case", "id": "K-1", "at": "2026-11-01T00:00:00Z", "topic": "late parcel"},
    ]}).events[0]
    ctx = pn.build_context(history.model_copy(update={"events": [*history.events, case]}), AS_OF)
    report = pn.find_moments(ctx)
    assert [m.kind for m in report.moments] == ["wanted_item_available"]
    assert {s.reason.code for s in report.suppressed} >= {"open_support_case"}


def test_caller_supplied_moment_and_unknown_evidence() -> None:
    data = pn.load(FIXTURES / "customers" / "candidate.json")
    ctx = pn.build_context(data.customers[0], AS_OF)
    decision = pn.Moment(kind="decision_reached", key="decision:X-982", at=ctx.fact("X-982").at or AS_OF,
                         evidence=["X-982", "X-981"], strength=0.8, why_now="an offer was decided",
                         fresh_for=timedelta(days=7), celebratory=False)
    report = pn.find_moments(ctx, extra=[decision])
    assert report.best is not None
    assert report.best.model_copy(update={"on": None, "ready_by": None}) == decision
    assert report.best.on == decision.at.astimezone(ZoneInfo(ctx.customer.time_zone)).date()
    bogus = decision.model_copy(update={"evidence": ["X-000"]})
    with pytest.raises(pn.UnknownFactError) as info:
        pn.find_moments(ctx, extra=[bogus])
    assert info.value.fact_ids == ["X-000"]


def test_registered_detector_runs_and_can_be_left_out() -> None:
    @pn.register_detector("test_always")
    def always(ctx: pn.CustomerContext, policy: pn.MomentPolicy):  # type: ignore[no-untyped-def]
        yield pn.Moment(kind="always", key="always", at=ctx.as_of, evidence=["derived:relationship"],
                        strength=1.0, why_now="test", fresh_for=timedelta(days=1))

    try:
        assert report_for("nothing_special").best is not None
        only_builtin = {k: v for k, v in pn.registered_detectors().items() if k != "test_always"}
        data = pn.load(FIXTURES / "customers" / "nothing_special.json")
        ctx = pn.build_context(data.customers[0], AS_OF)
        assert pn.find_moments(ctx, detectors=only_builtin).no_note
    finally:
        from personalnote import _detectors
        _detectors._REGISTRY.pop("test_always")


def test_policy_changes_thresholds() -> None:
    data = pn.load(FIXTURES / "customers" / "stale_milestone.json")
    ctx = pn.build_context(data.customers[0], AS_OF)
    policy = pn.MomentPolicy(freshness={"milestone": timedelta(days=200)})
    assert pn.find_moments(ctx, policy=policy).best is not None
