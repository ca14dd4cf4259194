"""read_table / list_layers on real files of every supported format, and on broken ones."""

from __future__ import annotations

import codecs
import datetime as dt
import struct
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indspace.core.errors import IndspaceError, ValidationError
from indspace.core.geo import detect_crs
from indspace.ingest.readers import RawTable, list_layers, read_table
from tests.ingest.conftest import (
    sample_parcels_4528,
    sample_parcels_table,
    write_csv,
    write_geojson,
    write_gpkg,
    write_shapefile,
    write_xlsx,
)

CHINESE_FIELDS = ["ZDDM", "ZL", "ZDMJ", "用途", "DLBM", "QLLX", "权利人", "RJL", "geometry"]


def write_dbf(path: Path, fields: list[tuple[bytes, int]], rows: list[list[bytes]]) -> None:
    """A minimal dBASE III file of character fields with exact bytes (names and values)."""
    header_len = 32 + 32 * len(fields) + 1
    rec_len = 1 + sum(w for _, w in fields)
    out = bytearray(struct.pack("<BBBBIHH20x", 3, 124, 1, 1, len(rows), header_len, rec_len))
    for name, width in fields:
        out += name.ljust(11, b"\x00")[:11] + b"C" + bytes(4) + bytes([width, 0]) + bytes(14)
    out += b"\x0d"
    for row in rows:
        out += b" " + b"".join(v[:w].ljust(w, b" ") for v, (_, w) in zip(row, fields, strict=True))
    out += b"\x1a"
    path.write_bytes(bytes(out))


def assert_parcels(table: RawTable, n: int = 5) -> None:
    want = sample_parcels_4528()
    assert list(table.frame.columns) == CHINESE_FIELDS
    assert table.frame["权利人"].tolist() == want["权利人"].tolist()[:n]
    assert table.frame["用途"].tolist() == want["用途"].tolist()[:n]
    assert table.frame["ZL"].tolist() == want["ZL"].tolist()[:n]
    assert table.frame["ZDMJ"].tolist() == want["ZDMJ"].tolist()[:n]
    got_geoms = np.asarray(table.frame.geometry.values)
    want_geoms = np.asarray(want.geometry.values[:n])
    assert shapely.equals(got_geoms, want_geoms).all()  # shapefiles may reorient rings
    assert np.allclose(shapely.bounds(got_geoms), shapely.bounds(want_geoms), atol=1e-6)
    assert table.row_numbers.tolist() == list(range(1, n + 1))
    assert table.row_numbers.dtype == np.int64


# --------------------------------------------------------------------------- Shapefile


def test_gbk_shapefile_without_cpg(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False)
    assert not shp.with_suffix(".cpg").exists()
    t = read_table(shp)
    assert (t.format, t.source, t.encoding, t.encoding_assumed) == (
        "shapefile", str(shp), "GB18030", True)
    assert t.declared_epsg == 4528
    assert_parcels(t)
    assert any(".cpg" in n and "GB18030" in n for n in t.notes)
    # the declared CRS agrees with the coordinates
    d = detect_crs(t.frame.geometry.values, t.declared_epsg)
    assert (d.epsg, d.source) == (4528, "declared")


def test_utf8_shapefile_with_cpg(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=True)
    assert shp.with_suffix(".cpg").read_text().strip() == "UTF-8"
    t = read_table(shp)
    assert (t.encoding, t.encoding_assumed, t.declared_epsg) == ("UTF-8", False, 4528)
    assert_parcels(t)
    assert t.notes == ()


def test_utf8_shapefile_without_cpg_is_detected(tmp_path: Path,
                                                parcels_4528: gpd.GeoDataFrame) -> None:
    t = read_table(write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=False))
    assert (t.encoding, t.encoding_assumed) == ("UTF-8", True)
    assert_parcels(t)


def test_gbk_shapefile_with_gbk_cpg(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=True)
    t = read_table(shp)
    assert (t.encoding, t.encoding_assumed) == ("GB18030", False)
    assert_parcels(t)


