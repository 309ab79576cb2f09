"""Moments ahead of time: the day a moment falls on, the day its note must be ready by (per
channel), and the detectors that see anniversaries, birthdays and booked-trip milestones before
they happen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import personalnote as pn
from personalnote._history import LoyaltyEvent, NoteSentEvent
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import AS_OF, FIXTURES, report_for


def history(name: str) -> pn.CustomerHistory:
    return pn.load(FIXTURES / "customers" / f"{name}.json").customers[0]


def test_an_anniversary_tomorrow_is_a_moment_ahead_not_a_stale_one() -> None:
    report = report_for("anniversary_ahead_letter")
    assert [m.key for m in report.moments] == ["anniversary:membership:10"]
    best = report.best
    assert best is not None and best.ahead_of(AS_OF)
    assert best.on == date(2026, 11, 21)
    # a letter is mailed a week ahead: it should have been ready by the 14th
    assert best.ready_by == best.on - pn.MomentPolicy().lead_time("letter") == date(2026, 11, 14)
    assert not report.suppressed  # the 9-year anniversary is not reported beside it


def test_the_lead_time_depends_on_the_channel() -> None:
    ctx = pn.build_context(history("anniversary_ahead_letter"), AS_OF - timedelta(days=8))
    by_letter = pn.find_moments(ctx)
    assert by_letter.best is not None and by_letter.best.key == "anniversary:membership:10"
    by_email = pn.find_moments(ctx, channel="email")  # nine days out is too early for an email
    assert "anniversary:membership:10" not in {m.key for m in by_email.moments}
    later = pn.find_moments(pn.build_context(history("anniversary_ahead_letter"), AS_OF), channel="email")
    assert later.best is not None and later.best.ready_by == later.best.on == date(2026, 11, 21)


def test_moments_ahead_stay_fresh_from_their_own_date() -> None:
    after = report_for("anniversary_ahead_letter", as_of=datetime(2026, 12, 4, 12, tzinfo=UTC))
    assert [m.key for m in after.moments] == ["anniversary:membership:10"]  # 13 days after the 21st
    stale = report_for("anniversary_ahead_letter", as_of=datetime(2026, 12, 6, 12, tzinfo=UTC))
    assert [r.code for r in stale.no_note_reasons] == ["stale"]


def test_a_birthday_within_the_cards_lead_time() -> None:
    report = report_for("birthday_card")
    best = report.best
    assert best is not None and best.kind == "birthday" and best.key == "birthday:2026"
    assert (best.on, best.ready_by) == (date(2026, 11, 23), date(2026, 11, 21))
    assert best.facts[0].text == "Birthday on 23 November"  # no year, no age by default
    assert "1986" not in best.why_now and "40" not in best.facts[0].text


def test_the_policy_decides_whether_the_age_is_said() -> None:
    ctx = pn.build_context(history("birthday_card"), AS_OF)
    report = pn.find_moments(ctx, policy=pn.MomentPolicy(birthday_mentions_age=True))
    assert report.best is not None and report.best.facts[0].text == "Turns 40 on 23 November"


def test_a_birthday_too_far_ahead_is_not_yet_a_moment() -> None:
    report = report_for("birthday_card", as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert "birthday" not in {m.kind for m in report.moments}
    # only last year's birthday is seen, and it is long past
    assert {(s.moment.key, s.reason.code) for s in report.suppressed if s.moment.kind == "birthday"} == {
        ("birthday:2025", "stale")}


def test_a_birth_date_is_a_date() -> None:
    for bad in ("1990-02-30", 19900101, "1990-01-01T10:00:00Z", "1700-01-01"):
        with pytest.raises(ValidationError) as info:
            pn.CustomerHistory.model_validate({"customer": {"id": "C1", "birth_date": bad}})
        assert "birth_date" in str(info.value)
    ok = pn.CustomerHistory.model_validate({"customer": {"id": "C1", "birth_date": "1990-01-01"}})
    assert ok.customer.birth_date == date(1990, 1, 1)


def test_a_29_february_birthday_in_a_common_year() -> None:
    base = history("birthday_card")
    leapling = base.model_copy(update={"customer": base.customer.model_copy(
        update={"birth_date": date(1988, 2, 29)})})
    report = pn.find_moments(pn.build_context(leapling, datetime(2027, 2, 25, tzinfo=UTC)))
    assert report.best is not None and report.best.on == date(2027, 2, 28)


def test_a_booked_flight_that_will_cross_two_million_miles() -> None:
    report = report_for("milestone_ahead_booked")
    best = report.best
    assert best is not None and best.key == "milestone:SkyMiles:miles:2000000"
    assert best.evidence == ["derived:milestone_ahead:T-2304:miles", "L-2303", "T-2304"]
    assert best.ahead_of(AS_OF) and best.on == date(2026, 11, 23)  # 23:55 UTC is the 23rd in Tokyo
    assert best.ready_by == date(2026, 11, 21)  # the card is printed before the flight
    assert "Will pass 2 million miles" in best.facts[0].text


def test_the_milestone_ahead_and_the_milestone_reached_are_one_moment() -> None:
    base = history("milestone_ahead_booked")
    flown = LoyaltyEvent(kind="loyalty", id="L-2305", at=datetime(2026, 11, 23, 12, tzinfo=UTC),
                            program="SkyMiles", metric="miles", value=2003200, previous_value=1997200)
    done = base.model_copy(update={"events": [*base.events, flown]})
    after = pn.find_moments(pn.build_context(done, datetime(2026, 11, 24, tzinfo=UTC)))
    assert after.best is not None and after.best.key == report_for("milestone_ahead_booked").moments[0].key
    sent = NoteSentEvent(kind="note_sent", id="N-1", at=datetime(2026, 11, 21, tzinfo=UTC),
                            about="milestone:SkyMiles:miles:2000000")
    signed = done.model_copy(update={"events": [*done.events, sent]})
    again = pn.find_moments(pn.build_context(signed, datetime(2026, 11, 24, tzinfo=UTC)))
    assert "already_sent" in {r.code for r in again.no_note_reasons}


def test_a_trip_that_earns_too_little_makes_no_moment_ahead() -> None:
    base = history("milestone_ahead_booked")
    events = [e.model_copy(update={"earns": {"miles": 500}}) if e.id == "T-2304" else e for e in base.events]
    report = pn.find_moments(pn.build_context(base.model_copy(update={"events": events}), AS_OF))
    assert report.no_note


def test_moments_json_carries_the_days() -> None:
    payload = report_for("anniversary_ahead_letter").to_json_dict()
    moment = payload["moments"][0]  # type: ignore[index]
    assert (moment["on"], moment["ready_by"], moment["ahead"]) == ("2026-11-21", "2026-11-14", True)


def test_the_cli_shows_moments_ahead_with_their_ready_by_day(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["moments", str(FIXTURES / "customers" / "anniversary_ahead_letter.json"),
                 "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr().out
    assert code == 0
    assert "ahead: on 21 November 2026, ready by 14 November 2026" in out


def test_a_note_drafted_ahead_says_the_day_it_is_for(tmp_path: Path) -> None:
    reply = {"body": "Ten years ago you joined us, and we are grateful.",
             "claims": [{"text": "ten years", "fact_ids": ["derived:anniversary:10"]}]}
    draft = pn.draft_note(history("anniversary_ahead_letter"), as_of=AS_OF, model=FakeChatModel([reply]),
                          max_candidates=1)
    assert isinstance(draft, pn.Draft)
    assert draft.for_date == date(2026, 11, 21) and draft.for_label == "for 21 November"
    assert draft.to_json_dict()["moment"]["for_date"] == "2026-11-21"
    queue = pn.ReviewQueue(tmp_path / "queue.sqlite3")
    item = queue.submit(draft, pn.build_context(history("anniversary_ahead_letter"), AS_OF))
    assert item.to_json_dict()["for_date"] == "2026-11-21"
    assert queue.get(item.id).draft.for_label == "for 21 November"  # stored and read back
    reply = {"body": "Five years with the club: thank you.",
             "claims": [{"text": "five years", "fact_ids": ["derived:milestone:L-2402"]}]}
    past = pn.draft_note(history("club_five_years"), as_of=AS_OF, model=FakeChatModel([reply]),
                         max_candidates=1)
    assert isinstance(past, pn.Draft) and past.for_date is None and past.for_label == ""


def test_the_queue_lists_a_note_drafted_ahead_with_its_day(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    reply = {"body": "Ten years ago you joined us, and we are grateful.",
             "claims": [{"text": "ten years", "fact_ids": ["derived:anniversary:10"]}]}
    draft = pn.draft_note(history("anniversary_ahead_letter"), as_of=AS_OF, model=FakeChatModel([reply]),
                          max_candidates=1)
    assert isinstance(draft, pn.Draft)
    store = tmp_path / "queue.sqlite3"
    queue = pn.ReviewQueue(store)
    item = queue.submit(draft, pn.build_context(history("anniversary_ahead_letter"), AS_OF))
    queue.close()
    assert main(["review", "list", "--store", str(store)]) == 0
    assert "(for 21 November)" in capsys.readouterr().out
    assert main(["review", "show", str(item.id), "--store", str(store)]) == 0
    assert "10 years since the membership, on 21 November 2026, for 21 November" in capsys.readouterr().out
