"""Accounts, logins and bearer tokens of the web platform (issue #8).

- Passwords are hashed with argon2id (``argon2-cffi``'s defaults, RFC 9106 low-memory
  profile); the store keeps only the hash.
- A login returns a random 256-bit bearer token valid for ``TOKEN_HOURS``; the store keeps
  only its SHA-256, so a stolen store file does not hand out sessions. Tokens are sent as
  ``Authorization: Bearer``; no cookie is set, so there is no CSRF surface.
- HTTP basic credentials (for ogrinfo / QGIS) are verified with argon2 once and then
  remembered for ``BASIC_CACHE_SECONDS`` under a SHA-256 of the pair.
- Failed logins are limited per (account, client address) pair: after ``MAX_FAILURES``
  failures within ``WINDOW_SECONDS`` that account gets 429 from that address until the
  window passes, with ``Retry-After``. Two higher ceilings stop spraying: ``ADDRESS_CEILING``
  failures from one address (any accounts — many users share a proxy, so a handful of one
  user's typos never locks the others) and ``ACCOUNT_CEILING`` failures against one account
  (from any addresses). The limiter is per process (one uvicorn worker serves the platform;
  behind several workers put the limit in the reverse proxy as well).
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from indspace.core.access import ROLES, Principal
from indspace.core.errors import AuthError, RateLimitedError, ValidationError
from indspace.store import accounts as account_rows
from indspace.store.store import Store

TOKEN_HOURS = 12
MAX_FAILURES = 5
"""Failures of one account from one address before that pair waits."""
ADDRESS_CEILING = 50
"""Failures from one address (all accounts together) before the address waits."""
ACCOUNT_CEILING = 50
"""Failures against one account (all addresses together) before the account waits."""
WINDOW_SECONDS = 300.0
BASIC_CACHE_SECONDS = 60.0
MIN_PASSWORD = 8

_HASHER = PasswordHasher()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def login_keys(username: str, client: str) -> dict[str, int | None]:
    """The counters a login attempt touches, each with its limit (``None``: the
    limiter's ``max_failures``): the (account, address) pair, the address, the account."""
    return {f"pair:{username}\0{client}": None, f"addr:{client}": ADDRESS_CEILING,
            f"user:{username}": ACCOUNT_CEILING}


@dataclass
class LoginLimiter:
    """Failed-login counters per key over a sliding window. A key is checked against its
    own limit (``check(keys)`` with ``{key: limit}``; plain key strings use
    ``max_failures``)."""

    max_failures: int = MAX_FAILURES
    window: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _fails: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _limits(self, keys: tuple[Any, ...]) -> dict[str, int]:
        out: dict[str, int] = {}
        for k in keys:
            items = k.items() if isinstance(k, dict) else [(k, None)]
            out.update({key: lim or self.max_failures for key, lim in items})
        return out

    def check(self, *keys: str | dict[str, int | None]) -> None:
        now = self.clock()
        with self._lock:
            for key, limit in self._limits(keys).items():
                q = self._fails.get(key)
                while q and now - q[0] > self.window:
                    q.popleft()
                if q and len(q) >= limit:
                    wait = max(1, math.ceil(self.window - (now - q[-limit])))
                    who = ("该账户在本地址" if key.startswith("pair:") else
                           "本地址" if key.startswith("addr:") else "该账户")
                    raise RateLimitedError(
                        f"{who}登录失败次数过多，已暂时锁定，请 {wait} 秒后再试",
                        f"too many failed logins; try again in {wait} s",
                        where=key.split(":", 1)[0], retry_after=wait,
                        hint_zh="其他账户不受影响；忘记密码请联系市级管理员",
                        hint_en="other accounts are not affected; ask the city "
                                "administrator to reset a forgotten password")

    def fail(self, *keys: str | dict[str, int | None]) -> None:
        now = self.clock()
        with self._lock:
            for key in self._limits(keys):
                self._fails.setdefault(key, deque()).append(now)

    def succeed(self, username: str, client: str = "") -> None:
        """A good password clears that account's counter from that address."""
        with self._lock:
            self._fails.pop(f"pair:{username}\0{client}", None)


def principal_of(row: dict[str, Any]) -> Principal:
    return Principal(row["username"], row["role"], row.get("district"), row.get("credit_code"),
                     row.get("display_name") or row["username"])


def create_user(store: Store, username: str, password: str, role: str, *,
                district: str | None = None, credit_code: str | None = None,
                display_name: str | None = None, actor: str = "cli",
                now: datetime | None = None) -> dict[str, Any]:
    """Create an account; a district officer needs a district, an enterprise user a code."""
    if role not in ROLES:
        raise ValidationError(f"未知角色 {role}（可选：{'、'.join(ROLES)}）",
                              f"unknown role {role} (choose from {', '.join(ROLES)})",
                              where="role")
    if role == "district_officer" and not district:
        raise ValidationError("区县工作人员账户须指定区县", "a district officer needs --district",
                              where="district")
    if role == "enterprise" and not credit_code:
        raise ValidationError("企业用户账户须指定统一社会信用代码",
                              "an enterprise user needs --credit-code", where="credit_code")
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位", f"password needs at least "
                              f"{MIN_PASSWORD} characters", where="password")
    return account_rows.add_user(store, {
        "username": username, "password_hash": _HASHER.hash(password), "role": role,
        "district": district if role == "district_officer" else None,
        "credit_code": credit_code if role == "enterprise" else None,
        "display_name": display_name or username, "active": True,
        "created_at": now or datetime.now(UTC)}, actor=actor)


