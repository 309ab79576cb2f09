"""Exports never destroy: nothing new writes nothing (exit 4), files are written atomically, --again
reprints on purpose; and the CLI's pdf export with its card sizes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import personalnote as pn
from personalnote.cli import main

from .support import ALICE, LATER, clean_draft, flyer, flyer_context


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[pn.ReviewQueue]:
    with pn.ReviewQueue(tmp_path / "review.sqlite3") as q:
        yield q


def _approved(queue: pn.ReviewQueue, prompt_version: str) -> pn.QueuedDraft:
    item = queue.submit(clean_draft(prompt_version), flyer_context())
    return queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=LATER)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("format", ["jsonl", "csv", "card", "pdf"])
def test_a_second_export_with_nothing_new_leaves_the_first_file_byte_identical(
        queue: pn.ReviewQueue, tmp_path: Path, format: pn.ExportFormat) -> None:
    _approved(queue, "first")
    out = tmp_path / f"notes.{format}"
    first = queue.export(format, out)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("notes.")}
    assert first.written and len(before) == (2 if format in ("card", "pdf") else 1)  # and the manifest
    second = queue.export(format, out)
    assert not second.written and second.draft_ids == () and second.manifest is None
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("notes.")}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_again_reprints_on_purpose_and_a_new_approval_is_written(queue: pn.ReviewQueue,
                                                                  tmp_path: Path) -> None:
    first = _approved(queue, "one")
    out = tmp_path / "cards.pdf"
    queue.export("pdf", out)
    reprint = queue.export("pdf", out, again=True)
    assert reprint.written and reprint.draft_ids == (first.id,)
    second = _approved(queue, "two")
    new = queue.export("pdf", out)
    assert new.written and new.draft_ids == (second.id,)  # only the new card: the first was printed


def test_a_failed_write_leaves_the_earlier_files_and_marks_nothing(queue: pn.ReviewQueue, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _approved(queue, "earlier")
    out = tmp_path / "cards.pdf"
    queue.export("pdf", out)
    earlier = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("cards.")}
    later = _approved(queue, "later")
    calls = []
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:  # the manifest, the second file, cannot be flushed: disk full
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(pn.ExportError, match="No space left on device"):
        queue.export("pdf", out)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("cards.")} == earlier
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert queue.get(later.id).state == "approved"  # not marked: it prints next time
    assert queue.export("pdf", out).draft_ids == (later.id,)


def test_the_cli_says_nothing_new_and_exits_4_keeping_the_file(
        capsys: pytest.CaptureFixture[str], queue: pn.ReviewQueue, tmp_path: Path) -> None:
    item = _approved(queue, "cli")
    out = tmp_path / "cards.pdf"
    store = ["--store", str(queue.path)]
    code, stdout, _ = _run(capsys, "export", "--format", "pdf", "--out", str(out), "--card-size", "5x7",
                           *store)
    manifest = tmp_path / "cards.manifest.csv"
    assert code == 0 and f"exported 1 approved note(s) to {out} (pdf, manifest {manifest})" in stdout
    printed = out.read_bytes()
    code, stdout, _ = _run(capsys, "export", "--format", "pdf", "--out", str(out), *store)
    assert code == 4 and "nothing new to export" in stdout and "the earlier file is kept" in stdout
    assert "--again" in stdout and out.read_bytes() == printed
    code, stdout, _ = _run(capsys, "export", "--format", "pdf", "--out", str(out), "--again", "--card-size",
                           "5x7", *store, "--json")
    result = json.loads(stdout)
    assert (code, result["written"], result["draft_ids"]) == (0, True, [item.id])
    assert result["manifest"] == str(tmp_path / "cards.manifest.csv") and out.read_bytes() == printed


def test_the_cli_reports_notes_it_does_not_print(capsys: pytest.CaptureFixture[str], queue: pn.ReviewQueue,
                                                 tmp_path: Path) -> None:
    from .support import channel_draft

    item = queue.submit(channel_draft("email", "cli-email"), flyer_context())
    queue.approve(item.id, ALICE, version=item.version, current=flyer(), as_of=LATER)
    code, _, err = _run(capsys, "export", "--format", "pdf", "--out", str(tmp_path / "c.pdf"), "--store",
                        str(queue.path))
    assert code == 4 and f"not printed: draft {item.id}: its channel is email" in err


def test_the_cli_refuses_a_card_size_that_is_no_page(capsys: pytest.CaptureFixture[str],
                                                      queue: pn.ReviewQueue, tmp_path: Path) -> None:
    _approved(queue, "size")
    code, _, err = _run(capsys, "export", "--format", "pdf", "--out", str(tmp_path / "c.pdf"), "--card-size",
                        "A7", "--store", str(queue.path))
    assert code == 2 and "card_size='A7'" in err and "A6, A5, 5x7, 4x6" in err
    assert not (tmp_path / "c.pdf").exists() and queue.drafts()[0].state == "approved"


def test_the_help_documents_exit_4_and_the_card_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "4  `export` had nothing new to write" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit status is 4" in out and "--card-size SIZE" in out and "A6, A5, 5x7, 4x6" in out
