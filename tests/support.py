"""Shared test material: where the fixtures are and the time the tests run at, the flyer and the
fake model's answers about her, the review queue's drafts and reviewers, the batch tests' customers
and models, a scripted HTTP server standing in for an OpenAI-compatible one, and a stand-in that
answers any request with a valid note (NoteServer, which the docs' code drafts with).

Test modules import from here (``from .support import ...``), never from one another or from
conftest.py; the pytest fixtures they share (``scripted``, ``stores``, ``store_url``) are in conftest.py.
The review store's tests run on each backend: ``Stores`` makes stores (SQLite files, or schemas of
a temporary PostgreSQL server) and ``RawStore`` writes one directly, as an attacker with the file
(or PostgreSQL's superuser) would.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import personalnote as pn
from personalnote._store_dialect import translate_query
from personalnote.testing import FakeChatModel, TemporaryPostgres, answer_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def report_for(name: str, as_of: datetime = AS_OF) -> pn.MomentReport:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    ctx = pn.build_context(data.customers[0], as_of, business_events=data.business_events)
    return pn.find_moments(ctx)


# -- The flyer (fixtures/customers/flyer_2m_miles.json: Ms Okafor passes 2 million miles on today's
# flight to JFK), the fake model's answers about her, and the crew who sign her card.

GOOD = {"body": "Congratulations on passing 2 million miles with us on today's flight to JFK.",
        "claims": [{"text": "passed 2 million miles", "fact_ids": ["derived:milestone:L-5502"]},
                   {"text": "today's flight to JFK", "fact_ids": ["T-8002"]}]}
#: blocking findings: a clock time and a place the data does not give
PARIS = {"body": "Congratulations on 2 million miles, and enjoy Paris at 3:41pm.",
         "claims": [{"text": "2 million miles", "fact_ids": ["derived:milestone:L-5502"]}]}
CREW = [pn.Signer("Captain"), pn.Signer("First Officer", "J. Reyes")]


@lru_cache(maxsize=1)
def flyer() -> pn.CustomerHistory:
    return pn.load(FIXTURES / "customers" / "flyer_2m_miles.json").customers[0]


@lru_cache(maxsize=1)
def flyer_context() -> pn.CustomerContext:
    return pn.build_context(flyer(), AS_OF)


# -- The review queue: reviewers, drafts from the fake model, changes to the flyer's history.

#: approvals happen an hour after drafting
LATER = AS_OF + timedelta(hours=1)
ALICE = pn.Reviewer("alice", "Alice Smith", "crew lead")
BOB = pn.Reviewer("bob", "Bob Jones", "purser")


@lru_cache(maxsize=2)
def _drafted(reply: str) -> pn.Draft:
    body = GOOD if reply == "good" else PARIS
    draft = pn.draft_note(flyer_context(), model=FakeChatModel([body]), signers=CREW, max_candidates=1)
    assert isinstance(draft, pn.Draft)
    return draft


def clean_draft(prompt_version: str | None = None) -> pn.Draft:
    """The flyer's milestone card with no blocking finding; a prompt version makes another draft."""
    return _with_prompt_version(_drafted("good"), prompt_version)


def blocking_draft(prompt_version: str | None = None) -> pn.Draft:
    """A draft with blocking findings (a clock time, an invented place)."""
    return _with_prompt_version(_drafted("paris"), prompt_version)


@lru_cache(maxsize=4)
def _on_channel(channel: pn.Channel) -> pn.Draft:
    draft = pn.draft_note(flyer_context(), model=FakeChatModel([GOOD]), signers=CREW, channel=channel,
                          max_candidates=1)
    assert isinstance(draft, pn.Draft)
    return draft


def channel_draft(channel: pn.Channel, prompt_version: str | None = None) -> pn.Draft:
    """The flyer's clean milestone note on ``channel`` (a letter, an email); a prompt version makes
    another."""
    return _with_prompt_version(_on_channel(channel), prompt_version)


def _with_prompt_version(draft: pn.Draft, prompt_version: str | None) -> pn.Draft:
    if prompt_version is None:
        return draft
    provenance = draft.provenance.model_copy(update={"prompt_version": prompt_version})
    return draft.model_copy(update={"provenance": provenance})


