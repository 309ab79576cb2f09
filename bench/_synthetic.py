"""A synthetic flyer with as many events as asked for, for the bench scripts.

Purchases, flights, loyalty balances, preferences and staff notes over twelve years; the
last two events (a flight and its miles) cross 2,000,000 miles the day before ``AS_OF``,
so every size has the same fresh milestone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import personalnote as pn

AS_OF = datetime(2026, 11, 20, 18, tzinfo=UTC)
MODEL_NAME = "gpt-4o-mini"  # prompts are counted as the default OpenAI model's would be
SIGNERS = [pn.Signer("Captain"), pn.Signer("First Officer")]
_ITEMS = ["Grey wool trousers", "Linen shirt", "Leather belt", "Travel pillow", "Noise-cancelling headphones",
          "Duty-free perfume", "Cashmere scarf", "Walking boots"]
_AIRPORTS = ["LHR", "JFK", "BOS", "SFO", "CDG", "NRT", "DXB", "SIN"]


def synthetic_customer(events: int) -> dict[str, Any]:
    """A flyer with ``events`` events over twelve years; the last two cross 2,000,000 miles."""
    start = AS_OF - timedelta(days=12 * 365)
    span = (AS_OF - timedelta(days=2)) - start
    rows: list[dict[str, Any]] = []
    history = events - 2
    loyalty_every = 10
    loyalty_total = max(1, -(-history // loyalty_every))  # loyalty events in the history
    miles = 0.0
    for i in range(history):
        at = (start + span * (i / max(history, 1))).isoformat()
        base: dict[str, Any] = {"id": f"E{i}", "at": at}
        slot = i % loyalty_every
        if slot == 0:
            previous, miles = miles, 1_998_000 * (i // loyalty_every + 1) / loyalty_total
            rows.append({**base, "kind": "loyalty", "program": "SkyMiles", "metric": "miles",
                         "value": round(miles), "previous_value": round(previous), "tier": "Gold"})
        elif slot in (1, 4, 7):
            a, b = _AIRPORTS[i % 8], _AIRPORTS[(i + 3) % 8]
            rows.append({**base, "kind": "trip", "mode": "flight", "flight_number": f"NA {100 + i % 900}",
                         "origin": a, "destination": b, "seat": f"{1 + i % 30}A", "cabin": "business"})
        elif slot == 9:
            rows.append({**base, "kind": "preference", "stance": "likes",
                         "text": "Prefers a window seat near the front; drinks tea, not coffee.",
                         "attributes": {"seat": ["window"]}})
        elif slot == 6:
            rows.append({**base, "kind": "staff_note", "text": "Asked about the lounge in Boston.",
                         "author": "J. Reyes"})
        else:
            rows.append({**base, "kind": "purchase", "item": _ITEMS[i % len(_ITEMS)], "amount": 40 + i % 200,
                         "currency": "GBP", "store": "Sky Shop"})
    day_before = AS_OF - timedelta(days=1)
    rows.append({"id": "T-LAST", "at": day_before.isoformat(), "kind": "trip", "mode": "flight",
                 "flight_number": "NA 117", "origin": "LHR", "destination": "JFK", "seat": "2A",
                 "cabin": "business"})
    rows.append({"id": "L-LAST", "at": (day_before + timedelta(hours=3)).isoformat(), "kind": "loyalty",
                 "program": "SkyMiles", "metric": "miles", "value": 2_001_300, "previous_value": 1_998_000,
                 "tier": "Platinum", "previous_tier": "Gold"})
    profile = {"id": f"SYN-{events}", "given_name": "Margaret", "family_name": "Okafor", "honorific": "Ms",
               "address_as": "honorific_family_name", "time_zone": "Europe/London",
               "preferred_channel": "card"}
    return {"customer": profile, "events": rows}


def answer(request: pn.ChatRequest) -> str:
    """A note about the milestone that passes the checks, citing the moment's first fact."""
    ids = request.schema["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]["enum"]
    return json.dumps({
        "body": "Passing 2 million miles with SkyMiles is a real milestone, and we are proud you "
                "reached it on board with us. Thank you for flying with us all these years.",
        "claims": [{"text": "passed 2 million miles with SkyMiles", "fact_ids": [ids[0]]}],
    })
