"""The special groups (特殊人群): labels, required visit intervals and each group's attributes.
Pure data: no database imports. Intervals follow common county practice; a deployment edits them
here (or overrides per member)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    label: str
    kind: str = "text"  # text | date | int | choice
    required: bool = False
    choices: tuple[str, ...] = ()
    personal: str | None = None  # how the value is masked in responses: id | name | contact (None: not personal)


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    label: str
    visit_interval_days: int
    attributes: tuple[Attribute, ...]


GROUPS: dict[str, Group] = {g.code: g for g in (
    Group("community_correction", "社区矫正对象", 7, (
        Attribute("correction_type", "矫正类别", "choice", True, ("管制", "缓刑", "假释", "暂予监外执行")),
        Attribute("start_date", "矫正开始日期", "date", True),
        Attribute("end_date", "矫正结束日期", "date", True),
        Attribute("offence", "罪名"),
    )),
    Group("released_prisoner", "刑满释放人员", 30, (
        Attribute("release_date", "释放日期", "date", True),
        Attribute("offence", "原罪名"),
        Attribute("resettlement", "安置帮教情况", "choice", False, ("已安置", "未安置", "帮教中")),
    )),
    Group("drug_rehab", "社区戒毒/康复人员", 14, (
        Attribute("measure", "措施", "choice", True, ("社区戒毒", "社区康复")),
        Attribute("start_date", "开始日期", "date", True),
        Attribute("term_years", "期限（年）", "int"),
    )),
    Group("mental_disorder", "严重精神障碍患者", 14, (
        Attribute("diagnosis", "诊断"),
        Attribute("danger_level", "危险性评估等级（0-5）", "int", True),
        Attribute("guardian", "监护人", personal="name"),
    )),
    Group("petition_focus", "信访重点人员", 7, (
        Attribute("claim", "主要诉求", "text", True),
        Attribute("measures", "稳控措施"),
    )),
    Group("left_behind_child", "留守儿童", 30, (
        Attribute("guardian", "监护人", "text", True, personal="name"),
        Attribute("parents_workplace", "父母务工地"),
    )),
    Group("elderly_alone", "独居老人", 7, (
        Attribute("health", "健康状况", "choice", False, ("良好", "一般", "较差", "失能")),
        Attribute("emergency_contact", "紧急联系人", personal="contact"),
    )),
    Group("disabled", "残疾人", 30, (
        Attribute("category", "残疾类别", "choice", True, ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")),
        Attribute("grade", "残疾等级", "choice", True, ("一级", "二级", "三级", "四级")),
        Attribute("certificate_no", "残疾证号", personal="id"),
    )),
    Group("subsistence", "低保对象", 90, (
        Attribute("category", "低保类别", "choice", True, ("城市低保", "农村低保")),
        Attribute("monthly_amount", "月保障金额（元）", "int"),
        Attribute("approved_on", "核定日期", "date"),
    )),
)}


def mask_attributes(group: str, attributes: dict) -> dict:
    """The attributes as responses show them: personal values (a guardian's name, an emergency
    contact, a certificate number that embeds the citizen ID) masked like the person's own data."""
    from gridgov.access.masking import mask_by_kind

    spec = GROUPS.get(group)
    kinds = {a.key: a.personal for a in spec.attributes if a.personal} if spec else {}
    return {k: mask_by_kind(kinds[k], v) if k in kinds and isinstance(v, str) else v for k, v in attributes.items()}


def validate_attributes(group: str, attributes: dict) -> list[str]:
    """Chinese reasons why ``attributes`` do not fit the group (empty list: fine)."""
    from datetime import date

    spec = GROUPS.get(group)
    if spec is None:
        return [f"未知的特殊人群类别：{group}"]
    problems = []
    known = {a.key for a in spec.attributes}
    for key in attributes:
        if key not in known:
            problems.append(f"{spec.label}没有属性 {key}")
    for a in spec.attributes:
        value = attributes.get(a.key)
        if value in (None, ""):
            if a.required:
                problems.append(f"{spec.label}缺少必填属性：{a.label}")
            continue
        if a.kind == "date":
            try:
                date.fromisoformat(str(value))
            except ValueError:
                problems.append(f"{a.label}应为日期（YYYY-MM-DD）")
        elif a.kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            problems.append(f"{a.label}应为整数")
        elif a.kind == "choice" and value not in a.choices:
            problems.append(f"{a.label}应为：{'、'.join(a.choices)}")
    return problems
