"""Named presets for widely used exports, with their columns exactly as the exporters write them.

- ``shopify_orders``: Shopify's orders export (Admin > Orders > Export), one row per line item.
- ``salesforce_contacts``, ``salesforce_tasks``, ``salesforce_events``: the ``Contact.csv``,
  ``Task.csv`` and ``Event.csv`` files of Salesforce's Data Export (Setup > Data Export), which
  names each column by its API field name.
- ``salesforce_export``: the folder of a Salesforce Data Export: contacts with their completed
  tasks and their events (meetings) as activities.

Example::

    data = load_csv("orders_export.csv", preset="shopify_orders")
    print(export_presets()["shopify_orders"].description)
"""

from __future__ import annotations

import difflib

from ._errors import ConfigurationError
from ._mapping import ColumnMapping, ExportPreset

__all__ = ["export_presets", "find_preset"]

#: Shopify's orders export: order-level cells (Email, Financial Status, Paid at, Billing Name, ...)
#: are blank on an order's second and later line items; times read "2026-05-01 10:00:00 +0200"
SHOPIFY_ORDERS = ColumnMapping(
    customer_id="Email", at="Created at", order_id="Name",
    item="Lineitem name", quantity="Lineitem quantity", unit_price="Lineitem price", sku="Lineitem sku",
    currency="Currency", full_name="Billing Name",
    carry_down=("Email", "Financial Status", "Created at", "Currency", "Billing Name"),
    keep={"Financial Status": ("paid", "partially_paid")},
    date_format="%Y-%m-%d %H:%M:%S %z",
)

#: Salesforce Data Export, Contact.csv: one contact per row; deleted contacts are left out
SALESFORCE_CONTACTS = ColumnMapping(
    customer_id="Id", at=None, given_name="FirstName", family_name="LastName", honorific="Salutation",
    keep={"IsDeleted": ("false",)},
)

#: Salesforce Data Export, Task.csv: completed tasks (logged calls, emails) about a contact or lead
SALESFORCE_TASKS = ColumnMapping(
    customer_id="WhoId", at="CreatedDate", event_id="Id", kind="custom",
    event_name="TaskSubtype", event_name_default="Task", text=("Subject", "Description"),
    keep={"IsDeleted": ("false",), "Status": ("Completed",)}, skip_blank=("WhoId",),
)

#: Salesforce Data Export, Event.csv: calendar events (meetings) with a contact or lead
SALESFORCE_EVENTS = ColumnMapping(
    customer_id="WhoId", at="StartDateTime", event_id="Id", kind="custom",
    event_name="Type", event_name_default="Meeting", text=("Subject", "Description"),
    keep={"IsDeleted": ("false",)}, skip_blank=("WhoId",),
)

_PRESETS = {preset.name: preset for preset in (
    ExportPreset(
        "shopify_orders",
        "Shopify's orders export, one row per line item: paid and partially paid orders only (pending, "
        "authorized, refunded, partially refunded, voided and expired orders are left out and counted); "
        "the customer is the Email, each line item a purchase '#1001/1', '#1001/2', ...; amount = "
        "Lineitem price × Lineitem quantity; Billing Name split into honorific, given and family name",
        mapping=SHOPIFY_ORDERS),
    ExportPreset(
        "salesforce_contacts",
        "Salesforce Data Export Contact.csv: one customer per contact (Id, FirstName, LastName, "
        "Salutation); deleted contacts are left out and counted",
        mapping=SALESFORCE_CONTACTS),
    ExportPreset(
        "salesforce_tasks",
        "Salesforce Data Export Task.csv: each completed task with a contact or lead (WhoId) is an "
        "activity named by its TaskSubtype (Call, Email, ...), with Subject and Description as its text",
        mapping=SALESFORCE_TASKS),
    ExportPreset(
        "salesforce_events",
        "Salesforce Data Export Event.csv: each calendar event with a contact or lead (WhoId) is an "
        "activity named by its Type (Meeting when blank), at its StartDateTime",
        mapping=SALESFORCE_EVENTS),
    ExportPreset(
        "salesforce_export",
        "a Salesforce Data Export folder: Contact.csv (the customers) with Task.csv and Event.csv "
        "(optional) as their activities; activities of a lead or of a contact left out are counted",
        files=(("Contact.csv", SALESFORCE_CONTACTS), ("Task.csv", SALESFORCE_TASKS),
               ("Event.csv", SALESFORCE_EVENTS)),
        optional_files=("Event.csv",)),
)}


def export_presets() -> dict[str, ExportPreset]:
    """The named presets, by name.

    Example::

        for name, preset in export_presets().items():
            print(name, preset.description)
    """
    return dict(_PRESETS)


def find_preset(preset: str | ExportPreset) -> ExportPreset:
    """The preset of this name (or the preset itself); a ``ConfigurationError`` naming the presets if none."""
    if isinstance(preset, ExportPreset):
        return preset
    if isinstance(preset, str) and preset in _PRESETS:
        return _PRESETS[preset]
    close = difflib.get_close_matches(str(preset), list(_PRESETS), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigurationError(f"unknown preset {preset!r}; {hint}the presets are {', '.join(_PRESETS)}")
