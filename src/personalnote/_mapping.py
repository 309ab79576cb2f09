"""Column mappings: which column of a table export holds what, validated when made.

A ``ColumnMapping`` turns each row of a CSV file or a DataFrame into one event of a customer
(or, with ``at=None``, one customer profile). Besides naming columns it can carry an order's
values down onto its later line items, number line items, leave rows out by a filter (counted
in ``Dataset.left_out``), compute an amount from a unit price, and split a full name.
``ExportPreset`` names a mapping for a widely used export (see ``_presets``).

Example::

    mapping = ColumnMapping(customer_id="Email", at="Created at", order_id="Name",
                            item="Lineitem name", unit_price="Lineitem price",
                            quantity="Lineitem quantity", carry_down=("Email", "Created at"),
                            keep={"Financial Status": ["paid"]}, full_name="Billing Name")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._errors import ConfigurationError
from ._fields import known_time_zone

__all__ = ["ColumnMapping", "EventKind", "ExportPreset"]

EventKind = Literal["purchase", "custom"]

#: the options that read one column each, in the order errors list them
_SINGLE_COLUMNS = ("customer_id", "at", "item", "event_id", "order_id", "amount", "unit_price", "quantity",
                   "sku", "currency", "given_name", "family_name", "honorific", "full_name", "event_name")
_PURCHASE_ONLY = ("item", "item_default", "amount", "unit_price", "quantity", "sku", "currency",
                  "currency_default")
_CUSTOM_ONLY = ("event_name", "event_name_default", "text")


def _names(option: str, value: object) -> tuple[str, ...]:
    """A tuple of column names from a list or tuple; a bare string is refused (it is not a list)."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigurationError(f"ColumnMapping({option}=...) takes a list of column names, not "
                                 f"{value!r}: write {option}=[{value!r}]")
    names = tuple(value)
    if not all(isinstance(n, str) and n for n in names):
        raise ConfigurationError(f"ColumnMapping({option}=...): every column name is a non-empty string")
    return names


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of a table export holds what. Each row becomes one event of a customer.

    Columns: ``customer_id`` and ``at`` (the time) are required in every row; ``at=None`` reads
    one customer profile per row instead (a contacts export). A ``purchase`` (``kind``) needs
    an item: the ``item`` column, else ``item_default``. A ``custom`` event (a CRM activity)
    takes its name from ``event_name`` (else ``event_name_default``) and its free text from
    the ``text`` columns. Blank cells of optional columns are missing values.

    Exports: ``order_id`` names the column of the order a row belongs to; rows sharing it are
    line items of one order, numbered ``{order}/1``, ``{order}/2``, ... in file order (the
    event id, unless an ``event_id`` column gives one). ``carry_down`` columns left blank on an
    order's later line items take the value of its earlier rows. ``keep`` keeps only the rows
    whose cell is one of the listed values (case-insensitive) and ``skip_blank`` only rows with
    a value in each listed column; the rows left out are counted in ``Dataset.left_out``.
    ``unit_price`` computes the amount as unit price × quantity. ``full_name`` is split into
    honorific, given and family name with nameparser (middle names and suffixes are not kept).

    ``date_format`` is a ``strptime`` format for ``at`` (ISO-8601 when None); ``time_zone``
    is applied to times that carry none. A mapping that cannot work is a ``ConfigurationError``.

    Example::

        mapping = ColumnMapping(customer_id="cust", at="date", item="product", amount="dollars",
                                date_format="%Y-%m-%d")
        data = load_csv("fixtures/transactions.csv", mapping)
    """

    customer_id: str
    at: str | None
    item: str | None = None
    item_default: str | None = None
    event_id: str | None = None
    amount: str | None = None
    quantity: str | None = None
    sku: str | None = None
    currency: str | None = None
    currency_default: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    date_format: str | None = None
    time_zone: str = "UTC"
    honorific: str | None = None
    full_name: str | None = None
    order_id: str | None = None
    carry_down: Sequence[str] = ()
    keep: Mapping[str, Sequence[str]] = field(default_factory=dict, hash=False)
    skip_blank: Sequence[str] = ()
    unit_price: str | None = None
    kind: EventKind = "purchase"
    event_name: str | None = None
    event_name_default: str | None = None
    text: Sequence[str] = ()

    def __post_init__(self) -> None:
        try:
            known_time_zone(self.time_zone)
        except ValueError as exc:
            raise ConfigurationError(f"ColumnMapping(time_zone=...): {exc}; give an IANA name such as "
                                     "'Europe/Paris' or 'UTC'") from None
        for option in ("carry_down", "skip_blank", "text"):
            object.__setattr__(self, option, _names(option, getattr(self, option)))
        if not isinstance(self.keep, Mapping):
            raise ConfigurationError("ColumnMapping(keep=...) maps a column to the values to keep, e.g. "
                                     "keep={'Financial Status': ['paid', 'partially_paid']}")
        keep = {column: _names(f"keep[{column!r}]", values) for column, values in self.keep.items()}
        if any(not values for values in keep.values()):
            raise ConfigurationError("ColumnMapping(keep=...): each column needs at least one value to keep")
        object.__setattr__(self, "keep", keep)
        self._check_combinations()

    def _check_combinations(self) -> None:
        def given(options: Iterable[str]) -> list[str]:
            return [o for o in options if getattr(self, o) not in (None, ())]

        if self.kind not in ("purchase", "custom"):
            raise ConfigurationError(f"ColumnMapping(kind={self.kind!r}): give 'purchase' or 'custom'")
        if self.carry_down and self.order_id is None:
            raise ConfigurationError("ColumnMapping(carry_down=...) fills blank cells from the same order's "
                                     "earlier rows: name the order column too, e.g. order_id='Name'")
        if self.amount is not None and self.unit_price is not None:
            raise ConfigurationError("ColumnMapping: give amount= (the line's total) or unit_price= (the "
                                     "amount is unit price × quantity), not both")
        split = given(("given_name", "family_name", "honorific"))
        if self.full_name is not None and split:
            raise ConfigurationError(f"ColumnMapping: full_name= is split into the name parts; drop "
                                     f"{', '.join(split)}= or full_name=")
        purchase = self.kind == "purchase"
        wrong = given(_CUSTOM_ONLY if purchase else _PURCHASE_ONLY)
        if wrong and self.at is not None:
            reads = "item, amount, quantity, ..." if purchase else "event_name and text"
            raise ConfigurationError(f"ColumnMapping(kind={self.kind!r}) does not read {', '.join(wrong)}: "
                                     f"a {self.kind} event reads {reads}")
        if self.at is None:
            events = given(("event_id", "order_id", "carry_down", *_PURCHASE_ONLY, *_CUSTOM_ONLY))
            if events:
                raise ConfigurationError(f"ColumnMapping(at=None) reads one customer per row (a contacts "
                                         f"export), with no event: drop {', '.join(events)}= or name the "
                                         "time column in at=")

    def columns(self) -> dict[str, str]:
        """Option name -> column name, for the single-column options that are mapped."""
        return {n: getattr(self, n) for n in _SINGLE_COLUMNS if getattr(self, n) is not None}

    def required_columns(self) -> list[str]:
        """Every column the mapping reads, each once, in the order of the options."""
        names = [*self.columns().values(), *self.carry_down, *self.keep, *self.skip_blank, *self.text]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class ExportPreset:
    """A named way to read one widely used export: one CSV file (``mapping``), or a folder of
    CSV files (``files``: the file name and its mapping, the customers' profiles first).

    Example::

        preset = export_presets()["shopify_orders"]
        data = load_csv("orders_export.csv", preset=preset)
    """

    name: str
    description: str
    mapping: ColumnMapping | None = None
    files: tuple[tuple[str, ColumnMapping], ...] = ()
    optional_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.mapping is None) == (not self.files):
            raise ConfigurationError(f"ExportPreset {self.name!r}: give a mapping (one file) or files "
                                     "(a folder), one of the two")
        if self.files:
            if self.files[0][1].at is not None or any(m.at is None for _, m in self.files[1:]):
                raise ConfigurationError(f"ExportPreset {self.name!r}: the first file holds the profiles "
                                         "(at=None), the others events")
            unknown = set(self.optional_files) - {name for name, _ in self.files[1:]}
            if unknown:
                raise ConfigurationError(f"ExportPreset {self.name!r}: optional_files names "
                                         f"{sorted(unknown)}, not among the event files")
