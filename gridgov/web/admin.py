"""Admin pages (系统管理): users and their scopes, departments, the event catalog (事项清单) and its
versions, the responsibility list (权责清单) with its Excel import, and the audit trail.

Only the admin role sees these pages (a 403 page for anyone else). Writes go through the domain
services (:mod:`gridgov.access.service`, :mod:`gridgov.events.catalog`,
:mod:`gridgov.events.responsibility`), which validate, audit and version; a refused write comes
back as the error fragment shown in place in the form.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from gridgov.access import audit
from gridgov.access import service as access
from gridgov.access.deps import Db
from gridgov.access.models import AuditEntry, User
from gridgov.access.roles import ROLE_LABELS, Permission, Role
from gridgov.errors import Invalid, NotFound
from gridgov.events import catalog, responsibility
from gridgov.events.catalog_defaults import STEP_LABELS, STEPS
from gridgov.regions import service as regions
from gridgov.web.i18n import t
from gridgov.web.pages import PageUser, has_role, is_htmx, render, require

router = APIRouter(include_in_schema=False)

MESSAGES = ("admin.",)
PAGE_SIZE = 50
MAX_UPLOAD = 20 * 1024 * 1024
ITEM_CODE = re.compile(r"^[A-Z]{2}\d{3}$")
REGION_CODE = re.compile(r"^\d{2,17}$")


def _admin(user: User) -> None:
    require(has_role(user, Role.admin))


def _page(request: Request, user: User, template: str, tab: str, **ctx: Any) -> HTMLResponse:
    _admin(user)
    return render(request, user, template, nav="admin", messages=MESSAGES, tab=tab, **ctx)


def _fragment(request: Request, user: User, template: str, **ctx: Any) -> HTMLResponse:
    return render(request, user, template, **ctx)


def user_out(u: User) -> dict[str, Any]:
    d = u.department
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "role_label": ROLE_LABELS[Role(u.role)], "scopes": sorted(u.region_codes), "active": u.active,
            "department": None if d is None else {"code": d.code, "name": d.name}}


def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,，;；、]+", text.strip()) if c]


@router.get("/admin", include_in_schema=False)
def admin_home(user: PageUser) -> Response:
    _admin(user)
    return RedirectResponse("/admin/users", status_code=303)


# --- users ----------------------------------------------------------------------------------

def _users_ctx(db: Db, user: User, q: str = "", role: str = "", page: int = 1) -> dict[str, Any]:
    rows = access.list_users(db, user)
    if role:
        rows = [u for u in rows if u.role == role]
    if q:
        rows = [u for u in rows if q in u.username or q in u.display_name]
    total = len(rows)
    page = max(1, min(page, (total - 1) // PAGE_SIZE + 1 if total else 1))
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return {"users": [user_out(u) for u in shown], "total": total, "page": page, "q": q, "role": role,
            "has_prev": page > 1, "has_next": page * PAGE_SIZE < total}


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, user: PageUser, q: Annotated[str, Query(max_length=64)] = "",
               role: str = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    _admin(user)
    role = role if role in ROLE_LABELS else ""
    return _page(request, user, "admin/users.html", "users", roles=ROLE_LABELS,
                 departments=access.list_departments(db), **_users_ctx(db, user, q.strip(), role, page))


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(request: Request, db: Db, user: PageUser,
                username: Annotated[str, Form(max_length=64)] = "",
                display_name: Annotated[str, Form(max_length=100)] = "",
                password: Annotated[str, Form(max_length=200)] = "",
                role: Annotated[str, Form(max_length=20)] = "",
                scopes: Annotated[str, Form(max_length=2000)] = "",
                department_code: Annotated[str, Form(max_length=32)] = "") -> Response:
    _admin(user)
    access.require_permission(user, Permission.users_manage)
    codes = _codes(scopes)
    for code in codes:  # a scope must be a region that exists, not only a well-formed code
        regions.current(db, code)
    created = access.create_user(db, user, username=username.strip(), password=password, role=role,
                                 display_name=display_name.strip() or None, scopes=codes,
                                 department_code=department_code.strip() or None)
    return _fragment(request, user, "admin/_user_created.html", created=user_out(created), roles=ROLE_LABELS,
                     **_users_ctx(db, user))


def _managed_user(db: Db, user: User, user_id: int) -> User:
    _admin(user)
    access.require_permission(user, Permission.users_manage)
    return access.get_user(db, user_id)


@router.get("/admin/users/{user_id}/row", response_class=HTMLResponse)
def user_row(request: Request, db: Db, user: PageUser, user_id: int) -> Response:
    return _fragment(request, user, "admin/_user_row.html", u=user_out(_managed_user(db, user, user_id)))


@router.get("/admin/users/{user_id}/edit", response_class=HTMLResponse)
def user_edit_form(request: Request, db: Db, user: PageUser, user_id: int) -> Response:
    target = _managed_user(db, user, user_id)
    return _fragment(request, user, "admin/_user_edit.html", u=user_out(target), roles=ROLE_LABELS,
                     departments=access.list_departments(db))


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def user_update(request: Request, db: Db, user: PageUser, user_id: int,
                display_name: Annotated[str, Form(max_length=100)] = "",
                role: Annotated[str, Form(max_length=20)] = "",
                scopes: Annotated[str, Form(max_length=2000)] = "",
                department_code: Annotated[str, Form(max_length=32)] = "",
                active: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Saves the in-place edit form; on success the whole row is swapped back (HX-Retarget)."""
    _managed_user(db, user, user_id)
    changed = access.update_user(db, user, user_id, display_name=display_name, role=role or None,
                                 scopes=_codes(scopes), department_code=department_code.strip(),
                                 active=active in ("1", "on", "true"))
    return _fragment(request, user, "admin/_user_row.html", u=user_out(changed), saved=t("admin.user_saved"),
                     headers={"HX-Retarget": f"#user-row-{user_id}", "HX-Reswap": "outerHTML"})


