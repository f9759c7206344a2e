"""Persons and households: register, move, read masked, reveal with a purpose, search."""

from __future__ import annotations

from datetime import date
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.masking import mask_address, mask_citizen_id, mask_name, mask_phone
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import require_visible, scope_clause
from gridgov.access.service import require_permission
from gridgov.codes import normalize_division_code, normalize_mobile, normalize_phone, parse_citizen_id
from gridgov.codes.errors import CodeError
from gridgov.errors import Conflict, Invalid, NotFound
from gridgov.people.models import Household, HouseholdMember, Person, Residence
from gridgov.places.addressing import address_key, prefix_range
from gridgov.places.history import get_register_record, record_change, snapshot
from gridgov.places.models import House

PERSON_FIELDS = ("name", "sex", "birth_date", "ethnicity", "phone", "hukou_region_code", "hukou_address",
                 "residence_address", "house_id", "population_type", "moved_in_on", "moved_out_on", "status",
                 "grid_code")
POPULATION_LABELS = {"registered": "户籍人口", "floating": "流动人口", "overseas": "境外人员"}
SEX_LABELS = {"male": "男", "female": "女"}
RELATIONS = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "grandchild": "孙子女",
             "sibling": "兄弟姐妹", "tenant": "租户", "other": "其他"}


def pinyin_of(name: str) -> tuple[str, str]:
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    return "".join(syllables).lower()[:120], "".join(s[0] for s in syllables if s).lower()[:20]


def age_on(birth: date, today: date | None = None) -> int:
    today = today or date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def person_out(p: Person, *, reveal: bool = False) -> dict[str, Any]:
    """The API shape of a person: masked unless ``reveal`` (which the caller has audited)."""
    out = {
        "id": p.id, "name": p.name if reveal else mask_name(p.name),
        "citizen_id": p.citizen_id if reveal else mask_citizen_id(p.citizen_id),
        "sex": p.sex, "sex_label": SEX_LABELS.get(p.sex, p.sex), "age": age_on(p.birth_date),
        "birth_date": p.birth_date if reveal else None, "ethnicity": p.ethnicity,
        "phone": p.phone if reveal else mask_phone(p.phone),
        "hukou_region_code": p.hukou_region_code,
        "hukou_address": p.hukou_address if reveal else mask_address(p.hukou_address),
        "residence_address": p.residence_address if reveal else mask_address(p.residence_address),
        "house_id": p.house_id, "grid_code": p.grid_code, "population_type": p.population_type,
        "population_type_label": POPULATION_LABELS.get(p.population_type, p.population_type),
        "moved_in_on": p.moved_in_on, "moved_out_on": p.moved_out_on, "status": p.status, "masked": not reveal,
    }
    return out


def validate_identity(citizen_id: str, sex: str | None = None, phone: str | None = None) -> dict[str, Any]:
    """Check the ID (GB 11643) and phone; derive birth date and sex (and the region the ID was
    issued for, ``id_region_code``: see :func:`hukou_region` for what it is and is not)."""
    try:
        parsed = parse_citizen_id(citizen_id)
    except CodeError as exc:
        raise Invalid(f"身份证号无效：{exc.message}", code="invalid_citizen_id") from exc
    if sex and sex != parsed.sex:
        raise Invalid("性别与身份证号不符", code="sex_mismatch")
    out: dict[str, Any] = {"citizen_id": parsed.number, "birth_date": parsed.birth_date, "sex": parsed.sex,
                           "id_region_code": parsed.region_code}
    if phone:
        out["phone"] = validate_phone(phone)
    return out


