"""The annual pipeline (issue #20): the Dask engine on a real 2-worker LocalCluster gives the
results of the single-machine engines — same grades, same unit membership, areas to 1e-6.

The input is the small demo city as partitioned GeoParquet, with every other parcel of one
district moved into the partition of another district: the buildings on those
parcels stay in their own district's partition (so the overlay needs the halo of
neighbouring buildings) and redevelopment units straddle the two partitions (so they must be
stitched). Both are checked to occur, so the comparison cannot pass for want of a case.

The same (split) city loaded into a GeoPackage store gives the store path's annual run, whose
policy measures (差别化政策, with the grade history of the two years before) the pipeline's
``policies.parquet`` must equal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from indspace.cli import app
from indspace.core.model.entities import ENTITIES
from indspace.demo import build_city
from indspace.demo.city import DemoCity
from indspace.demo.parquet import write_partitioned_geoparquet
from indspace.services.evaluation import (
    compute,
    load_years,
    method_date,
    policy_grades,
    run_evaluation,
)
from indspace.services.pipeline import OUTPUTS, policy_summary
from indspace.services.pipeline_dask import connect, run_dask
from indspace.services.profiles import resolve_profile
from indspace.store import Store

YEAR, ON = 2025, date(2026, 3, 1)
MOVED_FROM, MOVED_TO = "330205", "330206"


@pytest.fixture(scope="module")
def split_city() -> DemoCity:
    city = build_city("small")
    parcels = city.parcels
    mine = (parcels["district"] == MOVED_FROM).to_numpy()
    moved = mine & (np.cumsum(mine) % 2 == 0)  # every other parcel of the district
    city.parcels = parcels.assign(district=parcels["district"].mask(moved, MOVED_TO))
    return city


@pytest.fixture(scope="module")
def split_input(split_city: DemoCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("split") / "input"
    write_partitioned_geoparquet(split_city, out)
    return out


@pytest.fixture(scope="module")
def split_store(split_city: DemoCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The same city in a GeoPackage store (no runs yet)."""
    store = Store.create(tmp_path_factory.mktemp("store") / "split.gpkg", srid=4549)
    store.write_frames(
        {t: getattr(split_city, t) for t in ENTITIES},
        valid_from=datetime(2025, 12, 31, tzinfo=UTC),
        actor="test",
        reason="the split small city",
    )
    yield store
    store.close()


def cli_pipeline(split_input: Path, out: Path, engine: str, *extra: str) -> None:
    """``indspace pipeline`` on the split input for YEAR with the ningbo-demo profile on ON,
    written to ``out`` with ``engine`` (and ``extra`` options); checks the engine it names."""
    res = CliRunner().invoke(
        app,
        [
            "pipeline",
            "--input",
            str(split_input),
            "--year",
            str(YEAR),
            "--out",
            str(out),
            "--engine",
            engine,
            *extra,
            "--profile",
            "ningbo-demo",
            "--method-date",
            ON.isoformat(),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1])["engine"] == engine


@pytest.fixture(scope="module")
def both(split_input: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("runs")
    profile = resolve_profile("ningbo-demo")
    cli_pipeline(split_input, base / "local", "local")
    result = run_dask(
        split_input, YEAR, profile, ON, base / "dask", n_workers=2, memory_limit="1GiB"
    )
    assert result.dashboard
    return base / "local", base / "dask"


def read(run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run / OUTPUTS[name])


def test_the_case_crosses_partitions(both: tuple[Path, Path], split_input: Path) -> None:
    local, _ = both
    members = read(local, "unit_members").merge(
        read(local, "lowuse")[["parcel_id", "district"]], on="parcel_id"
    )
    spans = members.groupby("unit_id")["district"].nunique()
    assert (spans > 1).sum() >= 1, "no unit straddles two partitions"
    # buildings in the MOVED_FROM partition standing on parcels now in MOVED_TO
    b = pd.read_parquet(split_input / "buildings" / f"district={MOVED_FROM}")
    moved = set(pd.read_parquet(split_input / "parcels" / f"district={MOVED_TO}")["parcel_id"])
    assert b["parcel_id"].isin(moved).sum() > 10


@pytest.mark.parametrize("name", [n for n in OUTPUTS if n != "supply_alerts"])
def test_dask_equals_local(both: tuple[Path, Path], name: str) -> None:
    local, dask = both
    a, b = read(local, name), read(dask, name)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-6, obj=name)


