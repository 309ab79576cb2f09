"""The signature record: who signed which exact decision, when and why, as an append-only keyed chain.

Each row holds the draft and what it goes out as (customer id, channel, signers), the reviewer
(id, printed name, role), the UTC time, the meaning (approve, edit, reject, override, or
request_change: the model drafted again on a reviewer's guidance), the reason, the version and
the SHA-256 of its text, the unified diff against the model's text, the model and prompt version,
the hash of the context the draft was made from, and the id of the key that signed it. Its
``row_hash`` is an HMAC-SHA256, under that key, of all of these and the previous row's MAC; the
chain head (last row and its MAC) carries a MAC of its own. The key is held outside the database
(``resolve_signing_keys``), so whoever can write the file but does not hold the key cannot
append, change, rename, reorder or remove rows without ``verify_record`` finding it. With no key
configured the public development key signs (``DEV_KEY_ID``): the record still finds accidents,
but is not tamper-proof, and the report says so. The database refuses UPDATE and DELETE on the
table (triggers) besides.

``verify_record`` also reads every draft against its own signatures: its state, version and
approval are its last decision's, its text is the text signed, and its customer, channel and
signers are the ones signed.

Example::

    keys = resolve_signing_keys(None)          # argument > $PERSONALNOTE_SIGNING_KEY > key file > dev
    report = verify_record(store, keys)
    if not report.ok:
        print(f"signature row {report.first_broken}: {report.problem}", report.drafts)
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import _constants as C
from ._errors import ConfigurationError, ReviewError
from ._store import GENESIS_HASH, Row, Store, Tx

__all__ = ["ChainReport", "Meaning", "SignatureRecord", "SigningKeys", "append_signature", "decision_subject",
           "diff_against", "draft_problems", "resolve_signing_keys", "sha256_text", "signature_at",
           "signature_rows", "verify_chain", "verify_record"]

Meaning = Literal["approve", "edit", "reject", "override", "request_change"]
KeyInput = str | bytes | Mapping[str, str | bytes]

_SIGNED = ("seq", "draft_id", "customer_id", "channel", "signers", "reviewer_id", "printed_name", "role",
           "signed_at", "meaning", "reason", "version", "text_sha256", "diff", "model", "prompt",
           "prompt_version", "context_hash", "key_id")
_STATES_AFTER: dict[str, tuple[str, ...]] = {"approve": ("approved", "exported"),
                                             "override": ("approved", "exported"),
                                             "edit": ("edited",), "reject": ("rejected",),
                                             "request_change": ("drafted",)}


def sha256_text(text: str) -> str:
    """SHA-256 (hex) of a note's exact text, UTF-8 encoded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def diff_against(model_text: str, text: str, version: int) -> str:
    """The unified diff from the model's text to ``text`` ('' when they are the same)."""
    lines = difflib.unified_diff(model_text.splitlines(keepends=True), text.splitlines(keepends=True),
                                 fromfile="model", tofile=f"version {version}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKeys:
    """The keys that sign (``active_id``) and verify (every id in ``keys``); never printed.

    The development key (``DEV_KEY_ID``) is always known, so an unkeyed record verifies; a record
    is tamper-proof only when ``keyed`` (a secret key is active).
    """

    active_id: str
    keys: Mapping[str, bytes] = field(repr=False)
    source: str = "development key"

    @property
    def keyed(self) -> bool:
        return self.active_id != C.DEV_KEY_ID

    def key(self, key_id: str | None) -> bytes | None:
        if key_id == C.DEV_KEY_ID:
            return C.DEV_KEY
        return self.keys.get(key_id) if key_id is not None else None


#: what signs when no key is configured, and what ``SignatureRecord.expected_hash()`` uses by default
DEV_KEYS = SigningKeys(C.DEV_KEY_ID, {})


def _secret(key_id: str, value: str | bytes, source: str) -> bytes:
    if not re.fullmatch(C.SIGNING_KEY_ID_PATTERN, key_id) or key_id == C.DEV_KEY_ID:
        raise ConfigurationError(f"signing key id {key_id!r} from {source}: use 1-64 letters, digits or "
                                 f". _ : - (not {C.DEV_KEY_ID!r})")
    secret = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(secret.strip()) < C.SIGNING_KEY_MIN_BYTES:
        raise ConfigurationError(f"signing key {key_id!r} from {source} is {len(secret)} bytes; use at least "
                                 f"{C.SIGNING_KEY_MIN_BYTES} random bytes (e.g. `python -c 'import secrets; "
                                 "print(secrets.token_hex(32))'`)")
    return secret


def _key_file(path: Path) -> dict[str, bytes]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"${C.ENV_SIGNING_KEY_FILE}: cannot read {path}: {exc}") from None
    keys: dict[str, bytes] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key_id, sep, secret = line.partition("=")
        if not sep:
            raise ConfigurationError(f"{path} line {number}: write each key as `key_id = secret`")
        keys[key_id.strip()] = _secret(key_id.strip(), secret.strip(), f"{path} line {number}")
    if not keys:
        raise ConfigurationError(f"{path} holds no key; write each key as `key_id = secret`")
    return keys


