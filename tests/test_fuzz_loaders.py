"""Issue 12: a fuzzing harness for the loaders and the CLI.

Whole customer files (JSON, JSONL, CSV, and DataFrames) are generated from a valid base and one to
three mutations from the red team's malformed-input families (tests/fuzz_strategies.py). Each file
either loads cleanly and round-trips (every customer's ``model_dump_json()`` written back as JSONL
loads to an equal Dataset), or gives a typed ``InputError`` naming the file, and for record problems
every ``RecordProblem`` names the field and the record. Never another exception. No deadline: every
file is bounded in size (fuzz_strategies.MAX_BYTES), and the profile in conftest.py stays derandomized.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import personalnote as pn
from personalnote.cli import main

from . import fuzz_strategies as fz

AS_OF = "2026-11-20T18:00:00Z"
#: the profile's suppressions plus tmp_path reused across examples (each example overwrites its file)
SUPPRESS = [*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture]


def write(tmp_path: Path, name: str, blob: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def check_error(exc: pn.InputError, path: Path | str) -> None:
    """A typed error names the file; each record problem names its field and its record."""
    assert str(path) in str(exc), str(exc)
    if isinstance(exc, pn.InputFileError):
        assert exc.path == str(path)
        assert exc.detail
    else:
        assert isinstance(exc, pn.HistoryValidationError), type(exc)
        assert exc.problems
        for problem in exc.problems:
            assert problem.path == str(path), problem
            assert problem.field and isinstance(problem.field, str), problem
            assert isinstance(problem.record_index, int) and problem.record_index >= 0, problem
            assert problem.message, problem


def check_round_trip(dataset: pn.Dataset, tmp_path: Path) -> None:
    """Each customer's model_dump_json(), and each business event's, written back as JSONL, loads equal."""
    lines = [h.model_dump_json() for h in dataset.customers]
    lines += [e.model_dump_json() for e in dataset.business_events]
    if not lines:  # nothing to write back: an empty JSONL file is an error, by design
        return
    again = write(tmp_path, "again.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    reloaded = pn.load(again)
    assert reloaded == dataset
    assert reloaded.model_dump() == dataset.model_dump()


def load_or_typed_error(path: Path, tmp_path: Path) -> pn.Dataset | None:
    try:
        dataset = pn.load(path)
    except pn.InputError as exc:
        check_error(exc, path)
        return None
    check_round_trip(dataset, tmp_path)
    return dataset


# -- JSON and JSONL: one test per family (a failure names its family), then families combined.

#: per family; ~2-4 ms an example on a 2-core machine
EXAMPLES = 250
TREE_FAMILIES = sorted(fz.TREE_MUTATIONS)
BYTE_FAMILIES = sorted(fz.BYTE_MUTATIONS)
#: families with a known bug in src: family -> the exact exception and reproducer (none left open)
KNOWN_BUGS: dict[str, str] = {}


def family_param(family: str) -> Any:
    if family in KNOWN_BUGS:
        return pytest.param(family, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[family]))
    return family


@pytest.mark.parametrize("family", [family_param(f) for f in TREE_FAMILIES])
@settings(max_examples=EXAMPLES, suppress_health_check=SUPPRESS)
@given(data=st.data())
def test_json_family_loads_or_gives_a_typed_error(tmp_path: Path, family: str, data: st.DataObject) -> None:
    """One family's mutations (one to three of them) on a .json or .jsonl file."""
    file = data.draw(fz.json_files(families=(family,)), label="file")
    load_or_typed_error(write(tmp_path, *file), tmp_path)


@pytest.mark.parametrize("family", [family_param(f) for f in BYTE_FAMILIES])
@settings(max_examples=EXAMPLES, suppress_health_check=SUPPRESS)
@given(data=st.data())
def test_byte_family_loads_or_gives_a_typed_error(tmp_path: Path, family: str, data: st.DataObject) -> None:
    """Truncation, byte flips (invalid UTF-8), raw separators and NUL, a BOM, CRLF, UTF-16, empty files,
    on top of any tree mutations."""
    file = data.draw(fz.json_files(byte_families=(family,)), label="file")
    load_or_typed_error(write(tmp_path, *file), tmp_path)


@settings(max_examples=400, suppress_health_check=SUPPRESS)
@given(file=fz.json_files(byte_families=tuple(BYTE_FAMILIES)))
def test_all_json_families_combined_load_or_give_a_typed_error(tmp_path: Path,
                                                               file: tuple[str, bytes]) -> None:
    load_or_typed_error(write(tmp_path, *file), tmp_path)


