"""Real data: a slice of the CDNOW purchase file (fixtures/cdnow/README.md), read as it is
shipped (whitespace-separated, leading spaces, CRLF, dates as YYYYMMDD).

Every expected value is computed here from the raw lines with plain Python, not taken
from the library's output.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import personalnote as pn

SLICE = Path(__file__).resolve().parent.parent / "fixtures" / "cdnow" / "CDNOW_master_slice.txt"
MAPPING = pn.ColumnMapping(customer_id="customer_id", at="date", quantity="number_of_cds",
                           amount="dollar_value", date_format="%Y%m%d",
                           item_default="CD order", currency_default="USD")
POLICY = pn.MomentPolicy()
#: every month end of the data, and the middle of the anniversary season
AS_OF_DATES = [date(y, m, 1) - timedelta(days=1) for y, m in
               [(1997, 2), (1997, 4), (1997, 7), (1997, 10), (1998, 1), (1998, 2), (1998, 3),
                (1998, 4), (1998, 5), (1998, 7)]] + [date(1998, 1, 15), date(1998, 2, 15), date(1998, 3, 15)]


def raw_rows() -> list[tuple[str, date, int, float]]:
    """(customer id, date, CDs, dollars) per data line, by splitting on whitespace."""
    lines = SLICE.read_bytes().decode().split("\r\n")
    rows = []
    for line in lines[1:]:
        if line.strip():
            cid, day, cds, dollars = line.split()
            rows.append((cid, date(int(day[:4]), int(day[4:6]), int(day[6:])), int(cds), float(dollars)))
    return rows


def purchase_dates() -> dict[str, list[date]]:
    by_customer: dict[str, list[date]] = defaultdict(list)
    for cid, day, _, _ in raw_rows():
        by_customer[cid].append(day)
    return {cid: sorted(days) for cid, days in by_customer.items()}


def load_slice() -> pn.Dataset:
    return pn.load_csv(SLICE, MAPPING, delimiter=" ", skip_initial_space=True)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_every_row_is_loaded_as_a_purchase() -> None:
    rows = raw_rows()
    data = load_slice()
    per_customer = Counter(cid for cid, *_ in rows)
    assert len(data.customers) == len(per_customer)
    assert {h.id: len(h.events) for h in data.customers} == dict(per_customer)
    loaded = sorted((h.id, e.at.date(), int(e.quantity), round(e.amount or 0.0, 2))
                    for h in data.customers for e in h.events)
    assert loaded == sorted((cid, day, cds, round(dollars, 2)) for cid, day, cds, dollars in rows)
    events = [e for h in data.customers for e in h.events]
    assert {(e.kind, e.item, e.currency, e.at.utcoffset()) for e in events} == {
        ("purchase", "CD order", "USD", timedelta(0))}
    assert len({e.id for e in events}) == len(rows)


def expected_moments(as_of: date) -> dict[str, set[str]]:
    """Customers with a fresh moment of each kind, from the purchase dates alone."""
    fresh = {kind: POLICY.fresh_for(kind) for kind in ("nth_purchase", "anniversary", "welcome_back")}
    found: dict[str, set[str]] = {kind: set() for kind in fresh}
    # the slice's customers have no preferred channel: notes go by email, ready the same day
    look_ahead = POLICY.lead_time("email") + POLICY.planning_margin
    for cid, all_days in purchase_dates().items():
        days = [d for d in all_days if d <= as_of]
        if not days:
            continue
        reached = [n for n in POLICY.purchase_count_milestones if n <= len(days)]
        if reached and days[reached[-1] - 1] + fresh["nth_purchase"] >= as_of:
            found["nth_purchase"].add(cid)
        first = days[0]
        years = as_of.year - first.year - ((as_of.month, as_of.day) < (first.month, first.day))
        upcoming = first.replace(year=first.year + years + 1)  # no 29 February in 1997
        if upcoming <= as_of + look_ahead:  # the next one is a moment ahead (a note ready in time)
            found["anniversary"].add(cid)
        elif years >= 1:
            anniversary = first.replace(year=first.year + years)
            if anniversary + fresh["anniversary"] >= as_of:
                found["anniversary"].add(cid)
        if (len(days) >= 2 and days[-1] - days[-2] >= POLICY.welcome_back_lapse
                and days[-1] + fresh["welcome_back"] >= as_of):
            found["welcome_back"].add(cid)
    return found


def detected_moments(data: pn.Dataset, as_of: date) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"nth_purchase": set(), "anniversary": set(), "welcome_back": set()}
    for history in data.customers:
        report = pn.find_moments(pn.build_context(history, midnight(as_of)))
        for moment in report.moments:
            found[moment.kind].add(history.id)
    return found


def test_moments_match_the_purchase_dates() -> None:
    data = load_slice()
    totals: Counter[str] = Counter()
    for as_of in AS_OF_DATES:
        expected = expected_moments(as_of)
        assert detected_moments(data, as_of) == expected, as_of
        totals.update({kind: len(ids) for kind, ids in expected.items()})
    # the slice exercises every detector, so the comparison above is not vacuous
    assert all(totals[kind] > 0 for kind in ("nth_purchase", "anniversary", "welcome_back")), totals


def test_nth_purchase_evidence_is_the_nth_purchase() -> None:
    data = load_slice()
    dates = purchase_dates()
    checked = 0
    for cid, days in dates.items():
        if len(days) < 10:
            continue
        tenth = days[9]
        history = data.customer(cid)
        report = pn.find_moments(pn.build_context(history, midnight(tenth)))
        moment = next(m for m in report.moments if m.kind == "nth_purchase")
        assert moment.key == "nth_purchase:10"
        event = next(e for e in history.events if e.id == moment.evidence[1])
        assert event.at.date() == tenth
        checked += 1
    assert checked == sum(len(days) >= 10 for days in dates.values()) > 0


def test_a_bad_date_names_the_line_and_column_on_every_row(tmp_path: Path) -> None:
    lines = SLICE.read_bytes().split(b"\r\n")
    bad_lines = [7, 8]  # the same bad value twice: each row is reported
    for number in bad_lines:
        lines[number - 1] = lines[number - 1].split(b" 1997")[0] + b" 1997-01-01  1   9.99"
    broken = tmp_path / "cdnow.txt"
    broken.write_bytes(b"\r\n".join(lines))
    with pytest.raises(pn.HistoryValidationError) as caught:
        pn.load_csv(broken, MAPPING, delimiter=" ", skip_initial_space=True)
    assert [(p.line, p.field) for p in caught.value.problems] == [(n, "column 'date'") for n in bad_lines]