def hukou_region(given: str | None, id_region_code: str) -> str:
    """户籍地, the place of household registration, as a division code in natural length.

    It is a fact to be recorded (from the form, the import file's 户籍地代码 column, the source
    system): the ID's region is only where the ID was first issued, which a person who moved their
    registration no longer lives under. When nothing is given, the ID's region is the best guess
    and is stored instead (an ID region that is no valid code today is kept as printed).
    """
    if given:
        try:
            return normalize_division_code(given)
        except CodeError as exc:
            raise Invalid(f"户籍地行政区划代码无效：{exc.message}", code="invalid_hukou_region") from exc
    try:
        return normalize_division_code(id_region_code)
    except CodeError:
        return id_region_code


def validate_phone(phone: str) -> str:
    """A mainland mobile (normalised to 11 digits) or a landline (0419-1234567)."""
    try:
        return normalize_mobile(phone)
    except CodeError:
        try:
            return normalize_phone(phone)
        except CodeError as exc:
            raise Invalid(f"电话号码无效：{exc.message}", code="invalid_phone") from exc


def _house_in_scope(db: Session, actor: User | None, house_id: int) -> House:
    h = db.get(House, house_id)
    if h is None:
        raise NotFound("房屋不存在", code="house_not_found")
    if actor is not None:
        require_visible(actor, region_code=h.grid_code, what="该房屋")
    return h


def create_person(db: Session, actor: User | None, data: dict[str, Any]) -> Person:
    if actor is not None:
        require_permission(actor, Permission.register_write)
    ident = validate_identity(data["citizen_id"], data.get("sex"), data.get("phone"))
    ident["hukou_region_code"] = hukou_region(data.get("hukou_region_code"), ident.pop("id_region_code"))
    if db.scalar(select(Person.id).where(Person.citizen_id == ident["citizen_id"])):
        raise Conflict("该身份证号已登记", code="person_exists")
    house = _house_in_scope(db, actor, data["house_id"]) if data.get("house_id") else None
    if actor is not None and house is None:
        raise Invalid("请指定居住房屋（人进户、户进房）", code="house_required")
    pinyin, initials = pinyin_of(data["name"])
    p = Person(name=data["name"], name_pinyin=pinyin, name_initials=initials, ethnicity=data.get("ethnicity"),
               hukou_address=data.get("hukou_address"), population_type=data.get("population_type", "registered"),
               moved_in_on=data.get("moved_in_on"), **ident)
    p.phone_tail = p.phone[-4:] if p.phone else None
    if house is not None:
        _place_in_house(p, house)
    db.add(p)
    db.flush()
    if house is not None:
        db.add(Residence(person_id=p.id, house_id=house.id, role=data.get("role", "family"),
                         valid_from=data.get("moved_in_on") or date.today(), source=data.get("source", "manual")))
    record_change(db, actor, "person", p.id, "create", None, snapshot(p, PERSON_FIELDS), p.grid_code)
    return p


def _place_in_house(p: Person, house: House) -> None:
    p.house_id, p.residence_address = house.id, house.address
    p.grid_code, p.grid_region_id = house.grid_code, house.grid_region_id
    p.lon, p.lat, p.h3 = house.lon, house.lat, house.h3


def get_person(db: Session, actor: User, person_id: int) -> Person:
    return get_register_record(db, actor, Person, person_id, label="人员", code="person")


REVEAL_PURPOSE_MIN = 4


def require_reveal(actor: User, purpose: str | None) -> str:
    """The rule for every unmasked view of personal data (persons, organizations' representatives
    and contacts, house owners): the ``personal:reveal`` permission and a stated purpose of at least
    four characters. Returns the purpose as it goes into the audit entry."""
    require_permission(actor, Permission.personal_reveal)
    purpose = (purpose or "").strip()
    if len(purpose) < REVEAL_PURPOSE_MIN:
        raise Invalid(f"查看完整信息需要说明用途（至少 {REVEAL_PURPOSE_MIN} 个字）", code="purpose_required")
    return purpose


def reveal_person(db: Session, actor: User, person_id: int, purpose: str) -> dict[str, Any]:
    """The unmasked record, for a stated purpose; who saw whose record and why is audited."""
    purpose = require_reveal(actor, purpose)
    p = get_person(db, actor, person_id)
    audit.record(db, actor, "personal.reveal", "person", p.id, detail={"purpose": purpose})
    return person_out(p, reveal=True)


