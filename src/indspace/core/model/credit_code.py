"""统一社会信用代码 (unified social credit code, GB 32100-2015) validation and generation.

Structure (18 characters, shared/domain/reference-data.md §2): registration authority (1),
entity category (1), GB/T 2260 administrative code (6), GB 11714 organisation code (9, its own
check character last), check character (1). Character set (values 0–30):
``0123456789ABCDEFGHJKLMNPQRTUWXY`` — I, O, Z, S and V never occur.

Check character (GB 32100-2015 §5.2): W_i = 3^(i−1) mod 31 for positions 1–17,
S = Σ value_i × W_i, check value = (31 − S mod 31) mod 31.

>>> is_valid_credit_code("91310110666007217T")
True
>>> is_valid_credit_code("91310110666007217Y")
False
>>> credit_code_problem("91310110666OO7217T")
'format'
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from indspace.core.errors import ValidationError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
"""1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 (GB 32100-2015)."""
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714 organisation-code weights for its first 8 characters."""

Problem = Literal["length", "format", "check"]


def normalise(code: str) -> str:
    """Upper-case and strip all white space (input from forms often has both)."""
    return "".join(str(code).split()).upper()


def check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters.

    >>> check_char("91310110666007217")
    'T'
    >>> check_char("91440300192203821")
    '6'
    """
    s = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - s % 31) % 31]


def org_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code (digits as values, A = 10 … Z = 35).

    >>> org_check_char("66600721")
    '7'
    """
    s = sum(int(c, 36) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    c = 11 - s % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def credit_code_problem(code: str) -> Problem | None:
    """Return what is wrong with a code (``"length"``, ``"format"``, ``"check"``) or None."""
    code = normalise(code)
    if len(code) != 18:
        return "length"
    if any(c not in _VALUE for c in code) or not code[2:8].isdigit():
        return "format"
    if check_char(code[:17]) != code[17]:
        return "check"
    return None


_LUT = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(CHARSET):
    _LUT[ord(_c)] = _i
_W = np.array(WEIGHTS, dtype=np.int64)


def credit_code_problems(codes: np.ndarray | list[str]) -> np.ndarray:
    """Vectorised :func:`credit_code_problem`: an object array of None / "length" /
    "format" / "check", one per code (codes are normalised first, as the scalar one does).

    >>> credit_code_problems(["91310110666007217T", "91310110666007217Y", "9131"]).tolist()
    [None, 'check', 'length']
    """
    norm = ["".join(str(c).split()).upper() for c in codes]
    out = np.full(len(norm), None, dtype=object)
    lengths = np.fromiter((len(c) for c in norm), dtype=np.int64, count=len(norm))
    out[lengths != 18] = "length"
    idx = np.flatnonzero(lengths == 18)
    if len(idx):
        points = np.array([norm[i] for i in idx], dtype="U18").view(np.uint32).reshape(-1, 18)
        vals = np.where(points < 128, _LUT[np.minimum(points, 127)], -1)
        digits = ((points[:, 2:8] >= 48) & (points[:, 2:8] <= 57)).all(axis=1)
        fmt_ok = (vals >= 0).all(axis=1) & digits
        check = (31 - (vals[:, :17] * _W).sum(axis=1) % 31) % 31
        res = np.full(len(idx), None, dtype=object)
        res[fmt_ok & (check != vals[:, 17])] = "check"
        res[~fmt_ok] = "format"
        out[idx] = res
    return out


def is_valid_credit_code(code: str) -> bool:
    """True when the code has 18 characters of the right set and a correct check character."""
    return credit_code_problem(code) is None


def validate_credit_code(code: str, *, where: str | None = None) -> str:
    """Return the normalised code or raise a bilingual :class:`ValidationError`."""
    norm = normalise(code)
    problem = credit_code_problem(norm)
    if problem is None:
        return norm
    if problem == "length":
        zh, en = (f"统一社会信用代码应为18位，实为{len(norm)}位：{code!r}",
                  f"credit code must have 18 characters, found {len(norm)}: {code!r}")
    elif problem == "format":
        zh, en = (f"统一社会信用代码含非法字符（不得含 I、O、Z、S、V，第3–8位须为数字）：{code!r}",
                  f"credit code has characters outside the GB 32100 set "
                  f"(no I, O, Z, S, V; positions 3–8 digits): {code!r}")
    else:
        zh, en = (f"统一社会信用代码校验位错误，应为 {check_char(norm[:17])}：{code!r}",
                  f"credit code check character is wrong, expected "
                  f"{check_char(norm[:17])}: {code!r}")
    raise ValidationError(zh, en, where=where, hint_zh="请核对营业执照上的代码",
                          hint_en="copy it from the business licence")


def synthetic_credit_codes(admin_codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Generate valid, unique-looking synthetic codes, one per element of ``admin_codes``.

    Layout (shared/domain/synthetic-data.md §7): ``91`` + 6-digit admin code + 8 random
    characters from the organisation-code alphabet + their GB 11714 check + the GB 32100
    check. Deterministic for a seeded ``rng``. Callers flag the records ``is_synthetic``.
    """
    org_alphabet = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    body = rng.choice(org_alphabet, size=(len(admin_codes), 8))
    out = []
    for admin, chars in zip(admin_codes, body, strict=True):
        org8 = "".join(chars)
        first17 = f"91{admin}{org8}{org_check_char(org8)}"
        out.append(first17 + check_char(first17))
    return np.array(out, dtype=object)
