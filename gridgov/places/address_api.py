"""HTTP API of the standard address library (标准地址库): search, read, create, match, geocode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gridgov.access.deps import CurrentUser, Db
from gridgov.places import schemas
from gridgov.places.matching import library, service

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"])

ERRORS = {
    401: {"description": "Not logged in"},
    403: {"description": "Missing permission register:read / register:write, or outside your scope"},
    422: {"description": "Bad input (empty or over-long text, too many lines, …)"},
}


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
    responses={**ERRORS, 409: {"description": "The address already exists"}},
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
    responses={**ERRORS, 404: {"description": "No match: `error.details.reason` says why"}},
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
    responses={**ERRORS, 409: {"description": "The alias already exists"}},
)
def create_alias(body: schemas.AliasIn, db: Db, user: CurrentUser):
    return library.create_alias(db, user, body.model_dump())


@router.get(
    "/{address_id}",
    response_model=schemas.AddressOut,
    summary="One standard address",
    responses={**ERRORS, 404: {"description": "No such address"}},
)
def get_address(address_id: int, db: Db, user: CurrentUser):
    return library.get_address(db, user, address_id)
