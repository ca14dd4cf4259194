"""Contract monitoring as of one day (issue #17): 100 000 contracts, < 5 s.

Workload: ``--contracts`` synthetic contracts (default 100 000; seed 17) signed 2005–2024,
with their events (≈ 4.5 per contract: payments, start, stop/resume, completion,
acceptance, transfers, renewal applications, extensions) drawn so that every rule fires on
some of them, monitored as of 2025-12-31. Timed (min/median of ``--repeat`` runs):

1. ``engine``  — :func:`indspace.core.engines.supply_monitor.monitor` on prepared frames
   (the pure vectorised step, the working-day calendar built inside);
2. ``service`` — store frames (Decimal money, ``datetime.date`` days) → engine inputs →
   engine → the formatted alert table (:func:`indspace.services.supply.monitor_frame`);
3. ``store``   — ``run_monitor`` end to end on a GeoPackage, then on a PostGIS database
   (``--pg-admin``; a scratch database ``indspace_bench_supply``, dropped afterwards), holding
   the contracts and events: reading them (money as exact integers straight from the store,
   :mod:`indspace.store.contract_reads`), the firms' indicators and grades, the engine and the
   formatted table — what ``indspace supply monitor`` does before writing the file. The
   result is checked equal to the frame path's; the CPU time of one run is printed too
   (steadier than wall time on the shared machine).

Baseline (the same data, what an analyst would write with plain pandas): per-contract
event aggregates by ``groupby``, calendar years by ``pd.DateOffset(years=…)``, the rest-day
roll by ``numpy.busday_offset(roll="forward")`` over the same CN holidays (no 调休
weekends: ``busday_offset`` cannot express them), for the four period rules ``idle_1y``,
``idle_2y``, ``late_completion`` and ``installment_overdue`` only — a partial baseline, so
the ratio is indicative (ours does all nine rules).

Run: ``.venv/bin/python benchmarks/supply_monitor.py [--contracts 100000] [--repeat 3]
[--no-store] [--no-baseline] [--no-postgis] [--pg-admin URL]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
from _harness import measure

from indspace.core.engines.supply_monitor import monitor
from indspace.core.periods import WorkCalendar
from indspace.services.supply import (
    engine_inputs,
    monitor_frame,
    run_monitor,
    supply_params,
)
from indspace.settings import DEFAULT_HOLIDAY_CALENDAR, DEFAULT_PROFILE

AS_OF = date(2025, 12, 31)
CODE = "91330200MA2AAAAA0G"


def synthetic(n: int, seed: int = 17) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Store-shaped contract and event frames (Decimal money, date objects)."""
    rng = np.random.default_rng(seed)
    signed = np.datetime64("2005-01-01") + rng.integers(0, 20 * 365, n).astype("timedelta64[D]")
    mode = rng.choice(
        ["grant", "flexible_term", "long_term_lease", "lease_then_grant"],
        n,
        p=[0.8, 0.1, 0.05, 0.05],
    )
    term = np.select(
        [mode == "grant", mode == "flexible_term", mode == "long_term_lease"], [50, 20, 20], 5
    )
    price_fen = rng.integers(10_000_00, 50_000_000_00, n)  # 分
    area = rng.uniform(2000, 60000, n).round(2)
    invest = (area * 3 / 2000 * 300).round()
    start_dl = signed + 180
    done_dl = signed + 730
    ids = np.char.add("C", np.arange(n).astype(str))
    contracts = pd.DataFrame(
        {
            "contract_id": ids.astype(object),
            "parcel_id": np.char.add("P", np.arange(n).astype(str)).astype(object),
            "credit_code": np.full(n, CODE, dtype=object),
            "mode": mode.astype(object),
            "signed": signed.astype(object),
            "term_years": term,
            "price_wan": [Decimal(int(f)).scaleb(-6) for f in price_fen],
            "area_m2": area,
            "start_deadline": start_dl.astype(object),
            "completion_deadline": done_dl.astype(object),
            "investment_commitment_wan": [Decimal(int(v)) for v in invest],
            "tax_per_mu_commitment_wan": [None] * n,
            "idle_cause": rng.choice(
                np.array([None, "government"], dtype=object), n, p=[0.95, 0.05]
            ),
            "installment_special": rng.random(n) < 0.05,
        }
    )
    ev: dict[str, list[object]] = {
        k: []
        for k in ("contract_id", "event", "date", "amount_wan", "developed_area_m2", "invested_wan")
    }

    def add(
        mask: np.ndarray,
        event: str,
        day: np.ndarray,
        amount: list | None = None,
        dev: np.ndarray | None = None,
        inv: list | None = None,
    ) -> None:
        k = int(mask.sum())
        ev["contract_id"] += list(ids[mask])
        ev["event"] += [event] * k
        ev["date"] += list(day[mask].astype(object))
        ev["amount_wan"] += amount if amount is not None else [None] * k
        ev["developed_area_m2"] += list(dev[mask]) if dev is not None else [None] * k
        ev["invested_wan"] += inv if inv is not None else [None] * k

    pays = np.isin(mode, ["grant", "flexible_term"])
    half = [Decimal(int(f // 2)).scaleb(-6) for f in price_fen]
    rest = [Decimal(int(f - f // 2)).scaleb(-6) for f in price_fen]
    add(pays, "payment", signed + 10, [half[i] for i in np.flatnonzero(pays)])
    paid_rest = pays & (rng.random(n) < 0.97)
    add(paid_rest, "payment", signed + 200, [rest[i] for i in np.flatnonzero(paid_rest)])
    started = rng.random(n) < 0.93
    add(started, "start", signed + 90)
    stopped = started & (rng.random(n) < 0.05)
    add(
        stopped,
        "stop",
        signed + 300,
        dev=area * 0.1,
        inv=[Decimal(int(v // 10)) for v in invest[stopped]],
    )
    done = started & ~stopped & (rng.random(n) < 0.95)
    add(done, "completion", signed + 600, dev=area, inv=[Decimal(int(v)) for v in invest[done]])
    acc = done & (signed + 800 <= np.datetime64(AS_OF))
    add(
        acc,
        "acceptance",
        signed + 800,
        dev=area,
        inv=[
            Decimal(int(v * (0.6 if j % 50 == 0 else 1.0)))
            for j, v in zip(np.flatnonzero(acc), invest[acc], strict=True)
        ],
    )
    tr = rng.random(n) < 0.02
    add(tr, "transfer", signed + 30)
    ren = rng.random(n) < 0.01
    add(ren, "renewal_application", signed + 365)
    ext = ~started & (rng.random(n) < 0.3)
    add(ext, "extension", signed + 500)
    return contracts, pd.DataFrame(ev)


def baseline(contracts: pd.DataFrame, events: pd.DataFrame, as_of: date) -> int:
    """Plain pandas: the four period rules (see the module docstring); returns findings."""
    d = pd.Timestamp(as_of)
    c = contracts.set_index("contract_id")
    e = events[pd.to_datetime(events["date"]) <= d]
    years = range(2004, 2080)
    cn = holidays.country_holidays(DEFAULT_HOLIDAY_CALENDAR, years=years)
    hol = np.array(sorted(cn.keys()), dtype="datetime64[D]")

    def roll(s: pd.Series) -> np.ndarray:
        return np.busday_offset(s.to_numpy("datetime64[D]"), 0, roll="forward", holidays=hol)

    first = e.groupby(["contract_id", "event"])["date"].min().unstack()
    startd = pd.to_datetime(c["start_deadline"])
    started = first.get("start", pd.Series(dtype=object)).reindex(c.index).notna()
    found = 0
    for y in (1, 2):
        due = roll(startd + pd.DateOffset(years=y))
        found += int(((~started) & (np.datetime64(as_of) > due)).sum())
    comp = roll(pd.to_datetime(c["completion_deadline"]))
    completed = first.get("completion", pd.Series(dtype=object)).reindex(c.index).notna()
    found += int(((~completed) & (np.datetime64(as_of) > comp)).sum())
    paid = e[e["event"] == "payment"].groupby("contract_id")["amount_wan"].sum()
    paid = paid.reindex(c.index).fillna(Decimal(0))
    months = np.where(c["installment_special"], 24, 12)
    signed = pd.to_datetime(c["signed"])
    bal = roll(
        pd.Series([s + pd.DateOffset(months=int(m)) for s, m in zip(signed, months, strict=True)])
    )
    pays = c["mode"].isin(["grant", "flexible_term"]).to_numpy()
    found += int((pays & (np.datetime64(as_of) > bal) & (paid < c["price_wan"])).sum())
    return found


def child_cpu(fn: object) -> float:
    """CPU seconds (user + system) the child processes of one call of ``fn`` used: steadier
    than wall time on the shared machine."""
    import resource

    def used() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    before = used()
    fn()  # type: ignore[operator]
    return used() - before


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contracts", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-store", action="store_true")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-postgis", action="store_true")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    t0 = time.perf_counter()
    contracts, events = synthetic(args.contracts)
    print(
        f"{len(contracts):,} contracts, {len(events):,} events "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )
    params = supply_params(AS_OF, DEFAULT_PROFILE)
    c, e = engine_inputs(contracts, events)
    days = np.concatenate(
        [c["signed"].to_numpy("datetime64[D]"), c["completion_deadline"].to_numpy("datetime64[D]")]
    )
    cal = WorkCalendar.for_days(
        DEFAULT_HOLIDAY_CALENDAR,
        np.concatenate(
            [days, c["signed"].to_numpy("datetime64[D]") + np.timedelta64(50 * 366, "D")]
        ),
    )
    res = monitor(c, e, AS_OF, params, cal)
    print("findings by rule:", res["rule"].value_counts().sort_index().to_dict())

    eng = measure(lambda: monitor(c, e, AS_OF, params, cal), args.repeat)
    svc = measure(
        lambda: monitor_frame(*engine_inputs(contracts, events), AS_OF, params), args.repeat
    )
    base = (
        None
        if args.no_baseline
        else measure(lambda: baseline(contracts, events, AS_OF), args.repeat)
    )
    print(
        f"engine  : min {eng['min_s']:.2f} s  median {eng['median_s']:.2f} s  "
        f"peak {eng['peak_mib']:.0f} MiB"
    )
    print(
        f"service : min {svc['min_s']:.2f} s  median {svc['median_s']:.2f} s  "
        f"peak {svc['peak_mib']:.0f} MiB"
    )
    if base is not None:
        print(
            f"baseline (4 rules, pandas): min {base['min_s']:.2f} s  median "
            f"{base['median_s']:.2f} s  peak {base['peak_mib']:.0f} MiB"
        )
        print(
            f"ratio engine / baseline: {eng['min_s'] / base['min_s']:.2f}x, "
            f"service / baseline: {svc['min_s'] / base['min_s']:.2f}x"
        )
    if args.no_store:
        return
    from indspace.store import Store

    def end_to_end(url: str, label: str) -> None:
        store = Store.create(url, overwrite=True)
        t0 = time.perf_counter()
        store.write_frames(
            {
                "contracts": contracts.assign(is_synthetic=True),
                "contract_events": events.assign(is_synthetic=True),
            },
            valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        )
        print(f"{label}: stored in {time.perf_counter() - t0:.1f} s")
        want = monitor_frame(*engine_inputs(contracts, events), AS_OF, params)
        got = run_monitor(store, AS_OF, profile=DEFAULT_PROFILE).alerts

        # the store returns contracts in key order (C0, C1, C10, …), the frames are in
        # generation order: the same rows, ordered differently
        def keyed(a: pd.DataFrame) -> pd.DataFrame:
            return a.sort_values(["contract_id", "rule"], kind="stable", ignore_index=True)

        assert keyed(got).equals(keyed(want)), f"{label}: the store path differs"
        cpu0 = time.process_time()
        run_monitor(store, AS_OF, profile=DEFAULT_PROFILE)
        cpu = time.process_time() - cpu0
        full = measure(lambda: run_monitor(store, AS_OF, profile=DEFAULT_PROFILE), args.repeat)
        print(
            f"store end to end ({label}: read contracts + events + indicators + grades, "
            f"monitor, format): min {full['min_s']:.2f} s  median {full['median_s']:.2f} s  "
            f"peak {full['peak_mib']:.0f} MiB  CPU {cpu:.2f} s  (issue #17 target < 5 s: "
            f"{'met' if full['min_s'] < 5 else 'NOT met'})"
        )
        store.close()
        exe = Path(sys.executable).with_name("indspace")
        with tempfile.TemporaryDirectory() as out_dir:
            out = Path(out_dir) / "alerts.csv"
            cmd = [str(exe), "supply", "monitor", "--as-of", AS_OF.isoformat(), "--db", url]
            cli = measure(
                lambda: subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True),
                args.repeat,
            )
            cpu = child_cpu(
                lambda: subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True)
            )
        print(
            f"CLI ({label}: `indspace supply monitor --as-of {AS_OF} --out alerts.csv`, a new "
            f"process): min {cli['min_s']:.2f} s  median {cli['median_s']:.2f} s  CPU {cpu:.2f} s"
        )

    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(str(Path(tmp) / "supply.gpkg"), "GeoPackage")
    if args.no_postgis:
        return
    import sqlalchemy as sa

    admin = sa.create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
    name = "indspace_bench_supply"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as e:
        print(f"PostGIS skipped: {type(e).__name__}")
        return
    try:
        end_to_end(args.pg_admin.rsplit("/", 1)[0] + "/" + name, "PostGIS")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
