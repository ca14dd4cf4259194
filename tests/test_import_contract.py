"""indspace.core stays pure: no adapter library, no file I/O library (ARCHITECTURE.md)."""

import ast
from pathlib import Path

CORE = Path(__file__).parents[1] / "src" / "indspace" / "core"
FORBIDDEN = {"sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "dask", "distributed",
             "psycopg", "pyogrio", "fiona", "typer", "rich", "indspace.store", "indspace.api",
             "indspace.services", "indspace.cli", "indspace.demo"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_adapter() -> None:
    offenders = {}
    for path in CORE.rglob("*.py"):
        bad = {n for n in _imports(path)
               if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}
        if bad:
            offenders[str(path.relative_to(CORE))] = sorted(bad)
    assert offenders == {}
