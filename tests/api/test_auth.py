"""Accounts, tokens, basic auth, login rate limiting, security headers and the audit trail of
web writes (issue #8)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.core.errors import RateLimitedError, ValidationError
from indspace.services.accounts import ADDRESS_CEILING, LoginLimiter, create_user, login_keys
from indspace.services.demo import DEMO_PASSWORDS
from indspace.store import Store
from tests.api.conftest import bearer

pytestmark = pytest.mark.xdist_group("small_demo")



@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


def test_passwords_are_stored_as_argon2_hashes_only(small_demo: Path) -> None:
    store = Store.open(small_demo)
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT username, password_hash FROM users").all()
    assert {r[0] for r in rows} == set(DEMO_PASSWORDS)
    for username, hashed in rows:
        assert hashed.startswith("$argon2id$") and DEMO_PASSWORDS[username] not in hashed
    with store.engine.connect() as conn:
        tokens = conn.exec_driver_sql("SELECT token_hash FROM auth_tokens").all()
    assert all(len(t[0]) == 64 for t in tokens)            # SHA-256 hex, never the token


def test_login_me_logout(client: TestClient) -> None:
    h = bearer(client, "officer")
    me = client.get("/api/auth/me", headers=h).json()
    assert me == {"username": "officer", "role": "district_officer", "district": "330203",
                  "credit_code": None, "display_name": "区县工作人员 / district officer"}
    assert client.post("/api/auth/logout", headers=h).status_code == 204
    gone = client.get("/api/auth/me", headers=h)
    assert gone.status_code == 401 and gone.json()["error"] == "AuthError"
    assert "Bearer" in gone.headers["WWW-Authenticate"]
    assert client.get("/api/auth/me").status_code == 401


def test_wrong_password_is_one_bilingual_401(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "auditor", "password": "nope"})
    assert r.status_code == 401
    assert r.json()["message_zh"] == "用户名或密码错误"
    assert r.json()["message_en"] == "wrong username or password"
    unknown = client.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
    assert unknown.json()["message_en"] == r.json()["message_en"]   # no user enumeration


def test_basic_auth_for_gis_clients(client: TestClient) -> None:
    good = base64.b64encode(f"admin:{DEMO_PASSWORDS['admin']}".encode()).decode()
    assert client.get("/api/audit", headers={"Authorization": f"Basic {good}"}
                      ).status_code == 200
    bad = base64.b64encode(b"admin:wrong-one").decode()
    assert client.get("/api/audit", headers={"Authorization": f"Basic {bad}"}
                      ).status_code == 401


def test_login_rate_limit_per_account() -> None:
    t = [0.0]
    limiter = LoginLimiter(max_failures=5, window=300.0, clock=lambda: t[0])
    for _ in range(5):
        limiter.check("user:x")
        limiter.fail("user:x")
    with pytest.raises(RateLimitedError) as e:
        limiter.check("user:x")
    assert e.value.http_status == 429 and "try again in 300 s" in e.value.message_en
    limiter.check("user:y")                              # another account is not held back
    t[0] = 301.0                                         # the window has passed
    limiter.check("user:x")


def test_five_failures_of_one_user_do_not_lock_another_behind_the_same_address() -> None:
    t = [0.0]
    limiter = LoginLimiter(max_failures=5, window=300.0, clock=lambda: t[0])
    for _ in range(5):                         # user x mistypes five times behind a proxy
        limiter.check(login_keys("x", "10.0.0.1"))
        limiter.fail(login_keys("x", "10.0.0.1"))
    with pytest.raises(RateLimitedError) as e:
        limiter.check(login_keys("x", "10.0.0.1"))
    assert e.value.retry_after == 300 and e.value.message_zh.startswith("该账户在本地址")
    limiter.check(login_keys("y", "10.0.0.1"))   # y, same address: not held back
    limiter.check(login_keys("x", "10.0.0.2"))   # x from elsewhere: not held back either


def test_address_ceiling_stops_spraying_many_accounts() -> None:
    t = [0.0]
    limiter = LoginLimiter(max_failures=5, window=300.0, clock=lambda: t[0])
    # 50 accounts × 1 failure each: no pair reaches 5, the address reaches its ceiling (50)
    for i in range(ADDRESS_CEILING):
        limiter.check(login_keys(f"u{i}", "10.0.0.9"))
        limiter.fail(login_keys(f"u{i}", "10.0.0.9"))
    with pytest.raises(RateLimitedError) as e:
        limiter.check(login_keys("fresh", "10.0.0.9"))
    assert e.value.message_zh.startswith("本地址")
    t[0] = 100.0          # the oldest of the 50 failures (t=0) leaves the window at t=300
    with pytest.raises(RateLimitedError) as e:
        limiter.check(login_keys("fresh", "10.0.0.9"))
    assert e.value.retry_after == 200            # 300 − (100 − 0)


def test_login_rate_limit_over_http(small_demo: Path) -> None:
    with TestClient(create_app(small_demo)) as client:   # its own limiter
        _five_failures_then_429(client)


def _five_failures_then_429(client: TestClient) -> None:
    codes = [client.post("/api/auth/login", json={"username": "firm", "password": "bad"}
                         ).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # even the right password waits until the window passes
    r = client.post("/api/auth/login",
                    json={"username": "firm", "password": DEMO_PASSWORDS["firm"]})
    assert r.status_code == 429 and "请" in r.json()["message_zh"]
    assert 0 < int(r.headers["Retry-After"]) <= 300
    # another account from the same address still logs in
    assert client.post("/api/auth/login", json={
        "username": "auditor", "password": DEMO_PASSWORDS["auditor"]}).status_code == 200


def test_security_headers(client: TestClient) -> None:
    r = client.get("/api/info")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"


def test_account_rules(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "a.gpkg")
    with pytest.raises(ValidationError, match="district"):
        create_user(store, "d", "long-enough", "district_officer")
    with pytest.raises(ValidationError, match="credit"):
        create_user(store, "e", "long-enough", "enterprise")
    with pytest.raises(ValidationError, match="8"):
        create_user(store, "a", "short", "city_admin")
    with pytest.raises(ValidationError, match="unknown role"):
        create_user(store, "a", "long-enough", "king")
    create_user(store, "a", "long-enough", "city_admin")
    with pytest.raises(ValidationError, match="already exists"):
        create_user(store, "a", "long-enough", "city_admin")
    log = store.audit_log()
    row = log[log["table_name"] == "users"].iloc[-1]
    assert row["action"] == "create" and "argon2" not in row["after_json"]


def test_web_writes_are_audited_with_the_account(client: TestClient) -> None:
    h = bearer(client, "admin")
    log = client.get("/api/audit", params={"table": "auth_tokens", "actor": "admin"},
                     headers=h).json()
    assert log["total"] >= 1 and log["items"][0]["action"] == "login"
    assert client.get("/api/audit", params={"limit": 5}, headers=h).json()["items"][0]["seq"] \
        > client.get("/api/audit", params={"limit": 5, "offset": 4},
                     headers=h).json()["items"][0]["seq"]
