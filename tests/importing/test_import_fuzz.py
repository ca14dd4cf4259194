"""Property: whatever bytes arrive, an import either refuses the file with a bilingual
IndspaceError and leaves the store untouched, or commits exactly the rows it accepted —
never a crash, never a partial write (issue #4)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indspace.core.errors import IndspaceError
from indspace.services.importing import import_file
from indspace.store import Store

pytestmark = pytest.mark.xdist_group("small_demo")

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
CASES = [("enterprises", "enterprises.csv"), ("indicators", "indicators.csv"),
         ("parcels", "parcels.geojson"), ("occupancy", "occupancy.csv")]


def _counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents WHERE table_name NOT LIKE 'import_%'")]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


@st.composite
def mangled(draw: st.DrawFn) -> tuple[str, str, bytes]:
    kind, name = draw(st.sampled_from(CASES))
    data = bytearray((EXAMPLES / name).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        else:
            data += data[pos:pos + draw(st.integers(1, 80))]
    return kind, name, bytes(data)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mangled())
def test_mangled_files_never_half_write(case: tuple[str, str, bytes], store_path: Path,
                                        tmp_path: Path) -> None:
    kind, name, data = case
    db = tmp_path / "fuzz.gpkg"
    shutil.copy(store_path, db)
    before = _counts(db)
    src = tmp_path / name
    src.write_bytes(data)
    with Store.open(db) as store:
        try:
            res = import_file(store, kind, src, report_dir=tmp_path / "reports")
        except IndspaceError as e:
            assert e.message_zh and e.message_en
            assert _counts(db) == before
            return
    after = _counts(db)
    assert res.accepted + res.rejected == res.rows_read
    table = kind.replace("-", "_")
    assert after[table] - before[table] == res.inserted
    assert after[f"{table}_history"] - before[f"{table}_history"] == res.updated
