"""Reviewer accounts in the review store, and the policy of which role may approve which channel.

An account has an id, the name printed under its signatures, a role and a password hash (made by
``personalnote.web.hash_password``, argon2id: the store never sees a password). An account is
disabled, never deleted: its id stays in the signatures it made. The ``ApprovalPolicy`` says
which roles may approve a channel; by default only the role ``crew`` approves cards and any role
approves the other channels (``DEFAULT_APPROVAL_ROLES``).

Example::

    policy = ApprovalPolicy.parse(["card=crew,purser", "letter=store"])
    policy.may_approve("purser", "card")      # True
    add_account(store, "alice", "Alice Smith", "crew", hash_password(secret), now)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _constants as C
from ._compose import CHANNELS
from ._errors import ArgumentError, ReviewError
from ._queue_types import Reviewer
from ._store import Store

__all__ = ["ApprovalPolicy", "ReviewerAccount", "account_of", "accounts", "add_account", "disable_account",
           "password_hash_of"]


@dataclass(frozen=True)
class ReviewerAccount:
    """A reviewer who can log in: id, printed name, role, whether disabled, when made."""

    id: str
    printed_name: str
    role: str
    disabled: bool
    created_at: str
    updated_at: str

    @property
    def reviewer(self) -> Reviewer:
        """The ``Reviewer`` that signs this account's decisions."""
        return Reviewer(self.id, self.printed_name, self.role)

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "printed_name": self.printed_name, "role": self.role,
                "disabled": self.disabled, "created_at": self.created_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class ApprovalPolicy:
    """Which roles may approve which channel: a channel in ``roles`` only by those roles, any other
    channel by every role.

    Example::

        ApprovalPolicy({"card": frozenset({"crew"})}).may_approve("store", "card")    # False
    """

    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.roles) - set(CHANNELS))
        if unknown:
            raise ArgumentError("approval policy", unknown,
                                f"not channels; the channels are {', '.join(CHANNELS)}",
                                caller="ApprovalPolicy")

    @classmethod
    def default(cls) -> ApprovalPolicy:
        """Cards only by the role ``crew``; every other channel by any role (``DEFAULT_APPROVAL_ROLES``)."""
        return cls({channel: frozenset(roles) for channel, roles in C.DEFAULT_APPROVAL_ROLES.items()})

    @classmethod
    def parse(cls, rules: Iterable[str], *, base: ApprovalPolicy | None = None) -> ApprovalPolicy:
        """A policy from ``CHANNEL=ROLE[,ROLE]`` rules (``card=crew,purser``; ``letter=*`` opens a channel
        to every role) over ``base`` (default: the default policy)."""
        roles = dict((base or cls.default()).roles)
        for rule in rules:
            channel, sep, names = rule.partition("=")
            listed = frozenset(n.strip() for n in names.split(",") if n.strip())
            if not sep or not channel.strip() or not listed:
                raise ArgumentError("approval rule", rule, "CHANNEL=ROLE[,ROLE] (card=crew,purser), or "
                                    "CHANNEL=* for any role", caller="ApprovalPolicy.parse")
            if listed == {"*"}:
                roles.pop(channel.strip(), None)
            else:
                roles[channel.strip()] = listed
        return cls(roles)

    def may_approve(self, role: str, channel: str) -> bool:
        """True when a reviewer with ``role`` may approve a note for ``channel``."""
        allowed = self.roles.get(channel)
        return allowed is None or role in allowed

    def describe(self) -> list[str]:
        """One line per channel: who may approve it."""
        return [f"{channel}: " + (", ".join(sorted(self.roles[channel])) if channel in self.roles
                                  else "any role") for channel in CHANNELS]


def _account(row: Any) -> ReviewerAccount:
    return ReviewerAccount(id=row["id"], printed_name=row["printed_name"], role=row["role"],
                           disabled=bool(row["disabled"]), created_at=row["created_at"],
                           updated_at=row["updated_at"])


def add_account(store: Store, account_id: str, printed_name: str, role: str, password_hash: str,
                now: str) -> ReviewerAccount:
    """Add an account (``ReviewError`` if the id is taken, or the id, name or role is not usable)."""
    if not re.fullmatch(C.REVIEWER_ID_PATTERN, account_id or ""):
        raise ReviewError(None, f"reviewer id {account_id[:40]!r}: use 1-64 letters, digits or . _ @ - "
                                "(no spaces)")
    if not printed_name.strip() or not role.strip():
        raise ReviewError(None, f"reviewer {account_id!r} needs a printed name and a role")
    if not password_hash.startswith("$argon2"):
        raise ReviewError(None, "a reviewer's password is stored as an argon2 hash "
                                "(personalnote.web.hash_password), never as it is")
    with store.write() as tx:
        if tx.execute("SELECT 1 FROM reviewers WHERE id = ?", (account_id,)).fetchone():
            raise ReviewError(None, f"reviewer {account_id!r} already exists in {store.path}")
        tx.execute("INSERT INTO reviewers (id, printed_name, role, password_hash, disabled, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                   (account_id, " ".join(printed_name.split()), role.strip(), password_hash, now, now))
        return _account(tx.execute("SELECT * FROM reviewers WHERE id = ?", (account_id,)).fetchone())


def accounts(store: Store) -> list[ReviewerAccount]:
    """Every account, by id."""
    return [_account(row) for row in store.query("SELECT * FROM reviewers ORDER BY id")]


def account_of(store: Store, account_id: str) -> ReviewerAccount | None:
    """The account with this id, or None."""
    rows = store.query("SELECT * FROM reviewers WHERE id = ?", (account_id,))
    return _account(rows[0]) if rows else None


def password_hash_of(store: Store, account_id: str) -> str | None:
    """The password hash of an enabled account, or None (no such account, or disabled)."""
    rows = store.query("SELECT password_hash FROM reviewers WHERE id = ? AND disabled = 0", (account_id,))
    return str(rows[0][0]) if rows else None


def disable_account(store: Store, account_id: str, now: str, *, disabled: bool = True) -> ReviewerAccount:
    """Disable an account (or enable it again); ``ReviewError`` if there is none."""
    with store.write() as tx:
        cursor = tx.execute("UPDATE reviewers SET disabled = ?, updated_at = ? WHERE id = ?",
                            (1 if disabled else 0, now, account_id))
        if cursor.rowcount != 1:
            raise ReviewError(None, f"no reviewer {account_id!r} in {store.path}")
        return _account(tx.execute("SELECT * FROM reviewers WHERE id = ?", (account_id,)).fetchone())

