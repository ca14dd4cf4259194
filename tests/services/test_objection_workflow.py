"""Objections that show their consequences (issue #16 item 5), on both backends: the
preview of an acceptance (in memory, nothing stored), the comparison of the two versions with
the money effect, and the superseded version closed to objections.

The fixture is tests/cli/test_evaluate.py's: three above-scale firms of district 330212 on
9 亩 each with figures scaled by k = 1, 0.5, 0.1 (tax 270, 135, 27 万元) and one below-scale
firm alone in its group; rank quotas of 3 firms: r/n = 1/3, 2/3 → B, 3/3 → D.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from indspace.core.errors import ValidationError
from indspace.services import evaluation as ev
from indspace.services import objection_preview as op
from indspace.services import run_compare as rc
from indspace.store import Store, runs
from tests.cli.test_evaluate import H

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def above(k: float, tax_per_mu: float | None = None) -> float:
    """huangyan-2022 above-scale score: Σ value / benchmark × weight (test_evaluate.py),
    with the tax-per-mu term replaced when given."""
    t = 30 * k if tax_per_mu is None else tax_per_mu
    return (
        t / 24.097 * 30
        + 200 * k / 136.16 * 20
        + 3 * k / 2.694 * 20
        + 5000 * k / 4929.81 * 10
        + 20 * k / 18.14 * 10
        + 0.03 / 0.0302 * 10
    )


def _objected(store: Store, profile: str) -> tuple[str, dict]:
    first = ev.run_evaluation(store, 2024, profile, now=T0)
    ev.publish(store, first.run["run_id"], now=T0)
    obj = ev.file_objection(
        store, first.run["run_id"], H[2], "tax", 1000.0, "漏计税款", now=T0 + timedelta(days=1)
    )
    return first.run["run_id"], obj


def test_preview_shows_the_corrected_grade_and_the_firms_that_move(store: Store) -> None:
    _run_id, obj = _objected(store, "huangyan-2022")
    n_runs, audit = len(runs.list_runs(store)), len(store.audit_log())
    p = op.preview_objection(store, obj["objection_id"])
    # the figure, its unit and both values
    assert (p["field"], p["unit"], p["value_before"], p["value_after"]) == (
        "tax",
        "万元",
        27.0,
        1000.0,
    )
    # before: 27 万元 / 9 亩 = 3 万元/亩 → above(0.1) = 20.95 points, third of 3 → D
    assert p["before"]["score"] == pytest.approx(above(0.1), abs=1e-9)
    assert (p["before"]["rank"], p["before"]["grade"]) == (3, "D")
    # after: 1000 / 9 = 111.1 万元/亩 → 111.1 / 24.097 × 30 = 138.3 points from tax, 155.5 in
    # all > H0's 120.1 → first of 3, r/n = 1/3 ≤ 0.70 → B
    assert p["after"]["score"] == pytest.approx(above(0.1, 1000 / 9), abs=1e-9)
    assert p["after"]["score"] == pytest.approx(155.545, abs=1e-3)
    assert (p["after"]["rank"], p["after"]["grade"]) == (1, "B")
    # H1 (65.0 points) falls from second to third: r/n = 3/3 → D; H0 stays B (1st → 2nd)
    assert [
        (o["credit_code"], o["grade_before"], o["grade_after"], o["rank_before"], o["rank_after"])
        for o in p["others"]
    ] == [(H[1], "B", "D", 2, 3)]
    assert p["others"][0]["score_after"] == pytest.approx(above(0.5), abs=1e-9)
    # nothing stored: no run, no audit entry, the figure unchanged, the objection still filed
    assert len(runs.list_runs(store)) == n_runs and len(store.audit_log()) == audit
    assert store.read_frame("indicators", where={"credit_code": H[2]})["tax"].iloc[0] == 27.0
    assert runs.get_objection(store, obj["objection_id"])["state"] == "filed"
    # the acceptance gives exactly what the preview showed
    out = ev.resolve_objection(
        store, obj["objection_id"], accept=True, note="核实", now=T0 + timedelta(days=2)
    )
    res = runs.read_results(store, out["run"]["run_id"]).set_index("credit_code")
    assert res.loc[H[2], "grade"] == "B" and res.loc[H[1], "grade"] == "D"
    assert res.loc[H[2], "score"] == pytest.approx(p["after"]["score"], abs=1e-9)


def test_the_form_gets_units_and_current_values(store: Store) -> None:
    run_id, _ = _objected(store, "huangyan-2022")
    form = op.objection_fields(store, run_id, H[2])
    by = {f["field"]: f for f in form["fields"]}
    assert form["open"] is True and form["superseded_by"] is None
    assert (by["tax"]["unit"], by["tax"]["value"], by["tax"]["label"]) == ("万元", 27.0, "税收")
    assert (by["electricity_kwh"]["unit"], by["electricity_kwh"]["value"]) == ("kWh", 9e6)
    assert "water_t" not in by


def test_compare_versions_with_the_money_effect(store: Store) -> None:
    # zhejiang-reference: D pays 0.3 元/kWh on electricity (9 000 000 kWh → 2 700 000 元),
    # B is relieved 2 元/m² of land-use tax (6 000 m² → −12 000 元); the water surcharges
    # have no water figure here (no amount). Below-scale H3 is D alone: 0.3 × 2 000 000.
    run_id, obj = _objected(store, "zhejiang-reference")
    p = op.preview_objection(store, obj["objection_id"])
    assert (p["before"]["grade"], p["after"]["grade"]) == ("D", "B")
    assert (p["before"]["money_yuan"], p["after"]["money_yuan"]) == ("2700000.00", "-12000.00")
    out = ev.resolve_objection(
        store, obj["objection_id"], accept=True, note="核实", now=T0 + timedelta(days=2)
    )
    v2 = out["run"]["run_id"]
    c = rc.compare_runs(store, run_id, v2)
    s = c["summary"]
    # 2 700 000 (H2) + 600 000 (H3) − 12 000 (H0) − 12 000 (H1) = 3 276 000 before and after:
    # H2 and H1 swap places
    assert (s["money_a"], s["money_b"], s["money_delta"]) == ("3276000.00", "3276000.00", "0.00")
    assert (s["moved"], s["up"], s["down"]) == (2, 1, 1)
    rows = {r["credit_code"]: r for r in c["items"]}
    assert [r["credit_code"] for r in c["items"][:2]] == sorted([H[1], H[2]])  # movers first
    h2 = rows[H[2]]
    assert (h2["grade_a"], h2["grade_b"], h2["class_move"]) == ("D", "B", 2)
    assert (h2["tax_per_mu_a"], h2["tax_per_mu_b"]) == (pytest.approx(3.0), pytest.approx(1000 / 9))
    assert Decimal(h2["money_delta"]) == Decimal("-12000.00") - Decimal("2700000.00")
    h1 = rows[H[1]]
    assert (h1["grade_a"], h1["grade_b"], h1["class_move"]) == ("B", "D", -2)
    assert h1["money_b"] == "2700000.00"
    assert rows[H[0]]["moved"] is False and rows[H[0]]["money_delta"] == "0.00"
    # the XLSX holds the same rows with Chinese headers and units
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(rc.compare_xlsx(store, run_id, v2)))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert "新差别化政策金额（元）" in header and "原亩均税收（万元/亩）" in header
    assert ws.max_row == 1 + 4
    # a page of the same rows: limit / offset over the movers-first order, total of all
    page = rc.compare_runs(store, run_id, v2, limit=2, offset=1)
    assert page["total"] == 4 and page["items"] == c["items"][1:3]
    assert page["summary"] == s
    moved = rc.compare_runs(store, run_id, v2, moved_only=True, limit=1)
    assert moved["total"] == 2 and moved["items"] == c["items"][:1]


def test_preview_reads_the_runs_history_and_keeps_the_land(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview takes the grade history the run stored (no earlier year is evaluated or
    read) and, asked again, the year's land attribution kept for the same land tables: with
    both made to fail the second preview is the same; a write to the parcels drops the
    kept land (the attribution is computed again)."""
    _run_id, obj = _objected(store, "zhejiang-reference")
    first = op.preview_objection(store, obj["objection_id"])

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("recomputed")

    monkeypatch.setattr(ev, "grade_history_keyed", boom)
    monkeypatch.setattr(ev, "attribution", boom)
    assert op.preview_objection(store, obj["objection_id"]) == first
    parcel = store.read_frame("parcels", columns=["parcel_id", "area_m2"]).iloc[0]
    store.update(
        "parcels",
        parcel["parcel_id"],
        {"area_m2": float(parcel["area_m2"]) + 1.0},
        at=T0 + timedelta(days=1),
        actor="test",
        reason="touch",
    )
    with pytest.raises(AssertionError, match="recomputed"):
        op.preview_objection(store, obj["objection_id"])


