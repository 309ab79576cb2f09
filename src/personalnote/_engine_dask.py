"""Dask for ``draft_many``: each customer's CPU work on the workers of a cluster (the extra ``dask``).

``dask_executor`` gives the ``concurrent.futures.Executor`` of a Dask cluster, to pass as
``draft_many(..., executor=...)``: a scheduler's address, a ``distributed.Client`` or a cluster
object you made, or nothing for a ``LocalCluster`` on this machine (one single-threaded worker
process per core). Before it is handed out, every worker is asked what it runs: personalnote's
own code (a digest of its files) and the versions of Python and of the libraries the checks
depend on must equal this process's, or a ``ConfigurationError`` names the workers and the
differences. A worker that drafted with other checks would queue notes this process would not.

What runs where: the workers build each customer's context, find its moments, render the prompt
and check each candidate; this process reads the customers, calls the model, keeps the cost cap
and writes the review queue. A worker lost mid-task has its task run again elsewhere by Dask:
the work is pure, and nothing is queued twice, since only this process queues.

Example::

    with pn.dask_executor("tcp://10.0.0.5:8786") as executor:
        result = pn.draft_many(pn.load_stream("customers.jsonl"), as_of=as_of, queue=queue,
                               model="gpt-4o-mini", concurrency=64, executor=executor)
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from . import _constants as C
from ._errors import ConfigurationError

__all__ = ["dask_executor", "library_environment"]

_PACKAGE = Path(__file__).parent
_INSTALL = "install it with: pip install 'personalnote[dask]'"


@cache
def _code_digest() -> str:
    """sha256 of personalnote's own files (modules and shipped prompts), by path inside the package."""
    digest = hashlib.sha256()
    for path in sorted([*_PACKAGE.glob("*.py"), *_PACKAGE.glob("prompts/*.toml")]):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def library_environment() -> dict[str, str | None]:
    """What every process of a batch must share: personalnote's code, Python's version, and the
    versions of the libraries the checks and prompts depend on (None: not installed)."""
    import importlib.metadata  # here: not on the import of personalnote (the CLI's start-up)

    found: dict[str, str | None] = {"personalnote code": _code_digest(),
                                    "python": f"{sys.version_info.major}.{sys.version_info.minor}"}
    for name in C.DASK_SAME_VERSIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def _differences(here: dict[str, str | None], there: dict[str, str | None]) -> str:
    return ", ".join(f"{key} {there.get(key)!r} (here {value!r})" for key, value in here.items()
                     if there.get(key) != value)


def check_workers(client: Any) -> int:
    """The number of workers, after checking each runs what this process runs (``ConfigurationError``)."""
    try:
        found: dict[str, Any] = client.run(library_environment, on_error="return")
    except Exception as exc:  # noqa: BLE001 - a worker that cannot even load the probe: say what to do
        raise ConfigurationError(f"the Dask workers cannot run personalnote ({type(exc).__name__}: {exc}); "
                                 "install the same personalnote, with the same extras, on every worker"
                                 ) from exc
    here = library_environment()
    problems = []
    for worker, there in sorted(found.items()):
        if isinstance(there, BaseException):
            problems.append(f"{worker}: cannot run personalnote ({type(there).__name__}: {there})")
        elif there != here:
            problems.append(f"{worker}: {_differences(here, there)}")
    if problems:
        raise ConfigurationError("Dask workers that would not draft as this process does:\n  "
                                 + "\n  ".join(problems) + "\ninstall the same personalnote and the same "
                                 "versions of these libraries on every worker (and in this process)")
    return len(found)


@contextmanager
def dask_executor(cluster: Any = None, *, workers: int | None = None,
                  timeout: float = C.DASK_TIMEOUT_SECONDS) -> Iterator[Executor]:
    """A Dask cluster's executor for ``draft_many(..., executor=...)`` (see the module docstring).

    ``cluster``: a scheduler address (``"tcp://10.0.0.5:8786"``), a ``distributed.Client``, a
    cluster object (``LocalCluster``, ``SpecCluster``...), or None: a ``LocalCluster`` of
    ``workers`` single-threaded worker processes [one per core], closed at the end. ``workers``:
    with a cluster, wait until that many have joined [one]. ``timeout``: seconds to connect and
    for the workers to join. A Client or cluster you pass is not closed.

    Example::

        with pn.dask_executor(workers=2) as executor:         # a LocalCluster on this machine
            result = pn.draft_many(data.customers, as_of=as_of, queue=queue, executor=executor)
    """
    try:
        import distributed as typed_distributed
    except ImportError as exc:
        raise ConfigurationError(f"dask_executor needs Dask's distributed package: {_INSTALL}") from exc
    distributed: Any = typed_distributed  # partly typed: its calls are untyped
    if workers is not None and workers < 1:
        raise ConfigurationError(f"workers must be at least 1, not {workers}")
    with ExitStack() as stack:
        if isinstance(cluster, distributed.Client):
            client = cluster
        else:
            if cluster is None:
                cluster = stack.enter_context(distributed.LocalCluster(  # on loopback, no dashboard
                    n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None, timeout=timeout,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}))  # its HTTP routes: any free port
            elif not isinstance(cluster, str | distributed.deploy.cluster.Cluster):
                raise ConfigurationError("dask_executor(cluster=...) takes a scheduler address such as "
                                         f"'tcp://10.0.0.5:8786', a distributed.Client or a cluster, not "
                                         f"{type(cluster).__name__}")
            try:
                client = stack.enter_context(distributed.Client(cluster, timeout=timeout,
                                                                set_as_default=False))
            except OSError as exc:
                raise ConfigurationError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from exc
        try:
            client.wait_for_workers(workers or 1, timeout=timeout)
        except TimeoutError as exc:
            raise ConfigurationError(f"fewer than {workers or 1} Dask worker(s) joined the scheduler "
                                     f"{client.scheduler.address} within {timeout:g} s") from exc
        check_workers(client)
        executor: Executor = client.get_executor(pure=False)  # no hashing of the arguments for task keys
        try:
            yield executor
        finally:
            executor.shutdown(wait=True)
