"""Register pages (人口房屋): persons, houses, buildings, organizations, special groups; import
and export.

Server-rendered (Jinja + htmx). Every list and record comes from the domain services
(:mod:`gridgov.people.service`, :mod:`gridgov.places.service`, ...), which check the permission and
the scope; these views only shape the pages. Personal data is masked; "查看完整信息" posts a stated
purpose to ``/register/<kind>/<id>/reveal``, which calls the service's reveal (permission, purpose
rule and audit entry are the service's) and swaps the unmasked facts in place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from gridgov.access.deps import Db
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.errors import Invalid, NotFound
from gridgov.people import care, imports, organizations
from gridgov.people import service as people
from gridgov.people.groups import GROUPS
from gridgov.people.models import Household, HouseholdMember, SpecialGroupMember, Visit
from gridgov.places import service as places
from gridgov.places.schemas import STATUS_LABELS
from gridgov.web.pages import PageUser, can, is_htmx, render, require

router = APIRouter(include_in_schema=False)

MESSAGES = ("register.",)
LIMITS = (20, 50, 100)
MAX_ID = 2**31 - 1
MAX_UPLOAD = 50 * 1024 * 1024
ENTITIES = ("persons", "houses", "buildings", "organizations")
EXPORTABLE = ("persons", "organizations")
RISK_LABELS = {"low": "低", "medium": "中", "high": "高"}
REVEAL_KINDS = {"persons": "人员", "houses": "房屋", "organizations": "单位"}





def record_id(value: str, label: str) -> int:
    """A path id as an int; anything else (letters, 0, too large for the column) is "not found"."""
    if not value.isdigit() or not (0 < int(value) <= MAX_ID):
        raise NotFound(f"{label}不存在", code="not_found")
    return int(value)


def page_window(page: int, limit: int) -> tuple[int, int]:
    limit = limit if limit in LIMITS else LIMITS[0]
    return max(1, page), limit


def paged(rows: list[Any], page: int, limit: int) -> dict[str, Any]:
    """Rows fetched with ``limit + 1``: the page's rows and whether a next page exists."""
    return {"rows": rows[:limit], "page": page, "limit": limit, "has_next": len(rows) > limit,
            "has_prev": page > 1}


def _register(request: Request, user: User, template: str, tab: str, **ctx: Any) -> HTMLResponse:
    require(can(user, Permission.register_read))
    return render(request, user, template, nav="register", messages=MESSAGES, tab=tab,
                  can_reveal=can(user, Permission.personal_reveal),
                  can_import=can(user, Permission.register_import),
                  can_export=can(user, Permission.register_export), **ctx)


@router.get("/register", include_in_schema=False)
def register_home(user: PageUser) -> Response:
    return RedirectResponse("/register/persons", status_code=303)


# --- persons --------------------------------------------------------------------------------

@router.get("/register/persons", response_class=HTMLResponse)
def persons_page(request: Request, db: Db, user: PageUser,
                 q: Annotated[str, Query(max_length=60)] = "", limit: int = LIMITS[0]) -> Response:
    require(can(user, Permission.register_read))
    _, limit = page_window(1, limit)
    q = q.strip()
    result = people.search_persons(db, user, q, limit) if q else None
    ctx = {"q": q, "limit": limit, "result": result,
           "kind_label": f"register.kind_{result['kind']}" if result else None}
    if is_htmx(request) and request.headers.get("hx-target") == "person-results":
        return render(request, user, "register/_person_results.html", **ctx)
    return _register(request, user, "register/persons.html", "persons", **ctx)


def _person_extras(db: Db, user: User, p: Any) -> dict[str, Any]:
    """Household, special groups and visits of a person already loaded through the service
    (which checked the permission and the scope)."""
    household_ids = list(db.scalars(select(HouseholdMember.household_id).where(
        HouseholdMember.person_id == p.id, HouseholdMember.valid_to.is_(None))))
    households = [people.household_of(db, user, hid) for hid in household_ids[:3]]
    members = [care.member_out(m) for m in db.scalars(select(SpecialGroupMember).where(
        SpecialGroupMember.person_id == p.id).order_by(SpecialGroupMember.valid_from.desc()))]
    for m in members:
        m["attribute_rows"] = group_attributes(m["group"], m["attributes"])
    visits = db.execute(select(Visit, User.display_name).join(User, User.id == Visit.worker_id, isouter=True)
                        .where(Visit.person_id == p.id).order_by(Visit.visited_at.desc()).limit(20)).all()
    return {"households": households, "members": members,
            "visits": [{"at": v.visited_at, "method": care.VISIT_METHODS.get(v.method, v.method),
                        "content": v.content, "findings": v.findings, "worker": name} for v, name in visits]}


