from __future__ import annotations

import json

import pytest

from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import FIXTURES, GOOD


def test_draft_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeChatModel([GOOD])
    code = main(["draft", str(FIXTURES / "customers" / "flyer_2m_miles.json"), "--as-of",
                 "2026-11-20T18:00:00Z", "--signer", "Captain:A. Reyes", "--json"], model=fake)
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["customer_id"] == "C-1001" and out["moment"]["kind"] == "milestone"
    assert {"text", "claims"} <= set(out["draft"]) and "A. Reyes, Captain" in out["draft"]["text"]
    assert {"model", "prompt", "prompt_tokens", "completion_tokens", "attempts"} <= set(out["provenance"])


def test_draft_no_note_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draft", str(FIXTURES / "customers.jsonl"), "--customer", "C-7007", "--as-of",
                 "2026-11-20T18:00:00Z", "--json", "--model", "unused-model"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["draft"] is None and out["no_note_reasons"][0]["code"] == "do_not_contact"


def test_draft_unknown_customer_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draft", str(FIXTURES / "customers.jsonl"), "--customer", "C-NOPE"]) == 2
    assert "C-NOPE" in capsys.readouterr().err


def test_check_hand_written_note_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(FIXTURES / "customers" / "nothing_special.json"), "--text-file",
                 str(FIXTURES / "notes" / "janet_creepy.txt"), "--as-of", "2026-11-20T18:00:00Z", "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    kinds = {f["kind"] for f in out["findings"]}
    assert {"clock_time", "exact_interval", "quantity"} <= kinds
    assert all({"kind", "severity", "span", "message"} <= set(f) for f in out["findings"])


def test_check_merge_field_note_text(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(FIXTURES / "customers.jsonl"), "--customer", "C-7007", "--text-file",
                 str(FIXTURES / "notes" / "lester_merge_field.txt"), "--as-of", "2026-11-20T18:00:00Z"])
    assert code == 1 and "full-name salutation" in capsys.readouterr().out


def test_check_missing_text_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "customers" / "anniversary.json"), "--text-file", "nope.txt"]) == 2
    assert "nope.txt" in capsys.readouterr().err
