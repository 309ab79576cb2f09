from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from personalnote.cli import EXIT_BLOCKED, main
from personalnote.testing import FakeChatModel

from .support import FIXTURES, GOOD, PARIS


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


def test_a_draft_with_blocking_findings_exits_3_and_says_what_next(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    flyer = str(FIXTURES / "customers" / "flyer_2m_miles.json")
    argv = ["draft", flyer, "--as-of", "2026-11-20", "--signer", "Captain"]
    assert main([*argv, "--json"], model=FakeChatModel([PARIS] * 3)) == EXIT_BLOCKED == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["findings"][0]["severity"] == "blocking"
    assert "1 draft(s) with blocking findings (clock_time, unsupported_detail): C-1001." in captured.err
    assert "draft again" in captured.err and "--store PATH" in captured.err
    store = tmp_path / "review.sqlite3"
    assert main([*argv, "--store", str(store)], model=FakeChatModel([PARIS] * 3)) == 3
    err = capsys.readouterr().err
    assert f"`personalnote review edit 1 --text-file BODY.txt --reviewer YOU --store {store}`" in err
    assert "C-1001 (draft 1)" in err and "--override REASON" in err
    assert main([*argv, "--json"], model=FakeChatModel([GOOD])) == 0
    assert capsys.readouterr().err == ""


def test_a_batch_with_a_blocked_draft_exits_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "customers"
    folder.mkdir()
    for name in ("flyer_2m_miles.json", "do_not_contact.json"):
        shutil.copy(FIXTURES / "customers" / name, folder / name)
    argv = ["draft", str(folder), "--as-of", "2026-11-20T18:00:00Z", "--json"]
    assert main(argv, model=FakeChatModel([PARIS] * 3)) == 3
    assert "1 draft(s) with blocking findings" in capsys.readouterr().err
    assert main(argv, model=FakeChatModel([GOOD])) == 0
    assert "blocking" not in capsys.readouterr().err
