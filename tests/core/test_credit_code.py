"""Golden, hand-checked cases for the GB 32100-2015 credit-code check (reference-data §2)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indspace.core.errors import ValidationError
from indspace.core.model.credit_code import (
    CHARSET,
    WEIGHTS,
    check_char,
    credit_code_problem,
    is_valid_credit_code,
    org_check_char,
    synthetic_credit_codes,
    validate_credit_code,
)


def test_weights_are_powers_of_three_mod_31() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_worked_example_by_hand() -> None:
    # 91310110666007217T — values × weights (reference-data.md §2 table):
    # 9·1 + 1·3 + 3·9 + 1·27 + 0·19 + 1·26 + 1·16 + 0·17 + 6·20 + 6·29 + 6·25 + 0·13
    # + 0·8 + 7·24 + 2·10 + 1·30 + 7·28
    s = 9 + 3 + 27 + 27 + 0 + 26 + 16 + 0 + 120 + 174 + 150 + 0 + 0 + 168 + 20 + 30 + 196
    assert s == 966
    assert s % 31 == 5  # 31 · 31 = 961, 966 − 961 = 5
    assert CHARSET[31 - 5] == "T"  # value 26 is 'T'
    assert check_char("91310110666007217") == "T"
    assert is_valid_credit_code("91310110666007217T")


def test_second_valid_example() -> None:
    # 914403001922038216: S = 831, 831 mod 31 = 25 (31·26 = 806), 31 − 25 = 6 → '6'
    assert check_char("91440300192203821") == "6"
    assert is_valid_credit_code("914403001922038216")


def test_organisation_code_check_by_hand() -> None:
    # 66600721: 6·3 + 6·7 + 6·9 + 0·10 + 0·5 + 7·8 + 2·4 + 1·2 = 18+42+54+0+0+56+8+2 = 180
    # 180 mod 11 = 4, 11 − 4 = 7
    assert org_check_char("66600721") == "7"


@pytest.mark.parametrize(("code", "problem"), [
    ("91310110666007217Y", "check"),   # T expected
    ("914403001922038217", "check"),   # 6 expected
    ("91310110666OO7217T", "format"),  # letter O is outside the character set
    ("9131011066600721", "length"),
    ("91ABCDEF666007217T", "format"),  # positions 3–8 must be digits
])
def test_invalid_codes(code: str, problem: str) -> None:
    assert credit_code_problem(code) == problem
    assert not is_valid_credit_code(code)
    with pytest.raises(ValidationError) as err:
        validate_credit_code(code, where="enterprises.csv row 7, field credit_code")
    assert "enterprises.csv row 7" in str(err.value)
    assert "/" in str(err.value)  # Chinese / English


def test_normalisation_of_spaces_and_case() -> None:
    assert validate_credit_code(" 91310110666007217t ") == "91310110666007217T"


@given(st.text(alphabet=CHARSET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit()))
def test_every_body_has_exactly_one_valid_check(first17: str) -> None:
    valid = [c for c in CHARSET if is_valid_credit_code(first17 + c)]
    assert valid == [check_char(first17)]


def test_synthetic_codes_are_valid_and_deterministic() -> None:
    admin = np.array(["330212", "330203", "330282"] * 100)
    a = synthetic_credit_codes(admin, np.random.default_rng(7))
    b = synthetic_credit_codes(admin, np.random.default_rng(7))
    assert list(a) == list(b)
    assert all(is_valid_credit_code(c) for c in a)
    assert all(c[2:8] == d for c, d in zip(a, admin, strict=True))


@given(st.lists(st.one_of(
    st.text(alphabet=CHARSET + "IOZSV io ", min_size=0, max_size=20),
    st.text(alphabet=CHARSET, min_size=17, max_size=17).map(lambda s: s + check_char(s))
    .filter(lambda s: s[2:8].isdigit()),
    st.text(min_size=18, max_size=18)), max_size=30))
def test_vectorised_check_agrees_with_the_scalar_one(codes: list[str]) -> None:
    from indspace.core.model.credit_code import credit_code_problems

    assert credit_code_problems(codes).tolist() == [credit_code_problem(c) for c in codes]
