"""The vocabulary (issue #16: words, not codes) agrees with the labels the engines write and
covers every code of the stored choices, in both languages."""

from __future__ import annotations

from indspace.core import vocabulary as v
from indspace.core.engines import ledger, mujun
from indspace.core.model.entities import RIGHT_TYPES, SCALES


def test_engine_labels_agree_with_the_vocabulary() -> None:
    for group, engine in (
        ("status", mujun.STATUS_LABELS),
        ("reason", mujun.REASON_LABELS),
        ("proposal_state", ledger.STATE_LABELS),
        ("ledger_direction", ledger.KIND_LABELS),
        ("constraint", ledger.CONSTRAINT_LABELS),
    ):
        assert {c: v.label(group, c) for c in engine} == engine, group


def test_every_choice_has_both_labels() -> None:
    for group, codes in (
        ("scale", SCALES),
        ("right_type", RIGHT_TYPES),
        ("proposal_state", ledger.STATES),
    ):
        for code in codes:
            zh, en = v.label(group, code, "zh"), v.label(group, code, "en")
            assert zh != code and en and zh != en, (group, code)


def test_unknown_and_missing_codes() -> None:
    assert v.label("chain", "361-2025:fashion_consumer") == "时尚消费品"
    assert v.label("chain", "361-2025:fashion_consumer", "en") == "fashion consumer goods"
    assert v.label("chain", "other:x") == "other:x"  # shown as itself, never an error
    assert v.label("chain", None) == "" and v.label("chain", float("nan")) == ""
    zh, en = v.labels("zh"), v.labels("en")
    assert set(zh) == set(en) and zh["ledger_direction"]["in"] == "补划"


def test_land_use_codes_have_labels() -> None:
    """用地分类 (reference-data §1): every class the demo writes and the industrial and
    warehousing classes of the 用地用海分类, in both languages; the map's parcel panel shows
    ``word('land_use', code)``."""
    demo = ("100101", "100102", "100103", "110101", "110102")
    for code in (*demo, "1001", "110103", "1101", "M1", "W3", "1001M0"):
        zh, en = v.label("land_use", code, "zh"), v.label("land_use", code, "en")
        assert zh != code and en and zh != en, code
    assert v.label("land_use", "100102") == "二类工业用地"
    assert v.label("land_use", "100102", "en").startswith("class 2 industrial land")
    assert v.labels("en")["land_use"]["1001"] == "industrial land"
    assert v.label("land_use", "0601") == "0601"  # GB/T 21010: not read as 用地用海
