"""Who is logged in to the review web app: passwords, sessions, CSRF tokens, slowed failed logins.

- Passwords are hashed with argon2id (argon2-cffi's defaults); the store keeps only the hash. An
  unknown account is checked against a dummy hash, so it answers as slowly as a known one.
- A session is a cookie signed with itsdangerous (a timestamped HMAC): the reviewer's id and a CSRF
  token, nothing else. It is ``HttpOnly``, ``SameSite=Lax``, ``Secure`` on https, and stops being
  accepted after ``SESSION_MAX_AGE_SECONDS``. Each request reads the account again, so a disabled
  account is logged out at once.
- Every form carries the session's CSRF token (session-bound), compared in constant time; a POST
  whose ``Origin`` is another site is refused as well.
- Failed logins are counted per account and per client address, in the server's memory (a restart
  forgets them): after ``LOGIN_FREE_FAILURES`` failures each further try must wait
  ``LOGIN_BACKOFF_SECONDS``, doubling with every failure up to ``LOGIN_BACKOFF_MAX_SECONDS``; a try
  during the wait is refused without checking the password. A successful login clears the account's
  count (not the address's); failures are forgotten ``LOGIN_FORGET_SECONDS`` after the last one.

Example::

    stored = hash_password("correct horse battery staple")
    verify_password(stored, "correct horse battery staple")     # True
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from . import _constants as C
from ._errors import ArgumentError

__all__ = ["LoginThrottle", "SessionCodec", "hash_password", "new_token", "same_token", "verify_password"]

_HASHER = PasswordHasher()
#: checked when the account does not exist, so an unknown id takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
SESSION_COOKIE = "pn_session"


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (at least ``PASSWORD_MIN_CHARS`` characters), for the store.

    Example::

        queue.add_reviewer("alice", "Alice Smith", "crew", password_hash=hash_password(secret))
    """
    if len(password) < C.PASSWORD_MIN_CHARS:
        raise ArgumentError("password", "(hidden)", f"at least {C.PASSWORD_MIN_CHARS} characters",
                            caller="hash_password")
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (None: no account, checked against a dummy)."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh random token (CSRF)."""
    return secrets.token_urlsafe(32)


def same_token(expected: object, given: object) -> bool:
    """Constant-time comparison of two tokens; anything that is not a non-empty string is no match."""
    return (isinstance(expected, str) and isinstance(given, str) and bool(expected)
            and hmac.compare_digest(expected.encode(), given.encode()))


class SessionCodec:
    """Signs and reads the session cookie (itsdangerous, timestamped)."""

    def __init__(self, secret: bytes | str, max_age: int = C.SESSION_MAX_AGE_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="personalnote-session")
        self.max_age = max_age

    def dumps(self, data: dict[str, Any]) -> str:
        return str(self._serializer.dumps(data))

    def loads(self, cookie: str | None) -> dict[str, Any]:
        """The session's data; {} for no cookie, a forged or expired one."""
        if not cookie:
            return {}
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class LoginThrottle:
    """Failed logins per key (``account:ID``, ``address:IP``), with an exponential wait after a few."""

    free: int = C.LOGIN_FREE_FAILURES
    backoff: float = C.LOGIN_BACKOFF_SECONDS
    most: float = C.LOGIN_BACKOFF_MAX_SECONDS
    #: failures older than this are forgotten (seconds after the last one)
    forget: float = C.LOGIN_FORGET_SECONDS
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _wait_for(self, failures: _Failures) -> float:
        if failures.count < self.free or self.clock() - failures.last > self.forget:
            return 0.0
        wait = min(self.most, self.backoff * 2.0 ** (failures.count - self.free))
        return max(0.0, failures.last + wait - self.clock())

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds before another try is allowed for any of ``keys`` (0: try now)."""
        with self._lock:
            return max([self._wait_for(self._failures[k]) for k in keys if k in self._failures], default=0.0)

    def failed(self, keys: Iterable[str]) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                failures = self._failures.setdefault(key, _Failures())
                if now - failures.last > self.forget:
                    failures.count = 0
                failures.count += 1
                failures.last = now

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
