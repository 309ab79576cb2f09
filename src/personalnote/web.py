"""The review web app (``pip install 'personalnote[web]'``): reviewers sign drafts off in a browser.

The library's core never imports this module; ``personalnote serve`` and ``personalnote reviewer``
do, when they run. See docs/review-in-the-browser.md.

Example::

    from personalnote import ReviewQueue
    from personalnote.web import create_app, hash_password

    with ReviewQueue("review.sqlite3") as queue:
        queue.add_reviewer("alice", "Alice Smith", "crew", password_hash=hash_password(secret))
    app = create_app("review.sqlite3")        # an ASGI app: uvicorn, or serve("review.sqlite3")
"""

from __future__ import annotations

from ._web_app import bind_warning, create_app, serve
from ._web_auth import LoginThrottle, hash_password, verify_password

__all__ = ["LoginThrottle", "bind_warning", "create_app", "hash_password", "serve", "verify_password"]
