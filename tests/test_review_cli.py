from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from personalnote import ReviewQueue, StoreNotFoundError
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import FIXTURES, GOOD, Target

AS_OF = ["--as-of", "2026-11-20T18:00:00Z"]
LATER = ["--as-of", "2026-11-20T19:00:00Z"]
ALICE = ["--reviewer", "alice", "--name", "Alice Smith", "--role", "crew lead"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the flyer's file, so a test can change the customer's history after drafting."""
    path = tmp_path / "flyer.json"
    shutil.copy(FIXTURES / "customers" / "flyer_2m_miles.json", path)
    return path


@pytest.fixture
def store(store_url: Target, monkeypatch: pytest.MonkeyPatch) -> Target:
    """A new store on each backend: a SQLite file's path (not created yet), or a postgresql:// URL."""
    monkeypatch.delenv("PERSONALNOTE_STORE", raising=False)
    return store_url


@pytest.fixture
def file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite store's path, not created yet: what these tests of files on the command line need."""
    monkeypatch.delenv("PERSONALNOTE_STORE", raising=False)
    return tmp_path / "review.sqlite3"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), model=FakeChatModel([GOOD]))  # a fresh model for each command that drafts
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _queued(capsys: pytest.CaptureFixture[str], data: Path, store: Target) -> int:
    code, out, _ = _run(capsys, "draft", str(data), *AS_OF, "--signer", "Captain", "--store", str(store),
                        "--json")
    assert code == 0
    return int(json.loads(out)["queue"]["id"])


def test_draft_with_a_store_queues_it_and_prints_the_id(capsys: pytest.CaptureFixture[str], data: Path,
                                                        store: Target) -> None:
    code, out, _ = _run(capsys, "draft", str(data), *AS_OF, "--store", str(store))
    assert code == 0 and "Queued for review as draft 1 (version 1, drafted)" in out
    code, out, _ = _run(capsys, "review", "list", "--store", str(store), "--json")
    [item] = json.loads(out)["drafts"]
    assert (item["id"], item["state"], item["source"]) == (1, "drafted", str(data.resolve()))