@settings(max_examples=100, suppress_health_check=SUPPRESS)
@given(file=fz.json_files())
def test_mutated_files_that_load_are_valid_for_the_strict_validator(tmp_path: Path,
                                                                    file: tuple[str, bytes]) -> None:
    """What the loader accepts, the model accepts again from its own dump (no lenient path in between)."""
    dataset = load_or_typed_error(write(tmp_path, *file), tmp_path)
    if dataset is not None:
        for history in dataset.customers:
            assert pn.CustomerHistory.model_validate_json(history.model_dump_json()) == history


def test_the_unmutated_base_files_load() -> None:
    """The base the families mutate is valid: a mutation is what makes a file bad."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        document = {"customers": [fz.base_customer("C-1"), fz.base_customer("C-2")],
                    "business_events": fz.BUSINESS_EVENTS}
        dataset = load_or_typed_error(write(tmp, "c.json", json.dumps(document).encode()), tmp)
        assert dataset is not None and len(dataset.customers) == 2 and len(dataset.business_events) == 4
        text = fz.CSV_HEADER, fz.CSV_ROWS
        csv_text = fz._csv_text(*text, {}, ",", "\n")
        mapping = pn.ColumnMapping(customer_id="cust", at="date", item="product", amount="dollars")
        assert len(pn.load_csv(write(tmp, "t.csv", csv_text.encode()), mapping).customers) == 3


# -- CSV and DataFrames.


@pytest.mark.parametrize("family", [family_param(f"csv:{f}") for f in (*fz.CSV_FAMILIES, "bytes")])
@settings(max_examples=EXAMPLES, suppress_health_check=SUPPRESS)
@given(data=st.data())
def test_csv_family_loads_or_gives_a_typed_error(tmp_path: Path, family: str, data: st.DataObject) -> None:
    """One CSV family's mutations ("bytes": any CSV mutations, then one on the file's bytes)."""
    name = family.removeprefix("csv:")
    strategy = (fz.csv_files(byte_families=tuple(BYTE_FAMILIES)) if name == "bytes"
                else fz.csv_files(families=(name,)))
    name, blob, options, delimiter = data.draw(strategy, label="file")
    path = write(tmp_path, name, blob)
    try:
        mapping = pn.ColumnMapping(**options)
    except pn.ConfigurationError:  # a bad mapping is the caller's error, refused before any file is read
        return
    try:
        dataset = pn.load_csv(path, mapping, delimiter=delimiter)
    except pn.InputError as exc:
        check_error(exc, path)
        if isinstance(exc, pn.HistoryValidationError):
            for problem in exc.problems:  # a CSV problem names the row's line and the column
                assert problem.line is not None and problem.line >= 2, problem
        return
    check_round_trip(dataset, tmp_path)


@settings(max_examples=300, suppress_health_check=SUPPRESS)
@given(rows=st.lists(st.fixed_dictionaries({c: fz.dataframe_cells() for c in ("cust", "date", "dollars",
                                                                                "qty", "product")}),
                     min_size=1, max_size=6),
       options=fz.csv_mapping_options())
def test_dataframe_cells_load_or_give_a_typed_error(tmp_path: Path, rows: list[dict[str, Any]],
                                                    options: dict[str, Any]) -> None:
    pd = pytest.importorskip("pandas")
    options = {k: v for k, v in options.items() if k not in ("event_id", "sku", "currency", "given_name",
                                                             "family_name")}
    try:
        mapping = pn.ColumnMapping(**options)
    except pn.ConfigurationError:
        return
    frame = pd.DataFrame(rows)
    try:
        dataset = pn.load_dataframe(frame, mapping, name="frame")
    except pn.InputFileError as exc:  # a missing column: the frame has no path
        assert "not in the DataFrame" in str(exc), str(exc)
        return
    except pn.InputError as exc:
        check_error(exc, "<frame>")
        return
    check_round_trip(dataset, tmp_path)


# -- The CLI: exit 0 or 2, never a traceback.


def run_cli(path: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["moments", str(path), "--as-of", AS_OF, "--json"])
    return code, err.getvalue()


@pytest.mark.parametrize("family", [family_param(f) for f in TREE_FAMILIES])
@settings(max_examples=60, suppress_health_check=SUPPRESS)
@given(data=st.data())
def test_cli_moments_exits_0_or_2_without_a_traceback(tmp_path: Path, family: str,
                                                      data: st.DataObject) -> None:
    """`personalnote moments FILE --as-of ... --json` on each family, with a byte mutation now and then."""
    file = data.draw(fz.json_files(families=(family,), byte_families=tuple(BYTE_FAMILIES)), label="file")
    path = write(tmp_path, *file)
    code, err = run_cli(path)
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err, err
    if code == 2:
        assert "personalnote: error:" in err, err