def test_same_grades_members_and_areas(both: tuple[Path, Path]) -> None:
    local, dask = both
    ev_l, ev_d = read(local, "evaluation"), read(dask, "evaluation")
    for col in ("grade", "policy_grade"):
        assert ev_l[col].astype(str).tolist() == ev_d[col].astype(str).tolist()
    m_l, m_d = read(local, "unit_members"), read(dask, "unit_members")
    assert m_l.equals(m_d)
    f_l, f_d = read(local, "parcel_figures"), read(dask, "parcel_figures")
    assert f_l["parcel_id"].tolist() == f_d["parcel_id"].tolist()
    for col in ("footprint_m2", "floor_area_m2", "far_floor_m2"):
        assert np.abs(f_l[col].to_numpy() - f_d[col].to_numpy()).max() <= 1e-6
    s_l = json.loads((local / "summary.json").read_text(encoding="utf-8"))
    s_d = json.loads((dask / "summary.json").read_text(encoding="utf-8"))
    assert s_l == s_d and s_l["units"] > 0 and sum(s_l["grades"].values()) > 0


def test_outputs_are_byte_identical(both: tuple[Path, Path]) -> None:
    """Every output file of the Dask engine has the bytes of the local engine's (the
    policy measures included: both write the client's one evaluation)."""
    local, dask = both
    names = sorted(p.name for p in local.iterdir())
    assert names == sorted(p.name for p in dask.iterdir())
    assert {*OUTPUTS.values(), "summary.json"} <= set(names)
    for name in names:
        assert (local / name).read_bytes() == (dask / name).read_bytes(), name


def test_policies_equal_the_store_paths_run(
    both: tuple[Path, Path], split_store: Store, tmp_path: Path
) -> None:
    """``policies.parquet`` holds the measures the store path's annual run gives for the
    same data, year, profile and method date (:func:`run_evaluation`: its grade history
    evaluated from the store, each earlier year under the method in force at its end), and
    the run's result file's per-firm policy amount is the sum of the firm's rows."""
    local, _ = both
    got = read(local, "policies")
    outcome = run_evaluation(
        split_store, YEAR, resolve_profile("ningbo-demo"), method_on=ON, out=tmp_path / "run.csv"
    )
    assert outcome.computation is not None and outcome.computation.history is not None
    want = outcome.computation.policies
    # the case reads the history: firms D three years running get the 0.4 surcharge row
    assert (got["consecutive_years"] >= 3).sum() >= 1
    assert set(got["measure_type"]) >= {"electricity_surcharge", "credit_support"}
    pd.testing.assert_frame_equal(
        got, want.reset_index(drop=True), check_dtype=False, check_exact=False, atol=1e-6
    )
    run = pd.read_csv(tmp_path / "run.csv", dtype={"credit_code": str})
    money = got.groupby("credit_code")["money_yuan"].sum(min_count=1)
    np.testing.assert_allclose(
        run["credit_code"].map(money).to_numpy(dtype=float),
        run["policy_money_yuan"].to_numpy(dtype=float),
        atol=0.005,
    )
    summary = json.loads((local / "summary.json").read_text(encoding="utf-8"))["policies"]
    assert summary["enterprises"] == got["credit_code"].nunique()
    assert summary["money_yuan"] == pytest.approx(float(got["money_yuan"].sum()), abs=0.01)


def test_history_grades_are_the_evaluations(split_store: Store) -> None:
    """:func:`policy_grades` (what the grade history reads: no score rows, no 地企双评, no
    measures) gives the policy grades of the full evaluation, row for row."""
    profile = resolve_profile("ningbo-demo")
    loaded = load_years(split_store, (YEAR - 2, YEAR - 1), profile=profile, on=ON)
    assert sorted(loaded) == [YEAR - 2, YEAR - 1]
    for y, inputs in loaded.items():
        method = profile.evaluation_method(method_date(y))
        got = policy_grades(inputs, method)
        want = compute(inputs, method, dual=False).results[["credit_code", "policy_grade"]]
        assert got["policy_grade"].notna().sum() > 100
        pd.testing.assert_frame_equal(got, want)


def test_policy_summary_sums_whole_fen() -> None:
    """The summary's amounts are sums in whole 分: 0.10 + 0.20 元 is 0.30 (a float sum
    gives 0.30000000000000004); a qualitative measure (no amount) still counts its firm,
    adds nothing to the total and sums to null on its own."""
    rows = pd.DataFrame(
        {
            "credit_code": ["F1", "F2", "F2"],
            "measure_type": [
                "electricity_surcharge",
                "credit_restriction",
                "electricity_surcharge",
            ],
            "money_yuan": [0.1, np.nan, 0.2],
        }
    )
    assert policy_summary(rows) == {
        "enterprises": 2,
        "money_yuan": 0.3,
        "measures": {
            "credit_restriction": {"enterprises": 1, "money_yuan": None},
            "electricity_surcharge": {"enterprises": 2, "money_yuan": 0.3},
        },
    }
    assert policy_summary(rows.iloc[:0]) == {"enterprises": 0, "money_yuan": None, "measures": {}}


