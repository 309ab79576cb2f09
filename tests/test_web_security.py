"""The review web app's security: CSRF, roles, escaping, downloads, sessions, logins, the bind address."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import personalnote as pn
from personalnote.cli import main
from personalnote.testing import FakeChatModel, answer_for
from personalnote.web import bind_warning, create_app, hash_password

from .support import LATER, SCRIPT, WEB_PASSWORD, web_draft

IMG = '<img src=x onerror="alert(1)">'


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def log_in(client: TestClient, reviewer: str = "alice", password: str = WEB_PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login", data={"csrf": csrf_of(page.text), "reviewer": reviewer, "password": password}
    )


def state_of(store: Path, draft_id: int) -> tuple[str, int]:
    with pn.ReviewQueue.open(store) as queue:
        item = queue.get(draft_id)
    return item.state, item.version


# --- CSRF ------------------------------------------------------------------------------------------


def test_a_forged_form_without_its_csrf_token_is_refused(web_store_path: Path) -> None:
    client = TestClient(create_app(web_store_path, as_of=LATER))
    log_in(client)
    good = csrf_of(client.get("/drafts/2").text)
    forged = [
        {"version": "1"},
        {"version": "1", "csrf": ""},
        {"version": "1", "csrf": "x" * 43},
        {"version": "1", "csrf": good + "x"},
    ]
    for data in forged:
        answer = client.post("/drafts/2/reject", data={**data, "reason": "forged"})
        assert answer.status_code == 403 and "CSRF" in answer.text
    cross_site = client.post(
        "/drafts/2/reject",
        data={"csrf": good, "version": "1", "reason": "forged"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403 and "another site" in cross_site.text
    assert state_of(web_store_path, 2) == ("drafted", 1)
    # the token of another session is no token for this one
    other = TestClient(client.app)
    log_in(other, "bob")
    answer = other.post("/drafts/2/reject", data={"csrf": good, "version": "1", "reason": "forged"})
    assert answer.status_code == 403 and state_of(web_store_path, 2) == ("drafted", 1)
    # and the real form goes through
    done = client.post("/drafts/2/reject", data={"csrf": good, "version": "1", "reason": "real"})
    assert done.status_code == 200 and state_of(web_store_path, 2) == ("rejected", 2)


def test_login_and_logout_need_the_token_too(web_store_path: Path) -> None:
    client = TestClient(create_app(web_store_path))
    client.get("/login")
    assert client.post("/login", data={"reviewer": "alice", "password": WEB_PASSWORD}).status_code == 403
    log_in(client)
    assert client.post("/logout", data={}).status_code == 403
    assert "Inbox" in client.get("/").text  # still logged in


# --- roles -----------------------------------------------------------------------------------------


def test_a_reviewer_without_the_role_cannot_approve(web_store_path: Path) -> None:
    client = TestClient(create_app(web_store_path, as_of=LATER))
    log_in(client, "sam")  # role "store": the default policy lets only "crew" approve cards
    page = client.get("/drafts/4").text  # a birthday card
    assert "may not approve a card note" in page
    answer = client.post("/drafts/4/approve", data={"csrf": csrf_of(page), "version": "1"})
    assert answer.status_code == 403 and "the role &#39;store&#39; may not approve a card note" in answer.text
    assert state_of(web_store_path, 4) == ("drafted", 1)
    # the same reviewer may approve an email; a policy can open cards to the role
    email = client.post("/drafts/5/approve", data={"csrf": csrf_of(page), "version": "1"})
    assert email.status_code == 200 and state_of(web_store_path, 5) == ("approved", 2)
    opened = TestClient(
        create_app(web_store_path, as_of=LATER, policy=pn.ApprovalPolicy.parse(["card=crew,store"]))
    )
    log_in(opened, "sam")
    answer = opened.post(
        "/drafts/4/approve", data={"csrf": csrf_of(opened.get("/drafts/4").text), "version": "1"}
    )
    assert answer.status_code == 200 and state_of(web_store_path, 4) == ("approved", 2)


def test_the_queue_enforces_the_policy_itself(web_store_path: Path) -> None:
    from .support import flyer

    with pn.ReviewQueue.open(web_store_path, approval_policy=pn.ApprovalPolicy.default()) as queue:
        with pytest.raises(pn.RoleError) as info:
            queue.approve(
                1,
                pn.Reviewer("sam", "Sam Lee", "store"),
                version=1,
                current=flyer(),
                as_of=LATER,
                override_reason="x",
            )
        assert (info.value.role, info.value.channel, info.value.allowed) == ("store", "card", ("crew",))
    assert state_of(web_store_path, 1) == ("drafted", 1)


# --- escaping ----------------------------------------------------------------------------------------


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    """Model output, a reviewer's name and role with markup; reasons and guidance get markup below."""
    path = tmp_path / "hostile.sqlite3"
    with pn.ReviewQueue(path) as queue:
        for name, body in (
            ("grey_trousers", f"The grey trousers {SCRIPT} are back {IMG} in your size."),
            ("tenth_purchase", f"Your tenth purchase, the tea caddy {SCRIPT}, thank you."),
        ):
            draft, ctx, source = web_draft(name, body)
            queue.submit(draft, ctx, source=source)
        queue.add_reviewer(
            "mallory", f"Mal {SCRIPT}", f"crew{IMG}", password_hash=hash_password(WEB_PASSWORD)
        )
        queue.add_reviewer("bob", "Bob Jones", "crew", password_hash=hash_password(WEB_PASSWORD))
    return path


