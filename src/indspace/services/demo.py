"""Build the synthetic demo city into a store (or, at province scale, into GeoParquet)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES
from indspace.demo.boundaries import DEMO_PROFILE, PROJECT_EPSG
from indspace.demo.city import build_city, iter_city_parts
from indspace.demo.parquet import write_partitioned_geoparquet
from indspace.store import Store

DEMO_AS_OF = date(2025, 12, 31)
"""The demo's data date: every demo record's first version is valid from this day."""
DEMO_EVALUATED_AT = datetime(2026, 3, 31, tzinfo=UTC)
"""When the demo's evaluation of its last year is recorded (fixed, so the demo is
reproducible; a real run records the clock). Each earlier year is evaluated on the same day
of its following year (:data:`DEMO_YEARS`)."""
DEMO_YEARS = 5
"""The demo evaluates its last five years (2021–2025), oldest first, so that every trend
(a firm's grades, a zone's year-on-year change) has five points."""

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class DemoResult:
    target: str
    scale: str
    seed: int
    counts: dict[str, int]
    anomalies: int
    accounts: list[dict[str, str]] = field(default_factory=list)
    """One demo account per role: username, password, role, scope (printed by the CLI)."""


def build_demo_store(db: str | Path, *, scale: str = "city", seed: int = 20250429,
                     progress: Progress | None = None) -> DemoResult:
    """Generate the demo city and load it into a fresh store at ``db`` (recreated if present).

    All tables land in one transaction; the store's first versions are valid from
    :data:`DEMO_AS_OF` (00:00 UTC), so the same seed gives the same records.
    """
    city = build_city(scale, seed=seed, as_of=DEMO_AS_OF)  # type: ignore[arg-type]
    if progress:
        progress("generate", sum(len(getattr(city, t)) for t in ENTITIES))
    store = Store.create(db, srid=PROJECT_EPSG, overwrite=True)
    valid_from = datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, tzinfo=UTC)
    counts = store.write_frames({t: getattr(city, t) for t in ENTITIES}, valid_from=valid_from,
                                actor="indspace demo", reason=f"demo city {scale} seed {seed}",
                                progress=progress)
    n_anom = store.write_anomalies(city.anomalies)
    store.set_meta({"demo_scale": scale, "demo_seed": str(seed),
                    "demo_as_of": DEMO_AS_OF.isoformat()})
    if progress:
        progress("evaluate", 0)
    evaluate_demo(store)
    keep_line_status(store)
    accounts = create_demo_accounts(store)
    result = DemoResult(store.display_name, scale, seed, counts, n_anom, accounts)
    store.close()
    return result


def keep_line_status(store: Store) -> None:
    """Keep every parcel's control-line status for the map tiles (``parcel_line_status``),
    as a server would after the import, so that the demo's first tiles read it."""
    from indspace.services.tiles import TileService

    TileService(store, use_cache=False).refresh_line_status()


def evaluate_demo(store: Store) -> str:
    """The pipeline after loading: the 亩均 evaluation (and 地企双评) of the demo's last
    :data:`DEMO_YEARS` years with the ``ningbo-demo`` profile, each stored as a run (each
    year on 31 March of the year after it), then the low-efficiency plan of the last year
    (units, project types, modes) stored as a run, then the supply–demand matching (issue
    #19) stored as a run; returns the last evaluation run id."""
    from indspace.services.evaluation import run_evaluation
    from indspace.services.lowuse import plan

    last = DEMO_AS_OF.year
    for year in range(last - DEMO_YEARS + 1, last):
        run_evaluation(store, year, DEMO_PROFILE, actor="indspace demo",
                       note="demo pipeline", now=DEMO_EVALUATED_AT.replace(year=year + 1))
    outcome = run_evaluation(store, last, DEMO_PROFILE, actor="indspace demo",
                             note="demo pipeline", now=DEMO_EVALUATED_AT)
    plan(store, evaluation_run_id=str(outcome.run["run_id"]), actor="indspace demo",
         now=DEMO_EVALUATED_AT)
    match_demo(store)
    return str(outcome.run["run_id"])


def match_demo(store: Store) -> str:
    """The demo's demands matched (count-then-rent) to the supply the store gives on the
    as-of day, kept as a run for the web page; returns its run id."""
    from indspace.services import matching

    demands = matching.read_demands(store, None)
    result = matching.run(store, demands=demands, spaces=None, on=DEMO_AS_OF,
                          profile=DEMO_PROFILE)
    saved = matching.save_run(store, result, objective="count-then-rent", on=DEMO_AS_OF,
                              profile=DEMO_PROFILE, actor="indspace demo",
                              now=DEMO_EVALUATED_AT)
    return str(saved["run_id"])


DEMO_PASSWORDS = {"admin": "demo-admin-2025", "officer": "demo-officer-2025",
                  "officer2": "demo-officer2-2025", "firm": "demo-firm-2025",
                  "auditor": "demo-auditor-2025"}
"""Demo passwords: printed by ``indspace demo`` and documented — for a local demo only."""


