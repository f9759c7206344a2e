"""HTTP API of the standard address library (标准地址库): search, read, create, match, geocode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gridgov.access.deps import CurrentUser, Db
from gridgov.openapi import err, errors
from gridgov.places import schemas
from gridgov.places.matching import library, service

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"])

ERRORS = errors(401) | err(403, "permission_denied", "您的角色无权执行此操作",
                           "Missing permission register:read / register:write, or outside your scope") | err(
    422, "invalid_request", "请求参数有误：body.text: String should have at least 1 character",
    "Bad input (empty or over-long text, too many lines, …)",
    [{"loc": ["body", "text"], "msg": "String should have at least 1 character", "type": "string_too_short"}])
GEOCODE_NO_MATCH = {"reason": "no_candidates", "query": {
    "text": "火星基地1号", "normalized": "火星基地1号", "canonical": "1号火星基地", "key": "1号火星基地", "level": "building",
    "elements": {"road_no": "1", "poi": "火星基地"}, "ignored": []}}


@router.get(
    "",
    response_model=list[schemas.AddressOut],
    summary="Search the standard address library",
    description="`q`: an address (matched as a prefix of the canonical text from the road down: "
    "`长安路2号` lists that compound) or an address code prefix (`A2110…`); `grid`: a grid "
    "code prefix. Ordered by key.",
    responses=ERRORS,
)
def list_addresses(
    db: Db,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=200, examples=["长安路2号新运里"])] = None,
    grid: Annotated[str | None, Query(pattern=r"^\d{2,17}$", examples=["211021001001001"])] = None,
    level: Annotated[schemas.AddressLevel | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    return library.list_addresses(db, user, q=q, grid_code=grid, level=level, limit=limit, offset=offset)


@router.post(
    "",
    response_model=schemas.AddressOut,
    status_code=201,
    summary="Add a standard address",
    description="Needs register:write in the scope of the grid the address lies in; audited.",
    responses=ERRORS | err(409, "address_exists", "标准地址已存在：辽宁省辽阳市辽阳县晨光街道复兴社区长安路2号新运里9号楼",
                           "The address already exists", {"id": 417, "code": "A2110210010010010200001"}),
)
def create_address(body: schemas.AddressIn, db: Db, user: CurrentUser):
    data = body.model_dump()
    data["elements"] = body.elements.model_dump(exclude_none=True) if body.elements else {}
    return library.create_address(db, user, data)


@router.post(
    "/match",
    response_model=schemas.MatchOut,
    summary="Match an address against the library",
    description="Normalises the text, then matches exactly by key, else fuzzily (score 0..1, "
    "1.0 only for an exact match). `match: none` comes with a `reason`.",
    responses=ERRORS,
)
def match(body: schemas.MatchIn, db: Db, user: CurrentUser):
    return service.match_address(db, user, body.text, body.limit)


@router.post(
    "/geocode",
    response_model=schemas.GeocodeOut,
    summary="Geocode an address (lon/lat, H3, grid)",
    description="The best library match's location; if the library has none but a region "
    "name parses, that region's label point with `coarse: true`.",
    responses=ERRORS | err(404, "no_match", "无法定位该地址：标准地址库中没有同一道路、门牌或小区的地址",
                           "No match: `error.details.reason` says why", GEOCODE_NO_MATCH),
)
def geocode(body: schemas.GeocodeIn, db: Db, user: CurrentUser):
    return service.geocode(db, user, body.text)


@router.post(
    "/batch-match",
    response_model=schemas.BatchMatchOut,
    summary="Match up to 1000 addresses",
    description="One result per line, in order.",
    responses=ERRORS,
)
def batch_match(body: schemas.BatchMatchIn, db: Db, user: CurrentUser):
    results = service.match_many(db, user, body.lines, body.limit)
    return {"count": len(results), "matched": sum(r["match"] != "none" for r in results), "results": results}


@router.post(
    "/aliases",
    response_model=schemas.AliasOut,
    status_code=201,
    summary="Add an alias or former name (road, compound, region)",
    responses=ERRORS | err(409, "alias_exists", "该别名已存在", "The alias already exists", {"id": 3}),
)
def create_alias(body: schemas.AliasIn, db: Db, user: CurrentUser):
    return library.create_alias(db, user, body.model_dump())


@router.get(
    "/{address_id}",
    response_model=schemas.AddressOut,
    summary="One standard address",
    responses=ERRORS | err(404, "address_not_found", "标准地址不存在", "No such address"),
)
def get_address(address_id: int, db: Db, user: CurrentUser):
    return library.get_address(db, user, address_id)
