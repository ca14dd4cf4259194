"""One deployment context (issue #14): no module outside ``indspace.settings`` names a policy
profile id, a time zone or the deployment SRID.

The scan reads every module of ``src/indspace`` with :mod:`ast` and looks at literal values
in code — docstrings are prose and are skipped, comments are not in the tree. A hit names the
file, line and literal, and says to take the value from ``indspace.settings``.
"""

from __future__ import annotations

import ast
import re
import zoneinfo
from functools import cache
from pathlib import Path

import pytest
import yaml

import indspace
from indspace import settings

SRC = Path(indspace.__file__).parent
PROFILES = SRC / "core" / "policy" / "profiles"

ALLOWED: dict[str, str] = {
    # The settings module is the one place the deployment defaults are written.
    "settings.py": "the deployment context itself",
    # The synthetic demo city is data: its coordinates are generated in the Ningbo CRS
    # (EPSG:4549, demo/boundaries.PROJECT_EPSG) and it is evaluated with the bundled
    # ningbo-demo profile whatever the deployment says (demo/boundaries.DEMO_PROFILE).
    "demo/": "synthetic Ningbo data: its CRS and profile are facts of the data",
}
"""Paths (relative to src/indspace; a trailing slash means a whole package) not scanned."""


@cache
def profile_ids() -> frozenset[str]:
    ids = frozenset(
        str(yaml.safe_load(p.read_text(encoding="utf-8"))["id"]) for p in PROFILES.glob("*.yaml")
    )
    assert settings.DEFAULT_PROFILE in ids  # the scan knows the default's id
    return ids


ZONES = re.compile(
    r"(?<![\w/])("
    + "|".join(
        re.escape(z)
        for z in sorted(zoneinfo.available_timezones(), key=len, reverse=True)
        if "/" in z and not z.startswith("Etc/")
    )
    + r")(?![\w/])"
)
"""Any IANA zone name with a region ("UTC" and "Etc/…" name no locale)."""


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of string constants that are docstrings (module/class/function first statement)
    or bare string statements (attribute docstrings)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out.add(id(node.value))
    return out


def literals_in(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """(line, what) for every deployment literal in the code of ``source``."""
    tree = ast.parse(source, filename)
    skip = _docstrings(tree)
    srid = settings.DEFAULT_SRID
    ids = profile_ids()
    srid_text = re.compile(rf"(?<!\d){srid}(?!\d)")
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "timezone"
            and node.args
        ):
            hits.append((node.lineno, "a fixed time-zone offset: timezone(...)"))
        if not isinstance(node, ast.Constant) or id(node) in skip:
            continue
        v = node.value
        if isinstance(v, int) and not isinstance(v, bool) and v == srid:
            hits.append((node.lineno, f"SRID {v}"))
        elif isinstance(v, str):
            if srid_text.search(v):
                hits.append((node.lineno, f"SRID in {v!r}"))
            hits += [(node.lineno, f"profile id {p!r}") for p in sorted(ids) if p in v]
            hits += [(node.lineno, f"time zone {m.group(1)!r}") for m in ZONES.finditer(v)]
    return hits


def _allowed(rel: str) -> bool:
    return any(rel == a or (a.endswith("/") and rel.startswith(a)) for a in ALLOWED)


def test_no_module_outside_settings_names_the_deployment() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if _allowed(rel):
            continue
        found += [
            f"src/indspace/{rel}:{line}: {what}"
            for line, what in literals_in(path.read_text(encoding="utf-8"), rel)
        ]
    assert not found, "take these from indspace.settings (the deployment context):\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ('x = "ningbo-demo"', "profile id 'ningbo-demo'"),
        ("def f(srid: int = 4549) -> int:\n    return srid", "SRID 4549"),
        ('crs = "EPSG:4549"', "SRID in 'EPSG:4549'"),
        ('TZ = ZoneInfo("Asia/Shanghai")', "time zone 'Asia/Shanghai'"),
        ("LOCAL = timezone(timedelta(hours=8))", "a fixed time-zone offset: timezone(...)"),
        ('hint = f"use {x} as in Asia/Shanghai"', "time zone 'Asia/Shanghai'"),
    ],
)
def test_the_scan_finds_a_planted_literal(code: str, what: str) -> None:
    assert [w for _, w in literals_in(code)] == [what]


