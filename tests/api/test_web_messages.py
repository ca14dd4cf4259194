"""Web messages never give command-line advice (issue #16): an upload whose bytes are not
UTF-8 is refused with advice a web user can follow, not "pass --encoding"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indspace.core.access import Principal
from indspace.core.errors import IndspaceError
from indspace.services.uploads import upload, web_text
from indspace.store import Store

pytestmark = pytest.mark.xdist_group("small_demo")


def test_cli_advice_is_rewritten_for_the_web() -> None:
    assert web_text("请另存为 UTF-8 编码，或用 --encoding 指定编码") == "请另存为 UTF-8 编码"
    assert web_text("save it as UTF-8, or pass --encoding") == "save it as UTF-8"
    assert (
        web_text("请用 --encoding 指定编码（如 GBK、UTF-8、BIG5）")
        == "请将文件另存为 UTF-8 编码后重新上传"
    )
    assert (
        web_text("pass --encoding (e.g. GBK, UTF-8, BIG5)")
        == "save the file as UTF-8 and upload it again"
    )


def test_an_unreadable_upload_gives_no_cli_flag(small_demo: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.gpkg"
    shutil.copy(small_demo, db)
    store = Store.open(db)
    data = "统一社会信用代码,企业名称\n".encode() + b"91330203MA2AAAAA0X,\x80\x80\xff\xfe\x80\n"
    with pytest.raises(IndspaceError) as caught:
        upload(store, "enterprises", "firms.csv", data, who=Principal("admin", "city_admin"))
    body = caught.value.to_dict()
    text = " ".join(str(v) for v in body.values())
    assert "UTF-8" in (body["hint_zh"] or "") and "--encoding" not in text
