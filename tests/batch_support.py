"""Customers and scripted models for the batch drafting tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import personalnote as pn
from personalnote.testing import FakeChatModel

AS_OF = datetime(2026, 11, 20, 18, tzinfo=UTC)
BODY = ("Passing 100,000 miles with SkyMiles is a real milestone, and we are glad you reached it on "
        "board with us. Thank you for flying with us.")


def flyer(i: int) -> pn.CustomerHistory:
    """Customer C-<i> crossed 100,000 miles on yesterday's flight: one fresh milestone."""
    at = AS_OF - timedelta(days=1)
    return pn.CustomerHistory.model_validate({
        "customer": {"id": f"C-{i:03d}", "given_name": "Ada", "family_name": "Lovelace", "honorific": "Ms",
                     "address_as": "honorific_family_name", "time_zone": "Europe/London",
                     "preferred_channel": "card"},
        "events": [
            {"kind": "trip", "id": f"T-{i:03d}", "at": at.isoformat(), "mode": "flight",
             "flight_number": "NA 117", "origin": "LHR", "destination": "JFK"},
            {"kind": "loyalty", "id": f"L-{i:03d}", "at": (at + timedelta(hours=3)).isoformat(),
             "program": "SkyMiles", "metric": "miles", "value": 100_400, "previous_value": 99_100},
        ]})


def quiet(i: int, *, do_not_contact: bool = False) -> pn.CustomerHistory:
    """Customer Q-<i>: one old purchase (no moment), or a flyer who asked not to be contacted."""
    if do_not_contact:
        history = flyer(i)
        profile = history.customer.model_copy(update={"id": f"Q-{i:03d}", "do_not_contact": True})
        return history.model_copy(update={"customer": profile})
    return pn.CustomerHistory.model_validate({
        "customer": {"id": f"Q-{i:03d}", "time_zone": "Europe/London"},
        "events": [{"kind": "purchase", "id": f"S-{i:03d}", "at": "2026-03-02T10:00:00Z",
                    "item": "Umbrella"}]})


def allowed_ids(request: pn.ChatRequest) -> list[str]:
    schema = request.schema["properties"]["claims"]["items"]["properties"]["fact_ids"]["items"]
    return list(schema["enum"])


def customer_of(request: pn.ChatRequest) -> str:
    """The customer a request is about: C-<i> from the loyalty fact id L-<i> it may cite."""
    return "C-" + next(i for i in allowed_ids(request) if i.startswith("L-"))[2:]


def answer(request: pn.ChatRequest) -> str:
    """A valid note for a flyer's milestone that passes the checks, citing the milestone fact."""
    milestone = next(i for i in allowed_ids(request) if i.startswith("derived:milestone:"))
    return json.dumps({"body": BODY, "claims": [{"text": "passed 100,000 miles", "fact_ids": [milestone]}]})


class SlowModel:
    """Answers like ``answer`` after ``delay`` seconds; records the most requests in flight at once.

    ``fail`` maps customer ids to an exception to raise or a reply to give instead.
    """

    def __init__(self, delay: float = 0.01, *, name: str = "gpt-4o-mini",
                 fail: dict[str, BaseException | str] | None = None) -> None:
        self.delay, self._name, self.fail = delay, name, fail or {}
        self.in_flight = self.max_in_flight = 0
        self.calls: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    def complete(self, request: pn.ChatRequest) -> pn.ChatResult:
        raise AssertionError("batch drafting must use acomplete")

    async def acomplete(self, request: pn.ChatRequest) -> pn.ChatResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            customer = customer_of(request)
            self.calls.append(customer)
            reply: BaseException | str | Callable[[pn.ChatRequest], str] = self.fail.get(customer, answer)
            if isinstance(reply, BaseException):
                raise reply
            return FakeChatModel([reply], name=self._name).complete(request)  # tokens: word counts
        finally:
            self.in_flight -= 1
