"""Chain templates (产业链环节模板, issue #19): the links of each "361" chain — stage
(upstream, midstream, downstream), names and the GB/T 4754-2017 class prefixes that belong to
each link — as dated, sourced data shipped in ``policy/chains/*.yaml``."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from indspace.core.errors import PolicyError
from indspace.core.policy.bundled import read_bundled

Stage = Literal["upstream", "midstream", "downstream"]
STAGES: tuple[str, ...] = ("upstream", "midstream", "downstream")


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    stage: Stage
    name_zh: str
    name_en: str
    codes: list[str]


class ChainTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    links: list[Link]


class ChainTemplates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    system: str
    source: str
    chains: dict[str, ChainTemplate]

    def links_frame(self) -> pd.DataFrame:
        """One row per (chain, link, code prefix): chain (``<system>:<id>``, as stored on
        firms), link_id, stage, name_zh, name_en, code, source."""
        rows = [
            (f"{self.system}:{c}", k.id, k.stage, k.name_zh, k.name_en, code, t.source)
            for c, t in self.chains.items()
            for k in t.links
            for code in k.codes
        ]
        return pd.DataFrame(
            rows, columns=["chain", "link_id", "stage", "name_zh", "name_en", "code", "source"]
        )


def load_templates(template_id: str = "361-2025") -> ChainTemplates:
    """A bundled chain-template file by id, with a clear error naming those that exist."""
    folder = resources.files(__package__).joinpath("chains")
    have = sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".yaml"))
    if template_id not in have:
        raise PolicyError(
            f"未知产业链模板：{template_id}（可选：{', '.join(have)}）",
            f"unknown chain template {template_id} (have: {', '.join(have)})",
        )
    return read_bundled(ChainTemplates, "chains", template_id, "产业链模板", "chain template")
