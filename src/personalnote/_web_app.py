"""The review web app: a Starlette application over one review store, and the server that runs it.

Every asset is in the package (``templates/``, ``static/``): nothing loads from another site, and
the Content-Security-Policy says so to the browser (scripts from the app only). The server binds to
127.0.0.1 unless told otherwise, and says plainly when it is told otherwise.

Example::

    app = create_app("review.sqlite3", model="gpt-4o-mini")
    serve("review.sqlite3", host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _constants as C
from ._chat import ChatModel
from ._errors import ConfigurationError
from ._instants import AsOf, instant_in
from ._review import ReviewQueue
from ._reviewers import ApprovalPolicy
from ._store import store_location
from ._store_dialect import masked_url
from ._web_pages import render
from ._web_routes import WebSettings, WebState, review_routes

__all__ = ["bind_warning", "create_app", "serve"]

#: the browser may load scripts, styles and images from the app only; no frames, forms post to the app
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
_HEADERS = [(b"content-security-policy", _CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
            (b"cache-control", b"no-store")]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _SecurityHeaders:
    """Adds the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(n, v) for n, v in _HEADERS if n not in names]]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 303 and exc.headers and "Location" in exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=303)
    html = render("error.html", reviewer=None, csrf="", flash=None, proxy=False, status=exc.status_code,
                  message=exc.detail)
    return Response(html, status_code=exc.status_code, media_type="text/html", headers=exc.headers)


def _secret(secret: bytes | str | None) -> bytes:
    """The key that signs session cookies: the argument, else $PERSONALNOTE_WEB_SECRET, else a random one."""
    value = secret if secret is not None else os.environ.get(C.ENV_WEB_SECRET)
    if not value:
        return secrets.token_bytes(32)
    raw = value.encode() if isinstance(value, str) else value
    if len(raw) < C.SIGNING_KEY_MIN_BYTES:
        raise ConfigurationError(f"the web app's session secret is {len(raw)} bytes; use at least "
                                 f"{C.SIGNING_KEY_MIN_BYTES} random bytes (${C.ENV_WEB_SECRET})")
    return raw


def create_app(store: str | Path | None = None, *, model: ChatModel | str | None = None,
               policy: ApprovalPolicy | None = None, as_of: AsOf | None = None,
               trust_proxy_header: str | None = None, export_dir: str | Path | None = None,
               data: str | Path | None = None, preset: str | None = None,
               business_events: str | Path | None = None, secret: bytes | str | None = None,
               clock: Callable[[], datetime] | None = None) -> Starlette:
    """The review web app for the store at ``store`` (else ``$PERSONALNOTE_STORE``, else the default).

    - ``model``: drafts a requested change (default: each draft's own model, by name).
    - ``policy``: which role may approve which channel (default ``ApprovalPolicy.default()``: cards
      by the role ``crew`` only).
    - ``as_of``: a fixed instant for every re-check (a demo, a test; a date is the end of that day,
      UTC); else the clock at each request.
    - ``trust_proxy_header``: the name of a header in which a reverse proxy names the logged-in
      reviewer's account id (off by default: reviewers log in with their password).
    - ``export_dir``: where exports are written (default: beside the store, ``<store>-exports``; a store
      in PostgreSQL, at a ``postgresql://`` URL, needs it given).
    - ``data``, ``preset``, ``business_events``: the customers' current file for re-checking moments
      (default: each draft's own source file).
    - ``secret``: signs session cookies (default ``$PERSONALNOTE_WEB_SECRET``, else random per process).

    Example::

        app = create_app("review.sqlite3", policy=ApprovalPolicy.parse(["card=crew,purser"]))
    """
    path = store_location(store)
    if isinstance(path, Path) and not path.is_file():
        raise ConfigurationError(f"no review store at {path}: `personalnote draft ... --store {path}` makes "
                                 "one")
    if isinstance(path, str):  # PostgreSQL: the store must exist (its owner makes it), exports go elsewhere
        if not export_dir:
            raise ConfigurationError(f"a review store in PostgreSQL ({masked_url(path)}) has no folder to "
                                     "write exports beside: give export_dir (--export-dir)")
        ReviewQueue.open(path).close()
    header = (trust_proxy_header or "").strip() or None
    settings = WebSettings(
        store=path, policy=policy or ApprovalPolicy.default(),
        as_of=instant_in(as_of, "UTC", caller="create_app") if as_of is not None else None,
        model=model, trust_proxy_header=header, export_dir=Path(export_dir) if export_dir else None,
        data=Path(data) if data else None, preset=preset,
        business_events=Path(business_events) if business_events else None, secret=_secret(secret))
    if clock is not None:
        settings.clock = clock
    static = StaticFiles(directory=str(resources.files("personalnote") / "static"))
    app = Starlette(routes=[*review_routes(), Mount("/static", static, name="static")],
                    exception_handlers={HTTPException: _http_error})
    app.state.personalnote = WebState(settings)
    app.add_middleware(_SecurityHeaders)
    return app


def bind_warning(host: str, port: int) -> str | None:
    """The warning printed when the app is told to listen beyond this machine (None on loopback)."""
    if host in _LOOPBACK:
        return None
    return (f"personalnote: warning: serving on {host}:{port}, reachable from other machines, not only "
            "this one. Put it behind a reverse proxy that serves HTTPS (session cookies are then "
            "marked Secure), or bind to 127.0.0.1 (the default).")


def serve(store: str | Path | None = None, *, host: str = C.WEB_HOST, port: int = C.WEB_PORT,
          log_level: str = "info", forwarded_allow_ips: Sequence[str] = ("127.0.0.1",),
          **options: Any) -> None:
    """Run the review web app with uvicorn until interrupted (``options``: those of ``create_app``).

    Example::

        serve("review.sqlite3", port=8000)     # http://127.0.0.1:8000
    """
    import uvicorn

    app = create_app(store, **options)
    warning = bind_warning(host, port)
    if warning:
        print(warning, file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    where = store_location(store)
    print(f"personalnote: review app on http://{shown}:{port}/ (store "
          f"{masked_url(where) if isinstance(where, str) else where}); Ctrl+C stops it",
          file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=True,
                forwarded_allow_ips=list(forwarded_allow_ips))
