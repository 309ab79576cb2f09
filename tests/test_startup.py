"""Issue 14: commands that call no model do not import the model SDKs (openai costs about a second).

Each command runs in a fresh interpreter, which then lists the heavy modules it has imported: a
behaviour, not a time (bench/startup.py measures the time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import personalnote as pn

from .support import FIXTURES

HEAVY = ("openai", "tiktoken", "llama_cpp")

_PROBE = """
import json, sys
from personalnote.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print(json.dumps({"status": status, "heavy": sorted(m for m in %r if m in sys.modules)}))
"""


def _imports_after(*argv: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _PROBE % (HEAVY,), *argv], capture_output=True, text=True,
                          check=False, env={**os.environ, **(env or {})})
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "review.sqlite3"
    pn.ReviewQueue(path).close()
    return path


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["--version"],
    ["review", "list", "--store", "{store}"],
    ["stats", "--store", "{store}"],
    ["export", "--format", "jsonl", "--out", "{out}", "--store", "{store}"],
    ["moments", str(FIXTURES / "customers" / "flyer_2m_miles.json"), "--as-of", "2026-11-20"],
], ids=["help", "version", "review list", "stats", "export", "moments"])
def test_a_command_that_calls_no_model_imports_no_model_sdk(argv: list[str], store: Path,
                                                            tmp_path: Path) -> None:
    args = [a.format(store=store, out=tmp_path / "out.jsonl") for a in argv]
    result = _imports_after(*args)
    assert result["status"] == (4 if argv[0] == "export" else 0)  # 4: an empty store has nothing to export
    assert result["heavy"] == []


def test_the_probe_sees_an_sdk_a_command_imports(tmp_path: Path) -> None:
    """The probe above can fail: writing Batch API requests counts tokens, so tiktoken is imported."""
    result = _imports_after("draft", str(FIXTURES / "customers" / "flyer_2m_miles.json"), "--as-of",
                            "2026-11-20T18:00:00Z", "--model", "gpt-4o-mini", "--write-batch",
                            str(tmp_path / "requests.jsonl"), env={"OPENAI_API_KEY": "sk-test"})
    assert result["status"] == 0
    assert "tiktoken" in result["heavy"]  # type: ignore[operator]
