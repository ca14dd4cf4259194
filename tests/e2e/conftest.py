"""Browser tests: the small demo served by `indspace serve`, driven in Debian's Chromium.

Chromium is used as installed (``/usr/bin/chromium``, or ``INDSPACE_CHROMIUM``); Playwright's
own browser download is never used. Without Chromium or Playwright the tests skip, except under
``CI=true`` / ``INDSPACE_FULL_TESTS=1`` where that is a failure. Screenshots go to
``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORDS = {"admin": "demo-admin-2025", "officer": "demo-officer-2025",
             "officer2": "demo-officer2-2025", "firm": "demo-firm-2025",
             "auditor": "demo-auditor-2025"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    path = os.environ.get("INDSPACE_CHROMIUM") or "/usr/bin/chromium"
    return path if Path(path).exists() else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(db: Path, log: Path) -> Iterator[str]:
    """`indspace serve` over ``db`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "indspace", "serve", "--db", str(db), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/api/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"indspace serve did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def small_demo(small_demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the small demo for the whole session: the server below and the browser
    tests that check its pages read the same file."""
    db = tmp_path_factory.mktemp("e2e-demo") / "small.gpkg"
    shutil.copyfile(small_demo_build, db)
    return db


@pytest.fixture(scope="session")
def server(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`indspace serve` over the small demo (read-only use) on a free port; its base URL."""
    with serving(small_demo, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    exe = chromium_path()
    if not exe:
        need("Chromium", "/usr/bin/chromium not found (apt install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("Playwright", "the playwright package is not installed (uv sync)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own sessionStorage/localStorage) that records script errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    pg = context.new_page()
    pg.errors = []  # uncaught exceptions in the page
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def login(page: Any, base: str, user: str) -> None:
    """Log in through the login page (lands on the overview, 首页)."""
    page.goto(base + "/#/login")
    page.get_by_test_id("login-username").fill(user)
    page.get_by_test_id("login-password").fill(PASSWORDS[user])
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/#/overview")
    page.get_by_test_id("user").wait_for()


def api_as(page: Any, base: str, user: str) -> Callable[[str], Any]:
    """Log ``user`` in on ``page`` (:func:`login`) and return a GET of the JSON API
    (``get("/api/…")``) carrying the page's session token."""
    login(page, base, user)
    token = page.evaluate("sessionStorage.getItem('indspace.token')")

    def get(path: str) -> Any:
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    return get


def logout(page: Any) -> None:
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/#/login**")
    page.get_by_test_id("login-submit").wait_for()
