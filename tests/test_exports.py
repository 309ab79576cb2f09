"""Issue 14: shop and CRM exports load as they ship, with named presets (fixtures/exports/)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

import personalnote as pn
from personalnote.cli import main
from personalnote.testing import FakeChatModel

from .support import AS_OF, FIXTURES

SHOPIFY = FIXTURES / "exports" / "shopify" / "orders_export.csv"
SALESFORCE = FIXTURES / "exports" / "salesforce"
KEPT = {"paid", "partially_paid"}


def raw_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The file's rows with the line each starts on, read with the csv module alone."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows, start = [], 2
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
        return rows


def shopify_orders() -> dict[str, list[tuple[int, dict[str, str]]]]:
    """Shopify rows by order, each row's blank order-level cells filled from the order's first row."""
    orders: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in raw_rows(SHOPIFY):
        first = orders[row["Name"]][0][1] if row["Name"] in orders else row
        orders.setdefault(row["Name"], []).append((line, {k: v or first[k] for k, v in row.items()}))
    return orders


def welcome(request: pn.ChatRequest) -> str:
    """A welcome-back note citing the moment's derived fact."""
    ids = request.schema["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"]
    returned = next(i for i in ids if i.startswith("derived:returned:"))
    return json.dumps({"body": "It was lovely to see you back with us this autumn, and we hope the "
                               "new jumpers keep you warm.",
                       "claims": [{"text": "came back", "fact_ids": [returned]}]})


def test_the_shopify_fixture_has_the_shapes_the_preset_must_handle() -> None:
    """Multi-line-item orders with blank order-level cells, a pending and a refunded order, a quoted
    note over two lines, blank optional cells, and Shopify's header as it writes it."""
    text = SHOPIFY.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert header[:4] == ["Name", "Email", "Financial Status", "Paid at"] and "Lineitem sku" in header
    rows = raw_rows(SHOPIFY)
    later = [row for _, row in rows if not row["Financial Status"]]
    assert later and all(not row["Created at"] and not row["Billing Name"] for row in later)
    assert any(not row["Email"] for row in later)
    assert {"pending", "refunded"} <= {row["Financial Status"] for _, row in rows}
    assert any("\n" in row["Notes"] for _, row in rows) and any(not row["Lineitem sku"] for _, row in rows)


def test_shopify_orders_load_as_they_ship() -> None:
    data = pn.load_csv(SHOPIFY, preset="shopify_orders")
    kept = {name: lines for name, lines in shopify_orders().items()
            if lines[0][1]["Financial Status"] in KEPT}
    by_id = {event.id: (history, event) for history in data.customers for event in history.events}
    expected_ids = {f"{name}/{n}" for name, lines in kept.items() for n in range(1, len(lines) + 1)}
    assert set(by_id) == expected_ids
    for name, lines in kept.items():
        for n, (_, row) in enumerate(lines, start=1):
            history, event = by_id[f"{name}/{n}"]
            assert history.customer.id == row["Email"]  # carried down onto later line items
            assert event.item == row["Lineitem name"] and event.currency == row["Currency"]
            assert event.order_id == name
            assert event.quantity == float(row["Lineitem quantity"])
            price = Decimal(row["Lineitem price"]) * Decimal(row["Lineitem quantity"])
            assert event.amount == float(price)  # unit price x quantity, exactly
            assert event.sku == (row["Lineitem sku"] or None)  # a blank optional cell is missing
            assert event.at.strftime("%Y-%m-%d %H:%M:%S %z") == row["Created at"]


def test_an_amount_is_unit_price_times_quantity_in_decimals() -> None:
    lima = pn.load_csv(SHOPIFY, preset="shopify_orders").customer("ana.lima@example.com")
    assert [(e.quantity, e.amount) for e in lima.events] == [(3, 59.97)]  # not 59.970000000000006


def test_pending_refunded_and_voided_rows_are_left_out_and_counted() -> None:
    data = pn.load_csv(SHOPIFY, preset="shopify_orders")
    statuses = {line: row["Financial Status"] for lines in shopify_orders().values() for line, row in lines}
    left = {line: status for line, status in statuses.items() if status not in KEPT}
    assert {"pending", "refunded"} <= set(left.values())
    assert sorted(line for rows in data.left_out for line in rows.lines) == sorted(left)
    for rows in data.left_out:
        assert rows.column == "Financial Status" and rows.count == len(rows.lines)
        assert all(statuses[line] == rows.value for line in rows.lines)
        assert "paid, partially_paid" in rows.reason and str(SHOPIFY) in str(rows)
    events = sum(len(h.events) for h in data.customers)
    assert events + sum(rows.count for rows in data.left_out) == len(statuses)  # nothing else is dropped


