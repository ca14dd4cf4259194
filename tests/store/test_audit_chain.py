"""The audit log can be trusted (issue #15): entries carry the time they were written and
the effective time apart, are hash-chained, and ``indspace audit verify`` finds a removed or
edited entry — on both backends, with concurrent writers that never fork the chain."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, date, datetime

import sqlalchemy as sa

from indspace.services.accounts import create_user
from indspace.services.audit import verify_chain
from indspace.store import Store
from indspace.store.audit import GENESIS, entry_hash

EFFECTIVE = datetime(2026, 1, 1, 16, 0, tzinfo=UTC)


def _fill(store: Store, n: int = 4) -> None:
    for i in range(n):
        store.set_meta({f"k{i}": "v"})  # not audited; accounts are
        create_user(store, f"user{i}", "long-enough", "city_admin", now=EFFECTIVE)


def test_chain_verifies_and_finds_an_edit_and_a_removal(db_url: str) -> None:
    store = Store.create(db_url, overwrite=True)
    before = datetime.now(UTC)
    _fill(store)
    log = store.audit_log()
    assert len(log) == 4
    # the entry's time is when it was written; the effective time is its own field
    assert (log["at"] >= before.replace(microsecond=0)).all()
    assert log["prev_hash"].iloc[0] == GENESIS
    assert (log["prev_hash"].iloc[1:].to_numpy() == log["entry_hash"].iloc[:-1].to_numpy()).all()
    first = log.iloc[0].to_dict()
    assert first["entry_hash"] == entry_hash(first, GENESIS)  # recomputable
    assert verify_chain(store)["ok"] is True and verify_chain(store)["checked"] == 4

    t = store.table("audit_log")
    with store.engine.begin() as conn:  # an insider edits #2
        conn.execute(sa.update(t).where(t.c.fid == int(log["fid"].iloc[1])).values(actor="mallory"))
    report = verify_chain(store)
    assert not report["ok"] and report["first_bad"]["seq"] == int(log["fid"].iloc[1])
    assert report["first_bad"]["problem"] == "hash" and "被修改" in report["message_zh"]
    with store.engine.begin() as conn:  # …then deletes it
        conn.execute(sa.delete(t).where(t.c.fid == int(log["fid"].iloc[1])))
    report = verify_chain(store)
    assert not report["ok"] and report["first_bad"]["seq"] == int(log["fid"].iloc[2])
    assert report["first_bad"]["problem"] == "link" and "removed" in report["message_en"]
    store.close()


def test_cli_verify_exit_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "a.gpkg"
    store = Store.create(db)
    _fill(store, 2)
    run = [sys.executable, "-m", "indspace", "audit", "verify", "--db", str(db)]
    ok = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "2 entries" in ok.stdout + ok.stderr
    t = store.table("audit_log")
    with store.engine.begin() as conn:
        conn.execute(sa.delete(t).where(t.c.fid == 1))
    bad = subprocess.run(run, capture_output=True, text=True, timeout=120)
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1 and "审计日志校验失败" in out and "#2" in out


def test_concurrent_writers_do_not_fork_the_chain(db_url: str) -> None:
    store = Store.create(db_url, overwrite=True)

    def writer(w: int) -> None:
        for i in range(5):
            create_user(store, f"w{w}-{i}", "long-enough", "auditor", now=EFFECTIVE)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    log = store.audit_log()
    assert len(log) == 15 and log["prev_hash"].is_unique  # no two entries on one parent
    assert verify_chain(store)["ok"]
    store.close()


def test_enforce_entry_time_is_not_the_effective_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An enforcement dated 2026-01-02 is written now; the date goes to effective_at."""
    from indspace.core.clock import start_of_day
    from indspace.services import controlline_ledger as svc
    from tests.ledger.test_ledger_store import at, load, passes, propose, sq

    store = Store.create(tmp_path / "l.gpkg")
    load(store)
    pid = propose(store, sq(0, 0, 20, 100), sq(100, 0, 120, 100))
    passes(store, pid, 2)
    written = datetime.now(UTC)
    svc.enforce(store, pid, on=date(2026, 3, 2), actor="t")
    log = store.audit_log()
    row = log[log["action"] == "enforce"].iloc[-1]
    # the effective time is the start of that day in the store's time zone (core.clock)
    assert row["effective_at"] == start_of_day(date(2026, 3, 2), store.tz)
    assert row["at"] >= written.replace(microsecond=0)
    assert (log["at"].diff().dropna() >= 0 * log["at"].diff().dropna()).all()  # in order
    assert at(1) < row["effective_at"]
