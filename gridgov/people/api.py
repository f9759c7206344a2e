"""HTTP API of the people domain: persons, households, organizations, special groups, visits,
self-declarations (the submit and status endpoints are public)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gridgov.access.deps import CurrentUser, Db
from gridgov.openapi import err, errors, ok
from gridgov.people import care, declarations, organizations, schemas, service
from gridgov.places.service import history
from gridgov.ratelimit import RATE_LIMITED_RESPONSES, LimitedRoute, limit, path_param

router = APIRouter(prefix="/api/v1", tags=["people"], responses=errors(401))
PERSON_NOT_FOUND = err(404, "person_not_found", "人员不存在")
HOUSE_NOT_FOUND = err(404, "house_not_found", "房屋不存在", "房屋不存在")
HOUSEHOLD_NOT_FOUND = err(404, "household_not_found", "户不存在")
ORG_NOT_FOUND = err(404, "organization_not_found", "单位不存在")
DECLARATION_NOT_FOUND = err(404, "declaration_not_found", "申报不存在")
ALREADY_REVIEWED = err(409, "already_reviewed", "该申报已通过，不能重复审核", "该申报已审核过")
BAD_ID = err(422, "invalid_citizen_id", "身份证号无效：身份证号校验位错误：应为 X，实为 1", "身份证号等字段校验失败")
# anyone may call these: rate-limited per client IP (and per building link for declarations)
public = APIRouter(prefix="/api/v1/public", tags=["public"], route_class=LimitedRoute,
                   responses=RATE_LIMITED_RESPONSES)


@router.get("/persons/search", response_model=schemas.SearchOut,
            summary="Search persons by name, pinyin, ID, phone (or its last 4 digits) or address",
            responses=errors(403, 422))
def search_persons(db: Db, user: CurrentUser, q: Annotated[str, Query(min_length=1, max_length=60)],
                   limit: Annotated[int, Query(ge=1, le=100)] = 20):
    return service.search_persons(db, user, q, limit)


@router.post("/persons", response_model=schemas.PersonOut, status_code=201, summary="Register a person",
             responses=errors(403) | HOUSE_NOT_FOUND | BAD_ID | err(409, "person_exists", "该身份证号已登记"))
def create_person(body: schemas.PersonIn, db: Db, user: CurrentUser):
    return service.person_out(service.create_person(db, user, body.model_dump()))


@router.get("/persons/{person_id}", response_model=schemas.PersonOut, summary="One person (masked)",
            responses=errors(403, 422) | PERSON_NOT_FOUND)
def get_person(person_id: int, db: Db, user: CurrentUser):
    return service.person_out(service.get_person(db, user, person_id))


@router.post("/persons/{person_id}/reveal", response_model=schemas.PersonOut,
             summary="The unmasked record, for a stated purpose (audited)",
             responses=ok(schemas.REVEALED_PERSON_EXAMPLE) | errors(403, 422) | PERSON_NOT_FOUND)
def reveal_person(person_id: int, body: schemas.RevealIn, db: Db, user: CurrentUser):
    return service.reveal_person(db, user, person_id, body.purpose)


@router.patch("/persons/{person_id}", response_model=schemas.PersonOut, summary="Change a person's data",
              responses=errors(403, 422) | PERSON_NOT_FOUND)
def update_person(person_id: int, body: schemas.PersonPatch, db: Db, user: CurrentUser):
    data = body.model_dump(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k in ("phone", "moved_out_on")}
    return service.person_out(service.update_person(db, user, person_id, data))


@router.post("/persons/{person_id}/move", response_model=schemas.PersonOut,
             summary="Move a person to another house (history kept)",
             responses=errors(403, 422) | err(404, "house_not_found", "房屋不存在", "人员或房屋不存在"))
def move_person(person_id: int, body: schemas.MoveIn, db: Db, user: CurrentUser):
    return service.person_out(service.move_person(db, user, person_id, body.house_id, role=body.role, on=body.on))


@router.get("/persons/{person_id}/residences", summary="Where a person lived, over time",
            responses=ok(schemas.RESIDENCES_EXAMPLE) | errors(403, 422) | PERSON_NOT_FOUND)
def person_residences(person_id: int, db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return service.residences(db, user, person_id)


@router.get("/persons/{person_id}/history", summary="Change history of a person",
            responses=ok(schemas.PERSON_HISTORY_EXAMPLE) | errors(403, 422) | PERSON_NOT_FOUND)
def person_history(person_id: int, db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    p = service.get_person(db, user, person_id)
    return history(db, user, "person", p.id, p.grid_code)


@router.post("/households", status_code=201, summary="Create a household in a house",
             responses=ok(schemas.HOUSEHOLD_EXAMPLE, 201) | errors(403, 422)
             | err(404, "house_not_found", "房屋不存在", "房屋或户主不存在"))
def create_household(body: schemas.HouseholdIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    hh = service.create_household(db, user, house_id=body.house_id, head_person_id=body.head_person_id,
                                  kind=body.kind, code=body.code)
    return service.household_of(db, user, hh.id)


@router.get("/households/{household_id}", summary="A household and its members (masked)",
            responses=ok(schemas.HOUSEHOLD_EXAMPLE) | errors(403, 422) | HOUSEHOLD_NOT_FOUND)
def get_household(household_id: int, db: Db, user: CurrentUser) -> dict[str, Any]:
    return service.household_of(db, user, household_id)


@router.post("/households/{household_id}/members", status_code=201, summary="Add a member to a household",
             responses=ok(schemas.HOUSEHOLD_EXAMPLE, 201) | errors(403, 422) | HOUSEHOLD_NOT_FOUND)
def add_member(household_id: int, body: schemas.MemberIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    service.add_member(db, user, household_id, body.person_id, body.relation)
    return service.household_of(db, user, household_id)


@router.get("/organizations", summary="Organizations in your scope",
            responses=ok([schemas.ORGANIZATION_EXAMPLE]) | errors(403, 422))
def list_organizations(db: Db, user: CurrentUser, q: Annotated[str | None, Query(max_length=60)] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50,
                       offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return organizations.list_organizations(db, user, q=q, limit=limit, offset=offset)


@router.post("/organizations", status_code=201, summary="Register an organization (USCC checked)",
             responses=ok(schemas.CREATED_ORGANIZATION_EXAMPLE, 201) | errors(403, 422)
             | err(409, "organization_exists", "该统一社会信用代码已登记"))
def create_organization(body: schemas.OrganizationIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    return organizations.org_out(organizations.create_organization(db, user, body.model_dump()))


@router.get("/organizations/{org_id}", summary="One organization (masked)",
            responses=ok(schemas.ORGANIZATION_EXAMPLE) | errors(403, 422) | ORG_NOT_FOUND)
def get_organization(org_id: int, db: Db, user: CurrentUser) -> dict[str, Any]:
    return organizations.org_out(organizations.get_organization(db, user, org_id))


@router.post("/organizations/{org_id}/reveal",
             summary="The organization with its representative and contact unmasked, for a stated purpose (audited)",
             responses=ok(schemas.REVEALED_ORGANIZATION_EXAMPLE) | errors(403, 422) | ORG_NOT_FOUND)
def reveal_organization(org_id: int, body: schemas.RevealIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    return organizations.reveal_organization(db, user, org_id, body.purpose)


@router.get("/special-groups", summary="Special-group members in your scope",
            responses=ok([schemas.MEMBER_EXAMPLE]) | errors(403, 422))
def list_members(db: Db, user: CurrentUser, group: str | None = None, overdue: bool = False,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return care.list_members(db, user, group=group, overdue_only=overdue, limit=limit, offset=offset)


@router.post("/persons/{person_id}/special-groups", status_code=201, summary="Enrol a person in a special group",
             responses=ok(schemas.ENROLLED_EXAMPLE, 201) | errors(403, 422) | PERSON_NOT_FOUND)
def enroll(person_id: int, body: schemas.EnrollIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    m = care.enroll(db, user, person_id, body.group, body.attributes, risk_level=body.risk_level,
                    responsible_user_id=body.responsible_user_id, interval_days=body.visit_interval_days)
    return care.member_out(m)


@router.post("/visits", status_code=201, summary="Record a visit (走访)",
             responses=ok(schemas.VISIT_EXAMPLE, 201) | errors(403) | PERSON_NOT_FOUND
             | err(422, "visit_target_required", "请指定走访的人员或户", "未指定走访对象，或参数校验失败"))
def record_visit(body: schemas.VisitIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    v = care.record_visit(db, user, **body.model_dump())
    return {"id": v.id, "visited_at": v.visited_at, "grid_code": v.grid_code, "method": v.method}


@router.get("/visits/overdue", summary="Overdue special-group visits per grid worker",
            responses=ok(schemas.OVERDUE_EXAMPLE) | errors(403))
def overdue_visits(db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return care.overdue_by_worker(db, user)


@router.get("/declarations", summary="The self-declaration review queue in your scope",
            responses=ok([schemas.DECLARATION_EXAMPLE]) | errors(403, 422))
def declaration_queue(db: Db, user: CurrentUser,
                      status: Annotated[str, Query(pattern="^(pending|approved|rejected|all)$")] = "pending",
                      ) -> list[dict[str, Any]]:
    return declarations.queue(db, user, status)


@router.post("/declarations/{declaration_id}/approve", summary="Approve: writes the house, persons and links",
             responses=ok(schemas.APPROVED_EXAMPLE) | errors(403, 422) | DECLARATION_NOT_FOUND | ALREADY_REVIEWED)
def approve_declaration(declaration_id: int, db: Db, user: CurrentUser) -> dict[str, Any]:
    return declarations.approve(db, user, declaration_id)


@router.post("/declarations/{declaration_id}/reject", summary="Reject with a reason the declarer will see",
             responses=ok(schemas.REJECTED_EXAMPLE) | errors(403, 422) | DECLARATION_NOT_FOUND | ALREADY_REVIEWED)
def reject_declaration(declaration_id: int, body: schemas.RejectIn, db: Db, user: CurrentUser) -> dict[str, Any]:
    return declarations.reject(db, user, declaration_id, body.reason)


@public.post("/declare/{token}", status_code=201, summary="Submit a self-declaration for a building (no login)",
             responses=ok(schemas.DECLARED_EXAMPLE, 201) | errors(422)
             | err(404, "building_not_found", "申报链接无效，请向网格员索取楼栋二维码"),
             dependencies=[limit("declare"), limit("declare_token", key=path_param("token"))])
def submit_declaration(token: str, body: schemas.DeclarationIn,
                       db: Db) -> dict[str, Any]:
    d = declarations.submit(db, token, body.model_dump(mode="json"))
    return {"tracking_code": d.tracking_code, "status": d.status, "message": "申报已提交，请记下申报编号以查询审核结果"}


@public.get("/declarations/{tracking_code}", summary="The outcome of a self-declaration (no login)",
            responses=ok(schemas.DECLARATION_STATUS_EXAMPLE) | err(404, "declaration_not_found", "未找到该申报编号")
            | errors(422),
            dependencies=[limit("lookup")])
def declaration_status(tracking_code: str, db: Db) -> dict[str, Any]:
    return declarations.status(db, tracking_code)
