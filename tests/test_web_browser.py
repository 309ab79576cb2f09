"""The review web app in a real browser: Playwright driving Debian's Chromium (never a downloaded one).

The app runs in a uvicorn thread on 127.0.0.1; every wait is Playwright's auto-waiting with a generous
timeout, so a slow, loaded machine only makes the test slower. Without Chromium the tests skip, except
under CI (CI=true), where they fail: .ci/run installs the chromium package.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from personalnote.testing import FakeChatModel, answer_for
from personalnote.web import create_app

from .support import CHROMIUM_ARGS, LATER, WEB_CLEAN_BODY, WEB_PASSWORD, LiveServer, chromium_path

#: Playwright's waits: generous, for a loaded machine (milliseconds)
TIMEOUT = 60_000
REDRAFT = "The grey pair you asked about is back in your size, and we have kept one for you."


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium); under CI this fails")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _log_in(browser: Any, url: str, reviewer: str) -> Any:
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=reviewer]", reviewer)
    page.fill("input[name=password]", WEB_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#drafts")
    return page


def test_a_reviewer_edits_approves_and_exports_and_a_second_one_gets_the_stale_page(
    browser: Any, web_store_path: Path, tmp_path: Path
) -> None:
    model = FakeChatModel([lambda request: answer_for(request, REDRAFT)] * 3)
    app = create_app(web_store_path, as_of=LATER, model=model, export_dir=tmp_path / "exports")
    with LiveServer(app) as server:
        alice = _log_in(browser, server.url, "alice")
        assert alice.inner_text("#signed-in-as").startswith("Alice Smith")
        alice.click("#row-1 a")
        alice.wait_for_selector("#note mark.pn-blocking")
        assert alice.inner_text("#blocking-count") == "3 blocking"

        # check without saving: the findings of the typed text, the draft unchanged
        alice.fill("#edit-text", WEB_CLEAN_BODY)
        alice.click("#check-button")
        alice.wait_for_selector("#preview")
        assert alice.inner_text("#preview-blocking") == "0 blocking"
        assert alice.inner_text("#version") == "version 1"

        # save: a new version whose findings are checked again
        alice.click("#save-button")
        alice.wait_for_selector(".flash")
        assert "now version 2 (edited)" in alice.inner_text(".flash")
        assert alice.inner_text("#blocking-count") == "0 blocking"
        assert alice.locator("#note mark.pn-blocking").count() == 0
        assert "today's flight to JFK" in alice.inner_text("#note")

        # a second reviewer reads version 2 in another browser context
        bob = _log_in(browser, server.url, "bob")
        bob.goto(f"{server.url}/drafts/1")
        bob.fill("#reject-reason", "too late for this flight")

        alice.click("#approve-button")
        alice.wait_for_selector(".flash")
        assert "now version 3 (approved)" in alice.inner_text(".flash")
        assert alice.inner_text("#state") == "approved"

        bob.click("#reject-button")
        bob.wait_for_selector("#stale-message")
        assert "Alice Smith (crew), approve" in bob.inner_text("#decided-by")
        assert "today's flight to JFK" in bob.inner_text("#current-text")

        # export the approved card and download it
        alice.click("text=Export")
        with alice.expect_download(timeout=TIMEOUT) as download_info:
            alice.click("#export-jsonl")
            alice.wait_for_selector("#download")
            alice.click("#download")
        exported = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["draft_id"] for line in exported] == [1]
        assert json.loads(exported[0])["approval"]["printed_name"] == "Alice Smith"


def test_a_request_for_a_change_produces_a_new_version_and_the_keys_move_through_the_inbox(
    browser: Any, web_store_path: Path
) -> None:
    model = FakeChatModel([lambda request: answer_for(request, REDRAFT)] * 3)
    from playwright.sync_api import expect

    with LiveServer(create_app(web_store_path, as_of=LATER, model=model)) as server:
        page = _log_in(browser, server.url, "sam")
        page.keyboard.press("j")  # the first row is selected on load; j moves to the second
        assert page.get_attribute("#row-2", "class") == "row selected"
        page.keyboard.press("c")  # request a change of the selected draft
        page.wait_for_url(re.compile(r"/drafts/2\?focus=change$"))
        page.wait_for_selector("#change.focused")
        expect(page.locator("#guidance")).to_be_focused(timeout=TIMEOUT)
        page.keyboard.type("Say the grey pair, and that we kept one.")
        page.click("#change-button")
        page.wait_for_selector(".flash")
        assert "now version 2 (drafted)" in page.inner_text(".flash")
        assert page.inner_text("#note").count(REDRAFT) == 1
        assert page.locator("#signatures td", has_text="request_change").count() == 1
        assert "Say the grey pair" in model.requests[0].messages[-1]["content"]
