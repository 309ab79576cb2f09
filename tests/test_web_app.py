"""The review web app through Starlette's TestClient: inbox, draft page, decisions, stale versions, export."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import personalnote as pn
from personalnote.testing import FakeChatModel, answer_for
from personalnote.web import create_app

from .support import LATER, WEB_CLEAN_BODY, WEB_PASSWORD

Login = Callable[..., TestClient]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


@pytest.fixture
def login(web_store_path: Path) -> Login:
    """A logged-in client: login(reviewer="alice", **create_app options)."""

    def make(reviewer: str = "alice", app: Any = None, **options: Any) -> TestClient:
        client = TestClient(app or create_app(web_store_path, as_of=options.pop("as_of", LATER), **options))
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={"csrf": csrf_of(page.text), "reviewer": reviewer, "password": WEB_PASSWORD, "next": "/"},
        )
        assert answer.status_code == 200 and "Inbox" in answer.text, answer.text[:500]
        return client

    return make


def post(client: TestClient, page: str, to: str, **data: str) -> Any:
    """Send a form of ``page`` (fetched now, for its CSRF token and version) to ``to``."""
    html = client.get(page).text
    version = re.search(r'name="version" value="(\d+)"', html)
    fields = {"csrf": csrf_of(html), **({"version": version.group(1)} if version else {}), **data}
    return client.post(to, data=fields)


def test_the_inbox_lists_pending_drafts_with_what_a_reviewer_needs(login: Login) -> None:
    page = login().get("/").text
    assert page.count('class="row') == 5
    row = page[page.index('id="row-1"') : page.index('id="row-2"')]
    for shown in (
        "drafted",
        "Margaret Okafor",
        "C-1001",
        "milestone",
        "card",
        'class="blocking-count">3<',
        "04 Dec 2026",
    ):
        assert shown in row, shown
    ahead = page[page.index('id="row-3"') : page.index('id="row-4"')]
    assert "for 21 November" in ahead and "letter" in ahead and "expired" not in ahead


def test_filters_and_search(login: Login) -> None:
    client = login()
    assert client.get("/?channel=letter").text.count('class="row') == 1
    assert client.get("/?q=okafor").text.count('class="row') == 2  # the flyer, and a letter for another
    assert client.get("/?q=grey+trousers").text.count('class="row') == 1  # the note's text
    assert client.get("/?q=C-1001").text.count('class="row') == 1
    assert "Nothing here for this filter" in client.get("/?q=nobody-at-all").text
    assert client.get("/?state=approved").text.count('class="row') == 0


def test_expired_drafts_show_as_expired_and_can_be_filtered(login: Login) -> None:
    client = login(as_of=LATER + timedelta(days=8))  # the grey trousers and the birthday were fresh until
    page = client.get("/?expired=yes").text  # 28 and 26 November
    assert page.count('class="row expired"') == 2 and "C-2002" in page and "C-2201" in page
    assert "expired-badge" in page and "C-1001" not in page
    assert client.get("/?expired=no").text.count('class="row') == 3
    draft = client.get("/drafts/2").text
    assert 'id="expired"' in draft and "cannot be approved" in draft


def test_the_draft_page_shows_findings_facts_moment_and_no_diff_yet(login: Login) -> None:
    page = login().get("/drafts/1").text
    assert '<mark class="pn-blocking"' in page and "3:41pm" in page
    assert 'id="blocking-count" class="blocking-count">3 blocking' in page
    assert "derived:milestone:L-5502" in page and "passed 2 million miles" in page
    assert "None: this is the model's text." in page and "None yet." in page
    assert "Override reason (required: 3 blocking findings)" in page


def test_check_reruns_the_checks_without_saving(login: Login) -> None:
    client = login()
    answer = post(client, "/drafts/1", "/drafts/1/edit", text=WEB_CLEAN_BODY, action="check")
    assert answer.status_code == 200 and 'id="preview-blocking">0 blocking' in answer.text
    assert "with us on today&#39;s flight to JFK" in answer.text and 'id="version">version 1<' in answer.text
    with pn.ReviewQueue.open(client.app.state.personalnote.settings.store) as queue:  # type: ignore[attr-defined]
        assert queue.get(1).version == 1


def test_an_edit_saves_a_new_version_whose_findings_update_then_it_is_approved(login: Login) -> None:
    client = login()
    edited = post(
        client, "/drafts/1", "/drafts/1/edit", text=WEB_CLEAN_BODY, action="save", reason="no clock"
    )
    assert "Edited: draft 1 is now version 2 (edited)" in edited.text
    assert 'id="blocking-count" class="">0 blocking' in edited.text
    assert 'class="diff-add">+' in edited.text and 'class="diff-del">-' in edited.text
    approved = post(client, "/drafts/1", "/drafts/1/approve")
    assert "Approved: draft 1 is now version 3 (approved)" in approved.text
    assert re.search(
        r"<td>3</td><td>approve</td><td>Alice Smith <code>alice</code></td>\s*<td>crew</td>", approved.text
    )


def test_blocking_findings_need_an_override_reason(login: Login) -> None:
    client = login()
    refused = post(client, "/drafts/1", "/drafts/1/approve")
    assert refused.status_code == 400 and "blocking" in refused.text and 'id="state">drafted' in refused.text
    approved = post(client, "/drafts/1", "/drafts/1/approve", override_reason="the captain asked for it")
    assert "now version 2 (approved)" in approved.text and "the captain asked for it" in approved.text
    with pn.ReviewQueue.open(client.app.state.personalnote.settings.store) as queue:  # type: ignore[attr-defined]
        signature = queue.history(1)[-1]
    assert (signature.meaning, signature.reviewer_id, signature.printed_name, signature.role) == (
        "override",
        "alice",
        "Alice Smith",
        "crew",
    )


def test_reject_needs_a_reason_and_signs_it(login: Login) -> None:
    client = login("sam")
    assert post(client, "/drafts/2", "/drafts/2/reject", reason="  ").status_code == 400
    rejected = post(client, "/drafts/2", "/drafts/2/reject", reason="he said no to blue")
    assert (
        "Rejected: draft 2 is now version 2 (rejected)" in rejected.text
        and "he said no to blue" in rejected.text
    )
    assert "no decision is open" in rejected.text


def test_a_request_for_a_change_drafts_a_new_version(login: Login) -> None:
    model = FakeChatModel(
        [lambda request: answer_for(request, "The grey pair is back in your size for you.")]
    )
    client = login(model=model)
    answer = post(client, "/drafts/2", "/drafts/2/change", guidance="Say the grey pair, not trousers.")
    assert "Drafted again: draft 2 is now version 2 (drafted)" in answer.text
    assert "The grey pair is back in your size for you." in answer.text
    assert "request_change" in answer.text and "Say the grey pair, not trousers." in answer.text
    assert (
        'Reviewer\'s instruction: "Say the grey pair, not trousers."'
        in model.requests[0].messages[-1]["content"]
    )


def test_a_second_reviewer_on_a_stale_version_sees_who_decided_first(
    login: Login, web_store_path: Path
) -> None:
    app = create_app(web_store_path, as_of=LATER)
    alice, bob = login("alice", app=app), login("bob", app=app)
    bobs_page = bob.get("/drafts/4").text  # Bob reads version 1
    assert post(alice, "/drafts/4", "/drafts/4/reject", reason="not this week").status_code == 200
    stale = bob.post("/drafts/4/approve", data={"csrf": csrf_of(bobs_page), "version": "1"})
    assert stale.status_code == 409
    assert (
        "Someone decided first" in stale.text and 'id="decided-by">Alice Smith (crew), reject<' in stale.text
    )
    assert "Happy birthday from all of us" in stale.text and "Nothing was overwritten" in stale.text
    with pn.ReviewQueue.open(web_store_path) as queue:
        assert queue.get(4).state == "rejected" and len(queue.history(4)) == 1


def test_export_writes_a_new_file_to_download_and_never_overwrites(
    login: Login, web_store_path: Path
) -> None:
    client = login("sam")
    post(client, "/drafts/5", "/drafts/5/approve")
    page = client.get("/export").text
    assert all(f'id="export-{f}"' in page for f in ("jsonl", "csv", "card"))
    done = post(client, "/export", "/export", format="jsonl")
    name = re.search(r'href="/exports/([^"]+)" id="download"', done.text)
    assert done.status_code == 200 and name and "Exported 1 note" in done.text
    download = client.get(f"/exports/{name.group(1)}")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert [json.loads(line)["draft_id"] for line in download.text.splitlines()] == [5]
    again = post(client, "/export", "/export", format="jsonl")
    assert (
        "Nothing new to export" in again.text
        and len(list((web_store_path.parent / "review-exports").iterdir())) == 1
    )
    reprint = post(client, "/export", "/export", format="jsonl", again="on")
    assert "Exported 1 note" in reprint.text


def test_a_login_needs_the_right_password_and_a_page_needs_a_login(web_store_path: Path) -> None:
    client = TestClient(create_app(web_store_path))
    first = client.get("/drafts/1", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/drafts/1"
    page = client.get("/login?next=/drafts/1")
    wrong = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "reviewer": "alice", "password": "nope", "next": "/drafts/1"},
    )
    assert wrong.status_code == 401 and "Wrong reviewer id or password" in wrong.text
    right = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "reviewer": "alice", "password": WEB_PASSWORD, "next": "/drafts/1"},
    )
    assert right.status_code == 200 and "Draft 1" in right.text
    other = TestClient(client.app)
    outside = other.post(
        "/login",
        data={
            "csrf": csrf_of(other.get("/login").text),
            "reviewer": "alice",
            "password": WEB_PASSWORD,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert outside.headers["location"] == "/"


def test_the_assets_ship_in_the_package_and_nothing_loads_from_elsewhere(login: Login) -> None:
    client = login()
    assert "keydown" in client.get("/static/app.js").text and client.get("/static/app.css").status_code == 200
    package = Path(pn.__file__).parent
    for path in [*(package / "templates").iterdir(), *(package / "static").iterdir()]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]
