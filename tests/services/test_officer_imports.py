"""District officers import their own district's records (issue #15): every row is checked
by its district field, by the record it would update and by its geometry; rows outside the
district go to the quarantine with E135–E137 and the rest imports — on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from indspace.core.access import Principal
from indspace.core.errors import ForbiddenError
from indspace.services import uploads
from indspace.store import Store

T0 = datetime(2025, 12, 31, tzinfo=UTC)
HOME, OTHER = "330212", "330206"
FIRM_HOME, FIRM_OTHER, FIRM_NEW = "91330212MA2H7K1C31", "91330206MA281XQ337", "91330211144201370D"
OFFICER = Principal("officer", "district_officer", district=HOME)
OTHER_PARCEL = "330206001001GB00009"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames(
        {
            # 330212 west of x = 650 500, 330206 east of it (EPSG:4549 metres)
            "districts": gpd.GeoDataFrame(
                {
                    "admin_code": [HOME, OTHER],
                    "name": ["江北区", "北仑区"],
                    "name_en": ["Jiangbei", "Beilun"],
                    "kind": ["district", "district"],
                    "is_urban_district": [True, True],
                },
                geometry=[
                    shapely.MultiPolygon([shapely.box(649_000, 3_306_000, 650_500, 3_308_000)]),
                    shapely.MultiPolygon([shapely.box(650_500, 3_306_000, 652_000, 3_308_000)]),
                ],
                crs=4549,
            ),
            "enterprises": pd.DataFrame(
                {
                    "credit_code": [FIRM_HOME, FIRM_OTHER],
                    "name": ["本区企业", "他区企业"],
                    "district": [HOME, OTHER],
                    "industry_code": ["3481", "2651"],
                    "chain": [None, None],
                    "scale": ["above", "above"],
                    "founded": [date(2006, 5, 18), date(2011, 9, 1)],
                    "is_synthetic": [True, True],
                }
            ),
            "parcels": gpd.GeoDataFrame(
                {
                    "parcel_id": [OTHER_PARCEL],
                    "land_use_code": ["100101"],
                    "area_m2": [10_000.0],
                    "right_type": ["grant"],
                    "right_start": [date(2010, 1, 1)],
                    "right_end": [None],
                    "owner_credit_code": [FIRM_OTHER],
                    "district": [OTHER],
                    "is_synthetic": [True],
                },
                geometry=[
                    shapely.MultiPolygon([shapely.box(651_000, 3_306_100, 651_100, 3_306_200)])
                ],
                crs=4549,
            ),
        },
        valid_from=T0,
    )
    yield s
    s.close()


def wkt(x0: float, y0: float, x1: float, y1: float) -> str:
    return f'"{shapely.box(x0, y0, x1, y1).wkt}"'


HEADER = (
    "parcel_id,land_use_code,area_m2,right_type,right_start,right_end,"
    "owner_credit_code,district,wkt\n"
)


def parcel(pid: str, district: str, box: tuple[float, float, float, float]) -> str:
    area = (box[2] - box[0]) * (box[3] - box[1])
    return f"{pid},100101,{area:.1f},grant,2015-01-01,,{FIRM_HOME},{district},{wkt(*box)}\n"


def test_rows_outside_the_district_are_quarantined_the_rest_imports(store: Store) -> None:
    data = (
        HEADER
        + parcel("330212001001GB00001", HOME, (649_100, 3_306_100, 649_200, 3_306_200))
        # line 3: the field names the other district (geometry would be fine)
        + parcel("330212001001GB00002", OTHER, (649_300, 3_306_100, 649_400, 3_306_200))
        # line 4: 200 m × 100 m across x = 650 500: 100 m × 100 m = 10 000 m² outside
        + parcel("330212001001GB00003", HOME, (650_400, 3_306_100, 650_600, 3_306_200))
        # line 5: the other district's stored parcel, "moved" into this district
        + parcel(OTHER_PARCEL, HOME, (649_500, 3_306_100, 649_600, 3_306_200))
        + parcel("330212001001GB00004", HOME, (649_700, 3_306_100, 649_800, 3_306_200))
    )
    out = uploads.upload(store, "parcels", "p.csv", data.encode(), who=OFFICER)
    assert (out["rows_read"], out["accepted"], out["rejected"]) == (5, 2, 3)
    assert (out["inserted"], out["updated"]) == (2, 0)
    by_row = {i["source_row"]: i for i in out["issues"] if i["severity"] == "error"}
    assert {r: i["code"] for r, i in by_row.items()} == {3: "E135", 4: "E137", 5: "E136"}
    assert by_row[3]["message_en"] == (
        "the district is '330206'; this account imports only district 330212"
    )
    assert by_row[4]["message_en"] == ("10,000.0 m² of the geometry lie outside district 330212")
    assert by_row[5]["message_zh"].startswith(f"已有记录 {OTHER_PARCEL} 属于区县 330206")
    stored = store.read_frame("parcels").set_index("parcel_id")
    assert sorted(stored.index) == [
        "330206001001GB00009",
        "330212001001GB00001",
        "330212001001GB00004",
    ]
    # the other district's parcel is untouched
    assert stored.loc[OTHER_PARCEL, "district"] == OTHER
    assert stored.loc[OTHER_PARCEL].geometry.bounds == (651_000, 3_306_100, 651_100, 3_306_200)


def test_a_sliver_over_the_boundary_is_tolerated(store: Store) -> None:
    # 0.5 m × 1 m = 0.5 m² beyond x = 650 500: under DISTRICT_SLIVER_M2 (1 m²)
    data = HEADER + parcel(
        "330212001001GB00005", HOME, (650_400.5, 3_306_100, 650_500.5, 3_306_101)
    )
    out = uploads.upload(store, "parcels", "p.csv", data.encode(), who=OFFICER)
    assert (out["accepted"], out["rejected"]) == (1, 0), out["issues"]


def test_enterprises_of_the_own_district_only(store: Store) -> None:
    data = (
        "credit_code,name,district,industry_code,scale\n"
        f"{FIRM_HOME},本区企业（新名）,{HOME},3481,above\n"
        f"{FIRM_OTHER},他区企业,江北区,2651,above\n"  # moving a firm of 330206
        f"{FIRM_NEW},新企业,{OTHER},2614,above\n"
    )  # a new firm of 330206
    out = uploads.upload(store, "enterprises", "e.csv", data.encode(), who=OFFICER)
    errors = sorted(
        (i["source_row"], i["code"]) for i in out["issues"] if i["code"] in ("E135", "E136")
    )
    # line 3: 江北区 is read as 330212, but the stored firm is 330206's; line 4: 330206
    assert errors == [(3, "E136"), (4, "E135")]
    assert (out["accepted"], out["rejected"], out["updated"]) == (1, 2, 1)
    firms = store.read_frame("enterprises").set_index("credit_code")
    assert firms.loc[FIRM_HOME, "name"] == "本区企业（新名）"
    assert firms.loc[FIRM_OTHER, "district"] == OTHER and FIRM_NEW not in firms.index


def test_other_kinds_and_roles_are_refused_before_reading(store: Store) -> None:
    with pytest.raises(ForbiddenError, match="cannot import indicators"):
        uploads.upload(store, "indicators", "i.csv", b"x", who=OFFICER)
    with pytest.raises(ForbiddenError):
        uploads.upload(
            store,
            "parcels",
            "p.csv",
            b"x",
            who=Principal("firm", "enterprise", credit_code=FIRM_HOME),
        )


def test_an_officer_sees_only_its_own_imports(store: Store) -> None:
    data = HEADER + parcel("330212001001GB00001", HOME, (649_100, 3_306_100, 649_200, 3_306_200))
    mine = uploads.upload(store, "parcels", "p.csv", data.encode(), who=OFFICER)
    theirs = uploads.upload(
        store, "parcels", "p.csv", data.encode(), who=Principal("admin", "city_admin")
    )
    other = Principal("officer2", "district_officer", district=OTHER)
    assert [r["import_id"] for r in uploads.imports(store, who=OFFICER)] == [mine["import_id"]]
    assert uploads.imports(store, who=other) == []
    with pytest.raises(ForbiddenError):
        uploads.report(store, theirs["import_id"], who=OFFICER)
    assert uploads.report(store, mine["import_id"], who=OFFICER) == []