def test_billing_names_are_split_into_name_parts() -> None:
    data = pn.load_csv(SHOPIFY, preset="shopify_orders")
    names = {h.customer.id: (h.customer.honorific, h.customer.given_name, h.customer.family_name)
             for h in data.customers}
    assert names["janet.moore@example.com"] == ("Mrs", "Janet", "Moore")
    assert names["ana.lima@example.com"] == ("Dr.", "Ana", "Lima")
    assert names["l.wunderman@example.com"] == (None, "Lester", "Wunderman")


def test_a_split_name_still_passes_the_name_validation(tmp_path: Path) -> None:
    text = SHOPIFY.read_text(encoding="utf-8").replace("Dr. Ana Lima", "Ana & Rui Lima")
    path = tmp_path / "orders_export.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(pn.HistoryValidationError) as info:
        pn.load_csv(path, preset="shopify_orders")
    line = next(line for line, row in raw_rows(path) if row["Billing Name"] == "Ana & Rui Lima")
    assert [(p.line, p.record_id, p.field) for p in info.value.problems] == [
        (line, "ana.lima@example.com", "column 'Billing Name'")]


def test_line_items_sharing_an_order_id_are_numbered_not_duplicates() -> None:
    plain = pn.ColumnMapping(customer_id="Email", at="Created at", event_id="Name", item="Lineitem name",
                             date_format="%Y-%m-%d %H:%M:%S %z", time_zone="UTC")
    with pytest.raises(pn.HistoryValidationError) as info:
        pn.load_csv(SHOPIFY, plain)
    duplicate = next(p for p in info.value.problems if "duplicate event id" in p.message)
    order = duplicate.message.split("'")[1]
    assert "order_id='Name'" in (duplicate.expected or "") and f"'{order}/1'" in (duplicate.expected or "")
    numbered = pn.load_csv(SHOPIFY, pn.ColumnMapping(
        customer_id="Email", at="Created at", order_id="Name", item="Lineitem name",
        carry_down=["Email", "Created at"], date_format="%Y-%m-%d %H:%M:%S %z"))
    ids = [e.id for h in numbered.customers for e in h.events]
    assert len(ids) == len(set(ids)) == len(raw_rows(SHOPIFY)) and "#1001/2" in ids


def test_a_shopify_dataframe_loads_like_the_file() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(SHOPIFY)  # blank cells are NaN, quantities int, prices float
    from_frame = pn.load_dataframe(frame, preset="shopify_orders")
    from_file = pn.load_csv(SHOPIFY, preset="shopify_orders")
    assert from_frame.customers == from_file.customers
    assert [r.count for r in from_frame.left_out] == [r.count for r in from_file.left_out]


def test_an_order_of_several_line_items_is_one_purchase() -> None:
    """Janet's second order (three line items) comes 7 months after her first: a welcome back, and
    three purchases in all would be a false count."""
    data = pn.load_csv(SHOPIFY, preset="shopify_orders")
    janet = data.customer("janet.moore@example.com")
    ctx = pn.build_context(janet, AS_OF)
    assert ctx.relationship.interactions == len({e.order_id for e in janet.events}) == 2
    report = pn.find_moments(ctx)
    assert report.best is not None and report.best.kind == "welcome_back"

    draft = pn.draft_note(ctx, model=FakeChatModel([welcome]), channel="card")
    assert isinstance(draft, pn.Draft) and draft.moment.kind == "welcome_back"
    assert [f.kind for f in draft.findings if f.severity == "block"] == []


