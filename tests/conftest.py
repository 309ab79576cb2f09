from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import personalnote as pn

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def report_for(name: str, as_of: datetime = AS_OF) -> pn.MomentReport:
    data = pn.load(FIXTURES / "customers" / f"{name}.json")
    ctx = pn.build_context(data.customers[0], as_of, business_events=data.business_events)
    return pn.find_moments(ctx)
