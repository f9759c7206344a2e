"""HTTP API of the places domain: buildings and houses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gridgov.access.deps import CurrentUser, Db
from gridgov.openapi import err, errors, ok
from gridgov.people.schemas import RevealIn
from gridgov.people.service import person_out, residents_of_house
from gridgov.places import schemas, service

router = APIRouter(prefix="/api/v1", tags=["places"], responses=errors(401))
BUILDING_NOT_FOUND = err(404, "building_not_found", "楼栋不存在")
HOUSE_NOT_FOUND = err(404, "house_not_found", "房屋不存在")
REVEALED_HOUSE_EXAMPLE = {
    "id": 370, "code": "B2110210010010010200001-2-502", "building_id": 79, "address": "辽阳县首山镇幸福路12号幸福小区3号楼2单元502室",
    "unit_no": "2", "floor_no": "5", "room_no": "502", "use": "residential", "area_m2": 89.5, "owner_name": "王秀英",
    "is_rental": False, "status": "self_occupied", "status_label": "自住", "grid_code": "21102100100100102",
    "resident_count": 2}
RESIDENTS_EXAMPLE = [{
    "id": 361, "name": "王*英", "citizen_id": "1101**********002X", "sex": "female", "sex_label": "女", "age": 76,
    "birth_date": None, "ethnicity": "汉族", "phone": "139****5678", "hukou_region_code": "110105", "hukou_address": None,
    "residence_address": "辽阳县首山镇幸福路12号****", "house_id": 370, "grid_code": "21102100100100102",
    "population_type": "registered", "population_type_label": "户籍人口", "moved_in_on": None, "moved_out_on": None,
    "status": "active", "masked": True}]


@router.get("/buildings", response_model=list[schemas.BuildingOut], summary="Buildings in your scope",
            responses=errors(403, 422))
def list_buildings(db: Db, user: CurrentUser, grid: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None,
                   q: Annotated[str | None, Query(max_length=50)] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    return service.list_buildings(db, user, grid_code=grid, q=q, limit=limit, offset=offset)


@router.post("/buildings", response_model=schemas.BuildingOut, status_code=201,
             summary="Register a building (located to its grid by lon/lat)", responses=errors(403, 422))
def create_building(body: schemas.BuildingIn, db: Db, user: CurrentUser):
    return service.building_out(service.create_building(db, user, body.model_dump()))


@router.get("/buildings/{building_id}", response_model=schemas.BuildingOut, summary="One building",
            responses=errors(403, 422) | BUILDING_NOT_FOUND)
def get_building(building_id: int, db: Db, user: CurrentUser):
    b = service.get_building(db, user, building_id)
    return service.building_out(b, len(service.houses_of_building(db, user, building_id)))


@router.patch("/buildings/{building_id}", response_model=schemas.BuildingOut, summary="Change a building",
              responses=errors(403, 422) | BUILDING_NOT_FOUND)
def update_building(building_id: int, body: schemas.BuildingPatch, db: Db, user: CurrentUser):
    return service.building_out(service.update_building(db, user, building_id, body.model_dump(exclude_unset=True, exclude_none=True)))


@router.get("/buildings/{building_id}/houses", response_model=list[schemas.HouseOut], summary="Houses of a building",
            responses=errors(403, 422) | BUILDING_NOT_FOUND)
def building_houses(building_id: int, db: Db, user: CurrentUser):
    return [service.house_out(h) for h in service.houses_of_building(db, user, building_id)]


@router.post("/buildings/{building_id}/houses", response_model=schemas.HouseOut, status_code=201,
             summary="Register a house (room) in a building",
             responses=errors(403, 422) | BUILDING_NOT_FOUND | err(409, "house_exists", "该楼栋已有 2单元 502 室"))
def create_house(building_id: int, body: schemas.HouseIn, db: Db, user: CurrentUser):
    return service.house_out(service.create_house(db, user, building_id, body.model_dump()))


@router.get("/buildings/{building_id}/history", response_model=list[schemas.ChangeOut], summary="Change history",
            responses=errors(403, 422) | BUILDING_NOT_FOUND)
def building_history(building_id: int, db: Db, user: CurrentUser):
    b = service.get_building(db, user, building_id)
    return service.history(db, user, "building", b.id, b.grid_code)


@router.get("/houses/{house_id}", response_model=schemas.HouseOut, summary="One house",
            responses=errors(403, 422) | HOUSE_NOT_FOUND)
def get_house(house_id: int, db: Db, user: CurrentUser):
    h = service.get_house(db, user, house_id)
    return service.house_out(h, len(residents_of_house(db, h.id)))


@router.post("/houses/{house_id}/reveal", response_model=schemas.HouseOut,
             summary="The house with its owner unmasked, for a stated purpose (audited)",
             responses=ok(REVEALED_HOUSE_EXAMPLE) | errors(403, 422) | HOUSE_NOT_FOUND)
def reveal_house(house_id: int, body: RevealIn, db: Db, user: CurrentUser):
    return service.reveal_house(db, user, house_id, body.purpose)


@router.patch("/houses/{house_id}", response_model=schemas.HouseOut, summary="Change a house",
              responses=errors(403, 422) | HOUSE_NOT_FOUND)
def update_house(house_id: int, body: schemas.HousePatch, db: Db, user: CurrentUser):
    return service.house_out(service.update_house(db, user, house_id, body.model_dump(exclude_unset=True, exclude_none=True)))


@router.get("/houses/{house_id}/residents", summary="Current residents of a house (masked)",
            responses=ok(RESIDENTS_EXAMPLE) | errors(403, 422) | HOUSE_NOT_FOUND)
def house_residents(house_id: int, db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    h = service.get_house(db, user, house_id)
    return [person_out(p) for p in residents_of_house(db, h.id)]


@router.get("/houses/{house_id}/history", response_model=list[schemas.ChangeOut], summary="Change history",
            responses=errors(403, 422) | HOUSE_NOT_FOUND)
def house_history(house_id: int, db: Db, user: CurrentUser):
    h = service.get_house(db, user, house_id)
    return service.history(db, user, "house", h.id, h.grid_code)
