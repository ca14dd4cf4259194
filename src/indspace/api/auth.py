"""Login, logout, who am I; the account list (issue #8)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field

from indspace.api.deps import LOGIN, StoreDep, Who, allowed
from indspace.core.errors import AuthError
from indspace.services import accounts


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


def router() -> APIRouter:
    r = APIRouter(prefix="/api/auth", tags=["auth 认证"])

    @r.post("/login")
    def login(body: Login, request: Request) -> dict[str, Any]:
        """登录，返回访问令牌 / log in; returns a bearer token. 同一账户在同一地址 5 分钟内失败
        5 次 → 429（带 Retry-After），其他账户不受影响；同一地址或同一账户合计 50 次为上限 /
        5 failures of one account from one address in 5 minutes → 429 with Retry-After, other
        accounts unaffected; 50 per address or per account is the ceiling."""
        auth: accounts.Authenticator = request.app.state.auth
        client = request.client.host if request.client else ""
        return auth.login(body.username, body.password, client)

    @r.post("/logout", status_code=204, dependencies=[LOGIN])
    def logout(request: Request,
               authorization: Annotated[str | None, Header()] = None) -> Response:
        """注销令牌（无效或已注销的令牌 → 401）/ revoke the bearer token (an invalid or
        revoked one → 401, as everywhere)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("需要访问令牌", "a bearer token is needed to log out")
        request.app.state.auth.logout(token.strip())
        return Response(status_code=204)

    @r.get("/me", dependencies=[LOGIN])
    def me(who: Who) -> dict[str, Any]:
        """当前账户 / the logged-in account."""
        who.require_login()
        return who.public()

    return r


def users_router() -> APIRouter:
    r = APIRouter(prefix="/api", tags=["auth 认证"],
                  dependencies=[allowed(accounts.require_account_reader)])

    @r.get("/users")
    def users(store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """账户列表（市级管理员、审计）/ accounts (city admin, auditor)."""
        return accounts.list_users(who, store)

    return r