def test_draft_without_a_store_queues_nothing(capsys: pytest.CaptureFixture[str], data: Path,
                                              file_store: Path, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    code, out, _ = _run(capsys, "draft", str(data), *AS_OF, "--json")
    assert code == 0 and "queue" not in json.loads(out) and not (tmp_path / "xdg").exists()


def test_store_comes_from_the_environment(capsys: pytest.CaptureFixture[str], data: Path, store: Target,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONALNOTE_STORE", str(store))
    code, out, _ = _run(capsys, "draft", str(data), *AS_OF, "--json")
    assert json.loads(out)["queue"]["store"] == str(store)
    code, out, _ = _run(capsys, "review", "show", "1", "--json")
    assert code == 0 and json.loads(out)["id"] == 1


def test_approve_edit_reject_export_and_stats(capsys: pytest.CaptureFixture[str], data: Path, store: Target,
                                              tmp_path: Path) -> None:
    draft_id = _queued(capsys, data, store)
    s = ["--store", str(store)]
    code, out, _ = _run(capsys, "review", "show", str(draft_id), *s)
    assert code == 0 and "Dear Ms Okafor" in out and "text SHA-256" in out
    note = tmp_path / "note.txt"
    note.write_text(json.loads(_run(capsys, "review", "show", str(draft_id), *s, "--json")[1])["text"]
                    .replace("with us", "with SkyMiles"))
    code, out, _ = _run(capsys, "review", "edit", str(draft_id), "--text-file", str(note), "--version", "1",
                        "--reviewer", "bob", "--reason", "name the programme", *s)
    assert code == 0 and "edited draft 1: now version 2 (edited)" in out
    code, out, _ = _run(capsys, "review", "approve", str(draft_id), "--version", "2", *LATER, *ALICE, *s,
                        "--json")
    approved = json.loads(out)
    assert approved["state"] == "approved" and approved["approval"]["printed_name"] == "Alice Smith"
    code, out, _ = _run(capsys, "export", "--format", "jsonl", "--out", str(tmp_path / "n.jsonl"), *s)
    assert code == 0 and "exported 1 approved note(s)" in out and "nothing was sent" in out
    assert json.loads((tmp_path / "n.jsonl").read_text())["text"] == note.read_text()
    code, out, _ = _run(capsys, "stats", *s, "--json")
    [stats] = json.loads(out)["prompts"]
    assert (stats["approved_edited"], stats["mean_edit_distance"]) == (1, 7.0)
    code, out, _ = _run(capsys, "review", "show", str(draft_id), *s)
    assert "edit     v2 bob (reviewer): name the programme" in out and "approve  v3 Alice Smith" in out
    code, out, _ = _run(capsys, "review", "verify", *s)
    assert code == 0 and "2 row(s), hash chain intact" in out


def test_a_stale_decision_exits_2_with_the_versions(capsys: pytest.CaptureFixture[str], data: Path,
                                                    store: Target) -> None:
    draft_id = _queued(capsys, data, store)
    s = ["--store", str(store)]
    assert _run(capsys, "review", "reject", str(draft_id), "--reason", "tone", "--reviewer", "bob",
                "--version", "1", *s)[0] == 0
    code, _, err = _run(capsys, "review", "approve", str(draft_id), "--version", "1", *LATER, *ALICE, *s)
    assert code == 2 and "you read version 1 but it is now version 2 (rejected)" in err
    assert "Traceback" not in err


def test_approval_rechecks_the_customer_file(capsys: pytest.CaptureFixture[str], data: Path,
                                             store: Target) -> None:
    draft_id = _queued(capsys, data, store)
    record = json.loads(data.read_text())
    record["events"].append({"kind": "support_case", "id": "S-9", "at": "2026-11-20T18:30:00Z",
                             "topic": "lost luggage", "status": "open"})
    data.write_text(json.dumps(record))
    code, _, err = _run(capsys, "review", "approve", str(draft_id), *LATER, *ALICE, "--store", str(store))
    assert code == 2 and "open_support_case" in err and "lost luggage" in err
    original = FIXTURES / "customers" / "flyer_2m_miles.json"
    code, out, _ = _run(capsys, "review", "approve", str(draft_id), "--data", str(original), *LATER, *ALICE,
                        "--store", str(store))
    assert code == 0 and "approved draft 1: now version 2 (approved)" in out


def test_signing_needs_a_reviewer(capsys: pytest.CaptureFixture[str], data: Path, store: Target) -> None:
    draft_id = _queued(capsys, data, store)
    with pytest.raises(SystemExit) as info:
        main(["review", "approve", str(draft_id), "--store", str(store)])
    assert info.value.code == 2 and "--reviewer" in capsys.readouterr().err
    code, _, err = _run(capsys, "review", "reject", str(draft_id), "--reason", "x", "--reviewer", " ",
                        "--store", str(store))
    assert code == 2 and "reviewer needs a non-empty id" in err


def test_unknown_draft_and_bad_store_exit_2(capsys: pytest.CaptureFixture[str], file_store: Path,
                                           tmp_path: Path) -> None:
    ReviewQueue(file_store).close()
    code, _, err = _run(capsys, "review", "show", "42", "--store", str(file_store))
    assert code == 2 and "draft 42: no such draft" in err
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("hello " * 500)
    code, _, err = _run(capsys, "stats", "--store", str(junk))
    assert code == 2 and "not a usable SQLite database" in err


def test_export_card_and_csv(capsys: pytest.CaptureFixture[str], data: Path, store: Target,
                             tmp_path: Path) -> None:
    draft_id = _queued(capsys, data, store)
    s = ["--store", str(store)]
    _run(capsys, "review", "approve", str(draft_id), *LATER, *ALICE, *s)
    code, out, _ = _run(capsys, "export", "--format", "card", "--out", str(tmp_path / "c.html"), *s, "--json")
    assert json.loads(out)["draft_ids"] == [draft_id]
    # the approver is in the manifest beside the card, never on it
    assert "Alice Smith" not in (tmp_path / "c.html").read_text()
    assert "Alice Smith,crew lead" in (tmp_path / "c.html.manifest.csv").read_text()
    code, out, _ = _run(capsys, "export", "--format", "csv", "--out", str(tmp_path / "c.csv"), *s, "--json")
    assert (code, json.loads(out)["count"], json.loads(out)["written"]) == (4, 0, False)
    assert not (tmp_path / "c.csv").exists()
    code, out, _ = _run(capsys, "export", "--format", "csv", "--out", str(tmp_path / "c.csv"), "--again", *s,
                        "--json")
    assert json.loads(out)["count"] == 1 and "Alice Smith" in (tmp_path / "c.csv").read_text()


def test_help_explains_the_review_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["review", "approve", "--help"])
    out = capsys.readouterr().out
    assert "re-checked" in out and "--override" in out and "--version" in out and "PERSONALNOTE_STORE" in out


@pytest.mark.parametrize("argv", [["review", "list"], ["review", "show", "1"], ["review", "verify"],
                                  ["review", "reject", "1", "--reason", "x", "--reviewer", "bob"],
                                  ["export", "--format", "csv", "--out", "{out}"], ["stats"]],
                         ids=["list", "show", "verify", "reject", "export", "stats"])
def test_a_store_that_does_not_exist_is_refused_not_created(argv: list[str], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "reveiw.sqlite3"
    args = [a.format(out=tmp_path / "out.csv") for a in argv]
    code, out, err = _run(capsys, *args, "--store", str(typo))
    assert code == 2 and out == ""
    assert f"review store {typo}: no such file: check --store for a typo" in err
    assert f"personalnote draft CUSTOMER_FILE --store {typo}" in err
    assert not typo.exists() and not (tmp_path / "out.csv").exists()


def test_the_default_store_is_not_created_by_reading_it(capsys: pytest.CaptureFixture[str],
                                                        file_store: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    code, _, err = _run(capsys, "review", "list")
    default = tmp_path / "xdg" / "personalnote" / "review.sqlite3"
    assert code == 2 and f"review store {default}: no such file: this is the default store" in err
    assert not (tmp_path / "xdg").exists()


def test_only_draft_creates_a_store_and_the_others_then_read_it(capsys: pytest.CaptureFixture[str],
                                                                data: Path, file_store: Path) -> None:
    store = file_store
    assert _run(capsys, "review", "list", "--store", str(store))[0] == 2
    assert _queued(capsys, data, store) == 1 and store.is_file()
    code, out, _ = _run(capsys, "review", "list", "--store", str(store))
    assert code == 0 and "drafted" in out


def test_an_empty_database_is_not_a_store_to_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "other.sqlite3"
    sqlite3.connect(empty).execute("PRAGMA user_version = 0").connection.close()
    code, _, err = _run(capsys, "stats", "--store", str(empty))
    assert code == 2 and "an empty database, not a review store" in err


def test_the_library_opens_without_creating_and_still_creates_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with pytest.raises(StoreNotFoundError) as info:
        ReviewQueue.open(path)
    assert info.value.path == str(path) and "no such file" in str(info.value) and not path.exists()
    with pytest.raises(StoreNotFoundError):
        ReviewQueue(path, create=False)
    ReviewQueue(path).close()  # the constructor creates one, as before
    with ReviewQueue.open(path, busy_timeout_ms=1000) as queue:
        assert queue.pending() == [] and queue.store.busy_timeout_ms == 1000


def test_review_edit_takes_the_body_alone(capsys: pytest.CaptureFixture[str], data: Path, store: Target,
                                          tmp_path: Path) -> None:
    draft_id = _queued(capsys, data, store)
    s = ["--store", str(store)]
    before = json.loads(_run(capsys, "review", "show", str(draft_id), *s, "--json")[1])["text"]
    body = tmp_path / "body.txt"
    body.write_text("Warm congratulations on passing 2 million miles with us on today's flight to JFK.\n")
    code, out, _ = _run(capsys, "review", "edit", str(draft_id), "--text-file", str(body),
                        "--reviewer", "bob", *s)
    assert code == 0 and "now version 2 (edited)" in out and "[blocking]" not in out
    after = json.loads(_run(capsys, "review", "show", str(draft_id), *s, "--json")[1])["text"]
    greeting, sign_off = before.split("\n\n")[0], before.split("\n\n", 2)[2]
    assert after == f"{greeting}\n\n{body.read_text().strip()}\n\n{sign_off}"
    assert after.startswith("Dear Ms Okafor,") and after.endswith("Captain")
    code, out, _ = _run(capsys, "review", "approve", str(draft_id), *LATER, *ALICE, *s)
    assert code == 0 and "(approved)" in out
