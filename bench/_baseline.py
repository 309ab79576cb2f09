"""An earlier commit's library, to compare old and new in one run on the same machine.

``source_at(rev)`` extracts ``src/`` of a commit (``git archive``) into a temporary folder once;
``run_at(rev, args)`` runs a bench script with that source first on ``PYTHONPATH`` and returns its
stdout. The venv's packages are shared, so only the library differs.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache
def source_at(rev: str) -> Path:
    """The ``src`` folder of commit ``rev``, extracted into a temporary folder."""
    blob = subprocess.run(["git", "archive", "--format=tar", rev, "src"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    target = Path(tempfile.mkdtemp(prefix=f"personalnote-{rev[:10]}-"))
    with tarfile.open(fileobj=io.BytesIO(blob)) as archive:
        archive.extractall(target, filter="data")
    return target / "src"


def commit_of(rev: str) -> str:
    return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()


def run_at(rev: str | None, script: Path, args: list[str]) -> str:
    """stdout of ``python script *args`` with the library of ``rev`` (None: the working tree)."""
    env = dict(os.environ)
    src = source_at(rev) if rev is not None else ROOT / "src"
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, str(script), *args], env=env, check=True, capture_output=True,
                          text=True)
    return done.stdout
