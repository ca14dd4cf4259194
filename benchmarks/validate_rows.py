"""Row validation of 10 000 parcels (the workload of
tests/ingest/test_validate.py::test_ten_thousand_rows_with_broken_ones_mixed_in, whose old
``< 2.0 s`` assert failed CI on a busy machine; issue #15 item 8), and the header scan of a
CSV with many columns (issue #15 item 2: it must grow linearly with the columns).

Baseline: ``pandas.read_csv`` of the same CSV text (what reading alone costs).

Run: ``.venv/bin/python benchmarks/validate_rows.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _harness import measure, report

from indspace.core.errors import ValidationError
from indspace.ingest.aliases import resolve_headers
from indspace.ingest.readers import read_table
from indspace.ingest.validate import ValidationContext, validate

X0, Y0 = 600_000.0, 3_300_000.0
C1, C2 = "91310110666007217T", "914403001922038216"


def parcels(n: int = 10_000, side: int = 100) -> pd.DataFrame:
    i = np.arange(n)
    x, y = X0 + (i % side) * 50.0, Y0 + (i // side) * 50.0
    return pd.DataFrame(
        {
            "宗地代码": np.char.add("330212001001GB", np.char.zfill(i.astype(str), 5)).astype(
                object
            ),
            "用地分类代码": "100101",
            "宗地面积(平方米)": "2500",
            "权利类型": "出让",
            "使用期限起": "2006/6/1",
            "使用期限止": "2056年5月31日",
            "权利人统一社会信用代码": np.where(i % 2 == 0, C1, C2).astype(object),
            "所在区县": "330212",
            "RJL": "1.2-2.0",
            "geometry": np.asarray(shapely.box(x, y, x + 50, y + 50), dtype=object),
        }
    )


def wide_csv(folder: Path, columns: int) -> Path:
    path = folder / f"wide_{columns}.csv"
    header = ",".join(["统一社会信用代码", "企业名称", *(f"c{j}" for j in range(columns - 2))])
    row = ",".join([C1, "甲公司", *("1" for _ in range(columns - 2))])
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    frame = parcels()
    ctx = ValidationContext(
        districts=gpd.GeoSeries([shapely.box(590_000, 3_290_000, 700_000, 3_400_000)], crs=4549)
    )
    headers = [c for c in frame.columns if c != "geometry"]
    rows = np.arange(2, len(frame) + 2)

    def ours() -> None:
        validate("parcels", frame, resolve_headers("parcels", headers), rows, ctx, source="big.csv")

    text = frame.drop(columns="geometry").to_csv(index=False)

    def baseline() -> None:
        pd.read_csv(io.StringIO(text), dtype=str)

    print(
        report(
            "validate 10 000 parcels",
            measure(ours, args.repeat),
            measure(baseline, args.repeat),
            "read_csv",
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        for columns in (1_000, 2_000, 10_000, 1_000_000):
            path = wide_csv(Path(tmp), columns)

            def scan(path: Path = path) -> None:
                try:
                    raw = read_table(path)
                    resolve_headers("enterprises", [str(c) for c in raw.frame.columns])
                except ValidationError:
                    pass  # over the column limit: refused, which is what is timed

            def plain(path: Path = path) -> None:
                path.read_bytes().decode("utf-8").split("\n")

            print(
                report(
                    f"read + header scan of {columns:,} columns",
                    measure(scan, 1),
                    measure(plain, 1),
                    "decode",
                )
            )


if __name__ == "__main__":
    main()