def _clean(page: str, where: str) -> None:
    assert SCRIPT not in page and "<img src=x" not in page and "<script>alert" not in page, where
    assert "&lt;script&gt;" in page or where in ("export", "missing"), where


def test_markup_in_names_free_text_and_model_output_is_escaped_on_every_page(hostile_store: Path) -> None:
    model = FakeChatModel([lambda r: answer_for(r, f"Grey trousers {SCRIPT} back in your size for you.")] * 5)
    app = create_app(hostile_store, as_of=LATER, model=model)
    mallory, bob = TestClient(app), TestClient(app)
    _clean(log_in(mallory, f"x{SCRIPT}", "wrong password").text, "login")
    log_in(mallory, "mallory")
    log_in(bob, "bob")
    _clean(mallory.get("/").text, "inbox")
    _clean(mallory.get(f"/?q={SCRIPT}").text, "inbox-empty")
    page = mallory.get("/drafts/1").text
    _clean(page, "draft")
    token = csrf_of(page)
    checked = mallory.post(
        "/drafts/1/edit",
        data={"csrf": token, "version": "1", "action": "check", "text": f"Hello {SCRIPT} {IMG}"},
    )
    _clean(checked.text, "check")
    bobs = bob.get("/drafts/1").text
    edited = mallory.post(
        "/drafts/1/edit",
        data={
            "csrf": token,
            "version": "1",
            "action": "save",
            "text": f"The grey pair {SCRIPT} is back.",
            "reason": SCRIPT,
        },
    )
    _clean(edited.text, "edited")
    stale = bob.post("/drafts/1/reject", data={"csrf": csrf_of(bobs), "version": "1", "reason": SCRIPT})
    assert stale.status_code == 409
    _clean(stale.text, "stale")
    changed = mallory.post(
        "/drafts/1/change", data={"csrf": token, "version": "2", "guidance": f"No {SCRIPT}"}
    )
    _clean(changed.text, "changed")
    rejected = mallory.post(
        "/drafts/2/reject", data={"csrf": token, "version": "1", "reason": f"{SCRIPT}{IMG}"}
    )
    _clean(rejected.text, "rejected")
    _clean(mallory.get("/export").text, "export")
    _clean(mallory.get("/drafts/99").text, "missing")  # the error page names no markup either
    assert "Mal &lt;script&gt;" in mallory.get("/").text


# --- downloads ----------------------------------------------------------------------------------------


def test_downloads_allow_no_path_traversal(web_store_path: Path, tmp_path: Path) -> None:
    secret = web_store_path.parent / "secret.txt"
    secret.write_text("top secret")
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "notes.jsonl").write_text("{}\n")
    (exports / "link.txt").symlink_to(secret)
    client = TestClient(create_app(web_store_path, export_dir=exports))
    assert client.get("/exports/notes.jsonl", follow_redirects=False).status_code == 303  # a login first
    log_in(client)
    assert client.get("/exports/notes.jsonl").text == "{}\n"
    for path in (
        "/exports/..%2Fsecret.txt",
        "/exports/%2e%2e%2fsecret.txt",
        "/exports/..",
        "/exports/.%2e",
        "/exports/..%5Csecret.txt",
        "/exports/%2Fetc%2Fpasswd",
        "/exports/link.txt",
        "/exports/..%2F..%2Freview.sqlite3",
        "/exports/review.sqlite3",
        "/exports/.notes.jsonl",
    ):
        answer = client.get(path)  # (the client itself folds a bare "/exports/.." to "/")
        assert answer.status_code == 404 or not answer.url.path.startswith("/exports/"), path
        assert "top secret" not in answer.text and "SQLite format" not in answer.text, path
        assert "attachment" not in answer.headers.get("content-disposition", ""), path


