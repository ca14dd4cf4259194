"""Hypothesis over every reader (issue #15): whatever bytes or rows arrive — CSV, Excel,
GeoJSON, Shapefile (.zip) or GeoPackage — an import answers with bilingual import errors
only, never an unhandled exception; and in a CSV every well-formed row survives the broken
lines around it, at its own line number."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indspace.core.errors import IndspaceError
from indspace.ingest.readers import read_table
from indspace.services.importing import import_file
from indspace.store import Store

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
HEADER = "统一社会信用代码,企业名称,所在区县,行业代码,企业规模"
GOOD = [f"91310110666007217T,甲{i}公司,330212,3481,规上" for i in range(6)]


def _sources(folder: Path) -> dict[str, bytes]:
    """One small valid file per reader, as bytes (the shapefile zipped)."""
    parcels = gpd.read_file(EXAMPLES / "parcels.geojson")
    out = {
        ".csv": (EXAMPLES / "enterprises.csv").read_bytes(),
        ".geojson": (EXAMPLES / "parcels.geojson").read_bytes(),
    }
    parcels.to_file(folder / "p.gpkg", driver="GPKG")
    out[".gpkg"] = (folder / "p.gpkg").read_bytes()
    short = [c for c in parcels.columns if len(c) <= 10]  # DBF field names: 10 bytes
    parcels[short].to_file(folder / "p.shp", encoding="UTF-8")
    with zipfile.ZipFile(folder / "p.zip", "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            if (folder / f"p{ext}").exists():
                zf.write(folder / f"p{ext}", f"p{ext}")
    out[".zip"] = (folder / "p.zip").read_bytes()
    import pandas as pd

    pd.read_csv(EXAMPLES / "enterprises.csv", dtype=str).to_excel(folder / "e.xlsx", index=False)
    out[".xlsx"] = (folder / "e.xlsx").read_bytes()
    return out


KIND = {
    ".csv": "enterprises",
    ".xlsx": "enterprises",
    ".geojson": "parcels",
    ".gpkg": "parcels",
    ".zip": "parcels",
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    with warnings.catch_warnings():  # GDAL's notes on writing the fixtures (dates as text)
        warnings.simplefilter("ignore")
        return _sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def empty_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store.create(tmp_path / "fuzz.gpkg")
    yield s
    s.close()


@st.composite
def mangle(draw: st.DrawFn, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "flip" and buf:
            buf[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del buf[pos : pos + draw(st.integers(1, 60))]
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            buf += buf[pos : pos + draw(st.integers(1, 80))]
    return bytes(buf)


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".geojson", ".zip", ".gpkg"])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_bytes_give_bilingual_errors_only(
    ext: str, data: st.DataObject, sources: dict[str, bytes], empty_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / f"input{ext}"
    path.write_bytes(data.draw(mangle(sources[ext])))
    try:
        res = import_file(empty_store, KIND[ext], path, report_dir=tmp_path / "reports")
    except IndspaceError as e:  # refused as a whole: a bilingual message, nothing else
        assert e.message_zh and e.message_en
        return
    assert res.accepted + res.rejected == res.rows_read


line_text = st.text(
    st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(plan=st.lists(st.one_of(st.integers(0, len(GOOD) - 1), line_text), min_size=1, max_size=12))
def test_good_csv_rows_survive_broken_lines(
    plan: list[int | str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    lines = [HEADER] + [GOOD[p] if isinstance(p, int) else p for p in plan]
    path = tmp_path_factory.mktemp("csv") / "firms.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    good_at = {i + 2: GOOD[p] for i, p in enumerate(plan) if isinstance(p, int)}
    try:
        t = read_table(path)
    except IndspaceError as e:
        assert e.message_zh and e.message_en
        assert not good_at  # only a file without a good row may be refused as a whole
        return
    read = {
        int(n): ",".join(row)
        for n, row in zip(t.row_numbers, t.frame.astype(str).itertuples(index=False), strict=True)
    }
    for line, text in good_at.items():
        assert read.get(line) == text, (line, text, t.rejected)
    assert t.physical_lines == 1 + t.blank_lines + len(t.frame) + t.rejected_lines
