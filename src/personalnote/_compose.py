"""The parts of a note the library writes itself: salutation, closing, signature, tone.

Composing these from the profile (never asking a model to fill a merge field) rules out
"Dear Lester Wunderman", "Dear ," and "Dear {first_name}" by construction.

Example::

    salutation(profile, relationship)                    # 'Dear Ms Okafor,'
    signature_block([Signer("Captain", "A. Reyes"), Signer("First Officer")], "card")
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from ._context import Familiarity, Relationship
from ._history import Channel, CustomerProfile

__all__ = ["CHANNELS", "ChannelSpec", "Signer", "closing_line", "format_name", "salutation",
           "signature_block", "tone_for"]

_PARTICLES = {"de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van", "von", "y", "bin",
              "al", "ten", "ter"}
_FORMAL_LOCALES = ("de", "fr", "ja", "ko", "it", "es", "pt", "nl", "pl", "ru")


@dataclass(frozen=True)
class ChannelSpec:
    form: str
    max_words: int
    closing: str


CHANNELS: dict[str, ChannelSpec] = {
    "card": ChannelSpec("a short printed card, signed by hand; no links", 60, "With warm regards,"),
    "email": ChannelSpec("a short personal email", 120, "Best wishes,"),
    "letter": ChannelSpec("a letter on paper", 200, "Yours sincerely,"),
    "sms": ChannelSpec("a text message", 35, ""),
}


class Signer(BaseModel):
    """A person who signs: a role, and a name when known (else a line to sign on)."""

    model_config = ConfigDict(frozen=True)

    role: str
    name: str | None = None

    def __init__(self, role: str, name: str | None = None) -> None:
        super().__init__(role=role, name=name)

    @property
    def label(self) -> str:
        return f"{self.name}, {self.role}" if self.name else self.role


def _word_case(word: str, first: bool) -> str:
    if not first and word.lower() in _PARTICLES:
        return word.lower()
    parts = re.split(r"([-'])", word)
    out = []
    for part in parts:
        if part in ("-", "'"):
            out.append(part)
        elif part.lower().startswith("mc") and len(part) > 2:
            out.append("Mc" + part[2:].capitalize())
        else:
            out.append(part[:1].upper() + part[1:].lower())
    return "".join(out)


def format_name(name: str) -> str:
    """Tidy a name: title case only for ALL-CAPS or all-lowercase legacy data.

    Mixed case is the customer's own spelling and is kept ('McDonald', 'van der Berg').
    """
    name = " ".join(name.split())
    letters = [c for c in name if c.isalpha()]
    if not letters or not (name.isupper() or name.islower()) or not all(c.isascii() for c in letters):
        return name
    return " ".join(_word_case(w, i == 0) for i, w in enumerate(name.split(" ")))


def _address_name(profile: CustomerProfile, relationship: Relationship) -> str | None:
    form = profile.address_as
    family = format_name(profile.family_name) if profile.family_name else None
    honorific = profile.honorific.strip() if profile.honorific else None
    given = format_name(profile.given_name) if profile.given_name else None
    preferred = format_name(profile.preferred_name) if profile.preferred_name else None
    formal = f"{honorific} {family}" if honorific and family else None
    if form == "preferred_name" and preferred:
        return preferred
    if form == "given_name" and given:
        return given
    if form == "honorific_family_name" and formal:
        return formal
    if profile.locale.split("-")[0].split("_")[0] in _FORMAL_LOCALES and formal:
        return formal
    if relationship.familiarity == "new" and formal:
        return formal
    return preferred or given or formal


def salutation(profile: CustomerProfile, relationship: Relationship) -> str:
    """'Dear Tomás,' / 'Dear Ms Okafor,' — or 'Hello,' when no name can be used."""
    name = _address_name(profile, relationship)
    return f"Dear {name}," if name else "Hello,"


def closing_line(channel: Channel) -> str:
    return CHANNELS[channel].closing


def signature_block(signers: list[Signer], channel: Channel) -> str:
    """One line per signer; a card leaves a line to sign on above each role."""
    if not signers:
        return "The team"
    if channel == "card":
        return "\n\n".join(f"____________________\n{s.label}" for s in signers)
    return "\n".join(s.label for s in signers)


_TONES: dict[Familiarity, str] = {
    "new": "warm but respectful; this is a new customer, so not over-familiar",
    "occasional": "friendly and warm",
    "regular": "warm and familiar, as to a regular customer",
    "long_standing": "warm, personal and grateful, as to a customer of many years",
}


def tone_for(familiarity: Familiarity) -> str:
    return _TONES[familiarity]
