"""Reviewer accounts in the store, `personalnote reviewer`, and the policy of roles per channel."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import personalnote as pn
from personalnote.cli import main
from personalnote.web import hash_password, verify_password

from .support import WEB_PASSWORD, clean_draft, flyer_context


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "review.sqlite3"
    with pn.ReviewQueue(path) as queue:
        queue.submit(clean_draft(), flyer_context())
    return path


def test_accounts_keep_an_argon2_hash_never_the_password(store: Path) -> None:
    with pn.ReviewQueue.open(store) as queue:
        account = queue.add_reviewer(
            "alice", "Alice  Smith", "crew", password_hash=hash_password(WEB_PASSWORD)
        )
        assert (account.id, account.printed_name, account.role, account.disabled) == (
            "alice",
            "Alice Smith",
            "crew",
            False,
        )
        assert account.reviewer == pn.Reviewer("alice", "Alice Smith", "crew")
        stored = queue.store.query("SELECT password_hash FROM reviewers")[0][0]
        assert stored.startswith("$argon2id$") and WEB_PASSWORD not in stored
        assert verify_password(stored, WEB_PASSWORD) and not verify_password(stored, WEB_PASSWORD + "x")
        assert not verify_password(None, WEB_PASSWORD)
        with pytest.raises(pn.ReviewError, match="already exists"):
            queue.add_reviewer("alice", "A", "crew", password_hash=stored)
        with pytest.raises(pn.ReviewError, match="argon2 hash"):
            queue.add_reviewer("bob", "Bob", "crew", password_hash="plain text")
        with pytest.raises(pn.ReviewError, match="no spaces"):
            queue.add_reviewer("bob smith", "Bob", "crew", password_hash=stored)
        disabled = queue.disable_reviewer("alice")
        assert disabled.disabled and queue.reviewer_accounts() == [disabled]
        assert not queue.disable_reviewer("alice", disabled=False).disabled
        with pytest.raises(pn.ReviewError, match="no reviewer 'carol'"):
            queue.disable_reviewer("carol")
    with pytest.raises(pn.ArgumentError, match="at least 10 characters"):
        hash_password("short")


def test_the_cli_adds_lists_and_disables_accounts(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text(WEB_PASSWORD + "\n")
    assert (
        main(
            [
                "reviewer",
                "add",
                "alice",
                "--name",
                "Alice Smith",
                "--role",
                "crew",
                "--password-file",
                str(secret),
                "--store",
                str(store),
            ]
        )
        == 0
    )
    assert "added reviewer alice (Alice Smith, crew)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(WEB_PASSWORD + "\n"))  # a script pipes it in
    assert (
        main(["reviewer", "add", "sam", "--name", "Sam Lee", "--role", "store", "--store", str(store)]) == 0
    )
    capsys.readouterr()
    assert main(["reviewer", "disable", "sam", "--store", str(store)]) == 0
    assert main(["reviewer", "list", "--json", "--store", str(store)]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])["reviewers"]
    assert [(a["id"], a["role"], a["disabled"]) for a in listed] == [
        ("alice", "crew", False),
        ("sam", "store", True),
    ]
    assert "password_hash" not in json.dumps(listed)
    secret.write_text("short\n")
    assert (
        main(
            [
                "reviewer",
                "add",
                "bob",
                "--name",
                "Bob",
                "--role",
                "crew",
                "--password-file",
                str(secret),
                "--store",
                str(store),
            ]
        )
        == 2
    )
    assert "at least 10 characters" in capsys.readouterr().err
    missing = tmp_path / "typo.sqlite3"
    assert main(["reviewer", "list", "--store", str(missing)]) == 2 and not missing.exists()


def test_the_approval_policy() -> None:
    default = pn.ApprovalPolicy.default()
    assert default.may_approve("crew", "card") and not default.may_approve("store", "card")
    assert default.may_approve("store", "letter") and default.may_approve("anyone", "email")
    policy = pn.ApprovalPolicy.parse(["card=crew, purser", "letter=store", "email=compliance", "email=*"])
    assert policy.may_approve("purser", "card") and not policy.may_approve("crew", "letter")
    assert policy.may_approve("anyone", "email")
    assert policy.describe() == ["card: crew, purser", "email: any role", "letter: store", "sms: any role"]
    for bad in ("card", "card=", "=crew"):
        with pytest.raises(pn.ArgumentError):
            pn.ApprovalPolicy.parse([bad])
    with pytest.raises(pn.ArgumentError, match="not channels"):
        pn.ApprovalPolicy.parse(["fax=crew"])
