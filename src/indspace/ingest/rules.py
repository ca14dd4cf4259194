"""The import rule catalogue: every check `indspace import` runs, with a stable code.

A rule has a code (``E1nn`` error, ``W1nn`` warning, ``I1nn`` information), a snake_case
name, a severity, Chinese and English message templates, and a how-to-fix hint in both
languages. An **error** rejects the row (every error of the row is listed, not only the
first); a **warning** or an **information** keeps it. Issues at ``source_row`` 0 concern the
header or the file as a whole; an error there rejects the whole file.

Codes are stable: a rule may be reworded, never renumbered; a retired code is not reused.
docs/import-format.md carries :func:`rules_markdown` verbatim (a test keeps them equal).

>>> RULES["E102"].name
'bad_credit_code'
>>> RULES["W111"].severity
'warning'
>>> render("E106", header="税收(万元)", value="-3")[1]
'税收(万元) must not be negative: -3'
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]

SEVERITY_ZH: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
"""Chinese name of each severity (reports and docs)."""

ISSUE_COLUMNS = ("source_row", "field", "code", "severity", "message_zh", "message_en",
                 "hint_zh", "hint_en", "value")
"""Columns of an issue table (reading and validation issues alike); ``source_row`` is the
row users see (for CSV the physical line), 0 for the header or the whole file."""


@dataclass(frozen=True)
class Rule:
    """One import check.

    Templates use :meth:`str.format` fields; every issue of the rule supplies all of them
    (``params``). Hints are fixed text.
    """

    code: str
    name: str
    severity: Severity
    message_zh: str
    message_en: str
    hint_zh: str
    hint_en: str
    applies_to: str
    """Kinds (CLI names) or "all" — documentation only."""

    @property
    def params(self) -> tuple[str, ...]:
        """Names of the template fields, in order of first use."""
        names: list[str] = []
        for text in (self.message_zh, self.message_en):
            for _, name, _, _ in string.Formatter().parse(text):
                if name and name not in names:
                    names.append(name)
        return tuple(names)


_R = Rule
_CATALOGUE: tuple[Rule, ...] = (
    _R("E101", "missing_required", "error",
       "必填项「{label}」（{field}）为空或缺少该列",
       "required field {field} ({label}) is empty or its column is missing",
       "补填该值；整列缺失时按导入格式添加该列（表头见别名表）",
       "fill in the value; if the whole column is missing, add it under an accepted header",
       "all"),
    _R("E102", "bad_credit_code", "error",
       "「{header}」不是有效的统一社会信用代码（{problem_zh}）：{value}",
       "{header} is not a valid unified social credit code ({problem_en}): {value}",
       "照营业执照核对18位代码；不含 I、O、Z、S、V，第3–8位为数字，末位为校验码",
       "copy the 18-character code from the business licence (no I, O, Z, S, V; "
       "positions 3–8 digits; last character is the GB 32100 check)",
       "enterprises, indicators, parcels, occupancy"),
    _R("E103", "duplicate_key", "error",
       "主键 {key} = {value} 在文件中出现多次（第 {rows_zh} 行），所有重复行均不导入",
       "key {key} = {value} occurs more than once in the file (rows {rows_en}); "
       "none of these rows is imported",
       "由数据提供单位核实哪一行正确，删除其余行后重新导入（系统不替您取舍）",
       "the supplying bureau must decide which row is right and delete the others "
       "(the import never picks one)",
       "all"),
    _R("E104", "bad_number", "error",
       "「{header}」的值不是有效的{expected_zh}：{value}",
       "{header} is not a valid {expected_en}: {value}",
       "只填数字（可带千分位逗号），不要带单位或文字；单位写在表头括号里，如 税收(万元)",
       "enter a plain number (thousands separators allowed), no unit or text in the cell; "
       "put the unit in the header, e.g. 税收(万元)",
       "all"),
    _R("E105", "bad_date", "error",
       "「{header}」不是可识别的日期：{value}",
       "{header} is not a recognisable date: {value}",
       "写成 2024-01-05、2024/1/5、2024年1月5日、20240105 或 Excel 日期单元格",
       "write 2024-01-05, 2024/1/5, 2024年1月5日, 20240105 or use an Excel date cell",
       "all"),
    _R("E106", "negative_value", "error",
       "「{header}」不能为负数：{value}",
       "{header} must not be negative: {value}",
       "核对正负号和数值", "check the sign and the value",
       "indicators, parcels, buildings, occupancy"),
    _R("E107", "tax_exceeds_revenue", "error",
       "税收 {tax} 万元大于营业收入 {revenue} 万元",
       "tax {tax} 万元 exceeds revenue {revenue} 万元",
       "检查两列的单位（元/万元）是否一致，数值是否填反",
       "check that both columns use the same unit (元/万元) and are not swapped",
       "indicators"),
    _R("E108", "implausible_far", "error",
       "容积率 {far} 超过合理上限 {max_far}",
       "floor area ratio {far} exceeds the plausible maximum {max_far}",
       "检查面积单位（亩/平方米）与数值",
       "check the area units (亩/m²) and values",
       "parcels (RJL 容积率), occupancy (使用建筑面积 ÷ 占地面积)"),
    _R("E109", "area_mismatch", "error",
       "登记面积 {area} 平方米与图形面积 {geom_area} 平方米相差 {diff_pct}%，超过允许的 {tol_pct}%",
       "recorded area {area} m² differs from the geometry's {geom_area} m² by {diff_pct}%, "
       "more than the {tol_pct}% allowed",
       "核对面积及其单位（亩/平方米/公顷），或核对图形是否属于该宗地",
       "check the area and its unit (亩/m²/公顷), or whether the shape belongs to the parcel",
       "parcels"),
    _R("E110", "empty_geometry", "error",
       "图形缺失、为空、无面积或不是面状：{detail_zh}",
       "geometry is missing, empty, without area or not a polygon: {detail_en}",
       "为该对象提供面状图形（Polygon / MultiPolygon）",
       "supply a polygon (Polygon / MultiPolygon) for the record",
       "parcels, buildings, control-lines, parks"),
    _R("W111", "repaired_geometry", "warning",
       "图形无效（{reason}），已自动修复并保留面状部分，修复后面积 {area} 平方米",
       "invalid geometry ({reason}) was repaired (make_valid, polygonal parts kept); "
       "area after repair {area} m²",
       "在 GIS 中检查并修正原图形（自相交、重复点、环方向等）",
       "check and fix the source shape in a GIS (self-intersections, spikes, ring order)",
       "parcels, buildings, control-lines, parks"),
    _R("W112", "parcel_overlap", "warning",
       "与宗地 {others} 重叠，重叠面积 {overlap} 平方米（占本宗地 {share_pct}%）",
       "overlaps parcel(s) {others} by {overlap} m² ({share_pct}% of this parcel)",
       "核实相邻宗地的界线；重叠宗地仍会导入",
       "check the shared boundary; the parcel is still imported",
       "parcels"),
    _R("E113", "outside_districts", "error",
       "图形完全位于本地区行政区范围之外",
       "geometry lies entirely outside the deployment's districts",
       "检查坐标系：是否为 CGCS2000、3度带第40/41带（带号前缀）、X/Y 是否颠倒",
       "check the coordinate system: CGCS2000, 3° zone 40/41 (zone prefix), swapped X/Y",
       "parcels, buildings, control-lines, parks"),
    _R("E114", "unknown_enterprise", "error",
       "统一社会信用代码 {value} 不在企业库中，也不在本批导入的企业中",
       "credit code {value} is neither in the enterprise register nor in this import batch",
       "先导入企业（enterprises），或更正代码",
       "import the enterprise first (enterprises) or correct the code",
       "indicators, occupancy, designations, contracts"),
    _R("E115", "unknown_parcel", "error",
       "宗地代码 {value} 不存在",
       "parcel {value} does not exist",
       "先导入宗地（parcels），或更正宗地代码",
       "import the parcel first (parcels) or correct the parcel id",
       "buildings, occupancy, contracts, transactions"),
    _R("E116", "bad_choice", "error",
       "「{header}」的取值无效：{value}；可填：{choices_zh}",
       "{header} has an invalid value: {value}; accepted: {choices_en}",
       "按允许值填写（见 docs/import-format.md 的取值表）",
       "use one of the accepted values (see the value table of docs/import-format.md)",
       "all"),
    _R("E117", "year_mismatch", "error",
       "年度 {value} 与本次导入指定的年度 {year} 不一致",
       "year {value} differs from the import's --year {year}",
       "只导入 --year 指定年度的数据，不同年度分文件导入",
       "import one year per run; split files by year",
       "indicators"),
    _R("E118", "header_conflict", "error",
       "多列对应同一字段「{label}」（{field}）：{headers_zh}；整个文件不导入",
       "several columns map to field {field} ({label}): {headers_en}; the file is not imported",
       "删除多余的列或改名，使每个字段只有一列",
       "delete or rename the extra columns so that each field has one column",
       "all"),
    _R("E119", "unknown_unit", "error",
       "表头「{header}」的单位“{unit}”无法识别，「{label}」可用单位：{units_zh}；整个文件不导入",
       "header {header}: unit '{unit}' is not recognised; {field} accepts {units_en}; "
       "the file is not imported",
       "把表头改为可识别的单位写法，如 税收(万元)、用地面积(亩)",
       "write the unit in a recognised form, e.g. 税收(万元), 用地面积(亩)",
       "all"),
    _R("I120", "unknown_column", "info",
       "未识别的列「{header}」：已保留，不入库",
       "column {header} is not recognised: kept aside, not stored",
       "如需导入该列，请改用导入格式中的表头",
       "rename it to an accepted header if it should be imported",
       "all"),
    _R("I121", "unit_assumed", "info",
       "表头「{header}」未注明单位，按 {unit} 读取",
       "header {header} states no unit: read as {unit}",
       "在表头括号中写明单位，如 税收(万元)",
       "state the unit in brackets, e.g. 税收(万元)",
       "all"),
    _R("E122", "date_order", "error",
       "「{end_header}」{end} 早于「{start_header}」{start}",
       "{end_header} {end} is before {start_header} {start}",
       "检查起止日期是否填反", "check whether start and end are swapped",
       "parcels, occupancy, designations, contracts"),
    _R("E123", "out_of_range", "error",
       "「{header}」的值 {value} 超出合理范围（{range}）",
       "{header} value {value} is outside the plausible range ({range})",
       "核对数值及单位", "check the value and its unit",
       "indicators, parcels, buildings"),
    _R("W124", "unknown_owner", "warning",
       "权利人统一社会信用代码 {value} 不在企业库中",
       "owner credit code {value} is not in the enterprise register",
       "可先导入该企业；宗地仍会导入",
       "import the enterprise if it should be evaluated; the parcel is still imported",
       "parcels"),
    _R("I125", "gfa_derived", "info",
       "建筑面积为空，按 基底 {footprint} 平方米 × {floors} 层 推算为 {gfa} 平方米"
       "（计算容积率时层高超限的楼层按两层计）",
       "gfa_m2 empty: derived as footprint {footprint} m² × {floors} storeys = {gfa} m² "
       "(storeys over the height limit count twice in FAR)",
       "如有实测建筑面积（SCJZMJ）请填写",
       "fill in the measured floor area (SCJZMJ) when known",
       "buildings"),
    _R("E126", "unknown_building", "error",
       "建筑编号 {value} 不存在",
       "building {value} does not exist",
       "先导入建筑（buildings），或更正建筑编号",
       "import the building first (buildings) or correct the building id",
       "occupancy, transactions"),
    _R("E127", "malformed_line", "error",
       "第 {lines} 行不是完整的 CSV 行（{detail_zh}），未导入；其后的行照常读取",
       "line {lines} is not a well-formed CSV line ({detail_en}); it is not imported, the "
       "lines after it are read as usual",
       "把引号配对（单元格内的引号写成两个 \"\"），删除单元格内的换行（Excel 中的 Alt+Enter），"
       "或在表格软件中打开后重新另存为 CSV",
       "pair the quotes (a quote inside a cell is written twice, \"\"), remove line breaks "
       "inside cells (Alt+Enter in Excel), or re-save the file as CSV from a spreadsheet",
       "csv"),
    _R("E128", "field_count", "error",
       "该行有 {found} 个字段，表头有 {expected} 个（{detail_zh}），该行未导入",
       "the line has {found} fields, the header {expected} ({detail_en}); the line is not "
       "imported",
       "检查分隔符是否与表头一致、含逗号的值是否加了引号",
       "check that the line uses the header's delimiter and that values holding it are quoted",
       "csv"),
    _R("E129", "bad_bytes", "error",
       "该行含有无法读取的字节（{detail_zh}），该行未导入",
       "the line holds bytes that cannot be read ({detail_en}); the line is not imported",
       "整个文件请用同一种编码保存（建议 UTF-8），删除空字符（NUL）；或用 --encoding 指定编码",
       "save the whole file in one encoding (UTF-8 recommended) without NUL characters, or "
       "pass --encoding",
       "csv"),
    _R("E130", "control_characters", "error",
       "「{header}」含有换行或控制字符（{detail_zh}）：{value}",
       "{header} holds a line break or control character ({detail_en}): {value}",
       "代码和名称只能是一行文字：删除单元格内的换行、制表符等不可见字符",
       "codes and names are one line of text: remove line breaks, tabs and other invisible "
       "characters from the cell",
       "all (codes, ids, names)"),
    _R("E131", "blanks_stored_value", "error",
       "「{label}」（{field}）为空，但已有记录 {key} 的该项为“{stored}”；导入不会清空已有值，"
       "该行未导入，已有记录保持不变",
       "{field} ({label}) is empty but the stored record {key} has {stored!r}; an import never "
       "blanks a stored value, so the line is not imported and the record stays as it is",
       "填写该值（不变则照抄原值）；如确需清空，请在系统中编辑该记录",
       "fill in the value (copy the stored one if unchanged); to clear it on purpose, edit the "
       "record in the platform",
       "all (required and kept fields, see docs/import-format.md)"),
    _R("W132", "formula_like_text", "warning",
       "「{header}」以 {first} 开头，表格软件可能把它当作公式：{value}",
       "{header} starts with {first}, which a spreadsheet may run as a formula: {value}",
       "按文本导入；导出时始终写为文本。如非有意，请核实数据来源",
       "imported as text and always exported as text; check the source if this is not "
       "intended",
       "all (text cells)"),
    _R("W133", "building_outside_parcels", "warning",
       "建筑有 {area} 平方米（占基底 {share_pct}%）不在任何宗地内，该部分不计入宗地指标",
       "{area} m² of the building ({share_pct}% of its footprint) lies outside every parcel; "
       "that part is not counted in any parcel's figures",
       "核对建筑图形与宗地界线（道路、河道）；建筑仍会导入",
       "check the building outline against the parcel boundaries (roads, rivers); the "
       "building is still imported",
       "buildings"),
    _R("W134", "parcel_id_disagrees", "warning",
       "宗地代码 {value} 与图形不符：基底大部分位于宗地 {geometry_parcel}，按图形计入",
       "parcel_id {value} disagrees with the geometry: most of the footprint lies in parcel "
       "{geometry_parcel}; the geometry decides",
       "更正宗地代码（ZDDM）或建筑图形；建筑仍会导入",
       "correct the parcel id (ZDDM) or the outline; the building is still imported",
       "buildings"),
    _R("E135", "other_district", "error",
       "「所在区县」为“{value}”，本账户只能导入区县 {district} 的数据",
       "the district is '{value}'; this account imports only district {district}",
       "在“所在区县”填写本区县代码或名称；其他区县的数据请由该区县或市级管理员导入",
       "fill in your own district's code or name; another district's records are imported by "
       "that district or the city administrator",
       "enterprises, parcels, buildings (district officers)"),
    _R("E136", "stored_in_other_district", "error",
       "已有记录 {key} 属于区县 {stored}，本账户（区县 {district}）不能修改",
       "the stored record {key} belongs to district {stored}; this account (district "
       "{district}) cannot change it",
       "核对主键是否填错；如记录确需转入本区县，请联系市级管理员",
       "check the key; to move the record to your district, ask the city administrator",
       "enterprises, parcels, buildings (district officers)"),
    _R("E137", "outside_own_district", "error",
       "图形有 {outside} 平方米位于区县 {district} 的行政区范围之外",
       "{outside} m² of the geometry lie outside district {district}",
       "核对坐标与区县；跨区县的地块请由市级管理员导入",
       "check the coordinates and the district; a parcel across a district boundary is "
       "imported by the city administrator",
       "parcels, buildings (district officers)"),
    _R("E138", "unknown_contract", "error",
       "合同编号 {value} 不存在",
       "contract {value} does not exist",
       "先导入合同（contracts），或更正合同编号",
       "import the contract first (contracts) or correct the contract id",
       "contract-events"),
    _R("E139", "installment_first_share", "error",
       "分期缴款规则 installment_first_share：首期缴款 {value} 万元低于成交价款 {price} 万元的 "
       "{share_pct}%（应不少于 {required} 万元；{source}）",
       "installment rule installment_first_share: the first payment {value} 万元 is below "
       "{share_pct}% of the price {price} 万元 (at least {required} 万元; {source})",
       "首期按不低于规定比例缴纳；如为多笔，请合并为首期一笔",
       "make the first payment at least that share; merge several first payments into one",
       "contract-events"),
    _R("E140", "installment_first_deadline", "error",
       "分期缴款规则 installment_first_deadline：首期缴款日 {value} 晚于签订后 {first_months} "
       "个月的期限 {due}（{source}）",
       "installment rule installment_first_deadline: the first payment on {value} is after "
       "the deadline {due}, {first_months} month(s) after signing ({source})",
       "核对缴款日期与合同签订日期；首付款须在期限内缴纳",
       "check the payment and signing dates; the first share is due by that day",
       "contract-events"),
    _R("E141", "installment_balance_deadline", "error",
       "分期缴款规则 installment_balance_deadline：缴款日 {value} 晚于余款期限 {due}"
       "（签订后 {months} 个月；只有经集体认定的特殊项目可延至 {special_months} 个月；{source}）",
       "installment rule installment_balance_deadline: the payment on {value} is after the "
       "balance deadline {due} ({months} months after signing; only a special project "
       "approved collectively may take {special_months} months; {source})",
       "在期限内缴清余款；确属特殊项目的，在合同中标注 特殊项目分期（installment_special）",
       "pay the balance by the deadline; for an approved special project set "
       "installment_special on the contract",
       "contract-events"),
    _R("E142", "installment_special_deadline", "error",
       "分期缴款规则 installment_special_deadline：特殊项目缴款日 {value} 晚于余款期限 {due}"
       "（签订后 {special_months} 个月；{source}）",
       "installment rule installment_special_deadline: the special project's payment on "
       "{value} is after the balance deadline {due} ({special_months} months after signing; "
       "{source})",
       "特殊项目也须在该期限内缴清全部价款",
       "a special project too pays the whole price by that day",
       "contract-events"),
    _R("E150", "area_window", "error",
       "「{header}」{value} 小于需求面积下限 {min_area}",
       "{header} {value} is below the minimum area {min_area}",
       "面积上限须不小于下限；只有下限时上限留空",
       "the maximum area must not be below the minimum; leave it empty when there is none",
       "demands"),
    _R("E151", "unknown_district", "error",
       "意向区县中的“{district}”不是库中的区县",
       "'{district}' in the districts is not a district of the store",
       "填写区县代码（330212）、全称（鄞州区）或简称（鄞州），多个用分号 ; 分隔",
       "write district codes (330212), full or short names (鄞州区, 鄞州), joined with ;",
       "demands"),
)

RULES: dict[str, Rule] = {r.code: r for r in _CATALOGUE}
"""The catalogue by code."""
BY_NAME: dict[str, Rule] = {r.name: r for r in _CATALOGUE}
"""The catalogue by rule name."""


def render(code: str, **params: object) -> tuple[str, str, str, str]:
    """Format one issue: ``(message_zh, message_en, hint_zh, hint_en)``.

    Parameters
    ----------
    code
        Rule code, e.g. ``"E104"``.
    **params
        Values of the rule's template fields (:attr:`Rule.params`); extra names are ignored.
    """
    r = RULES[code]
    return (r.message_zh.format_map(params), r.message_en.format_map(params),
            r.hint_zh, r.hint_en)


def rules_markdown() -> str:
    """The catalogue as a Markdown table (docs/import-format.md carries it verbatim)."""
    lines = [
        "| 代码 code | 规则 rule | 级别 severity | 适用 applies to | 说明（中文） | Message | "
        "修改建议 | How to fix |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in _CATALOGUE:
        lines.append(
            f"| `{r.code}` | `{r.name}` | {SEVERITY_ZH[r.severity]} {r.severity} | "
            f"{r.applies_to} | {r.message_zh} | {r.message_en} | {r.hint_zh} | {r.hint_en} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(rules_markdown(), end="")