def changed_history(*, events: Sequence[dict[str, Any]] = (), **customer: Any) -> pn.CustomerHistory:
    """The flyer's history with events added and profile fields changed, validated again."""
    record = flyer().model_dump(mode="json", exclude_none=True)
    record["customer"].update(customer)
    record["events"] = [*record["events"], *events]
    return pn.CustomerHistory.model_validate(record)


def complaint(at: str = "2026-11-20T18:30:00Z") -> dict[str, Any]:
    return {"kind": "support_case", "id": "S-900", "at": at, "topic": "lost luggage", "status": "open",
            "sentiment": "negative"}


# -- Batch drafting: numbered customers (C-<i> with a fresh milestone, Q-<i> with none) and models
# that answer for whichever customer a request is about.

BODY = ("Passing 100,000 miles with SkyMiles is a real milestone, and we are glad you reached it on "
        "board with us. Thank you for flying with us.")


def numbered_flyer(i: int) -> pn.CustomerHistory:
    """Customer C-<i> crossed 100,000 miles on yesterday's flight: one fresh milestone."""
    at = AS_OF - timedelta(days=1)
    return pn.CustomerHistory.model_validate({
        "customer": {"id": f"C-{i:03d}", "given_name": "Ada", "family_name": "Lovelace", "honorific": "Ms",
                     "address_as": "honorific_family_name", "time_zone": "Europe/London",
                     "preferred_channel": "card"},
        "events": [
            {"kind": "trip", "id": f"T-{i:03d}", "at": at.isoformat(), "mode": "flight",
             "flight_number": "NA 117", "origin": "LHR", "destination": "JFK"},
            {"kind": "loyalty", "id": f"L-{i:03d}", "at": (at + timedelta(hours=3)).isoformat(),
             "program": "SkyMiles", "metric": "miles", "value": 100_400, "previous_value": 99_100},
        ]})


def quiet(i: int, *, do_not_contact: bool = False) -> pn.CustomerHistory:
    """Customer Q-<i>: one old purchase (no moment), or a flyer who asked not to be contacted."""
    if do_not_contact:
        history = numbered_flyer(i)
        profile = history.customer.model_copy(update={"id": f"Q-{i:03d}", "do_not_contact": True})
        return history.model_copy(update={"customer": profile})
    return pn.CustomerHistory.model_validate({
        "customer": {"id": f"Q-{i:03d}", "time_zone": "Europe/London"},
        "events": [{"kind": "purchase", "id": f"S-{i:03d}", "at": "2026-03-02T10:00:00Z",
                    "item": "Umbrella"}]})


