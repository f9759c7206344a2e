"""HTTP API: possible duplicates of an event, for the operator to merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from gridgov.access.deps import CurrentUser, Db
from gridgov.events import duplicates_service
from gridgov.events.schemas import EventOut

router = APIRouter(prefix="/api/v1", tags=["events"])
EventRef = Annotated[str, Path(pattern=r"^(\d{1,10}|SJ\d{8,20})$", description="Event id or code")]


class DuplicateCandidate(BaseModel):
    event: EventOut
    score: float = Field(ge=0, le=1, description="0–1; higher is more likely the same problem")
    reasons: list[str] = Field(description="Why the pair is proposed (Chinese)")
    same_item: bool
    same_category: bool
    distance_m: float | None = Field(description="Metres apart (null: at least one has no point)")
    hours_apart: float
    text_similarity: float = Field(
        ge=0, le=1, description="Character-bigram Dice similarity of the descriptions"
    )
    signals: list[str] = Field(
        description="place: same kind nearby; text: near-identical text; "
        "kind_text: same kind and similar text without a point"
    )


class DuplicatesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event": {"id": 812, "code": "SJ202611250000812", "state": "reported"},
                    "rules": {"radius_m": 200, "hours": 72, "identical_text": 0.8, "similar_text": 0.4},
                    "mergeable": True,
                    "candidates": [
                        {
                            "event": {"id": 790, "code": "SJ202611240000790", "...": "..."},
                            "score": 0.86,
                            "reasons": [
                                "同一事项（CG012）",
                                "相距 35 米",
                                "上报时间相差 5.5 小时",
                                "描述相似（相似度 61%）",
                            ],
                            "same_item": True,
                            "same_category": True,
                            "distance_m": 35.2,
                            "hours_apart": 5.5,
                            "text_similarity": 0.61,
                            "signals": ["place"],
                        }
                    ],
                }
            ]
        }
    )

    event: dict[str, Any]
    rules: dict[str, float]
    mergeable: bool = Field(description="Whether this event may still be merged (reported or accepted)")
    candidates: list[DuplicateCandidate]


@router.get(
    "/events/{ref}/duplicates",
    response_model=DuplicatesOut,
    summary="Possible duplicates of an event (same kind nearby and recent, or near-identical text)",
)
def event_duplicates(
    ref: EventRef,
    db: Db,
    user: CurrentUser,
    radius_m: Annotated[float | None, Query(gt=0, le=1000, description="Default 200 m")] = None,
    hours: Annotated[float | None, Query(gt=0, le=720, description="Default 72 h")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Any:
    """Merge a suggested duplicate with `POST /api/v1/events/{code}/actions/merge` `{"into": ...}`."""
    return duplicates_service.duplicates_out(db, user, ref, radius_m=radius_m, hours=hours, limit=limit)
