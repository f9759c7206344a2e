"""Importing and exporting the register from Excel/CSV (persons, houses, buildings, organizations).

Every row of a file ends up in exactly one bucket: created, updated, unchanged (same content as
last time: importing a file twice changes nothing) or quarantined with its reasons (downloadable
as an error report the user fixes and re-imports). Row-level database problems (an unknown
building code, a building outside the importer's scope) are quarantined too; each row runs in a
savepoint so one bad row never spoils the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.masking import mask_address, mask_citizen_id, mask_name, mask_phone
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import scope_clause, scope_of
from gridgov.access.service import require_permission
from gridgov.errors import Invalid, NotFound
from gridgov.integration import (
    Column,
    RowSchema,
    export_xlsx,
    format_watermark,
    int_parser,
    parse_bool_cell,
    parse_citizen_id_cell,
    parse_date_cell,
    parse_decimal_cell,
    parse_enum_cell,
    parse_phone_cell,
    parse_uscc_cell,
    pipeline,
    region_code_parser,
    template_xlsx,
    text_parser,
)
from gridgov.integration.models import ImportRun
from gridgov.people import organizations, service
from gridgov.people.models import Organization, Person
from gridgov.places import service as places
from gridgov.places.models import Building, House

POPULATION = {"户籍": "registered", "户籍人口": "registered", "流动": "floating", "流动人口": "floating",
              "境外": "overseas", "境外人员": "overseas"}
ROLES = {"产权人": "owner", "家庭成员": "family", "租户": "tenant", "其他": "other"}
HOUSE_USE = {"住宅": "residential", "商业": "commercial", "办公": "office", "工业": "industrial", "其他": "other"}
HOUSE_STATUS = {"自住": "self_occupied", "出租": "rented", "空置": "vacant", "经营": "business", "其他": "other"}
BUILDING_USE = {"住宅": "residential", "商业": "commercial", "办公": "office", "工业": "industrial",
                "公共设施": "public", "商住混合": "mixed", "其他": "other"}
CRS = {"WGS84": "wgs84", "CGCS2000": "cgcs2000", "GCJ02": "gcj02", "GCJ-02": "gcj02", "BD09": "bd09",
       "BD-09": "bd09"}
ORG_TYPES = {label: code for code, label in organizations.ORG_TYPES.items()}

SCHEMAS: dict[str, RowSchema] = {
    "persons": RowSchema("实有人口", [
        Column("name", "姓名", required=True, parse=text_parser(30), example="王秀英"),
        Column("citizen_id", "身份证号", aliases=("公民身份号码", "身份证号码"), required=True,
               parse=parse_citizen_id_cell, example="11010519491231002X"),
        Column("phone", "联系电话", aliases=("电话", "手机号"), parse=parse_phone_cell, example="13812345678"),
        Column("ethnicity", "民族", parse=text_parser(20), example="汉族"),
        Column("population_type", "人口类型", parse=parse_enum_cell(POPULATION), example="户籍",
               help_cn="户籍 / 流动 / 境外"),
        Column("hukou_region_code", "户籍地代码", aliases=("户籍地行政区划代码", "户籍地区划代码"),
               parse=region_code_parser("province", "city", "county", "street", "community"), example="211021",
               help_cn="户籍地的行政区划代码（6 位或 12 位）；不填则取身份证号前 6 位"),
        Column("hukou_address", "户籍地址", parse=text_parser(200)),
        Column("building_code", "楼栋编码", required=True, parse=text_parser(32),
               help_cn="楼栋编码见楼栋列表或楼栋导出表"),
        Column("unit_no", "单元", parse=text_parser(10), example="2"),
        Column("room_no", "房号", required=True, parse=text_parser(20), example="502"),
        Column("role", "居住身份", parse=parse_enum_cell(ROLES), example="家庭成员", help_cn="产权人/家庭成员/租户/其他"),
        Column("moved_in_on", "入住日期", parse=parse_date_cell, example="2024-05-01"),
    ], unique=["citizen_id"]),
    "houses": RowSchema("房屋", [
        Column("building_code", "楼栋编码", required=True, parse=text_parser(32)),
        Column("unit_no", "单元", parse=text_parser(10), example="2"),
        Column("floor_no", "楼层", parse=text_parser(10), example="5"),
        Column("room_no", "房号", required=True, parse=text_parser(20), example="502"),
        Column("use", "房屋用途", parse=parse_enum_cell(HOUSE_USE), example="住宅"),
        Column("area_m2", "建筑面积", aliases=("面积",), parse=parse_decimal_cell, example="89.5"),
        Column("owner_name", "产权人", parse=text_parser(60)),
        Column("is_rental", "是否出租", parse=parse_bool_cell, example="否"),
        Column("status", "使用状态", parse=parse_enum_cell(HOUSE_STATUS), example="自住"),
    ], unique=[("building_code", "unit_no", "room_no")]),
    "buildings": RowSchema("楼栋", [
        Column("name", "楼栋名称", required=True, parse=text_parser(100), example="幸福家园3号楼"),
        Column("address", "地址", parse=text_parser(200), example="辽阳县首山镇幸福路12号幸福家园3号楼"),
        Column("lon", "经度", required=True, parse=parse_decimal_cell, example="123.18"),
        Column("lat", "纬度", required=True, parse=parse_decimal_cell, example="41.32"),
        Column("crs", "坐标系", parse=parse_enum_cell(CRS), example="WGS84", help_cn="WGS84/CGCS2000/GCJ02（高德、腾讯）/BD09（百度）"),
        Column("use", "用途", parse=parse_enum_cell(BUILDING_USE), example="住宅"),
        Column("floors", "层数", parse=int_parser(1, 200), example="6"),
        Column("units", "单元数", parse=int_parser(1, 50), example="2"),
        Column("built_year", "建成年份", parse=int_parser(1800, 2100), example="2008"),
    ], unique=[("name", "address")]),
    "organizations": RowSchema("单位", [
        Column("uscc", "统一社会信用代码", required=True, parse=parse_uscc_cell, example="91350100M000100Y43"),
        Column("name", "单位名称", required=True, parse=text_parser(120), example="辽阳县幸福超市"),
        Column("org_type", "单位类型", parse=parse_enum_cell(ORG_TYPES), example="企业"),
        Column("address", "地址", parse=text_parser(200)),
        Column("lon", "经度", required=True, parse=parse_decimal_cell, example="123.18"),
        Column("lat", "纬度", required=True, parse=parse_decimal_cell, example="41.32"),
        Column("legal_rep_name", "法定代表人", parse=text_parser(60)),
        Column("legal_rep_citizen_id", "法定代表人身份证号", parse=parse_citizen_id_cell),
        Column("legal_rep_phone", "法定代表人电话", parse=parse_phone_cell),
        Column("contact_name", "联系人", parse=text_parser(60)),
        Column("contact_phone", "联系电话", parse=parse_phone_cell),
        Column("employees", "从业人数", parse=int_parser(0, 1_000_000)),
    ], unique=["uscc"]),
}


def schema_of(entity: str) -> RowSchema:
    if entity not in SCHEMAS:
        raise NotFound(f"不支持导入“{entity}”；可选：{'、'.join(SCHEMAS)}", code="unknown_entity")
    return SCHEMAS[entity]


def template(entity: str) -> bytes:
    return template_xlsx(schema_of(entity))


# --- row writers: return "created" | "updated" | "unchanged", or raise AppError (→ quarantine) ----

def _building(db: Session, actor: User | None, code: str) -> Building:
    b = db.scalar(select(Building).where(Building.code == code))
    if b is None:
        raise NotFound(f"楼栋编码 {code} 不存在", code="building_not_found")
    if actor is not None:
        places.get_building(db, actor, b.id)  # scope check
    return b


def _house(db: Session, actor: User | None, b: Building, unit_no: str | None, room_no: str,
           extra: dict[str, Any] | None = None) -> tuple[House, bool]:
    unit = House.unit_no.is_(None) if unit_no is None else House.unit_no == unit_no
    h = db.scalar(select(House).where(House.building_id == b.id, unit, House.room_no == room_no))
    if h is not None:
        return h, False
    return places.create_house(db, actor, b.id, {"unit_no": unit_no, "room_no": room_no, **(extra or {})}), True


def _write_person(db: Session, actor: User | None, data: dict[str, Any], digest: str) -> str:
    existing = db.scalar(select(Person).where(Person.citizen_id == data["citizen_id"]))
    if existing is not None and existing.row_digest == digest:
        return "unchanged"
    b = _building(db, actor, data["building_code"])
    house, _ = _house(db, actor, b, data.get("unit_no"), data["room_no"])
    fields = {k: data.get(k) for k in ("name", "phone", "ethnicity", "hukou_address")}
    fields["population_type"] = data.get("population_type") or "registered"
    if data.get("hukou_region_code"):  # 户籍地 as recorded; when empty: the ID's region (new), kept (known)
        fields["hukou_region_code"] = data["hukou_region_code"]
    if existing is None:
        p = service.create_person(db, actor, {**fields, "citizen_id": data["citizen_id"], "house_id": house.id,
                                              "role": data.get("role") or "family",
                                              "moved_in_on": data.get("moved_in_on"), "source": "import"})
        p.row_digest = digest
        return "created"
    if actor is not None:
        service.get_person(db, actor, existing.id)  # scope
    service.update_person(db, actor, existing.id, fields) if actor is not None else None
    if existing.house_id != house.id:
        service.move_person(db, actor, existing.id, house.id, role=data.get("role") or "family",
                            on=data.get("moved_in_on"), source="import")
    existing.row_digest = digest
    return "updated"


def _write_house(db: Session, actor: User | None, data: dict[str, Any], digest: str) -> str:
    b = _building(db, actor, data["building_code"])
    extra = {k: data[k] for k in ("floor_no", "use", "owner_name", "is_rental", "status") if data.get(k) is not None}
    if data.get("area_m2") is not None:
        extra["area_m2"] = float(data["area_m2"])
    h, created = _house(db, actor, b, data.get("unit_no"), data["room_no"], extra)
    if created:
        h.row_digest = digest
        return "created"
    if h.row_digest == digest:
        return "unchanged"
    places.update_house(db, actor, h.id, extra) if actor is not None else None
    h.row_digest = digest
    return "updated"


def _write_building(db: Session, actor: User | None, data: dict[str, Any], digest: str) -> str:
    if db.scalar(select(Building.id).where(Building.row_digest == digest)):
        return "unchanged"
    body = {k: v for k, v in data.items() if v is not None}
    body["lon"], body["lat"] = float(data["lon"]), float(data["lat"])
    body["crs"] = data.get("crs") or "wgs84"
    b = places.create_building(db, actor, body)
    b.row_digest = digest
    return "created"


def _write_organization(db: Session, actor: User | None, data: dict[str, Any], digest: str) -> str:
    existing = db.scalar(select(Organization).where(Organization.uscc == data["uscc"]))
    if existing is not None and existing.row_digest == digest:
        return "unchanged"
    if existing is not None:
        raise Invalid("该统一社会信用代码已登记且内容不同；请在单位详情中修改", code="organization_exists")
    body = {k: v for k, v in data.items() if v is not None}
    body["lon"], body["lat"] = float(data["lon"]), float(data["lat"])
    body["row_digest"] = digest
    organizations.create_organization(db, actor, body)
    return "created"


# the tables each import writes in bulk (their statistics are refreshed afterwards)
ANALYZED: dict[str, tuple[str, ...]] = {
    "persons": ("persons", "residences", "houses"), "houses": ("houses",), "buildings": ("buildings",),
    "organizations": ("organizations",),
}
WRITERS: dict[str, Callable[[Session, User | None, dict[str, Any], str], str]] = {
    "persons": _write_person, "houses": _write_house, "buildings": _write_building,
    "organizations": _write_organization,
}


def run_import(db: Session, actor: User | None, entity: str, data: bytes, filename: str,
               progress: Callable[[str, int, int], None] | None = None) -> ImportRun:
    """Validate and load a file; every row is accounted for in the returned run."""
    if actor is not None:
        require_permission(actor, Permission.register_import)
    schema = schema_of(entity)
    table = schema.read(data, filename)  # TableError is a 4xx AppError with a Chinese reason
    writer = WRITERS[entity]
    return pipeline.import_rows(
        db, actor, entity=entity, schema=schema, table=table,
        write=lambda row: writer(db, actor, row.data, row.digest),
        filename=filename, file_digest=hashlib.sha256(data).hexdigest(),
        audit_action="register.import", audit_detail={"entity": entity},
        analyze_tables=ANALYZED[entity], progress=progress)


def run_out(db: Session, run: ImportRun, with_rows: bool = True) -> dict[str, Any]:
    return pipeline.run_out(db, run, error_report="/api/v1/imports/{id}/errors.xlsx", with_rows=with_rows)


def get_run(db: Session, actor: User, run_id: int) -> ImportRun:
    require_permission(actor, Permission.register_import)
    return pipeline.find_run(db, actor, run_id, SCHEMAS)


def error_report(db: Session, actor: User, run_id: int) -> bytes:
    return error_report_xlsx_for(db, get_run(db, actor, run_id))


def error_report_xlsx_for(db: Session, run: ImportRun) -> bytes:
    return pipeline.error_report(db, run, schema_of(run.entity))


# --- export ---------------------------------------------------------------------------------

EXPORT_HEADERS = {
    "persons": ["姓名", "身份证号", "性别", "年龄", "联系电话", "人口类型", "居住地址", "网格编码"],
    "organizations": ["单位名称", "统一社会信用代码", "单位类型", "地址", "法定代表人", "联系电话", "网格编码"],
}


def _export_rows(db: Session, actor: User, entity: str) -> Iterator[list[Any]]:
    if entity == "persons":
        stmt = select(Person).where(scope_clause(actor, region_column=Person.grid_code)).order_by(Person.id)
        for p in db.scalars(stmt.execution_options(yield_per=2000)):
            yield [mask_name(p.name), mask_citizen_id(p.citizen_id), service.SEX_LABELS.get(p.sex, p.sex),
                   service.age_on(p.birth_date), mask_phone(p.phone),
                   service.POPULATION_LABELS.get(p.population_type, p.population_type),
                   mask_address(p.residence_address), p.grid_code]
    else:
        stmt = select(Organization).where(scope_clause(actor, region_column=Organization.grid_code)).order_by(
            Organization.id)
        for o in db.scalars(stmt.execution_options(yield_per=2000)):
            yield [o.name, o.uscc, organizations.ORG_TYPES.get(o.org_type, o.org_type), o.address,
                   mask_name(o.legal_rep_name), mask_phone(o.contact_phone), o.grid_code]


def export(db: Session, actor: User, entity: str) -> bytes:
    """A watermarked, masked Excel export of the entity within the actor's scope (audited)."""
    require_permission(actor, Permission.register_export)
    if entity not in EXPORT_HEADERS:
        raise NotFound(f"不支持导出“{entity}”；可选：{'、'.join(EXPORT_HEADERS)}", code="unknown_entity")
    scope = scope_of(actor)
    scope_text = "全部" if scope.everything else "、".join(scope.regions) or "无"
    now = datetime.now(UTC)
    mark = format_watermark(f"{actor.username}（{actor.display_name}）", now.astimezone(), scope_text)
    data = export_xlsx(EXPORT_HEADERS[entity], _export_rows(db, actor, entity), watermark=mark,
                       sheet_name=SCHEMAS[entity].name_cn)
    audit.record(db, actor, "register.export", entity, scope_text, detail={"watermark": mark, "bytes": len(data)})
    return data


def recent_runs(db: Session, actor: User, limit: int = 20) -> list[dict[str, Any]]:
    """The latest register import runs the actor may open (their own; everyone's for a user whose
    scope is everything, as :func:`get_run` decides), newest first."""
    require_permission(actor, Permission.register_import)
    stmt = select(ImportRun).where(ImportRun.entity.in_(list(SCHEMAS)))
    if not scope_of(actor).everything:
        stmt = stmt.where(ImportRun.actor_id == actor.id)
    return [run_out(db, r, with_rows=False) for r in db.scalars(stmt.order_by(ImportRun.id.desc()).limit(limit))]