def allowed_ids(request: pn.ChatRequest) -> list[str]:
    schema = request.schema["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]
    return list(schema["enum"])


def customer_of(request: pn.ChatRequest) -> str:
    """The customer a request is about: C-<i> from the loyalty fact id L-<i> it may cite."""
    return "C-" + next(i for i in allowed_ids(request) if i.startswith("L-"))[2:]


def answer(request: pn.ChatRequest) -> str:
    """A valid note for a flyer's milestone that passes the checks, citing the milestone fact."""
    milestone = next(i for i in allowed_ids(request) if i.startswith("derived:milestone:"))
    return json.dumps({"body": BODY, "claims": [{"text": "passed 100,000 miles", "fact_ids": [milestone]}]})


class SlowModel:
    """Answers like ``answer`` after ``delay`` seconds; records the most requests in flight at once.

    ``fail`` maps customer ids to an exception to raise or a reply to give instead.
    """

    def __init__(self, delay: float = 0.01, *, name: str = "gpt-4o-mini",
                 fail: dict[str, BaseException | str] | None = None) -> None:
        self.delay, self._name, self.fail = delay, name, fail or {}
        self.in_flight = self.max_in_flight = 0
        self.calls: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    def complete(self, request: pn.ChatRequest) -> pn.ChatResult:
        raise AssertionError("batch drafting must use acomplete")

    async def acomplete(self, request: pn.ChatRequest) -> pn.ChatResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            customer = customer_of(request)
            self.calls.append(customer)
            reply: BaseException | str | Callable[[pn.ChatRequest], str] = self.fail.get(customer, answer)
            if isinstance(reply, BaseException):
                raise reply
            return FakeChatModel([reply], name=self._name).complete(request)  # tokens: word counts
        finally:
            self.in_flight -= 1


# -- The review web app: a store of fake-model drafts for a few fixture customers, and reviewer accounts
# (tests/test_web_*.py and scripts/screenshots).

WEB_PASSWORD = "correct horse battery staple"
#: customers with a moment at AS_OF: a card (blocking findings: a clock time and an invented place),
#: an email, a letter drafted ahead ("for 21 November"), a birthday card, a tenth purchase
WEB_CUSTOMERS = ("flyer_2m_miles", "grey_trousers", "anniversary_ahead_letter", "birthday_card",
                 "tenth_purchase")
WEB_BODIES = {
    "grey_trousers": "The grey trousers you asked about are back in your size, and we have kept a pair for "
                     "you.",
    "anniversary_ahead_letter": "Thank you for the years you have spent with us; it has been a pleasure to "
                                "know you.",
    "birthday_card": "Happy birthday from all of us, and thank you for coming back to see us so often.",
    "tenth_purchase": "Thank you for your tenth purchase with us, the tea caddy; it means a great deal to "
                      "the whole team.",
}
#: a note that passes the checks, for editing the flyer's blocking draft in the web app
WEB_CLEAN_BODY = GOOD["body"]
#: markup a page must show as text, never run
SCRIPT = "<script>alert('pwned')</script>"


def web_draft(name: str, body: str | None = None) -> tuple[pn.Draft, pn.CustomerContext, Path]:
    """A fake-model draft for a fixture customer (the flyer's has blocking findings unless ``body``)."""
    path = FIXTURES / "customers" / f"{name}.json"
    data = pn.load(path)
    ctx = pn.build_context(data.customers[0], AS_OF, business_events=data.business_events)
    if name == "flyer_2m_miles" and body is None:
        reply: Any = PARIS
    else:
        text = body or WEB_BODIES[name]
        def reply(request: pn.ChatRequest) -> dict[str, Any]:
            return answer_for(request, text)
    signers = CREW if name == "flyer_2m_miles" else [pn.Signer("Store manager", "Dana Ruiz")]
    draft = pn.draft_note(ctx, model=FakeChatModel([reply]), signers=signers, max_candidates=1)
    assert isinstance(draft, pn.Draft), draft
    return draft, ctx, path


def web_store(path: Path, customers: Sequence[str] = WEB_CUSTOMERS) -> Path:
    """A review store with a fake-model draft for each customer (queue ids in order) and three accounts:
    alice (Alice Smith, crew), bob (Bob Jones, crew) and sam (Sam Lee, store; may not approve cards)."""
    from personalnote.web import hash_password

    password_hash = hash_password(WEB_PASSWORD)
    with pn.ReviewQueue(path) as queue:
        for name in customers:
            draft, ctx, source = web_draft(name)
            queue.submit(draft, ctx, source=source)
        for account, printed, role in (("alice", "Alice Smith", "crew"), ("bob", "Bob Jones", "crew"),
                                       ("sam", "Sam Lee", "store")):
            queue.add_reviewer(account, printed, role, password_hash=password_hash)
    return path


class LiveServer:
    """The web app served by uvicorn in a thread on 127.0.0.1 and a free port, for a real browser.

    Example::

        with LiveServer(create_app(store)) as server:
            page.goto(server.url + "/login")
    """

    def __init__(self, app: Any) -> None:
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        ready = threading.Event()
        for _ in range(1200):  # up to a minute on a loaded machine; usually a few hundredths of a second
            if self.server.started or not self.thread.is_alive():
                break
            ready.wait(0.05)
        assert self.server.started, "the web app did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def chromium_path() -> str | None:
    """Debian's Chromium (``apt-get install chromium``; .ci/run installs it), never a downloaded browser."""
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


#: how Playwright starts Debian's Chromium: headless, no sandbox (CI runs as root), no background traffic
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]


