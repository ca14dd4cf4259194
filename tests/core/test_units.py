"""亩 / m² conversions, worked by hand (1 亩 = 60 平方丈 = 2000/3 m²)."""

import numpy as np
import pytest

from indspace.core.model.units import M2_PER_MU, hectare_to_m2, m2_to_mu, mu_to_m2, yuan_to_wan


def test_one_mu_is_two_thousand_thirds_m2() -> None:
    assert pytest.approx(666.6666666667, abs=1e-9) == M2_PER_MU
    assert m2_to_mu(2000.0) == 3.0  # 2000 m² · 3/2000 = 3 亩
    assert mu_to_m2(3.0) == 2000.0


def test_hectare_is_fifteen_mu() -> None:
    assert m2_to_mu(hectare_to_m2(1.0)) == pytest.approx(15.0)  # 10 000 · 3/2000 = 15
    assert m2_to_mu(1_000_000.0) == pytest.approx(1500.0)  # 1 km² = 1 500 亩


def test_mean_parcel_of_32_mu() -> None:
    # synthetic-data §3: mean 规上 parcel ≈ 32 亩 = 32 · 2000/3 = 21 333.33 m²
    assert mu_to_m2(32.0) == pytest.approx(21333.3333, abs=1e-4)


def test_vectorised_round_trip() -> None:
    a = np.array([0.0, 1.0, 666.6666666666666, 1e7])
    np.testing.assert_allclose(mu_to_m2(m2_to_mu(a)), a, rtol=1e-15)


def test_money() -> None:
    assert yuan_to_wan(2_500_000.0) == 250.0  # 250 万元
    # 43.2 万元/亩 ×15 = 648 万元/公顷 ÷ 10 000 m² → 648 元/m²
    assert 43.2 * 15 * 10_000 / hectare_to_m2(1.0) == pytest.approx(648.0)
