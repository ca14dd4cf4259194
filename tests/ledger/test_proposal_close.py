"""Rejecting and withdrawing control-line proposals (issue #16 item 5) on both backends:
the allowed transitions, the illegal ones refused with a bilingual error, history kept
(the row, its areas, the audit log), nothing booked; and a proposal's map and ledger effect.
"""

from __future__ import annotations

import pytest

from indspace.core.access import Principal
from indspace.core.errors import ForbiddenError, ProposalStateError
from indspace.services import adjustments
from indspace.services import controlline_ledger as svc
from indspace.store import Store
from indspace.store import controlline as S
from tests.ledger.test_ledger_store import D, at, propose, sq, store  # noqa: F401

ADMIN = Principal("admin", "city_admin")
OFFICER = Principal("officer", "district_officer", district=D)
OTHER = Principal("officer-b", "district_officer", district=D)


def test_reject_and_withdraw_from_draft_or_reviewed(store: Store) -> None:  # noqa: F811
    a = propose(store, None, sq(1000, 0, 1100, 100))
    svc.reject(store, a, actor="reviewer", note="补划地块不连片", at=at(2))
    row = S.get_proposal(store, a)
    assert (row["state"], row["closed_by"], row["close_note"]) == (
        "rejected",
        "reviewer",
        "补划地块不连片",
    )
    b = propose(store, None, sq(1000, 200, 1100, 300))
    svc.review(store, b, actor="reviewer", at=at(2))
    svc.withdraw(store, b, actor="officer", note="方案调整后重报", at=at(3))
    assert S.get_proposal(store, b)["state"] == "withdrawn"
    # history: the areas stay, the audit log holds both closings, nothing was booked
    assert len(S.proposal_areas(store, a)) == 1 and len(S.proposal_areas(store, b)) == 1
    log = store.audit_log()
    assert {"reject", "withdraw"} <= set(log["action"])
    assert S.read_ledger(store).empty
    assert set(svc.proposals(store, "rejected")["proposal_id"]) == {a}


def test_illegal_transitions_are_refused(store: Store) -> None:  # noqa: F811
    a = propose(store, None, sq(1000, 0, 1100, 100))
    svc.reject(store, a, actor="reviewer", at=at(2))
    for step in (
        lambda: svc.review(store, a, actor="r", at=at(3)),
        lambda: svc.withdraw(store, a, actor="o", at=at(3)),
        lambda: svc.reject(store, a, actor="r", at=at(3)),
    ):
        with pytest.raises(ProposalStateError) as e:
            step()
        assert "已驳回" in e.value.message_zh and "rejected" in e.value.message_en
    b = propose(store, None, sq(1000, 200, 1100, 300))
    svc.review(store, b, actor="r", at=at(2))
    svc.approve(store, b, actor="r", at=at(3))
    with pytest.raises(ProposalStateError, match=r"台账|ledger"):  # already booked
        svc.reject(store, b, actor="r", at=at(4))
    with pytest.raises(ProposalStateError):
        svc.withdraw(store, b, actor="r", at=at(4))
    assert S.get_proposal(store, b)["state"] == "approved"


def test_only_the_proposer_withdraws_and_the_map_shows_the_effect(store: Store) -> None:  # noqa: F811
    # 100 m × 100 m in = 10 000 m² = 15 亩; nothing out: effect +10 000 m², balance 0 → 10 000
    a = propose(store, None, sq(1000, 0, 1100, 100))
    S.get_proposal(store, a)
    m = adjustments.proposal_map(store, a, who=ADMIN)
    e = m["effect"]
    assert (e["area_in_m2"], e["area_out_m2"], e["obligation_m2"]) == (10000.0, 0.0, 0.0)
    assert (e["balance_m2"], e["balance_after_m2"], e["area_in_mu"]) == (0.0, 10000.0, 15.0)
    feats = m["areas"]["features"]
    assert [f["properties"]["direction"] for f in feats] == ["in"]
    lon, lat = feats[0]["geometry"]["coordinates"][0][0][0]
    assert 100 < lon < 125 and 20 < lat < 40  # EPSG:4326 for the web map
    etag = adjustments.proposal(store, a, who=ADMIN)["etag"]
    with pytest.raises(ForbiddenError):  # the proposal was filed by "t", not this officer
        adjustments.act(store, a, "withdraw", who=OTHER, if_match=etag)
    out = adjustments.act(store, a, "reject", who=OFFICER, if_match=etag, note="不连片")
    assert out["state"] == "rejected" and out["close_note"] == "不连片"
    assert adjustments.proposal_map(store, a, who=ADMIN)["effect"]["balance_after_m2"] == 0.0
