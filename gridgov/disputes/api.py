"""HTTP API of the disputes domain: register, list, detail, mediation records, 化解率."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from gridgov.access.deps import CurrentUser, Db
from gridgov.disputes import records, schemas, service, stats
from gridgov.disputes.schemas import ColourName, DisputeTypeName, StatusName
from gridgov.openapi import err, errors, ok

router = APIRouter(prefix="/api/v1/disputes", tags=["disputes"], responses=errors(401))

DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Dispute id")]
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_NOT_FOUND = errors(422) | err(
    404, "dispute_not_found", "纠纷不存在或不在您的权限范围内", "Unknown dispute, or not visible to you"
)
_WRITE = {
    **_NOT_FOUND,
    **err(403, "permission_denied", "您的角色无权执行此操作", "Not staff working on this dispute's event"),
    **err(
        409,
        "dispute_resolved",
        "该纠纷已化解；如有反弹请登记回访",
        "Already resolved, or the event was rejected/merged",
    ),
}


@router.post(
    "",
    status_code=201,
    response_model=schemas.DisputeDetail,
    summary="Register a dispute (reports its event, records the parties, computes the colour)",
    responses={
        200: {"description": "Replay of an earlier registration with the same client_id"},
        **err(403, "permission_denied", "您的角色无权执行此操作", "A register party outside your scope, or a channel not yours"),
        **errors(422),
    },
)
def create(
    body: schemas.DisputeIn,
    response: Response,
    db: Db,
    user: CurrentUser,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> Any:
    data = body.model_dump()
    data["client_id"] = data.get("client_id") or idempotency_key
    d, created = service.create(db, user, data)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    return service.detail(db, user, d.id)


@router.get(
    "", response_model=schemas.DisputePage, summary="Disputes you may see, newest first", responses=errors(422)
)
def list_disputes(
    db: Db,
    user: CurrentUser,
    colour: ColourName | None = None,
    type: DisputeTypeName | None = None,
    status: StatusName | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    return service.search(
        db,
        user,
        colour=colour,
        type=type,
        status=status,
        region=region,
        since=since,
        until=until,
        before_id=before_id,
        limit=limit,
    )


@router.get(
    "/vocabulary",
    summary="Dispute types, colours, statuses, party roles, referral targets (labels)",
    responses=ok(schemas.VOCABULARY_EXAMPLE),
)
def vocabulary(user: CurrentUser) -> dict[str, Any]:
    return service.vocabulary()


@router.get(
    "/stats",
    response_model=schemas.StatsOut,
    summary="化解率 per region (and month): resolved / accepted, in your visibility",
    responses=errors(403, 422),
)
def dispute_stats(
    db: Db,
    user: CurrentUser,
    since: datetime | None = None,
    until: datetime | None = None,
    level: Annotated[str, Query(pattern="^(county|street|community|grid)$")] = "street",
    region: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None,
    by_month: bool = False,
) -> Any:
    return stats.stats(db, user, since=since, until=until, level=level, region=region, by_month=by_month)


@router.get(
    "/{dispute_id}",
    response_model=schemas.DisputeDetail,
    responses=_NOT_FOUND,
    summary="One dispute: parties (masked), event, sessions, agreements, referrals, follow-ups",
)
def detail(dispute_id: DisputeId, db: Db, user: CurrentUser) -> Any:
    return service.detail(db, user, dispute_id)


@router.post(
    "/{dispute_id}/sessions",
    status_code=201,
    response_model=schemas.DisputeDetail,
    responses=_WRITE,
    summary="Record a mediation session (success → resolved, failed → 调解不成)",
)
def add_session(dispute_id: DisputeId, body: schemas.SessionIn, db: Db, user: CurrentUser) -> Any:
    records.add_session(db, user, dispute_id, body.model_dump())
    return service.detail(db, user, dispute_id)


@router.post(
    "/{dispute_id}/agreements",
    status_code=201,
    response_model=schemas.DisputeDetail,
    responses=_WRITE,
    summary="Record a mediation agreement (performed → resolved)",
)
def add_agreement(dispute_id: DisputeId, body: schemas.AgreementIn, db: Db, user: CurrentUser) -> Any:
    records.add_agreement(db, user, dispute_id, body.model_dump())
    return service.detail(db, user, dispute_id)


@router.post(
    "/{dispute_id}/agreements/{agreement_id}/performed",
    response_model=schemas.DisputeDetail,
    responses=_WRITE,
    summary="Mark an agreement as carried out (履行) → resolved",
)
def agreement_performed(
    dispute_id: DisputeId, agreement_id: RecordId, body: schemas.PerformedIn, db: Db, user: CurrentUser
) -> Any:
    records.agreement_performed(db, user, dispute_id, agreement_id, body.model_dump())
    return service.detail(db, user, dispute_id)


@router.post(
    "/{dispute_id}/referrals",
    status_code=201,
    response_model=schemas.DisputeDetail,
    responses=_WRITE,
    summary="Refer the dispute (人民调解委员会, 司法所, 派出所, 法院诉前调解, other)",
)
def add_referral(dispute_id: DisputeId, body: schemas.ReferralIn, db: Db, user: CurrentUser) -> Any:
    records.add_referral(db, user, dispute_id, body.model_dump())
    return service.detail(db, user, dispute_id)


@router.post(
    "/{dispute_id}/referrals/{referral_id}/result",
    response_model=schemas.DisputeDetail,
    responses=_WRITE,
    summary="Record how a referral ended (resolved → the dispute is resolved)",
)
def referral_result(
    dispute_id: DisputeId, referral_id: RecordId, body: schemas.ReferralResultIn, db: Db, user: CurrentUser
) -> Any:
    records.referral_result(db, user, dispute_id, referral_id, body.model_dump())
    return service.detail(db, user, dispute_id)


@router.post(
    "/{dispute_id}/follow-ups",
    status_code=201,
    response_model=schemas.DisputeDetail,
    responses=_WRITE,
    summary="Record a follow-up visit (回访); unstable after resolution reopens the dispute",
)
def add_follow_up(dispute_id: DisputeId, body: schemas.FollowUpIn, db: Db, user: CurrentUser) -> Any:
    records.add_follow_up(db, user, dispute_id, body.model_dump())
    return service.detail(db, user, dispute_id)
