"""Policy profiles: every rule parameter as dated, versioned, sourced data (YAML).

A profile file looks like::

    id: ningbo-demo
    version: "2025.1"
    jurisdiction: 宁波市 (demo)
    description: ...
    last_checked: 2025-12-31
    parameters:
      min_plot_ratio_new_supply_urban:
        unit: "1"
        description: 新供工业用地容积率下限（市区）
        values:
          2025-04-29: {value: 2.0, source: "宁波日报 2025-04-29 第6版（研究院建议）"}

A value holds from its date until the next one; ``value: null`` ends a rule. Asking for a
parameter at a date before its first value raises :class:`PolicyError` — never ``None``.
"""

from indspace.core.policy.profile import (
    PolicyProfile,
    Provision,
    bundled_profiles,
    load_profile,
    parse_profile,
)

__all__ = ["PolicyProfile", "Provision", "bundled_profiles", "load_profile", "parse_profile"]