def create_demo_accounts(store: Store) -> list[dict[str, str]]:
    """One account per role (and a second district officer, to show the district wall):
    the officer's district is the first district by code; the enterprise user's firm is, of
    the firms of that district graded C or D in the demo run and owning a parcel (the ones an
    objection makes sense for), the one holding the most contracts with planted breaches (the
    district's showcase firm), then the lowest-coded."""
    from indspace.services.accounts import create_user
    from indspace.store import runs

    firms = store.read_frame("enterprises", columns=["credit_code", "name", "district"])
    districts = sorted(firms["district"].dropna().unique())
    owners = set(store.read_frame("parcels", columns=["owner_credit_code"])
                 ["owner_credit_code"].dropna())
    from indspace.services.evaluation import run_profile

    run = runs.get_run(store, runs.list_runs(store).iloc[-1]["run_id"])
    graded = runs.read_results(store, run["run_id"])
    # the weak classes of the run's own grade scale (C and D in the demo's profile)
    weak = run_profile(run).evaluation_method(run["method_date"]).grading.scale.weak
    low = set(graded.loc[graded["grade"].isin(list(weak)), "credit_code"])
    home = districts[0]
    mine = firms[(firms["district"] == home) & firms["credit_code"].isin(low & owners)]
    # prefer the firm holding the most contracts with planted breaches (the district's
    # showcase firm of demo/_contracts.py), so the account sees its own alerts and deadlines
    anomalies = store.anomalies()
    breached = set(anomalies.loc[anomalies["kind"] == "contract_breach", "record_key"])
    contracts = store.read_frame("contracts", columns=["contract_id", "credit_code"])
    held = contracts[contracts["contract_id"].isin(breached)]["credit_code"].value_counts()
    mine = mine.assign(breaches=mine["credit_code"].map(held).fillna(0).astype(int))
    firm = mine.sort_values(["breaches", "credit_code"], ascending=[False, True]).iloc[0]
    at = datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, tzinfo=UTC)
    specs = [("admin", "city_admin", {}, "市级管理员 / city admin", "全市 / city-wide"),
             ("officer", "district_officer", {"district": home}, "区县工作人员 / district "
              "officer", home),
             ("officer2", "district_officer", {"district": districts[1]}, "区县工作人员 / "
              "district officer", districts[1]),
             ("firm", "enterprise", {"credit_code": firm["credit_code"]},
              f"{firm['name']}", firm["credit_code"]),
             ("auditor", "auditor", {}, "审计 / auditor", "全市只读 / city-wide, read-only")]
    out = []
    for username, role, scope, display, where in specs:
        create_user(store, username, DEMO_PASSWORDS[username], role, display_name=display,
                    actor="indspace demo", now=at, **scope)
        out.append({"username": username, "password": DEMO_PASSWORDS[username], "role": role,
                    "scope": str(where)})
    return out


def build_demo_parquet(out_dir: str | Path, *, scale: str = "province", seed: int = 20250429,
                       overwrite: bool = False, progress: Progress | None = None,
                       workers: int | None = None) -> DemoResult:
    """Generate the demo city district by district as partitioned GeoParquet (the scale-out
    input): ``out_dir/<table>/district=<code>/part-0.parquet``. Memory stays at one
    district's worth per process (~0.8 GB at province scale instead of ~6 GB all at once),
    one process per core (``workers``, default all cores). The output is the input of
    ``indspace pipeline``."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ValidationError(f"输出目录非空：{out}", f"output folder is not empty: {out}",
                                  hint_zh="换一个目录或加 --overwrite",
                                  hint_en="choose another folder or pass --overwrite")
        shutil.rmtree(out)
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from indspace.demo._plan import make_plan

    codes = [dp.code for dp in make_plan(scale).plans]
    # the small city is written in ~2 s, less than starting the worker processes
    default = 1 if scale == "small" else os.cpu_count() or 1
    n = max(1, min(workers or default, len(codes)))
    counts: dict[str, int] = {}
    n_anomalies = 0
    # one district per task on every core; each district is generated from its own seed and
    # written to its own partition files, so the bytes do not depend on the order
    if n == 1:
        results = (_write_district(scale, code, seed, str(out)) for code in codes)
    else:
        pool = ProcessPoolExecutor(n, mp_context=get_context("spawn"))
        futures = [pool.submit(_write_district, scale, code, seed, str(out)) for code in codes]
        results = (f.result() for f in as_completed(futures))
    try:
        for part_counts, anomalies, rows in results:
            for t, k in part_counts.items():
                counts[t] = counts.get(t, 0) + k
            n_anomalies += anomalies
            if progress:
                progress("parquet", rows)
    finally:
        if n > 1:
            pool.shutdown(cancel_futures=True)
    return DemoResult(str(out), scale, seed, {t: counts.get(t, 0) for t in ENTITIES}, n_anomalies)


def _write_district(scale: str, code: str, seed: int, out: str
                    ) -> tuple[dict[str, int], int, int]:
    """Generate and write one district (a worker process of :func:`build_demo_parquet`):
    rows written per table, anomalies, entity rows."""
    part = next(iter_city_parts(scale, seed=seed, as_of=DEMO_AS_OF,  # type: ignore[arg-type]
                                districts=[code]))
    counts = write_partitioned_geoparquet(part, out)
    return counts, len(part.anomalies), sum(len(getattr(part, t)) for t in ENTITIES)