def resolve_signing_keys(signing_key: KeyInput | None = None, key_id: str | None = None) -> SigningKeys:
    """The signing keys: ``signing_key`` (one secret, or key ids to secrets), else
    ``$PERSONALNOTE_SIGNING_KEY``, else the ``key_id = secret`` lines of
    ``$PERSONALNOTE_SIGNING_KEY_FILE``, else the public development key.

    ``key_id`` (else ``$PERSONALNOTE_SIGNING_KEY_ID``) names the key that signs: by default the
    only one given, or the last line of the key file. Every other key given still verifies (rotation).
    """
    key_id = key_id or os.environ.get(C.ENV_SIGNING_KEY_ID) or None
    if signing_key is not None:
        source = "the signing_key argument"
        if isinstance(signing_key, str | bytes):
            keys = {key_id or C.SIGNING_KEY_DEFAULT_ID: signing_key}
        else:
            keys = dict(signing_key)
    elif os.environ.get(C.ENV_SIGNING_KEY):
        source = f"${C.ENV_SIGNING_KEY}"
        keys = {key_id or C.SIGNING_KEY_DEFAULT_ID: os.environ[C.ENV_SIGNING_KEY]}
    elif os.environ.get(C.ENV_SIGNING_KEY_FILE):
        path = Path(os.environ[C.ENV_SIGNING_KEY_FILE])
        source = f"key file {path}"
        secrets = _key_file(path)
        active = key_id or list(secrets)[-1]
        if active not in secrets:
            raise ConfigurationError(f"the signing key id {active!r} is not in {path}")
        return SigningKeys(active, secrets, source)
    else:
        return DEV_KEYS
    if not keys:
        raise ConfigurationError("signing_key is an empty mapping; give at least one key id and secret")
    secrets = {name: _secret(name, value, source) for name, value in keys.items()}
    chosen = key_id if key_id in secrets else next(iter(secrets)) if len(secrets) == 1 else None
    if chosen is None:
        raise ConfigurationError(f"{source} gives {len(secrets)} keys: name the one that signs with "
                                 f"key_id= or ${C.ENV_SIGNING_KEY_ID} (one of {', '.join(secrets)})")
    return SigningKeys(chosen, secrets, source)


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRecord:
    """One row of the signature record (see the module docstring for the fields)."""

    seq: int
    draft_id: int
    customer_id: str
    channel: str
    signers: str
    reviewer_id: str
    printed_name: str
    role: str
    signed_at: str
    meaning: Meaning
    reason: str | None
    version: int
    text_sha256: str
    diff: str
    model: str
    prompt: str
    prompt_version: str
    context_hash: str
    key_id: str
    prev_hash: str
    row_hash: str

    @property
    def approves(self) -> bool:
        """True for an approval (``approve``, or ``override`` of blocking findings)."""
        return self.meaning in ("approve", "override")

    def expected_hash(self, keys: SigningKeys = DEV_KEYS) -> str | None:
        """The MAC this row's fields and ``prev_hash`` call for under its key (None: key not in ``keys``).

        Without ``keys`` only the public development key is known, as it is to anyone.
        """
        key = keys.key(self.key_id)
        return None if key is None else _row_mac(key, self.prev_hash, asdict(self))

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row_mac(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    payload = json.dumps({name: fields[name] for name in _SIGNED}, sort_keys=True, ensure_ascii=False)
    message = f"personalnote signature\n{prev_hash}\n{payload}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _head_mac(key: bytes, seq: int, last_hash: str) -> str:
    return hmac.new(key, f"personalnote chain head\n{seq}\n{last_hash}".encode(), hashlib.sha256).hexdigest()


def _record(row: Row) -> SignatureRecord:
    return SignatureRecord(**{key: row[key] for key in row.keys()})


def decision_subject(row: Row) -> dict[str, str]:
    """What a decision on this draft row goes out as: its customer id, channel and signers (JSON)."""
    try:
        draft = json.loads(row["draft"])
        channel, signers = str(draft["channel"]), draft["signers"]
    except (ValueError, KeyError, TypeError):
        channel, signers = "", None
    return {"customer_id": row["customer_id"], "channel": channel,
            "signers": json.dumps(signers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))}


