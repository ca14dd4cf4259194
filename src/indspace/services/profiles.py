"""Which policy profile a command means: a bundled id or the path of the user's YAML file."""

from __future__ import annotations

from pathlib import Path

from indspace.core.errors import PolicyError
from indspace.core.policy import PolicyProfile, load_profile, parse_profile


def resolve_profile(ref: str) -> PolicyProfile:
    """A bundled profile id, or the path of the user's own profile YAML file."""
    if ref.endswith((".yaml", ".yml")):
        path = Path(ref)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise PolicyError(
                f"无法读取策略配置文件：{e}", f"cannot read the profile file: {e}", where=str(path)
            ) from e
        return parse_profile(text, path.name)
    return load_profile(ref)