# -- A scripted local HTTP server (the ``scripted`` fixture in conftest.py starts and stops them).

def completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}


Script = list[tuple[int, dict[str, str], dict[str, Any]]]


class ScriptedServer:
    """Answers each POST with the next scripted (status, headers, body); ``GET /v1/models`` lists
    ``models`` (404 while it is None), as an OpenAI-compatible server lists what it serves."""

    def __init__(self, script: Script) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        self.models: list[str] | None = None
        self.listings = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.listings += 1
                found = outer.models is not None and self.path.rstrip("/") == "/v1/models"
                listed = [{"id": m, "object": "model", "created": 0, "owned_by": "me"}
                          for m in outer.models or []]
                body = {"object": "list", "data": listed} if found else {"error": {"message": "not found"}}
                payload = json.dumps(body).encode()
                self.send_response(200 if found else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                outer.requests.append(json.loads(self.rfile.read(length)))
                status, headers, body = outer.script.pop(0)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


class SilentServer:
    """A server on 127.0.0.1 that accepts connections and never answers (a hung model server).

    ``accepted`` counts the connections it took; ``close()`` stops it and drops them.
    """

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.05)
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self.held.append(connection)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/v1"

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        for connection in self.held:
            connection.close()
        self.socket.close()


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class NoteServer:
    """An OpenAI-compatible stand-in that answers every chat completion with a valid, plain note.

    It serves one model (``GET /v1/models``: ``gpt-4o-mini``, a model with a price) and answers
    what the prompt asks: a framed note's warm words, or a whole body that restates the prompt's
    moment line and cites the moment's first fact. Token counts are word counts, as in
    ``FakeChatModel``, so a run prints the same figures every time. The docs' code runs against it
    (tests/test_docs_code.py), where a reader's would run against the model they configured.
    """

    MODEL = "gpt-4o-mini"
    WORDS = "Thank you for being with us all this time."

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                listed = [{"id": outer.MODEL, "object": "model", "created": 0, "owned_by": "stand-in"}]
                self._send(200, {"object": "list", "data": listed})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                outer.requests.append(body)
                content = json.dumps(outer.answer(body))
                prompt = sum(len(m["content"].split()) for m in body["messages"])
                self._send(200, {
                    "id": f"c{len(outer.requests)}", "object": "chat.completion", "created": 0,
                    "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": len(content.split()),
                              "total_tokens": prompt + len(content.split())}})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @classmethod
    def answer(cls, body: dict[str, Any]) -> dict[str, Any]:
        """The answer to a request body: ``{"words": ...}`` or ``{"body": ..., "claims": [...]}``."""
        response_format = body["response_format"]
        schema = (response_format["json_schema"]["schema"] if response_format["type"] == "json_schema"
                  else response_format["schema"])
        properties = schema["properties"]
        if "words" in properties:
            return {"words": cls.WORDS}
        moment = re.search(r"^Moment: [a-z_]+: (.+)$", body["messages"][-1]["content"], re.MULTILINE)
        assert moment is not None, "the prompt states its moment"
        what = re.sub(r",? (asked for )?on \d+ \w+ \d{4},?", "", moment.group(1))
        cited = properties["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"][:1]
        return {"body": f"We wanted to write to you about this: {what[0].lower()}{what[1:]}. "
                        "Thank you for being with us.",
                "claims": [{"text": what, "fact_ids": cited}]}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
# -- Experiments (issue 17): numbered flyers drafted in an experiment, decided by a script.

ARMS = {"note@3": 0.5, "note@4": 0.5}
#: what ``decide`` returns for a draft: approve as it is, edit then approve, reject (with the reason), or
#: leave it pending (None)
Decision = tuple[str, str] | None
EDITED_BODY = "You passed 100,000 miles with SkyMiles on yesterday's flight. Thank you for flying with us."