def _read_head(tx: Tx) -> Any:
    """The chain head, the last row's number and the row_hash of the row the head names, in one read
    (in PostgreSQL each read is a round trip, made while holding the write lock)."""
    return tx.execute("SELECT h.seq, h.hash, h.key_id, h.mac, (SELECT max(seq) FROM signatures), "
                      "(SELECT row_hash FROM signatures WHERE seq = h.seq) FROM chain_head h WHERE h.id = 1"
                      ).fetchone()


def _head_problem(head: Any, keys: SigningKeys) -> str | None:
    if head is None:
        return "its chain head is missing"
    seq, last_hash, key_id, mac, last, row_hash = head
    last = last or 0
    if last != seq or (row_hash or GENESIS_HASH) != last_hash:
        return f"its head names row {seq} but the record ends at row {last}"
    if seq == 0:
        return None if mac is None else "its empty head carries a MAC"
    key = keys.key(key_id)
    if key is None:
        raise ConfigurationError(f"the signature record is signed with key {key_id!r}, which is not "
                                 f"configured (set ${C.ENV_SIGNING_KEY} or ${C.ENV_SIGNING_KEY_FILE}); "
                                 "nothing was signed")
    if keys.keyed != (key_id != C.DEV_KEY_ID):
        raise ConfigurationError(
            "the signature record is signed with " + (f"key {key_id!r}" if key_id != C.DEV_KEY_ID else
                                                      "the public development key")
            + f" and the configured key is {keys.active_id!r}: a record is keyed from its first row or not "
            "at all; configure its key, or start a new store; nothing was signed")
    if not hmac.compare_digest(mac or "", _head_mac(key, seq, last_hash)):
        return "its head's MAC does not match: the head was moved back or forged"
    return None


def append_signature(tx: Tx, keys: SigningKeys = DEV_KEYS, **fields: Any) -> SignatureRecord:
    """Append one row inside the caller's write transaction and move the chain head to it.

    ``fields`` are every signed name but ``seq`` and ``key_id``. The head is verified first, so a
    legitimate decision never re-signs (and so launders) a record cut short or forged.
    """
    head = _read_head(tx)
    problem = _head_problem(head, keys)
    if problem is not None:
        raise ReviewError(None, f"the signature record fails verification ({problem}): nothing was signed; "
                                "run `personalnote review verify`")
    head_seq, head_hash = head[0], head[1]
    values = {**fields, "seq": head_seq + 1, "key_id": keys.active_id}
    key = keys.key(keys.active_id)
    assert key is not None
    record = SignatureRecord(**{name: values[name] for name in _SIGNED}, prev_hash=head_hash,
                             row_hash=_row_mac(key, head_hash, values))
    columns = [*_SIGNED, "prev_hash", "row_hash"]
    tx.execute(f"INSERT INTO signatures ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
               [getattr(record, name) for name in columns])
    tx.execute("UPDATE chain_head SET seq = ?, hash = ?, key_id = ?, mac = ? WHERE id = 1",
               (record.seq, record.row_hash, keys.active_id, _head_mac(key, record.seq, record.row_hash)))
    return record


