from datetime import date

import pytest

from indspace.core.errors import PolicyError
from indspace.core.policy import bundled_profiles, load_profile, parse_profile

TWO_DATES = """
id: t
version: "1"
jurisdiction: test
parameters:
  electricity_surcharge_d:
    unit: 元/kWh
    description: D 类差别化电价
    values:
      2020-01-01: {value: 0.3, source: 海宁 2020}
      2025-01-01: {value: 0.4, source: 海宁 2025}
      2026-01-01: {value: null, source: 废止}
"""


def test_value_holds_until_next_date() -> None:
    p = parse_profile(TWO_DATES, "t.yaml")
    assert p.value("electricity_surcharge_d", date(2020, 1, 1)) == 0.3
    assert p.value("electricity_surcharge_d", date(2024, 12, 31)) == 0.3
    assert p.value("electricity_surcharge_d", date(2025, 1, 1)) == 0.4
    assert p.value("electricity_surcharge_d", date(2026, 6, 1)) is None  # rule ended


def test_no_value_before_first_date_is_an_error() -> None:
    p = parse_profile(TWO_DATES, "t.yaml")
    with pytest.raises(PolicyError, match="2019-12-31"):
        p.value("electricity_surcharge_d", date(2019, 12, 31))


def test_bad_profile_names_file_and_key() -> None:
    bad = TWO_DATES.replace("    unit: 元/kWh\n", "")
    with pytest.raises(PolicyError) as err:
        parse_profile(bad, "bad.yaml")
    assert "bad.yaml" in str(err.value) and "unit" in str(err.value)


def test_bundled_profiles_load_and_hash_is_stable() -> None:
    profiles = bundled_profiles()
    assert "ningbo-demo" in profiles
    assert load_profile("ningbo-demo").content_hash == profiles["ningbo-demo"].content_hash
    with pytest.raises(PolicyError):
        load_profile("nowhere")
