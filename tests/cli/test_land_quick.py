"""``indspace land far`` on its own starts light (issue #13): a plain call is parsed without
typer, the GeoPackages are read and the CSV written without pandas — and the answer is the
one of the typer command and of pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely

from indspace.cli_common import console, fail
from indspace.cli_land import FAR_FLAGS, FAR_OPTIONS, land_typer, quick_far_args, register
from indspace.services.land import _arrow_floats, _arrow_texts, _trimmed, _write_csv


def test_the_quick_parser_knows_exactly_the_typer_options() -> None:
    import typer.main

    group = land_typer()
    register(group, fail, console)
    command = typer.main.get_command(group).commands["far"]  # type: ignore[attr-defined]
    options = {o for p in command.params for o in p.opts}
    assert options - {"--help"} == set(FAR_OPTIONS) | set(FAR_FLAGS)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["far", "--parcels", "p.gpkg", "--buildings=b.gpkg", "--out", "o.csv", "--json"],
            {
                "parcels": Path("p.gpkg"),
                "buildings": Path("b.gpkg"),
                "out": Path("o.csv"),
                "as_json": True,
            },
        ),
        (
            ["far", "--out", "o.csv", "--profile", "x", "--parcels", "a", "--buildings", "a"],
            {"parcels": Path("a"), "buildings": Path("a"), "out": Path("o.csv"), "profile": "x"},
        ),
        (["far", "--help"], None),  # typer answers
        (["far", "--parcels", "a", "--buildings", "a"], None),  # --out missing
        (["far", "--parcels", "a", "--buildings", "a", "--out"], None),  # no value
        (["far", "--parcels", "a", "--parcels", "b", "--buildings", "a", "--out", "o"], None),
        (["far", "--parcels", "a", "--buildings", "a", "--out", "o", "--json", "--json"], None),
        (["far", "--parcel", "a", "--buildings", "a", "--out", "o"], None),  # misspelt
        (["far", "--parcels", "--buildings", "a", "--out", "o"], None),  # value is an option
        (["far", "--parcels=", "--buildings", "a", "--out", "o"], None),  # empty value
        (["fra", "--parcels", "a", "--buildings", "a", "--out", "o"], None),
        ([], None),
    ],
)
def test_quick_parser(args: list[str], expected: dict | None) -> None:  # type: ignore[type-arg]
    assert quick_far_args(args) == expected


def test_a_plain_call_imports_neither_pandas_nor_typer(tmp_path: Path) -> None:
    import geopandas as gpd

    site = tmp_path / "site.gpkg"
    x, y = 649_700.0, 3_306_700.0  # in Ningbo, so that the CRS is recognised
    gpd.GeoDataFrame(
        {"ZDDM": [" P1 ", "P2"]},
        geometry=[shapely.box(x, y, x + 10, y + 10), shapely.box(x + 10, y, x + 20, y + 10)],
        crs=4549,
    ).to_file(site, layer="parcels")
    gpd.GeoDataFrame(
        {"ZDDM": ["P1", None], "DSCS": [2, 3]},
        geometry=[
            shapely.box(x + 1, y + 1, x + 3, y + 3),
            shapely.box(x + 12, y + 1, x + 14, y + 3),
        ],
        crs=4549,
    ).to_file(site, layer="buildings")
    out = tmp_path / "far.csv"
    probe = (
        "import os, sys, json\n"
        "real_exit = os._exit\n"
        "def leave(code):\n"
        "    print(json.dumps({m: m in sys.modules for m in ('pandas', 'geopandas', 'typer')}),"
        " file=sys.stderr)\n"
        "    real_exit(code)\n"
        "os._exit = leave\n"
        "sys.argv = ['indspace', *sys.argv[1:]]\n"
        "from indspace._entry import main\n"
        "main()\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe, "land", "far", "--parcels", str(site), "--buildings",
         str(site), "--out", str(out), "--json"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    assert json.loads(res.stderr.strip().splitlines()[-1]) == {
        "pandas": False,
        "geopandas": False,
        "typer": False,
    }
    assert json.loads(res.stdout)["parcels"] == 2
    # P1 trimmed; 4 m² × 2 floors on 100 m²: FAR 0.08, coverage 0.04; P2: 4 × 3 = 12 m²
    assert out.read_text().splitlines() == [
        "parcel_id,area_m2,footprint_m2,floor_area_m2,far_floor_m2,far,coverage,n_buildings",
        '"P1",100,4,8,8,0.08,0.04,1',
        '"P2",100,4,12,12,0.12,0.04,1',
    ]


TEXTS = [" A1 ", "\u3000甲\u3000", "", None, "甲", "a\tb", "\t", "x ", "LF01", "\u00a0y"]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_arrow_texts_are_trimmed_as_python_trims(kind: pa.DataType) -> None:
    chunk = pa.array(TEXTS, type=kind)
    expected = [None if v is None else (v.strip() or None) for v in TEXTS]
    assert _arrow_texts(chunk).tolist() == expected
    assert _arrow_texts(chunk.slice(3, 5)).tolist() == expected[3:8]  # offset into buffers
    assert _arrow_texts(pa.array([7, None, 8])).tolist() == ["7", None, "8"]  # codes as numbers
    assert _trimmed([" 1 ", float("nan"), 2.5]).tolist() == ["1", None, "2.5"]


def test_arrow_floats_read_as_import_reads() -> None:
    ints = pa.array([1, None, 3, 4], type=pa.int32())
    assert np.array_equal(_arrow_floats(ints), [1, np.nan, 3, 4], equal_nan=True)
    assert np.array_equal(_arrow_floats(ints.slice(1, 3)), [np.nan, 3, 4], equal_nan=True)
    assert _arrow_floats(pa.array([2.5, 1e300])).tolist() == [2.5, 1e300]
    text = pa.array(["3", "x", None, " 4.5"])  # numbers stored as text; junk → NaN
    assert np.array_equal(_arrow_floats(text), [3, np.nan, np.nan, 4.5], equal_nan=True)
    assert np.isnan(_arrow_floats(pa.array([None, None], type=pa.null()))).all()


def test_csv_cells(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    _write_csv(
        path,
        {
            "parcel_id": np.array(["=1+2", "甲乙", None, "P,1"], dtype=object),
            "far": np.array([0.1, np.nan, 2.0, 1 / 3]),
            "n_buildings": np.array([1, 0, 2, 3], dtype=np.int64),
        },
    )
    assert path.read_text(encoding="utf-8").splitlines() == [
        "parcel_id,far,n_buildings",
        '"\'=1+2",0.1,1',  # a formula is written as text (issue #15)
        '"甲乙",,0',  # NaN: an empty cell
        ",2,2",  # no parcel id: an empty cell
        '"P,1",0.3333333333333333,3',
    ]
