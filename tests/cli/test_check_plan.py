"""``indspace check-plan PLAN.json [--profile P] [--json]`` as a user runs it (issue #18).

The plans are the golden cases of tests/services/test_plan_check.py (鄞州, site 10 000 m²,
approved 2025-06-30): the base plan (FAR 20 000 / 10 000 = 2.0 ≥ 2.0, admin/living 5 %)
complies; with 701 m² admin/living land (7.01 % > 7 %) it does not.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.cli.conftest import run
from tests.services.test_plan_check import ADMIN_2023, BASE, URBAN_FAR


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_json_answer_and_exit_status(tmp_path: Path) -> None:
    ok = run("check-plan", str(write(tmp_path, "ok.json", BASE)), "--json")
    body = json.loads(ok.stdout)
    assert ok.returncode == 0 and body["pass"] is True
    far = body["checks"][0]
    assert {k: far[k] for k in ("rule", "value", "limit", "pass", "clause")} == {
        "rule": "plot_ratio",
        "value": 2.0,
        "limit": 2.0,
        "pass": True,
        "clause": URBAN_FAR,
    }

    bad = copy.deepcopy(BASE)
    bad["admin_living_land_m2"] = 701
    r = run("check-plan", str(write(tmp_path, "bad.json", bad)), "--json", check=False)
    assert r.returncode == 1  # a judged check fails
    (admin,) = [c for c in json.loads(r.stdout)["checks"] if c["rule"] == "admin_living_land_share"]
    assert admin["value"] == 0.0701 and admin["pass"] is False
    assert admin["clause"].startswith(ADMIN_2023)
    # same plan, same profile → byte-identical output
    again = run("check-plan", str(tmp_path / "bad.json"), "--json", check=False)
    assert again.stdout == r.stdout


def test_rich_output_is_chinese_first(tmp_path: Path) -> None:
    r = run("check-plan", str(write(tmp_path, "ok.json", BASE)))
    out = r.stdout
    # (the table wraps at the terminal width: look for words, not whole cells)
    assert "方案检查 / plan check: golden" in out and "容积率" in out and "plot_ratio" in out
    assert "通过" in out and "未判定" in out  # investment intensity: no table, not judged
    assert "结论 / verdict: 符合 / complies" in out


def test_profile_option_picks_another_profile(tmp_path: Path) -> None:
    # zhejiang-reference has only the 8 m storey rule: nothing else can be judged
    r = run(
        "check-plan",
        str(write(tmp_path, "ok.json", BASE)),
        "--profile",
        "zhejiang-reference",
        "--json",
    )
    body = json.loads(r.stdout)
    assert body["profile"]["id"] == "zhejiang-reference"
    assert [c["pass"] for c in body["checks"]] == [None] * 6


def test_bad_input_names_the_field(tmp_path: Path) -> None:
    plan = copy.deepcopy(BASE)
    plan["storeys"][1]["use"] = "office"
    r = run("check-plan", str(write(tmp_path, "p.json", plan)), "--json", check=False)
    err = json.loads(r.stdout)
    assert r.returncode == 2 and err["where"] == "p.json: storeys[1].use"
    assert "取值不在允许范围内" in err["message_zh"] and "allowed values" in err["message_en"]

    r = run(
        "check-plan", str(write(tmp_path, "b.json", '{"plan_id": "x",\n "site": }')), check=False
    )
    assert r.returncode == 2
    assert "不是有效的 JSON（第 2 行第 10 列）" in r.stderr and "not valid JSON" in r.stderr

    r = run("check-plan", str(tmp_path / "missing.json"), check=False)
    assert r.returncode == 2 and "无法读取方案文件" in r.stderr

    r = run(
        "check-plan", str(write(tmp_path, "ok.json", BASE)), "--profile", "nowhere", check=False
    )
    assert r.returncode == 2 and "未知策略配置" in r.stderr


def test_the_documented_example_complies() -> None:
    """docs/examples/plan.json (docs/plan-check.md, the API's example): 4 000 × 2 (9 m) +
    8 000 + 2 000 + 2 000 = 20 000 / 10 000 = FAR 2.0 ≥ 2.0; R&D 2 000 / 16 000 = 12.5 %."""
    example = Path(__file__).parents[2] / "docs" / "examples" / "plan.json"
    body = json.loads(run("check-plan", str(example), "--json").stdout)
    assert body["pass"] is True
    assert [c["value"] for c in body["checks"]][:4] == [2.0, 0.4, 0.05, 0.125]