def test_the_salesforce_export_folder_loads_contacts_with_their_activities() -> None:
    data = pn.load_csv(SALESFORCE, preset="salesforce_export")
    contacts = {row["Id"]: row for _, row in raw_rows(SALESFORCE / "Contact.csv")
                if row["IsDeleted"] == "false"}
    assert [h.customer.id for h in data.customers] == list(contacts)
    for history in data.customers:
        row = contacts[history.customer.id]
        assert history.customer.given_name == (row["FirstName"] or None)
        assert history.customer.family_name == row["LastName"]
        assert history.customer.honorific == (row["Salutation"] or None)  # "Prof." is a title
    activities = [(line, name, row) for name in ("Task.csv", "Event.csv")
                  for line, row in raw_rows(SALESFORCE / name)]
    joined = {row["Id"]: row for _, name, row in activities if row["WhoId"] in contacts
              and row["IsDeleted"] == "false" and row.get("Status", "Completed") == "Completed"}
    events = {e.id: (h.customer.id, e) for h in data.customers for e in h.events}
    assert set(events) == set(joined)
    for event_id, (customer_id, event) in events.items():
        row = joined[event_id]
        assert customer_id == row["WhoId"] and event.kind == "custom"
        assert event.name == (row.get("TaskSubtype") or row.get("Type") or
                              ("Task" if "TaskSubtype" in row else "Meeting"))
        assert event.text == "\n\n".join(v for v in (row["Subject"], row["Description"]) if v)
    left = {(Path(r.path or "").name, line) for r in data.left_out for line in r.lines}
    dropped = {(name, line) for line, name, row in activities if row["Id"] not in joined}
    assert dropped <= left and len(left) == len(dropped) + 1  # and the deleted contact


def test_salesforce_tasks_alone_keep_every_who() -> None:
    data = pn.load_csv(SALESFORCE / "Task.csv", preset="salesforce_tasks")
    whos = {row["WhoId"] for _, row in raw_rows(SALESFORCE / "Task.csv")
            if row["WhoId"] and row["Status"] == "Completed"}
    assert {h.customer.id for h in data.customers} == whos  # leads too: no contacts to join here


def test_every_preset_is_a_validated_mapping() -> None:
    presets = pn.export_presets()
    assert {"shopify_orders", "salesforce_export"} <= set(presets)
    for name, preset in presets.items():
        assert preset.name == name and preset.description
        mappings = [preset.mapping] if preset.mapping else [m for _, m in preset.files]
        assert mappings and all(isinstance(m, pn.ColumnMapping) for m in mappings)


@pytest.mark.parametrize("options, option", [
    ({"carry_down": ["Email"]}, "order_id"),
    ({"amount": "Total", "unit_price": "Lineitem price"}, "unit_price"),
    ({"full_name": "Billing Name", "given_name": "First"}, "full_name"),
    ({"keep": {"Financial Status": "paid"}}, "keep"),
    ({"kind": "custom", "item": "Lineitem name"}, "item"),
])
def test_a_mapping_that_cannot_work_is_refused_when_made(options: dict[str, object], option: str) -> None:
    with pytest.raises(pn.ConfigurationError, match=option):
        pn.ColumnMapping(customer_id="Email", at="Created at", **options)  # type: ignore[arg-type]


def test_an_unknown_preset_suggests_the_close_one() -> None:
    with pytest.raises(pn.ConfigurationError, match="did you mean 'shopify_orders'"):
        pn.load_csv(SHOPIFY, preset="shopfy_orders")


def test_a_preset_on_another_export_names_the_preset() -> None:
    with pytest.raises(pn.InputFileError, match="shopify_orders") as info:
        pn.load_csv(FIXTURES / "transactions.csv", preset="shopify_orders")
    assert "'Lineitem name'" in str(info.value)


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "orders_export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SHOPIFY.read_bytes())  # as Excel saves it
    assert pn.load_csv(path, preset="shopify_orders").customers == pn.load_csv(
        SHOPIFY, preset="shopify_orders").customers


def test_the_cli_reads_an_export_with_a_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["moments", str(SHOPIFY), "--preset", "shopify_orders", "--as-of", AS_OF.isoformat()]) == 0
    out, err = capsys.readouterr()
    assert "janet.moore@example.com" in out and "welcome_back" in out
    assert "left out 1 row" in err and "'pending'" in err and "'refunded'" in err


def test_a_draft_from_an_export_is_approved_against_the_same_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "review.sqlite3")
    assert main(["draft", str(SHOPIFY), "--preset", "shopify_orders", "--customer", "janet.moore@example.com",
                 "--as-of", AS_OF.isoformat(), "--store", store], model=FakeChatModel([welcome])) == 0
    capsys.readouterr()
    approve = ["review", "approve", "1", "--reviewer", "alice", "--store", store,
               "--as-of", AS_OF.isoformat()]
    assert main(approve) == 2
    assert "--preset" in capsys.readouterr().err
    assert main([*approve, "--preset", "shopify_orders"]) == 0
    assert "approved" in capsys.readouterr().out
