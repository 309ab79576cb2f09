"""Issue 12: hostile CLI calls end in a typed error and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from personalnote.cli import main

from .support import FIXTURES

AT = "2026-11-20T18:00:00Z"


def test_check_on_a_file_holding_an_empty_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "c.json"
    data.write_text("[]")
    note = tmp_path / "n.txt"
    note.write_text("Dear Ana,\n\nThank you.\n")
    assert main(["check", str(data), "--text-file", str(note), "--as-of", AT]) == 2
    assert "no customer" in capsys.readouterr().err


def test_check_with_a_text_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = tmp_path / "n.txt"
    note.write_bytes(b"Dear \xff\xfe Ana")
    data = FIXTURES / "customers" / "grey_trousers.json"
    assert main(["check", str(data), "--text-file", str(note), "--as-of", AT]) == 2
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("draft_id", ["99999999999999999999", "-1", "9223372036854775808"])
def test_review_show_with_a_huge_id_is_a_usage_error(tmp_path: Path, draft_id: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["review", "show", draft_id, "--store", str(tmp_path / "r.db")])
    assert info.value.code == 2 and "out of range" in capsys.readouterr().err
