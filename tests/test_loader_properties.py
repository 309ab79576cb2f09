"""Generated malformed records always give a typed error naming the bad field."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import personalnote as pn

GOOD_EVENT = {"kind": "purchase", "id": "S-1", "at": "2026-01-01T10:00:00Z", "item": "Hat",
              "quantity": 1, "amount": 5.0}
BAD_VALUES = {
    "at": st.sampled_from(["2026-01-01T10:00:00", "yesterday", "", 17, None]),
    "quantity": st.one_of(st.floats(max_value=-0.001, allow_nan=False), st.just("many")),
    "amount": st.one_of(st.floats(max_value=-0.001, allow_nan=False), st.just("free")),
    "item": st.sampled_from(["", None, 3]),
    "kind": st.text(min_size=1, max_size=12).filter(  # kinds are whitespace-stripped, like every string
        lambda k: k.strip() not in {"purchase", "trip", "loyalty", "preference", "request", "support_case",
                            "note_sent", "staff_note", "custom"}),
    "id": st.sampled_from(["", " ", None]),
}


# tmp_path is shared by the examples, which is fine: each writes its own c.json before loading it.
# Keep the profile's suppressions (conftest.py): a per-test list replaces the profile's, it does not add.
@settings(max_examples=150, suppress_health_check=[*settings.default.suppress_health_check,
                                                   HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(BAD_VALUES)), data=st.data(), position=st.integers(0, 3))
def test_one_bad_field_is_named(tmp_path: Path, field: str, data: st.DataObject, position: int) -> None:
    events = [dict(GOOD_EVENT, id=f"S-{i}") for i in range(4)]
    events[position][field] = data.draw(BAD_VALUES[field])
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"customer": {"id": "C-9"}, "events": events}))
    try:
        pn.load(path)
    except pn.HistoryValidationError as exc:
        fields = [p.field for p in exc.problems]
        assert all(p.record_id == "C-9" and p.path == str(path) for p in exc.problems)
        if field == "kind":
            assert any(f.startswith(f"events[{position}]") for f in fields)
        else:
            assert f"events[{position}].{field}" in fields
    else:
        raise AssertionError(f"bad {field} was accepted")


@given(st.dictionaries(st.sampled_from(["id", "given_name", "time_zone", "locale", "nickname"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5)), min_size=1))
def test_malformed_profiles_error_or_load_never_crash(profile: dict[str, object]) -> None:
    try:
        history = pn.CustomerHistory.model_validate({"customer": profile, "events": []})
    except Exception as exc:  # pydantic error: the loader turns it into HistoryValidationError
        assert type(exc).__name__ == "ValidationError"
    else:
        assert history.customer.id == str(profile["id"]).strip()  # strings are whitespace-stripped
