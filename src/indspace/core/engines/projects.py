"""Project checks against the industrial control line (land-rules §G3, §H; 零增地 rules).

A proposed project is allowed or refused by the FIRST rule that decides, in this order:

1. ``negative_list``  — its industry (GB/T 4754 code prefix) is on the profile's negative
   list: refused anywhere.
2. ``inside_line``    — new land, expansion or a relocation target wholly inside the line:
   allowed (new industrial land goes inside the line, seed: 原则上一律入线入园).
3. ``outside_line_exception`` — outside or partly outside, but a listed special case
   (``outside_line_exception_types``: special-siting or resource-dependent 零星 projects, G3):
   allowed.
4. ``zero_land_renovation`` — 零土地技改 (more floor area on the firm's own land, no new
   land): allowed inside the line; outside it allowed only for a firm classed ``retain``
   (保留提升) by the outside-line classifier (``engines.redevelop.classify_outside_firms``,
   land rules H2) — refused for ``relocate`` and ``exit`` firms (安全环保风险大的企业有序退出)
   and for a firm of unknown class — and, when a positive list exists, only for an industry
   on it.
5. ``no_new_land_outside_line`` — any other project adding land outside the line: refused
   (G3: outside the line no new industrial land).

Inputs are plain values (the service computes the overlay of the project's location and the
firm's outside-line class); the output is a :class:`Decision`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

ProjectType = Literal["new_land", "expansion", "zero_land_renovation", "relocation"]
PROJECT_TYPES: tuple[str, ...] = ("new_land", "expansion", "zero_land_renovation", "relocation")
TYPE_LABELS = {"new_land": "新增用地", "expansion": "扩建", "zero_land_renovation": "零土地技改",
               "relocation": "搬迁"}
CLASS_LABELS = {"retain": ("保留提升", "retain"), "relocate": ("搬迁入园", "relocate"),
                "exit": ("关停退出", "exit")}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    reason: str           # Chinese / English
    inside_share: float
    status: str           # inside | outside | partial (of the project's location)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_project(*, project_type: str, industry_code: str | None, status: str,
                  inside_share: float, special_case: str | None,
                  firm_class: str | None, negative_list: list[str],
                  positive_list: list[str], exception_types: list[str],
                  firm_class_reason: str = "") -> Decision:
    """The decision on one project; ``firm_class`` is the firm's outside-line class
    (retain / relocate / exit, None when the firm is not given or not classed) and
    ``firm_class_reason`` the classifier's bilingual reason, quoted in a refusal."""
    code = (industry_code or "").strip()

    def decide(allowed: bool, rule: str, zh: str, en: str) -> Decision:
        return Decision(allowed, rule, f"{zh} / {en}", inside_share, status)

    hit = next((p for p in negative_list if code.startswith(p)), None)
    if hit is not None:
        return decide(False, "negative_list",
                      f"行业 {code} 属负面清单（{hit}），不予准入",
                      f"industry {code} is on the negative list ({hit}): refused")
    kind = TYPE_LABELS.get(project_type, project_type)
    if project_type != "zero_land_renovation" and status == "inside":
        return decide(True, "inside_line", f"{kind}项目位于工业区块控制线内",
                      f"{project_type} project inside the industrial control line")
    if project_type != "zero_land_renovation" and special_case in exception_types:
        return decide(True, "outside_line_exception",
                      f"线外{kind}项目属允许的特殊情形（{special_case}）",
                      f"{project_type} outside the line allowed as a listed special case "
                      f"({special_case})")
    if project_type == "zero_land_renovation":
        if status == "inside":
            return decide(True, "zero_land_renovation", "线内零土地技改，允许",
                          "zero-land renovation inside the line: allowed")
        if firm_class != "retain":
            label = CLASS_LABELS.get(firm_class or "", ("未分类", "not classed"))
            why = f"（{firm_class_reason}）" if firm_class_reason else ""
            return decide(False, "zero_land_renovation",
                          f"企业属线外{label[0]}类{why}，线外零土地技改仅限保留提升类企业",
                          f"the firm is classed {label[1]} outside the line: zero-land "
                          "renovation outside the line is for retained firms only (H2)")
        if positive_list and not any(code.startswith(p) for p in positive_list):
            return decide(False, "zero_land_renovation",
                          f"行业 {code} 不在线外零增地正面清单内",
                          f"industry {code} is not on the outside-line positive list")
        return decide(True, "zero_land_renovation", "线外保留企业零土地技改，允许（不新增用地）",
                      "zero-land renovation of a retained firm outside the line: allowed "
                      "(no new land)")
    where_zh = "部分位于" if status == "partial" else "位于"
    return decide(False, "no_new_land_outside_line",
                  f"{kind}项目{where_zh}控制线外（线内比例 {inside_share:.0%}），"
                  "线外不新增工业用地",
                  f"{project_type} project {'partly ' if status == 'partial' else ''}outside "
                  f"the control line (inside share {inside_share:.0%}): no new industrial land "
                  "outside the line")
