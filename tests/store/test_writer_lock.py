"""One writer at a time per store (issue #15): a second import waits for the first and then
succeeds — both import records written — instead of failing with ``database is locked``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from indspace.core.errors import StoreError
from indspace.services.importing import import_file
from indspace.store import Store
from tests.cli.conftest import INDSPACE

C1, C2, C3 = "91310110666007217T", "914403001922038216", "91330212MA2H7K1C31"
HEADER = "统一社会信用代码,企业名称,所在区县,行业代码,企业规模\n"


def firms_csv(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def import_runs(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM import_runs")).scalar_one())


def _start(db: Path, csv: Path, tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *INDSPACE,
            "import",
            "enterprises",
            str(csv),
            "--db",
            str(db),
            "--report-dir",
            str(tmp_path / "reports"),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _until_waiting(proc: subprocess.Popen[str]) -> str:
    """stderr of ``proc`` up to its 'waiting for another import' line (or to its end)."""
    seen = ""
    assert proc.stderr is not None
    for line in proc.stderr:
        seen += line
        if "waiting for it to finish" in line:
            break
    return seen


def test_two_cli_imports_under_reader_load_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "store.gpkg"
    Store.create(db).close()
    a = firms_csv(
        tmp_path / "a.csv", f"{C1},甲公司,330212,3481,规上", f"{C2},乙公司,330203,3481,规下"
    )
    b = firms_csv(tmp_path / "b.csv", f"{C3},丙公司,330205,3481,规上")
    stop = threading.Event()
    reads: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:  # the load under which the second import used to fail
        con = sqlite3.connect(db, timeout=60)
        try:
            while not stop.is_set():
                reads.append(con.execute("SELECT count(*) FROM enterprises").fetchone()[0])
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            con.close()

    t = threading.Thread(target=reader)
    t.start()
    holder = Store.open(db)
    try:
        with holder.writer():  # a writer is busy: both imports must wait for it
            first, second = _start(db, a, tmp_path), _start(db, b, tmp_path)
            told = [_until_waiting(first), _until_waiting(second)]
        outs = [p.communicate(timeout=600) for p in (first, second)]
    finally:
        stop.set()
        t.join()
    for msg in told:
        assert "另一个导入正在写入" in msg and "waiting for it to finish" in msg
    for p, (_out, err) in zip((first, second), outs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "database is locked" not in err
    assert not errors and reads
    assert import_runs(holder) == 2
    assert sorted(holder.read_frame("enterprises").credit_code) == sorted([C1, C2, C3])
    holder.close()


def test_a_wait_that_runs_out_is_a_bilingual_error_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "store.gpkg"
    Store.create(db).close()
    a = firms_csv(tmp_path / "a.csv", f"{C1},甲公司,330212,3481,规上")
    holder = Store.open(db)
    with holder.writer():
        proc = _start(db, a, tmp_path, INDSPACE_WRITE_WAIT_S="0.5")
        out, err = proc.communicate(timeout=600)
    assert proc.returncode == 2
    assert "Traceback" not in err + out
    body = out + err
    assert "另一个导入" in body and "another import" in body and "INDSPACE_WRITE_WAIT_S" in body
    assert import_runs(holder) == 0  # nothing ran, nothing half-written
    holder.close()


def test_the_writer_lock_serialises_imports_on_both_backends(db_url: str, tmp_path: Path) -> None:
    Store.create(db_url).close()
    a = firms_csv(tmp_path / "a.csv", f"{C1},甲公司,330212,3481,规上")
    holder, other = Store.open(db_url), Store.open(db_url, write_wait_s=0.3)
    heard: list[str] = []
    with holder.writer():
        with pytest.raises(StoreError) as info:
            import_file(other, "enterprises", a, report_dir=tmp_path, on_wait=heard.append)
        assert "another import" in info.value.message_en and info.value.message_zh
        assert len(heard) == 1 and "waiting" in heard[0]
    assert import_runs(holder) == 0
    res = import_file(other, "enterprises", a, report_dir=tmp_path)  # the lock is free again
    assert (res.status, res.inserted) == ("committed", 1)
    assert import_runs(holder) == 1
    holder.close()
    other.close()