def _verify(row: dict[str, Any] | None, password: str) -> bool:
    if row is None or not row["active"]:
        _HASHER.hash(password)  # same work whether or not the account exists
        return False
    try:
        return bool(_HASHER.verify(row["password_hash"], password))
    except (VerificationError, InvalidHashError):
        return False


BAD_LOGIN = ("用户名或密码错误", "wrong username or password")


@dataclass
class Authenticator:
    """Logins, tokens and basic credentials over one store (one per app)."""

    store: Store
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    _basic: dict[str, tuple[float, Principal]] = field(default_factory=dict)

    def login(self, username: str, password: str, client: str = "",
              now: datetime | None = None) -> dict[str, Any]:
        """Check the password; return ``{token, expires_at, user}``."""
        row = self._check(username, password, client)
        self.limiter.succeed(username, client)
        at = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        expires = at + timedelta(hours=TOKEN_HOURS)
        account_rows.add_token(self.store, _sha(token), username, at, expires)
        return {"token": token, "expires_at": expires.isoformat(),
                "user": principal_of(row).public()}

    def _check(self, username: str, password: str, client: str) -> dict[str, Any]:
        """The account row if the password is right; a failure counts against the
        (account, address) pair, the address and the account (429 once over a limit)."""
        keys = login_keys(username, client)
        self.limiter.check(keys)
        row = account_rows.get_user(self.store, username)
        ok = _verify(row, password)        # hashes even for an unknown name: same timing
        if row is None or not ok:
            self.limiter.fail(keys)
            raise AuthError(*BAD_LOGIN, where="username")
        return row

    def logout(self, token: str, now: datetime | None = None) -> None:
        account_rows.revoke_token(self.store, _sha(token), now or datetime.now(UTC))

    def from_token(self, token: str, now: datetime | None = None) -> Principal:
        row = account_rows.token_user(self.store, _sha(token), now or datetime.now(UTC))
        if row is None:
            raise AuthError("访问令牌无效或已过期", "the token is invalid or expired",
                            hint_zh="请重新登录", hint_en="log in again")
        return principal_of(row)

    def from_header(self, authorization: str | None, client: str = "") -> Principal:
        """The caller named by an ``Authorization`` header: ``Bearer <token>`` or
        ``Basic <base64 user:password>``; no header (or another scheme) → anonymous."""
        scheme, _, cred = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and cred.strip():
            return self.from_token(cred.strip())
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(cred.strip(), validate=True).decode(
                    ).partition(":")
            except ValueError as e:        # binascii.Error and UnicodeDecodeError included
                raise AuthError("基本认证格式错误", "malformed basic credentials") from e
            return self.from_basic(user, password, client)
        return Principal.anonymous()

    def from_basic(self, username: str, password: str, client: str = "") -> Principal:
        key = _sha(f"{username}\0{password}")
        hit = self._basic.get(key)
        if hit and time.monotonic() - hit[0] < BASIC_CACHE_SECONDS:
            return hit[1]
        who = principal_of(self._check(username, password, client))
        self._basic[key] = (time.monotonic(), who)
        return who


def require_account_reader(who: Principal) -> Principal:
    """The account list is for city administrators and auditors; returns ``who``."""
    who.require_role("city_admin", "auditor")
    return who


def list_users(who: Principal, store: Store) -> list[dict[str, Any]]:
    require_account_reader(who)
    frame = account_rows.list_users(store)
    frame = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]
