"""Issue 14, time: what ``--as-of`` (and ``as_of``) means, and saying when the clock was used."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import personalnote as pn
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import FIXTURES, GOOD

FLYER = FIXTURES / "customers" / "flyer_2m_miles.json"  # 2,000,000 miles at 13:10 on 20 November, London


def _flyer_in(tmp_path: Path, zone: str, milestone_at: str) -> Path:
    """The flyer living in ``zone``, passing 2 million miles at ``milestone_at`` (flying an hour before)."""
    record: dict[str, Any] = json.loads(FLYER.read_text())
    record["customer"]["time_zone"] = zone
    at = datetime.fromisoformat(milestone_at)
    for event in record["events"]:
        if event["id"] == "L-5502":
            event["at"] = at.isoformat()
        elif event["id"] == "T-8002":
            event["at"] = at.replace(hour=at.hour - 1).isoformat()
    path = tmp_path / f"{zone.replace('/', '_')}.json"
    path.write_text(json.dumps(record))
    return path


def _kinds(capsys: pytest.CaptureFixture[str], path: Path, as_of: str) -> list[str]:
    assert main(["moments", str(path), "--as-of", as_of, "--json"]) == 0
    return [m["kind"] for m in json.loads(capsys.readouterr().out)["moments"]]


def test_a_date_alone_keeps_a_milestone_reached_that_afternoon(capsys: pytest.CaptureFixture[str]) -> None:
    assert "milestone" in _kinds(capsys, FLYER, "2026-11-20")
    assert main(["moments", str(FLYER), "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("C-1001 (as of 2026-11-20)") and "milestone" in out and "2 million miles" in out


def test_a_date_alone_is_the_end_of_the_day_in_the_customers_own_time_zone(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 23:30 in Los Angeles on the 20th is 07:30 UTC on the 21st: still the 20th for her
    west = _flyer_in(tmp_path, "America/Los_Angeles", "2026-11-20T23:30:00-08:00")
    assert "milestone" in _kinds(capsys, west, "2026-11-20")
    assert "milestone" not in _kinds(capsys, west, "2026-11-20T23:59:59Z")
    # 08:00 in Tokyo on the 21st is 23:00 UTC on the 20th: not yet the 21st's news on the 20th
    east = _flyer_in(tmp_path, "Asia/Tokyo", "2026-11-21T08:00:00+09:00")
    assert "milestone" not in _kinds(capsys, east, "2026-11-20")
    assert "milestone" in _kinds(capsys, east, "2026-11-21")


def test_the_library_takes_a_date_or_an_iso_string_the_same_way() -> None:
    history = pn.load(FLYER).customers[0]
    end = datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/London"))
    assert pn.build_context(history, "2026-11-20").as_of == end
    assert pn.build_context(history, date(2026, 11, 20)).as_of == end
    assert pn.build_context(history, "2026-11-20T18:00:00Z").as_of == datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert pn.build_context(history, "2026-11-20T18:00:00").as_of == datetime(2026, 11, 20, 18, tzinfo=UTC)
    draft = pn.draft_note(history, as_of="2026-11-20", model=FakeChatModel([GOOD]), max_candidates=1)
    assert isinstance(draft, pn.Draft) and draft.as_of == end and draft.moment.kind == "milestone"


@pytest.mark.parametrize("as_of", ["soon", "2026-13-01", 20261120, "0001-01-01"])
def test_a_bad_as_of_is_a_context_error_naming_it(as_of: Any) -> None:
    with pytest.raises(pn.ContextError, match="as_of"):
        pn.build_context(pn.load(FLYER).customers[0], as_of)


def test_without_as_of_the_clock_is_used_and_said_on_stderr(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONALNOTE_AS_OF", raising=False)
    before = datetime.now(UTC).replace(microsecond=0)
    assert main(["moments", str(FLYER)]) == 0
    after = datetime.now(UTC)
    err = capsys.readouterr().err
    found = re.search(r"as of (\S+Z) \(the clock; pass --as-of to fix it\)", err)
    assert found, err
    assert before <= datetime.fromisoformat(found.group(1)) <= after


@pytest.mark.parametrize("given", ["option", "environment"])
def test_a_given_as_of_prints_nothing_about_the_clock(given: str, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONALNOTE_AS_OF", raising=False)
    argv = ["moments", str(FLYER)]
    if given == "option":
        argv += ["--as-of", "2026-11-20"]
    else:
        monkeypatch.setenv("PERSONALNOTE_AS_OF", "2026-11-20")
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "the clock" not in captured.err and "milestone" in captured.out


def test_a_bad_as_of_in_the_environment_is_named(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONALNOTE_AS_OF", "tomorrow")
    assert main(["moments", str(FLYER)]) == 2
    assert "$PERSONALNOTE_AS_OF='tomorrow': not an ISO-8601 instant or date" in capsys.readouterr().err


def test_the_help_shows_as_of_in_the_example_session(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    session = [line.strip() for line in capsys.readouterr().out.splitlines()
               if line.strip().startswith(("personalnote moments", "personalnote draft"))]
    assert session and all("--as-of" in line for line in session)
    with pytest.raises(SystemExit):
        main(["moments", "--help"])
    assert "end of that day in the customer's time zone" in " ".join(capsys.readouterr().out.split())
