"""Screenshots of the review web app for docs/review-in-the-browser.md (run by scripts/screenshots).

A store of fake-model drafts for five fixture customers (tests/support.py: web_store), served on
127.0.0.1 by uvicorn in a thread, photographed by Playwright driving Debian's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from tests.support import CHROMIUM_ARGS, LATER, WEB_PASSWORD, LiveServer, chromium_path, web_store

from personalnote.web import create_app

OUT = Path(__file__).resolve().parent.parent / "docs" / "images"


def main() -> int:
    executable = chromium_path()
    if executable is None:
        print("screenshots: Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        store = web_store(Path(folder) / "review.sqlite3")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        with LiveServer(create_app(store, as_of=LATER)) as server:
            page = browser.new_page(viewport={"width": 1360, "height": 760}, device_scale_factor=1)
            page.set_default_timeout(60_000)
            page.goto(f"{server.url}/login")
            page.fill("input[name=reviewer]", "alice")
            page.fill("input[name=password]", WEB_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#drafts")
            page.screenshot(path=str(OUT / "web-inbox.png"), full_page=True)
            page.goto(f"{server.url}/drafts/1")
            page.wait_for_selector("#note mark.pn-blocking")
            page.set_viewport_size({"width": 1360, "height": 1100})
            page.screenshot(path=str(OUT / "web-draft.png"), full_page=False)
        browser.close()
    print(f"wrote {OUT / 'web-inbox.png'} and {OUT / 'web-draft.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
