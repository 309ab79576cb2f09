"""The review web app's pages and actions: login, inbox, a draft, its decisions, the export page.

Every page but the login needs a reviewer: the session's (or, when configured, the one a trusted
reverse proxy names in a header). Every POST needs the session's CSRF token. Each decision is made
through ``ReviewQueue`` and signed by the logged-in reviewer's ``Reviewer``; the store is opened
per request, in a worker thread, so a model call or a busy store never blocks the server.

Example::

    routes = review_routes()          # Starlette routes; ``_web_app.create_app`` mounts them
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import _constants as C
from ._chat import ChatModel
from ._errors import (
    BlockingFindingsError,
    ConfigurationError,
    MomentGoneError,
    PersonalNoteError,
    RoleError,
    StaleDraftError,
)
from ._history import BusinessEvent, CustomerHistory, Dataset
from ._loaders import load, load_business_events
from ._queue_types import QueuedDraft
from ._review import ReviewQueue
from ._reviewers import ApprovalPolicy, ReviewerAccount, password_hash_of
from ._tabular import load_csv
from ._web_auth import SESSION_COOKIE, LoginThrottle, SessionCodec, new_token, same_token, verify_password
from ._web_pages import (
    InboxFilter,
    cited_facts,
    diff_lines,
    expired,
    expires_at,
    export_formats,
    export_suffix,
    inbox_rows,
    marked,
    render,
)

__all__ = ["WebSettings", "WebState", "review_routes"]

T = TypeVar("T")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


@dataclass
class WebSettings:
    """How ``personalnote serve`` runs (see ``personalnote.web.create_app``)."""

    store: Path | str  # a SQLite file, or a postgresql:// URL
    policy: ApprovalPolicy = field(default_factory=ApprovalPolicy.default)
    as_of: datetime | None = None
    model: ChatModel | str | None = None
    trust_proxy_header: str | None = None
    export_dir: Path | None = None
    data: Path | None = None
    preset: str | None = None
    business_events: Path | None = None
    secret: bytes = b""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class WebState:
    """What the app keeps between requests: settings, the session codec, the login throttle, data read."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.sessions = SessionCodec(settings.secret)
        self.throttle = LoginThrottle()
        #: sessions ended by a logout (their signed cookie would otherwise stay valid until it expires)
        self.revoked: set[str] = set()
        store = settings.store
        beside = store.with_name(store.stem + "-exports") if isinstance(store, Path) else None
        self.export_dir = settings.export_dir or beside or Path("personalnote-exports")
        self._data: dict[tuple[Path, float], Dataset] = {}

    # --- the store, the clock and the customers' data ------------------------------------------

    def now(self) -> datetime:
        return self.settings.as_of or self.settings.clock()

    def with_queue(self, work: Callable[[ReviewQueue], T]) -> T:
        with ReviewQueue.open(self.settings.store, approval_policy=self.settings.policy) as queue:
            return work(queue)

    def current(self, item: QueuedDraft) -> tuple[CustomerHistory, list[BusinessEvent]]:
        """The customer's current history and the business events, from ``--data`` or the draft's source."""
        path = self.settings.data or (Path(item.source) if item.source else None)
        if path is None:
            raise ConfigurationError(f"draft {item.id} has no recorded customer file: start the app with "
                                    "--data PATH (the customers' current file)")
        stamp = (path, path.stat().st_mtime if path.exists() else 0.0)
        if stamp not in self._data:
            self._data = {stamp: load_csv(path, preset=self.settings.preset) if self.settings.preset
                          else load(path)}
        data = self._data[stamp]
        extra = load_business_events(self.settings.business_events) if self.settings.business_events else []
        try:
            return data.customer(item.customer_id), [*data.business_events, *extra]
        except KeyError:
            raise ConfigurationError(f"draft {item.id}: customer {item.customer_id!r} is not in "
                                     f"{path}") from None

    # --- sessions and reviewers ------------------------------------------------------------------

    def session(self, request: Request) -> dict[str, Any]:
        return self.sessions.loads(request.cookies.get(SESSION_COOKIE))

    def reviewer(self, request: Request, session: dict[str, Any]) -> ReviewerAccount | None:
        header = self.settings.trust_proxy_header
        if not header and session.get("sid") in self.revoked:
            return None
        account_id = request.headers.get(header, "").strip() if header else session.get("uid")
        if not isinstance(account_id, str) or not account_id:
            return None
        account = self.with_queue(lambda queue: queue.reviewer_account(account_id))
        return account if account is not None and not account.disabled else None

    def password_hash(self, account_id: str) -> str | None:
        return self.with_queue(lambda queue: password_hash_of(queue.store, account_id))

    def respond(self, request: Request, body: str | Response, session: dict[str, Any] | None = None,
                status: int = 200) -> Response:
        response = body if isinstance(body, Response) else HTMLResponse(body, status_code=status)
        if session is not None:
            response.set_cookie(SESSION_COOKIE, self.sessions.dumps(session), max_age=self.sessions.max_age,
                                httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
        return response

    def page(self, request: Request, template: str, session: dict[str, Any],
             reviewer: ReviewerAccount | None, status: int = 200, **context: Any) -> Response:
        flash = session.pop("flash", None)
        html = render(template, reviewer=reviewer, csrf=session.get("csrf", ""), flash=flash,
                      proxy=bool(self.settings.trust_proxy_header), **context)
        return self.respond(request, html, session, status)


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.personalnote
    return state


def _check_post(request: Request, form: FormData, session: dict[str, Any]) -> None:
    """Refuse a POST without the session's CSRF token, or sent from another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc != request.url.netloc:
            raise HTTPException(403, "This form was sent from another site: refused.")
    if not same_token(session.get("csrf"), form.get("csrf")):
        raise HTTPException(403, "This form has no valid CSRF token (it was forged, or your session ended): "
                                 "reload the page and try again.")


async def _who(request: Request) -> tuple[WebState, dict[str, Any], ReviewerAccount | None]:
    state = _state(request)
    session = state.session(request)
    account = await run_in_threadpool(state.reviewer, request, session)
    if account is not None and not session.get("csrf"):
        session["csrf"] = new_token()
    return state, session, account


async def _signed_in(request: Request) -> tuple[WebState, dict[str, Any], ReviewerAccount, FormData | None]:
    """The state, session and reviewer of a request that needs one (a POST's form checked too)."""
    state, session, account = await _who(request)
    form = await request.form() if request.method == "POST" else None
    if form is not None:
        _check_post(request, form, session)
    if account is None:
        if request.method == "GET":
            raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
        raise HTTPException(403, "You are not logged in: log in and try again.")
    return state, session, account, form


# --- login and logout ----------------------------------------------------------------------------


def _next(value: object) -> str:
    text = value if isinstance(value, str) else "/"
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


async def login_page(request: Request) -> Response:
    state, session, account = await _who(request)
    if account is not None:
        return RedirectResponse(_next(request.query_params.get("next")), status_code=303)
    session = {"csrf": session.get("csrf") or new_token()}
    return state.page(request, "login.html", session, None, next=_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    state = _state(request)
    session = state.session(request)
    form = await request.form()
    _check_post(request, form, session)
    if state.settings.trust_proxy_header:
        raise HTTPException(403, "Reviewers are logged in by the reverse proxy here.")
    account_id = str(form.get("reviewer", "")).strip()[:64]
    password = str(form.get("password", ""))
    keys = [f"account:{account_id.casefold()}", f"address:{request.client.host if request.client else '-'}"]
    wait = state.throttle.wait(keys)
    if wait > 0:
        html = render("login.html", reviewer=None, csrf=session.get("csrf", ""), next=_next(form.get("next")),
                      error=f"Too many failed logins for this account or address: try again in "
                            f"{int(wait) + 1} seconds.", proxy=False, flash=None, account_id=account_id)
        response = state.respond(request, html, session, 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    stored = await run_in_threadpool(state.password_hash, account_id) if account_id else None
    if not await run_in_threadpool(verify_password, stored, password):
        state.throttle.failed(keys)
        return state.page(request, "login.html", session, None, status=401, next=_next(form.get("next")),
                          error="Wrong reviewer id or password (or the account is disabled).",
                          account_id=account_id)
    state.throttle.succeeded(keys[0])
    fresh = {"uid": account_id, "csrf": new_token(), "sid": new_token()}  # a new session: no fixation
    return state.respond(request, RedirectResponse(_next(form.get("next")), status_code=303), fresh)


async def logout(request: Request) -> Response:
    state = _state(request)
    session = state.session(request)
    _check_post(request, await request.form(), session)
    if isinstance(session.get("sid"), str):
        state.revoked.add(session["sid"])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the inbox and a draft -----------------------------------------------------------------------


async def inbox(request: Request) -> Response:
    state, session, account, _ = await _signed_in(request)
    wanted = InboxFilter.of(request.query_params)
    states = wanted.states()
    items = await run_in_threadpool(state.with_queue, lambda q: q.drafts(states))
    now = state.now()
    rows = inbox_rows(items, wanted, now)
    channels = sorted({i.draft.channel for i in items})
    return state.page(request, "inbox.html", session, account, rows=rows, filter=wanted, now=now,
                      channels=channels, policy=state.settings.policy)


def _draft_context(state: WebState, item: QueuedDraft, account: ReviewerAccount) -> dict[str, Any]:
    now = state.now()
    return {"item": item, "note": marked(item.text, item.findings),
            "diff": diff_lines(item.draft.text, item.text),
            "claims": cited_facts(item), "expired": expired(item, now), "expires": expires_at(item),
            "now": now, "may_approve": state.settings.policy.may_approve(account.role, item.draft.channel),
            "policy": state.settings.policy, "preview": None, "edit_text": item.text}


async def draft_page(request: Request) -> Response:
    state, session, account, _ = await _signed_in(request)
    draft_id = int(request.path_params["draft_id"])
    try:
        item = await run_in_threadpool(state.with_queue, lambda q: q.get(draft_id))
    except PersonalNoteError as exc:
        raise HTTPException(404, str(exc)) from None
    return state.page(request, "draft.html", session, account, **_draft_context(state, item, account))


_STATUS = {RoleError: 403, MomentGoneError: 409, BlockingFindingsError: 400}


async def decide(request: Request) -> Response:
    """approve, edit (or check an edit), reject, request a change: one form each on the draft page."""
    state, session, account, form = await _signed_in(request)
    assert form is not None
    draft_id, action = int(request.path_params["draft_id"]), request.path_params["action"]
    if action not in ("approve", "edit", "reject", "change"):
        raise HTTPException(404, f"no such action: {action}")
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        raise HTTPException(400, "The form names no version: reload the page.") from None
    reviewer, text = account.reviewer, str(form.get("text", ""))
    checking = action == "edit" and form.get("action") == "check"

    def work(queue: ReviewQueue) -> Any:
        if checking:
            return queue.check_edit(draft_id, text)
        if action == "edit":
            return queue.edit(draft_id, reviewer, version=version, text=text,
                              reason=str(form.get("reason", "")).strip() or None)
        if action == "reject":
            return queue.reject(draft_id, reviewer, version=version, reason=str(form.get("reason", "")))
        item = queue.get(draft_id)
        if action == "approve":
            current, events = state.current(item)
            return queue.approve(draft_id, reviewer, version=version, current=current, as_of=state.now(),
                                 business_events=events,
                                 override_reason=str(form.get("override_reason", "")).strip() or None)
        current, events = state.current(item)
        guidance = str(form.get("guidance", ""))
        return queue.request_change(draft_id, reviewer, version=version, guidance=guidance,
                                    model=state.settings.model or item.draft.provenance.model,
                                    current=current, as_of=state.now(), business_events=events)

    try:
        result = await run_in_threadpool(state.with_queue, work)
    except StaleDraftError as exc:
        return state.page(request, "stale.html", session, account, status=409, error=exc, draft_id=draft_id,
                          action=action)
    except PersonalNoteError as exc:
        item = await run_in_threadpool(state.with_queue, lambda q: q.get(draft_id))
        context = _draft_context(state, item, account)
        if action == "edit":
            context["edit_text"] = text
        return state.page(request, "draft.html", session, account, status=_STATUS.get(type(exc), 400),
                          error=str(exc), failed=action, **context)
    if checking:
        item = await run_in_threadpool(state.with_queue, lambda q: q.get(draft_id))
        note, findings = result
        context = {**_draft_context(state, item, account), "edit_text": text,
                   "preview": {"note": marked(note, findings), "findings": findings,
                               "blocking": sum(f.blocking for f in findings)}}
        return state.page(request, "draft.html", session, account, **context)
    done = {"approve": "Approved", "edit": "Edited", "reject": "Rejected", "change": "Drafted again"}[action]
    session["flash"] = f"{done}: draft {draft_id} is now version {result.version} ({result.state})."
    return state.respond(request, RedirectResponse(f"/drafts/{draft_id}", status_code=303), session)


# --- export ----------------------------------------------------------------------------------------


def _exported_files(folder: Path) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and _SAFE_NAME.fullmatch(p.name)]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [{"name": p.name, "size": p.stat().st_size,
             "at": datetime.fromtimestamp(p.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")}
            for p in files[:C.HTML_MAX_ROWS]]


async def export_page(request: Request) -> Response:
    state, session, account, form = await _signed_in(request)
    context: dict[str, Any] = {"formats": export_formats(), "result": None, "error": None}
    status = 200
    if form is not None:
        format, again = str(form.get("format", "")), form.get("again") == "on"
        if format not in export_formats():
            raise HTTPException(400, f"no export format {format[:20]!r}")
        state.export_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{format}-{state.settings.clock().astimezone(UTC):%Y%m%dT%H%M%SZ}"
        path, n = state.export_dir / f"{stem}{export_suffix(format)}", 1
        while path.exists():
            n += 1
            path = state.export_dir / f"{stem}-{n}{export_suffix(format)}"
        try:
            result = await run_in_threadpool(state.with_queue,
                                             lambda q: q.export(format, path, again=again))
        except PersonalNoteError as exc:
            context["error"], status = str(exc), 400
        else:
            if result.count == 0 and path.exists():
                path.unlink()  # our own new, empty file: nothing earlier is touched
            context["result"] = {"count": result.count, "name": path.name if result.count else None,
                                 "left_out": result.left_out, "not_printed": result.not_printed,
                                 "keyed": result.keyed, "format": format,
                                 "manifest": (result.manifest.name if result.count and result.manifest
                                              else None)}
    context["files"] = _exported_files(state.export_dir)
    return state.page(request, "export.html", session, account, status=status, **context)


async def download(request: Request) -> Response:
    state, _, _, _ = await _signed_in(request)
    name = str(request.path_params["name"])
    folder = state.export_dir.resolve()
    path = (folder / name).resolve()
    if not _SAFE_NAME.fullmatch(name) or ".." in name or path.parent != folder or not path.is_file():
        raise HTTPException(404, "No such export file.")
    return FileResponse(path, filename=name, content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff"})


def review_routes() -> list[Route]:
    return [
        Route("/", inbox, methods=["GET"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/drafts/{draft_id:int}", draft_page, methods=["GET"]),
        Route("/drafts/{draft_id:int}/{action}", decide, methods=["POST"]),
        Route("/export", export_page, methods=["GET", "POST"]),
        Route("/exports/{name}", download, methods=["GET"]),
    ]
