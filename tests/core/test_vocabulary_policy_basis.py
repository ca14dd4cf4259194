"""Every basis a policy profile may charge a measure on has words (the enterprise page shows
them instead of the code)."""

from __future__ import annotations

from typing import get_args

from indspace.core.policy.evaluation import PolicyMeasure
from indspace.core.vocabulary import label


def test_every_policy_basis_has_words() -> None:
    bases = get_args(PolicyMeasure.model_fields["basis"].annotation)
    assert "land_area_m2" in bases and "none" in bases
    for b in bases:
        for lang in ("zh", "en"):
            assert label("policy_basis", b, lang) != b, (b, lang)
    assert label("policy_basis", "land_area_m2") == "用地面积（m²）"
