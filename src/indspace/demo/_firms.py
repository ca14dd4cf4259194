"""Synthetic enterprise attributes: credit codes, names, industries, "361" chains."""

from __future__ import annotations

import numpy as np

from indspace.core.model.credit_code import synthetic_credit_codes
from indspace.demo import _vocab as V


def _duplicates(values: np.ndarray) -> np.ndarray:
    """Mask of every occurrence after the first of a repeated value."""
    _, first = np.unique(values, return_index=True)
    dup = np.ones(len(values), dtype=bool)
    dup[first] = False
    return dup


def credit_codes(admin_code: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` valid, unique synthetic USCCs registered in ``admin_code`` (synthetic-data §7).

    Codes embed the district code, so codes of different districts never collide; within a
    district, repeats (≈ n² / 10¹² of a chance) are redrawn deterministically.
    """
    codes = np.asarray(synthetic_credit_codes(np.full(n, admin_code), rng)).astype(str)
    for _ in range(20):
        dup = _duplicates(codes)
        if not dup.any():
            return codes
        codes[dup] = np.asarray(
            synthetic_credit_codes(np.full(int(dup.sum()), admin_code), rng)).astype(str)
    raise RuntimeError("could not draw unique credit codes")


def industries(n: int, petrochem_district: bool, large_firm: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Industry index per firm; petrochemical classes ×3 likelier in chemical districts and
    certain for large-site firms."""
    w = V.IND_WEIGHT * np.where(V.IND_PETROCHEM & petrochem_district, 3.0, 1.0)
    ind = rng.choice(len(w), size=n, p=w / w.sum())
    pw = np.where(V.IND_PETROCHEM, V.IND_WEIGHT, 0.0)
    ind[large_firm] = rng.choice(len(pw), size=int(large_firm.sum()), p=pw / pw.sum())
    return ind


def chains(industry: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``361-2025:<chain>`` tags: 80 % of firms in a mapped class, 3 % of electronics and
    instrument firms in the future-industries group; the rest untagged (None)."""
    n = len(industry)
    key = V.IND_CHAIN[industry].astype(object)
    div = np.array([int(c[:2]) for c in V.IND_CODE])[industry]
    key[(div >= 39) & (div <= 40) & (rng.random(n) < 0.03)] = "future_industries"
    tagged = (key != "") & (rng.random(n) < 0.8)
    out = np.full(n, None, dtype=object)
    out[tagged] = np.char.add(f"{V.CHAIN_SYSTEM}:", key[tagged].astype(str)).astype(object)
    return out


def firm_names(admin_code: str, district_name: str, industry: np.ndarray, above: np.ndarray,
               slot: int, n_slots: int, rng: np.random.Generator) -> np.ndarray:
    """Unique Chinese synthetic names: city + (district, 40 %) + 字号 + 行业词 + 有限公司.

    Names are unique city-wide, as a registration authority requires: district ``slot`` of
    ``n_slots`` only uses the two-character 字号 whose pair number ≡ slot (mod n_slots), and
    within the district repeats are redrawn (with a third character after five rounds).
    """
    n = len(industry)
    prefix = V.CITY_PREFIX.get(admin_code[:4], "浙江")
    short = district_name[:2]
    chars = V.BRAND_CHARS
    k = len(chars)
    per_slot = -(-(k * k - slot) // n_slots)

    def brand(m: int, length: int) -> np.ndarray:
        pair = slot + n_slots * rng.integers(0, per_slot, m)
        out = np.char.add(chars[pair // k], chars[pair % k])
        for _ in range(2, length):
            out = np.char.add(out, chars[rng.integers(0, k, m)])
        return out

    tech = np.isin(np.array([c[:2] for c in V.IND_CODE])[industry], ("39", "40"))
    suffix = np.where(above & (rng.random(n) < 0.2), "股份有限公司", "有限公司")
    suffix = np.where(tech & (rng.random(n) < 0.4), "科技" + suffix, suffix)
    head = np.where(rng.random(n) < 0.4, prefix + short, prefix)
    tail = np.char.add(V.IND_WORD[industry], suffix)

    b = brand(n, 2)
    names = np.char.add(np.char.add(head, b), tail).astype(object)
    for attempt in range(60):
        dup = _duplicates(names)
        if not dup.any():
            return names
        m = int(dup.sum())
        b = brand(m, 2 if attempt < 5 else 3)
        names[dup] = np.char.add(np.char.add(head[dup], b), tail[dup]).astype(object)
    raise RuntimeError("could not draw unique firm names")
