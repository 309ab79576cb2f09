"""Hypothesis profiles and the pytest fixtures several test modules share.

Shared data, constants and helpers are in support.py; test modules import them from there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import personalnote as pn
from personalnote.testing import TemporaryPostgres

from .support import FIXTURES, Script, ScriptedServer, SilentServer, Stores, Target

# Hypothesis: the suite must give the same verdict on every machine, cold or warm, idle or loaded.
#
# "ci" (loaded unless HYPOTHESIS_PROFILE names another) is derandomized: the examples come from a seed
# fixed per test, so a run is repeatable, and no example database is read or written (database=None),
# so a fresh clone runs exactly what a developer's checkout runs. No deadline: how long an example
# takes is the machine's business, not the code's.
#
# Suppressed health checks: only those whose verdict can change without the test or the code changing.
# too_slow and large_base_example time or size the first draws (too_slow failed on a cold, loaded
# machine: a 2.4 s first draw while hypothesis built its unicode tables); data_too_large and
# filter_too_much count draws that overrun or are filtered away, which changes with hypothesis's and
# Python's versions (unicode tables). Not list(HealthCheck): the others (function_scoped_fixture,
# nested_given, differing_executors, ...) flag a mistake in how a test is written, give the same
# answer on every machine, and a test that knowingly needs one suppresses it itself, keeping these:
#     @settings(suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.X])
# (a per-test suppress_health_check REPLACES the profile's list, it does not add to it).
#
# "explore" (HYPOTHESIS_PROFILE=explore, or pytest --hypothesis-profile=explore) draws new random
# examples every run and keeps failing ones in the example database (.hypothesis/, git-ignored) to
# replay first; print_blob prints how to reproduce a failure with @reproduce_failure.
SPEED_DEPENDENT_HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.large_base_example,
                                 HealthCheck.data_too_large, HealthCheck.filter_too_much]
# Both start from hypothesis's own "default" profile, not from whichever profile is loaded now
# (hypothesis loads its own "ci" profile, which has no database, when it sees a CI environment).
settings.register_profile("ci", settings.get_profile("default"), derandomize=True, database=None,
                          deadline=None, print_blob=True, suppress_health_check=SPEED_DEPENDENT_HEALTH_CHECKS)
settings.register_profile("explore", settings.get_profile("default"), derandomize=False,
                          deadline=None, print_blob=True, suppress_health_check=SPEED_DEPENDENT_HEALTH_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], ScriptedServer]]:
    """Start a scripted server (support.ScriptedServer) for the test; shut down every one it started."""
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        server = ScriptedServer(script)
        server.thread.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.httpd.shutdown()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    """A local server that accepts connections and never answers (support.SilentServer)."""
    server = SilentServer()
    yield server
    server.close()


# The review store's tests run on SQLite and on PostgreSQL: a server of the session's own
# (personalnote.testing.TemporaryPostgres: initdb into a temporary folder, a unix socket there, as
# the postgres user when run as root), a new schema for each store. Without PostgreSQL's programs
# or psycopg those tests skip, except under CI=true, where they fail.


@pytest.fixture(scope="session")
def postgres() -> Iterator[TemporaryPostgres]:
    server = TemporaryPostgres()
    try:
        server.start()
    except (pn.ConfigurationError, ImportError) as exc:
        server.stop()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed for the store tests under CI: {exc}")
        pytest.skip(f"no PostgreSQL here ({exc}); under CI=true this fails instead of skipping")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stores(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Stores:
    """New, empty stores of the test's backend (support.Stores)."""
    server = request.getfixturevalue("postgres") if backend == "postgresql" else None
    return Stores(backend, tmp_path, server)


@pytest.fixture
def store_url(stores: Stores) -> Target:
    """A new, empty store of the test's backend: a SQLite file's path, or a postgresql:// URL."""
    return stores.new()


@pytest.fixture
def web_store_path(tmp_path: Path) -> Path:
    """A review store of fake-model drafts and three reviewer accounts (support.web_store)."""
    from .support import web_store

    return web_store(tmp_path / "review.sqlite3")
