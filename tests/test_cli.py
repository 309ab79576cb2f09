from __future__ import annotations

import json
import subprocess
import sys

import pytest

import personalnote
from personalnote.cli import main

from .support import FIXTURES


def test_moments_json_for_every_fixture_customer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["moments", str(FIXTURES / "customers.jsonl"), "--as-of", "2026-11-20T18:00:00Z",
                 "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_id = {r["customer_id"]: r for r in rows}
    assert len(rows) >= 10
    flyer = by_id["C-1001"]
    assert flyer["no_note_reasons"] == []
    assert {"kind", "evidence", "strength", "why_now"} <= set(flyer["moments"][0])
    assert by_id["C-3003"]["moments"] == [] and by_id["C-3003"]["no_note_reasons"][0]["code"] == "no_moment"


def test_separate_business_events_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["moments", str(FIXTURES / "customers" / "tenth_purchase.json"), "--as-of",
                 "2026-11-20T18:00:00Z", "--business-events", str(FIXTURES / "business_events.json"),
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert [m["kind"] for m in row["moments"]] == ["nth_purchase"]


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["moments", str(FIXTURES / "customers" / "do_not_contact.json"),
                 "--as-of", "2026-11-20T18:00:00Z"]) == 0
    assert "do_not_contact" in capsys.readouterr().out


def test_bad_input_exits_2_with_message_on_stderr() -> None:
    done = subprocess.run([sys.executable, "-m", "personalnote", "moments",
                           str(FIXTURES / "malformed" / "bad_events.json")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "events[0].at" in done.stderr and done.stdout == ""


def test_bad_as_of_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["moments", str(FIXTURES / "customers" / "anniversary.json"), "--as-of", "soon"]) == 2
    assert "ISO-8601" in capsys.readouterr().err


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"personalnote {personalnote.__version__}"


def test_moments_reads_a_folder_as_draft_does(capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "customers"
    assert main(["moments", str(folder), "--as-of", "2026-11-20T18:00:00Z", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    histories, _, _ = personalnote.load_customers(folder)
    assert [r["customer_id"] for r in rows] == [h.customer.id for h in histories]
    assert len(rows) == len(list(folder.glob("*.json"))) > 1
    assert any(m["kind"] == "milestone" for r in rows for m in r["moments"])