@router.get("/admin/users/{user_id}/password", response_class=HTMLResponse)
def user_password_form(request: Request, db: Db, user: PageUser, user_id: int) -> Response:
    return _fragment(request, user, "admin/_user_password.html", u=user_out(_managed_user(db, user, user_id)))


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def user_password_reset(request: Request, db: Db, user: PageUser, user_id: int,
                        password: Annotated[str, Form(max_length=200)] = "") -> Response:
    _managed_user(db, user, user_id)
    changed = access.reset_password(db, user, user_id, password)
    return _fragment(request, user, "admin/_user_row.html", u=user_out(changed),
                     saved=t("admin.password_reset_done", username=changed.username),
                     headers={"HX-Retarget": f"#user-row-{user_id}", "HX-Reswap": "outerHTML"})


# --- departments ----------------------------------------------------------------------------

@router.get("/admin/departments", response_class=HTMLResponse)
def departments_page(request: Request, db: Db, user: PageUser) -> Response:
    _admin(user)
    return _page(request, user, "admin/departments.html", "departments", departments=access.list_departments(db))


@router.post("/admin/departments", response_class=HTMLResponse)
def create_department(request: Request, db: Db, user: PageUser,
                      code: Annotated[str, Form(max_length=32)] = "", name: Annotated[str, Form(max_length=100)] = "",
                      region_code: Annotated[str, Form(max_length=17)] = "",
                      is_centre: Annotated[str, Form(max_length=5)] = "") -> Response:
    _admin(user)
    access.require_permission(user, Permission.users_manage)
    code, name, region_code = code.strip(), name.strip(), region_code.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", code):
        raise Invalid("部门编码只能包含字母、数字、下划线、点和连字符（1–32 位）", code="invalid_department_code")
    if not name:
        raise Invalid("请填写部门名称", code="name_required")
    if not REGION_CODE.fullmatch(region_code):
        raise Invalid("服务区域应为 2–17 位数字的区划代码", code="invalid_region_code")
    regions.current(db, region_code)
    dept = access.create_department(db, user, code=code, name=name, region_code=region_code,
                                    is_centre=is_centre in ("1", "on", "true"))
    return _fragment(request, user, "admin/_department_created.html", created=dept,
                     departments=access.list_departments(db))