def update_person(db: Session, actor: User, person_id: int, data: dict[str, Any]) -> Person:
    require_permission(actor, Permission.register_write)
    p = get_person(db, actor, person_id)
    before = snapshot(p, PERSON_FIELDS)
    if "phone" in data:
        p.phone = validate_phone(data["phone"]) if data["phone"] else None
        p.phone_tail = p.phone[-4:] if p.phone else None
    if "name" in data:
        p.name = data["name"]
        p.name_pinyin, p.name_initials = pinyin_of(p.name)
    if data.get("hukou_region_code"):  # a recorded fact: corrected, never cleared
        p.hukou_region_code = hukou_region(data["hukou_region_code"], p.hukou_region_code)
    for k in ("ethnicity", "hukou_address", "population_type", "status", "moved_out_on"):
        if k in data:
            setattr(p, k, data[k])
    db.flush()
    record_change(db, actor, "person", p.id, "update", before, snapshot(p, PERSON_FIELDS), p.grid_code)
    return p


def move_person(db: Session, actor: User | None, person_id: int, house_id: int, *, role: str = "family",
                on: date | None = None, source: str = "manual") -> Person:
    """Move a person to another house: the old residence is closed, a new one opened, nothing lost."""
    on = on or date.today()
    if actor is not None:
        require_permission(actor, Permission.register_write)
        p = get_person(db, actor, person_id)
    else:
        p = db.get(Person, person_id)
    house = _house_in_scope(db, actor, house_id)
    before = snapshot(p, PERSON_FIELDS)
    current = list(db.scalars(select(Residence).where(Residence.person_id == p.id, Residence.valid_to.is_(None))))
    for r in current:
        if r.house_id == house.id:
            raise Conflict("此人已登记居住在该房屋", code="already_resident")
        if r.valid_from is not None and on < r.valid_from:
            raise Invalid(f"迁入日期 {on} 早于现住址的起始日期 {r.valid_from}：历史不能倒序",
                          code="move_before_current_residence")
    for r in current:
        r.valid_to = on
    db.add(Residence(person_id=p.id, house_id=house.id, role=role, valid_from=on, source=source))
    _place_in_house(p, house)
    p.moved_in_on, p.status = on, "active"
    db.flush()
    record_change(db, actor, "person", p.id, "move", before, snapshot(p, PERSON_FIELDS), p.grid_code)
    return p


def residences(db: Session, actor: User, person_id: int) -> list[dict[str, Any]]:
    p = get_person(db, actor, person_id)
    rows = db.execute(select(Residence, House.address).join(House, House.id == Residence.house_id)
                      .where(Residence.person_id == p.id).order_by(Residence.valid_from, Residence.id)).all()
    return [{"house_id": r.house_id, "address": mask_address(addr), "role": r.role, "valid_from": r.valid_from,
             "valid_to": r.valid_to, "source": r.source} for r, addr in rows]


def residents_of_house(db: Session, house_id: int) -> list[Person]:
    return list(db.scalars(select(Person).where(Person.house_id == house_id, Person.status == "active")))


# --- households -----------------------------------------------------------------------------

def create_household(db: Session, actor: User | None, *, house_id: int, head_person_id: int, kind: str = "actual",
                     code: str | None = None) -> Household:
    if actor is not None:
        require_permission(actor, Permission.register_write)
    house = _house_in_scope(db, actor, house_id)
    head = db.get(Person, head_person_id)
    if head is None:
        raise NotFound("户主不存在", code="person_not_found")
    code = code or f"H{house.code}-{kind[0].upper()}"
    if db.scalar(select(Household.id).where(Household.code == code)):
        raise Conflict(f"户号 {code} 已存在", code="household_exists")
    hh = Household(code=code, kind=kind, house_id=house.id, head_person_id=head.id, grid_code=house.grid_code)
    db.add(hh)
    db.flush()
    db.add(HouseholdMember(household_id=hh.id, person_id=head.id, relation="head", valid_from=date.today()))
    record_change(db, actor, "household", hh.id, "create", None,
                  {"code": code, "kind": kind, "house_id": house.id, "head_person_id": head.id}, hh.grid_code)
    return hh


