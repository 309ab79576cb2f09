"""One layer per step: a module may import only modules of its own step or of the steps before it.

The steps are the data flow in docs/design.md, with each step's data types ahead of the process
that makes them (the checks read a ``Draft`` from ``_draft_types``; drafting calls the checks).
Two kinds of import may point up: ``_repr_html_`` methods importing the notebook display (the
way pandas and httpx keep rich display out of the core), and type-only imports in ``_errors`` and
its two parts (the exceptions carry the data of later steps). The CLI is a client of the library:
it imports the package's public names, the defaults and the loaders' text reader, nothing else.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import personalnote as pn

PACKAGE = Path(pn.__file__).parent

#: the data flow, first step first
STEPS: list[tuple[str, set[str]]] = [
    ("foundation", {"_constants", "_errors_core", "_errors_review", "_errors", "_instants"}),
    ("history", {"_fields", "_history", "_json_reader", "_csv_reader", "_loaders", "_jsonl_stream",
                 "_mapping", "_presets", "_rows", "_tabular"}),
    ("context", {"_context"}),
    ("moments", {"_moment_types", "_items", "_detectors", "_memory", "_moments"}),
    ("prompt", {"_redact", "_prompts", "_compose", "_examples"}),
    ("tokens", {"_tokens"}),
    ("model", {"_chat", "_model_names", "_model", "_local", "_resolve", "testing"}),
    ("draft data", {"_draft_types", "_experiment", "_options"}),
    ("checks", {"_untrusted", "_form", "_names", "_known_facts", "_grounding", "_model_words", "_repeats",
                "_style_checks", "_checks"}),
    ("drafting", {"_sentences", "_job", "_draft", "_redraft"}),
    ("review data", {"_store_schema", "_store_dialect", "_store_pg", "_store", "_signatures", "_queue_types",
                     "_outcomes", "_reviewers"}),
    ("export", {"_printing", "_pdf", "_export", "_intervals", "_experiment_report", "_experiment_stats",
                "_house_style", "_edits", "_review_export"}),
    ("review", {"_review", "_store_copy"}),
    ("evaluation", {"_eval"}),
    ("batch", {"_batch_report", "_batch_work", "_batch_plan", "_batch", "_batch_api", "_engine_dask"}),
    ("notebooks", {"_display", "_widgets"}),
    # the review web app (personalnote[web]): an edge the core never imports; ``web`` is its public face
    ("web", {"_web_auth", "_web_pages", "_web_routes", "_web_app", "web"}),
    ("interface", {"__init__", "_cli_common", "_cli_review", "_cli_eval", "cli_experiments", "cli_store",
                   "cli_web", "cli", "__main__"}),
]

#: the modules of the exception tree (``_errors`` re-exports the other two)
ERROR_MODULES = {"_errors", "_errors_core", "_errors_review"}

#: the modules of the command line
CLI_MODULES = {"cli", "_cli_common", "_cli_review", "_cli_eval", "cli_experiments", "cli_store", "cli_web"}
#: what the CLI may import besides the package's public names and its own modules: the defaults, the
#: text reader, the as_of parser, and the public web module (an extra, imported when a command needs it)
CLI_PRIVATE_IMPORTS = {("_constants", None), ("_loaders", "read_text"), ("_instants", "parse_as_of"),
                       ("web", None)}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module of the package ("__init__" for the package itself)
    names: tuple[str, ...]
    where: str  # "top", "type-only" or the name of the enclosing function
    line: int


def package_imports(package: Path) -> list[Import]:
    """Every import of a module of ``package`` by a module of it, with where it stands."""
    modules = {p.stem for p in package.glob("*.py")}
    found: list[Import] = []
    for path in sorted(package.glob("*.py")):

        def visit(node: ast.AST, where: str, path: Path = path) -> None:
            for child in ast.iter_child_nodes(node):
                inner = where
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    inner = child.name
                elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    inner = "type-only"
                if isinstance(child, ast.ImportFrom) and child.level == 1:
                    names = tuple(a.name for a in child.names)
                    if child.module is not None:
                        found.append(Import(path.stem, child.module, names, inner, child.lineno))
                    else:  # from . import _constants / from . import PublicName
                        for name in names:
                            target = name if name in modules else "__init__"
                            found.append(Import(path.stem, target, (name,), inner, child.lineno))
                elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("personalnote"):
                    target = (child.module or "").removeprefix("personalnote").lstrip(".") or "__init__"
                    found.append(Import(path.stem, target, tuple(a.name for a in child.names), inner,
                                        child.lineno))
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8")), "top")
    return found


def allowed_upward(imp: Import) -> bool:
    return ((imp.target == "_display" and imp.where == "_repr_html_")
            or (imp.source in ERROR_MODULES and imp.where == "type-only"))


def layer_violations(imports: list[Import], steps: list[tuple[str, set[str]]]) -> list[str]:
    """Imports of a later step by an earlier one, and modules no step names."""
    step_of = {module: index for index, (_, modules) in enumerate(steps) for module in modules}
    problems = [f"{m}: not in any step of the data flow" for m in sorted({i.source for i in imports}
                                                                         | {i.target for i in imports})
                if m not in step_of]
    for imp in imports:
        if imp.source in step_of and imp.target in step_of and step_of[imp.target] > step_of[imp.source] \
                and not allowed_upward(imp):
            problems.append(f"{imp.source}:{imp.line} ({steps[step_of[imp.source]][0]}) imports {imp.target} "
                            f"({steps[step_of[imp.target]][0]}), a later step [{imp.where}]")
    return problems


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles among the imports that are not allowed to point up (depth-first search)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if not allowed_upward(imp) and imp.source != imp.target:
            graph.setdefault(imp.source, set()).add(imp.target)
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    return cycles


def test_every_module_imports_only_its_own_or_earlier_steps() -> None:
    assert layer_violations(package_imports(PACKAGE), STEPS) == []


def test_the_import_graph_has_no_cycle() -> None:
    assert import_cycles(package_imports(PACKAGE)) == []


def test_the_cli_imports_only_what_the_library_exports() -> None:
    imports = [i for i in package_imports(PACKAGE) if i.source in CLI_MODULES]
    public = {*pn.__all__, "__version__"}
    assert imports, "the CLI imports the library"
    for imp in imports:
        if imp.target in CLI_MODULES:
            continue
        if imp.target == "__init__":
            assert set(imp.names) <= public, imp
        else:
            assert all((imp.target, n if imp.target != n else None) in CLI_PRIVATE_IMPORTS
                       for n in imp.names), imp


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(text)
    return tmp_path


def test_the_check_finds_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The checks above can fail: a checks module importing drafting is both a violation and a cycle."""
    package = _package(tmp_path, {
        "_checks": "from ._draft import Draft\n",
        "_draft": "from ._checks import check\n",
        "_context": "def f():\n    from ._display import context_html\n",
        "_display": "",
    })
    imports = package_imports(package)
    steps = [("context", {"_context"}), ("checks", {"_checks"}), ("drafting", {"_draft"}),
             ("notebooks", {"_display"})]
    problems = layer_violations(imports, steps)
    assert len(problems) == 2 and "_checks:1 (checks) imports _draft (drafting)" in problems[0]
    assert "_context:2 (context) imports _display (notebooks), a later step [f]" in problems[1]
    assert import_cycles(imports) == [["_checks", "_draft", "_checks"]]