# --- sessions and logins -------------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_samesite_and_secure_on_https(web_store_path: Path) -> None:
    app = create_app(web_store_path)
    client = TestClient(app)
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "reviewer": "alice", "password": WEB_PASSWORD},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    secure = TestClient(app, base_url="https://testserver")
    page = secure.get("/login")
    answer = secure.post(
        "/login",
        data={"csrf": csrf_of(page.text), "reviewer": "alice", "password": WEB_PASSWORD},
        follow_redirects=False,
    )
    assert "Secure" in answer.headers["set-cookie"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_logout_ends_the_session_even_for_a_copied_cookie(web_store_path: Path) -> None:
    client = TestClient(create_app(web_store_path))
    log_in(client)
    copied = dict(client.cookies)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    assert client.get("/", follow_redirects=False).status_code == 303
    thief = TestClient(client.app, cookies=copied)
    assert thief.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_a_disabled_account_is_logged_out_at_once(web_store_path: Path) -> None:
    client = TestClient(create_app(web_store_path))
    log_in(client)
    with pn.ReviewQueue.open(web_store_path) as queue:
        queue.disable_reviewer("alice")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert log_in(TestClient(client.app)).status_code == 401


def test_failed_logins_are_slowed_down_per_account_and_address(web_store_path: Path) -> None:
    app = create_app(web_store_path)
    now = [1000.0]
    app.state.personalnote.throttle.clock = lambda: now[0]
    client = TestClient(app)
    for _ in range(3):
        assert log_in(client, "alice", "wrong password").status_code == 401
    slowed = log_in(client, "alice")  # the right password, but too soon: not even checked
    assert (
        slowed.status_code == 429 and slowed.headers["retry-after"] == "3" and "try again in" in slowed.text
    )
    assert log_in(client, "bob").status_code == 429  # the same address
    now[0] += 2.5
    assert log_in(client, "alice").status_code == 200
    assert log_in(client, "alice", "wrong password").status_code == 401  # a success clears the account,
    now[0] += 0.1  # not the address: 4 failures
    assert log_in(TestClient(app), "alice").status_code == 429
    now[0] += 4
    assert log_in(TestClient(app), "alice").status_code == 200


# --- the proxy header ------------------------------------------------------------------------------------


def test_the_identity_header_is_ignored_unless_trusted(web_store_path: Path) -> None:
    header = {"X-Remote-User": "alice"}
    untrusted = TestClient(create_app(web_store_path), headers=header)
    assert untrusted.get("/", follow_redirects=False).status_code == 303
    trusted = TestClient(
        create_app(web_store_path, as_of=LATER, trust_proxy_header="X-Remote-User"), headers=header
    )
    page = trusted.get("/drafts/2").text
    assert "Alice Smith" in page
    done = trusted.post("/drafts/2/reject", data={"csrf": csrf_of(page), "version": "1", "reason": "no"})
    assert done.status_code == 200
    with pn.ReviewQueue.open(web_store_path) as queue:
        assert queue.history(2)[-1].reviewer_id == "alice"
    nobody = TestClient(trusted.app, headers={"X-Remote-User": "mallory"})
    assert "did not name an enabled reviewer" in nobody.get("/").text


# --- the bind address -----------------------------------------------------------------------------------


def test_the_app_binds_to_loopback_unless_told_otherwise_and_says_so(
    web_store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert main(["serve", "--store", str(web_store_path)]) == 0
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8000
    err = capsys.readouterr().err
    assert "warning" not in err and "http://127.0.0.1:8000/" in err
    assert main(["serve", "--store", str(web_store_path), "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert calls[-1]["host"] == "0.0.0.0" and calls[-1]["port"] == 8123
    assert "warning: serving on 0.0.0.0:8123, reachable from other machines" in capsys.readouterr().err
    assert bind_warning("::1", 80) is None and bind_warning("192.0.2.7", 80) is not None
