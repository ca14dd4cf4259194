"""Shared helpers of the API tests: log in as a demo account."""

from __future__ import annotations

from fastapi.testclient import TestClient

from indspace.services.demo import DEMO_PASSWORDS


def bearer(client: TestClient, username: str) -> dict[str, str]:
    """Log in as a demo account; the Authorization header for its token."""
    r = client.post("/api/auth/login",
                    json={"username": username, "password": DEMO_PASSWORDS[username]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
