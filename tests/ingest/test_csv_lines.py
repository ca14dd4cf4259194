"""CSV read one physical line at a time (issue #15): a broken line is refused with its line
number and never swallows the lines after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indspace.core.errors import ValidationError
from indspace.ingest.readers import MAX_COLUMNS, read_table

C1, C2, C3 = "91310110666007217T", "914403001922038216", "91330212MA2H7K1C31"
HEADER = "统一社会信用代码,企业名称,所在区县,行业代码,企业规模"
GOOD2 = f"{C2},乙公司,330203,3481,规上\n"


def write(tmp_path: Path, text: str | bytes, name: str = "firms.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def rejected(t) -> list[list]:  # type: ignore[no-untyped-def]
    return t.rejected[["source_row", "code"]].values.tolist()


def test_an_unclosed_quote_refuses_its_line_only(tmp_path: Path) -> None:
    # line 3 opens a quote that never closes: before issue #15 it swallowed lines 4-5 into
    # one name and the last row vanished
    path = write(
        tmp_path,
        f"{HEADER}\n{C1},甲公司,330212,3481,规上\n"
        f'{C2},"乙公司,330203,3481,规上\n'
        f"{C3},丙公司,330205,3481,规下\n"
        f'91330200MA2AAAAA1K,"丁公司",330206,3481,规下\n',
    )
    t = read_table(path)
    assert t.frame["企业名称"].tolist() == ["甲公司", "丙公司", "丁公司"]
    assert t.row_numbers.tolist() == [2, 4, 5]
    assert rejected(t) == [[3, "E127"]]
    assert "第 3 行" in t.rejected["message_zh"].iloc[0]
    assert "line 3" in t.rejected["message_en"].iloc[0]
    # every physical line is accounted for: header + 3 rows + 1 refused line
    assert (t.physical_lines, t.rejected_lines, t.blank_lines) == (5, 1, 0)


def test_a_cell_spanning_lines_is_refused_with_all_its_lines(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\n{C1},"甲\n公司",330212,3481,规上\n{C2},乙公司,330203,,\n')
    t = read_table(path)
    assert t.frame["企业名称"].tolist() == ["乙公司"]
    assert t.row_numbers.tolist() == [4]
    assert rejected(t) == [[2, "E127"]]
    assert "2–3" in t.rejected["message_en"].iloc[0]
    assert t.physical_lines == 1 + len(t.frame) + t.rejected_lines == 4


def test_a_line_with_another_delimiter_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{C1};甲公司;330212;3481;规上\n" + GOOD2)
    t = read_table(path)
    assert t.frame["企业名称"].tolist() == ["乙公司"]
    assert rejected(t) == [[2, "E128"]]
    assert "分号" in t.rejected["message_zh"].iloc[0]


def test_an_unquoted_comma_in_a_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{C1},甲,有限公司,330212,3481,规上\n" + GOOD2)
    t = read_table(path)
    assert t.frame["企业名称"].tolist() == ["乙公司"]
    assert rejected(t) == [[2, "E128"]]


def test_nul_bytes_refuse_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{C1},甲\x00公司,330212,3481,规上\n" + GOOD2)
    t = read_table(path)
    assert t.frame["企业名称"].tolist() == ["乙公司"]
    assert rejected(t) == [[2, "E129"]]
    assert "NUL" in t.rejected["message_en"].iloc[0]


def test_a_gbk_line_in_a_utf8_file_is_refused_not_garbled(tmp_path: Path) -> None:
    data = (
        f"{HEADER}\n{C1},甲公司,330212,3481,规上\n".encode()
        + f"{C2},乙公司,330203,3481,规上\n".encode("gbk")
        + f"{C3},丙公司,330205,3481,规下\n".encode()
    )
    t = read_table(write(tmp_path, data))
    assert t.encoding == "UTF-8"
    assert t.frame["企业名称"].tolist() == ["甲公司", "丙公司"]
    assert rejected(t) == [[3, "E129"]]
    assert "GB18030" in t.rejected["message_en"].iloc[0]
    assert any("UTF-8" in n and "GBK" in n for n in t.notes)


def test_a_utf8_line_in_a_gbk_file_is_refused(tmp_path: Path) -> None:
    data = (
        f"{HEADER}\n{C1},甲公司,330212,3481,规上\n".encode("gbk")
        + f"{C2},乙公司,330203,3481,规上\n".encode("gbk")
        + f"{C3},丙公司,330205,3481,规下\n".encode()
    )
    t = read_table(write(tmp_path, data))
    assert t.encoding == "GB18030"
    assert t.frame["企业名称"].tolist() == ["甲公司", "乙公司"]
    assert rejected(t) == [[4, "E129"]]


def test_a_million_columns_are_refused_from_the_header(tmp_path: Path) -> None:
    n = 1_000_000
    header = ",".join(["统一社会信用代码", "企业名称", *(f"c{j}" for j in range(n - 2))])
    path = write(tmp_path, header + "\n" + ",".join(["1"] * n) + "\n")
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert "列数过多" in info.value.message_zh and "too many columns" in info.value.message_en
    assert f"{n:,}" in info.value.message_en and f"{MAX_COLUMNS:,}" in info.value.message_en
    assert info.value.where == f"{path} line 1"


def test_the_column_limit_itself_is_accepted(tmp_path: Path) -> None:
    header = ",".join(f"c{j}" for j in range(MAX_COLUMNS))
    t = read_table(write(tmp_path, header + "\n" + ",".join(["1"] * MAX_COLUMNS) + "\n"))
    assert t.frame.shape == (1, MAX_COLUMNS)
    path = write(tmp_path, header + ",one_more\n1\n")
    with pytest.raises(ValidationError, match="too many columns"):
        read_table(path)


def test_only_broken_lines_name_the_first_one(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\n{C1},"甲公司,330212,3481,规上\n')
    with pytest.raises(ValidationError) as info:
        read_table(path)
    assert info.value.where == f"{path} line 2"
    assert "引号" in info.value.message_zh
