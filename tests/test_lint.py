"""Static checks run with the suite, so CI enforces them: ruff on everything, mypy on src."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("cmd", [
    [str(BIN / "ruff"), "check", "src", "tests", "benchmarks"],
    [sys.executable, "-m", "mypy", "src/indspace"],
], ids=["ruff", "mypy"])
def test_static_check(cmd: list[str]) -> None:
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