@pytest.mark.parametrize("name", ["controlline", "lowuse"])
def test_maps_carry_each_parcels_input_shape(
    both: tuple[Path, Path], split_input: Path, name: str
) -> None:
    """The maps are written from the input's WKB bytes, not decoded: each row's geometry is
    its parcel's shape in the input, and the file reads back as GeoParquet in EPSG:4549."""
    import geopandas as gpd

    from indspace.demo.parquet import read_partitioned_geoparquet

    parcels = read_partitioned_geoparquet(split_input, "parcels").set_index("parcel_id")
    for run in both:
        out = gpd.read_parquet(run / OUTPUTS[name])
        assert out.crs.to_epsg() == 4549 and len(out) == len(parcels)
        want = parcels.geometry.reindex(out["parcel_id"])
        # the same WKB bytes, row by row (None where the input has no shape)
        assert out.geometry.to_wkb().tolist() == want.to_wkb().tolist()
        assert out.geometry.notna().sum() > 0.9 * len(out)


def test_supply_alerts_equal(both: tuple[Path, Path]) -> None:
    local, dask = both
    a, b = read(local, "supply_alerts"), read(dask, "supply_alerts")
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)


def test_threads_cluster_gives_the_same_results(
    both: tuple[Path, Path], split_input: Path, tmp_path: Path
) -> None:
    """``--threads``: one in-process worker with 2 threads, the same output files as the
    local engine."""
    local, _ = both
    cli_pipeline(split_input, tmp_path / "threads", "dask", "--threads", "--workers", "2")
    for name in OUTPUTS:
        if (local / OUTPUTS[name]).exists():
            a, b = read(local, name), read(tmp_path / "threads", name)
            assert len(a) > 0
            pd.testing.assert_frame_equal(a, b, obj=name)


def test_restarted_workers_give_the_same_results(
    both: tuple[Path, Path], split_input: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's overlay leaves the workers large, so the run restarts them before the
    units step; forced here on the small input (threshold −1), the outputs stay the local
    engine's and the restart did happen."""
    from distributed import Client

    import indspace.services.pipeline_overlay as overlay

    local, _ = both
    restarts = []
    original = Client.restart

    def counted(self: Client, *args: object, **kwargs: object) -> object:
        restarts.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(overlay, "RESTART_ABOVE", -1)
    monkeypatch.setattr(Client, "restart", counted)
    run_dask(
        split_input,
        YEAR,
        resolve_profile("ningbo-demo"),
        ON,
        tmp_path / "restarted",
        n_workers=2,
        memory_limit="1GiB",
    )
    assert restarts == [1]
    for name in OUTPUTS:
        if (local / OUTPUTS[name]).exists():
            a, b = read(local, name), read(tmp_path / "restarted", name)
            assert len(a) > 0
            pd.testing.assert_frame_equal(a, b, obj=name)


def test_threads_worker_has_no_memory_limit() -> None:
    """The in-process worker of ``--threads`` shares the client's process: a memory limit
    would count the client's frames, pause the worker at 80 % and never resume it (a
    province run hung so in the overlay). A process cluster keeps its limit."""
    client, cluster = connect(None, 2, "1GiB", threads=True)
    try:
        [worker] = cluster.workers.values()
        assert worker.state.nthreads == 2
        assert worker.memory_manager.memory_limit is None
    finally:
        client.close()
        cluster.close()


def test_bad_input_is_a_bilingual_error(tmp_path: Path, split_input: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "pipeline",
            "--input",
            str(tmp_path / "none"),
            "--year",
            "2025",
            "--out",
            str(tmp_path / "o"),
            "--engine",
            "local",
            "--json",
        ],
    )
    assert res.exit_code == 2
    err = json.loads(res.stdout.strip().splitlines()[-1])
    assert "输入目录缺少分区表" in err["message_zh"] and "parcels" in err["message_en"]
    res = runner.invoke(
        app,
        [
            "pipeline",
            "--input",
            str(split_input),
            "--year",
            "2031",
            "--out",
            str(tmp_path / "o"),
            "--engine",
            "local",
            "--json",
        ],
    )
    assert res.exit_code == 2
    err = json.loads(res.stdout.strip().splitlines()[-1])
    assert err["where"] == "--year" and "2025" in err["message_en"]
    assert not (tmp_path / "o").exists()
