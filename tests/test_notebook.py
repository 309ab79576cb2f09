"""The example notebook runs from top to bottom on the embedded model and does what it says.

It is executed with nbclient on a kernel from this interpreter's ipykernel (two drafts on
SmolLM2-135M: one to two minutes on two cores; the experiment at the end is drafted with
FakeChatModel, a few seconds). Its temporary folder lands in ``tmp_path``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

import personalnote as pn
from personalnote._signatures import sha256_text

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "review_notebook.ipynb"
#: seconds a cell may take (a draft on a busy 2-core machine took up to 50 s)
CELL_TIMEOUT = 600


def _kernel(tmp_path: Path) -> KernelManager:
    """A kernel that runs this interpreter (the .venv), whatever kernels the machine has installed."""
    spec = tmp_path / "kernels" / "personalnote"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "personalnote tests", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(kernel_name="personalnote", kernel_spec_manager=specs)


def _text(cell: Any) -> str:
    """Everything a code cell showed: printed text and the text/html of displays and results."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("display_data", "execute_result"):
            parts.append(output["data"].get("text/html", "") + output["data"].get("text/plain", ""))
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    tmp_path = tmp_path_factory.mktemp("notebook")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp_path))  # the notebook's tempfile.mkdtemp() goes here
        client = NotebookClient(notebook, km=_kernel(tmp_path), timeout=CELL_TIMEOUT,
                                resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()  # raises CellExecutionError on the first cell that fails
    [work] = tmp_path.glob("personalnote-review-*")
    return notebook, work


def test_the_committed_notebook_is_clean() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_every_cell_ran_without_error(executed: tuple[Any, Path]) -> None:
    notebook, _ = executed
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o["output_type"] == "error"]


def test_it_shows_moments_drafts_the_queue_and_the_widgets(executed: tuple[Any, Path]) -> None:
    notebook, _ = executed
    shown = "\n".join(_text(c) for c in notebook.cells if c.cell_type == "code")
    assert "C-1001  milestone" in shown and "C-7007  no note: do_not_contact" in shown
    assert shown.count("drafted in") == 2
    assert 'class="pn-note"' in shown  # a draft's HTML with its note
    assert "Review queue" in shown and "<b>2</b> pending" in shown
    widget_views = [o for c in notebook.cells for o in c.get("outputs", [])
                    if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widget_views) == 2  # Alice's and Bob's review widgets
    assert "Saved version 2, checked again" in shown and "Approved version 3 as Alice Smith" in shown
    assert "you read version 1 but it is now version 2 (rejected)" in shown
    assert "StaleDraftError -> rejected" in shown


def test_it_exports_the_one_approved_note_and_reports_the_stats(executed: tuple[Any, Path]) -> None:
    notebook, work = executed
    [line] = (work / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    note = json.loads(line)
    assert note["customer_id"] == "C-1001" and note["version"] == 3
    approval = note["approval"]
    assert approval["reviewer_id"] == "alice" and approval["meaning"] in ("approve", "override")
    assert note["text_sha256"] == sha256_text(note["text"]) and "2 million miles" in note["text"]
    assert [s["meaning"] for s in note["signatures"]][0] == "edit"
    card = (work / "cards.html").read_text(encoding="utf-8")
    assert card.count('class="page card"') == 1 and "J. Reyes, First Officer" in card
    assert "Alice Smith" not in card  # the approver is in the manifest, not on the card
    assert "Alice Smith" in (work / "cards.html.manifest.csv").read_text(encoding="utf-8")
    shown = "\n".join(_text(c) for c in notebook.cells if c.cell_type == "code")
    assert f"exported 1 approved note(s) to {work / 'notes.jsonl'}" in shown
    assert "1 approved after an edit" in shown
    assert "1 rejected {'Ana will write this one by hand': 1}" in shown
    assert "ChainReport(ok=True, rows=3" in shown
    with pn.ReviewQueue(work / "review.sqlite3") as queue:
        assert [d.state for d in queue.drafts()] == ["exported", "rejected"] and queue.verify().ok


def test_it_reports_an_experiment_with_a_plot_and_an_outcome_as_a_fact(executed: tuple[Any, Path]) -> None:
    notebook, work = executed
    shown = "\n".join(_text(c) for c in notebook.cells if c.cell_type == "code")
    with pn.ReviewQueue.open(work / "experiment.sqlite3") as lab:
        [name] = lab.experiments()
        report = lab.experiment(name)
        replied = next(o for o in lab.outcomes() if o.outcome == "replied")
    assert report.verdict.startswith("arm note@4 was approved unchanged more often")
    assert report.verdict in shown
    assert 'class="pn-experiment"' in shown and 'src="data:image/png;base64,' in shown
    assert f"{replied.customer_id}: note_outcome (outcome: replied, about: milestone:" in shown