def add_member(db: Session, actor: User | None, household_id: int, person_id: int, relation: str) -> None:
    if relation not in RELATIONS:
        raise Invalid(f"与户主关系应为：{'、'.join(RELATIONS.values())}", code="invalid_relation")
    hh = db.get(Household, household_id)
    if hh is None:
        raise NotFound("户不存在", code="household_not_found")
    if actor is not None:
        require_visible(actor, region_code=hh.grid_code, what="该户")
    db.add(HouseholdMember(household_id=hh.id, person_id=person_id, relation=relation, valid_from=date.today()))
    record_change(db, actor, "household", hh.id, "add_member", None, {"person_id": person_id, "relation": relation},
                  hh.grid_code)


def household_of(db: Session, actor: User, household_id: int) -> dict[str, Any]:
    require_permission(actor, Permission.register_read)
    hh = db.get(Household, household_id)
    if hh is None:
        raise NotFound("户不存在", code="household_not_found")
    require_visible(actor, region_code=hh.grid_code, what="该户")
    rows = db.execute(select(HouseholdMember, Person).join(Person, Person.id == HouseholdMember.person_id)
                      .where(HouseholdMember.household_id == hh.id, HouseholdMember.valid_to.is_(None))).all()
    return {"id": hh.id, "code": hh.code, "kind": hh.kind, "house_id": hh.house_id, "grid_code": hh.grid_code,
            "members": [{**person_out(p), "relation": m.relation, "relation_label": RELATIONS[m.relation]}
                        for m, p in rows]}


# --- search ---------------------------------------------------------------------------------

def classify_query(q: str) -> str:
    q = q.strip()
    core = q.upper()
    if len(core) in (15, 18) and core[:-1].isdigit() and (core[-1].isdigit() or core[-1] == "X"):
        return "citizen_id"
    digits = q.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 7:
        return "phone"
    if digits.isdigit() and len(digits) == 4:
        return "phone_tail"
    if q.isascii() and q.replace(" ", "").isalpha():
        return "pinyin"
    if any(ch in q for ch in "路街道巷弄号楼栋幢座单元室村组小区") or any(ch.isdigit() for ch in q):
        return "address"
    return "name"


#: A scope holding fewer persons than this is searched scope-first (see :func:`search_persons`).
SMALL_SCOPE = 5000