def group_attributes(group: str, attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """A member's group attributes as (label, value), in the group's order (already masked by
    :func:`gridgov.people.care.member_out`)."""
    spec = GROUPS.get(group)
    labels = {a.key: a.label for a in spec.attributes} if spec else {}
    rows = []
    for key in [*labels, *(k for k in attributes if k not in labels)]:
        value = attributes.get(key)
        if value in (None, ""):
            continue
        text = str(value)
        rows.append((labels.get(key, key), text))
    return rows


@router.get("/register/persons/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, db: Db, user: PageUser, person_id: str) -> Response:
    require(can(user, Permission.register_read))
    p = people.get_person(db, user, record_id(person_id, "人员"))
    return _register(request, user, "register/person.html", "persons", person=people.person_out(p),
                     residences=people.residences(db, user, p.id),
                     history=places.history(db, user, "person", p.id, p.grid_code)[-20:][::-1],
                     reveal_url=f"/register/persons/{p.id}/reveal",
                     **_person_extras(db, user, p))


@router.post("/register/{kind}/{item_id}/reveal", response_class=HTMLResponse)
def reveal(request: Request, db: Db, user: PageUser, kind: str, item_id: str,
           purpose: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The unmasked record for a stated purpose (the service checks ``personal:reveal``, the
    purpose rule and the scope, and writes the audit entry). Swapped in place of the masked facts."""
    if kind not in REVEAL_KINDS:
        raise NotFound("页面不存在", code="not_found")
    rid = record_id(item_id, REVEAL_KINDS[kind])
    if kind == "persons":
        record = people.reveal_person(db, user, rid, purpose)
        template = "register/_person_facts.html"
        ctx: dict[str, Any] = {"person": record}
    elif kind == "houses":
        record = places.reveal_house(db, user, rid, purpose)
        template, ctx = "register/_house_facts.html", {"house": record}
    else:
        record = organizations.reveal_organization(db, user, rid, purpose)
        template, ctx = "register/_org_facts.html", {"org": record}
    headers = {"HX-Retarget": "#record-facts", "HX-Reswap": "outerHTML"}
    return render(request, user, template, headers=headers, revealed=True, purpose=purpose.strip(), **ctx)


# --- houses and buildings -------------------------------------------------------------------

def _grid_filter(grid: str) -> str | None:
    grid = grid.strip()
    if grid and not (grid.isdigit() and 2 <= len(grid) <= 17):
        raise Invalid("网格编码应为 2–17 位数字", code="invalid_grid")
    return grid or None


@router.get("/register/houses", response_class=HTMLResponse)
def houses_page(request: Request, db: Db, user: PageUser, q: Annotated[str, Query(max_length=50)] = "",
                grid: Annotated[str, Query(max_length=17)] = "", rental: str = "", status: str = "",
                page: Annotated[int, Query(ge=1, le=100_000)] = 1, limit: int = LIMITS[0]) -> Response:
    require(can(user, Permission.register_read))
    page, limit = page_window(page, limit)
    rows = places.list_houses(db, user, grid_code=_grid_filter(grid), q=q.strip() or None,
                              rental={"yes": True, "no": False}.get(rental),
                              status=status if status in STATUS_LABELS else None,
                              limit=limit + 1, offset=(page - 1) * limit)
    return _register(request, user, "register/houses.html", "houses", q=q, grid=grid, rental=rental, status=status,
                     statuses=STATUS_LABELS, **paged(rows, page, limit))


@router.get("/register/houses/{house_id}", response_class=HTMLResponse)
def house_page(request: Request, db: Db, user: PageUser, house_id: str) -> Response:
    require(can(user, Permission.register_read))
    h = places.get_house(db, user, record_id(house_id, "房屋"))
    residents = people.residents_of_house(db, h.id)
    b = places.get_building(db, user, h.building_id)
    households = list(db.scalars(select(Household).where(Household.house_id == h.id).order_by(Household.code)))
    return _register(request, user, "register/house.html", "houses", house=places.house_out(h, len(residents)),
                     building=places.building_out(b), residents=[people.person_out(p) for p in residents],
                     households=households, history=places.history(db, user, "house", h.id, h.grid_code)[-20:][::-1],
                     reveal_url=f"/register/houses/{h.id}/reveal")


@router.get("/register/buildings", response_class=HTMLResponse)
def buildings_page(request: Request, db: Db, user: PageUser, q: Annotated[str, Query(max_length=50)] = "",
                   grid: Annotated[str, Query(max_length=17)] = "",
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1, limit: int = LIMITS[0]) -> Response:
    require(can(user, Permission.register_read))
    page, limit = page_window(page, limit)
    rows = places.list_buildings(db, user, grid_code=_grid_filter(grid), q=q.strip() or None, limit=limit + 1,
                                 offset=(page - 1) * limit)
    return _register(request, user, "register/buildings.html", "buildings", q=q, grid=grid,
                     **paged(rows, page, limit))


@router.get("/register/buildings/{building_id}", response_class=HTMLResponse)
def building_page(request: Request, db: Db, user: PageUser, building_id: str) -> Response:
    require(can(user, Permission.register_read))
    b = places.get_building(db, user, record_id(building_id, "楼栋"))
    houses = places.list_houses(db, user, building_id=b.id, limit=1000)
    return _register(request, user, "register/building.html", "buildings", building=places.building_out(b, len(houses)),
                     houses=houses, residents=sum(h["resident_count"] for h in houses),
                     history=places.history(db, user, "building", b.id, b.grid_code)[-10:][::-1])


# --- organizations --------------------------------------------------------------------------

@router.get("/register/organizations", response_class=HTMLResponse)
def organizations_page(request: Request, db: Db, user: PageUser, q: Annotated[str, Query(max_length=60)] = "",
                       page: Annotated[int, Query(ge=1, le=100_000)] = 1, limit: int = LIMITS[0]) -> Response:
    require(can(user, Permission.register_read))
    page, limit = page_window(page, limit)
    rows = organizations.list_organizations(db, user, q=q.strip() or None, limit=limit + 1,
                                            offset=(page - 1) * limit)
    return _register(request, user, "register/organizations.html", "organizations", q=q, **paged(rows, page, limit))


@router.get("/register/organizations/{org_id}", response_class=HTMLResponse)
def organization_page(request: Request, db: Db, user: PageUser, org_id: str) -> Response:
    require(can(user, Permission.register_read))
    o = organizations.get_organization(db, user, record_id(org_id, "单位"))
    return _register(request, user, "register/organization.html", "organizations", org=organizations.org_out(o),
                     history=places.history(db, user, "organization", o.id, o.grid_code)[-20:][::-1],
                     reveal_url=f"/register/organizations/{o.id}/reveal")


# --- special groups -------------------------------------------------------------------------

@router.get("/register/special-groups", response_class=HTMLResponse)
def special_groups_page(request: Request, db: Db, user: PageUser, group: str = "", overdue: str = "",
                        page: Annotated[int, Query(ge=1, le=100_000)] = 1, limit: int = LIMITS[1]) -> Response:
    require(can(user, Permission.register_read))
    page, limit = page_window(page, limit)
    group = group if group in GROUPS else ""
    rows = care.list_members(db, user, group=group or None, overdue_only=overdue == "1", limit=limit + 1,
                             offset=(page - 1) * limit)
    worker_ids = {r["responsible_user_id"] for r in rows if r["responsible_user_id"]}
    workers = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(worker_ids))).all()) \
        if worker_ids else {}
    return _register(request, user, "register/special_groups.html", "special-groups", group=group,
                     overdue=overdue == "1", groups=GROUPS, workers=workers, risks=RISK_LABELS,
                     **paged(rows, page, limit))


# --- import and export ----------------------------------------------------------------------

def _import_context(user: User) -> dict[str, Any]:
    return {"entities": [{"key": e, "name": imports.SCHEMAS[e].name_cn,
                          "columns": [c.header_cn for c in imports.SCHEMAS[e].columns if c.required],
                          "exportable": e in EXPORTABLE} for e in ENTITIES]}


@router.get("/register/imports", response_class=HTMLResponse)
def imports_page(request: Request, db: Db, user: PageUser) -> Response:
    require(can(user, Permission.register_read))
    require(can(user, Permission.register_import) or can(user, Permission.register_export))
    runs = imports.recent_runs(db, user) if can(user, Permission.register_import) else []
    return _register(request, user, "register/imports.html", "imports", runs=runs, **_import_context(user))


@router.post("/register/imports/{entity}", response_class=HTMLResponse)
async def import_upload(request: Request, db: Db, user: PageUser, entity: str,
                        file: Annotated[UploadFile | None, File()] = None) -> Response:
    if entity not in ENTITIES:
        raise NotFound("页面不存在", code="not_found")
    if file is None or not file.filename:
        raise Invalid("请选择要导入的文件（.xlsx 或 .csv）", code="file_required")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid("文件超过 50 MB，请拆分后导入", code="too_large", status=413)
    run = imports.run_import(db, user, entity, data, file.filename)
    return render(request, user, "register/_import_result.html", run=imports.run_out(db, run),
                  entity_name=imports.SCHEMAS[entity].name_cn)


@router.get("/register/imports/runs/{run_id}", response_class=HTMLResponse)
def import_run_page(request: Request, db: Db, user: PageUser, run_id: str) -> Response:
    require(can(user, Permission.register_import))
    run = imports.get_run(db, user, record_id(run_id, "导入记录"))
    return _register(request, user, "register/import_run.html", "imports", run=imports.run_out(db, run),
                     entity_name=imports.SCHEMAS[run.entity].name_cn)
