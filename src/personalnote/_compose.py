"""The parts of a note the library writes itself: salutation, closing, signature, tone.

Composing these from the profile (never asking a model to fill a merge field) rules out
"Dear Lester Wunderman", "Dear ," and "Dear {first_name}" by construction.

Example::

    salutation(profile, relationship)                    # 'Dear Ms Okafor,'
    signature_block([Signer("Captain", "A. Reyes"), Signer("First Officer")], "card")
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from pydantic import BaseModel, ConfigDict

from ._context import Familiarity, Relationship
from ._errors import ArgumentError
from ._history import Channel, CustomerProfile

__all__ = ["CHANNELS", "ChannelSpec", "Signer", "channel_from", "closing_line", "format_name", "salutation",
           "signature_block", "signers_from", "tone_for"]

#: lower-case inside a name when followed by more of it, when the locale is unknown or English
#: (names of every origin): 'Ludwig van Beethoven', 'García y Vega', 'Ahmad bin Ali'
_PARTICLES = frozenset({"de", "da", "das", "dos", "del", "della", "der", "den", "des", "di", "du", "la", "le",
                        "van", "von", "vom", "zu", "zum", "zur", "y", "bin", "binti", "bint", "ibn", "al",
                        "ten", "ter", "te", "het"})
_HYPHEN_PARTICLES = frozenset({"al", "el"})


@dataclass(frozen=True)
class _NameCase:
    """How a language writes the small words of a name (particles) in running text."""

    #: lower-case inside a name, before more of it: 'Jan van der Berg', 'João da Silva'
    particles: frozenset[str] = frozenset()
    #: lower-case as the first word too, so a family name alone keeps it: 'Herr von Bismarck'
    at_start: frozenset[str] = frozenset()
    #: lower-case before a hyphen: 'Abd al-Rahman', 'Salah ad-Din'
    hyphen_particles: frozenset[str] = frozenset()
    #: the first particle of a family name keeps its capital (Belgium: 'Jan Van den Broeck', 'De Smet')
    first_particle_capital: bool = False
    #: the syllable after a hyphen stays lower (romanised Korean and Chinese given names: 'Ji-sung')
    hyphen_lower: bool = False


_DEFAULT_CASE = _NameCase(_PARTICLES, hyphen_particles=_HYPHEN_PARTICLES)
_DUTCH = frozenset({"van", "de", "der", "den", "het", "ten", "ter", "te", "op", "in", "aan", "uit"})
_ARABIC = frozenset({"bin", "ibn", "bint", "binti", "al", "el"})
#: the Arabic article as it is written before each letter ('ad-Din', 'ar-Rahman', 'ul-Haq')
_ARABIC_ARTICLES = frozenset({"al", "el", "ad", "adh", "an", "ar", "as", "ash", "at", "ath", "az", "ud", "ul",
                              "un", "ur", "us", "uz"})
#: the conventions by language (and language-region): a language not listed takes the default
_NAME_CASES: dict[str, _NameCase] = {
    "nl": _NameCase(_DUTCH),                                     # 'Jan van der Berg', alone 'Van der Berg'
    "nl-BE": _NameCase(_DUTCH, first_particle_capital=True),     # 'Jan Van der Berg', 'Jan De Smet'
    "af": _NameCase(_DUTCH | {"du", "le"}),                      # 'Kobus van der Merwe', 'Faf du Plessis'
    "de": _NameCase(frozenset({"von", "vom", "zu", "zum", "zur", "van", "der", "den", "dem"}),
                    at_start=frozenset({"von", "vom", "zu", "zum", "zur"})),   # 'Herr von Bismarck'
    "fr": _NameCase(frozenset({"de", "du", "des", "d'"}),                     # 'Jean de La Fontaine'
                    at_start=frozenset({"de", "du", "des", "d'"})),           # 'M. de Villepin'
    "es": _NameCase(frozenset({"de", "del", "la", "las", "los", "y"})),        # 'Juan de la Cierva'
    "pt": _NameCase(frozenset({"de", "da", "das", "do", "dos", "e"})),         # 'Maria dos Santos'
    "it": _NameCase(),                                           # 'Luigi Di Maio', 'Vittorio De Sica'
    "ar": _NameCase(_ARABIC, hyphen_particles=_ARABIC_ARTICLES),   # 'Salah ad-Din', 'Ahmad bin Ali'
    "ur": _NameCase(_ARABIC, hyphen_particles=_ARABIC_ARTICLES),   # 'Inzamam ul-Haq'
    "ms": _NameCase(_ARABIC),                                    # 'Ahmad bin Ismail', 'Siti binti Abdullah'
    "vi": _NameCase(),                                           # 'Nguyen Van An': Văn is a middle name
    "ko": _NameCase(hyphen_lower=True),                          # 'Park Ji-sung'
    "zh": _NameCase(hyphen_lower=True),                          # 'Ma Ying-jeou'
    "ja": _NameCase(),
}
#: the commonest Vietnamese family names (unaccented): a name starting with one is Vietnamese in
#: any locale, and 'Van' or 'Thi' in it is a middle name, not a particle
_VIETNAMESE_FAMILY_NAMES = frozenset({
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ho", "ngo",
    "duong", "ly", "truong", "dinh", "trinh", "luong", "doan", "quach", "luu", "kieu", "ton", "vuong"})
_VIETNAMESE_MIDDLE_NAMES = frozenset({"van", "thi"})

#: suffixes and credentials with a fixed form, recognised after the first word
_SUFFIXES = {"jr": "Jr", "sr": "Sr", "phd": "PhD", "md": "MD", "dds": "DDS", "dmd": "DMD", "dvm": "DVM",
             "rn": "RN", "bsn": "BSN", "msn": "MSN", "lpn": "LPN", "cpa": "CPA", "cfa": "CFA", "cfp": "CFP",
             "mba": "MBA", "aia": "AIA", "faia": "FAIA", "csi": "CSI", "esq": "Esq", "edd": "EdD",
             "llm": "LLM", "qc": "QC", "kc": "KC", "obe": "OBE", "mbe": "MBE", "cbe": "CBE"}
#: short credentials that are also names ('Do', 'Ma', 'Pa'): only after a comma, 'Tonya Fordham, DO'
_SUFFIXES_AFTER_COMMA = {"do": "DO", "jd": "JD", "pe": "PE", "od": "OD", "np": "NP", "pa": "PA",
                         "ma": "MA", "ms": "MS", "ba": "BA", "bs": "BS", "dc": "DC"}
#: generational suffixes ('XI' is left alone: it is more often the surname Xi)
_ROMAN = re.compile(r"(?:ii|iii|iv|vi|vii|viii)")
#: words joining two names: 'Mr. and Mrs. Max McGlamry'
_CONNECTORS = frozenset({"and", "or", "und", "et"})
#: Mac names usually written with a capital after Mac (Macy, Machado, Mackie are not)
_MAC_NAMES = frozenset({"donald", "dougall", "dowell", "kenzie", "kay", "kinnon", "leod", "lean", "gregor",
                        "arthur", "intyre", "millan", "neil", "pherson", "allister", "aulay", "innes",
                        "lachlan", "laren", "lennan", "nab", "naughton", "quarrie", "rae", "tavish", "ewan",
                        "farlane", "kenna", "namara", "gill", "guire", "iver", "kechnie"})
_APOSTROPHES = ("'", "\u2019")
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

    @classmethod
    def parse(cls, text: str) -> Signer:
        """A signer from ``"Role"`` or ``"Role:Name"`` (the CLI's ``--signer``); an empty role is an
        ``ArgumentError``.

        Example::

            Signer.parse("First Officer:J. Reyes")     # Signer(role='First Officer', name='J. Reyes')
        """
        return signers_from([text])[0]


def _case_run(run: str, previous: str, before: str) -> str:
    """Case one run of letters: capital after a word start, a hyphen, a dot or a bracket.

    After an apostrophe the run is capitalised only behind a one-letter prefix
    (O'Brien, D'Angelo, N'Dour) and kept lower behind a longer one (Pe'er, Ng'ang'a) or
    for a possessive s.
    """
    if before in _APOSTROPHES and (len(previous) > 1 or run.lower() == "s"):
        return run.lower()  # Pe'er; a possessive "Dr.'s"
    lowered = run.lower()
    if lowered.startswith("mc") and len(run) > 3:
        return "Mc" + lowered[2:].capitalize()
    if lowered.startswith("mac") and lowered[3:] in _MAC_NAMES:
        return "Mac" + lowered[3:].capitalize()
    return lowered.capitalize()


def _case_word(word: str) -> str:
    out: list[str] = []
    previous, last = "", 0
    for match in re.finditer(r"[^\W\d_]+", word):
        before = word[match.start() - 1] if match.start() else ""
        if not previous or last != match.start() - 1:
            previous = ""  # a quotation mark opening a nickname ('Corky'), not an apostrophe in a name
        out += [word[last:match.start()], _case_run(match.group(0), previous, before)]
        previous, last = match.group(0), match.end()
    return "".join(out) + word[last:]


def _letters(word: str) -> str:
    return "".join(c for c in word if c.isalpha()).lower()


def _plain(word: str) -> str:
    """The letters of a word, lower case and without accents: 'Nguyễn' -> 'nguyen', 'Đặng' -> 'dang'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("\u0111", "d"))
    return "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c))


