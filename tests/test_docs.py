"""The docs site builds with ``mkdocs build --strict``, offline, and documents every public name.

The build runs in a subprocess whose every connection and name lookup is refused (and recorded),
with no proxy in its environment: a plugin that fetched something (material's social cards or privacy
plugin, an mkdocstrings inventory) would fail the build or be caught here, on any machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import personalnote as pn
import personalnote.testing

from .doc_blocks import ROOT

#: run before mkdocs in the subprocess: no socket may connect, no name may be looked up
OFFLINE = """
import os, socket, sys
def refuse(what):
    with open(os.environ["DOCS_NETWORK_LOG"], "a") as log:
        log.write(repr(what) + "\\n")
    raise OSError(f"the docs build tried to reach {what!r}: it must build offline")
def connect(self, address):
    refuse(address)
def getaddrinfo(host, *args, **kwargs):
    refuse(host)
socket.socket.connect = connect
socket.socket.connect_ex = connect
socket.getaddrinfo = getaddrinfo
socket.create_connection = lambda address, *a, **k: refuse(address)
from mkdocs.__main__ import cli
sys.argv[0] = "mkdocs"
cli()
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module's tests; the build's output is checked here."""
    out = tmp_path_factory.mktemp("site")
    network_log = out.parent / "network.log"
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    env.update(DOCS_NETWORK_LOG=str(network_log), NO_MKDOCS_2_WARNING="1",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", OFFLINE, "build", "--strict", "--clean",
                           "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    assert not re.search(r"^(WARNING|ERROR)\b", log, re.MULTILINE), log
    assert not network_log.exists(), f"the build tried to reach the network: {network_log.read_text()}"
    return out


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def test_the_site_builds_strictly_and_offline_with_every_page(site: Path) -> None:
    pages = sorted((ROOT / "docs").rglob("*.md"))
    assert pages, "docs/ holds the site's pages"
    for page in pages:  # every page is built (omitted from nav would have been a strict warning)
        relative = page.relative_to(ROOT / "docs").with_suffix("")
        built = site / ("index.html" if relative.name == "index" else relative / "index.html")
        assert built.is_file(), f"{page} was not built to {built}"


def test_the_built_pages_load_nothing_from_elsewhere(site: Path) -> None:
    """No script, style sheet or font from a CDN: the site reads offline."""
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?:)?//[^"]+"', html)
        assert not remote, (page, remote)


def test_the_api_reference_documents_every_public_name(site: Path) -> None:
    package = _ids(site / "reference" / "personalnote" / "index.html")
    missing = [name for name in pn.__all__ if f"personalnote.{name}" not in package]
    assert not missing, f"not in the API reference: {missing}"
    testing = _ids(site / "reference" / "testing" / "index.html")
    missing = [name for name in personalnote.testing.__all__ if f"personalnote.testing.{name}" not in testing]
    assert not missing, f"not in the API reference: {missing}"
    # the entry points show their docstrings' examples
    assert "draft_note(history, as_of=" in (site / "reference" / "personalnote" / "index.html").read_text()


def test_the_readme_links_to_pages_and_headings_that_exist(site: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#\s]+\.md)(?:#([^)\s]+))?\)", readme)
    assert len(links) >= 10, "the README links to the docs pages"
    for target, anchor in links:
        assert (ROOT / target).is_file(), target
        if anchor:
            relative = Path(target).relative_to("docs").with_suffix("")
            built = site / ("index.html" if relative.name == "index" else relative / "index.html")
            assert anchor in _ids(built), f"README.md links to {target}#{anchor}, which has no such heading"
