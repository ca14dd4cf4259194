from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

INDSPACE = [sys.executable, "-m", "indspace"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    return subprocess.run([*INDSPACE, *args], capture_output=True, text=True, check=check,
                          timeout=600)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city built once per worker by `indspace demo --scale small --no-serve`."""
    db = tmp_path_factory.mktemp("demo") / "small.gpkg"
    run("demo", "--scale", "small", "--no-serve", "--db", str(db))
    return db


def info_json(db: str | Path) -> dict:  # type: ignore[type-arg]
    return json.loads(run("info", "--db", str(db), "--json").stdout)