def _vietnamese(words: list[str]) -> bool:
    """A Vietnamese name: a common family name first ('Nguyen Van An'), or last with a Vietnamese
    middle name before it ('An Van Nguyen')."""
    keys = [_plain(w) for w in words]
    return len(keys) > 1 and (keys[0] in _VIETNAMESE_FAMILY_NAMES or (
        keys[-1] in _VIETNAMESE_FAMILY_NAMES and any(k in _VIETNAMESE_MIDDLE_NAMES for k in keys[1:-1])))


def _name_case(locale: str | None) -> _NameCase:
    """The conventions of a locale ('nl-BE', 'de', 'en_GB'): language and region, then language."""
    parts = re.split(r"[-_]", locale or "")
    language = parts[0].lower()
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    return _NAME_CASES.get(f"{language}-{region}") or _NAME_CASES.get(language, _DEFAULT_CASE)


def _elided(word: str, particles: frozenset[str]) -> str | None:
    """A French elided particle in lower case ('d'Estaing'), when ``particles`` holds it."""
    match = re.fullmatch(r"([^\W\d_])(['\u2019])([^\W\d_].*)", word)
    if match and f"{match.group(1).lower()}'" in particles:
        return match.group(1).lower() + match.group(2) + _case_word(match.group(3))
    return None


