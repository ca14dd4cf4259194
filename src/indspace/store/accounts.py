"""Accounts in the store: users and bearer tokens (issue #8). Only SQL lives here; hashing,
rate limiting and roles are the accounts service's."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from indspace.core.errors import NotFoundError, ValidationError
from indspace.store.store import Store

PUBLIC_FIELDS = ("username", "role", "district", "credit_code", "display_name", "active",
                 "created_at")


def add_user(store: Store, user: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Insert a user; the audit row records the user without its password hash."""
    t = store.table("users")
    with store._write() as conn:
        if conn.execute(sa.select(t.c.fid).where(t.c.username == user["username"])).first():
            raise ValidationError(f"账户 {user['username']} 已存在",
                                  f"user {user['username']} already exists",
                                  where="users.username")
        conn.execute(sa.insert(t).values(**user))
        public = {k: user.get(k) for k in PUBLIC_FIELDS}
        store._audit(conn, user["created_at"], actor, "create", "users", user["username"],
                     None, json.dumps(public, default=str, ensure_ascii=False, sort_keys=True),
                     "")
    return public


def get_user(store: Store, username: str) -> dict[str, Any] | None:
    t = store.table("users")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.username == username)).mappings().first()
    return dict(row) if row else None


def list_users(store: Store) -> pd.DataFrame:
    t = store.table("users")
    cols = [t.c[c] for c in PUBLIC_FIELDS]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*cols).order_by(t.c.username)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=list(PUBLIC_FIELDS))


def add_token(store: Store, token_hash: str, username: str, created_at: datetime,
              expires_at: datetime) -> None:
    t = store.table("auth_tokens")
    with store._write() as conn:
        conn.execute(sa.insert(t).values(token_hash=token_hash, username=username,
                                         created_at=created_at, expires_at=expires_at))
        store._audit(conn, created_at, username, "login", "auth_tokens", username, None,
                     json.dumps({"expires_at": expires_at.isoformat()}), "")


def token_user(store: Store, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The active user holding an unexpired, unrevoked token, or None."""
    t, u = store.table("auth_tokens"), store.table("users")
    q = (sa.select(u).join(t, t.c.username == u.c.username)
         .where(t.c.token_hash == token_hash, t.c.revoked_at.is_(None),
                t.c.expires_at > now, u.c.active.is_(True)))
    with store.engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def revoke_token(store: Store, token_hash: str, at: datetime) -> None:
    t = store.table("auth_tokens")
    with store._write() as conn:
        row = conn.execute(sa.select(t.c.username).where(
            t.c.token_hash == token_hash, t.c.revoked_at.is_(None))).first()
        if row is None:
            raise NotFoundError("令牌不存在或已注销", "token not found or already revoked",
                                where="auth_tokens")
        conn.execute(sa.update(t).where(t.c.token_hash == token_hash).values(revoked_at=at))
        store._audit(conn, at, row.username, "logout", "auth_tokens", row.username, None,
                     None, "")
