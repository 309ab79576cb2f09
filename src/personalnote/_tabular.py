"""Loading table exports: CSV files, folders of them, and pandas DataFrames.

Each loader takes a ``ColumnMapping`` or a preset (a name from ``export_presets()``, or an
``ExportPreset``). It returns every customer of its input, or raises one error listing every
bad row; rows a mapping's filter leaves out are counted in ``Dataset.left_out``.

Example::

    data = load_csv("orders_export.csv", preset="shopify_orders")
    data.left_out          # e.g. 2 rows with Financial Status 'refunded' (kept: paid, partially_paid)
    data = load_csv("transactions.csv", ColumnMapping(customer_id="cust", at="date", item="product"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._csv_reader import csv_rows
from ._errors import ConfigurationError, HistoryValidationError, InputFileError, RecordProblem
from ._history import CustomerHistory, Dataset, LeftOutRows
from ._loaders import read_text
from ._mapping import ColumnMapping, ExportPreset
from ._presets import find_preset
from ._rows import Table, read_rows

__all__ = ["load_csv", "load_dataframe"]


def _choose(mapping: ColumnMapping | None, preset: str | ExportPreset | None) -> tuple[ColumnMapping | None,
                                                                                      ExportPreset | None]:
    if (mapping is None) == (preset is None):
        raise ConfigurationError("give a ColumnMapping or a preset (one of the two), e.g. "
                                 "load_csv(path, preset='shopify_orders')")
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        raise ConfigurationError(f"the mapping is a ColumnMapping, not {type(mapping).__name__}; for a "
                                 f"named preset write preset={mapping!r}")
    chosen = find_preset(preset) if preset is not None else None
    return (chosen.mapping if chosen is not None else mapping), chosen


def _missing_columns(mapping: ColumnMapping, header: list[str], preset: ExportPreset | None) -> str | None:
    missing = [c for c in mapping.required_columns() if c not in header]
    if not missing:
        return None
    shown = header if len(header) <= 30 else [*header[:30], "..."]
    if preset is not None:
        return (f"column(s) {missing} not found: this is not the export the preset {preset.name!r} reads "
                f"(the file has {shown})")
    return (f"column(s) {missing} not found; the file has {shown}. Fix the ColumnMapping to name existing "
            "columns.")


def _read_csv(path: Path, mapping: ColumnMapping, preset: ExportPreset | None, **options: Any) -> Table:
    text = read_text(path).removeprefix("\ufeff")  # a byte-order mark (Excel) is not part of the first column
    header, rows = csv_rows(path, text, **options)
    problem = _missing_columns(mapping, header, preset)
    if problem:
        raise InputFileError(path, problem, line=1)
    return read_rows(rows, mapping, str(path), f"{path.stem}-row")


def load_csv(path: str | Path, mapping: ColumnMapping | None = None, *,
             preset: str | ExportPreset | None = None, delimiter: str = ",",
             skip_initial_space: bool = False, has_header: bool = True,
             fieldnames: list[str] | None = None) -> Dataset:
    """Load a table export: each row is an event (or a profile) of the customer it names.

    Give a ``ColumnMapping``, or a ``preset`` by name (see ``export_presets()``); a folder
    preset such as ``salesforce_export`` reads a folder. ``fieldnames`` names the columns of a
    file without a header row. Rows the mapping's filter leaves out are in ``.left_out``.

    Example::

        data = load_csv("orders_export.csv", preset="shopify_orders")
        data = load_csv("salesforce_export/", preset="salesforce_export")
    """
    chosen, named = _choose(mapping, preset)
    path = Path(path)
    if named is not None and named.files:
        return _load_folder(path, named)
    assert chosen is not None
    options = {"delimiter": delimiter, "skip_initial_space": skip_initial_space,
               "fieldnames": None if has_header or fieldnames is None else list(fieldnames)}
    table = _read_csv(path, chosen, named, **options)
    return Dataset.model_construct(customers=table.customers, left_out=table.left_out)  # validated


def load_dataframe(frame: Any, mapping: ColumnMapping | None = None, *,
                   preset: str | ExportPreset | None = None, name: str = "dataframe") -> Dataset:
    """Load a pandas DataFrame with a column mapping or a one-file preset, as ``load_csv`` does.

    Row numbers in errors are the DataFrame's positional rows (0-based). NaN, None, NaT and
    empty strings in optional columns are missing values.

    Example::

        data = load_dataframe(pandas.read_csv("orders_export.csv"), preset="shopify_orders")
    """
    chosen, named = _choose(mapping, preset)
    if chosen is None:
        raise ConfigurationError(f"the preset {preset!r} reads a folder of files; load it with "
                                 "load_csv(folder, preset=...)")
    columns = [str(c) for c in frame.columns]
    missing = [c for c in chosen.required_columns() if c not in columns]
    if missing:
        raise InputFileError(None, f"column(s) {missing} not in the DataFrame (it has {columns})")
    table = read_rows(enumerate(frame.to_dict("records")), chosen, f"<{name}>", f"{name}-row")
    return Dataset.model_construct(customers=table.customers, left_out=table.left_out)  # validated


def _load_folder(folder: Path, preset: ExportPreset) -> Dataset:
    """A folder preset: the profiles' file first, then each event file joined onto those profiles."""
    names = ", ".join(name for name, _ in preset.files)
    if not folder.is_dir():
        raise InputFileError(folder, f"the preset {preset.name!r} reads a folder holding {names}; give the "
                             "folder")
    tables: list[tuple[Path, ColumnMapping, Table]] = []
    problems: list[RecordProblem] = []
    for name, mapping in preset.files:
        path = folder / name
        if not path.exists() and name in preset.optional_files:
            continue
        if not path.exists():
            raise InputFileError(path, f"no such file: the preset {preset.name!r} reads {names} from the "
                                 f"folder ({', '.join(preset.optional_files) or 'none'} optional)")
        try:
            tables.append((path, mapping, _read_csv(path, mapping, preset)))
        except HistoryValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise HistoryValidationError(problems)
    return _join(tables)


