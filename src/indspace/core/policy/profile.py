"""Schema, loader and date look-up for policy profiles (see the package docstring)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indspace.core.errors import PolicyError
from indspace.core.policy.evaluation import EvaluationMethod, EvaluationVersion


@dataclass(frozen=True)
class Provision:
    """One parameter's value in force on a day, with where it comes from: ``source`` is the
    文号 / article a check cites, ``since`` the date the value took effect."""

    name: str
    value: Any
    source: str
    confidence: str
    since: date


class DatedValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float | int | str | bool | list[Any] | dict[str, Any] | None
    source: str = Field(min_length=1, description="文号/条款 or publication")
    confidence: str = Field(default="I", pattern="^[CIU]$")


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str
    description: str
    values: dict[date, DatedValue] = Field(min_length=1)


class PolicyProfile(BaseModel):
    """A validated policy profile; ``content_hash`` identifies its exact text."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str
    jurisdiction: str
    description: str = ""
    last_checked: date | None = None
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    evaluation: dict[date, EvaluationVersion] = Field(default_factory=dict)
    content_hash: str = ""

    def evaluation_method(self, on: date) -> EvaluationMethod:
        """The 亩均 evaluation method in force on ``on`` (the latest version dated ≤ ``on``)."""
        dates = sorted(d for d in self.evaluation if d <= on)
        if not dates:
            first = f"（最早 {min(self.evaluation)}）" if self.evaluation else ""
            raise PolicyError(
                f"策略配置 {self.id} 在 {on} 没有生效的亩均评价办法{first}",
                f"profile {self.id} has no evaluation method in force on {on}",
                where=f"{self.source_name}: evaluation")
        return self.evaluation[dates[-1]].method

    def value(self, name: str, on: date) -> Any:
        """The value of ``name`` in force on ``on``.

        >>> p = parse_profile(EXAMPLE, "example.yaml")
        >>> p.value("min_building_coefficient", date(2020, 1, 1))
        0.3
        >>> p.value("min_building_coefficient", date(2000, 1, 1))
        Traceback (most recent call last):
        ...
        indspace.core.errors.PolicyError: [example.yaml: min_building_coefficient] ...
        """
        param = self.parameters.get(name)
        if param is None:
            raise PolicyError(f"策略配置 {self.id} 中没有参数 {name}",
                              f"profile {self.id} has no parameter {name}",
                              where=f"{self.id}: {name}")
        dates = sorted(d for d in param.values if d <= on)
        if not dates:
            raise PolicyError(
                f"参数 {name} 在 {on} 尚无生效值（最早 {min(param.values)}）",
                f"parameter {name} has no value in force on {on} "
                f"(first value {min(param.values)})", where=f"{self.source_name}: {name}")
        return param.values[dates[-1]].value

    def provision(self, name: str, on: date) -> Provision | None:
        """``name`` in force on ``on`` with its source, or ``None`` when the profile has no
        such parameter or none of its values is in force yet (a rule that does not apply;
        :meth:`value` raises instead). ``value: null`` gives a provision whose value is None.

        >>> p = parse_profile(EXAMPLE, "example.yaml")
        >>> p.provision("min_building_coefficient", date(2020, 1, 1)).source
        '国土资发〔2008〕24号'
        >>> p.provision("min_building_coefficient", date(2000, 1, 1)) is None
        True
        """
        param = self.parameters.get(name)
        if param is None:
            return None
        dates = sorted(d for d in param.values if d <= on)
        if not dates:
            return None
        v = param.values[dates[-1]]
        return Provision(name, v.value, v.source, v.confidence, dates[-1])

    @property
    def source_name(self) -> str:
        return getattr(self, "_source_name", self.id)

    @property
    def text(self) -> str:
        """The exact YAML text the profile was parsed from (a run stores it)."""
        return str(getattr(self, "_text", ""))


def parse_profile(text: str, source_name: str) -> PolicyProfile:
    """Parse and validate profile YAML text; errors name the file and the key.

    The policy book's one resolver: memoised by the exact text, so the second call with the
    same text costs a dictionary look-up, not a YAML parse and a pydantic validation (the
    ningbo-demo profile took 0.25–0.9 s per call, paid on every map click). Edit the text
    and the key changes, so a stale profile is never returned. The returned profile is
    shared: treat it as read-only.
    """
    return _parse_cached(text, source_name)


@lru_cache(maxsize=64)
def _parse_cached(text: str, source_name: str) -> PolicyProfile:
    try:
        # the C loader when libyaml is present (the bundled profiles: ≈ 10× faster)
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise PolicyError("策略配置不是有效的 YAML", f"policy profile is not valid YAML: {e}",
                          where=source_name) from e
    try:
        profile = PolicyProfile.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise PolicyError(f"策略配置字段 {loc} 有误：{err['msg']}",
                          f"policy profile field {loc} is invalid: {err['msg']}",
                          where=f"{source_name}: {loc}") from e
    profile.content_hash = content_hash(text)
    object.__setattr__(profile, "_source_name", source_name)
    object.__setattr__(profile, "_text", text)
    return profile


def content_hash(text: str) -> str:
    """The hash that identifies a profile's exact text (first 16 hex digits of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def bundled_texts() -> dict[str, tuple[str, str]]:
    """File name → (text, file name) of the profiles shipped in the package; read each call
    (a few kB), so an edited file is seen, parsed once per distinct text."""
    out = {}
    for entry in sorted(resources.files(__package__).joinpath("profiles").iterdir(),
                        key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            out[entry.name] = (entry.read_text(encoding="utf-8"), entry.name)
    return out


def bundled_profiles() -> dict[str, PolicyProfile]:
    """Profiles shipped inside the package (``policy/profiles/*.yaml``), by id."""
    out = {}
    for text, name in bundled_texts().values():
        p = parse_profile(text, name)
        out[p.id] = p
    return out


def load_profile(profile_id: str) -> PolicyProfile:
    """A bundled profile by id, with a clear error listing the ids that exist."""
    profiles = bundled_profiles()
    if profile_id not in profiles:
        raise PolicyError(f"未知策略配置：{profile_id}（可选：{', '.join(profiles)}）",
                          f"unknown policy profile {profile_id} (have: {', '.join(profiles)})")
    return profiles[profile_id]


EXAMPLE = """
id: example
version: "1"
jurisdiction: test
parameters:
  min_building_coefficient:
    unit: "1"
    description: 建筑系数下限
    values:
      2008-01-31: {value: 0.3, source: 国土资发〔2008〕24号, confidence: C}
"""
