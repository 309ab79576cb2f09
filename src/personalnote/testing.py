"""Test helpers for applications that use personalnote: a scripted fake model, valid answers, and a
throwaway PostgreSQL server for the review store.

Example::

    from personalnote.testing import FakeChatModel, TemporaryPostgres, answer_for
    fake = FakeChatModel([lambda request: answer_for(request, "Thank you for flying with us to JFK.")])
    draft = personalnote.draft_note(history, as_of=as_of, model=fake)
    fake.requests[0].messages   # what the library sent

    with TemporaryPostgres() as server:        # initdb into a temporary folder, a unix socket there
        schema = server.new_schema()
        personalnote.init_postgres_store(server.url("owner", schema=schema))
        queue = personalnote.ReviewQueue(server.url("app", schema=schema))
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from . import _constants as C
from ._chat import ChatRequest, ChatResult
from ._errors import ArgumentError, ConfigurationError

__all__ = ["FakeChatModel", "TemporaryPostgres", "allowed_fact_ids", "answer_for"]

Reply = str | dict[str, Any] | ChatResult | BaseException | Callable[[ChatRequest], str | dict[str, Any]]


def allowed_fact_ids(request: ChatRequest) -> list[str]:
    """The fact ids an answer to ``request`` may cite, as the prompt lists them: the moment's evidence
    first (empty for a framed note, whose facts the library's own sentence carries)."""
    properties = request.schema.get("properties", {})
    if "claims" not in properties:
        return []
    return list(properties["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"])


def answer_for(request: ChatRequest, text: str, *, cite: str | Sequence[str] | None = None,
               claim: str | None = None) -> dict[str, Any]:
    """A valid answer to ``request``, as a model would give it, for ``FakeChatModel`` to reply with.

    A whole-body note: ``{"body": text, "claims": [{"text": claim or text, "fact_ids": cite}]}``,
    citing ``cite`` (one id or several; by default the first fact of the moment's evidence). A
    framed note (the library states the moment): ``{"words": text}``, which must match the
    schema's pattern. An id the request does not allow is an ``ArgumentError`` listing the allowed
    ones, so a test fails where it is written, not in a re-ask.

    Example::

        fake = FakeChatModel([lambda request: answer_for(request, "Congratulations on 2 million miles.",
                                                         cite="derived:milestone:L-5502")])
    """
    properties = request.schema.get("properties", {})
    if "words" in properties:
        if cite is not None:
            raise ArgumentError("cite", cite, "a framed note cites nothing: the library's sentence carries "
                                "the facts", caller="answer_for")
        pattern = properties["words"].get("pattern")
        if pattern and not re.fullmatch(pattern, text):
            raise ArgumentError("text", text, f"a framed note's words must match {pattern}",
                                caller="answer_for")
        return {"words": text}
    allowed = allowed_fact_ids(request)
    most = properties["claims"]["items"]["properties"]["fact_ids"].get("maxItems", len(allowed))
    ids = [cite] if isinstance(cite, str) else list(cite) if cite is not None else allowed[:1]
    if not 1 <= len(ids) <= most or any(i not in allowed for i in ids):
        raise ArgumentError("cite", cite, f"cite 1 to {most} of the ids the request allows: {allowed}",
                            caller="answer_for")
    return {"body": text, "claims": [{"text": claim or text, "fact_ids": ids}]}


class FakeChatModel:
    """Answers with scripted replies, in order; records every request it receives.

    A reply is a string (the content), a dict (dumped as JSON), a ``ChatResult``, an
    exception (raised), or a function of the request returning a string or a dict
    (``answer_for`` builds a valid one). Token counts are word counts.
    """

    def __init__(self, replies: Iterable[Reply], *, name: str = "fake-model",
                 finish_reason: str = "stop") -> None:
        self._replies = list(replies)
        self._name = name
        self.finish_reason = finish_reason
        self.requests: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return self._name

    def complete(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        if not self._replies:
            raise AssertionError("FakeChatModel has no scripted reply left")
        reply = self._replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ChatResult):
            return reply
        if callable(reply):
            reply = reply(request)
        content = reply if isinstance(reply, str) else json.dumps(reply)
        prompt = sum(len(m["content"].split()) for m in request.messages)
        return ChatResult(content=content, finish_reason=self.finish_reason, prompt_tokens=prompt,
                          completion_tokens=len(content.split()), model=self._name)

    async def acomplete(self, request: ChatRequest) -> ChatResult:
        return self.complete(request)


# --- a throwaway PostgreSQL server ------------------------------------------------------------------


def _postgres_bin(name: str) -> str:
    """A PostgreSQL server program: on the PATH, else in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(re.sub(r"\D", "", p.split("/")[4]) or 0))
    if candidates:
        return candidates[-1]
    raise ConfigurationError(f"PostgreSQL's {name} is not installed (not on the PATH, not in "
                             "/usr/lib/postgresql/*/bin): on Debian, `apt-get install postgresql`")


class TemporaryPostgres:
    """A PostgreSQL server of its own for tests and benchmarks, deleted when stopped.

    ``start()`` runs ``initdb`` into a new temporary folder, starts the server with ``pg_ctl -w``
    listening only on a unix socket in that folder (no TCP port), and creates the owner and app
    roles (``POSTGRES_OWNER_ROLE``, ``POSTGRES_APP_ROLE``) and a database the owner owns. The
    server refuses to run as root: as root it runs as the ``postgres`` user (else ``nobody``),
    which owns the folder. ``new_schema()`` makes an empty schema the owner owns, so each test
    gets a store of its own; ``url(role, schema=...)`` connects to it as that role.

    Example::

        with TemporaryPostgres() as server:
            schema = server.new_schema()
            personalnote.init_postgres_store(server.url("owner", schema=schema))
            queue = personalnote.ReviewQueue(server.url("app", schema=schema))
    """

    def __init__(self, *, database: str = "personalnote", superuser: str = "postgres",
                 owner: str = C.POSTGRES_OWNER_ROLE, app: str = C.POSTGRES_APP_ROLE,
                 settings: dict[str, str] | None = None) -> None:
        self.database, self.superuser, self.owner, self.app = database, superuser, owner, app
        self.settings = settings or {}
        self.folder: Path | None = None
        self._schemas = 0
        self._user: tuple[int, int] | None = None

    @property
    def socket_dir(self) -> Path:
        if self.folder is None:
            raise ConfigurationError("the temporary PostgreSQL server is not started: call start()")
        return self.folder

    def url(self, role: Literal["superuser", "owner", "app"] = "app", *, schema: str | None = None,
            database: str | None = None) -> str:
        """A ``postgresql://`` URL for this server's socket, as ``role``, in ``schema`` if given."""
        user = {"superuser": self.superuser, "owner": self.owner, "app": self.app}[role]
        query = f"host={quote(str(self.socket_dir), safe='/')}"
        if schema is not None:
            query += "&options=" + quote(f"-c search_path={schema}", safe="")
        return f"postgresql://{user}@/{database or self.database}?{query}"

    def _run(self, *argv: str) -> None:
        kwargs: dict[str, Any] = {}
        if self._user is not None:
            kwargs.update(user=self._user[0], group=self._user[1], extra_groups=[])
        done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"},
                              cwd=self.socket_dir, timeout=C.POSTGRES_START_TIMEOUT_S, **kwargs)
        if done.returncode != 0:
            log = self.socket_dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ConfigurationError(f"{' '.join(argv[:2])} failed (exit {done.returncode}): "
                                     f"{done.stderr.strip() or done.stdout.strip()}\n{tail}")

    def start(self) -> TemporaryPostgres:
        """initdb, start the server and wait until it accepts connections, create the roles and database."""
        initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
        self.folder = Path(tempfile.mkdtemp(prefix="pn-pg-"))
        if os.geteuid() == 0:  # the server refuses to run as root
            import pwd

            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                entry = pwd.getpwnam("nobody")
            self._user = (entry.pw_uid, entry.pw_gid)
            os.chown(self.folder, *self._user)
        data = self.folder / "data"
        self._run(initdb, "-D", str(data), "-U", self.superuser, "--auth=trust", "--no-locale",
                  "-E", "UTF8", "--no-sync")
        settings = {"listen_addresses": "''", "unix_socket_directories": f"'{self.folder}'", "fsync": "on",
                    "max_connections": "100", "shared_buffers": "32MB", **self.settings}
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self._run(pg_ctl, "-D", str(data), "-l", str(self.folder / "server.log"), "-w", "-t",
                  str(C.POSTGRES_START_TIMEOUT_S), "start")
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("superuser", database="postgres"), autocommit=True) as conn:
            for role in (self.owner, self.app):
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(self.database),
                                                                      sql.Identifier(self.owner)))
        with psycopg.connect(self.url("superuser"), autocommit=True) as conn:
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # the default from PostgreSQL 15
        return self

    def new_schema(self, prefix: str = "store") -> str:
        """A new, empty schema that the owner role owns (a store of its own); returns its name."""
        import psycopg
        from psycopg import sql

        self._schemas += 1
        name = f"{prefix}_{self._schemas}"
        with psycopg.connect(self.url("superuser"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(sql.Identifier(name),
                                                                             sql.Identifier(self.owner)))
        return name

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m immediate``: its data goes too) and delete its folder."""
        if self.folder is None:
            return
        try:
            if (self.folder / "data" / "postmaster.pid").exists():
                self._run(_postgres_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w",
                          "-t", str(C.POSTGRES_START_TIMEOUT_S), "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