def test_the_allowed_upward_imports_are_only_display_and_error_types(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "_errors": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._checks import Finding\n",
        "_context": "class C:\n    def _repr_html_(self):\n        from ._display import context_html\n",
        "_checks": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._review import Queue\n",
        "_display": "", "_review": "",
    })
    steps = [("foundation", {"_errors"}), ("context", {"_context"}), ("checks", {"_checks"}),
             ("review", {"_review"}), ("notebooks", {"_display"})]
    problems = layer_violations(package_imports(package), steps)
    assert problems == ["_checks:3 (checks) imports _review (review), a later step [type-only]"]


def test_a_module_outside_the_steps_is_named(tmp_path: Path) -> None:
    package = _package(tmp_path, {"_new_step": "from ._context import x\n", "_context": ""})
    assert layer_violations(package_imports(package), [("context", {"_context"})]) == [
        "_new_step: not in any step of the data flow"]


WEB_STEP = "web"
WEB_LIBRARIES = ("starlette", "jinja2", "uvicorn", "argon2", "itsdangerous", "multipart", "playwright")


def test_the_core_never_imports_the_web_app() -> None:
    """Only the web step and the CLI's serve command import the web modules or their libraries."""
    web = dict(STEPS)[WEB_STEP]
    for imp in package_imports(PACKAGE):
        if imp.target in web:
            assert imp.source in web or imp.source == "cli_web", imp
    for path in PACKAGE.glob("*.py"):
        if path.stem in web:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            assert not [n for n in names if n.split(".")[0] in WEB_LIBRARIES], (path.name, names)