def _name_word(words: list[str], index: int, case: _NameCase) -> str:
    """One word of an ALL-CAPS or all-lowercase name, in the case it is usually written."""
    word, key = words[index], _letters(words[index])
    following = _letters(words[index + 1]) if index + 1 < len(words) else ""
    if case.hyphen_lower and "-" in word.strip("-"):  # 'JI-SUNG' -> 'Ji-sung'
        head, _, rest = word.partition("-")
        return _case_word(head) + "-" + rest.lower()
    if index == 0:
        if key in case.at_start and word.isalpha() and len(following) > 1:
            return word.lower()  # a family name alone keeps its particle: 'von Bismarck'
        return _elided(word, case.at_start) or _case_word(word)
    fixed = _SUFFIXES.get(key) or (_SUFFIXES_AFTER_COMMA.get(key) if words[index - 1].endswith(",") else None)
    if fixed:  # 'JR.,' -> 'Jr.,', 'PHD' -> 'PhD'; dotted forms are cased part by part: 'PH.D.' -> 'Ph.D.'
        plain = re.fullmatch(r"\W*[^\W\d_]+\W*", word)
        return re.sub(r"[^\W\d_]+", fixed, word) if plain else _case_word(word)
    if _ROMAN.fullmatch(key):
        return word.upper()
    if key in _CONNECTORS and word.isalpha():
        return word.lower()
    previous = _letters(words[index - 1])
    # a one-letter particle ('y', 'e') only after a name, not after an initial: 'García y Vega'
    if (key in case.particles and word.isalpha() and len(following) > 1
            and (len(key) > 1 or len(previous) > 1)):
        if case.first_particle_capital and previous not in case.particles:
            return _case_word(word)  # Belgium: 'Jan Van der Berg', 'Jan De Smet'
        return word.lower()  # a particle before the rest of the name: van der Berg, de la Cruz
    elided = _elided(word, case.particles)
    if elided:
        return elided  # 'Giscard d'Estaing'
    head, hyphen, rest = word.partition("-")
    if hyphen and head.lower() in case.hyphen_particles and rest:
        return head.lower() + "-" + _case_word(rest)  # Abd al-Rahman
    parts = word.split("-")
    if len(parts) > 1 and all(_letters(p) in _SUFFIXES for p in parts):
        return "-".join(_SUFFIXES[_letters(p)] for p in parts)  # AIA-CSI
    return _case_word(word)