def _fetch(source: Store | Tx, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
    if isinstance(source, Store):
        return source.query(sql, params)
    return source.execute(sql, params).fetchall()


def signature_rows(source: Store | Tx, draft_id: int | None = None) -> list[SignatureRecord]:
    """Signature rows in order, for one draft or all (from a store or inside a transaction)."""
    if draft_id is None:
        return [_record(row) for row in _fetch(source, "SELECT * FROM signatures ORDER BY seq")]
    rows = _fetch(source, "SELECT * FROM signatures WHERE draft_id = ? ORDER BY seq", (draft_id,))
    return [_record(row) for row in rows]


def signature_at(source: Store | Tx, seq: int | None) -> SignatureRecord | None:
    """The signature row with this sequence number, if any."""
    rows = _fetch(source, "SELECT * FROM signatures WHERE seq = ?", (seq,)) if seq is not None else []
    return _record(rows[0]) if rows else None


# --- verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the signature record and the drafts against it.

    ``ok``; rows read; the first broken row and the problem; ``keyed`` when every row is signed
    with a secret key (not the public development key); ``drafts``: ``(draft_id, reason)`` for
    each draft that disagrees with its own signatures. ``key_ids`` (in order of first use),
    ``head`` (last row and its MAC: keep it outside the file to detect a rollback) and
    ``warning`` do not take part in comparisons.
    """

    ok: bool
    rows: int
    first_broken: int | None = None
    problem: str | None = None
    keyed: bool = False
    drafts: tuple[tuple[int, str], ...] = ()
    key_ids: tuple[str, ...] = field(default=(), compare=False)
    head: str | None = field(default=None, compare=False)
    warning: str | None = field(default=None, compare=False)

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row_problem(record: SignatureRecord, previous: str, keys: SigningKeys) -> str | None:
    if record.prev_hash != previous:
        return "its link to the previous row is broken: a row before it was changed, removed or inserted"
    if record.key_id == C.DEV_KEY_ID and keys.keyed:
        return ("it is signed with the public development key, which anyone can recompute, in a record "
                f"verified with key {keys.active_id!r}: it was forged, or the record was never keyed")
    expected = record.expected_hash(keys)
    if expected is None:
        return (f"it is signed with key {record.key_id!r}, which is not configured (set "
                f"${C.ENV_SIGNING_KEY} or list old keys in ${C.ENV_SIGNING_KEY_FILE})")
    if not hmac.compare_digest(expected, record.row_hash):
        return (f"its fields no longer match its MAC: it was changed, or forged without the key (or the key "
                f"configured as {record.key_id!r} is not the one it was signed with)")
    return None


def draft_problems(row: Row, signatures: list[SignatureRecord]) -> list[tuple[str, str]]:
    """How a draft row disagrees with its own signatures, as ``(kind, reason)``.

    ``kind`` is ``decision`` when the row claims a decision, customer, channel or signers its
    signatures do not make, ``text`` when its text is not the text its last decision signed.
    """
    found: list[tuple[str, str]] = []
    subject = decision_subject(row)
    try:
        named = json.loads(row["draft"]).get("customer_id")
    except (ValueError, AttributeError):
        named = None
    if named != row["customer_id"]:
        found.append(("decision", f"its draft is for customer {named!r} but its row for "
                                  f"{row['customer_id']!r}"))
    try:
        provenance = json.loads(row["draft"]).get("provenance") or {}
    except (ValueError, AttributeError):
        provenance = {}
    for s in signatures:
        made = [n for n in ("model", "prompt", "prompt_version", "context_hash")
                if not getattr(s, n) == row[n] == provenance.get(n)]
        if made:
            found.append(("decision", f"signature #{s.seq} was signed for another {' and '.join(made)}"))
            break
    for s in signatures:
        signed = {"customer_id": s.customer_id, "channel": s.channel, "signers": s.signers}
        changed = [name for name in signed if signed[name] != subject[name]]
        if changed:
            found.append(("decision", f"signature #{s.seq} was signed for another {' and '.join(changed)} "
                                      f"({', '.join(f'{n} {signed[n]!r}' for n in changed)})"))
            break
    if sha256_text(row["text"]) != row["text_sha256"]:
        found.append(("text", "its text does not match its text hash: the text was changed"))
    state, version, approval_seq = row["state"], row["version"], row["approval_seq"]
    if not signatures:
        if (state, version, approval_seq) != ("drafted", 1, None):
            found.append(("decision", f"it is {state} version {version} but has no signature"))
        return found
    last = signatures[-1]
    if state not in _STATES_AFTER[last.meaning]:
        found.append(("decision", f"it is {state} but its last decision is {last.meaning} (#{last.seq})"))
    if version != last.version:
        found.append(("decision", f"it is version {version} but its last decision signs version "
                                  f"{last.version}"))
    if approval_seq != (last.seq if last.approves else None):
        found.append(("decision", f"its approval names #{approval_seq} but its last decision is "
                                  f"{last.meaning} #{last.seq}"))
    if row["text_sha256"] != last.text_sha256:
        found.append(("text", f"its text is not the text its last decision (#{last.seq}) signed"))
    return found


def verify_record(source: Store | Tx, keys: SigningKeys = DEV_KEYS) -> ChainReport:
    """Verify every row's MAC and link in order, the chain head and its MAC, then every draft
    against its own signatures; the report names the first broken row and each draft that disagrees.
    """
    previous, last_seq, count = GENESIS_HASH, 0, 0
    key_ids: list[str] = []
    by_draft: dict[int, list[SignatureRecord]] = {}
    first_broken: int | None = None
    problem: str | None = None
    for row in _fetch(source, "SELECT * FROM signatures ORDER BY seq"):
        record = _record(row)
        count += 1
        problem = _row_problem(record, previous, keys)
        if problem is not None:
            first_broken = record.seq
            break
        if record.key_id not in key_ids:
            key_ids.append(record.key_id)
        by_draft.setdefault(record.draft_id, []).append(record)
        previous, last_seq = record.row_hash, record.seq
    head = _fetch(source, "SELECT seq, hash, key_id, mac FROM chain_head WHERE id = 1")
    if problem is None:
        if not head or (head[0]["seq"], head[0]["hash"]) != (last_seq, previous):
            head_seq = head[0]["seq"] if head else None
            first_broken = last_seq + 1
            problem = (f"the record ends at row {last_seq} but its head names row {head_seq}: rows were "
                       "removed from the end")
        elif last_seq:
            key = keys.key(head[0]["key_id"])
            if key is None or not hmac.compare_digest(head[0]["mac"] or "",
                                                      _head_mac(key, last_seq, previous)):
                first_broken = last_seq + 1
                problem = ("the chain head's MAC does not match: the head was moved back (rows removed from "
                           "the end) or forged")
    drafts: list[tuple[int, str]] = []
    if problem is None:
        for row in _fetch(source, "SELECT * FROM drafts ORDER BY id"):
            found = draft_problems(row, by_draft.get(row["id"], []))
            if found:
                drafts.append((row["id"], "; ".join(reason for _, reason in found)))
        if drafts:
            problem = f"{len(drafts)} draft(s) disagree with their own signatures"
    keyed = keys.keyed and C.DEV_KEY_ID not in key_ids
    warning = None if keyed else (f"signed with the public development key ({C.DEV_KEY_ID}): not "
                                  "tamper-proof, anyone who can write the file can forge it; set "
                                  f"${C.ENV_SIGNING_KEY}")
    return ChainReport(ok=problem is None, rows=count, first_broken=first_broken, problem=problem,
                       keyed=keyed, drafts=tuple(drafts), key_ids=tuple(key_ids),
                       head=f"{last_seq}:{previous}" if problem is None else None, warning=warning)


def verify_chain(store: Store, keys: SigningKeys = DEV_KEYS) -> ChainReport:
    """``verify_record`` on a store (kept for callers of the first version)."""
    return verify_record(store, keys)