# --- catalog --------------------------------------------------------------------------------

@router.get("/admin/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, db: Db, user: PageUser, category: str = "",
                 q: Annotated[str, Query(max_length=40)] = "",
                 version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None) -> Response:
    _admin(user)
    v = catalog.version_by_number(db, version) if version else None
    data = catalog.catalog_out(db, v)
    cats = data["categories"]
    if not category and not q.strip() and cats:  # a page per category; "all" lists every item
        category = cats[0]["code"]
    current = next((c for c in cats if c["code"] == category), None)
    items = current["items"] if current else [i for c in cats for i in c["items"]]
    q = q.strip()
    if q:
        items = [i for i in items if q in i["code"] or q in i["name"] or q in (i["keywords"] or "")]
    names = {c["code"]: c["name"] for c in cats}
    versions = catalog.versions(db)
    return _page(request, user, "admin/catalog.html", "catalog", catalog=data, categories=cats, category=category,
                 q=q, items=items, category_names=names, versions=versions[:30],
                 is_current=v is None or v.is_current, steps=STEPS, step_labels=STEP_LABELS)


def _item(db: Db, code: str) -> dict[str, Any]:
    if not ITEM_CODE.fullmatch(code):
        raise NotFound(f"事项 {code} 不存在", code="unknown_item")
    data = catalog.catalog_out(db)
    for c in data["categories"]:
        for i in c["items"]:
            if i["code"] == code:
                return {**i, "category_name": c["name"]}
    raise NotFound(f"事项 {code} 不存在", code="unknown_item")


@router.get("/admin/catalog/items/{code}", response_class=HTMLResponse)
def catalog_item_page(request: Request, db: Db, user: PageUser, code: str) -> Response:
    _admin(user)
    return _page(request, user, "admin/catalog_item.html", "catalog", item=_item(db, code),
                 severities=catalog.SEVERITIES, steps=STEPS, step_labels=STEP_LABELS,
                 version=catalog.current_version(db).number)


@router.post("/admin/catalog/items/{code}", response_class=HTMLResponse)
async def catalog_item_save(request: Request, db: Db, user: PageUser, code: str) -> Response:
    """Writes a new catalog version with this item changed (``catalog.edit``)."""
    _admin(user)
    item = _item(db, code)
    form = await request.form()

    def field(name: str, max_len: int = 400) -> str:
        value = form.get(name)
        return value.strip()[:max_len] if isinstance(value, str) else ""

    name = field("name", 100)
    if not name:
        raise Invalid("请填写事项名称", code="name_required")
    severity = field("severity", 16)
    if severity not in catalog.SEVERITIES:
        raise Invalid(f"严重程度须为：{'、'.join(catalog.SEVERITIES.values())}", code="invalid_severity")
    limits: dict[str, dict[str, float]] = {}
    for sev in catalog.SEVERITIES:
        limits[sev] = {}
        for step in STEPS:
            raw = field(f"limit_{sev}_{step}", 12)
            try:
                hours = float(raw)
            except ValueError:
                hours = -1
            if not (0 < hours <= 10_000):
                raise Invalid(f"时限（{catalog.SEVERITIES[sev]} · {STEP_LABELS[step]}）应为大于 0 的小时数",
                              code="invalid_limit")
            limits[sev][step] = hours
    change = {"code": item["code"], "name": name, "severity": severity, "description": field("description", 1000) or None,
              "department_code": field("department_code", 14) or None, "keywords": field("keywords", 400) or None,
              "self_resolvable": field("self_resolvable", 5) in ("1", "on", "true"),
              "public": field("public", 5) in ("1", "on", "true"), "limits": limits}
    note = field("note", 200) or f"修改事项 {item['code']}"
    v = catalog.edit(db, user, [change], note)
    target = f"/admin/catalog?saved={v.number}&category={item['category_code']}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# --- responsibility list --------------------------------------------------------------------