def experiment_queue(path: Path, customers: int, decide: Callable[[pn.QueuedDraft, int], Decision], *,
                     experiment: str = "wording", arms: dict[str, float] | None = None,
                     days: int = 1) -> pn.ReviewQueue:
    """A queue whose drafts for C-000 .. C-<customers - 1> were made in ``experiment`` (FakeChatModel answers)
    and decided by ``decide(item, n)``: ``n`` counts the drafts of the item's arm so far. Decisions are
    spread over ``days`` days (the queue's clock), starting an hour after AS_OF."""
    now = [AS_OF]
    queue = pn.ReviewQueue(path, clock=lambda: now[0])
    histories = [numbered_flyer(i) for i in range(customers)]
    pn.draft_many(histories, as_of=AS_OF, model=FakeChatModel([answer] * customers), queue=queue,
                  prompts=arms or ARMS, experiment=experiment, progress=False, concurrency=1)
    seen: dict[str, int] = {}
    items = queue.drafts()
    for position, item in enumerate(items):
        arm = item.draft.provenance.arm or ""
        decision = decide(item, seen.get(arm, 0))
        seen[arm] = seen.get(arm, 0) + 1
        now[0] = AS_OF + timedelta(hours=1, days=position * days // max(len(items), 1))
        current = pn.build_context(numbered_flyer(int(item.customer_id[2:])), AS_OF)
        if decision is None:
            continue
        action, reason = decision
        if action == "approve":
            queue.approve(item.id, ALICE, version=1, current=current)
        elif action == "edit":
            edited = queue.edit(item.id, ALICE, version=1, text=EDITED_BODY, reason=reason or None)
            queue.approve(item.id, ALICE, version=edited.version, current=current)
        else:
            queue.reject(item.id, ALICE, version=1, reason=reason)
    now[0] = AS_OF + timedelta(days=days + 7)
    return queue


# -- Reviews to learn from (house style) and to test against (eval): three milestone customers of the
# fixtures, drafted by the fake model with the `note` prompt, then decided by Alice: the flyer's note
# had a clock time, which she edited out in the house style; Ingrid's was approved as it stood; the
# gardening club's, with a clock time and a stock phrase, was rejected.

#: the house style: how the reviewers like a milestone note to end
HOUSE_LINE = "The whole crew is proud to have you on board."
REVIEWED = {
    "flyer_2m_miles": ("Congratulations on passing 2 million miles with SkyMiles at 3:41pm today.",
                       "derived:milestone:L-5502",
                       "Congratulations on passing 2 million miles with SkyMiles today, Margaret. "
                       + HOUSE_LINE),
    "earlier_notes": (f"Congratulations on passing 50 nights with Fjord Hotels. {HOUSE_LINE}",
                      "derived:milestone:L-2602", None),
    "club_five_years": ("You passed 5 years with Gardening Club at 9:12am, our valued customer.",
                        "derived:milestone:L-2402", "reject"),
}


def fixture_context(name: str, as_of: datetime = AS_OF) -> pn.CustomerContext:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    return pn.build_context(data.customers[0], as_of, business_events=data.business_events)


def reviewed_queue(path: Path | str, reviews: dict[str, tuple[str, str, str | None]] | None = None,
                   *, prompt: str = "note") -> pn.ReviewQueue:
    """A review queue holding ``reviews`` (default ``REVIEWED``): per fixture customer, the fake model's
    body, the fact it cites, and the decision: None approves, "reject" rejects, any other text is the
    body Alice edits it to before approving. The clock is fixed, so two queues are alike."""
    queue = pn.ReviewQueue(path, clock=lambda: LATER)
    for name, (body, cite, decision) in (reviews or REVIEWED).items():
        ctx = fixture_context(name)
        fake = FakeChatModel([lambda request, body=body, cite=cite: answer_for(request, body, cite=cite)] * 3)
        draft = pn.draft_note(ctx, model=fake, max_candidates=1, prompt=prompt)
        assert isinstance(draft, pn.Draft)
        item = queue.submit(draft, ctx)
        if decision == "reject":
            queue.reject(item.id, ALICE, version=item.version, reason="a clock time and a stock phrase")
            continue
        if decision is not None:
            item = queue.edit(item.id, ALICE, version=item.version, text=decision)
        queue.approve(item.id, ALICE, version=item.version, current=ctx)
    return queue


def downgrade_to_schema_2(path: Path) -> None:
    """Make the store at ``path`` the store schema 2 made (keyed signatures, before experiments,
    outcomes and reviewer accounts): no experiment columns, no outcomes or reviewers table, and the
    signatures' meanings without ``request_change``. Its rows and record stay as they were."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'signatures'").fetchone()[0]
    conn.executescript(
        "PRAGMA foreign_keys = OFF; BEGIN;"
        f"{sql.replace('signatures', 'sig2', 1).replace(', ' + repr('request_change'), '')};"
        "INSERT INTO sig2 SELECT * FROM signatures; DROP TABLE signatures; DROP TABLE reviewers;"
        "ALTER TABLE sig2 RENAME TO signatures;"
        "CREATE INDEX signatures_by_draft ON signatures (draft_id, seq);"
        "DROP TABLE outcomes; DROP INDEX drafts_by_experiment;"
        "ALTER TABLE drafts DROP COLUMN experiment; ALTER TABLE drafts DROP COLUMN arm;"
        "PRAGMA user_version = 2; COMMIT;"
    )
    conn.close()


# -- Review stores on each backend (the ``stores`` and ``store_url`` fixtures in conftest.py).

Target = Path | str


class RawStore:
    """A store's database written directly, past personalnote, with ``?`` parameters: a SQLite
    connection to the file, or PostgreSQL's superuser in the store's schema (autocommit both).

    ``refused`` is what a trigger's refusal raises; ``drop_append_only`` drops the signatures'
    triggers and ``without_foreign_keys`` stops foreign key checks, as an attacker would.
    """

    def __init__(self, target: Target, server: TemporaryPostgres | None, schema: str | None) -> None:
        self.postgres = server is not None
        if server is None:
            self.conn: Any = sqlite3.connect(target, isolation_level=None, timeout=5)
            self.refused: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
        else:
            import psycopg

            self.conn = psycopg.connect(server.url("superuser", schema=schema), autocommit=True)
            self.refused = (psycopg.errors.IntegrityError,)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(translate_query(sql) if self.postgres else sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(translate_query(sql) if self.postgres else sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def drop_append_only(self, table: str = "signatures") -> None:
        """Drop the table's append-only triggers; in PostgreSQL also stop foreign key checks, as a raw
        SQLite connection never made them."""
        for trigger in (f"{table}_no_update", f"{table}_no_delete"):
            self.execute(f"DROP TRIGGER {trigger} ON {table}" if self.postgres else f"DROP TRIGGER {trigger}")
        if self.postgres:
            self.without_foreign_keys()

    def without_foreign_keys(self) -> None:
        self.execute("SET session_replication_role = replica" if self.postgres
                     else "PRAGMA foreign_keys = OFF")

    def edit_draft_json(self, change: Callable[[dict[str, Any]], None], draft_id: int | None = None) -> None:
        """Change each draft's stored JSON (or one draft's) as json_set would."""
        for row in self.rows("SELECT id, draft FROM drafts ORDER BY id"):
            if draft_id is None or row["id"] == draft_id:
                draft = json.loads(row["draft"])
                change(draft)
                self.execute("UPDATE drafts SET draft = ? WHERE id = ?", (json.dumps(draft), row["id"]))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> RawStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Stores:
    """New, empty review stores of one backend: SQLite files in ``folder``, or schemas of ``server``
    created by the owner role (``init_postgres_store``) and opened as the app role."""

    def __init__(self, backend: str, folder: Path, server: TemporaryPostgres | None) -> None:
        self.backend, self.folder, self.server = backend, folder, server
        self.schemas: dict[str, str] = {}

    @property
    def postgres(self) -> bool:
        return self.server is not None

    def new(self, name: str = "review") -> Target:
        if self.server is None:
            return self.folder / f"{name}.sqlite3"
        schema = self.server.new_schema(name.replace("-", "_"))
        pn.init_postgres_store(self.server.url("owner", schema=schema), app_role=self.server.app)
        url = self.server.url("app", schema=schema)
        self.schemas[url] = schema
        return url

    def raw(self, target: Target) -> RawStore:
        return RawStore(target, self.server, self.schemas.get(str(target)))
