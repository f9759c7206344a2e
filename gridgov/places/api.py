"""HTTP API of the places domain: buildings and houses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gridgov.access.deps import CurrentUser, Db
from gridgov.people.schemas import RevealIn
from gridgov.people.service import person_out, residents_of_house
from gridgov.places import schemas, service

router = APIRouter(prefix="/api/v1", tags=["places"])


@router.get("/buildings", response_model=list[schemas.BuildingOut], summary="Buildings in your scope")
def list_buildings(db: Db, user: CurrentUser, grid: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None,
                   q: Annotated[str | None, Query(max_length=50)] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    return service.list_buildings(db, user, grid_code=grid, q=q, limit=limit, offset=offset)


@router.post("/buildings", response_model=schemas.BuildingOut, status_code=201,
             summary="Register a building (located to its grid by lon/lat)")
def create_building(body: schemas.BuildingIn, db: Db, user: CurrentUser):
    return service.building_out(service.create_building(db, user, body.model_dump()))


@router.get("/buildings/{building_id}", response_model=schemas.BuildingOut, summary="One building")
def get_building(building_id: int, db: Db, user: CurrentUser):
    b = service.get_building(db, user, building_id)
    return service.building_out(b, len(service.houses_of_building(db, user, building_id)))


@router.patch("/buildings/{building_id}", response_model=schemas.BuildingOut, summary="Change a building")
def update_building(building_id: int, body: schemas.BuildingPatch, db: Db, user: CurrentUser):
    return service.building_out(service.update_building(db, user, building_id, body.model_dump(exclude_unset=True, exclude_none=True)))


@router.get("/buildings/{building_id}/houses", response_model=list[schemas.HouseOut], summary="Houses of a building")
def building_houses(building_id: int, db: Db, user: CurrentUser):
    return [service.house_out(h) for h in service.houses_of_building(db, user, building_id)]


@router.post("/buildings/{building_id}/houses", response_model=schemas.HouseOut, status_code=201,
             summary="Register a house (room) in a building")
def create_house(building_id: int, body: schemas.HouseIn, db: Db, user: CurrentUser):
    return service.house_out(service.create_house(db, user, building_id, body.model_dump()))


@router.get("/buildings/{building_id}/history", response_model=list[schemas.ChangeOut], summary="Change history")
def building_history(building_id: int, db: Db, user: CurrentUser):
    b = service.get_building(db, user, building_id)
    return service.history(db, user, "building", b.id, b.grid_code)


@router.get("/houses/{house_id}", response_model=schemas.HouseOut, summary="One house")
def get_house(house_id: int, db: Db, user: CurrentUser):
    h = service.get_house(db, user, house_id)
    return service.house_out(h, len(residents_of_house(db, h.id)))


@router.post("/houses/{house_id}/reveal", response_model=schemas.HouseOut,
             summary="The house with its owner unmasked, for a stated purpose (audited)")
def reveal_house(house_id: int, body: RevealIn, db: Db, user: CurrentUser):
    return service.reveal_house(db, user, house_id, body.purpose)


@router.patch("/houses/{house_id}", response_model=schemas.HouseOut, summary="Change a house")
def update_house(house_id: int, body: schemas.HousePatch, db: Db, user: CurrentUser):
    return service.house_out(service.update_house(db, user, house_id, body.model_dump(exclude_unset=True, exclude_none=True)))


@router.get("/houses/{house_id}/residents", summary="Current residents of a house (masked)")
def house_residents(house_id: int, db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    h = service.get_house(db, user, house_id)
    return [person_out(p) for p in residents_of_house(db, h.id)]


@router.get("/houses/{house_id}/history", response_model=list[schemas.ChangeOut], summary="Change history")
def house_history(house_id: int, db: Db, user: CurrentUser):
    h = service.get_house(db, user, house_id)
    return service.history(db, user, "house", h.id, h.grid_code)