@router.get("/admin/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: Db, user: PageUser,
               region: Annotated[str, Query(max_length=17)] = "") -> Response:
    _admin(user)
    region = region.strip()
    if region and not REGION_CODE.fullmatch(region):
        raise Invalid("区划代码应为 2–17 位数字", code="invalid_region_code")
    rules = responsibility.list_rules(db, user, region or None)
    departments = access.list_departments(db)
    names = {d.id: d.name for d in departments}
    return _page(request, user, "admin/rules.html", "rules", rules=rules[:500], total=len(rules), region=region,
                 departments=departments, dept_names=names)


@router.post("/admin/rules", response_class=HTMLResponse)
def add_rule(request: Request, db: Db, user: PageUser,
             target: Annotated[str, Form(max_length=16)] = "",
             region_code: Annotated[str, Form(max_length=17)] = "",
             lead_department_id: Annotated[str, Form(max_length=12)] = "",
             assist_department_ids: Annotated[list[str] | None, Form()] = None,
             note: Annotated[str, Form(max_length=200)] = "") -> Response:
    _admin(user)
    target, region_code = target.strip().upper(), region_code.strip()
    cat = catalog.catalog_out(db)
    categories = {c["code"] for c in cat["categories"]}
    items = {i["code"] for c in cat["categories"] for i in c["items"]}
    if target in items:
        item_code, category_code = target, None
    elif target in categories:
        item_code, category_code = None, target
    else:
        raise Invalid(f"“{target}”既不是现行事项编码，也不是类别编码", code="unknown_target")
    if not REGION_CODE.fullmatch(region_code):
        raise Invalid("区划代码应为 2–17 位数字", code="invalid_region_code")
    regions.current(db, region_code)
    if not lead_department_id.isdigit():
        raise Invalid("请选择牵头部门", code="lead_required")
    assist = sorted({int(a) for a in (assist_department_ids or []) if a.isdigit()} - {int(lead_department_id)})
    rule = catalog.add_rule(db, user, {"item_code": item_code, "category_code": category_code,
                                       "region_code": region_code, "lead_department_id": int(lead_department_id),
                                       "assist_department_ids": assist, "note": note.strip() or None})
    return _fragment(request, user, "admin/_rule_added.html", rule_id=rule.id, target=target, region_code=region_code)


@router.post("/admin/rules/import", response_class=HTMLResponse)
async def import_rules(request: Request, db: Db, user: PageUser,
                       file: Annotated[UploadFile | None, File()] = None) -> Response:
    _admin(user)
    if file is None or not file.filename:
        raise Invalid("请选择要导入的文件（.xlsx 或 .csv）", code="file_required")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid("文件超过 20 MB", code="too_large", status=413)
    run = responsibility.import_file(db, user, data, file.filename)
    return _fragment(request, user, "admin/_rules_import_result.html", run=responsibility.run_out(db, run))


# --- audit ----------------------------------------------------------------------------------

@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, user: PageUser, action: Annotated[str, Query(max_length=64)] = "",
               actor: Annotated[str, Query(max_length=64)] = "",
               before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    _admin(user)
    access.require_permission(user, Permission.audit_read)
    action, actor = action.strip(), actor.strip()
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(PAGE_SIZE + 1)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.where(AuditEntry.actor_name == actor)
    if before:
        stmt = stmt.where(AuditEntry.seq < before)
    rows = list(db.scalars(stmt))
    actions = ("personal.reveal", "register.", "user.", "department.", "catalog.", "auth.", "event.")
    return _page(request, user, "admin/audit.html", "audit", entries=rows[:PAGE_SIZE], action=action, actor=actor,
                 next_before=rows[PAGE_SIZE - 1].seq if len(rows) > PAGE_SIZE else None, actions=actions,
                 first_page=before is None)


@router.get("/admin/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, db: Db, user: PageUser) -> Response:
    _admin(user)
    access.require_permission(user, Permission.audit_read)
    checked, broken = audit.verify(db)
    return _fragment(request, user, "admin/_audit_verify.html", checked=checked, broken=broken)
