"""Concurrent approvals on PostGIS must not double-spend a district's balance.

Two proposals each fit the balance alone (1 000 m² left after each) but not together. Two
threads, each with its own connection pool, race to approve them: exactly one wins, the other
is refused with BalanceError, and the booked balance stays ≥ 0. Uses the ``pg_url`` fixture,
so a missing PostGIS fails (not skips) when CI=true.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pytest

from indspace.core.engines import ledger as L
from indspace.core.errors import BalanceError
from indspace.services import controlline_ledger as svc
from indspace.store import Store
from indspace.store import controlline as S

from .test_ledger_store import D, at, load, passes, propose, sq


def _race(pg_url: str, ids: list[str], approve: Callable[[Store, str], Any]
          ) -> tuple[list[str], list[BaseException]]:
    barrier = threading.Barrier(len(ids))
    won: list[str] = []
    lost: list[BaseException] = []

    def worker(pid: str) -> None:
        store = Store.open(pg_url)     # own engine, own connection
        try:
            barrier.wait()
            approve(store, pid)
            won.append(pid)
        except BaseException as e:  # collected and asserted below
            lost.append(e)
        finally:
            store.close()

    threads = [threading.Thread(target=worker, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return won, lost


def _setup(pg_url: str) -> tuple[Store, list[str]]:
    store = Store.create(pg_url, overwrite=True)
    load(store)
    passes(store, propose(store, None, sq(100, 0, 130, 100)), 2)   # balance +3 000
    ids = [propose(store, sq(0, 0, 20, 100), None),                 # each out 2 000
           propose(store, sq(20, 0, 40, 100), None)]
    for pid in ids:
        svc.review(store, pid, at=at(3))
    return store, ids


def _check(store: Store, won: list[str], lost: list[BaseException]) -> None:
    assert len(won) == 1, (won, lost)
    assert len(lost) == 1 and isinstance(lost[0], BalanceError), lost
    assert "缺口 1,000.00 m²" in lost[0].message_zh
    balance = svc.ledger(store).balances.set_index("district").loc[D, "balance_m2"]
    assert balance == pytest.approx(1000.0) and balance >= 0
    states = sorted(S.list_proposals(store)["state"])
    assert states == ["approved", "approved", "reviewed"]


def test_concurrent_approvals_cannot_double_spend(pg_url: str) -> None:
    store, ids = _setup(pg_url)
    won, lost = _race(pg_url, ids, lambda s, pid: svc.approve(s, pid, at=at(4)))
    _check(store, won, lost)
    store.close()


def test_balance_is_reread_under_the_lock_even_when_the_first_approval_is_slow(
        pg_url: str) -> None:
    """Both transactions are inside ``approve`` at once: the first holds the district lock
    while it 'thinks' for 0.5 s; the second must wait and then see the new balance."""
    store, ids = _setup(pg_url)
    seen: dict[str, float] = {}

    def slow(s: Store, pid: str) -> Any:
        def plan(row: dict[str, Any], balances: Mapping[str, float]) -> list[L.Booking]:
            seen[pid] = balances.get(D, 0.0)
            time.sleep(0.5)
            return L.plan_bookings(D, area_out_m2=float(row["area_out_m2"]),
                                   area_in_m2=float(row["area_in_m2"]), ratio=1.0,
                                   balances=balances)
        return S.approve(s, pid, at=at(4), actor="t", ratio=1.0, profile_id="ningbo-demo",
                         profile_hash="x", plan=plan)

    won, lost = _race(pg_url, ids, slow)
    _check(store, won, lost)
    assert sorted(seen.values()) == [1000.0, 3000.0]   # the loser saw the winner's booking
    svc.enforce(store, won[0], on=date(2026, 5, 1))
    store.close()
