"""HTTP API: possible duplicates of an event, for the operator to merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from gridgov.access.deps import CurrentUser, Db
from gridgov.events import duplicates_service
from gridgov.events.schemas import EventOut
from gridgov.openapi import err, errors

router = APIRouter(prefix="/api/v1", tags=["events"], responses=errors(401))
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
                {"event": {"id": 2191, "code": "SJ202612010002191", "state": "dispatched"},
                 "rules": {"radius_m": 200.0, "hours": 72.0, "identical_text": 0.8, "similar_text": 0.4},
                 "mergeable": False,
                 "candidates": [{"event": {"id": 2180, "code": "SJ202611290002180", "channel": "grid",
                                           "channel_label": "网格员上报", "item_code": "CG008",
                                           "category_code": "CG", "severity": "normal", "title": "违规户外广告和招牌",
                                           "description": "来电反映：辽阳县晨光街道复兴社区东风路2号河东小区1号楼门前，未经许可设置的户外广告、招牌、灯箱。",
                                           "address": "辽阳县晨光街道复兴社区东风路2号河东小区1号楼", "lon": 123.1149691,
                                           "lat": 41.2123254, "grid_code": "21102100100100101",
                                           "region_code": "21102100100100101", "state": "closed",
                                           "state_label": "已结案", "level": 0,
                                           "created_at": "2026-11-29T07:19:10Z",
                                           "updated_at": "2026-12-01T06:56:59Z", "due_at": None,
                                           "overdue": False, "closed_at": "2026-12-01T06:56:59Z",
                                           "rating": None, "rating_label": None, "merged_into_id": None,
                                           "is_dispute": False, "external_id": None, "lead_department_id": 14,
                                           "reporter_name": None, "reporter_phone": None, "version": 1,
                                           "actions": None},
                                 "score": 0.24, "reasons": ["同一类别（CG）", "相距 154 米", "上报时间相差 2.6 天"],
                                 "same_item": False, "same_category": True, "distance_m": 153.6,
                                 "hours_apart": 62.45, "text_similarity": 0.069, "signals": ["place"]}]}
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
    responses=errors(403, 422) | err(404, "event_not_found", "事件不存在或不在您的权限范围内"),
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