@pytest.mark.parametrize("cpg", ["936", "ANSI 936", "CP936", "gb2312"])
def test_esri_code_page_names_in_cpg(tmp_path: Path, parcels_4528: gpd.GeoDataFrame,
                                     cpg: str) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False)
    shp.with_suffix(".cpg").write_text(cpg)
    t = read_table(shp)
    assert (t.encoding, t.encoding_assumed) == ("GB18030", False)
    assert_parcels(t)


def test_wrong_cpg_falls_back_to_detection(tmp_path: Path,
                                           parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False)
    shp.with_suffix(".cpg").write_text("UTF-8")
    t = read_table(shp)
    assert (t.encoding, t.encoding_assumed) == ("GB18030", True)
    assert_parcels(t)
    assert any(".cpg" in n and "UTF-8" in n for n in t.notes)


def test_unrecognised_cpg_is_noted_and_detected(tmp_path: Path,
                                                parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False)
    shp.with_suffix(".cpg").write_text("no-such-codepage")
    t = read_table(shp)
    assert (t.encoding, t.encoding_assumed) == ("GB18030", True)
    assert any("no-such-codepage" in n for n in t.notes)


def test_given_encoding_wins(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=True)
    t = read_table(shp, encoding="gbk")
    assert (t.encoding, t.encoding_assumed) == ("GB18030", False)
    assert_parcels(t)
    assert any("GB18030" in n for n in t.notes)  # GBK read as its superset


def test_wrong_given_encoding_names_row_and_field(tmp_path: Path,
                                                  parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False)
    with pytest.raises(ValidationError) as info:
        read_table(shp, encoding="UTF-8")
    err = info.value
    assert err.where is not None and str(shp) in err.where and "field" in err.where
    assert "UTF-8" in err.message_zh and err.hint_zh and err.hint_en


def test_unknown_given_encoding(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=True)
    with pytest.raises(ValidationError, match="no-such-enc"):
        read_table(shp, encoding="no-such-enc")


def test_utf8_field_name_cut_by_dbf_limit(tmp_path: Path,
                                          parcels_4528: gpd.GeoDataFrame) -> None:
    # GDAL cuts '土地使用权人' (18 bytes in UTF-8) to 10 bytes, inside the 4th character
    gdf = parcels_4528[["ZDDM", "geometry"]].assign(土地使用权人=parcels_4528["权利人"])
    shp = write_shapefile(tmp_path, gdf, encoding="UTF-8", cpg=False)
    t = read_table(shp)
    assert t.encoding == "UTF-8"
    assert list(t.frame.columns) == ["ZDDM", "土地使", "geometry"]
    assert t.frame["土地使"].tolist() == parcels_4528["权利人"].tolist()
    assert any("截断" in n for n in t.notes)


def test_value_cut_inside_a_character_at_field_width(tmp_path: Path,
                                                     parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528.iloc[:3][["ZDDM", "geometry"]],
                          encoding="UTF-8", cpg=False)
    write_dbf(shp.with_suffix(".dbf"), [("权利人".encode(), 10), (b"ZDDM", 19)],
              [["宁波甬江精".encode(), b"A1"], [b"abc", b"A2"], ["慈溪".encode(), b"A3"]])
    t = read_table(shp)
    assert t.encoding == "UTF-8"
    assert t.frame["权利人"].tolist() == ["宁波甬", "abc", "慈溪"]
    assert any("截断" in n for n in t.notes)


def test_gbk_dbf_names_and_values_handcrafted(tmp_path: Path,
                                              parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528.iloc[:2][["ZDDM", "geometry"]],
                          encoding="UTF-8", cpg=False)
    write_dbf(shp.with_suffix(".dbf"),
              [("土地使用权人".encode("gbk"), 30), ("坐落".encode("gbk"), 40)],
              [["宁波甬江".encode("gbk"), "鄞州区".encode("gbk")],
               [b"", "镇海区".encode("gbk")]])
    t = read_table(shp)
    assert t.encoding == "GB18030"
    assert list(t.frame.columns) == ["土地使用权", "坐落", "geometry"]
    assert t.frame["土地使用权"].tolist()[0] == "宁波甬江"
    assert t.frame["坐落"].tolist() == ["鄞州区", "镇海区"]