def test_the_scan_ignores_prose_and_other_numbers() -> None:
    code = (
        '"""Module on EPSG:4549 and ningbo-demo in Asia/Shanghai."""\n'
        "def f() -> int:\n    '''Uses 4549.'''\n    return 45490 + 14549 + 2025\n"
        "UTC_ZONE = 'UTC'\n"
    )
    assert literals_in(code) == []


def test_every_allow_list_entry_exists() -> None:
    for rel in ALLOWED:
        assert (SRC / rel).exists(), rel


def test_settings_reject_an_unknown_time_zone() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        settings.DeploymentSettings(time_zone="Mars/Olympus")
    ctx = settings.DeploymentSettings(time_zone="America/New_York", srid=4550)
    assert (ctx.tz.key, ctx.srid) == ("America/New_York", 4550)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDSPACE_TIME_ZONE", "Europe/Berlin")
    monkeypatch.setenv("INDSPACE_DEFAULT_PROFILE", "huangyan-2022")
    ctx = settings.DeploymentSettings()
    assert (ctx.time_zone, ctx.default_profile) == ("Europe/Berlin", "huangyan-2022")


def test_a_day_is_read_in_the_store_time_zone(tmp_path: Path) -> None:
    """Parks carry no valid time: valid from when recorded, here 2025-12-31T00:00Z — 08:00
    on 31 December in Shanghai (UTC+8) but 19:00 on 30 December in New York (UTC−5)."""
    from datetime import UTC, date, datetime

    import geopandas as gpd
    from shapely.geometry import MultiPolygon, box

    from indspace.store import Store

    park = gpd.GeoDataFrame(
        {
            "park_id": ["P1"],
            "name": ["园区"],
            "tier": ["strategic"],
            "district": ["330212"],
            "is_synthetic": [True],
        },
        geometry=[MultiPolygon([box(600_000, 3_300_000, 600_100, 3_300_100)])],
        crs=4549,
    )
    seen = {}
    for zone in ("Asia/Shanghai", "America/New_York"):
        store = Store.create(tmp_path / f"{zone.replace('/', '_')}.gpkg", time_zone=zone)
        store.write_frame("parks", park, valid_from=datetime(2025, 12, 31, tzinfo=UTC))
        seen[zone] = len(store.read_frame("parks", as_of=date(2025, 12, 30)))
        store.close()
    assert seen == {"Asia/Shanghai": 0, "America/New_York": 1}


CLOCK_DAY = re.compile(r"\b(?:date|datetime)\.today\(\)|local_day\(\s*datetime\.now\(")
"""A day read from the wall clock by hand: ``date.today()`` (the machine's zone) or
``local_day(datetime.now(...), tz)`` (a second copy of :func:`indspace.core.clock.today`)."""


def test_only_the_clock_reads_today() -> None:
    """One owner of "today": :func:`indspace.core.clock.today` in the deployment's time
    zone. ``date.today()`` is the machine's day — on a server in UTC, yesterday until 08:00
    in Beijing — and a hand-made ``local_day(datetime.now(UTC), tz)`` is a second copy."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "core/clock.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CLOCK_DAY.search(line):
                found.append(f"src/indspace/{rel}:{n}: {line.strip()}")
    assert not found, "use indspace.core.clock.today(tz):\n" + "\n".join(found)
    assert CLOCK_DAY.search("on or date.today()")  # the pattern finds what it is for
    assert CLOCK_DAY.search("day = local_day(datetime.now(UTC), store.tz)")


def test_today_is_the_day_in_the_given_zone() -> None:
    """At any instant the day on Kiritimati (UTC+14) is 1 or 2 days after the day at UTC−12
    (26 hours apart): the machine's own date would make them equal."""
    from zoneinfo import ZoneInfo

    from indspace.core.clock import today

    ahead, behind = today(ZoneInfo("Pacific/Kiritimati")), today(ZoneInfo("Etc/GMT+12"))
    assert (ahead - behind).days in (1, 2)