def _latin_only(text: str) -> bool:
    return all(unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


def format_name(name: str, locale: str | None = None) -> str:
    """A name as it is written: legacy ALL-CAPS or all-lowercase data is cased by rule.

    Mixed case is the customer's own spelling and is kept ('McDonald', 'DeAndre',
    'van der Berg'); so is any name in a script other than Latin. The rules: hyphenated parts
    are capitalised, O'/D' take a capital after the apostrophe, Mc always and Mac for names
    where it is the usual spelling, and suffixes keep their form (Jr., III, PhD, MD).

    Particles follow the customer's ``locale`` (the profile's, such as "nl-BE"): Dutch
    'Jan van der Berg' (and 'Van der Berg' alone), Belgian 'Jan Van der Berg', German
    'von Bismarck' even alone, French 'de Villepin' and 'Giscard d'Estaing', Spanish 'de la
    Cierva', Portuguese 'dos Santos', Arabic 'bin', 'al-', 'ad-'; Italian keeps them capitalised
    ('Di Maio', 'De Sica'); Korean and Chinese given names stay lower after the hyphen ('Ji-sung').
    Without a locale, or in English, particles of every language stay lower inside a name. In
    any locale a Vietnamese name ('Nguyen Van An') has no particles: Văn and Thị are middle names.

    Example::

        format_name("GARCIA DE LA CRUZ")            # 'Garcia de la Cruz'
        format_name("seamus o'brien jr.")           # "Seamus O'Brien Jr."
        format_name("nguyen van an")                # 'Nguyen Van An'
        format_name("VON BISMARCK", locale="de")    # 'von Bismarck'
    """
    name = " ".join(name.split())
    if not any(c.isalpha() for c in name) or not (name.isupper() or name.islower()) or not _latin_only(name):
        return name
    words = name.split(" ")
    case = _NAME_CASES["vi"] if _vietnamese(words) else _name_case(locale)
    return " ".join(_name_word(words, i, case) for i in range(len(words)))


def _address_name(profile: CustomerProfile, relationship: Relationship) -> str | None:
    form = profile.address_as
    locale = profile.locale
    family = format_name(profile.family_name, locale) if profile.family_name else None
    honorific = profile.honorific.strip() if profile.honorific else None
    given = format_name(profile.given_name, locale) if profile.given_name else None
    preferred = format_name(profile.preferred_name, locale) if profile.preferred_name else None
    formal = f"{honorific} {family}" if honorific and family else None
    if form == "preferred_name" and preferred:
        return preferred
    if form == "given_name" and given:
        return given
    if form == "honorific_family_name" and formal:
        return formal
    if preferred:  # the name the customer asked for wins over locale and familiarity
        return preferred
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


# --- the forms a caller may give ---------------------------------------------------------------

SIGNER_FORMS = ("a Signer (Signer('Captain'), Signer('First Officer', 'J. Reyes')) or a string 'Role' or "
                "'Role:Name' ('Captain', 'First Officer:J. Reyes'), in a list")


def signers_from(value: object, *, caller: str | None = None) -> tuple[Signer, ...]:
    """The signers a caller gave: ``Signer`` objects, or ``"Role"`` / ``"Role:Name"`` strings.

    Anything else (a bare string instead of a list, a dict, an empty role) is an ``ArgumentError``
    that shows the accepted forms.
    """
    if isinstance(value, (str, Signer)) or not isinstance(value, Sequence):
        raise ArgumentError("signers", value, f"give a list of signers; each is {SIGNER_FORMS}",
                            caller=caller)
    signers: list[Signer] = []
    for item in value:
        if isinstance(item, Signer):
            signers.append(item)
            continue
        if not isinstance(item, str):
            raise ArgumentError("signers", item, f"{type(item).__name__} is not a signer; each is "
                                f"{SIGNER_FORMS}", caller=caller)
        role, _, name = item.partition(":")
        if not role.strip():
            raise ArgumentError("signers", item, f"a signer needs a role before the ':'; each is "
                                f"{SIGNER_FORMS}", caller=caller)
        signers.append(Signer(role.strip(), name.strip() or None))
    return tuple(signers)


def channel_from(value: object, *, caller: str | None = None) -> Channel:
    """``value`` when it is a channel (``card``, ``email``, ``letter``, ``sms``), else an ``ArgumentError``
    listing them."""
    if isinstance(value, str) and value in CHANNELS:
        return cast(Channel, value)
    listed = ", ".join(map(repr, CHANNELS))
    raise ArgumentError("channel", value, f"not a channel; the channels are {listed}", caller=caller)
