"""The generated customers of bench/note_quality.py cover what the benchmark promises."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

import personalnote as pn

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _generator() -> ModuleType:
    """bench/ is not a package: load the generator module from its file."""
    path = BENCH / "note_quality_customers.py"
    spec = importlib.util.spec_from_file_location("note_quality_customers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


gen = _generator()


@pytest.fixture(scope="module")
def customers() -> list:  # type: ignore[type-arg]
    return gen.generate()


def test_at_least_sixty_with_unique_ids(customers: list) -> None:  # type: ignore[type-arg]
    assert len(customers) >= 60
    assert len({c.id for c in customers}) == len(customers)


def test_each_customer_yields_its_intended_moment_and_familiarity(customers: list) -> None:  # type: ignore[type-arg]
    for c in customers:
        ctx = pn.build_context(c.history, gen.AS_OF, business_events=c.business_events)
        report = pn.find_moments(ctx)
        assert report.best is not None, (c.id, report.no_note_reasons)
        assert report.best.kind == c.kind, c.id
        assert ctx.relationship.familiarity == c.familiarity, c.id


def test_every_kind_channel_and_familiarity_is_present(customers: list) -> None:  # type: ignore[type-arg]
    assert {c.kind for c in customers} == set(gen.KINDS)
    assert {c.channel for c in customers} == {"card", "email", "letter", "sms"}
    assert {c.familiarity for c in customers} == {"new", "occasional", "regular", "long_standing"}
    assert set(gen.KINDS) == {"milestone", "nth_purchase", "anniversary", "wanted_item_available",
                              "preference_match", "welcome_back"}
    pairs = {(c.kind, c.familiarity) for c in customers}
    feasible = {(k, f) for k in gen.KINDS for f in gen.FAMILIARITIES} - set(gen.INFEASIBLE)
    assert pairs == feasible  # every possible pair, not just every value
    kinds = Counter(c.kind for c in customers)
    assert min(kinds.values()) >= 9
    for kind in gen.KINDS:  # every kind is drafted on every channel
        assert {c.channel for c in customers if c.kind == kind} == {"card", "email", "letter", "sms"}, kind


def test_names_signers_and_injections_vary(customers: list) -> None:  # type: ignore[type-arg]
    profiles = [c.history.customer for c in customers]
    corpus = gen.NAMES.read_text(encoding="utf-8")
    assert all(c.name_source in corpus for c in customers)
    assert any(p.family_name and p.family_name.isupper() and len(p.family_name) > 1 for p in profiles)
    assert any(p.preferred_name for p in profiles)
    assert any(p.honorific for p in profiles)
    assert any(p.given_name is None for p in profiles)
    signers = [c.signers for c in customers]
    assert any(not s for s in signers)
    assert any(x.name is None for s in signers for x in s)
    assert any(x.name for s in signers for x in s)
    injected = [c for c in customers if c.injection]
    assert len(injected) >= len(customers) // 3
    fields = {c.injection["field"] for c in injected}
    assert fields >= {"staff_note.text", "support_case.text", "request.text", "preference.text"}
    for c in injected:  # the injection string is really in the customer's free text
        texts = [getattr(e, "text", None) or "" for e in c.history.events if e.id == c.injection["event_id"]]
        assert texts and texts[0], c.id
    assert any(gen.CANARY in (getattr(e, "text", None) or "") for c in injected for e in c.history.events)
    assert any(c.history.business_events for c in customers) and any(c.business_events for c in customers)
    assert not any(c.history.customer.preferred_channel for c in customers if int(c.id[2:]) % 4 == 0)


def test_deterministic_for_a_seed() -> None:
    first, again = gen.generate(seed=3, count=24), gen.generate(seed=3, count=24)
    assert [c.to_json_dict() for c in first] == [c.to_json_dict() for c in again]
    assert [c.to_json_dict() for c in first] != [c.to_json_dict() for c in gen.generate(seed=4, count=24)]
