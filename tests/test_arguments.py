"""Arguments checked at the public boundary: the obvious forms accepted where it is safe, anything
else a typed ``ArgumentError`` (also a ``ValueError``) that lists what is accepted, never a raw
``AttributeError`` or ``KeyError`` from deep inside."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pytest

import personalnote as pn
from personalnote._instants import parse_instant
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import AS_OF, FIXTURES, GOOD, flyer, flyer_context


def _draft(**options: Any) -> pn.Draft | pn.MomentReport:
    return pn.draft_note(flyer(), model=FakeChatModel([GOOD]), max_candidates=1, **options)


# --- as_of ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-11-20T18:00:00Z", "2026-11-20T19:00:00+01:00", "2026-11-20 18:00Z",
                                  " 2026-11-20T18:00:00.000+00:00 "])
def test_an_iso_instant_string_is_accepted_as_as_of(text: str) -> None:
    draft = _draft(as_of=text)
    assert isinstance(draft, pn.Draft) and draft.as_of == AS_OF
    assert pn.build_context(flyer(), text).as_of == AS_OF
    batch = pn.draft_many([flyer()], as_of=text, model=FakeChatModel([GOOD]), max_candidates=1,
                          progress=False)
    assert batch.drafts[0].as_of == AS_OF


@pytest.mark.parametrize(("value", "says"), [
    (datetime(2026, 11, 20, 18), "a naive datetime is not an instant"),
    ("next tuesday", "not an ISO-8601 instant or date"),
    (1795370400, "int is not an instant"),
    ("1700-01-01", "outside the years"),
])
def test_an_as_of_in_no_accepted_form_says_what_is_accepted(value: object, says: str) -> None:
    with pytest.raises(pn.ArgumentError) as info:
        _draft(as_of=value)
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, pn.ContextError)
    assert error.argument == "as_of" and error.value == value
    assert says in str(error)
    assert str(error).startswith("draft_note(as_of=")


def test_a_date_alone_and_a_time_without_an_offset_are_accepted() -> None:
    # a date is the end of that day in the customer's time zone; a time without an offset is UTC
    end = pn.build_context(flyer(), "2026-11-20").as_of
    assert end.date() == date(2026, 11, 20) and (end.hour, end.minute) == (23, 59)
    assert pn.build_context(flyer(), date(2026, 11, 20)).as_of == end
    assert pn.build_context(flyer(), "2026-11-20T18:00:00").as_of == AS_OF


def test_every_entry_point_checks_as_of() -> None:
    with pytest.raises(pn.ArgumentError, match=r"^build_context\(as_of="):
        pn.build_context(flyer(), "next tuesday")
    with pytest.raises(pn.ArgumentError, match=r"^adraft_note\(as_of="):
        asyncio.run(pn.adraft_note(flyer(), as_of="next tuesday", model=FakeChatModel([])))
    with pytest.raises(pn.ArgumentError, match=r"^adraft_many\(as_of="):  # before any customer is tried
        pn.draft_many([flyer()], as_of="next tuesday", model=FakeChatModel([]), progress=False)


def test_the_instant_parser_is_one_function() -> None:
    assert parse_instant("2026-11-20T18:00:00Z") == AS_OF
    assert parse_instant(AS_OF) is AS_OF
    assert parse_instant("2026-11-20") == date(2026, 11, 20)  # resolved per customer, by build_context
    with pytest.raises(pn.ArgumentError, match=r"^--as-of='soon':"):
        parse_instant("soon", argument="--as-of")


# --- channel, signers, moment, customer ------------------------------------------------------------


def test_an_unknown_channel_lists_the_channels() -> None:
    with pytest.raises(pn.ArgumentError) as info:
        _draft(as_of=AS_OF, channel="fax")
    assert info.value.argument == "channel" and info.value.value == "fax"
    assert "the channels are 'card', 'email', 'letter', 'sms'" in str(info.value)
    with pytest.raises(pn.ArgumentError, match="the channels are"):
        pn.draft_many([flyer()], as_of=AS_OF, model=FakeChatModel([]), channel="fax", progress=False)
    with pytest.raises(pn.ArgumentError, match=r"^find_moments\(channel='fax'\): .*the channels are"):
        pn.find_moments(flyer_context(), channel="fax")
    with pytest.raises(pn.ArgumentError, match="the channels are"):
        pn.check_text("Dear Ms Okafor,\n\nThanks.\n\nBest", flyer_context(), channel="fax")  # type: ignore[arg-type]


def test_signers_may_be_role_name_strings() -> None:
    draft = _draft(as_of=AS_OF, channel="card", signers=["Captain", "First Officer:J. Reyes"])
    assert isinstance(draft, pn.Draft)
    assert draft.signers == [pn.Signer("Captain"), pn.Signer("First Officer", "J. Reyes")]
    assert "J. Reyes, First Officer" in draft.text
    assert pn.Signer.parse(" Purser : A. Lee ") == pn.Signer("Purser", "A. Lee")


def test_the_cli_takes_signers_as_the_library_does(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "customers" / "flyer_2m_miles.json")
    assert main(["draft", path, "--as-of", "2026-11-20T18:00:00Z", "--signer", ":J. Reyes"],
                model=FakeChatModel([GOOD])) == 2
    assert "a signer needs a role before the ':'" in capsys.readouterr().err


@pytest.mark.parametrize(("signers", "says"), [
    ("Captain", "give a list of signers"),
    ([{"role": "Captain"}], "dict is not a signer"),
    ([":J. Reyes"], "a signer needs a role before the ':'"),
    ([""], "a signer needs a role"),
])
def test_signers_in_no_accepted_form_show_the_accepted_forms(signers: Any, says: str) -> None:
    with pytest.raises(pn.ArgumentError) as info:
        _draft(as_of=AS_OF, signers=signers)
    assert info.value.argument == "signers" and says in str(info.value)
    assert "'Role:Name'" in str(info.value) and "Signer('Captain')" in str(info.value)


def test_a_moment_kind_no_detector_finds_lists_the_kinds() -> None:
    with pytest.raises(pn.ArgumentError) as info:
        _draft(as_of=AS_OF, moment="graduation")
    assert info.value.argument == "moment"
    for kind in ("'milestone'", "'preference_match'", "'wanted_item_available'", "'welcome_back'"):
        assert kind in str(info.value)
    assert "milestone_ahead" not in str(info.value)  # a detector's name, not a kind of moment
    missing = _draft(as_of=AS_OF, moment="anniversary")  # a kind that exists: no moment is a normal answer
    assert isinstance(missing, pn.MomentReport) and missing.no_note_reasons[0].code == "no_moment"


def test_a_registered_detector_makes_its_kind_accepted() -> None:
    detectors = pn.registered_detectors()
    try:
        pn.register_detector("graduation")(lambda ctx, policy: iter(()))
        result = _draft(as_of=AS_OF, moment="graduation")
        assert isinstance(result, pn.MomentReport) and result.no_note_reasons[0].code == "no_moment"
    finally:
        from personalnote import _detectors

        _detectors._REGISTRY.clear()
        _detectors._REGISTRY.update(detectors)


def test_a_customer_or_context_in_the_wrong_form_is_named() -> None:
    with pytest.raises(pn.ArgumentError, match=r"^draft_note\(customer=\{'id': 'C-1'\}\): a CustomerHistory"):
        pn.draft_note({"id": "C-1"}, as_of=AS_OF, model=FakeChatModel([]))  # type: ignore[arg-type]
    with pytest.raises(pn.ArgumentError, match=r"^find_moments\(ctx=.*build_context\(history, as_of\)"):
        pn.find_moments(flyer())  # type: ignore[arg-type]


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), "soon", True])
def test_a_deadline_is_a_positive_number_of_seconds(deadline: object) -> None:
    with pytest.raises(pn.ArgumentError, match="a number of seconds greater than 0"):
        _draft(as_of=AS_OF, deadline_seconds=deadline)


def test_a_deadline_may_be_a_timedelta() -> None:
    assert isinstance(_draft(as_of=AS_OF, deadline_seconds=timedelta(minutes=1)), pn.Draft)
