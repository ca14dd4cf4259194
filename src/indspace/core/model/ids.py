"""Identifiers a user may choose (a proposal id, a job id): one pattern, one length limit.

The store generates ids when none is given; a chosen one must be a short, plain token so that
it can never act as a path, a query fragment or a 100 000-character payload.

>>> check_chosen_id("CL-2026-0007", where="proposal_id")
'CL-2026-0007'
>>> try:
...     check_chosen_id("../../../etc/passwd", where="proposal_id")
... except ValidationError as e:
...     print(e.message_en)
invalid id “../../../etc/passwd” (19 characters)
"""

from __future__ import annotations

import re

from indspace.core.errors import ValidationError

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A letter or digit, then up to 63 letters, digits, ``_``, ``.`` or ``-`` (≤ 64 in all)."""
MAX_ID_LENGTH = 64


def check_chosen_id(value: object, *, where: str) -> str:
    """``value`` as a valid chosen id, or a bilingual 422 saying what is allowed."""
    text = str(value)
    if ID_PATTERN.fullmatch(text):
        return text
    shown = text if len(text) <= 40 else text[:40] + "…"
    raise ValidationError(
        f"编号格式无效：“{shown}”（{len(text)} 个字符）",
        f"invalid id “{shown}” ({len(text)} characters)",
        where=where,
        hint_zh=f"编号以字母或数字开头，只含字母、数字、_ . -，最多 {MAX_ID_LENGTH} 个字符；"
        "也可不填，由系统生成",
        hint_en=f"start with a letter or digit, use only letters, digits, _ . -, at most "
        f"{MAX_ID_LENGTH} characters; or leave it empty to get one generated",
    )