def _join(tables: list[tuple[Path, ColumnMapping, Table]]) -> Dataset:
    """The profiles of the first table with the events of the others; an event of no loaded profile
    (a lead, or a contact the filter left out) is left out and counted."""
    (profiles_path, _, profiles), *others = tables
    known = {history.customer.id: history for history in profiles.customers}
    events: dict[str, list[Any]] = {}
    left_out: list[LeftOutRows] = list(profiles.left_out)
    for path, mapping, table in others:
        left_out.extend(table.left_out)
        unmatched: list[int] = []
        for history in table.customers:
            if history.customer.id in known:
                events.setdefault(history.customer.id, []).extend(history.events)
            else:
                unmatched.extend(table.lines[history.customer.id])
        if unmatched:
            left_out.append(LeftOutRows(
                path=str(path), column=mapping.customer_id, value=None,
                reason=f"no customer with that id in {profiles_path.name}: a lead, or a contact left out",
                count=len(unmatched), lines=sorted(unmatched)))
    customers: list[CustomerHistory] = []
    problems: list[RecordProblem] = []
    for index, (customer_id, history) in enumerate(known.items()):
        joined = [*history.events, *events.get(customer_id, [])]
        ids = [event.id for event in joined]
        if len(set(ids)) != len(ids):
            problems.append(RecordProblem(str(profiles_path.parent), index, customer_id, "events.id",
                                          "two files give an event the same id", "event ids unique "
                                          "across the files"))
        customers.append(CustomerHistory.model_construct(customer=history.customer, events=joined,
                                                         business_events=[]))
    if problems:
        raise HistoryValidationError(problems)
    return Dataset.model_construct(customers=customers, left_out=left_out)