def test_duplicate_dbf_field_names(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528.iloc[:2][["ZDDM", "geometry"]],
                          encoding="UTF-8", cpg=False)
    write_dbf(shp.with_suffix(".dbf"), [("名称".encode("gbk"), 10), ("名称".encode("gbk"), 10)],
              [[b"a", b"b"], [b"c", b"d"]])
    with pytest.raises(ValidationError, match="名称"):
        read_table(shp)


def test_undecodable_dbf(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528.iloc[:2][["ZDDM", "geometry"]],
                          encoding="UTF-8", cpg=False)
    write_dbf(shp.with_suffix(".dbf"), [(b"NAME", 10)], [[b"ok"], [b"\x81\x30\xff\xff"]])
    with pytest.raises(ValidationError) as info:
        read_table(shp)
    assert info.value.where == f"{shp} row 2, field NAME"
    assert "--encoding" in (info.value.hint_zh or "")


@pytest.mark.parametrize("part", [".shx", ".dbf"])
def test_missing_shapefile_part(tmp_path: Path, parcels_4528: gpd.GeoDataFrame,
                                part: str) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=True)
    shp.with_suffix(part).unlink()
    with pytest.raises(ValidationError, match=part.replace(".", r"\.")):
        read_table(shp)


def test_missing_prj_means_no_declared_crs(tmp_path: Path,
                                           parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=True)
    shp.with_suffix(".prj").unlink()
    t = read_table(shp)
    assert t.declared_epsg is None
    assert any(".prj" in n for n in t.notes)
    assert detect_crs(t.frame.geometry.values).epsg == 4528


def test_unidentifiable_prj_is_noted(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=True)
    shp.with_suffix(".prj").write_text(
        'PROJCS["local",GEOGCS["local",DATUM["local",SPHEROID["s",6378000,300]],'
        'PRIMEM["Greenwich",0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_'
        'Mercator"],PARAMETER["False_Easting",12345],PARAMETER["False_Northing",0],'
        'PARAMETER["Central_Meridian",121.1],PARAMETER["Scale_Factor",1],'
        'PARAMETER["Latitude_Of_Origin",0],UNIT["Meter",1]]')
    t = read_table(shp)
    assert t.declared_epsg is None
    assert any("EPSG" in n for n in t.notes)


def test_zero_feature_shapefile(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528.iloc[:0], encoding="UTF-8", cpg=True)
    with pytest.raises(ValidationError, match="没有数据行"):
        read_table(shp)


def test_uppercase_extensions(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="GBK", cpg=False, name="ZD")
    for f in list(tmp_path.iterdir()):
        f.rename(f.with_suffix(f.suffix.upper()))
    t = read_table(tmp_path / "ZD.SHP")
    assert t.encoding == "GB18030" and t.declared_epsg == 4528
    assert_parcels(t)
    assert shp.stem == "ZD"