def search_persons(db: Session, actor: User, q: str, limit: int = 20) -> dict[str, Any]:
    """Search by name (pinyin and initials too), citizen ID, phone (or its last 4 digits), address.

    Every kind is answered from an index: an equality (ID, phone, phone tail) or a prefix range in
    byte order (name, pinyin, initials, address key), and the scope is a range on ``grid_code``.
    Name-like results come ordered by the key that matched (``ORDER BY key, id``).

    Which index leads depends on the scope, and is decided here rather than left to the planner
    (SQLite has no range statistics; PostgreSQL's may be stale): in a wide scope (a leader's city)
    the key's index is read in order and the first ``limit`` entries in scope are the answer, even
    when a short key (the initials ``zh``) matches a quarter of the city; in a small scope (a grid
    worker's grid, fewer than :data:`SMALL_SCOPE` persons) the scope's rows are read and filtered by
    the key, because walking the key's index would pass over every match outside the grid first.
    """
    require_permission(actor, Permission.register_read)
    q = (q or "").strip()
    if not q:
        raise Invalid("请输入姓名、拼音、身份证号、电话或地址", code="empty_query")
    kind = classify_query(q)
    in_scope = scope_clause(actor, region_column=Person.grid_code)
    by_key = kind not in ("pinyin", "name", "address") or not _small_scope(db, in_scope)
    if kind == "pinyin":
        key = q.replace(" ", "").lower()
        return {"kind": kind, "results": [person_out(p) for p in _by_pinyin(db, in_scope, key, limit, by_key)]}
    stmt = select(Person).where(in_scope)
    if kind == "citizen_id":
        number = q.upper()
        if len(number) == 15:
            from gridgov.codes import upgrade_15_to_18

            try:
                number = upgrade_15_to_18(number)
            except CodeError as exc:
                raise Invalid(f"身份证号无效：{exc.message}", code="invalid_citizen_id") from exc
        stmt = stmt.where(Person.citizen_id == number)
    elif kind == "phone":
        stmt = stmt.where(Person.phone == q.replace(" ", ""))
    elif kind == "phone_tail":
        stmt = stmt.where(Person.phone_tail == q)
    elif kind == "address":
        key = address_key(q) or q
        houses = select(House.id).where(_starts_with(House.addr_key, key, by_key),
                                        scope_clause(actor, region_column=House.grid_code)).limit(500)
        if by_key:  # the first 500 houses in key order: the key's index leads, not the (wide) scope's
            houses = houses.order_by(House.addr_key, House.id)
        # the houses first, on their own: as a subquery the planner may re-run it for every person
        # in scope (PostgreSQL misjudges a grid's range as a row or two and picks a nested loop)
        house_ids = list(db.scalars(houses))
        if not house_ids:
            return {"kind": kind, "results": []}
        stmt = stmt.where(Person.house_id.in_(house_ids))
    else:
        stmt = stmt.where(_starts_with(Person.name, q, by_key))
    rows = list(db.scalars(stmt.order_by(Person.name, Person.id).limit(limit)))
    return {"kind": kind, "results": [person_out(p) for p in rows]}


def _small_scope(db: Session, in_scope: Any) -> bool:
    """Fewer than :data:`SMALL_SCOPE` persons in scope (counted from the grid-code index, bounded)."""
    if in_scope is true():  # everything (admin)
        return False
    first = select(Person.id).where(in_scope).limit(SMALL_SCOPE).subquery()
    return (db.scalar(select(func.count()).select_from(first)) or 0) < SMALL_SCOPE


def _starts_with(column: Any, key: str, by_index: bool) -> Any:
    """``column`` starts with ``key``: a range on its index, or (to keep the planner off that index
    when the scope should lead) the same test as an expression no index answers."""
    if by_index:
        return prefix_range(column, key)
    return func.substr(column, 1, len(key)) == key


def _by_pinyin(db: Session, in_scope: Any, key: str, limit: int, by_key: bool) -> list[Person]:
    """Persons whose full pinyin or initials start with ``key``, ordered by the key that matched.

    Two index-ordered queries (one per key column, each ``ORDER BY column, id LIMIT n``) instead of
    one ``OR``: an OR of two ranges has no index order, so the database would collect and sort every
    match. Merged by (matched key, id), the first ``limit`` of the union are exactly these.
    """
    best: dict[int, tuple[str, Person]] = {}
    for column in (Person.name_pinyin, Person.name_initials):
        stmt = (select(Person, column).where(in_scope, _starts_with(column, key, by_key))
                .order_by(column, Person.id).limit(limit))
        for person, matched in db.execute(stmt):
            if person.id not in best or matched < best[person.id][0]:
                best[person.id] = (matched, person)
    ranked = sorted(best.values(), key=lambda kp: (kp[0], kp[1].id))
    return [person for _, person in ranked[:limit]]


def count_persons(db: Session, actor: User) -> int:
    return db.scalar(select(func.count()).select_from(Person).where(
        scope_clause(actor, region_column=Person.grid_code))) or 0
