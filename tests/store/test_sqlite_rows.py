"""Multi-row inserts: the same rows, in the same order, as row-by-row inserts."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from indspace.store.sqlite_rows import insert_columns


@pytest.mark.parametrize("n", [0, 1, 499, 500, 501, 1234])
@pytest.mark.parametrize("limit", [4, 9, 32766])
def test_rows_land_in_order_with_constants(n: int, limit: int) -> None:
    con = sqlite3.connect(":memory:")
    con.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, k, s)")
    ids = np.arange(1, n + 1, dtype=np.int64)
    a = [None if i % 5 == 0 else f"x'{i}" for i in range(n)]
    b = np.linspace(0, 1, n)
    c = [bytes([i % 256, 0]) for i in range(n)]
    insert_columns(con.cursor(), "t", ["id", "a", "b", "c"], [ids, a, b, c],
                   {"k": 7, "s": "it's"})
    got = con.execute("SELECT id, a, b, c, k, s FROM t ORDER BY rowid").fetchall()
    assert got == [(int(i), x, float(y), z, 7, "it's")
                   for i, x, y, z in zip(ids, a, b, c, strict=True)]
    assert all(type(r[0]) is int and type(r[2]) is float for r in got)


def test_a_constraint_violation_raises_like_a_single_insert() -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (k TEXT UNIQUE)")
    with pytest.raises(sqlite3.IntegrityError):
        insert_columns(con.cursor(), "t", ["k"], [["a", "b", "a"]])


def test_columns_must_match_names() -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a, b)")
    with pytest.raises(ValueError):
        insert_columns(con.cursor(), "t", ["a", "b"], [[1, 2]])
    with pytest.raises(ValueError):
        insert_columns(con.cursor(), "t", ["a", "b"], [[1, 2], [3]])
    with pytest.raises(TypeError):
        insert_columns(con.cursor(), "t", ["a"], [[1]], {"b": 1.5})  # type: ignore[dict-item]


@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_blobs_of_one_length_stay_single_values(kind: type) -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (b BLOB)")
    blobs = [kind(bytes([i % 256, 0, 255])) for i in range(600)]
    insert_columns(con.cursor(), "t", ["b"], [blobs])
    got = [r[0] for r in con.execute("SELECT b FROM t ORDER BY rowid")]
    assert got == [bytes(b) for b in blobs]