def test_single_layer_formats_accept_their_own_layer_name(
        tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    shp = write_shapefile(tmp_path, parcels_4528, encoding="UTF-8", cpg=True)
    assert list_layers(shp) == ["parcels"]
    assert len(read_table(shp, layer="parcels").frame) == 5
    with pytest.raises(ValidationError, match="nope"):
        read_table(shp, layer="nope")


# --------------------------------------------------------------------------- zipped shapefiles


def zip_dir(src: Path, dest: Path, rename: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for f in sorted(src.iterdir()):
            zf.write(f, (rename or {}).get(f.stem, f.stem) + f.suffix)
    return dest


def test_zip_with_one_gbk_shapefile_with_chinese_member_name(
        tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_shapefile(src, parcels_4528, encoding="GBK", cpg=False)
    z = zip_dir(src, tmp_path / "宗地.zip", {"parcels": "宗地"})
    assert list_layers(z) == ["宗地"]
    t = read_table(z)
    assert (t.source, t.format, t.encoding, t.declared_epsg) == (
        f"{z}:宗地", "shapefile", "GB18030", 4528)
    assert_parcels(t)


def test_zip_member_names_in_gbk_without_utf8_flag(tmp_path: Path,
                                                   parcels_4528: gpd.GeoDataFrame) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_shapefile(src, parcels_4528, encoding="UTF-8", cpg=True)
    z = zip_dir(src, tmp_path / "gbk-names.zip", {"parcels": "QQQQ"})
    # what Windows tools write: GBK bytes, no UTF-8 flag ("宗地" is 4 bytes in GBK)
    z.write_bytes(z.read_bytes().replace(b"QQQQ", "宗地".encode("gbk")))
    with zipfile.ZipFile(z) as zf:
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())
    assert list_layers(z) == ["宗地"]
    assert_parcels(read_table(z, layer="宗地"))


def test_zip_with_several_shapefiles_needs_a_layer(tmp_path: Path,
                                                   parcels_4528: gpd.GeoDataFrame) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_shapefile(src, parcels_4528, encoding="GBK", cpg=False, name="zd")
    write_shapefile(src, parcels_4528.iloc[:2], encoding="UTF-8", cpg=True, name="zrz")
    z = zip_dir(src, tmp_path / "both.zip")
    assert sorted(list_layers(z)) == ["zd", "zrz"]
    with pytest.raises(ValidationError, match="zrz"):
        read_table(z)
    t = read_table(z, layer="zrz")
    assert (t.source, len(t.frame), t.encoding) == (f"{z}:zrz", 2, "UTF-8")
    with pytest.raises(ValidationError, match="missing"):
        read_table(z, layer="missing")


def test_zip_errors_name_the_zip_not_the_temporary_copy(
        tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shp = write_shapefile(src, parcels_4528, encoding="UTF-8", cpg=True)
    shp.write_bytes(b"\x00" * 50)
    z = zip_dir(src, tmp_path / "broken.zip")
    with pytest.raises(ValidationError) as info:
        read_table(z)
    assert "indspace-zip-" not in str(info.value)
    assert info.value.where == f"{z}:parcels"


def test_zip_without_shapefile(tmp_path: Path) -> None:
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValidationError, match=r"\.shp"):
        read_table(z)


# --------------------------------------------------------------------------- GeoJSON


def test_geojson_in_4490(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_geojson(tmp_path, parcels_4528.to_crs(4490))
    t = read_table(path)
    assert (t.format, t.source, t.encoding, t.encoding_assumed, t.declared_epsg) == (
        "geojson", str(path), "UTF-8", False, 4490)
    assert list(t.frame.columns) == CHINESE_FIELDS
    assert t.frame["权利人"].tolist() == parcels_4528["权利人"].tolist()
    assert t.row_numbers.tolist() == [1, 2, 3, 4, 5]
    assert list_layers(path) == ["parcels"]
    d = detect_crs(t.frame.geometry.values, t.declared_epsg)
    assert (d.epsg, d.source) == (4490, "declared")


def test_geojson_without_crs_member(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_geojson(tmp_path, parcels_4528, rfc7946=True)
    assert b'"crs"' not in path.read_bytes()
    t = read_table(path)
    assert t.declared_epsg is None
    assert any("RFC 7946" in n for n in t.notes)


def test_geojson_in_crs84(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_geojson(tmp_path, parcels_4528.to_crs(4326))
    assert b"CRS84" in path.read_bytes()
    assert read_table(path).declared_epsg == 4326


def test_gbk_geojson_is_transcoded(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_geojson(tmp_path, parcels_4528.to_crs(4490), encoding="gbk")
    t = read_table(path)
    assert (t.encoding, t.encoding_assumed) == ("GB18030", True)
    assert t.frame["权利人"].tolist() == parcels_4528["权利人"].tolist()
    t = read_table(path, encoding="GBK")
    assert (t.encoding, t.encoding_assumed) == ("GB18030", False)


def test_geojson_with_metres_and_wrong_declaration(tmp_path: Path,
                                                   parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_geojson(tmp_path, parcels_4528.set_crs(4490, allow_override=True))
    t = read_table(path)
    assert t.declared_epsg == 4490
    d = detect_crs(t.frame.geometry.values, t.declared_epsg)
    assert (d.epsg, d.source) == (4528, "detected") and "声明有误" in d.reason_zh


def test_json_that_is_not_geojson(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": [1, 2, 3]}')
    with pytest.raises(ValidationError):
        read_table(path)


# --------------------------------------------------------------------------- GeoPackage


def test_geopackage_single_layer(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_gpkg(tmp_path, parcels_4528)
    t = read_table(path)
    assert (t.format, t.source, t.encoding, t.encoding_assumed, t.declared_epsg) == (
        "geopackage", f"{path}:parcels", None, False, 4528)
    assert_parcels(t)
    assert list_layers(path) == ["parcels"]


def test_geopackage_layers(tmp_path: Path, parcels_4528: gpd.GeoDataFrame) -> None:
    path = write_gpkg(tmp_path, {"宗地": parcels_4528, "自然幢": parcels_4528.iloc[:2],
                                 "empty": parcels_4528.iloc[:0]})
    assert list_layers(path) == ["宗地", "自然幢", "empty"]
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert "宗地" in info.value.message_zh and "--layer" in (info.value.hint_en or "")
    t = read_table(path, layer="自然幢")
    assert (t.source, len(t.frame)) == (f"{path}:自然幢", 2)
    with pytest.raises(ValidationError, match="没有数据行"):
        read_table(path, layer="empty")
    with pytest.raises(ValidationError, match="图层“nope”不存在"):
        read_table(path, layer="nope")


def test_geopackage_ignores_encoding_with_a_note(tmp_path: Path,
                                                 parcels_4528: gpd.GeoDataFrame) -> None:
    t = read_table(write_gpkg(tmp_path, parcels_4528), encoding="GBK")
    assert t.encoding is None and any("encoding" in n for n in t.notes)


def test_geopackage_attribute_table_without_geometry(tmp_path: Path) -> None:
    path = tmp_path / "attrs.gpkg"
    import pyogrio
    pyogrio.write_dataframe(pd.DataFrame({"企业名称": ["甲", "乙"], "n": [1, 2]}), path,
                            layer="firms", driver="GPKG")
    t = read_table(path)
    assert list(t.frame.columns) == ["企业名称", "n"] and t.declared_epsg is None


# --------------------------------------------------------------------------- CSV


def test_utf8_bom_csv(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    path = write_csv(tmp_path, parcels_table, "utf-8-sig")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    t = read_table(path)
    assert (t.format, t.source, t.encoding, t.encoding_assumed, t.declared_epsg) == (
        "csv", str(path), "UTF-8-SIG", False, None)
    assert list(t.frame.columns) == list(parcels_table.columns)
    assert t.frame.iloc[0].tolist() == [
        "330282001001GB00001", "慈溪市宗汉街道新兴产业园区1号", "4800.0", "工业用地",
        "宁波甬江精密制造有限公司", "3", "2019-03-01"]
    assert t.row_numbers.tolist() == [2, 3, 4, 5, 6]
    assert all(pd.api.types.is_string_dtype(t.frame[c]) for c in t.frame.columns)
    assert t.notes == ()


def test_gbk_csv(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    t = read_table(write_csv(tmp_path, parcels_table, "gbk"))
    assert (t.encoding, t.encoding_assumed) == ("GB18030", True)
    assert t.frame["权利人"].tolist() == parcels_table["权利人"].tolist()
    assert any("GB18030" in n for n in t.notes)


def test_utf8_csv_without_bom(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    t = read_table(write_csv(tmp_path, parcels_table, "utf-8"))
    assert (t.encoding, t.encoding_assumed) == ("UTF-8", True)
    assert t.frame["坐落"].tolist() == parcels_table["坐落"].tolist()


def test_csv_given_encoding(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    path = write_csv(tmp_path, parcels_table, "gbk")
    t = read_table(path, encoding="GB2312")
    assert (t.encoding, t.encoding_assumed) == ("GB18030", False)
    with pytest.raises(ValidationError) as info:
        read_table(path, encoding="utf-8")
    assert info.value.where == f"{path} line 1"


def test_csv_neither_utf8_nor_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,2\n\x81\x30\xff\xff,3\n4,5\n")
    t = read_table(path)  # the undecodable line alone is refused, with its line number
    assert t.frame.to_dict("list") == {"a": ["1", "4"], "b": ["2", "5"]}
    assert t.row_numbers.tolist() == [2, 4]
    assert t.rejected[["source_row", "code"]].values.tolist() == [[3, "E129"]]
    assert "--encoding" in t.rejected["hint_zh"].iloc[0]
    path.write_bytes(b"\x81\x30\xff\xff,b\n1,2\n")  # the header itself: the file is refused
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert info.value.where == f"{path} line 1"
    assert "--encoding" in (info.value.hint_zh or "")


def test_csv_missing_values_are_empty_strings_and_blank_rows_keep_numbering(
        tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('代码,名称,面积\r\nA,"多行\r\n名称",1\r\n\r\n,,\r\nB,,NA\r\n,乙,\r\n',
                    encoding="utf-8")
    t = read_table(path)
    assert t.frame.to_dict("list") == {"代码": ["B", ""], "名称": ["", "乙"], "面积": ["NA", ""]}
    # header 1, record 2 spans lines 2-3 (refused as one: a cell with a line break), 4 and 5
    # blank, then 6 and 7
    assert t.row_numbers.tolist() == [6, 7]
    assert t.rejected[["source_row", "code"]].values.tolist() == [[2, "E127"]]
    assert "2–3" in t.rejected["message_zh"].iloc[0]
    assert any("2 个空行" in n for n in t.notes)
    assert (t.physical_lines, t.blank_lines, t.rejected_lines) == (7, 2, 2)
    assert t.physical_lines == 1 + t.blank_lines + len(t.frame) + t.rejected_lines


def test_csv_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,\n1,2,\n3\n4,5,,,\n", encoding="utf-8")  # trailing commas are fine
    t = read_table(path)
    assert list(t.frame.columns) == ["a", "b"]
    assert t.frame.to_dict("list") == {"a": ["1", "3", "4"], "b": ["2", "", "5"]}
    path.write_text("a,b\n1,2\n3,4,extra\n5,6\n", encoding="utf-8")
    t = read_table(path)  # the line with a value beyond the header alone is refused
    assert t.frame.to_dict("list") == {"a": ["1", "5"], "b": ["2", "6"]}
    assert t.rejected[["source_row", "code"]].values.tolist() == [[3, "E128"]]


@pytest.mark.parametrize(("text", "needle"), [
    ("\n1,2\n", "表头行"),
    (",,\n1,2\n", "表头行"),
    ("a,b\n", "没有数据行"),
    ("a,b\n,\n\n", "没有数据行"),
    ("代码,名称,代码\n1,2,3\n", "代码"),
    ('a,"b\n1,2\n', "CSV"),
])
def test_csv_structural_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    if needle == "CSV":  # an unclosed quote swallows the rest: one header, no rows
        with pytest.raises(ValidationError):
            read_table(path)
        return
    with pytest.raises(ValidationError, match=needle) as info:
        read_table(path)
    assert str(path) in (info.value.where or "")


def test_csv_field_beyond_the_csv_module_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="CSV") as info:
        read_table(path)
    assert (info.value.where or "").startswith(f"{path} line ")


def test_csv_duplicate_headers_are_named(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("代码,名称,代码,面积,名称\n1,2,3,4,5\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert "“代码”（第 1、3 列）" in info.value.message_zh
    assert "'名称' (columns 2, 5)" in info.value.message_en


def test_tab_separated_utf16_txt(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    path = tmp_path / "export.txt"  # Excel "Unicode text"
    text = parcels_table.to_csv(index=False, sep="\t", lineterminator="\r\n")
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    t = read_table(path)
    assert (t.encoding, t.encoding_assumed) == ("UTF-16", False)
    assert list(t.frame.columns) == list(parcels_table.columns)
    assert t.frame["权利人"].tolist() == parcels_table["权利人"].tolist()


def test_csv_sheet_argument_is_rejected(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="sheet"):
        read_table(write_csv(tmp_path, parcels_table), sheet="Sheet1")


# --------------------------------------------------------------------------- Excel


def test_xlsx_with_chinese_headers_and_typed_cells(tmp_path: Path,
                                                   parcels_table: pd.DataFrame) -> None:
    df = parcels_table.assign(
        比例=[0.35, 0.5, 1.0, 0.125, 0.0],
        时间=[dt.datetime(2024, 1, 2, 8, 30), None, None, None, None],
        是否=[True, False, None, None, None],
        备注=[None, "无", None, None, None],
    )
    path = write_xlsx(tmp_path, df, number_formats={"比例": "0.00%"})
    t = read_table(path)
    assert (t.format, t.source, t.encoding, t.encoding_assumed, t.declared_epsg) == (
        "xlsx", f"{path}:Sheet1", None, False, None)
    assert list(t.frame.columns) == list(df.columns)
    assert t.frame.iloc[0].tolist() == [
        "330282001001GB00001", "慈溪市宗汉街道新兴产业园区1号", "4800", "工业用地",
        "宁波甬江精密制造有限公司", "3", "2019-03-01", "35.00%", "2024-01-02 08:30:00", "TRUE",
        ""]
    assert t.frame["宗地面积"].tolist() == ["4800", "4800.5", "4799.25", "12000", "333.33"]
    assert t.frame["总层数"].tolist() == ["3", "5", "1", "6", "2"]
    assert t.frame["比例"].tolist()[3] == "12.50%"
    assert t.frame["是否"].tolist()[:3] == ["TRUE", "FALSE", ""]
    assert t.row_numbers.tolist() == [2, 3, 4, 5, 6]
    assert all(pd.api.types.is_string_dtype(t.frame[c]) for c in t.frame.columns)


def test_xlsx_sheets(tmp_path: Path, parcels_table: pd.DataFrame) -> None:
    path = write_xlsx(tmp_path, parcels_table, sheet="宗地",
                      extra_sheets={"企业": pd.DataFrame({"企业名称": ["甲"], "信用代码": ["X"]})})
    assert list_layers(path) == ["宗地", "企业"]
    assert len(read_table(path).frame) == 5
    t = read_table(path, sheet="企业")
    assert (t.source, t.frame.to_dict("list")) == (f"{path}:企业",
                                                   {"企业名称": ["甲"], "信用代码": ["X"]})
    assert read_table(path, layer="企业").source == f"{path}:企业"
    with pytest.raises(ValidationError) as info:
        read_table(path, sheet="附表")
    assert "宗地" in info.value.message_zh and "企业" in info.value.message_zh


def test_xlsx_blank_rows_title_rows_and_headerless_data(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["代码", "面积"])
    ws.append(["A", 1])
    ws["A5"] = "B"  # rows 3 and 4 are blank
    ws["B5"] = 2.5
    path = tmp_path / "gaps.xlsx"
    wb.save(path)
    t = read_table(path)
    assert t.frame.to_dict("list") == {"代码": ["A", "B"], "面积": ["1", "2.5"]}
    assert t.row_numbers.tolist() == [2, 5]

    ws["D6"] = "orphan"
    wb.save(path)
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert info.value.where == f"{path}:Sheet row 6"
    assert "第 D 列" in info.value.message_zh

    wb = openpyxl.Workbook()
    wb.active["A2"] = "代码"  # a header below an empty first row
    wb.active["A3"] = "x"
    wb.save(path)
    with pytest.raises(ValidationError, match="表头行"):
        read_table(path)


def test_xlsx_duplicate_headers(tmp_path: Path) -> None:
    df = pd.DataFrame([[1, 2, 3]], columns=["代码", "名称", "代码"])
    path = write_xlsx(tmp_path, df)
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert "“代码”（第 A、C 列）" in info.value.message_zh


def test_xlsx_header_only(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, pd.DataFrame(columns=["代码"]))
    with pytest.raises(ValidationError, match="没有数据行"):
        read_table(path)


def test_old_xls_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ValidationError, match=r"\.xls"):
        read_table(path)


# --------------------------------------------------------------------------- files in general


@pytest.mark.parametrize(("name", "needle"), [
    ("x.xls", ".xlsx"), ("x.dbf", ".shp"), ("x.kml", ".gpkg"), ("noext", "无扩展名"),
])
def test_unsupported_extensions(tmp_path: Path, name: str, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"data")
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert needle in str(info.value) and info.value.where == str(path)


@pytest.mark.parametrize("name", ["x.shp", "x.gpkg", "x.geojson", "x.csv", "x.xlsx", "x.zip"])
def test_missing_and_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(ValidationError, match="不存在"):
        read_table(path)
    with pytest.raises(ValidationError, match="不存在"):
        list_layers(path)
    path.write_bytes(b"")
    with pytest.raises(ValidationError, match="空"):
        read_table(path)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    d = tmp_path / "data.gpkg"
    d.mkdir()
    with pytest.raises(ValidationError, match="文件夹"):
        read_table(d)


def test_error_shape_is_bilingual_with_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bad.gpkg"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ValidationError) as info:
        read_table(path)
    body = info.value.to_dict()
    assert body["where"] == str(path)
    assert body["message_zh"] and body["message_en"] and body["hint_zh"] and body["hint_en"]
    assert "Traceback" not in str(info.value)


# --------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Valid files of each format: name → {file name: bytes} (a shapefile is several)."""
    out: dict[str, dict[str, bytes]] = {}
    g = sample_parcels_4528()
    tab = sample_parcels_table()
    makers = {
        "shapefile": lambda d: write_shapefile(d, g, encoding="GBK", cpg=True),
        "geojson": lambda d: write_geojson(d, g.to_crs(4490)),
        "gpkg": lambda d: write_gpkg(d, g),
        "csv": lambda d: write_csv(d, tab, "gbk"),
        "xlsx": lambda d: write_xlsx(d, tab),
    }
    for fmt, make in makers.items():
        d = tmp_path_factory.mktemp(fmt)
        make(d)
        out[fmt] = {f.name: f.read_bytes() for f in d.iterdir()}
    d = tmp_path_factory.mktemp("zip")
    shp_dir = tmp_path_factory.mktemp("zip-src")
    write_shapefile(shp_dir, g, encoding="GBK", cpg=False)
    out["zip"] = {"parcels.zip": zip_dir(shp_dir, d / "parcels.zip").read_bytes()}
    return out


def _mangle(data: bytes, how: str, cut: float, flips: list[tuple[float, int]],
            junk: bytes) -> bytes:
    if how == "random":
        return junk
    if how == "truncate":
        return data[: int(len(data) * cut)]
    buf = bytearray(data)
    for pos, value in flips:
        if buf:
            buf[int(pos * (len(buf) - 1))] = value
    return bytes(buf)


MAIN_SUFFIXES = (".shp", ".geojson", ".gpkg", ".csv", ".xlsx", ".zip")


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["shapefile", "geojson", "gpkg", "csv", "xlsx", "zip"]),
    part=st.integers(0, 4),
    how=st.sampled_from(["random", "truncate", "flip"]),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), min_size=1,
                   max_size=12),
    junk=st.binary(max_size=2048),
    encoding=st.sampled_from([None, None, "GBK", "UTF-8"]),
)
def test_read_table_never_leaks_a_foreign_exception(
        pristine: dict[str, dict[str, bytes]], fmt: str, part: int, how: str, cut: float,
        flips: list[tuple[float, int]], junk: bytes, encoding: str | None) -> None:
    files = pristine[fmt]
    names = sorted(files)
    victim = names[part % len(names)]
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            content = _mangle(data, how, cut, flips, junk) if name == victim else data
            (Path(tmp) / name).write_bytes(content)
        main = next(Path(tmp) / n for n in names if Path(n).suffix in MAIN_SUFFIXES)
        try:
            layers = list_layers(main)
            table = read_table(main, encoding=encoding if fmt in ("shapefile", "csv") else None)
        except IndspaceError as e:
            assert e.message_zh and e.message_en
            return
    assert isinstance(layers, list)
    assert isinstance(table, RawTable)
    assert len(table.frame) == len(table.row_numbers) > 0
