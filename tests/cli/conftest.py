from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import INDSPACE, run

__all__ = ["INDSPACE", "info_json", "run"]


def info_json(db: str | Path) -> dict:  # type: ignore[type-arg]
    return json.loads(run("info", "--db", str(db), "--json").stdout)