def test_superseded_version_refuses_objections_and_keeps_its_cases(store: Store) -> None:
    run_id, obj = _objected(store, "huangyan-2022")
    out = ev.resolve_objection(
        store, obj["objection_id"], accept=True, note="核实", now=T0 + timedelta(days=2)
    )
    v2 = out["run"]["run_id"]
    # still inside v1's 3-day window, but v2 has replaced it
    with pytest.raises(ValidationError, match=r"取代.*superseded") as e:
        ev.file_objection(
            store, run_id, H[1], "tax", 200.0, "也漏计了", now=T0 + timedelta(days=2, hours=1)
        )
    assert v2 in e.value.message_zh and v2 in e.value.message_en
    assert op.objection_fields(store, run_id, H[1])["open"] is False
    assert ev.run_detail(store, run_id)["superseded_by"] == v2
    assert [r["superseded_by"] for r in ev.runs_list(store)] == [v2, None]
    # the handled case stays listed under v1 and under the version it made
    assert [o["objection_id"] for o in ev.objections_list(store, run_id=run_id)] == [
        obj["objection_id"]
    ]
    under_v2 = ev.objections_list(store, run_id=v2, with_resolved=True)
    assert [(o["objection_id"], o["state"], o["resolved_run_id"]) for o in under_v2] == [
        (obj["objection_id"], "accepted", v2)
    ]
    assert ev.objections_list(store, run_id=v2) == []
